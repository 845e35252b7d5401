//! End-to-end tests of the running system over HTTP: one test binary whose
//! modules are the areas. Each test gets its own freshly migrated database
//! (`#[sqlx::test]` creates and drops it) and an app served on a real TCP
//! port whose pool logs in as the serving role — a superuser pool would
//! ignore row-level security and prove nothing.

mod helpers;

mod account;
mod auth;
mod calendar;
mod cli;
mod dashboard;
mod environments;
mod feed;
mod members;
mod ops;
mod policies;
mod products;
mod releases;
mod releases_list;
mod reviews;
mod runbook;
mod scheduling;
mod security;
mod settings;
mod templates;
mod tenancy;
mod windows;
