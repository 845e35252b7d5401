//! deployments (issue 3).
