//! window (issue 3).
