//! Cancelling one occurrence of a recurring window (after a confirmation
//! page with an optional reason), and restoring it.

use super::{PLAN, load, view, window_id};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::{redirect_with_flash, require, viewer_zone, with_status};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use almanac_db::audit::{self, NewEvent};
use almanac_db::windows;
use almanac_db::{Tx, Visit};
use almanac_domain::recurrence::Occurrence;
use almanac_domain::window::{Window, WindowId};
use almanac_domain::{FieldErrors, Role};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use serde_json::json;

/// The longest cancellation reason accepted.
const MAX_REASON: usize = 500;

#[derive(Template, WebTemplate)]
#[template(path = "windows/cancel.html")]
pub struct CancelPage {
    layout: Layout,
    slug: String,
    id: String,
    name: String,
    occurrence: view::OccurrenceView,
    reason: String,
    errors: FieldErrors,
}

fn occurrence_date(text: &str) -> Result<NaiveDate, AppError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| AppError::NotFound)
}

/// The window and its occurrence on `date` (not found when the series has
/// none that day), for a planner.
async fn window_and_occurrence(
    tx: &mut Tx,
    visit: &Visit,
    id: WindowId,
    date: NaiveDate,
) -> Result<(Window, Occurrence), AppError> {
    require(visit.tenant()?, Role::can_plan, PLAN)?;
    let window = load(tx, visit, id).await?;
    let cancelled: Vec<NaiveDate> = window.cancelled.iter().map(|c| c.date).collect();
    let occurrence = window
        .schedule
        .recurrence()
        .and_then(|r| r.occurrence_on(date, &cancelled))
        .ok_or(AppError::NotFound)?;
    Ok((window, occurrence))
}

fn page(
    ctx: &Ctx,
    visit: &Visit,
    window: &Window,
    occurrence: &Occurrence,
    reason: String,
    errors: FieldErrors,
) -> Result<CancelPage, AppError> {
    let zone = window.schedule.zone().name();
    Ok(CancelPage {
        layout: Layout::signed_in(ctx, visit, "Cancel an occurrence", "windows"),
        slug: visit.tenant()?.slug.clone(),
        id: window.id.to_string(),
        name: window.name.as_str().to_owned(),
        occurrence: view::occurrence(occurrence, zone, viewer_zone(visit), Utc::now()),
        reason,
        errors,
    })
}

pub async fn confirm_cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, date)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let (id, date) = (window_id(&id)?, occurrence_date(&date)?);
    let (visit, (window, occurrence)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(window_and_occurrence(tx, visit, id, date))
        })
        .await?;
    if occurrence.cancelled {
        return Ok(redirect_with_flash(
            &state,
            &format!("/{slug}/windows/{id}"),
            &Flash::info(format!("The occurrence of {date} is already cancelled.")),
        ));
    }
    let page = page(
        &ctx,
        &visit,
        &window,
        &occurrence,
        String::new(),
        FieldErrors::new(),
    )?;
    Ok(page.into_response())
}

#[derive(Deserialize)]
pub struct CancelForm {
    #[serde(default)]
    reason: String,
}

enum Cancelled {
    Done(bool),
    Invalid(Box<Window>, Occurrence, FieldErrors),
}

pub async fn cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, date)): Path<(String, String, String)>,
    Form(form): Form<CancelForm>,
) -> Result<Response, AppError> {
    let (id, date) = (window_id(&id)?, occurrence_date(&date)?);
    let reason = form.reason.trim().to_owned();
    let input = reason.clone();
    let (visit, outcome) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (window, occurrence) = window_and_occurrence(tx, visit, id, date).await?;
                if input.chars().count() > MAX_REASON {
                    let mut errors = FieldErrors::new();
                    errors.add(
                        "reason",
                        format!("a reason has at most {MAX_REASON} characters"),
                    );
                    return Ok(Cancelled::Invalid(Box::new(window), occurrence, errors));
                }
                let tenant = visit.tenant()?.id;
                let done =
                    windows::cancel_occurrence(tx, tenant, id, date, &input, visit.user.id).await?;
                if done {
                    audit::record(
                        tx,
                        NewEvent::by(visit, "window.occurrence_cancelled", "window", id)
                            .after(json!({"cancelled": date.to_string(), "reason": input})),
                    )
                    .await?;
                }
                Ok(Cancelled::Done(done))
            })
        })
        .await?;
    let flash = match outcome {
        Cancelled::Invalid(window, occurrence, errors) => {
            let page = page(&ctx, &visit, &window, &occurrence, reason, errors)?;
            return Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, page));
        }
        Cancelled::Done(true) => Flash::success(format!(
            "The occurrence of {date} was cancelled: it no longer applies."
        )),
        Cancelled::Done(false) => {
            Flash::info(format!("The occurrence of {date} was already cancelled."))
        }
    };
    Ok(redirect_with_flash(
        &state,
        &format!("/{slug}/windows/{id}"),
        &flash,
    ))
}

pub async fn restore(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, date)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let (id, date) = (window_id(&id)?, occurrence_date(&date)?);
    let (_, done) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let window = load(tx, visit, id).await?;
                let reason = window
                    .cancelled
                    .iter()
                    .find(|c| c.date == date)
                    .map(|c| c.reason.clone());
                let done = windows::restore_occurrence(tx, tenant.id, id, date).await?;
                if done {
                    audit::record(
                        tx,
                        NewEvent::by(visit, "window.occurrence_restored", "window", id)
                            .before(json!({"cancelled": date.to_string(), "reason": reason})),
                    )
                    .await?;
                }
                Ok(done)
            })
        })
        .await?;
    let flash = if done {
        Flash::success(format!(
            "The occurrence of {date} was restored: it applies again."
        ))
    } else {
        Flash::info(format!("The occurrence of {date} was not cancelled."))
    };
    Ok(redirect_with_flash(
        &state,
        &format!("/{slug}/windows/{id}"),
        &flash,
    ))
}
