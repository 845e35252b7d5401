//! milestones (issue 3).
