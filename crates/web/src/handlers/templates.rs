//! `/{tenant}/settings/templates`: release templates — milestones as offsets
//! from go-live ("Code freeze: -7d 17:00") and checklist steps that a new
//! release copies. Planning records: release managers and owners edit them,
//! every member reads them.

use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::runbook::id_of;
use crate::handlers::{redirect_with_flash, require, viewer_zone, with_status};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use crate::view::{HistoryRow, history_rows};
use almanac_db::audit::{self, NewEvent};
use almanac_db::templates::{self, Draft, Template, TemplateSummary};
use almanac_db::{DbError, Visit};
use almanac_domain::template::{
    Offset, TemplateDescription, TemplateName, format_checklist_lines, format_milestone_lines,
    line_errors_message, parse_checklist_lines, parse_milestone_lines,
};
use almanac_domain::{FieldErrors, Role};
use askama_web::WebTemplate;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

const PLAN: &str = "edit release templates";
const ENTITY: &str = "release_template";

/// The routes of this area; merged by `router::build_app`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/settings/templates", get(list).post(create))
        .route("/{tenant}/settings/templates/new", get(new))
        .route("/{tenant}/settings/templates/{id}", get(show))
        .route(
            "/{tenant}/settings/templates/{id}/edit",
            get(edit).post(update),
        )
        .route(
            "/{tenant}/settings/templates/{id}/delete",
            get(confirm_delete).post(delete),
        )
}

fn list_url(slug: &str) -> String {
    format!("/{slug}/settings/templates")
}

/// One milestone line shown with its offset in words.
pub struct OffsetRow {
    pub name: String,
    /// `-7d 17:00`
    pub offset: String,
    /// `7 days before go-live at 17:00`
    pub words: String,
}

impl OffsetRow {
    fn new(name: &str, offset: Offset) -> Self {
        Self {
            name: name.to_owned(),
            offset: offset.to_string(),
            words: offset.words(),
        }
    }
}

/// A stored template, ready for display.
pub struct TemplateView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub used_by: i64,
    pub milestones: Vec<OffsetRow>,
    pub steps: Vec<String>,
}

impl From<&Template> for TemplateView {
    fn from(t: &Template) -> Self {
        Self {
            id: t.id,
            name: t.name.clone(),
            description: t.description.clone(),
            used_by: t.used_by,
            milestones: t
                .milestones
                .iter()
                .map(|m| OffsetRow::new(&m.name, m.offset))
                .collect(),
            steps: t.steps.clone(),
        }
    }
}

/// What the audit trail records of a template: its lines in editor form.
fn snapshot<'a>(
    name: &str,
    description: &str,
    milestones: impl Iterator<Item = (&'a str, Offset)>,
    steps: impl Iterator<Item = &'a str>,
) -> serde_json::Value {
    json!({
        "name": name,
        "description": description,
        "milestones": milestones.map(|(n, o)| format!("{n}: {o}")).collect::<Vec<_>>(),
        "checklist": steps.collect::<Vec<_>>(),
    })
}

fn stored_snapshot(t: &Template) -> serde_json::Value {
    snapshot(
        &t.name,
        &t.description,
        t.milestones.iter().map(|m| (m.name.as_str(), m.offset)),
        t.steps.iter().map(String::as_str),
    )
}

fn draft_snapshot(d: &Draft) -> serde_json::Value {
    snapshot(
        d.name.as_str(),
        d.description.as_str(),
        d.milestones.iter().map(|m| (m.name.as_str(), m.offset)),
        d.steps.iter().map(|s| s.as_str()),
    )
}

// ------------------------------------------------------------------ list

#[derive(askama::Template, WebTemplate)]
#[template(path = "settings/templates/list.html")]
pub struct ListPage {
    layout: Layout,
    slug: String,
    can_plan: bool,
    templates: Vec<ListRow>,
}

pub struct ListRow {
    summary: TemplateSummary,
    updated: String,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<ListPage, AppError> {
    let (visit, rows) = ctx
        .enter(&state, Some(&slug), |tx, visit| {
            Box::pin(async move { Ok(templates::list(tx, visit.tenant()?.id).await?) })
        })
        .await?;
    let zone = viewer_zone(&visit);
    Ok(ListPage {
        layout: Layout::signed_in(&ctx, &visit, "Release templates", "settings"),
        can_plan: visit.tenant()?.role.can_plan(),
        templates: rows
            .into_iter()
            .map(|summary| ListRow {
                updated: almanac_domain::time::local_date(summary.updated_at, zone),
                summary,
            })
            .collect(),
        slug,
    })
}

// ------------------------------------------------------------------ show

#[derive(askama::Template, WebTemplate)]
#[template(path = "settings/templates/show.html")]
pub struct ShowPage {
    layout: Layout,
    slug: String,
    can_plan: bool,
    template: TemplateView,
    history: Vec<HistoryRow>,
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<ShowPage, AppError> {
    let id = id_of(&id)?;
    let (visit, (template, events)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?.id;
                let t = templates::get(tx, tenant, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let events = audit::history(tx, tenant, ENTITY, &id.to_string(), 50).await?;
                Ok((t, events))
            })
        })
        .await?;
    Ok(ShowPage {
        layout: Layout::signed_in(&ctx, &visit, template.name.clone(), "settings"),
        can_plan: visit.tenant()?.role.can_plan(),
        template: TemplateView::from(&template),
        history: history_rows(events, viewer_zone(&visit)),
        slug,
    })
}

// ------------------------------------------------------------------ form

#[derive(Deserialize, Clone, Default)]
pub struct TemplateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    milestones: String,
    #[serde(default)]
    checklist: String,
    #[serde(default)]
    revision: i32,
    /// `preview` re-renders the form with the offsets in words, saving nothing.
    #[serde(default)]
    action: String,
}

impl TemplateForm {
    fn of(t: &Template) -> Self {
        Self {
            name: t.name.clone(),
            description: t.description.clone(),
            milestones: format_milestone_lines(
                t.milestones.iter().map(|m| (m.name.as_str(), m.offset)),
            ),
            checklist: format_checklist_lines(&t.steps),
            revision: t.revision,
            action: String::new(),
        }
    }

    fn parse(&self) -> Result<Draft, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = e.check("name", TemplateName::parse(&self.name));
        let description = e.check("description", TemplateDescription::parse(&self.description));
        let milestones = match parse_milestone_lines(&self.milestones) {
            Ok(m) => Some(m),
            Err(lines) => {
                e.add("milestones", line_errors_message(&lines));
                None
            }
        };
        let steps = match parse_checklist_lines(&self.checklist) {
            Ok(s) => Some(s),
            Err(lines) => {
                e.add("checklist", line_errors_message(&lines));
                None
            }
        };
        match (name, description, milestones, steps) {
            (Some(name), Some(description), Some(milestones), Some(steps)) => Ok(Draft {
                name,
                description,
                milestones,
                steps,
            }),
            _ => Err(e),
        }
    }

    /// The milestone lines in words, when they all parse.
    fn preview(&self) -> Vec<OffsetRow> {
        parse_milestone_lines(&self.milestones)
            .map(|ms| {
                ms.iter()
                    .map(|m| OffsetRow::new(m.name.as_str(), m.offset))
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "settings/templates/form.html")]
pub struct FormPage {
    layout: Layout,
    /// Where the form posts.
    action: String,
    /// Where "Cancel" goes.
    cancel: String,
    is_new: bool,
    form: TemplateForm,
    errors: FieldErrors,
    preview: Vec<OffsetRow>,
    /// The stored template, shown above the form after a stale edit.
    current: Option<TemplateView>,
}

fn form_page(
    ctx: &Ctx,
    visit: &Visit,
    id: Option<Uuid>,
    form: TemplateForm,
    errors: FieldErrors,
) -> FormPage {
    let slug = visit
        .tenant
        .as_ref()
        .map(|t| t.slug.clone())
        .unwrap_or_default();
    let (title, action, cancel) = match id {
        None => (
            "New release template".to_owned(),
            list_url(&slug),
            list_url(&slug),
        ),
        Some(id) => (
            format!("Edit template {}", form.name.trim()),
            format!("{}/{id}/edit", list_url(&slug)),
            format!("{}/{id}", list_url(&slug)),
        ),
    };
    FormPage {
        layout: Layout::signed_in(ctx, visit, title, "settings"),
        action,
        cancel,
        is_new: id.is_none(),
        preview: form.preview(),
        form,
        errors,
        current: None,
    }
}

pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<FormPage, AppError> {
    let visit = ctx.visit(&state, Some(&slug)).await?;
    require(visit.tenant()?, Role::can_plan, PLAN)?;
    let form = TemplateForm {
        milestones: "Code freeze: -7d 17:00\nQA sign-off: -2d 12:00\nGo/no-go: -1d 15:00\n"
            .to_owned(),
        ..TemplateForm::default()
    };
    Ok(form_page(&ctx, &visit, None, form, FieldErrors::new()))
}

/// The name field's message when another template has the name.
fn name_taken() -> FieldErrors {
    let mut e = FieldErrors::new();
    e.add("name", "another template has this name; choose another");
    e
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Form(form): Form<TemplateForm>,
) -> Result<Response, AppError> {
    let parsed = form.parse();
    let preview = form.action == "preview";
    let (visit, outcome) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let draft = match parsed {
                    Ok(d) if !preview => d,
                    Ok(_) => return Ok(Err(FieldErrors::new())),
                    Err(errors) => return Ok(Err(errors)),
                };
                let id = match templates::create(tx, tenant.id, &draft).await {
                    Err(e) if e.is_unique_violation("release_templates_name_unique") => {
                        return Ok(Err(name_taken()));
                    }
                    other => other?,
                };
                audit::record(
                    tx,
                    NewEvent::by(visit, "template.created", ENTITY, id)
                        .after(draft_snapshot(&draft)),
                )
                .await?;
                Ok(Ok((id, draft.name.as_str().to_owned())))
            })
        })
        .await?;
    match outcome {
        Ok((id, name)) => Ok(redirect_with_flash(
            &state,
            &format!("{}/{id}", list_url(&slug)),
            &Flash::success(format!("Template “{name}” created.")),
        )),
        Err(errors) => {
            let status = status_of(&errors);
            Ok(with_status(
                status,
                form_page(&ctx, &visit, None, form, errors),
            ))
        }
    }
}

/// 422 for a form with errors, 200 for a preview.
fn status_of(errors: &FieldErrors) -> StatusCode {
    if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// The template `id` for a change by a planner.
async fn for_change(
    tx: &mut almanac_db::Tx,
    visit: &Visit,
    id: Uuid,
) -> Result<Template, AppError> {
    let tenant = visit.tenant()?;
    require(tenant, Role::can_plan, PLAN)?;
    templates::get(tx, tenant.id, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<FormPage, AppError> {
    let id = id_of(&id)?;
    let (visit, template) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(for_change(tx, visit, id))
        })
        .await?;
    Ok(form_page(
        &ctx,
        &visit,
        Some(id),
        TemplateForm::of(&template),
        FieldErrors::new(),
    ))
}

enum Updated {
    Saved(String),
    Invalid(FieldErrors),
    Stale(Template),
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<TemplateForm>,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let parsed = form.parse();
    let preview = form.action == "preview";
    let revision = form.revision;
    let (visit, outcome) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let current = for_change(tx, visit, id).await?;
                let draft = match parsed {
                    Ok(d) if !preview => d,
                    Ok(_) => return Ok(Updated::Invalid(FieldErrors::new())),
                    Err(errors) => return Ok(Updated::Invalid(errors)),
                };
                let tenant = visit.tenant()?.id;
                match templates::update(tx, tenant, id, &draft, revision).await {
                    Err(DbError::StaleVersion) => return Ok(Updated::Stale(current)),
                    Err(e) if e.is_unique_violation("release_templates_name_unique") => {
                        return Ok(Updated::Invalid(name_taken()));
                    }
                    other => other?,
                }
                audit::record(
                    tx,
                    NewEvent::by(visit, "template.updated", ENTITY, id)
                        .before(stored_snapshot(&current))
                        .after(draft_snapshot(&draft)),
                )
                .await?;
                Ok(Updated::Saved(draft.name.as_str().to_owned()))
            })
        })
        .await?;
    match outcome {
        Updated::Saved(name) => Ok(redirect_with_flash(
            &state,
            &format!("{}/{id}", list_url(&slug)),
            &Flash::success(format!("Template “{name}” saved.")),
        )),
        Updated::Invalid(errors) => {
            let status = status_of(&errors);
            Ok(with_status(
                status,
                form_page(&ctx, &visit, Some(id), form, errors),
            ))
        }
        Updated::Stale(current) => {
            let mut page = form_page(&ctx, &visit, Some(id), form, FieldErrors::new());
            page.form.revision = current.revision;
            page.current = Some(TemplateView::from(&current));
            page.layout.flash = Some(Flash::error(
                "Someone else changed this template while you were editing. Your input is kept \
                 below; the current template is shown above it. Save again to apply yours.",
            ));
            Ok(with_status(StatusCode::CONFLICT, page))
        }
    }
}

// ---------------------------------------------------------------- delete

#[derive(askama::Template, WebTemplate)]
#[template(path = "settings/templates/delete.html")]
pub struct DeletePage {
    layout: Layout,
    slug: String,
    template: TemplateView,
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<DeletePage, AppError> {
    let id = id_of(&id)?;
    let (visit, template) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(for_change(tx, visit, id))
        })
        .await?;
    Ok(DeletePage {
        layout: Layout::signed_in(&ctx, &visit, "Delete template", "settings"),
        slug,
        template: TemplateView::from(&template),
    })
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let (_, name) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let current = for_change(tx, visit, id).await?;
                templates::delete(tx, visit.tenant()?.id, id).await?;
                audit::record(
                    tx,
                    NewEvent::by(visit, "template.deleted", ENTITY, id)
                        .before(stored_snapshot(&current)),
                )
                .await?;
                Ok(current.name)
            })
        })
        .await?;
    Ok(redirect_with_flash(
        &state,
        &list_url(&slug),
        &Flash::success(format!("Template “{name}” deleted.")),
    )
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_reports_every_field_with_line_numbers() {
        let form = TemplateForm {
            name: " ".to_owned(),
            milestones: "Code freeze: -7d 17:00\n\nBad line".to_owned(),
            checklist: format!("ok\n{}", "x".repeat(201)),
            ..TemplateForm::default()
        };
        let errors = form.parse().expect_err("invalid");
        assert_eq!(errors.len(), 3);
        assert!(errors.get("milestones").starts_with("line 3: "));
        assert!(errors.get("checklist").starts_with("line 2: "));
    }

    #[test]
    fn the_audit_snapshot_lists_lines() {
        let form = TemplateForm {
            name: "Standard".to_owned(),
            milestones: "A: \u{2212}1d\n\n B: 0d \n".to_owned(),
            checklist: "one\ntwo".to_owned(),
            ..TemplateForm::default()
        };
        let draft = form.parse().expect("valid");
        assert_eq!(
            draft_snapshot(&draft),
            json!({"name": "Standard", "description": "", "milestones": ["A: -1d", "B: 0d"],
                   "checklist": ["one", "two"]})
        );
        assert_eq!(
            form.preview()[0].words,
            "1 day before go-live, at go-live's time of day"
        );
    }
}
