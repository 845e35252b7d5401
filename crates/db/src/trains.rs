//! trains (issue 3).
