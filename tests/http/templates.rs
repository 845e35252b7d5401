//! templates pages (issue 3).
