//! environment (issue 3).
