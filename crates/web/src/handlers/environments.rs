//! `/{tenant}/environments`: the ordered deployment targets. Planners add,
//! edit, reorder and delete them; one is the tenant's production (marking
//! another takes the mark from it). An environment that deployments or
//! windows use is archived instead of deleted, and can be restored.

use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::{redirect_with_flash, require, viewer_zone, with_status};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use crate::view::{HistoryRow, history_rows};
use almanac_db::audit::{self, NewEvent};
use almanac_db::environments::{self, Environment, Removal, Saved};
use almanac_db::{DbError, Tx, Visit};
use almanac_domain::environment::{Direction, EnvironmentDraft, EnvironmentName};
use almanac_domain::{FieldErrors, Role, TenantId};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

const PLAN: &str = "change environments";
const NAME_TAKEN: &str = "an environment with this name exists";

/// The routes of this area; merged by `router::build_app`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/environments", get(list))
        .route("/{tenant}/environments/new", get(new).post(create))
        .route("/{tenant}/environments/{id}", get(show))
        .route("/{tenant}/environments/{id}/edit", get(edit).post(save))
        .route(
            "/{tenant}/environments/{id}/delete",
            get(confirm_delete).post(delete),
        )
        .route("/{tenant}/environments/{id}/move", post(move_one))
        .route("/{tenant}/environments/{id}/restore", post(restore))
}

fn list_url(slug: &str) -> String {
    format!("/{slug}/environments")
}

fn environment_id(raw: &str) -> Result<Uuid, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

async fn environment_of(tx: &mut Tx, tenant: TenantId, id: Uuid) -> Result<Environment, AppError> {
    environments::get(tx, tenant, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// An environment as the audit trail records it.
fn snapshot(e: &Environment) -> Value {
    json!({
        "name": e.name,
        "shared": e.shared,
        "requires_window": e.requires_window,
        "production": e.is_production,
        "archived": e.archived,
    })
}

fn draft_snapshot(d: &EnvironmentDraft, archived: bool) -> Value {
    json!({
        "name": d.name.as_str(),
        "shared": d.shared,
        "requires_window": d.requires_window,
        "production": d.is_production,
        "archived": archived,
    })
}

// ------------------------------------------------------------------ list

#[derive(Template, WebTemplate)]
#[template(path = "environments/list.html")]
pub struct ListPage {
    layout: Layout,
    slug: String,
    can_plan: bool,
    active: Vec<Environment>,
    archived: Vec<Environment>,
    /// Whether an active environment is the production one.
    has_production: bool,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<ListPage, AppError> {
    let (visit, all) = ctx
        .enter(&state, Some(&slug), |tx, visit| {
            Box::pin(async move { Ok(environments::list(tx, visit.tenant()?.id).await?) })
        })
        .await?;
    let tenant = visit.tenant()?;
    let (archived, active): (Vec<_>, Vec<_>) = all.into_iter().partition(|e| e.archived);
    Ok(ListPage {
        has_production: active.iter().any(|e| e.is_production),
        layout: Layout::signed_in(&ctx, &visit, "Environments", "environments"),
        slug: tenant.slug.clone(),
        can_plan: tenant.role.can_plan(),
        active,
        archived,
    })
}

// ------------------------------------------------------------------ show

#[derive(Template, WebTemplate)]
#[template(path = "environments/show.html")]
pub struct ShowPage {
    layout: Layout,
    slug: String,
    can_plan: bool,
    environment: Environment,
    updated: String,
    history: Vec<HistoryRow>,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
) -> Result<ShowPage, AppError> {
    let id = environment_id(&raw)?;
    let (visit, (environment, events)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?.id;
                let environment = environment_of(tx, tenant, id).await?;
                let events = audit::history(tx, tenant, "environment", &id.to_string(), 50).await?;
                Ok((environment, events))
            })
        })
        .await?;
    let tenant = visit.tenant()?;
    let zone = viewer_zone(&visit);
    Ok(ShowPage {
        layout: Layout::signed_in(&ctx, &visit, environment.name.clone(), "environments"),
        slug: tenant.slug.clone(),
        can_plan: tenant.role.can_plan(),
        updated: almanac_domain::time::local_datetime(environment.updated_at, zone),
        history: history_rows(events, zone),
        environment,
    })
}

// ------------------------------------------------------------------ form

#[derive(Debug, Deserialize, Clone, Default)]
pub struct EnvironmentForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    shared: bool,
    #[serde(default)]
    requires_window: bool,
    #[serde(default)]
    is_production: bool,
    #[serde(default)]
    revision: i32,
}

impl EnvironmentForm {
    fn from_environment(e: &Environment) -> Self {
        Self {
            name: e.name.clone(),
            shared: e.shared,
            requires_window: e.requires_window,
            is_production: e.is_production,
            revision: e.revision,
        }
    }

    fn parse(&self) -> Result<EnvironmentDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        match errors.check("name", EnvironmentName::parse(&self.name)) {
            Some(name) => Ok(EnvironmentDraft {
                name,
                shared: self.shared,
                requires_window: self.requires_window,
                is_production: self.is_production,
            }),
            None => Err(errors),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "environments/form.html")]
pub struct FormPage {
    layout: Layout,
    slug: String,
    /// The environment being edited; `None` on the new-environment form.
    environment: Option<Environment>,
    form: EnvironmentForm,
    errors: FieldErrors,
    /// The stored environment, shown above the form after a stale edit.
    current: Option<Environment>,
    history: Vec<HistoryRow>,
}

fn form_page(
    ctx: &Ctx,
    visit: &Visit,
    environment: Option<Environment>,
    form: EnvironmentForm,
    errors: FieldErrors,
) -> Result<FormPage, AppError> {
    let title = environment.as_ref().map_or_else(
        || "New environment".to_owned(),
        |e| format!("Edit {}", e.name),
    );
    Ok(FormPage {
        layout: Layout::signed_in(ctx, visit, title, "environments"),
        slug: visit.tenant()?.slug.clone(),
        environment,
        form,
        errors,
        current: None,
        history: Vec::new(),
    })
}

/// Audit events for a saved environment and for any that lost the
/// production mark to it; returns the flash to show.
async fn record_saved(
    tx: &mut Tx,
    visit: &Visit,
    action: &str,
    before: Option<&Environment>,
    draft: &EnvironmentDraft,
    id: Uuid,
    cleared: Vec<(Uuid, String)>,
) -> Result<Flash, AppError> {
    let archived = before.is_some_and(|b| b.archived);
    let mut event =
        NewEvent::by(visit, action, "environment", id).after(draft_snapshot(draft, archived));
    if let Some(before) = before {
        event = event.before(snapshot(before));
    }
    audit::record(tx, event).await?;
    for (other, name) in &cleared {
        let event = NewEvent::by(visit, "environment.updated", "environment", other)
            .before(json!({"name": name, "production": true}))
            .after(json!({"name": name, "production": false}));
        audit::record(tx, event).await?;
    }
    let verb = if before.is_some() { "saved" } else { "created" };
    let name = draft.name.as_str();
    Ok(Flash::success(match cleared.first() {
        Some((_, was)) => format!(
            "Environment {name} {verb}. It is now the production environment (instead of {was})."
        ),
        None => format!("Environment {name} {verb}."),
    }))
}

pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<FormPage, AppError> {
    let visit = ctx.visit(&state, Some(&slug)).await?;
    require(visit.tenant()?, Role::can_plan, PLAN)?;
    form_page(
        &ctx,
        &visit,
        None,
        EnvironmentForm::default(),
        FieldErrors::new(),
    )
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Form(form): Form<EnvironmentForm>,
) -> Result<Response, AppError> {
    let parsed = form.parse();
    let (visit, outcome) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let draft = match parsed {
                    Ok(d) => d,
                    Err(errors) => return Ok(Err(errors)),
                };
                match environments::create(tx, tenant.id, &draft).await? {
                    Saved::NameTaken => {
                        let mut errors = FieldErrors::new();
                        errors.add("name", NAME_TAKEN);
                        Ok(Err(errors))
                    }
                    Saved::Done { id, cleared } => Ok(Ok(record_saved(
                        tx,
                        visit,
                        "environment.created",
                        None,
                        &draft,
                        id,
                        cleared,
                    )
                    .await?)),
                }
            })
        })
        .await?;
    match outcome {
        Ok(flash) => Ok(redirect_with_flash(&state, &list_url(&slug), &flash)),
        Err(errors) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&ctx, &visit, None, form, errors)?,
        )),
    }
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
) -> Result<FormPage, AppError> {
    let id = environment_id(&raw)?;
    let (visit, (environment, events)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let environment = environment_of(tx, tenant.id, id).await?;
                let events =
                    audit::history(tx, tenant.id, "environment", &id.to_string(), 50).await?;
                Ok((environment, events))
            })
        })
        .await?;
    let form = EnvironmentForm::from_environment(&environment);
    let mut page = form_page(&ctx, &visit, Some(environment), form, FieldErrors::new())?;
    page.history = history_rows(events, viewer_zone(&visit));
    Ok(page)
}

enum Refused {
    Invalid(FieldErrors),
    Stale,
}

pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
    Form(form): Form<EnvironmentForm>,
) -> Result<Response, AppError> {
    let id = environment_id(&raw)?;
    let parsed = form.parse();
    let revision = form.revision;
    let (visit, (environment, outcome)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let environment = environment_of(tx, tenant.id, id).await?;
                let draft = match parsed {
                    Ok(d) => d,
                    Err(errors) => return Ok((environment, Err(Refused::Invalid(errors)))),
                };
                let (id, cleared) =
                    match environments::update(tx, tenant.id, id, &draft, revision).await {
                        Ok(Saved::Done { id, cleared }) => (id, cleared),
                        Ok(Saved::NameTaken) => {
                            let mut errors = FieldErrors::new();
                            errors.add("name", NAME_TAKEN);
                            return Ok((environment, Err(Refused::Invalid(errors))));
                        }
                        Err(DbError::StaleVersion) => {
                            return Ok((environment, Err(Refused::Stale)));
                        }
                        Err(e) => return Err(e.into()),
                    };
                let flash = record_saved(
                    tx,
                    visit,
                    "environment.updated",
                    Some(&environment),
                    &draft,
                    id,
                    cleared,
                )
                .await?;
                Ok((environment, Ok(flash)))
            })
        })
        .await?;
    match outcome {
        Ok(flash) => Ok(redirect_with_flash(&state, &list_url(&slug), &flash)),
        Err(Refused::Invalid(errors)) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&ctx, &visit, Some(environment), form, errors)?,
        )),
        Err(Refused::Stale) => {
            let form = EnvironmentForm {
                revision: environment.revision,
                ..form
            };
            let mut page = form_page(
                &ctx,
                &visit,
                Some(environment.clone()),
                form,
                FieldErrors::new(),
            )?;
            page.current = Some(environment);
            page.layout.flash = Some(Flash::error(
                "Someone else changed this environment while you were editing. Your input is \
                 kept below; the current values are shown above it. Save again to apply yours.",
            ));
            Ok(with_status(StatusCode::CONFLICT, page))
        }
    }
}

// ------------------------------------------------------------ move/delete

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    direction: String,
}

pub async fn move_one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
    Form(form): Form<MoveForm>,
) -> Result<Response, AppError> {
    let id = environment_id(&raw)?;
    let direction: Direction = form
        .direction
        .parse()
        .map_err(|_| AppError::BadRequest("Move an environment up or down.".to_owned()))?;
    let (_, flash) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let environment = environment_of(tx, tenant.id, id).await?;
                if environment.archived {
                    return Ok(Flash::info(format!(
                        "{} is archived: restore it to place it in the order.",
                        environment.name
                    )));
                }
                let Some((from, to)) = environments::move_by(tx, tenant.id, id, direction).await?
                else {
                    let end = if direction == Direction::Up {
                        "first"
                    } else {
                        "last"
                    };
                    return Ok(Flash::info(format!(
                        "{} already is {end}.",
                        environment.name
                    )));
                };
                let event = NewEvent::by(visit, "environment.moved", "environment", id)
                    .before(json!({"name": environment.name, "position": from}))
                    .after(json!({"name": environment.name, "position": to}));
                audit::record(tx, event).await?;
                Ok(Flash::success(format!(
                    "{} moved {} (now number {to}).",
                    environment.name,
                    direction.as_str()
                )))
            })
        })
        .await?;
    Ok(redirect_with_flash(&state, &list_url(&slug), &flash))
}

pub async fn restore(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = environment_id(&raw)?;
    let (_, flash) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let environment = environment_of(tx, tenant.id, id).await?;
                if !environments::set_archived(tx, tenant.id, id, false).await? {
                    return Ok(Flash::info(format!(
                        "{} is not archived.",
                        environment.name
                    )));
                }
                let event = NewEvent::by(visit, "environment.restored", "environment", id)
                    .before(snapshot(&environment))
                    .after(snapshot(&Environment {
                        archived: false,
                        ..environment.clone()
                    }));
                audit::record(tx, event).await?;
                Ok(Flash::success(format!(
                    "Environment {} restored (placed last).",
                    environment.name
                )))
            })
        })
        .await?;
    Ok(redirect_with_flash(&state, &list_url(&slug), &flash))
}

#[derive(Template, WebTemplate)]
#[template(path = "environments/delete.html")]
pub struct DeletePage {
    layout: Layout,
    slug: String,
    environment: Environment,
    /// Deployments or windows use it: deleting archives it instead.
    in_use: bool,
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
) -> Result<DeletePage, AppError> {
    let id = environment_id(&raw)?;
    let (visit, (environment, in_use)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let environment = environment_of(tx, tenant.id, id).await?;
                let in_use = environments::in_use(tx, tenant.id, id).await?;
                Ok((environment, in_use))
            })
        })
        .await?;
    Ok(DeletePage {
        layout: Layout::signed_in(
            &ctx,
            &visit,
            format!("Delete {}", environment.name),
            "environments",
        ),
        slug,
        environment,
        in_use,
    })
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, raw)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = environment_id(&raw)?;
    let (_, flash) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let environment = environment_of(tx, tenant.id, id).await?;
                let name = environment.name.clone();
                let (event, flash) = match environments::remove(tx, tenant.id, id).await? {
                    Removal::Deleted => (
                        NewEvent::by(visit, "environment.deleted", "environment", id)
                            .before(snapshot(&environment)),
                        Flash::success(format!("Environment {name} deleted.")),
                    ),
                    Removal::Archived => (
                        NewEvent::by(visit, "environment.archived", "environment", id)
                            .before(snapshot(&environment))
                            .after(snapshot(&Environment {
                                archived: true,
                                ..environment.clone()
                            })),
                        Flash::info(format!(
                            "Environment {name} has deployments (or a window names it), so it \
                             was archived instead of deleted."
                        )),
                    ),
                };
                audit::record(tx, event).await?;
                Ok(flash)
            })
        })
        .await?;
    Ok(redirect_with_flash(&state, &list_url(&slug), &flash))
}
