//! Shared nothing: the tests live in `http/`.
