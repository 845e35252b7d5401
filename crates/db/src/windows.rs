//! windows (issue 3).
