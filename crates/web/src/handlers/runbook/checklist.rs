//! Checklist routes of a release: add, edit, tick / untick (recording who
//! and when), move up / down, delete.

use super::{id_of, named, release_for_change, release_url};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::{redirect_with_flash, viewer_zone, with_status};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use almanac_db::audit::{self, NewEvent};
use almanac_db::checklists::{self, ChecklistItem};
use almanac_db::milestones::ReleaseRef;
use almanac_db::{DbError, Visit};
use almanac_domain::FieldErrors;
use almanac_domain::milestone::{Move, StepNotes, StepTitle, reorder};
use almanac_domain::time::local_datetime;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

const ANCHOR: &str = "checklist";

#[derive(Deserialize, Clone, Default)]
pub struct StepForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    revision: i32,
}

impl StepForm {
    fn of(item: &ChecklistItem) -> Self {
        Self {
            title: item.title.clone(),
            notes: item.notes.clone(),
            revision: item.revision,
        }
    }

    fn parse(&self) -> Result<(StepTitle, StepNotes), FieldErrors> {
        let mut e = FieldErrors::new();
        let title = e.check("title", StepTitle::parse(&self.title));
        let notes = e.check("notes", StepNotes::parse(&self.notes));
        match (title, notes) {
            (Some(title), Some(notes)) => Ok((title, notes)),
            _ => Err(e),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "releases/runbook_step_form.html")]
pub struct FormPage {
    layout: Layout,
    slug: String,
    release_id: Uuid,
    release_label: String,
    action: String,
    is_new: bool,
    form: StepForm,
    errors: FieldErrors,
    /// The stored step (title, notes), shown above the form after a stale edit.
    current: Option<(String, String)>,
}

fn form_page(
    ctx: &Ctx,
    visit: &Visit,
    release: &ReleaseRef,
    item: Option<Uuid>,
    form: StepForm,
    errors: FieldErrors,
) -> Result<FormPage, AppError> {
    let slug = visit.tenant()?.slug.clone();
    let base = format!("/{slug}/releases/{}/checklist", release.id);
    let (title, action) = match item {
        None => (format!("Add a checklist step to {}", release.label), base),
        Some(id) => (
            format!("Edit checklist step of {}", release.label),
            format!("{base}/{id}/edit"),
        ),
    };
    Ok(FormPage {
        layout: Layout::signed_in(ctx, visit, title, "releases"),
        release_id: release.id,
        release_label: release.label.clone(),
        action,
        is_new: item.is_none(),
        form,
        errors,
        current: None,
        slug,
    })
}

/// The step `item` of the release, for a change by a planner.
async fn step_for_change(
    tx: &mut almanac_db::Tx,
    visit: &Visit,
    id: Uuid,
    item: Uuid,
) -> Result<(almanac_domain::TenantId, ReleaseRef, ChecklistItem), AppError> {
    let (tenant, release) = release_for_change(tx, visit, id).await?;
    let step = checklists::get(tx, tenant, id, item)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((tenant, release, step))
}

pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<FormPage, AppError> {
    let id = id_of(&id)?;
    let (visit, (_, release)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(release_for_change(tx, visit, id))
        })
        .await?;
    form_page(
        &ctx,
        &visit,
        &release,
        None,
        StepForm::default(),
        FieldErrors::new(),
    )
}

pub async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<StepForm>,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let parsed = form.parse();
    let (visit, (release, outcome)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, release) = release_for_change(tx, visit, id).await?;
                let (title, notes) = match parsed {
                    Ok(p) => p,
                    Err(errors) => return Ok((release, Err(errors))),
                };
                checklists::append(tx, tenant, id, &[(&title, &notes)]).await?;
                audit::record(
                    tx,
                    NewEvent::by(visit, "checklist_item.added", "release", id).after(
                        if notes.as_str().is_empty() {
                            json!({"step": title.as_str()})
                        } else {
                            json!({"step": title.as_str(), "notes": notes.as_str()})
                        },
                    ),
                )
                .await?;
                Ok((release, Ok(title)))
            })
        })
        .await?;
    match outcome {
        Ok(title) => Ok(redirect_with_flash(
            &state,
            &release_url(&slug, id, ANCHOR),
            &Flash::success(format!("Checklist step “{title}” added.")),
        )),
        Err(errors) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&ctx, &visit, &release, None, form, errors)?,
        )),
    }
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, item)): Path<(String, String, String)>,
) -> Result<FormPage, AppError> {
    let (id, item) = (id_of(&id)?, id_of(&item)?);
    let (visit, (_, release, step)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(step_for_change(tx, visit, id, item))
        })
        .await?;
    form_page(
        &ctx,
        &visit,
        &release,
        Some(item),
        StepForm::of(&step),
        FieldErrors::new(),
    )
}

enum Updated {
    Saved(String),
    Invalid(FieldErrors),
    Stale(ChecklistItem),
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, item)): Path<(String, String, String)>,
    Form(form): Form<StepForm>,
) -> Result<Response, AppError> {
    let (id, item) = (id_of(&id)?, id_of(&item)?);
    let parsed = form.parse();
    let revision = form.revision;
    let (visit, (release, outcome)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, release, current) = step_for_change(tx, visit, id, item).await?;
                let (title, notes) = match parsed {
                    Ok(p) => p,
                    Err(errors) => return Ok((release, Updated::Invalid(errors))),
                };
                match checklists::edit(tx, tenant, id, item, &title, &notes, revision).await {
                    Err(DbError::StaleVersion) => return Ok((release, Updated::Stale(current))),
                    other => other?,
                }
                audit::record(
                    tx,
                    NewEvent::by(visit, "checklist_item.updated", "release", id)
                        .before(json!({"title": current.title, "notes": current.notes}))
                        .after(named(
                            "step",
                            title.as_str(),
                            json!({"title": title.as_str(), "notes": notes.as_str()}),
                        )),
                )
                .await?;
                Ok((release, Updated::Saved(title.to_string())))
            })
        })
        .await?;
    match outcome {
        Updated::Saved(title) => Ok(redirect_with_flash(
            &state,
            &release_url(&slug, id, ANCHOR),
            &Flash::success(format!("Checklist step “{title}” saved.")),
        )),
        Updated::Invalid(errors) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&ctx, &visit, &release, Some(item), form, errors)?,
        )),
        Updated::Stale(current) => {
            let mut page = form_page(&ctx, &visit, &release, Some(item), form, FieldErrors::new())?;
            page.form.revision = current.revision;
            page.current = Some((current.title, current.notes));
            page.layout.flash = Some(Flash::error(
                "Someone else changed this step while you were editing. Your input is kept \
                 below; the current step is shown above it. Save again to apply yours.",
            ));
            Ok(with_status(StatusCode::CONFLICT, page))
        }
    }
}

/// Ticks the step as done by the visitor now (`true`), or unticks it.
async fn set_done(
    state: AppState,
    ctx: Ctx,
    (slug, id, item): (String, String, String),
    done: bool,
) -> Result<Response, AppError> {
    let (id, item) = (id_of(&id)?, id_of(&item)?);
    let (_, flash) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, _, current) = step_for_change(tx, visit, id, item).await?;
                let zone = visit.tenant()?.time_zone.clone();
                if current.done_at.is_some() == done {
                    return Ok(Flash::info(match (done, current.done_at) {
                        (true, Some(at)) => format!(
                            "“{}” was already ticked by {} at {}.",
                            current.title,
                            current.done_by_name.as_deref().unwrap_or("someone"),
                            local_datetime(at, viewer_zone(visit))
                        ),
                        _ => format!("“{}” is not ticked.", current.title),
                    }));
                }
                let now = Utc::now();
                let by = done.then_some((visit.user.id, now));
                if !checklists::set_done(tx, tenant, id, item, by).await? {
                    return Ok(Flash::info(format!(
                        "“{}” was just changed by someone else.",
                        current.title
                    )));
                }
                let ticked = |by: &str, at| json!({"done": "yes", "done by": by, "done at": at});
                let open = json!({"done": "no", "done by": null, "done at": null});
                let (action, before, after) = if done {
                    (
                        "checklist_item.ticked",
                        open,
                        ticked(&visit.user.display_name, local_datetime(now, &zone)),
                    )
                } else {
                    (
                        "checklist_item.unticked",
                        ticked(
                            current.done_by_name.as_deref().unwrap_or("—"),
                            current
                                .done_at
                                .map(|t| local_datetime(t, &zone))
                                .unwrap_or_default(),
                        ),
                        open,
                    )
                };
                audit::record(
                    tx,
                    NewEvent::by(visit, action, "release", id)
                        .before(before)
                        .after(named("step", &current.title, after)),
                )
                .await?;
                Ok(Flash::success(if done {
                    format!("Ticked “{}”.", current.title)
                } else {
                    format!("Unticked “{}”.", current.title)
                }))
            })
        })
        .await?;
    Ok(redirect_with_flash(
        &state,
        &release_url(&slug, id, ANCHOR),
        &flash,
    ))
}

pub async fn tick(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(path): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    set_done(state, ctx, path, true).await
}

pub async fn untick(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(path): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    set_done(state, ctx, path, false).await
}

/// Moves the step one place up or down the runbook.
async fn move_step(
    state: AppState,
    ctx: Ctx,
    (slug, id, item): (String, String, String),
    direction: Move,
) -> Result<Response, AppError> {
    let (id, item) = (id_of(&id)?, id_of(&item)?);
    let (_, flash) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, _, current) = step_for_change(tx, visit, id, item).await?;
                let order = checklists::lock_order(tx, tenant, id).await?;
                let Some(moved) = reorder(&order, &item, direction) else {
                    return Ok(Flash::info(format!(
                        "“{}” already is the {} step.",
                        current.title,
                        if direction == Move::Up {
                            "first"
                        } else {
                            "last"
                        }
                    )));
                };
                checklists::renumber(tx, tenant, id, &moved).await?;
                let place = |ids: &[Uuid]| ids.iter().position(|x| *x == item).map(|p| p + 1);
                audit::record(
                    tx,
                    NewEvent::by(visit, "checklist_item.moved", "release", id)
                        .before(json!({"position": place(&order)}))
                        .after(named(
                            "step",
                            &current.title,
                            json!({"position": place(&moved)}),
                        )),
                )
                .await?;
                Ok(Flash::success(format!(
                    "Moved “{}” {}.",
                    current.title,
                    if direction == Move::Up { "up" } else { "down" }
                )))
            })
        })
        .await?;
    Ok(redirect_with_flash(
        &state,
        &release_url(&slug, id, ANCHOR),
        &flash,
    ))
}

pub async fn up(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(path): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    move_step(state, ctx, path, Move::Up).await
}

pub async fn down(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(path): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    move_step(state, ctx, path, Move::Down).await
}

#[derive(Template, WebTemplate)]
#[template(path = "releases/runbook_step_delete.html")]
pub struct DeletePage {
    layout: Layout,
    slug: String,
    release_id: Uuid,
    release_label: String,
    item_id: Uuid,
    title: String,
    done: bool,
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, item)): Path<(String, String, String)>,
) -> Result<DeletePage, AppError> {
    let (id, item) = (id_of(&id)?, id_of(&item)?);
    let (visit, (_, release, step)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(step_for_change(tx, visit, id, item))
        })
        .await?;
    Ok(DeletePage {
        layout: Layout::signed_in(&ctx, &visit, "Delete checklist step", "releases"),
        release_id: id,
        release_label: release.label,
        item_id: item,
        done: step.done_at.is_some(),
        title: step.title,
        slug,
    })
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, item)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let (id, item) = (id_of(&id)?, id_of(&item)?);
    let (_, title) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, _, current) = step_for_change(tx, visit, id, item).await?;
                checklists::delete(tx, tenant, id, item).await?;
                audit::record(
                    tx,
                    NewEvent::by(visit, "checklist_item.deleted", "release", id)
                        .before(json!({"step": current.title, "notes": current.notes})),
                )
                .await?;
                Ok(current.title)
            })
        })
        .await?;
    Ok(redirect_with_flash(
        &state,
        &release_url(&slug, id, ANCHOR),
        &Flash::success(format!("Checklist step “{title}” deleted.")),
    ))
}
