//! templates (issue 3).
