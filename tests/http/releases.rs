//! releases pages (issue 3).
