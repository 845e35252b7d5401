//! `/{tenant}/releases`: one release's page (header with status, go-live,
//! baseline and slip; its deployments; the status moves it allows; its
//! runbook; its history). The list with its filters, sort orders and pages
//! lives in [`list`], its CSV export in [`export`], the release form in
//! [`form`] and [`edit`], status moves in [`status`], deployments in
//! [`deployments`], release trains in [`trains`].

mod deployments;
mod edit;
mod export;
mod form;
mod list;
mod query;
mod status;
mod trains;

use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::reviews;
use crate::handlers::runbook::{self, Runbook};
use crate::handlers::scheduling;
use crate::handlers::{viewer_zone, with_status};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use crate::view::{HistoryRow, history_rows};
use almanac_db::audit;
use almanac_db::deployments::{self as deployment_db, Deployment};
use almanac_db::releases::{self, ListedRelease, Release};
use almanac_db::{Tx, Visit};
use almanac_domain::conflict::Conflict;
use almanac_domain::release::{
    DeploymentResult, ReleaseStatus, Transition, on_time, slip, slip_words,
};
use almanac_domain::time::{local_datetime, to_local_input};
use almanac_domain::{Role, TenantId};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use uuid::Uuid;

/// What a viewer is told they may not do here.
const PLAN: &str = "plan releases";

/// The routes of this area; merged by `router::build_app`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/releases", get(list::list))
        .route("/{tenant}/releases.csv", get(export::export))
        .route("/{tenant}/releases/new", get(edit::new).post(edit::create))
        .route("/{tenant}/releases/trains", get(trains::list))
        .route(
            "/{tenant}/releases/trains/new",
            get(trains::new).post(trains::create),
        )
        .route("/{tenant}/releases/trains/{id}", get(trains::show))
        .route(
            "/{tenant}/releases/trains/{id}/edit",
            get(trains::edit).post(trains::save),
        )
        .route(
            "/{tenant}/releases/trains/{id}/delete",
            get(trains::confirm_delete).post(trains::delete),
        )
        .route("/{tenant}/releases/{id}", get(show))
        .route(
            "/{tenant}/releases/{id}/edit",
            get(edit::edit).post(edit::save),
        )
        .route(
            "/{tenant}/releases/{id}/delete",
            get(edit::confirm_delete).post(edit::delete),
        )
        .route(
            "/{tenant}/releases/{id}/status",
            get(status::confirm).post(status::change),
        )
        .route(
            "/{tenant}/releases/{id}/deployments/new",
            get(deployments::new).post(deployments::create),
        )
        .route(
            "/{tenant}/releases/{id}/deployments/{dep}/edit",
            get(deployments::edit).post(deployments::save),
        )
        .route(
            "/{tenant}/releases/{id}/deployments/{dep}/remove",
            get(deployments::confirm_remove).post(deployments::remove),
        )
}

/// An id of a URL; one that cannot exist is a missing page.
fn id_of(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

fn can_plan(visit: &Visit) -> bool {
    visit.tenant.as_ref().is_some_and(|t| t.role.can_plan())
}

/// `2026-03-29 22:00 CEST`, or "" when there is no time.
fn when(at: Option<DateTime<Utc>>, zone: &str) -> String {
    at.map(|t| local_datetime(t, zone)).unwrap_or_default()
}

/// `PAY 2.4.0`
fn label(r: &Release) -> String {
    format!("{} {}", r.product_key, r.version)
}

/// (value, label, selected) options; `blank` adds an empty first option.
fn options(
    items: impl IntoIterator<Item = (String, String)>,
    selected: &str,
    blank: Option<&str>,
) -> Vec<(String, String, bool)> {
    blank
        .map(|b| (String::new(), b.to_owned(), selected.is_empty()))
        .into_iter()
        .chain(items.into_iter().map(|(v, l)| {
            let on = v == selected;
            (v, l, on)
        }))
        .collect()
}

/// Options of the words of a closed set (types, risks, statuses, results).
fn word_options<T: Copy>(
    all: &[T],
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
    selected: &str,
    blank: Option<&str>,
) -> Vec<(String, String, bool)> {
    options(
        all.iter()
            .map(|w| (value(*w).to_owned(), label(*w).to_owned())),
        selected,
        blank,
    )
}

// ------------------------------------------------------------------ list

/// A release in a table of releases (the list, a train's page).
pub struct ListRow {
    r: ListedRelease,
    /// The go-live in the viewer's zone ("" when not scheduled).
    go_live: String,
    /// The day it was created, in the viewer's zone.
    created: String,
}

// ------------------------------------------------------------------ one release

/// Everything the release page shows, read in one transaction.
pub(crate) struct Detail {
    release: Release,
    deployments: Vec<Deployment>,
    /// The conflicts of each planned deployment, by deployment id.
    conflicts: HashMap<Uuid, Vec<Conflict>>,
    runbook: Runbook,
    history: Vec<audit::Event>,
    /// The latest go/no-go round, computed for the viewer.
    review: Option<reviews::CurrentReview>,
}

/// Reads the release page (a fixed number of queries).
async fn load_detail(tx: &mut Tx, visit: &Visit, id: Uuid) -> Result<Detail, AppError> {
    let tenant = visit.tenant()?.id;
    let zone = viewer_zone(visit);
    let release = releases::get(tx, tenant, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let deployments = deployment_db::list(tx, tenant, id).await?;
    let conflicts = scheduling::release_conflicts(tx, tenant, id, &deployments, Utc::now()).await?;
    let runbook = runbook::load(tx, tenant, id, zone).await?;
    let history = audit::history(tx, tenant, "release", &id.to_string(), 100).await?;
    let review = reviews::current_for_release(tx, visit, tenant, id, release.owner_id).await?;
    Ok(Detail {
        release,
        deployments,
        conflicts,
        runbook,
        history,
        review,
    })
}

/// Which status moves the page offers (see `Transition::offered`).
#[derive(Default)]
pub struct Actions {
    schedule: bool,
    reschedule: bool,
    start: bool,
    finish: bool,
    roll_back: bool,
    cancel: bool,
}

impl Actions {
    fn for_status(status: ReleaseStatus) -> Self {
        let mut a = Self::default();
        for t in Transition::offered(status) {
            match t {
                Transition::Schedule => a.schedule = true,
                Transition::Reschedule => a.reschedule = true,
                Transition::Start => a.start = true,
                Transition::Finish(_) => a.finish = true,
                Transition::RollBack => a.roll_back = true,
                Transition::Cancel => a.cancel = true,
                Transition::Decide(_) => {}
            }
        }
        a
    }

    fn any(&self) -> bool {
        self.schedule || self.reschedule || self.start || self.finish || self.roll_back
    }
}

pub struct DeploymentRow {
    d: Deployment,
    conflicts: Vec<Conflict>,
    /// Some conflict blocks (a freeze not overridden).
    blocked: bool,
    planned_start: String,
    planned_end: String,
    actual_start: String,
    actual_end: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "releases/show.html")]
pub struct ShowPage {
    layout: Layout,
    slug: String,
    release_id: String,
    can_plan: bool,
    r: Release,
    go_live: String,
    baseline: String,
    actual_go_live: String,
    /// (words, on time) once the release has gone live against a baseline.
    slip: Option<(String, bool)>,
    created: String,
    deployments: Vec<DeploymentRow>,
    has_production: bool,
    actions: Actions,
    results: Vec<(String, String, bool)>,
    may_delete: bool,
    runbook: Runbook,
    history: Vec<HistoryRow>,
    review: Option<reviews::CurrentReview>,
    /// Reviews can be opened now (scheduled or rejected, none open).
    may_open_review: bool,
}

impl ShowPage {
    fn new(ctx: &Ctx, visit: &Visit, slug: &str, detail: Detail) -> Self {
        let zone = viewer_zone(visit);
        let Detail {
            release: r,
            deployments,
            mut conflicts,
            runbook,
            history,
            review,
        } = detail;
        let slip = slip(r.baseline_go_live, r.actual_go_live).map(|s| (slip_words(s), on_time(s)));
        let plan = can_plan(visit);
        Self {
            layout: Layout::signed_in(ctx, visit, label(&r), "releases"),
            slug: slug.to_owned(),
            release_id: r.id.to_string(),
            can_plan: plan,
            go_live: when(r.go_live, zone),
            baseline: when(r.baseline_go_live, zone),
            actual_go_live: when(r.actual_go_live, zone),
            slip,
            created: local_datetime(r.created_at, zone),
            has_production: deployments.iter().any(|d| d.is_production),
            deployments: deployments
                .into_iter()
                .map(|d| {
                    let found = conflicts.remove(&d.id).unwrap_or_default();
                    (d, found)
                })
                .map(|(d, found)| DeploymentRow {
                    blocked: found.iter().any(Conflict::blocks),
                    conflicts: found,
                    planned_start: when(d.planned_start, zone),
                    planned_end: when(d.planned_end, zone),
                    actual_start: when(d.actual_start, zone),
                    actual_end: when(d.actual_end, zone),
                    d,
                })
                .collect(),
            actions: if plan {
                Actions::for_status(r.status)
            } else {
                Actions::default()
            },
            results: word_options(
                DeploymentResult::ALL,
                DeploymentResult::as_str,
                DeploymentResult::label,
                DeploymentResult::Succeeded.as_str(),
                None,
            ),
            may_delete: plan && r.status.may_delete(r.ever_deployed),
            runbook,
            history: history_rows(history, zone),
            may_open_review: plan
                && matches!(r.status, ReleaseStatus::Scheduled | ReleaseStatus::Rejected)
                && review.as_ref().is_none_or(|c| c.closed),
            review,
            r,
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<ShowPage, AppError> {
    let id = id_of(&id)?;
    let (visit, detail) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move { load_detail(tx, visit, id).await })
        })
        .await?;
    Ok(ShowPage::new(&ctx, &visit, &slug, detail))
}

/// Refuses viewers and approvers the changes of this area.
fn require_plan(visit: &Visit) -> Result<TenantId, AppError> {
    let tenant = visit.tenant()?;
    crate::handlers::require(tenant, Role::can_plan, PLAN)?;
    Ok(tenant.id)
}

/// What a refused change shows: the release page with the reason.
pub(crate) struct Refusal {
    status: StatusCode,
    message: String,
    detail: Detail,
}

impl Refusal {
    fn into_response(self, ctx: &Ctx, visit: &Visit, slug: &str) -> Response {
        let mut page = ShowPage::new(ctx, visit, slug, self.detail);
        page.layout.flash = Some(Flash::error(self.message));
        with_status(self.status, page)
    }
}

/// A refused change of release `id`, read after the refusal.
async fn refusal(
    tx: &mut Tx,
    visit: &Visit,
    id: Uuid,
    status: StatusCode,
    message: String,
) -> Result<Refusal, AppError> {
    let detail = load_detail(tx, visit, id).await?;
    Ok(Refusal {
        status,
        message,
        detail,
    })
}

/// The message of a stale change of the release.
const STALE: &str = "Someone else changed this release since you opened it; nothing was changed. \
                     Its current state is shown below: try again if it still applies.";

/// The value of a datetime-local input for `at` in `zone` ("" for none).
fn local_input(at: Option<DateTime<Utc>>, zone: &str) -> String {
    at.map(|t| to_local_input(t, zone)).unwrap_or_default()
}
