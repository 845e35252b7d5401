//! One review round: its votes, tally per stage and rule, decision,
//! readiness evidence and history; voting and closing.

use super::{Computed, VoteRow, compute, duties, review_url, vote_rows, zone};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::runbook::id_of;
use crate::handlers::{redirect_with_flash, require, scheduling, with_status};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use crate::view::{HistoryRow, history_rows};
use almanac_db::audit::{self, NewEvent};
use almanac_db::deployments as deployment_db;
use almanac_db::releases::{self, Release};
use almanac_db::reviews::{self, Cast, Lock, Review, Vote};
use almanac_db::{Tx, Visit};
use almanac_domain::release::{Facts, Transition};
use almanac_domain::review::{self as domain, Ballot, Choice, Decision, Member};
use almanac_domain::time::local_datetime;
use almanac_domain::{FieldErrors, Role, TenantId};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

/// A conflict of the release, for the readiness panel.
pub struct ConflictLine {
    pub severity: &'static str,
    pub badge: &'static str,
    pub environment: String,
    pub message: String,
}

/// Everything the review page shows, read in one transaction.
struct Loaded {
    release: Release,
    review: Review,
    votes: Vec<Vote>,
    members: Vec<Member>,
    milestones: (usize, usize),
    steps: (usize, usize),
    conflicts: Vec<ConflictLine>,
    history: Vec<audit::Event>,
    later_round: Option<i32>,
}

async fn load(
    tx: &mut Tx,
    tenant: TenantId,
    release_id: Uuid,
    round: i32,
) -> Result<Loaded, AppError> {
    let release = releases::get(tx, tenant, release_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let review = reviews::get(tx, tenant, release_id, round, Lock::None)
        .await?
        .ok_or(AppError::NotFound)?;
    let votes = reviews::votes(tx, tenant, &[review.id])
        .await?
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    let members = reviews::voters(tx, tenant).await?;
    let readiness = reviews::readiness(tx, tenant, release_id).await?;
    let deployments = deployment_db::list(tx, tenant, release_id).await?;
    let found =
        scheduling::release_conflicts(tx, tenant, release_id, &deployments, Utc::now()).await?;
    let mut conflicts = Vec::new();
    for d in &deployments {
        for c in found.get(&d.id).into_iter().flatten() {
            conflicts.push(ConflictLine {
                severity: c.severity.label(),
                badge: c.severity.badge(),
                environment: d.environment_name.clone(),
                message: c.message.clone(),
            });
        }
    }
    let history = audit::history(tx, tenant, "review", &review.id.to_string(), 200).await?;
    let later_round = reviews::rounds(tx, tenant, release_id)
        .await?
        .first()
        .map(|r| r.round)
        .filter(|r| *r > round);
    Ok(Loaded {
        release,
        review,
        votes,
        members,
        milestones: readiness.0,
        steps: readiness.1,
        conflicts,
        history,
        later_round,
    })
}

#[derive(Deserialize, Default, Clone)]
pub struct VoteForm {
    #[serde(default)]
    choice: String,
    #[serde(default)]
    comment: String,
    /// `board` to come back to the board.
    #[serde(default)]
    next: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct CloseForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    revision: i32,
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    print: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "reviews/show.html")]
pub struct ReviewPage {
    layout: Layout,
    slug: String,
    print: bool,
    release_id: Uuid,
    release_label: String,
    release_title: String,
    release_status: &'static str,
    release_badge: &'static str,
    release_owner: String,
    go_live: String,
    round: i32,
    kind: &'static str,
    meeting: String,
    policy_name: String,
    opened: String,
    closed: bool,
    /// The recorded decision when closed, else the computed one.
    decision: &'static str,
    decision_badge: &'static str,
    /// What the votes gave when it was closed (when it was overridden).
    computed_at_close: &'static str,
    overridden: bool,
    override_reason: String,
    closed_line: String,
    c: Computed,
    votes: Vec<VoteRow>,
    milestones: (usize, usize),
    steps: (usize, usize),
    conflicts: Vec<ConflictLine>,
    history: Vec<HistoryRow>,
    can_close: bool,
    can_reopen: bool,
    later_round: Option<i32>,
    action: String,
    vote_form: VoteForm,
    close_form: CloseForm,
    errors: FieldErrors,
    /// A plain-words summary of the policy for the print view.
    policy_text: String,
}

fn page(
    ctx: &Ctx,
    visit: &Visit,
    l: Loaded,
    print: bool,
    vote_form: VoteForm,
    close_form: CloseForm,
    errors: FieldErrors,
) -> Result<ReviewPage, AppError> {
    let t = visit.tenant()?;
    let slug = t.slug.clone();
    let zone = zone(visit);
    let votes: Vec<&Vote> = l.votes.iter().collect();
    let d = duties(&l.review, l.release.owner_id, t.allow_self_approval);
    let c = compute(&l.review, &votes, &l.members, &d, visit.user.id);
    let decision = l.review.decision.unwrap_or(c.tally.decision);
    let label = format!("{} {}", l.release.product_key, l.release.version);
    let can_plan = t.role.can_plan();
    let close_form = if close_form.revision == 0 {
        CloseForm {
            decision: match c.tally.decision {
                Decision::NoGo => "no_go".to_owned(),
                _ => "go".to_owned(),
            },
            revision: l.review.revision,
            ..close_form
        }
    } else {
        close_form
    };
    let vote_form = if vote_form.choice.is_empty() {
        VoteForm {
            choice: c.my_vote.map(|v| v.as_str().to_owned()).unwrap_or_default(),
            comment: l
                .votes
                .iter()
                .find(|v| v.voter == visit.user.id)
                .map(|v| v.comment.clone())
                .unwrap_or_default(),
            ..vote_form
        }
    } else {
        vote_form
    };
    Ok(ReviewPage {
        layout: Layout::signed_in(
            ctx,
            visit,
            format!("{label}: review round {}", l.review.round),
            "board",
        ),
        action: review_url(&slug, l.release.id, l.review.round),
        print,
        release_id: l.release.id,
        release_title: l.release.title.clone(),
        release_status: l.release.status.label(),
        release_badge: l.release.status.badge(),
        release_owner: l
            .release
            .owner_name
            .clone()
            .unwrap_or_else(|| "—".to_owned()),
        go_live: l
            .release
            .go_live
            .map_or_else(|| "not scheduled".to_owned(), |g| local_datetime(g, &zone)),
        round: l.review.round,
        kind: l.review.kind.label(),
        meeting: l
            .review
            .meeting_at
            .map_or_else(|| "none set".to_owned(), |m| local_datetime(m, &zone)),
        policy_name: l.review.policy_name.clone(),
        policy_text: domain::policy_text(&l.review.policy, &l.members),
        opened: format!(
            "{} by {}",
            local_datetime(l.review.opened_at, &zone),
            l.review
                .opened_by_name
                .clone()
                .unwrap_or_else(|| "—".to_owned())
        ),
        closed: l.review.is_closed(),
        decision: decision.label(),
        decision_badge: decision.badge(),
        computed_at_close: l.review.computed_decision.map_or("", Decision::label),
        overridden: l.review.decision.is_some() && l.review.decision != l.review.computed_decision,
        override_reason: l.review.override_reason.clone(),
        closed_line: l.review.closed_at.map_or_else(String::new, |at| {
            format!(
                "{} by {}",
                local_datetime(at, &zone),
                l.review
                    .closed_by_name
                    .clone()
                    .unwrap_or_else(|| "—".to_owned())
            )
        }),
        votes: vote_rows(&votes, &zone),
        c,
        milestones: l.milestones,
        steps: l.steps,
        conflicts: l.conflicts,
        history: history_rows(l.history, &zone),
        can_close: can_plan && !l.review.is_closed(),
        can_reopen: can_plan && l.review.is_closed() && l.later_round.is_none(),
        later_round: l.later_round,
        release_label: label,
        vote_form,
        close_form,
        errors,
        slug,
    })
}

/// The round number from the URL (anything else names nothing).
fn round_of(s: &str) -> Result<i32, AppError> {
    s.parse::<i32>()
        .ok()
        .filter(|r| *r >= 1)
        .ok_or(AppError::NotFound)
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, round)): Path<(String, String, String)>,
    Query(q): Query<ShowQuery>,
) -> Result<ReviewPage, AppError> {
    let (id, round) = (id_of(&id)?, round_of(&round)?);
    let (visit, loaded) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move { load(tx, visit.tenant()?.id, id, round).await })
        })
        .await?;
    page(
        &ctx,
        &visit,
        loaded,
        !q.print.is_empty(),
        VoteForm::default(),
        CloseForm::default(),
        FieldErrors::new(),
    )
}

/// Today's members and the tally of `review`'s votes, read in the
/// transaction that holds the review's lock (voting and closing decide on
/// what they see, not on the page the person loaded).
async fn tally_now(
    tx: &mut Tx,
    tenant: TenantId,
    review: &Review,
    duties: &domain::Duties,
) -> Result<(Vec<Member>, domain::Tally), AppError> {
    let members = reviews::voters(tx, tenant).await?;
    let votes: Vec<Vote> = reviews::votes(tx, tenant, &[review.id])
        .await?
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    let refs: Vec<&Vote> = votes.iter().collect();
    let tally = domain::decide(&review.policy, &members, duties, &super::choices(&refs));
    Ok((members, tally))
}

/// What a vote did.
enum Voted {
    Done(Cast, Choice),
    Refused(Box<Loaded>, FieldErrors),
}

pub async fn vote(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, round)): Path<(String, String, String)>,
    Form(form): Form<VoteForm>,
) -> Result<Response, AppError> {
    let (id, round) = (id_of(&id)?, round_of(&round)?);
    let f = form.clone();
    let (visit, outcome) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let t = visit.tenant()?;
                require(t, Role::can_vote, "vote on reviews")?;
                let tenant = t.id;
                // The share lock: votes go in side by side, never while the
                // review is being closed.
                let review = reviews::get(tx, tenant, id, round, Lock::Share)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let release = releases::get(tx, tenant, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let d = duties(&review, release.owner_id, t.allow_self_approval);
                let (members, tally) = tally_now(tx, tenant, &review, &d).await?;
                if let Err(why) = domain::may_vote(
                    &review.policy,
                    &tally,
                    &members,
                    &d,
                    visit.user.id,
                    review.is_closed(),
                ) {
                    return Err(AppError::Forbidden(why.to_string()));
                }
                let mut errors = FieldErrors::new();
                let ballot = match Choice::parse(&f.choice) {
                    None => {
                        errors.add("choice", "Choose go, no-go or abstain.");
                        None
                    }
                    Some(choice) => errors.check("comment", Ballot::new(choice, &f.comment)),
                };
                let Some(ballot) = ballot else {
                    return Ok(Voted::Refused(
                        Box::new(load(tx, tenant, id, round).await?),
                        errors,
                    ));
                };
                let cast = reviews::cast(
                    tx,
                    tenant,
                    review.id,
                    visit.user.id,
                    ballot.choice,
                    &ballot.comment,
                )
                .await?;
                if cast != Cast::Same {
                    let before = match &cast {
                        Cast::Changed { before } => {
                            Some(json!({"vote": before.0.as_str(), "comment": before.1}))
                        }
                        _ => None,
                    };
                    let mut event = NewEvent::by(
                        visit,
                        if before.is_some() {
                            "vote.changed"
                        } else {
                            "vote.cast"
                        },
                        "review",
                        review.id,
                    )
                    .after(json!({
                        "voter": visit.user.display_name,
                        "vote": ballot.choice.as_str(),
                        "comment": ballot.comment,
                    }));
                    event.before = before;
                    audit::record(tx, event).await?;
                    reviews::outbox(
                        tx,
                        tenant,
                        "review.vote_cast",
                        json!({
                            "review_id": review.id,
                            "release_id": id,
                            "round": round,
                            "voter_id": visit.user.id.0,
                            "voter": visit.user.email,
                            "vote": ballot.choice.as_str(),
                            "comment": ballot.comment,
                            "changed": matches!(cast, Cast::Changed { .. }),
                        }),
                    )
                    .await?;
                }
                Ok(Voted::Done(cast, ballot.choice))
            })
        })
        .await?;
    match outcome {
        Voted::Done(cast, choice) => {
            let to = if form.next == "board" {
                format!("/{slug}/board")
            } else {
                review_url(&slug, id, round)
            };
            let message = match cast {
                Cast::First => format!("Your vote ({}) is recorded.", choice.label()),
                Cast::Changed { .. } => format!("Your vote is now {}.", choice.label()),
                Cast::Same => format!("Your vote was already {}.", choice.label()),
            };
            Ok(redirect_with_flash(&state, &to, &Flash::success(message)))
        }
        Voted::Refused(loaded, errors) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            page(
                &ctx,
                &visit,
                *loaded,
                false,
                form,
                CloseForm::default(),
                errors,
            )?,
        )),
    }
}

/// What closing did.
enum Closed {
    Done(Decision, bool),
    Refused(Box<Loaded>, FieldErrors),
    Stale(Box<Loaded>),
}

pub async fn close(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, round)): Path<(String, String, String)>,
    Form(form): Form<CloseForm>,
) -> Result<Response, AppError> {
    let (id, round) = (id_of(&id)?, round_of(&round)?);
    let f = form.clone();
    let (visit, outcome) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let t = visit.tenant()?;
                require(t, Role::can_plan, "close go/no-go reviews")?;
                let tenant = t.id;
                let release = releases::lock(tx, tenant, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let review = reviews::get(tx, tenant, id, round, Lock::Update)
                    .await?
                    .ok_or(AppError::NotFound)?;
                if review.is_closed() || review.revision != f.revision {
                    return Ok(Closed::Stale(Box::new(load(tx, tenant, id, round).await?)));
                }
                let d = duties(&review, release.owner_id, t.allow_self_approval);
                let computed = tally_now(tx, tenant, &review, &d).await?.1.decision;
                let mut errors = FieldErrors::new();
                let chosen = Decision::parse(&f.decision).unwrap_or(Decision::Pending);
                let closing = errors.check("reason", domain::close(computed, chosen, &f.reason));
                let next = closing.as_ref().and_then(|c| {
                    let decision = c.decision.release_decision()?;
                    errors.check(
                        "decision",
                        Transition::Decide(decision).apply(
                            release.status,
                            Facts {
                                has_go_live: release.go_live.is_some(),
                            },
                        ),
                    )
                });
                let (Some(closing), Some(next)) = (closing, next) else {
                    return Ok(Closed::Refused(
                        Box::new(load(tx, tenant, id, round).await?),
                        errors,
                    ));
                };
                reviews::close(
                    tx,
                    tenant,
                    review.id,
                    review.revision,
                    closing.decision,
                    computed,
                    &closing.reason,
                    visit.user.id,
                )
                .await?;
                releases::set_status(tx, tenant, id, release.revision, next, None).await?;
                let after = json!({
                    "decision": closing.decision.as_str(),
                    "computed": computed.as_str(),
                    "override_reason": closing.reason,
                    "round": round,
                });
                audit::record(
                    tx,
                    NewEvent::by(visit, "review.closed", "review", review.id).after(after.clone()),
                )
                .await?;
                audit::record(
                    tx,
                    NewEvent::by(visit, "release.status_changed", "release", id)
                        .before(json!({"status": release.status.as_str()}))
                        .after(json!({
                            "status": next.as_str(),
                            "review_round": round,
                        })),
                )
                .await?;
                reviews::outbox(
                    tx,
                    tenant,
                    "review.decided",
                    json!({
                        "review_id": review.id,
                        "release_id": id,
                        "round": round,
                        "decision": closing.decision.as_str(),
                        "computed": computed.as_str(),
                        "overridden": closing.overridden,
                        "override_reason": closing.reason,
                        "release_status": next.as_str(),
                        "closed_by": visit.user.email,
                    }),
                )
                .await?;
                Ok(Closed::Done(closing.decision, closing.overridden))
            })
        })
        .await?;
    match outcome {
        Closed::Done(decision, overridden) => Ok(redirect_with_flash(
            &state,
            &review_url(&slug, id, round),
            &Flash::success(format!(
                "Review round {round} closed: {}{}. The release is now {}.",
                decision.label(),
                if overridden {
                    " (against the votes)"
                } else {
                    ""
                },
                if decision == Decision::Go {
                    "approved"
                } else {
                    "rejected"
                }
            )),
        )),
        Closed::Refused(loaded, errors) => Ok(with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            page(
                &ctx,
                &visit,
                *loaded,
                false,
                VoteForm::default(),
                form,
                errors,
            )?,
        )),
        Closed::Stale(loaded) => {
            let mut errors = FieldErrors::new();
            errors.add(
                "decision",
                "This review changed while you were deciding (someone closed it or it was reopened): look at it again before closing.",
            );
            let mut p = page(
                &ctx,
                &visit,
                *loaded,
                false,
                VoteForm::default(),
                CloseForm::default(),
                errors,
            )?;
            p.close_form.reason = form.reason;
            Ok((StatusCode::CONFLICT, p).into_response())
        }
    }
}
