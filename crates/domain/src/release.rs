//! release (issue 3).
