//! environments (issue 3).
