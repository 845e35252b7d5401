//! windows pages (issue 3).
