//! milestone (issue 3).
