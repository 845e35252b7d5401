//! `/{tenant}/`: the portfolio dashboard. This release shows the
//! organisation, the visitor's role and recent activity; the portfolio
//! figures arrive with the planning records.

use crate::auth::Ctx;
use crate::error::AppError;
use crate::layout::Layout;
use crate::state::AppState;
use almanac_db::audit;
use almanac_db::members;
use almanac_domain::tenant::{MONTH_NAMES, WEEKDAY_NAMES};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::response::Redirect;

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/show.html")]
pub struct DashboardPage {
    layout: Layout,
    role: &'static str,
    tenant_zone: String,
    week_start: &'static str,
    fiscal_year_start: &'static str,
    member_count: usize,
    activity: Vec<ActivityRow>,
    /// Open reviews waiting for the visitor's vote.
    waiting: Vec<crate::handlers::reviews::Waiting>,
    slug: String,
}

pub struct ActivityRow {
    at: String,
    actor: String,
    action: String,
    entity: String,
}

pub async fn redirect_to_slash(Path(tenant): Path<String>) -> Redirect {
    Redirect::permanent(&format!("/{tenant}/"))
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<DashboardPage, AppError> {
    let (visit, (member_count, activity, waiting)) = ctx
        .enter(&state, Some(&slug), |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?.id;
                let count = members::list(tx, tenant).await?.len();
                let activity = audit::recent(tx, tenant, 10).await?;
                let waiting = if visit.tenant()?.role.can_vote() {
                    crate::handlers::reviews::pending_for(tx, visit, tenant).await?
                } else {
                    Vec::new()
                };
                Ok((count, activity, waiting))
            })
        })
        .await?;
    let tenant = visit.tenant()?;
    Ok(DashboardPage {
        role: tenant.role.label(),
        tenant_zone: tenant.time_zone.clone(),
        week_start: WEEKDAY_NAMES[usize::try_from(tenant.week_start - 1).unwrap_or(0) % 7],
        fiscal_year_start: MONTH_NAMES
            [usize::try_from(tenant.fiscal_year_start - 1).unwrap_or(0) % 12],
        member_count,
        activity: activity
            .into_iter()
            .map(|e| ActivityRow {
                at: almanac_domain::time::local_datetime(
                    e.at,
                    crate::handlers::viewer_zone(&visit),
                ),
                actor: e.actor_label,
                action: e.action.replace(['.', '_'], " "),
                entity: describe(e.after.as_ref().or(e.before.as_ref())),
            })
            .collect(),
        layout: Layout::signed_in(&ctx, &visit, "Dashboard", "dashboard"),
        waiting,
        slug,
    })
}

/// A short human label for an audit event's record ("rm@acme.test").
fn describe(snapshot: Option<&serde_json::Value>) -> String {
    snapshot
        .and_then(|v| v.get("email").or_else(|| v.get("name")))
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}
