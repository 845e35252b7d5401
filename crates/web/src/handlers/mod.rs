//! Handlers, one module per page area.

pub mod account;
pub mod calendar;
pub mod dashboard;
pub mod environments;
pub mod feed;
pub mod health;
pub mod members;
pub mod policies;
pub mod products;
pub mod releases;
pub mod reviews;
pub mod runbook;
pub mod scheduling;
pub mod session;
pub mod settings;
pub mod templates;
pub mod windows;

use crate::layout::Flash;
use crate::middleware::flash_cookie;
use crate::state::AppState;
use almanac_db::TenantContext;
use almanac_domain::{Role, TimeZone};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

/// See-other redirect that shows `flash` on the next page.
pub fn redirect_with_flash(state: &AppState, to: &str, flash: &Flash) -> Response {
    let mut response = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&flash_cookie(flash, state.config.secure_cookies)) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// Renders a page with a status other than 200 (422 for invalid forms, ...).
pub fn with_status(status: StatusCode, page: impl IntoResponse) -> Response {
    (status, page).into_response()
}

/// Refuses members whose role does not allow `allowed`.
pub fn require(
    tenant: &TenantContext,
    allowed: fn(Role) -> bool,
    what: &str,
) -> Result<(), crate::AppError> {
    if allowed(tenant.role) {
        Ok(())
    } else {
        Err(crate::AppError::Forbidden(format!(
            "Your role ({}) does not allow you to {what}.",
            tenant.role.label()
        )))
    }
}

/// (value, label, selected) options of every IANA zone, for selects.
pub fn zone_options(selected: &str, blank: Option<&str>) -> Vec<(String, String, bool)> {
    let mut options: Vec<(String, String, bool)> = blank
        .map(|label| (String::new(), label.to_owned(), selected.is_empty()))
        .into_iter()
        .collect();
    options.extend(
        TimeZone::all_names()
            .into_iter()
            .map(|z| (z.to_owned(), z.replace('_', " "), z == selected)),
    );
    options
}

/// The zone this visitor reads times in: theirs, else the tenant's, else UTC.
pub fn viewer_zone(visit: &almanac_db::Visit) -> &str {
    visit
        .user
        .time_zone
        .as_deref()
        .or_else(|| visit.tenant.as_ref().map(|t| t.time_zone.as_str()))
        .unwrap_or("UTC")
}
