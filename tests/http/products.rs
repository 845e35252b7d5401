//! products pages (issue 3).
