//! recurrence (issue 3).
