//! Milestones and checklist pages (issue 3).
