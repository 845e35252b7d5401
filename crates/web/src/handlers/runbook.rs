//! Pages of the runbook area: milestones and checklist of a release (issue 3).

use crate::state::AppState;
use axum::Router;

/// The routes of this area; merged by `router::build_app`.
pub fn routes() -> Router<AppState> {
    Router::new()
}
