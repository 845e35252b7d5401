//! products (issue 3).
