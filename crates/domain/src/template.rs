//! template (issue 3).
