//! `/{tenant}/board`: the go/no-go board of the portfolio. One card per
//! open review (and, on request, those decided in the last 7 days), grouped
//! by meeting date, with the tally, the readiness evidence and the
//! signed-in voter's own vote buttons. A fixed number of statements: the
//! cards, their votes, the members, the cards' deployments and one
//! conflict plan around them.

use super::{Bar, compute, duties, review_url, zone};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::layout::Layout;
use crate::state::AppState;
use almanac_db::deployments as deployment_db;
use almanac_db::reviews::{self, BoardFilter, Card, Vote};
use almanac_db::{Tx, Visit};
use almanac_domain::TenantId;
use almanac_domain::conflict::{self, Severity};
use almanac_domain::review::{Choice, Decision};
use almanac_domain::time::local_datetime;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use chrono::{Duration, Utc};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Deserialize, Default, Debug, Clone)]
pub struct BoardQuery {
    #[serde(default)]
    line: String,
    #[serde(default)]
    product: String,
    /// "1": only reviews waiting for the viewer's vote.
    #[serde(default)]
    mine: String,
    /// "1": also reviews decided in the last 7 days.
    #[serde(default)]
    decided: String,
}

/// One card.
pub struct CardView {
    pub release_id: Uuid,
    /// What the votes give now (for a closed review, what they give under
    /// its policy, not the recorded decision).
    pub votes_give: Decision,
    pub href: String,
    pub release_href: String,
    pub label: String,
    pub title: String,
    pub product: String,
    pub colour: String,
    pub line: String,
    pub go_live: String,
    pub kind: &'static str,
    pub round: i32,
    pub policy: String,
    pub meeting: String,
    pub closed: bool,
    pub decision: &'static str,
    pub badge: &'static str,
    pub overridden: bool,
    pub bar: Bar,
    pub milestones: String,
    pub steps: String,
    /// (blocking, warnings) among the release's open conflicts.
    pub conflicts: (usize, usize),
    pub waiting_for: Vec<String>,
    pub waiting_for_me: bool,
    /// The viewer may vote here now.
    pub can_vote: bool,
    pub my_vote: Option<Choice>,
    /// Where the vote form posts.
    pub vote_action: String,
}

/// Cards of one meeting day.
pub struct Group {
    pub heading: String,
    pub cards: Vec<CardView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "reviews/board.html")]
pub struct BoardPage {
    layout: Layout,
    slug: String,
    groups: Vec<Group>,
    lines: Vec<(String, String, bool)>,
    products: Vec<(String, String, bool)>,
    mine: bool,
    decided: bool,
    filtered: bool,
    total: usize,
    waiting_for_me: usize,
    can_plan: bool,
}

/// Cards with their votes, members and conflicts, computed for `visit`.
async fn cards(
    tx: &mut Tx,
    visit: &Visit,
    tenant: TenantId,
    filter: &BoardFilter,
    with_conflicts: bool,
) -> Result<Vec<CardView>, AppError> {
    let t = visit.tenant()?;
    let found = reviews::board(tx, tenant, filter).await?;
    if found.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = found.iter().map(|c| c.review.id).collect();
    let mut votes: HashMap<Uuid, Vec<Vote>> = HashMap::new();
    for (review, vote) in reviews::votes(tx, tenant, &ids).await? {
        votes.entry(review).or_default().push(vote);
    }
    let members = reviews::voters(tx, tenant).await?;
    // The conflict rules over the cards' period (the board shows them; the
    // dashboard's "waiting for your vote" does not need them).
    let conflicts = if with_conflicts {
        card_conflicts(tx, tenant, &found).await?
    } else {
        HashMap::new()
    };
    let zone = zone(visit);
    let slug = &t.slug;
    Ok(found
        .into_iter()
        .map(|card| {
            let review_votes: Vec<&Vote> = votes
                .get(&card.review.id)
                .map(|v| v.iter().collect())
                .unwrap_or_default();
            let d = duties(&card.review, card.release_owner, t.allow_self_approval);
            let c = compute(&card.review, &review_votes, &members, &d, visit.user.id);
            let decision = card.review.decision.unwrap_or(c.tally.decision);
            let url = review_url(slug, card.review.release_id, card.review.round);
            CardView {
                release_id: card.review.release_id,
                votes_give: c.tally.decision,
                vote_action: format!("{url}/vote"),
                href: url,
                release_href: format!("/{slug}/releases/{}", card.review.release_id),
                label: format!("{} {}", card.product_key, card.release_version),
                title: card.release_title.clone(),
                product: card.product_name.clone(),
                colour: card.product_colour.clone(),
                line: card.product_line.clone().unwrap_or_default(),
                go_live: card
                    .go_live
                    .map_or_else(|| "not scheduled".to_owned(), |g| local_datetime(g, &zone)),
                kind: card.review.kind.label(),
                round: card.review.round,
                policy: card.review.policy_name.clone(),
                meeting: card
                    .review
                    .meeting_at
                    .map(|m| local_datetime(m, &zone))
                    .unwrap_or_default(),
                closed: card.review.is_closed(),
                decision: decision.label(),
                badge: decision.badge(),
                overridden: card.review.decision.is_some()
                    && card.review.decision != card.review.computed_decision,
                bar: c.bar,
                milestones: format!("{}/{}", card.milestones_done, card.milestones_total),
                steps: format!("{}/{}", card.steps_done, card.steps_total),
                conflicts: conflicts
                    .get(&card.review.release_id)
                    .copied()
                    .unwrap_or_default(),
                waiting_for: c.waiting_for.clone(),
                waiting_for_me: c.waiting_for_me,
                can_vote: c.may_vote.is_ok(),
                my_vote: c.my_vote,
            }
        })
        .collect())
}

/// (blocking, warning) conflicts of each card's release: the cards'
/// deployments, then one plan around all of them.
async fn card_conflicts(
    tx: &mut Tx,
    tenant: TenantId,
    cards: &[Card],
) -> Result<HashMap<Uuid, (usize, usize)>, AppError> {
    let releases: Vec<Uuid> = cards
        .iter()
        .filter(|c| !c.review.is_closed())
        .map(|c| c.review.release_id)
        .collect();
    let deployments = reviews::planned_deployments(tx, tenant, &releases).await?;
    let (Some(from), Some(to)) = (
        deployments.iter().map(|d| d.1).min(),
        deployments.iter().map(|d| d.2).max(),
    ) else {
        return Ok(HashMap::new());
    };
    let data = deployment_db::plan_data(tx, tenant, from, to, &releases).await?;
    let plan = data.plan(Utc::now());
    let mut out: HashMap<Uuid, (usize, usize)> = HashMap::new();
    for (release, _, _, deployment) in deployments {
        for c in conflict::conflicts_of(deployment, &plan) {
            let e = out.entry(release).or_default();
            if c.severity == Severity::Blocking && !c.overridden {
                e.0 += 1;
            } else {
                e.1 += 1;
            }
        }
    }
    Ok(out)
}

/// Open reviews waiting for the viewer's vote (dashboard).
pub struct Waiting {
    pub label: String,
    pub href: String,
    pub go_live: String,
    pub meeting: String,
}

/// The tenant's open reviews as the dashboard needs them: those waiting
/// for the viewer's vote, and what the votes give for each release.
pub struct OpenReviews {
    pub waiting: Vec<Waiting>,
    pub decisions: HashMap<Uuid, Decision>,
}

/// The open reviews of the tenant: one read of the board (its statements),
/// shared by the "waiting for your vote" list and the health rules.
pub async fn open_reviews(
    tx: &mut Tx,
    visit: &Visit,
    tenant: TenantId,
) -> Result<OpenReviews, AppError> {
    let cards = cards(tx, visit, tenant, &BoardFilter::default(), false).await?;
    let decisions = cards.iter().map(|c| (c.release_id, c.votes_give)).collect();
    let waiting = cards
        .into_iter()
        .filter(|c| c.waiting_for_me && c.can_vote)
        .map(|c| Waiting {
            label: c.label,
            href: c.href,
            go_live: c.go_live,
            meeting: c.meeting,
        })
        .collect();
    Ok(OpenReviews { waiting, decisions })
}

fn uuid_param(s: &str) -> Option<Uuid> {
    Uuid::parse_str(s.trim()).ok()
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(q): Query<BoardQuery>,
) -> Result<BoardPage, AppError> {
    let filter = BoardFilter {
        product_line: uuid_param(&q.line),
        product: uuid_param(&q.product),
        decided_since: (q.decided == "1").then(|| Utc::now() - Duration::days(7)),
        release: None,
    };
    let (visit, (cards, lines, products)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?.id;
                let cards = cards(tx, visit, tenant, &filter, true).await?;
                let lines = almanac_db::products::lines(tx, tenant).await?;
                let products = almanac_db::releases::product_options(tx, tenant).await?;
                Ok((cards, lines, products))
            })
        })
        .await?;
    let mine = q.mine == "1";
    let waiting_for_me = cards
        .iter()
        .filter(|c| c.waiting_for_me && c.can_vote)
        .count();
    let cards: Vec<CardView> = cards
        .into_iter()
        .filter(|c| !mine || (c.waiting_for_me && c.can_vote))
        .collect();
    let total = cards.len();
    let can_plan = visit.tenant()?.role.can_plan();
    Ok(BoardPage {
        layout: Layout::signed_in(&ctx, &visit, "Go/no-go board", "board"),
        groups: group(cards),
        lines: options(
            lines.into_iter().map(|l| (l.id.to_string(), l.name)),
            &q.line,
            "All product lines",
        ),
        products: options(
            products
                .into_iter()
                .map(|p| (p.id.to_string(), format!("{} · {}", p.key, p.name))),
            &q.product,
            "All products",
        ),
        filtered: !q.line.is_empty() || !q.product.is_empty() || mine || q.decided == "1",
        mine,
        decided: q.decided == "1",
        total,
        waiting_for_me,
        can_plan,
        slug,
    })
}

fn options(
    items: impl Iterator<Item = (String, String)>,
    chosen: &str,
    all: &str,
) -> Vec<(String, String, bool)> {
    std::iter::once((String::new(), all.to_owned(), chosen.is_empty()))
        .chain(items.map(|(v, l)| {
            let selected = v == chosen;
            (v, l, selected)
        }))
        .collect()
}

/// Cards by meeting day in the viewer's zone (open ones first, those with
/// no meeting after the dated ones; decided ones last).
fn group(cards: Vec<CardView>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for card in cards {
        let heading = if card.closed {
            "Decided in the last 7 days".to_owned()
        } else if card.meeting.is_empty() {
            "No meeting set".to_owned()
        } else {
            // "2026-12-01 10:00 EST" → the meeting's day.
            format!(
                "Meeting on {}",
                card.meeting.split(' ').next().unwrap_or_default()
            )
        };
        match groups.last_mut() {
            Some(g) if g.heading == heading => g.cards.push(card),
            _ => groups.push(Group {
                heading,
                cards: vec![card],
            }),
        }
    }
    groups
}
