//! Go/no-go reviews of a release: open a round with a policy, vote, close
//! with (or, with a written reason, against) the computed decision; the
//! portfolio's board of open reviews. The decision is always computed
//! afresh from the votes and today's members ([`almanac_domain::review`]).
//!
//! Every change writes an audit event (entity `review`, and the release's
//! own events for its status) and an outbox event in its transaction.

mod board;
mod open;
mod show;

use crate::error::AppError;
use crate::handlers::viewer_zone;
use crate::state::AppState;
use almanac_db::reviews::{self, Review, Vote};
use almanac_db::{Tx, Visit};
use almanac_domain::review::{self as domain, Conflicted, Duties, Member, RuleTally, Tally};
use almanac_domain::time::local_datetime;
use almanac_domain::{TenantId, UserId};
use axum::Router;
use axum::routing::{get, post};
use std::collections::HashMap;
use uuid::Uuid;

pub use board::{Waiting, open_reviews};

/// The routes of this area; merged by `router::build_app`.
pub fn routes() -> Router<AppState> {
    let r = "/{tenant}/releases/{id}/reviews";
    Router::new()
        .route("/{tenant}/board", get(board::show))
        .route(r, post(open::open))
        .route(&format!("{r}/new"), get(open::new))
        .route(&format!("{r}/{{round}}"), get(show::show))
        .route(&format!("{r}/{{round}}/vote"), post(show::vote))
        .route(&format!("{r}/{{round}}/close"), post(show::close))
}

/// `/{slug}/releases/{id}/reviews/{round}`
#[must_use]
pub fn review_url(slug: &str, release: Uuid, round: i32) -> String {
    format!("/{slug}/releases/{release}/reviews/{round}")
}

/// The separation-of-duties facts of a review.
#[must_use]
pub fn duties(review: &Review, release_owner: Option<UserId>, allow_self_approval: bool) -> Duties {
    Duties {
        release_owner,
        opener: review.opened_by,
        allow_self_approval,
    }
}

/// The latest choice of each voter of a review.
fn choices(votes: &[&Vote]) -> HashMap<UserId, domain::Choice> {
    votes.iter().map(|v| (v.voter, v.choice)).collect()
}

/// A person's name among the members (or "a former member").
fn name_of(members: &[Member], user: UserId) -> String {
    members
        .iter()
        .find(|m| m.user == user)
        .map_or_else(|| "a former member".to_owned(), |m| m.name.clone())
}

/// One rule's count, with names.
pub struct RuleView {
    pub label: String,
    pub description: String,
    pub required: bool,
    pub needed: usize,
    pub go: Vec<String>,
    pub no_go: Vec<String>,
    pub abstain: Vec<String>,
    pub pending: Vec<String>,
    /// "Ana Ortiz (owns the release)".
    pub conflicted: Vec<String>,
    pub met: bool,
    pub unreachable: bool,
}

impl RuleView {
    fn of(t: &RuleTally, members: &[Member]) -> Self {
        let names = |ids: &[UserId]| ids.iter().map(|u| name_of(members, *u)).collect();
        Self {
            label: t.label.clone(),
            description: t.description.clone(),
            required: t.required,
            needed: t.needed,
            go: names(&t.go),
            no_go: names(&t.no_go),
            abstain: names(&t.abstain),
            pending: names(&t.pending),
            conflicted: t
                .conflicted
                .iter()
                .map(|(u, c)| {
                    format!(
                        "{} ({})",
                        name_of(members, *u),
                        match c {
                            Conflicted::Owner => "owns the release",
                            Conflicted::Opener => "opened the review",
                        }
                    )
                })
                .collect(),
            met: t.met,
            unreachable: t.unreachable,
        }
    }

    /// "1 of 2 go votes"
    #[must_use]
    pub fn progress(&self) -> String {
        format!(
            "{} of {} go vote{}",
            self.go.len(),
            self.needed,
            if self.needed == 1 { "" } else { "s" }
        )
    }
}

/// One stage's count, with names.
pub struct StageView {
    pub number: usize,
    pub name: String,
    pub state: &'static str,
    pub badge: &'static str,
    pub rules: Vec<RuleView>,
}

/// The tally bar: distinct people of the opened stages by choice.
#[derive(Debug, Clone, Copy, Default)]
pub struct Bar {
    pub go: usize,
    pub no_go: usize,
    pub abstain: usize,
    pub pending: usize,
}

impl Bar {
    fn of(t: &Tally) -> Self {
        let (go, no_go, abstain, pending) = t.people();
        Self {
            go,
            no_go,
            abstain,
            pending,
        }
    }

    #[must_use]
    pub fn total(&self) -> usize {
        self.go + self.no_go + self.abstain + self.pending
    }

    /// (class, x, width, count) of the bar's segments on a 0–100 scale
    /// (SVG geometry: the CSP forbids inline styles).
    #[must_use]
    pub fn segments(&self) -> Vec<(&'static str, usize, usize, usize)> {
        let total = self.total().max(1);
        let mut x = 0;
        let mut out = Vec::new();
        for (class, n) in [
            ("tb-go", self.go),
            ("tb-no-go", self.no_go),
            ("tb-abstain", self.abstain),
            ("tb-pending", self.pending),
        ] {
            if n == 0 {
                continue;
            }
            let w = n * 100 / total;
            out.push((class, x, w, n));
            x += w;
        }
        // The last segment takes what rounding left.
        if let Some(last) = out.last_mut() {
            last.2 = 100 - last.1;
        }
        out
    }

    /// "2 go · 1 no-go · 0 abstain · 3 not voted"
    #[must_use]
    pub fn words(&self) -> String {
        format!(
            "{} go · {} no-go · {} abstain · {} not voted",
            self.go, self.no_go, self.abstain, self.pending
        )
    }
}

/// A review's computed state for a viewer.
pub struct Computed {
    pub tally: Tally,
    pub stages: Vec<StageView>,
    pub bar: Bar,
    /// Names of the people the opened stages wait for.
    pub waiting_for: Vec<String>,
    /// Whether the viewer may vote now, or why not.
    pub may_vote: Result<(), String>,
    /// The viewer's own latest vote.
    pub my_vote: Option<domain::Choice>,
    /// The viewer is among those waited for.
    pub waiting_for_me: bool,
}

/// Computes `review`'s decision for `viewer` from its `votes` and today's
/// `members`.
#[must_use]
pub fn compute(
    review: &Review,
    votes: &[&Vote],
    members: &[Member],
    duties: &Duties,
    viewer: UserId,
) -> Computed {
    let by = choices(votes);
    let tally = domain::decide(&review.policy, members, duties, &by);
    let may_vote = domain::may_vote(
        &review.policy,
        &tally,
        members,
        duties,
        viewer,
        review.is_closed(),
    )
    .map_err(|e| e.to_string());
    let waiting: Vec<UserId> = if review.is_closed() {
        Vec::new()
    } else {
        tally.waiting_for()
    };
    Computed {
        stages: tally
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| StageView {
                number: i + 1,
                name: s.name.clone(),
                state: s.state.label(),
                badge: s.state.badge(),
                rules: s.rules.iter().map(|r| RuleView::of(r, members)).collect(),
            })
            .collect(),
        bar: Bar::of(&tally),
        waiting_for: waiting.iter().map(|u| name_of(members, *u)).collect(),
        waiting_for_me: waiting.contains(&viewer),
        my_vote: by.get(&viewer).copied(),
        may_vote,
        tally,
    }
}

/// A vote for display.
pub struct VoteRow {
    pub voter: String,
    pub choice: &'static str,
    pub badge: &'static str,
    pub comment: String,
    /// When it was cast or last changed (viewer's zone).
    pub when: String,
    /// "changed 2 times" or "".
    pub changed: String,
}

fn vote_rows(votes: &[&Vote], zone: &str) -> Vec<VoteRow> {
    votes
        .iter()
        .map(|v| VoteRow {
            voter: v.voter_name.clone(),
            choice: v.choice.label(),
            badge: v.choice.badge(),
            comment: v.comment.clone(),
            when: local_datetime(v.changed_at, zone),
            changed: match v.changes {
                0 => String::new(),
                1 => "changed once".to_owned(),
                n => format!("changed {n} times"),
            },
        })
        .collect()
}

/// The current (latest) round of a release and its computed decision for
/// the release page, if it has any round.
pub struct CurrentReview {
    pub round: i32,
    pub href: String,
    pub kind: &'static str,
    pub closed: bool,
    pub decision: &'static str,
    pub badge: &'static str,
    pub overridden: bool,
    pub bar: Bar,
    pub waiting_for: Vec<String>,
    pub rounds: usize,
}

/// The release page's review summary: the latest round, computed.
pub async fn current_for_release(
    tx: &mut Tx,
    visit: &Visit,
    tenant: TenantId,
    release: Uuid,
    release_owner: Option<UserId>,
) -> Result<Option<CurrentReview>, AppError> {
    let rounds = reviews::rounds(tx, tenant, release).await?;
    let Some(latest) = rounds.first() else {
        return Ok(None);
    };
    let slug = &visit.tenant()?.slug;
    let allow = visit.tenant()?.allow_self_approval;
    let members = reviews::voters(tx, tenant).await?;
    let votes = reviews::votes(tx, tenant, &[latest.id]).await?;
    let votes: Vec<&Vote> = votes.iter().map(|(_, v)| v).collect();
    let c = compute(
        latest,
        &votes,
        &members,
        &duties(latest, release_owner, allow),
        visit.user.id,
    );
    let decision = latest.decision.unwrap_or(c.tally.decision);
    Ok(Some(CurrentReview {
        round: latest.round,
        href: review_url(slug, release, latest.round),
        kind: latest.kind.label(),
        closed: latest.is_closed(),
        decision: decision.label(),
        badge: decision.badge(),
        overridden: latest.decision.is_some() && latest.decision != latest.computed_decision,
        bar: c.bar,
        waiting_for: c.waiting_for,
        rounds: rounds.len(),
    }))
}

/// The viewer's zone, for times on these pages.
fn zone(visit: &Visit) -> String {
    viewer_zone(visit).to_owned()
}
