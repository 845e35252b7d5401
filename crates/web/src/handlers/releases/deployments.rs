//! A release's deployments: add one for an environment, edit its planned
//! and actual times and result, remove one that never ran. Times are typed
//! in the viewer's zone. The production deployment drives the release: its
//! actual start moves an approved release to in progress, its result moves
//! it to released or rolled back, and moving its planned start (the
//! go-live) offers to shift the milestones that are not done.

use super::{STALE, id_of, label, local_input, options, refusal, require_plan, word_options};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::{redirect_with_flash, viewer_zone, with_status};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use almanac_db::audit::{self, NewEvent};
use almanac_db::deployments::{self as deployment_db, Deployment, EnvironmentOption};
use almanac_db::releases::{self, Release};
use almanac_db::{DbError, Tx, Visit};
use almanac_domain::release::{
    DeploymentResult, DeploymentTimes, Progress, after_production_change,
};
use almanac_domain::time::{local_datetime, parse_local_input};
use almanac_domain::{FieldErrors, TenantId};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

/// A deployment as the audit trail records it.
pub(super) fn snapshot(environment: &str, t: &DeploymentTimes) -> Value {
    json!({
        "environment": environment,
        "planned_start": t.planned.map(|p| p.start),
        "planned_end": t.planned.map(|p| p.end),
        "actual_start": t.actual_start,
        "actual_end": t.actual_end,
        "result": t.result.map(DeploymentResult::as_str),
    })
}

#[derive(Deserialize, Clone, Default)]
pub struct DeploymentForm {
    #[serde(default)]
    environment: String,
    #[serde(default)]
    planned_start: String,
    #[serde(default)]
    planned_end: String,
    #[serde(default)]
    actual_start: String,
    #[serde(default)]
    actual_end: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    revision: i32,
}

impl DeploymentForm {
    fn of(d: &Deployment, zone: &str) -> Self {
        Self {
            environment: d.environment_id.to_string(),
            planned_start: local_input(d.planned_start, zone),
            planned_end: local_input(d.planned_end, zone),
            actual_start: local_input(d.actual_start, zone),
            actual_end: local_input(d.actual_end, zone),
            result: d.result.map(|r| r.as_str().to_owned()).unwrap_or_default(),
            revision: d.revision,
        }
    }

    /// The times and result, every problem next to its field.
    fn parse(&self, zone: &str) -> Result<DeploymentTimes, FieldErrors> {
        let mut e = FieldErrors::new();
        let mut time = |field: &str, raw: &str| -> Option<DateTime<Utc>> {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            e.check(field, parse_local_input(raw, zone))
        };
        let planned_start = time("planned_start", &self.planned_start);
        let planned_end = time("planned_end", &self.planned_end);
        let actual_start = time("actual_start", &self.actual_start);
        let actual_end = time("actual_end", &self.actual_end);
        let result = if self.result.trim().is_empty() {
            None
        } else {
            e.check("result", self.result.parse::<DeploymentResult>())
        };
        if !e.is_empty() {
            return Err(e);
        }
        DeploymentTimes::new(planned_start, planned_end, actual_start, actual_end, result).map_err(
            |errors| {
                for err in errors {
                    e.add(err.field(), err.to_string());
                }
                e
            },
        )
    }
}

/// What the production deployment's change does to the release, as a
/// field error when refused.
fn production_effect(
    release: &Release,
    before: Progress,
    after: Progress,
) -> Result<almanac_domain::release::ReleaseStatus, FieldErrors> {
    after_production_change(release.status, before, after).map_err(|err| {
        let mut e = FieldErrors::new();
        let field = if before.started == after.started {
            "result"
        } else {
            "actual_start"
        };
        e.add(field, err.to_string());
        e
    })
}

/// Moves the release to `to` when the production deployment changed it.
async fn follow_production(
    tx: &mut Tx,
    visit: &Visit,
    release: &Release,
    to: almanac_domain::release::ReleaseStatus,
) -> Result<(), AppError> {
    if to == release.status {
        return Ok(());
    }
    let tenant = visit.tenant()?.id;
    releases::set_status(tx, tenant, release.id, release.revision, to, None).await?;
    audit::record(
        tx,
        NewEvent::by(visit, "release.status_changed", "release", release.id)
            .before(json!({"status": release.status.as_str()}))
            .after(json!({"status": to.as_str(), "by": "production deployment"})),
    )
    .await?;
    Ok(())
}

pub struct Current {
    planned: String,
    actual: String,
    result: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "releases/deployment_form.html")]
pub struct DeploymentPage {
    layout: Layout,
    slug: String,
    release_id: String,
    release_label: String,
    /// None for a new deployment.
    deployment_id: Option<String>,
    environment_name: String,
    is_production: bool,
    environments: Vec<(String, String, bool)>,
    results: Vec<(String, String, bool)>,
    form: DeploymentForm,
    errors: FieldErrors,
    /// The stored deployment, shown above the form after a stale edit.
    current: Option<Current>,
}

impl DeploymentPage {
    fn new(
        ctx: &Ctx,
        visit: &Visit,
        slug: &str,
        release: &Release,
        deployment: Option<&Deployment>,
        free: &[EnvironmentOption],
        form: DeploymentForm,
    ) -> Self {
        let title = match deployment {
            Some(d) => format!("{} to {}", label(release), d.environment_name),
            None => format!("New deployment of {}", label(release)),
        };
        Self {
            layout: Layout::signed_in(ctx, visit, title, "releases"),
            slug: slug.to_owned(),
            release_id: release.id.to_string(),
            release_label: label(release),
            deployment_id: deployment.map(|d| d.id.to_string()),
            environment_name: deployment
                .map(|d| d.environment_name.clone())
                .unwrap_or_default(),
            is_production: deployment.is_some_and(|d| d.is_production),
            environments: options(
                free.iter().map(|e| {
                    let name = if e.is_production {
                        format!("{} (production)", e.name)
                    } else {
                        e.name.clone()
                    };
                    (e.id.to_string(), name)
                }),
                &form.environment,
                Some("Choose an environment"),
            ),
            results: word_options(
                DeploymentResult::ALL,
                DeploymentResult::as_str,
                DeploymentResult::label,
                &form.result,
                Some("Not yet"),
            ),
            form,
            errors: FieldErrors::new(),
            current: None,
        }
    }
}

/// The release (locked when `lock`) and the active environments it has
/// no deployment to yet.
async fn release_and_free(
    tx: &mut Tx,
    tenant: TenantId,
    id: Uuid,
    lock: bool,
) -> Result<(Release, Vec<EnvironmentOption>), AppError> {
    let release = if lock {
        releases::lock(tx, tenant, id).await?
    } else {
        releases::get(tx, tenant, id).await?
    }
    .ok_or(AppError::NotFound)?;
    let used = deployment_db::list(tx, tenant, id).await?;
    let free = deployment_db::environment_options(tx, tenant)
        .await?
        .into_iter()
        .filter(|e| !used.iter().any(|d| d.environment_id == e.id))
        .collect();
    Ok((release, free))
}

// ------------------------------------------------------------------ new

pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<DeploymentPage, AppError> {
    let id = id_of(&id)?;
    let (visit, (release, free)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move { release_and_free(tx, require_plan(visit)?, id, false).await })
        })
        .await?;
    let form = DeploymentForm::default();
    Ok(DeploymentPage::new(
        &ctx, &visit, &slug, &release, None, &free, form,
    ))
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<DeploymentForm>,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let input = form.clone();
    let (visit, (release, free, outcome)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = require_plan(visit)?;
                let (release, free) = release_and_free(tx, tenant, id, true).await?;
                let env = Uuid::parse_str(input.environment.trim())
                    .ok()
                    .and_then(|e| free.iter().find(|c| c.id == e).cloned());
                let parsed = input.parse(viewer_zone(visit));
                let (env, times) = match (env, parsed) {
                    (Some(env), Ok(times)) => (env, times),
                    (env, parsed) => {
                        let mut e = parsed.err().unwrap_or_default();
                        if env.is_none() {
                            e.add("environment", "choose one of the listed environments (one deployment per environment)");
                        }
                        return Ok((release, free, Err(e)));
                    }
                };
                let to = if env.is_production {
                    match production_effect(&release, Progress::default(), times.progress()) {
                        Ok(to) => to,
                        Err(e) => return Ok((release, free, Err(e))),
                    }
                } else {
                    release.status
                };
                if !deployment_db::add(tx, tenant, Uuid::now_v7(), id, env.id, &times).await? {
                    let mut e = FieldErrors::new();
                    e.add("environment", format!("{} already has a deployment to {}", label(&release), env.name));
                    return Ok((release, free, Err(e)));
                }
                audit::record(
                    tx,
                    NewEvent::by(visit, "deployment.added", "release", id).after(snapshot(&env.name, &times)),
                )
                .await?;
                follow_production(tx, visit, &release, to).await?;
                Ok((release, free, Ok(env.name)))
            })
        })
        .await?;
    match outcome {
        Ok(env) => Ok(redirect_with_flash(
            &state,
            &format!("/{slug}/releases/{id}"),
            &Flash::success(format!("Deployment of {} to {env} added.", label(&release))),
        )),
        Err(errors) => {
            let mut page = DeploymentPage::new(&ctx, &visit, &slug, &release, None, &free, form);
            page.errors = errors;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, page))
        }
    }
}

// ------------------------------------------------------------------ edit

async fn release_and_deployment(
    tx: &mut Tx,
    tenant: TenantId,
    id: Uuid,
    dep: Uuid,
    lock: bool,
) -> Result<(Release, Deployment), AppError> {
    let release = if lock {
        releases::lock(tx, tenant, id).await?
    } else {
        releases::get(tx, tenant, id).await?
    }
    .ok_or(AppError::NotFound)?;
    let deployment = deployment_db::get(tx, tenant, id, dep)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((release, deployment))
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, dep)): Path<(String, String, String)>,
) -> Result<DeploymentPage, AppError> {
    let (id, dep) = (id_of(&id)?, id_of(&dep)?);
    let (visit, (release, deployment)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                release_and_deployment(tx, require_plan(visit)?, id, dep, false).await
            })
        })
        .await?;
    let form = DeploymentForm::of(&deployment, viewer_zone(&visit));
    Ok(DeploymentPage::new(
        &ctx,
        &visit,
        &slug,
        &release,
        Some(&deployment),
        &[],
        form,
    ))
}

enum Saved {
    Done,
    /// The go-live moved by this many seconds and milestones are open.
    GoLiveMoved(i64),
    Invalid(FieldErrors),
    Stale,
}

pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, dep)): Path<(String, String, String)>,
    Form(form): Form<DeploymentForm>,
) -> Result<Response, AppError> {
    let (id, dep) = (id_of(&id)?, id_of(&dep)?);
    let input = form.clone();
    let (visit, (release, deployment, outcome)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = require_plan(visit)?;
                let (release, d) = release_and_deployment(tx, tenant, id, dep, true).await?;
                let times = match input.parse(viewer_zone(visit)) {
                    Ok(t) => t,
                    Err(e) => return Ok((release, d, Saved::Invalid(e))),
                };
                if input.revision != d.revision {
                    return Ok((release, d, Saved::Stale));
                }
                let to = if d.is_production {
                    match production_effect(&release, d.times().progress(), times.progress()) {
                        Ok(to) => to,
                        Err(e) => return Ok((release, d, Saved::Invalid(e))),
                    }
                } else {
                    release.status
                };
                match deployment_db::update(tx, tenant, dep, &times, input.revision).await {
                    Err(DbError::StaleVersion) => return Ok((release, d, Saved::Stale)),
                    other => other?,
                }
                audit::record(
                    tx,
                    NewEvent::by(visit, "deployment.updated", "release", id)
                        .before(snapshot(&d.environment_name, &d.times()))
                        .after(snapshot(&d.environment_name, &times)),
                )
                .await?;
                follow_production(tx, visit, &release, to).await?;
                let moved = match (d.is_production, d.planned_start, times.planned) {
                    (true, Some(was), Some(now)) if now.start != was => {
                        Some((now.start - was).num_seconds())
                    }
                    _ => None,
                };
                let saved = match moved {
                    Some(by) if releases::open_milestones(tx, tenant, id).await? > 0 => {
                        Saved::GoLiveMoved(by)
                    }
                    _ => Saved::Done,
                };
                Ok((release, d, saved))
            })
        })
        .await?;
    let done = format!(
        "Deployment of {} to {} saved.",
        label(&release),
        deployment.environment_name
    );
    match outcome {
        Saved::Done => Ok(redirect_with_flash(
            &state,
            &format!("/{slug}/releases/{id}"),
            &Flash::success(done),
        )),
        Saved::GoLiveMoved(by) => Ok(redirect_with_flash(
            &state,
            &format!("/{slug}/releases/{id}/milestones/shift?by={by}"),
            &Flash::info(format!(
                "{done} The go-live moved: shift the milestones that are not done yet by the same amount?"
            )),
        )),
        Saved::Invalid(errors) => {
            let mut page =
                DeploymentPage::new(&ctx, &visit, &slug, &release, Some(&deployment), &[], form);
            page.errors = errors;
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, page))
        }
        Saved::Stale => {
            let zone = viewer_zone(&visit).to_owned();
            let mut form = form;
            form.revision = deployment.revision;
            let current = Current {
                planned: span(deployment.planned_start, deployment.planned_end, &zone),
                actual: span(deployment.actual_start, deployment.actual_end, &zone),
                result: deployment
                    .result
                    .map(|r| r.label().to_owned())
                    .unwrap_or_default(),
            };
            let mut page =
                DeploymentPage::new(&ctx, &visit, &slug, &release, Some(&deployment), &[], form);
            page.layout.flash = Some(Flash::error(
                "Someone else changed this deployment while you were editing. Your input is kept \
                 below; the current values are shown above it. Save again to apply yours.",
            ));
            page.current = Some(current);
            Ok(with_status(StatusCode::CONFLICT, page))
        }
    }
}

/// `start – end` in `zone`, with whichever ends are known.
fn span(start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>, zone: &str) -> String {
    match (start, end) {
        (None, None) => String::new(),
        (s, e) => format!(
            "{} – {}",
            s.map(|t| local_datetime(t, zone)).unwrap_or_default(),
            e.map(|t| local_datetime(t, zone)).unwrap_or_default()
        ),
    }
}

// ------------------------------------------------------------------ remove

#[derive(Template, WebTemplate)]
#[template(path = "releases/deployment_remove.html")]
pub struct RemovePage {
    layout: Layout,
    slug: String,
    r: Release,
    d: Deployment,
}

pub async fn confirm_remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, dep)): Path<(String, String, String)>,
) -> Result<RemovePage, AppError> {
    let (id, dep) = (id_of(&id)?, id_of(&dep)?);
    let (visit, (r, d)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                release_and_deployment(tx, require_plan(visit)?, id, dep, false).await
            })
        })
        .await?;
    Ok(RemovePage {
        layout: Layout::signed_in(&ctx, &visit, "Remove deployment", "releases"),
        slug,
        r,
        d,
    })
}

pub async fn remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, dep)): Path<(String, String, String)>,
    Form(form): Form<super::edit::RevisionForm>,
) -> Result<Response, AppError> {
    let (id, dep) = (id_of(&id)?, id_of(&dep)?);
    let (visit, outcome) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = require_plan(visit)?;
                let (release, d) = release_and_deployment(tx, tenant, id, dep, true).await?;
                let refused = if form.revision != d.revision {
                    Some(STALE.to_owned())
                } else if !d.times().may_remove() {
                    Some(format!(
                        "The deployment to {} has run (it has an actual start) and stays on record. \
                         Correct its times instead.",
                        d.environment_name
                    ))
                } else {
                    None
                };
                if let Some(message) = refused {
                    return Ok(Err(refusal(tx, visit, id, StatusCode::CONFLICT, message).await?));
                }
                match deployment_db::remove(tx, tenant, dep, d.revision).await {
                    Err(DbError::StaleVersion) => {
                        let refused = refusal(tx, visit, id, StatusCode::CONFLICT, STALE.to_owned());
                        return Ok(Err(refused.await?));
                    }
                    other => other?,
                }
                audit::record(
                    tx,
                    NewEvent::by(visit, "deployment.removed", "release", id)
                        .before(snapshot(&d.environment_name, &d.times())),
                )
                .await?;
                Ok(Ok(format!("Deployment of {} to {} removed.", label(&release), d.environment_name)))
            })
        })
        .await?;
    match outcome {
        Ok(message) => Ok(redirect_with_flash(
            &state,
            &format!("/{slug}/releases/{id}"),
            &Flash::success(message),
        )),
        Err(refused) => Ok(refused.into_response(&ctx, &visit, &slug)),
    }
}
