//! Status moves of a release (schedule, reschedule, start, record the
//! result, roll back, cancel), each posted with the release's revision.
//! The rules are `almanac_domain::release::Transition`; the production
//! deployment records the start and the result. Cancelling and rolling
//! back ask for confirmation first.

use super::{STALE, id_of, label, refusal, require_plan};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::redirect_with_flash;
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use almanac_db::audit::{self, NewEvent};
use almanac_db::deployments::{self as deployment_db, Deployment};
use almanac_db::releases::{self, Release};
use almanac_db::{Tx, Visit};
use almanac_domain::release::{
    DeploymentResult, DeploymentTimes, Facts, Transition, TransitionError,
};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    revision: i32,
}

/// The production deployment's times after `transition`, when it records
/// something (the start, the end and result, a roll-back).
fn production_record(
    transition: Transition,
    production: &Deployment,
) -> Option<Result<DeploymentTimes, String>> {
    let now = Utc::now();
    let t = production.times();
    let (start, end, result) = match transition {
        Transition::Start => (Some(t.actual_start.unwrap_or(now)), t.actual_end, t.result),
        Transition::Finish(r) => (
            Some(t.actual_start.unwrap_or(now)),
            Some(t.actual_end.unwrap_or(now)),
            Some(r),
        ),
        Transition::RollBack if t.actual_start.is_some() => (
            t.actual_start,
            t.actual_end,
            Some(DeploymentResult::RolledBack),
        ),
        _ => return None,
    };
    let planned = t.planned;
    Some(
        DeploymentTimes::new(
            planned.map(|p| p.start),
            planned.map(|p| p.end),
            start,
            end,
            result,
        )
        .map_err(|errors| {
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        }),
    )
}

/// Applies `form` to release `id`: Ok(flash) or the refusal's reason.
async fn apply(
    tx: &mut Tx,
    visit: &Visit,
    id: Uuid,
    form: &StatusForm,
) -> Result<Result<Flash, (StatusCode, String)>, AppError> {
    let tenant = require_plan(visit)?;
    let release = releases::lock(tx, tenant, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(transition) = Transition::from_form(&form.action, form.result.parse().ok()) else {
        let message = if form.action == "finish" {
            "Choose the production deployment's result: succeeded, failed or rolled back."
        } else {
            "Choose one of the status changes offered on the release page."
        };
        return Ok(Err((StatusCode::UNPROCESSABLE_ENTITY, message.to_owned())));
    };
    if release.revision != form.revision {
        return Ok(Err((StatusCode::CONFLICT, STALE.to_owned())));
    }
    let production = deployment_db::list(tx, tenant, id)
        .await?
        .into_iter()
        .find(|d| d.is_production);
    let facts = Facts {
        has_go_live: production
            .as_ref()
            .is_some_and(|d| d.planned_start.is_some()),
    };
    let to = match transition.apply(release.status, facts) {
        Ok(to) => to,
        Err(e) => {
            let code = if e == TransitionError::NoGoLive {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::CONFLICT
            };
            return Ok(Err((code, e.to_string())));
        }
    };
    if matches!(transition, Transition::Start | Transition::Finish(_)) && production.is_none() {
        return Ok(Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            "Add the production deployment first: it records the start and the result.".to_owned(),
        )));
    }
    if let Some(d) = &production {
        match production_record(transition, d) {
            None => {}
            Some(Err(why)) => return Ok(Err((StatusCode::UNPROCESSABLE_ENTITY, why))),
            Some(Ok(times)) => {
                deployment_db::update(tx, tenant, d.id, &times, d.revision).await?;
                audit::record(
                    tx,
                    NewEvent::by(visit, "deployment.updated", "release", id)
                        .before(super::deployments::snapshot(
                            &d.environment_name,
                            &d.times(),
                        ))
                        .after(super::deployments::snapshot(&d.environment_name, &times)),
                )
                .await?;
            }
        }
    }
    let baseline = matches!(transition, Transition::Schedule | Transition::Reschedule)
        .then(|| production.as_ref().and_then(|d| d.planned_start))
        .flatten();
    releases::set_status(tx, tenant, id, release.revision, to, baseline).await?;
    audit::record(
        tx,
        NewEvent::by(visit, "release.status_changed", "release", id)
            .before(json!({
                "status": release.status.as_str(),
                "baseline_go_live": release.baseline_go_live,
            }))
            .after(json!({
                "status": to.as_str(),
                "baseline_go_live": release.baseline_go_live.or(baseline),
            })),
    )
    .await?;
    Ok(Ok(Flash::success(format!(
        "{} is now {}.",
        label(&release),
        to.label().to_lowercase()
    ))))
}

pub async fn change(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<StatusForm>,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let (visit, outcome) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                match apply(tx, visit, id, &form).await? {
                    Ok(flash) => Ok(Ok(flash)),
                    Err((status, message)) => {
                        // Nothing was written: the refusal reads the release as it is.
                        Ok(Err(refusal(tx, visit, id, status, message).await?))
                    }
                }
            })
        })
        .await?;
    match outcome {
        Ok(flash) => Ok(redirect_with_flash(
            &state,
            &format!("/{slug}/releases/{id}"),
            &flash,
        )),
        Err(refused) => Ok(refused.into_response(&ctx, &visit, &slug)),
    }
}

#[derive(Deserialize)]
pub struct ConfirmQuery {
    #[serde(default)]
    action: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "releases/status_confirm.html")]
pub struct ConfirmPage {
    layout: Layout,
    slug: String,
    r: Release,
    action: &'static str,
    button: &'static str,
    explanation: &'static str,
}

/// Asks before cancelling or rolling back.
pub async fn confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Query(query): Query<ConfirmQuery>,
) -> Result<ConfirmPage, AppError> {
    let id = id_of(&id)?;
    let (action, button, explanation) = match query.action.as_str() {
        "cancel" => (
            "cancel",
            "Cancel release",
            "A cancelled release stays on record but leaves every calendar and can no longer move. \
             This cannot be undone.",
        ),
        "roll_back" => (
            "roll_back",
            "Roll back release",
            "The release is marked rolled back and its production deployment's result becomes \
             rolled back. This cannot be undone.",
        ),
        _ => return Err(AppError::NotFound),
    };
    let (visit, r) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = require_plan(visit)?;
                releases::get(tx, tenant, id)
                    .await?
                    .ok_or(AppError::NotFound)
            })
        })
        .await?;
    Ok(ConfirmPage {
        layout: Layout::signed_in(&ctx, &visit, format!("{button}: {}", label(&r)), "releases"),
        slug,
        r,
        action,
        button,
        explanation,
    })
}
