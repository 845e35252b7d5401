//! Opening a review round on a release: kind, meeting time, and a policy
//! (a tenant preset, or written in the policy editor's text).

use super::{review_url, zone};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::runbook::id_of;
use crate::handlers::{redirect_with_flash, require, with_status};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use almanac_db::audit::{self, NewEvent};
use almanac_db::releases::{self, Release};
use almanac_db::reviews::{self, NewReview, Preset};
use almanac_db::{Tx, Visit};
use almanac_domain::FieldErrors;
use almanac_domain::release::ReleaseStatus;
use almanac_domain::review::{self as domain, Duties, Member, Policy, ReviewKind};
use almanac_domain::template::line_errors_message;
use almanac_domain::time::parse_local_input;
use almanac_domain::{Role, TenantId};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

const PLAN: &str = "open go/no-go reviews";

#[derive(Deserialize, Default, Clone)]
pub struct OpenForm {
    #[serde(default)]
    kind: String,
    /// `datetime-local` in the viewer's zone, or "".
    #[serde(default)]
    meeting: String,
    /// A preset's id, or "" to use the written policy.
    #[serde(default)]
    preset: String,
    /// The policy editor's text (used when not empty).
    #[serde(default)]
    policy: String,
    /// The name of a written policy.
    #[serde(default)]
    policy_name: String,
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    /// Start from this round's kind and policy (reopening).
    #[serde(default)]
    from: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reviews/new.html")]
pub struct NewPage {
    layout: Layout,
    slug: String,
    release_id: Uuid,
    release_label: String,
    /// Why a review cannot be opened now, if it cannot.
    blocked: Option<String>,
    kinds: Vec<(&'static str, &'static str, bool)>,
    presets: Vec<PresetOption>,
    form: OpenForm,
    errors: FieldErrors,
    zone: String,
    /// The members who can vote, as `email (name, role)`, for the editor.
    voters: Vec<String>,
}

pub struct PresetOption {
    pub id: String,
    pub name: String,
    pub text: String,
    pub selected: bool,
}

struct Context {
    release: Release,
    presets: Vec<Preset>,
    members: Vec<Member>,
    open_round: Option<i32>,
    from: Option<(ReviewKind, String, String)>,
}

async fn context(
    tx: &mut Tx,
    visit: &Visit,
    id: Uuid,
    from: Option<i32>,
) -> Result<(TenantId, Context), AppError> {
    let t = visit.tenant()?;
    require(t, Role::can_plan, PLAN)?;
    let release = releases::get(tx, t.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let presets = reviews::presets(tx, t.id).await?;
    let members = reviews::voters(tx, t.id).await?;
    let rounds = reviews::rounds(tx, t.id, id).await?;
    let open_round = rounds.iter().find(|r| !r.is_closed()).map(|r| r.round);
    let from = from
        .and_then(|n| rounds.iter().find(|r| r.round == n))
        .map(|r| {
            (
                r.kind,
                r.policy_name.clone(),
                domain::policy_text(&r.policy, &members),
            )
        });
    Ok((
        t.id,
        Context {
            release,
            presets,
            members,
            open_round,
            from,
        },
    ))
}

/// Why `release` cannot get a review now.
fn blocked(release: &Release) -> Option<String> {
    match release.status {
        ReleaseStatus::Scheduled | ReleaseStatus::Rejected => None,
        ReleaseStatus::Planned => Some(
            "Schedule the release first (give its production deployment times and press Schedule): closing a go/no-go review approves or rejects a scheduled release."
                .to_owned(),
        ),
        other => Some(format!(
            "A release that is {} cannot be reviewed: go/no-go reviews decide scheduled (or rejected) releases.",
            other.label().to_lowercase()
        )),
    }
}

fn new_page(
    ctx: &Ctx,
    visit: &Visit,
    c: &Context,
    form: OpenForm,
    errors: FieldErrors,
) -> Result<NewPage, AppError> {
    let slug = visit.tenant()?.slug.clone();
    let label = format!("{} {}", c.release.product_key, c.release.version);
    Ok(NewPage {
        layout: Layout::signed_in(ctx, visit, format!("Open a review of {label}"), "board"),
        release_id: c.release.id,
        release_label: label,
        blocked: blocked(&c.release),
        kinds: ReviewKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label(), form.kind == k.as_str()))
            .collect(),
        presets: c
            .presets
            .iter()
            .map(|p| PresetOption {
                id: p.id.to_string(),
                name: p.name.clone(),
                text: domain::policy_text(&p.policy, &c.members),
                selected: form.preset == p.id.to_string(),
            })
            .collect(),
        zone: zone(visit),
        voters: c
            .members
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
            .collect(),
        form,
        errors,
        slug,
    })
}

pub async fn new(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let from = q.from.parse::<i32>().ok();
    let (visit, (_, c)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(context(tx, visit, id, from))
        })
        .await?;
    if let Some(round) = c.open_round {
        return Ok(redirect_with_flash(
            &state,
            &review_url(&slug, id, round),
            &Flash::info(format!(
                "Round {round} is still open: close it before opening another."
            )),
        ));
    }
    let form = match &c.from {
        Some((kind, name, text)) => OpenForm {
            kind: kind.as_str().to_owned(),
            policy: text.clone(),
            policy_name: name.clone(),
            ..OpenForm::default()
        },
        None => OpenForm {
            kind: ReviewKind::GoNoGo.as_str().to_owned(),
            preset: c
                .presets
                .first()
                .map(|p| p.id.to_string())
                .unwrap_or_default(),
            ..OpenForm::default()
        },
    };
    Ok(axum::response::IntoResponse::into_response(new_page(
        &ctx,
        &visit,
        &c,
        form,
        FieldErrors::new(),
    )?))
}

/// The policy the form asks for, with its name.
fn chosen_policy(
    form: &OpenForm,
    c: &Context,
    errors: &mut FieldErrors,
) -> Option<(String, Policy)> {
    if !form.policy.trim().is_empty() {
        let name = form.policy_name.trim();
        let name = if name.is_empty() {
            "Written for this review".to_owned()
        } else if name.chars().count() > 100 {
            errors.add("policy_name", "Keep the name under 100 characters.");
            return None;
        } else {
            name.to_owned()
        };
        return match domain::parse_policy(&form.policy, &c.members) {
            Ok(policy) => Some((name, policy)),
            Err(lines) => {
                errors.add("policy", line_errors_message(&lines));
                None
            }
        };
    }
    match Uuid::parse_str(form.preset.trim())
        .ok()
        .and_then(|id| c.presets.iter().find(|p| p.id == id))
    {
        Some(p) => Some((p.name.clone(), p.policy.clone())),
        None => {
            errors.add(
                "preset",
                "Choose one of the organisation's policies, or write one below.",
            );
            None
        }
    }
}

enum Opened {
    Done(i32),
    AlreadyOpen(i32),
    Invalid(Box<Context>, FieldErrors),
}

pub async fn open(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id)): Path<(String, String)>,
    Form(form): Form<OpenForm>,
) -> Result<Response, AppError> {
    let id = id_of(&id)?;
    let f = form.clone();
    let (visit, outcome) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let (tenant, c) = context(tx, visit, id, None).await?;
                // The release's lock orders this with other openings and
                // with status changes.
                releases::lock(tx, tenant, id).await?;
                if let Some(round) = c.open_round {
                    return Ok(Opened::AlreadyOpen(round));
                }
                let zone = zone(visit);
                let mut errors = FieldErrors::new();
                if let Some(why) = blocked(&c.release) {
                    errors.add("kind", why);
                }
                let kind = ReviewKind::parse(&f.kind);
                if kind.is_none() {
                    errors.add("kind", "Choose what kind of review this is.");
                }
                let meeting = if f.meeting.trim().is_empty() {
                    Some(None)
                } else {
                    errors
                        .check("meeting", parse_local_input(&f.meeting, &zone))
                        .map(Some)
                };
                let chosen = chosen_policy(&f, &c, &mut errors);
                if let Some((_, policy)) = &chosen {
                    let duties = Duties {
                        release_owner: c.release.owner_id,
                        opener: Some(visit.user.id),
                        allow_self_approval: visit.tenant()?.allow_self_approval,
                    };
                    let problems = policy.undecidable(&c.members, &duties);
                    if !problems.is_empty() {
                        errors.add(
                            if f.policy.trim().is_empty() {
                                "preset"
                            } else {
                                "policy"
                            },
                            format!(
                                "This review could never be decided: {}.",
                                problems.join("; ")
                            ),
                        );
                    }
                }
                let (Some(kind), Some(meeting), Some((name, policy)), true) =
                    (kind, meeting, chosen, errors.is_empty())
                else {
                    return Ok(Opened::Invalid(Box::new(c), errors));
                };
                let Some((review_id, round)) = reviews::open(
                    tx,
                    tenant,
                    &NewReview {
                        release: id,
                        kind,
                        meeting_at: meeting,
                        policy_name: &name,
                        policy: &policy,
                        opened_by: visit.user.id,
                    },
                )
                .await?
                else {
                    return Ok(Opened::AlreadyOpen(
                        reviews::rounds(tx, tenant, id)
                            .await?
                            .first()
                            .map_or(1, |r| r.round),
                    ));
                };
                let after = json!({
                    "round": round,
                    "kind": kind.as_str(),
                    "policy": name,
                    "meeting_at": meeting,
                    "release": format!("{} {}", c.release.product_key, c.release.version),
                });
                audit::record(
                    tx,
                    NewEvent::by(visit, "review.opened", "review", review_id).after(after.clone()),
                )
                .await?;
                audit::record(
                    tx,
                    NewEvent::by(visit, "review.opened", "release", id).after(after),
                )
                .await?;
                reviews::outbox(
                    tx,
                    tenant,
                    "review.opened",
                    json!({
                        "review_id": review_id,
                        "release_id": id,
                        "round": round,
                        "kind": kind.as_str(),
                        "policy_name": name,
                        "policy": policy,
                        "meeting_at": meeting,
                        "opened_by": visit.user.email,
                    }),
                )
                .await?;
                Ok(Opened::Done(round))
            })
        })
        .await?;
    match outcome {
        Opened::Done(round) => Ok(redirect_with_flash(
            &state,
            &review_url(&slug, id, round),
            &Flash::success(format!(
                "Review round {round} is open: the voters see it on the board."
            )),
        )),
        Opened::AlreadyOpen(round) => Ok(redirect_with_flash(
            &state,
            &review_url(&slug, id, round),
            &Flash::info(format!(
                "Round {round} is still open: close it before opening another."
            )),
        )),
        Opened::Invalid(c, errors) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            new_page(&ctx, &visit, &c, form, errors)?,
        )),
    }
}
