//! The `almanac` binary's library: configuration, the embedded PostgreSQL
//! default, and the commands (serve, migrate, demo, tenant, user). `main.rs`
//! only parses the command line and calls in here, so tests can drive the
//! same code.

pub mod admin;
pub mod config;
pub mod demo;
pub mod embedded;
pub mod serve;
