//! Pages of the releases area (issue 3). Owned by one engineer at a time.

use crate::state::AppState;
use axum::Router;

/// The routes of this area; merged by `router::build_app`.
pub fn routes() -> Router<AppState> {
    Router::new()
}
