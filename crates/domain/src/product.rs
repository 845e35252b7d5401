//! product (issue 3).
