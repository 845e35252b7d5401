//! `/{tenant}/windows`: release windows and freezes — the list (filterable,
//! with each window's next occurrences), one window with its next
//! occurrences and history, archiving and deleting. The form lives in
//! [`form`], cancelling single occurrences in [`occurrences`].

mod form;
mod occurrences;
mod view;

use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::{redirect_with_flash, require, viewer_zone};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use crate::view::{HistoryRow, history_rows};
use almanac_db::audit::{self, NewEvent};
use almanac_db::windows::{self, Choice, Filter};
use almanac_db::{Tx, Visit};
use almanac_domain::Role;
use almanac_domain::window::{Window, WindowId, WindowKind};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;
use view::{OccurrenceView, WindowRow};

const PLAN: &str = "plan windows and freezes";

/// The routes of this area; merged by `router::build_app`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/windows", get(list))
        .route("/{tenant}/windows/new", get(form::new).post(form::create))
        .route("/{tenant}/windows/{id}", get(show))
        .route(
            "/{tenant}/windows/{id}/edit",
            get(form::edit).post(form::update),
        )
        .route("/{tenant}/windows/{id}/archive", post(archive))
        .route(
            "/{tenant}/windows/{id}/delete",
            get(confirm_delete).post(delete),
        )
        .route(
            "/{tenant}/windows/{id}/occurrences/{date}/cancel",
            get(occurrences::confirm_cancel).post(occurrences::cancel),
        )
        .route(
            "/{tenant}/windows/{id}/occurrences/{date}/restore",
            post(occurrences::restore),
        )
}

/// A window id from the URL (anything else is not found).
fn window_id(text: &str) -> Result<WindowId, AppError> {
    Uuid::parse_str(text)
        .map(WindowId)
        .map_err(|_| AppError::NotFound)
}

/// The tenant's environments and products, for names and checkboxes.
pub struct Choices {
    environments: Vec<Choice>,
    products: Vec<Choice>,
}

async fn choices(tx: &mut Tx, visit: &Visit) -> Result<Choices, AppError> {
    let tenant = visit.tenant()?.id;
    Ok(Choices {
        environments: windows::environment_choices(tx, tenant).await?,
        products: windows::product_choices(tx, tenant).await?,
    })
}

/// One window of the visitor's tenant (another tenant's id is not found).
async fn load(tx: &mut Tx, visit: &Visit, id: WindowId) -> Result<Window, AppError> {
    windows::get(tx, visit.tenant()?.id, id)
        .await?
        .ok_or(AppError::NotFound)
}

fn can_plan(visit: &Visit) -> bool {
    visit.tenant.as_ref().is_some_and(|t| t.role.can_plan())
}

// ------------------------------------------------------------------ list

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    environment: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    archived: bool,
}

impl ListQuery {
    fn filter(&self) -> Filter {
        Filter {
            kind: self.kind.parse::<WindowKind>().ok(),
            environment: Uuid::parse_str(&self.environment).ok(),
            product: Uuid::parse_str(&self.product).ok(),
            archived: self.archived,
        }
    }

    fn is_filtered(&self) -> bool {
        let f = self.filter();
        f.kind.is_some() || f.environment.is_some() || f.product.is_some()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "windows/list.html")]
pub struct ListPage {
    layout: Layout,
    slug: String,
    can_plan: bool,
    rows: Vec<WindowRow>,
    filtered: bool,
    kinds: Vec<(String, String, bool)>,
    environments: Vec<(String, String, bool)>,
    products: Vec<(String, String, bool)>,
    show_archived: bool,
}

fn options(choices: &[Choice], selected: &str, all: &str) -> Vec<(String, String, bool)> {
    std::iter::once((String::new(), all.to_owned(), selected.is_empty()))
        .chain(choices.iter().map(|c| {
            let id = c.id.to_string();
            let chosen = id == selected;
            (id, c.label.clone(), chosen)
        }))
        .collect()
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<ListPage, AppError> {
    let filter = query.filter();
    let (visit, (list, choices)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let list = windows::list(tx, visit.tenant()?.id, &filter).await?;
                Ok((list, choices(tx, visit).await?))
            })
        })
        .await?;
    let viewer = viewer_zone(&visit);
    let now = Utc::now();
    let kinds = std::iter::once((
        String::new(),
        "Windows and freezes".to_owned(),
        query.kind.is_empty(),
    ))
    .chain(WindowKind::ALL.into_iter().map(|k| {
        (
            k.as_str().to_owned(),
            format!("{}s only", k.label()),
            k.as_str() == query.kind,
        )
    }))
    .collect();
    Ok(ListPage {
        layout: Layout::signed_in(&ctx, &visit, "Windows and freezes", "windows"),
        slug,
        can_plan: can_plan(&visit),
        rows: list
            .iter()
            .map(|w| view::row(w, &choices.environments, &choices.products, viewer, now))
            .collect(),
        filtered: query.is_filtered(),
        kinds,
        environments: options(
            &choices.environments,
            &query.environment,
            "All environments",
        ),
        products: options(&choices.products, &query.product, "All products"),
        show_archived: query.archived,
    })
}

// ------------------------------------------------------------------ show

#[derive(Template, WebTemplate)]
#[template(path = "windows/show.html")]
pub struct ShowPage {
    layout: Layout,
    slug: String,
    can_plan: bool,
    id: String,
    revision: i32,
    freeze: bool,
    kind_label: &'static str,
    archived: bool,
    reason: String,
    recurring: bool,
    schedule: String,
    zone: String,
    viewer_zone: String,
    series_start: String,
    environments: String,
    products: String,
    limits: String,
    next: Vec<OccurrenceView>,
    cancelled: Vec<CancelledView>,
    history: Vec<HistoryRow>,
}

/// A cancelled occurrence, with its times when the series still has it.
pub struct CancelledView {
    date: String,
    reason: String,
    starts: String,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<ShowPage, AppError> {
    let id = window_id(&id)?;
    let (visit, (window, choices, events)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let window = load(tx, visit, id).await?;
                let choices = choices(tx, visit).await?;
                let tenant = visit.tenant()?.id;
                let events = audit::history(tx, tenant, "window", &id.to_string(), 50).await?;
                Ok((window, choices, events))
            })
        })
        .await?;
    let viewer = viewer_zone(&visit).to_owned();
    let zone = window.schedule.zone().name().to_owned();
    let now = Utc::now();
    let draft = window.draft();
    let recurrence = window.schedule.recurrence();
    Ok(ShowPage {
        layout: Layout::signed_in(&ctx, &visit, window.name.as_str(), "windows"),
        slug,
        can_plan: can_plan(&visit),
        id: window.id.to_string(),
        revision: window.revision,
        freeze: window.kind == WindowKind::Freeze,
        kind_label: window.kind.label(),
        archived: window.archived,
        reason: window.reason.clone(),
        recurring: recurrence.is_some(),
        schedule: view::schedule_text(&window.schedule, &viewer),
        series_start: recurrence
            .map(|r| r.series_start().format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        environments: view::scope_text(
            &window.environments,
            &choices.environments,
            "All environments",
        ),
        products: view::scope_text(&window.products, &choices.products, "All products"),
        limits: view::limits_text(&draft),
        next: window
            .next_occurrences(now, 5)
            .iter()
            .map(|o| view::occurrence(o, &zone, &viewer, now))
            .collect(),
        cancelled: window
            .cancelled
            .iter()
            .map(|c| CancelledView {
                date: c.date.format("%Y-%m-%d").to_string(),
                reason: c.reason.clone(),
                starts: recurrence
                    .and_then(|r| r.occurrence_on(c.date, &[]))
                    .map(|o| almanac_domain::time::local_datetime(o.start, &zone))
                    .unwrap_or_default(),
            })
            .collect(),
        history: history_rows(events, &viewer),
        zone,
        viewer_zone: viewer,
    })
}

// --------------------------------------------------------------- archive

#[derive(Deserialize)]
pub struct ArchiveForm {
    #[serde(default)]
    archived: bool,
    #[serde(default)]
    revision: i32,
}

pub async fn archive(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<ArchiveForm>,
) -> Result<Response, AppError> {
    let id = window_id(&id)?;
    let (_, name) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let window = load(tx, visit, id).await?;
                windows::set_archived(tx, tenant.id, id, form.archived, form.revision).await?;
                let action = if form.archived {
                    "window.archived"
                } else {
                    "window.restored"
                };
                audit::record(
                    tx,
                    NewEvent::by(visit, action, "window", id)
                        .before(json!({"archived": window.archived}))
                        .after(json!({"archived": form.archived})),
                )
                .await?;
                Ok(window.name.as_str().to_owned())
            })
        })
        .await?;
    let message = if form.archived {
        format!("“{name}” was archived: it no longer applies and is hidden from the list.")
    } else {
        format!("“{name}” was restored and applies again.")
    };
    Ok(redirect_with_flash(
        &state,
        &format!("/{slug}/windows/{id}"),
        &Flash::success(message),
    ))
}

// ---------------------------------------------------------------- delete

#[derive(Template, WebTemplate)]
#[template(path = "windows/delete.html")]
pub struct DeletePage {
    layout: Layout,
    slug: String,
    id: String,
    name: String,
    freeze: bool,
    revision: i32,
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<DeletePage, AppError> {
    let id = window_id(&id)?;
    let (visit, window) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                require(visit.tenant()?, Role::can_plan, PLAN)?;
                load(tx, visit, id).await
            })
        })
        .await?;
    Ok(DeletePage {
        layout: Layout::signed_in(&ctx, &visit, "Delete window", "windows"),
        slug,
        id: window.id.to_string(),
        name: window.name.as_str().to_owned(),
        freeze: window.kind == WindowKind::Freeze,
        revision: window.revision,
    })
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    revision: i32,
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, AppError> {
    let id = window_id(&id)?;
    let (_, name) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let window = load(tx, visit, id).await?;
                let choices = choices(tx, visit).await?;
                windows::delete(tx, tenant.id, id, form.revision).await?;
                let before =
                    view::snapshot(&window.draft(), &choices.environments, &choices.products);
                audit::record(
                    tx,
                    NewEvent::by(visit, "window.deleted", "window", id).before(before),
                )
                .await?;
                Ok(window.name.as_str().to_owned())
            })
        })
        .await?;
    Ok(redirect_with_flash(
        &state,
        &format!("/{slug}/windows"),
        &Flash::success(format!("“{name}” was deleted.")),
    ))
}
