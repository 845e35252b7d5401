//! checklists (issue 3).
