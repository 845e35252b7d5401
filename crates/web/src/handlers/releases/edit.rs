//! Creating a release (with the environments it passes through and,
//! optionally, a template's milestones and checklist), editing one, and
//! deleting one that never left the plan. The form itself is [`super::form`].

use super::form::{FormPage, ReleaseForm, choices, snapshot, version_taken};
use super::{STALE, id_of, label, refusal, require_plan};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::{redirect_with_flash, viewer_zone, with_status};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use almanac_db::audit::{self, NewEvent};
use almanac_db::deployments as deployment_db;
use almanac_db::releases::{self, ProductOption, Release};
use almanac_db::{DbError, templates};
use almanac_domain::FieldErrors;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

// ------------------------------------------------------------------ new

pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<FormPage, AppError> {
    let (visit, choices) = ctx
        .enter(&state, Some(&slug), |tx, visit| {
            Box::pin(async move {
                let tenant = require_plan(visit)?;
                choices(tx, tenant, true).await
            })
        })
        .await?;
    let form = ReleaseForm::blank(visit.user.id, &choices);
    Ok(FormPage::new(
        &ctx,
        &visit,
        &slug,
        None,
        form,
        choices,
        FieldErrors::new(),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = ReleaseForm::from_pairs(pairs);
    let input = form.clone();
    let (visit, (choices, outcome)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = require_plan(visit)?;
                let choices = choices(tx, tenant, true).await?;
                let parsed = match input.parse(&choices, viewer_zone(visit), true) {
                    Ok(p) => p,
                    Err(errors) => return Ok((choices, Err(errors))),
                };
                let id = Uuid::now_v7();
                if !releases::create(tx, tenant, id, &parsed.draft, parsed.template).await? {
                    let errors = version_taken(&choices, &parsed.draft);
                    return Ok((choices, Err(errors)));
                }
                deployment_db::add_planned(tx, tenant, id, &parsed.plan).await?;
                if let Some(template) = parsed.template {
                    let zone = visit.tenant()?.time_zone.clone();
                    templates::apply(tx, tenant, id, template, parsed.go_live, &zone).await?;
                }
                let r = releases::get(tx, tenant, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let mut after = snapshot(&r);
                after["deployments"] = json!(parsed.plan.len());
                after["template"] = json!(parsed.template.and_then(|t| {
                    choices
                        .templates
                        .iter()
                        .find(|c| c.0 == t)
                        .map(|c| c.1.clone())
                }));
                audit::record(
                    tx,
                    NewEvent::by(visit, "release.created", "release", id).after(after),
                )
                .await?;
                Ok((choices, Ok((id, label(&r)))))
            })
        })
        .await?;
    match outcome {
        Ok((id, name)) => Ok(redirect_with_flash(
            &state,
            &format!("/{slug}/releases/{id}"),
            &Flash::success(format!("Release {name} created.")),
        )),
        Err(errors) => {
            let page = FormPage::new(&ctx, &visit, &slug, None, form, choices, errors);
            Ok(with_status(StatusCode::UNPROCESSABLE_ENTITY, page))
        }
    }
}

// ------------------------------------------------------------------ edit

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<FormPage, AppError> {
    let id = id_of(&id)?;
    let (visit, (release, choices)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = require_plan(visit)?;
                let release = releases::get(tx, tenant, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                Ok((release, choices(tx, tenant, false).await?))
            })
        })
        .await?;
    let form = ReleaseForm::of(&release);
    Ok(FormPage::new(
        &ctx,
        &visit,
        &slug,
        Some(&release),
        form,
        choices,
        FieldErrors::new(),
    ))
}

pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let form = ReleaseForm::from_pairs(pairs);
    let input = form.clone();
    let (visit, (release, choices, outcome)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = require_plan(visit)?;
                let before = releases::lock(tx, tenant, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let choices = choices(tx, tenant, false).await?;
                let mut choices = choices;
                // Its own (maybe archived) product stays a valid choice.
                if !choices.products.iter().any(|p| p.id == before.product_id) {
                    choices.products.push(ProductOption {
                        id: before.product_id,
                        key: before.product_key.clone(),
                        name: before.product_name.clone(),
                    });
                }
                let parsed = match input.parse(&choices, viewer_zone(visit), false) {
                    Ok(p) => p,
                    Err(errors) => return Ok((before, choices, Err((errors, false)))),
                };
                match releases::update(tx, tenant, id, &parsed.draft, input.revision).await {
                    Ok(true) => {}
                    Ok(false) => {
                        let errors = version_taken(&choices, &parsed.draft);
                        return Ok((before, choices, Err((errors, false))));
                    }
                    Err(DbError::StaleVersion) => {
                        return Ok((before, choices, Err((FieldErrors::new(), true))));
                    }
                    Err(e) => return Err(e.into()),
                }
                let after = releases::get(tx, tenant, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                audit::record(
                    tx,
                    NewEvent::by(visit, "release.updated", "release", id)
                        .before(snapshot(&before))
                        .after(snapshot(&after)),
                )
                .await?;
                Ok((after, choices, Ok(())))
            })
        })
        .await?;
    match outcome {
        Ok(()) => Ok(redirect_with_flash(
            &state,
            &format!("/{slug}/releases/{id}"),
            &Flash::success(format!("Release {} saved.", label(&release))),
        )),
        Err((errors, stale)) => {
            let mut form = form;
            let status = if stale {
                form.revision = release.revision;
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let mut page =
                FormPage::new(&ctx, &visit, &slug, Some(&release), form, choices, errors);
            if stale {
                page.layout.flash = Some(Flash::error(
                    "Someone else changed this release while you were editing. Your input is kept \
                     below; the current values are shown above it. Save again to apply yours.",
                ));
                page.current = Some(release);
            }
            Ok(with_status(status, page))
        }
    }
}

// ------------------------------------------------------------------ delete

#[derive(Template, WebTemplate)]
#[template(path = "releases/delete.html")]
pub struct DeletePage {
    layout: Layout,
    slug: String,
    r: Release,
    may_delete: bool,
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<DeletePage, AppError> {
    let id = id_of(&id)?;
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
    Ok(DeletePage {
        layout: Layout::signed_in(&ctx, &visit, format!("Delete {}", label(&r)), "releases"),
        slug,
        may_delete: r.status.may_delete(r.ever_deployed),
        r,
    })
}

#[derive(Deserialize)]
pub struct RevisionForm {
    #[serde(default)]
    pub revision: i32,
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<RevisionForm>,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let (visit, outcome) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = require_plan(visit)?;
                let before = releases::get(tx, tenant, id).await?.ok_or(AppError::NotFound)?;
                match releases::delete(tx, tenant, id, form.revision).await {
                    Ok(true) => {}
                    Ok(false) => {
                        let message = format!(
                            "{} cannot be deleted: it is {}{}. Cancel it instead; its record stays.",
                            label(&before),
                            before.status.label().to_lowercase(),
                            if before.ever_deployed { " and has been deployed" } else { "" }
                        );
                        return Ok(Err(refusal(tx, visit, id, StatusCode::CONFLICT, message).await?));
                    }
                    Err(DbError::StaleVersion) => {
                        let refused = refusal(tx, visit, id, StatusCode::CONFLICT, STALE.to_owned());
                        return Ok(Err(refused.await?));
                    }
                    Err(e) => return Err(e.into()),
                }
                audit::record(
                    tx,
                    NewEvent::by(visit, "release.deleted", "release", id).before(snapshot(&before)),
                )
                .await?;
                Ok(Ok(label(&before)))
            })
        })
        .await?;
    match outcome {
        Ok(name) => Ok(redirect_with_flash(
            &state,
            &format!("/{slug}/releases"),
            &Flash::success(format!("Release {name} deleted.")),
        )),
        Err(refusal) => Ok(refusal.into_response(&ctx, &visit, &slug)),
    }
}
