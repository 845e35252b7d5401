//! environments pages (issue 3).
