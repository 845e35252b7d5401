//! `/{tenant}/settings/policies`: the organisation's named go/no-go
//! policies ("Standard CAB: QA lead, then 2 of the business approvers")
//! that the "Open a review" form offers. A review copies its policy when
//! it is opened, so editing or deleting one here never changes a running
//! or past review. Planning records: release managers and owners edit
//! them, every member reads them.

use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::runbook::id_of;
use crate::handlers::{redirect_with_flash, require, viewer_zone, with_status};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use crate::view::{HistoryRow, history_rows};
use almanac_db::audit::{self, Event, NewEvent};
use almanac_db::reviews::{self, POLICY_NAME_UNIQUE, Preset};
use almanac_db::{DbError, Tx, Visit};
use almanac_domain::review::{self as domain, Duties, Member, Policy};
use almanac_domain::template::line_errors_message;
use almanac_domain::{FieldErrors, Role, TenantId};
use askama_web::WebTemplate;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

const PLAN: &str = "edit go/no-go policies";
const ENTITY: &str = "review_policy";

/// The routes of this area; merged by `router::build_app`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/settings/policies", get(list))
        .route("/{tenant}/settings/policies/new", get(new).post(create))
        .route(
            "/{tenant}/settings/policies/{id}/edit",
            get(edit).post(update),
        )
        .route(
            "/{tenant}/settings/policies/{id}/delete",
            get(confirm_delete).post(delete),
        )
}

fn list_url(slug: &str) -> String {
    format!("/{slug}/settings/policies")
}

/// One rule in words: "QA lead", "1 of Quinn Tester", required or not.
pub struct RuleView {
    pub name: String,
    pub words: String,
    pub required: bool,
}

pub struct StageView {
    pub name: String,
    pub rules: Vec<RuleView>,
}

/// A stored policy, ready for display.
pub struct PolicyView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub stages: Vec<StageView>,
    /// The policy in the editor's format.
    pub text: String,
    /// Required rules today's members could never satisfy, in words.
    pub problems: Vec<String>,
}

impl PolicyView {
    fn new(p: &Preset, members: &[Member]) -> Self {
        // Separation of duties depends on the release; here only whether
        // anyone at all could give the votes.
        let anyone = Duties {
            allow_self_approval: true,
            ..Duties::default()
        };
        Self {
            id: p.id,
            name: p.name.clone(),
            description: p.description.clone(),
            stages: p
                .policy
                .stages
                .iter()
                .map(|s| StageView {
                    name: s.name.clone(),
                    rules: s
                        .rules
                        .iter()
                        .map(|r| RuleView {
                            name: r.name.clone(),
                            words: r.describe(members),
                            required: r.required,
                        })
                        .collect(),
                })
                .collect(),
            text: domain::policy_text(&p.policy, members),
            problems: p.policy.undecidable(members, &anyone),
        }
    }
}

/// What the audit trail records of a policy: its lines in editor form.
fn snapshot(
    name: &str,
    description: &str,
    policy: &Policy,
    members: &[Member],
) -> serde_json::Value {
    json!({
        "name": name,
        "description": description,
        "policy": domain::policy_text(policy, members).lines().map(str::trim).collect::<Vec<_>>(),
    })
}

/// The members who can vote, as `email (name, role)`, for the editor's hint.
fn voter_lines(members: &[Member]) -> Vec<String> {
    members
        .iter()
        .filter(|m| m.role.can_vote())
        .map(|m| {
            format!(
                "{} ({}, {})",
                m.email,
                m.name,
                m.role.label().to_lowercase()
            )
        })
        .collect()
}

// ------------------------------------------------------------------ list

#[derive(askama::Template, WebTemplate)]
#[template(path = "settings/policies/list.html")]
pub struct ListPage {
    layout: Layout,
    slug: String,
    can_plan: bool,
    policies: Vec<PolicyView>,
}

pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<ListPage, AppError> {
    let (visit, (presets, members)) = ctx
        .enter(&state, Some(&slug), |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?.id;
                let presets = reviews::presets(tx, tenant).await?;
                Ok((presets, reviews::voters(tx, tenant).await?))
            })
        })
        .await?;
    Ok(ListPage {
        layout: Layout::signed_in(&ctx, &visit, "Go/no-go policies", "settings"),
        can_plan: visit.tenant()?.role.can_plan(),
        policies: presets
            .iter()
            .map(|p| PolicyView::new(p, &members))
            .collect(),
        slug,
    })
}

// ------------------------------------------------------------------ form

#[derive(Deserialize, Clone, Default)]
pub struct PolicyForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
    /// The policy editor's text ([`domain::parse_policy`]).
    #[serde(default)]
    policy: String,
    #[serde(default)]
    revision: i32,
}

/// A valid form.
#[derive(Debug)]
struct Draft {
    name: String,
    description: String,
    policy: Policy,
}

impl PolicyForm {
    fn of(p: &Preset, members: &[Member]) -> Self {
        Self {
            name: p.name.clone(),
            description: p.description.clone(),
            policy: domain::policy_text(&p.policy, members),
            revision: p.revision,
        }
    }

    /// Checks every field; the policy's lines name members, hence `members`.
    /// `parse_policy` also applies `Policy::validate`, on the last line.
    fn parse(&self, members: &[Member]) -> Result<Draft, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            e.add("name", "enter a name of 1 to 100 characters");
        }
        let description = self.description.trim();
        if description.chars().count() > 2000 {
            e.add("description", "keep the description under 2,000 characters");
        }
        let policy = match domain::parse_policy(&self.policy, members) {
            Ok(p) => Some(p),
            Err(lines) => {
                e.add("policy", line_errors_message(&lines));
                None
            }
        };
        match policy {
            Some(policy) if e.is_empty() => Ok(Draft {
                name: name.to_owned(),
                description: description.to_owned(),
                policy,
            }),
            _ => Err(e),
        }
    }
}

#[derive(askama::Template, WebTemplate)]
#[template(path = "settings/policies/form.html")]
pub struct FormPage {
    layout: Layout,
    slug: String,
    /// Where the form posts.
    action: String,
    /// The delete page of a stored policy.
    delete: Option<String>,
    is_new: bool,
    form: PolicyForm,
    errors: FieldErrors,
    /// The members who can vote, as `email (name, role)`.
    voters: Vec<String>,
    /// The stored policy, shown above the form after a stale edit.
    current: Option<PolicyView>,
    history: Vec<HistoryRow>,
}

/// What a form page reads besides the form: the members (who can vote,
/// and whom the policy's lines name) and the record's history.
struct Extras {
    members: Vec<Member>,
    history: Vec<Event>,
}

async fn extras(tx: &mut Tx, tenant: TenantId, id: Option<Uuid>) -> Result<Extras, AppError> {
    let members = reviews::voters(tx, tenant).await?;
    let history = match id {
        Some(id) => audit::history(tx, tenant, ENTITY, &id.to_string(), 50).await?,
        None => Vec::new(),
    };
    Ok(Extras { members, history })
}

fn form_page(
    ctx: &Ctx,
    visit: &Visit,
    id: Option<Uuid>,
    form: PolicyForm,
    errors: FieldErrors,
    extras: Extras,
) -> Result<FormPage, AppError> {
    let slug = visit.tenant()?.slug.clone();
    let (title, action, delete) = match id {
        None => (
            "New go/no-go policy".to_owned(),
            format!("{}/new", list_url(&slug)),
            None,
        ),
        Some(id) => (
            format!("Edit policy {}", form.name.trim()),
            format!("{}/{id}/edit", list_url(&slug)),
            Some(format!("{}/{id}/delete", list_url(&slug))),
        ),
    };
    Ok(FormPage {
        layout: Layout::signed_in(ctx, visit, title, "settings"),
        action,
        delete,
        is_new: id.is_none(),
        form,
        errors,
        voters: voter_lines(&extras.members),
        current: None,
        history: history_rows(extras.history, viewer_zone(visit)),
        slug,
    })
}

pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
) -> Result<FormPage, AppError> {
    let (visit, extras) = ctx
        .enter(&state, Some(&slug), |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                extras(tx, tenant.id, None).await
            })
        })
        .await?;
    let form = PolicyForm {
        policy: "Stage: QA\n  QA lead: required 1 of approvers\nStage: Business\n  required 2 of approvers\n"
            .to_owned(),
        ..PolicyForm::default()
    };
    form_page(&ctx, &visit, None, form, FieldErrors::new(), extras)
}

/// The name field's message when another policy has the name.
fn name_taken() -> FieldErrors {
    let mut e = FieldErrors::new();
    e.add("name", "another policy has this name; choose another");
    e
}

pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Form(form): Form<PolicyForm>,
) -> Result<Response, AppError> {
    let f = form.clone();
    let (visit, (extras, outcome)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                require(tenant, Role::can_plan, PLAN)?;
                let extras = extras(tx, tenant.id, None).await?;
                let draft = match f.parse(&extras.members) {
                    Ok(d) => d,
                    Err(errors) => return Ok((extras, Err(errors))),
                };
                let id = Uuid::now_v7();
                let created = reviews::create_preset(
                    tx,
                    tenant.id,
                    id,
                    &draft.name,
                    &draft.description,
                    &draft.policy,
                )
                .await?;
                if !created {
                    return Ok((extras, Err(name_taken())));
                }
                audit::record(
                    tx,
                    NewEvent::by(visit, "review_policy.created", ENTITY, id).after(snapshot(
                        &draft.name,
                        &draft.description,
                        &draft.policy,
                        &extras.members,
                    )),
                )
                .await?;
                Ok((extras, Ok(draft.name)))
            })
        })
        .await?;
    match outcome {
        Ok(name) => Ok(redirect_with_flash(
            &state,
            &list_url(&slug),
            &Flash::success(format!("Policy “{name}” created.")),
        )),
        Err(errors) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&ctx, &visit, None, form, errors, extras)?,
        )),
    }
}

/// The policy `id` for a change by a planner.
async fn for_change(tx: &mut Tx, visit: &Visit, id: Uuid) -> Result<Preset, AppError> {
    let tenant = visit.tenant()?;
    require(tenant, Role::can_plan, PLAN)?;
    reviews::preset(tx, tenant.id, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<FormPage, AppError> {
    let id = id_of(&id)?;
    let (visit, (preset, extras)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let preset = for_change(tx, visit, id).await?;
                Ok((preset, extras(tx, visit.tenant()?.id, Some(id)).await?))
            })
        })
        .await?;
    let form = PolicyForm::of(&preset, &extras.members);
    form_page(&ctx, &visit, Some(id), form, FieldErrors::new(), extras)
}

enum Updated {
    Saved(String),
    Invalid(FieldErrors),
    Stale(Preset),
}

pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<PolicyForm>,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let f = form.clone();
    let (visit, (extras, outcome)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let current = for_change(tx, visit, id).await?;
                let tenant = visit.tenant()?.id;
                // Read before writing: a unique violation ends the transaction.
                let extras = extras(tx, tenant, Some(id)).await?;
                let draft = match f.parse(&extras.members) {
                    Ok(d) => d,
                    Err(errors) => return Ok((extras, Updated::Invalid(errors))),
                };
                let saved = reviews::update_preset(
                    tx,
                    tenant,
                    id,
                    f.revision,
                    &draft.name,
                    &draft.description,
                    &draft.policy,
                )
                .await;
                match saved {
                    Err(DbError::StaleVersion) => return Ok((extras, Updated::Stale(current))),
                    Err(e) if e.is_unique_violation(POLICY_NAME_UNIQUE) => {
                        return Ok((extras, Updated::Invalid(name_taken())));
                    }
                    other => other?,
                };
                audit::record(
                    tx,
                    NewEvent::by(visit, "review_policy.updated", ENTITY, id)
                        .before(snapshot(
                            &current.name,
                            &current.description,
                            &current.policy,
                            &extras.members,
                        ))
                        .after(snapshot(
                            &draft.name,
                            &draft.description,
                            &draft.policy,
                            &extras.members,
                        )),
                )
                .await?;
                Ok((extras, Updated::Saved(draft.name)))
            })
        })
        .await?;
    match outcome {
        Updated::Saved(name) => Ok(redirect_with_flash(
            &state,
            &list_url(&slug),
            &Flash::success(format!("Policy “{name}” saved.")),
        )),
        Updated::Invalid(errors) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            form_page(&ctx, &visit, Some(id), form, errors, extras)?,
        )),
        Updated::Stale(current) => {
            let view = PolicyView::new(&current, &extras.members);
            let mut page = form_page(&ctx, &visit, Some(id), form, FieldErrors::new(), extras)?;
            page.form.revision = current.revision;
            page.current = Some(view);
            page.layout.flash = Some(Flash::error(
                "Someone else changed this policy while you were editing. Your input is kept \
                 below; the current policy is shown above it. Save again to apply yours.",
            ));
            Ok(with_status(StatusCode::CONFLICT, page))
        }
    }
}

// ---------------------------------------------------------------- delete

#[derive(askama::Template, WebTemplate)]
#[template(path = "settings/policies/delete.html")]
pub struct DeletePage {
    layout: Layout,
    slug: String,
    policy: PolicyView,
    /// The revision the person confirms deleting.
    revision: i32,
}

#[derive(Deserialize, Default)]
pub struct DeleteForm {
    #[serde(default)]
    revision: i32,
}

fn delete_page(
    ctx: &Ctx,
    visit: &Visit,
    preset: &Preset,
    members: &[Member],
) -> Result<DeletePage, AppError> {
    Ok(DeletePage {
        layout: Layout::signed_in(ctx, visit, "Delete policy", "settings"),
        slug: visit.tenant()?.slug.clone(),
        policy: PolicyView::new(preset, members),
        revision: preset.revision,
    })
}

pub async fn confirm_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
) -> Result<DeletePage, AppError> {
    let id = id_of(&id)?;
    let (visit, (preset, members)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let preset = for_change(tx, visit, id).await?;
                Ok((preset, reviews::voters(tx, visit.tenant()?.id).await?))
            })
        })
        .await?;
    delete_page(&ctx, &visit, &preset, &members)
}

pub async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<DeleteForm>,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let revision = form.revision;
    let (visit, (current, members, deleted)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let current = for_change(tx, visit, id).await?;
                let tenant = visit.tenant()?.id;
                let members = reviews::voters(tx, tenant).await?;
                match reviews::delete_preset(tx, tenant, id, revision).await {
                    Err(DbError::StaleVersion) => return Ok((current, members, false)),
                    other => other?,
                }
                audit::record(
                    tx,
                    NewEvent::by(visit, "review_policy.deleted", ENTITY, id).before(snapshot(
                        &current.name,
                        &current.description,
                        &current.policy,
                        &members,
                    )),
                )
                .await?;
                Ok((current, members, true))
            })
        })
        .await?;
    if deleted {
        return Ok(redirect_with_flash(
            &state,
            &list_url(&slug),
            &Flash::success(format!("Policy “{}” deleted.", current.name)),
        ));
    }
    let mut page = delete_page(&ctx, &visit, &current, &members)?;
    page.layout.flash = Some(Flash::error(
        "Someone else changed this policy since you opened this page. Check the current policy \
         below and confirm again to delete it.",
    ));
    Ok(with_status(StatusCode::CONFLICT, page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use almanac_domain::UserId;

    fn members() -> Vec<Member> {
        vec![Member {
            user: UserId(Uuid::nil()),
            role: Role::Approver,
            email: "qa@example.com".to_owned(),
            name: "Quinn".to_owned(),
        }]
    }

    #[test]
    fn a_form_reports_every_field_with_line_numbers() {
        let form = PolicyForm {
            name: "x".repeat(101),
            description: "d".repeat(2001),
            policy: "Stage: QA\n  required 1 of nobody@example.com".to_owned(),
            ..PolicyForm::default()
        };
        let errors = form.parse(&members()).expect_err("invalid");
        assert_eq!(errors.len(), 3);
        assert!(
            errors.get("policy").starts_with("line 2: "),
            "{}",
            errors.get("policy")
        );
    }

    #[test]
    fn the_audit_snapshot_lists_lines_naming_members_by_email() {
        let form = PolicyForm {
            name: " Standard CAB ".to_owned(),
            policy: "Stage: QA\n  QA lead: required 1 of qa@example.com\n".to_owned(),
            ..PolicyForm::default()
        };
        let draft = form.parse(&members()).expect("valid");
        assert_eq!(
            snapshot(&draft.name, &draft.description, &draft.policy, &members()),
            json!({"name": "Standard CAB", "description": "",
                   "policy": ["Stage: QA", "QA lead: required 1 of qa@example.com"]})
        );
    }
}
