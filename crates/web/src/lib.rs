//! Almanac's HTTP layer: the axum router, sessions and CSRF, one handler
//! module per page area, one askama struct per page, and [`AppError`].
//!
//! A handler reads as a story: extract ([`Ctx`], path, form) → one call into
//! `almanac_db` inside [`Ctx::enter`] → domain rules → render a page.

mod auth;
mod cache;
mod csv_export;
mod error;
mod handlers;
mod layout;
mod middleware;
mod password;
mod router;
mod state;
mod view;

pub use error::AppError;
pub use router::build_app;
pub use state::{AppState, WebConfig};

pub use auth::{Ctx, SESSION_COOKIE};
pub use password::{hash_password, verify_password};
