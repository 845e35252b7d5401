//! releases (issue 3).
