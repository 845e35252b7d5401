//! The health of the portfolio's open releases: read in a fixed number of
//! statements, judged by [`almanac_domain::portfolio::release_health`].
//!
//! Health covers the open releases going live before the end of the
//! horizon ([`HORIZON_WEEKS`] local weeks from the start of this week),
//! those whose go-live has passed, and those not scheduled yet. Blocking
//! conflicts come from the conflict rules over that horizon's plan, kept in
//! the plan cache under the plan version like a calendar view (they do not
//! depend on votes); go/no-go decisions of open rounds are computed from
//! their votes on every request.

use crate::error::AppError;
use crate::handlers::reviews::{compute, duties};
use crate::state::AppState;
use almanac_db::portfolio::{self as db, OpenRelease};
use almanac_db::reviews::{self, BoardFilter, Vote};
use almanac_db::{Tx, Visit, deployments as deployment_db, tenants};
use almanac_domain::TenantId;
use almanac_domain::conflict;
use almanac_domain::portfolio::{self, Assessed, HealthFacts, ReviewState};
use almanac_domain::review::Decision;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// Weeks ahead whose releases' health is assessed.
pub const HORIZON_WEEKS: usize = 13;

/// Blocking conflicts (not overridden) per release, kept per plan version.
pub type Blocking = HashMap<Uuid, usize>;

/// What identifies a kept [`Blocking`]: the tenant and the horizon's end.
pub type BlockingKey = (Uuid, DateTime<Utc>);

/// An assessed open release.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub release: OpenRelease,
    pub assessed: Assessed,
    /// The decision of its open round, if it has one (votes now).
    pub open_decision: Option<Decision>,
}

/// The open releases of the horizon with their health, as of `now`.
pub async fn assess(
    tx: &mut Tx,
    app: &AppState,
    visit: &Visit,
    tenant: TenantId,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Assessment>, AppError> {
    let open = db::open_releases(tx, tenant, now, until).await?;
    let blocking = blocking(tx, app, tenant, now, until, &open).await?;
    let decisions = open_decisions(tx, visit, tenant).await?;
    Ok(open
        .into_iter()
        .filter_map(|release| {
            let open_decision = decisions.get(&release.id).copied();
            let review = match &release.review {
                None => ReviewState::None,
                Some(r) if r.closed => r.decision.map_or(ReviewState::None, ReviewState::Closed),
                Some(_) => ReviewState::Open(open_decision.unwrap_or(Decision::Pending)),
            };
            let facts = HealthFacts {
                status: release.status,
                go_live: release.go_live,
                overdue_milestones: usize::try_from(release.overdue_milestones).unwrap_or(0),
                blocking_conflicts: blocking.get(&release.id).copied().unwrap_or(0),
                review,
            };
            let assessed = portfolio::release_health(&facts, now)?;
            Some(Assessment {
                release,
                assessed,
                open_decision,
            })
        })
        .collect())
}

/// Blocking conflicts of the horizon's deployments, per release: from the
/// plan cache when the plan has not changed this minute.
async fn blocking(
    tx: &mut Tx,
    app: &AppState,
    tenant: TenantId,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    open: &[OpenRelease],
) -> Result<Arc<Blocking>, AppError> {
    let stamp = now.timestamp() / 60;
    let key = (tenant.0, until);
    let version = if app.config.plan_cache_bytes > 0 {
        let version = tenants::plan_version(tx, tenant).await?;
        match app.blocking.get(&key, version, stamp) {
            crate::cache::Lookup::Fresh(hit) | crate::cache::Lookup::Stale(hit) => {
                return Ok(hit);
            }
            crate::cache::Lookup::Miss => Some(version),
        }
    } else {
        None
    };
    let ids: Vec<Uuid> = open.iter().map(|r| r.id).collect();
    let data = deployment_db::plan_data(tx, tenant, now, until, &ids).await?;
    let plan = data.plan(now);
    let mut found: Blocking = HashMap::new();
    for c in conflict::detect(&plan) {
        if c.blocks() {
            *found.entry(c.release).or_default() += 1;
        }
    }
    let found = Arc::new(found);
    if let Some(version) = version {
        let bytes = 1024 + found.len() * 64;
        app.blocking
            .insert(key, version, stamp, Arc::clone(&found), bytes);
    }
    Ok(found)
}

/// The decision the votes give now, for each release with an open round.
async fn open_decisions(
    tx: &mut Tx,
    visit: &Visit,
    tenant: TenantId,
) -> Result<HashMap<Uuid, Decision>, AppError> {
    let cards = reviews::board(tx, tenant, &BoardFilter::default()).await?;
    if cards.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<Uuid> = cards.iter().map(|c| c.review.id).collect();
    let mut votes: HashMap<Uuid, Vec<Vote>> = HashMap::new();
    for (review, vote) in reviews::votes(tx, tenant, &ids).await? {
        votes.entry(review).or_default().push(vote);
    }
    let members = reviews::voters(tx, tenant).await?;
    let allow = visit.tenant()?.allow_self_approval;
    Ok(cards
        .iter()
        .map(|card| {
            let v: Vec<&Vote> = votes
                .get(&card.review.id)
                .map(|v| v.iter().collect())
                .unwrap_or_default();
            let d = duties(&card.review, card.release_owner, allow);
            let c = compute(&card.review, &v, &members, &d, visit.user.id);
            (card.review.release_id, c.tally.decision)
        })
        .collect())
}

/// The releases of the dashboard's health horizon whose health is `health`
/// (the release list's `health=` filter), as of now.
pub async fn ids_with(
    tx: &mut Tx,
    app: &AppState,
    visit: &Visit,
    health: portfolio::Health,
) -> Result<Vec<Uuid>, AppError> {
    let t = visit.tenant()?;
    let now = Utc::now();
    let tz: chrono_tz::Tz = t.time_zone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let week_start = almanac_domain::WeekStart::from_iso(t.week_start)
        .map_or(chrono::Weekday::Mon, almanac_domain::WeekStart::weekday);
    let until = portfolio::next_weeks(now, tz, week_start, HORIZON_WEEKS)
        .last()
        .map_or(now, |w| w.2);
    Ok(assess(tx, app, visit, t.id, now, until)
        .await?
        .into_iter()
        .filter(|a| a.assessed.health == health)
        .map(|a| a.release.id)
        .collect())
}

/// Narrows `ids` (none: every release) to the releases of `health`.
pub async fn narrow(
    tx: &mut Tx,
    app: &AppState,
    visit: &Visit,
    health: Option<&str>,
    ids: &mut Option<Vec<Uuid>>,
) -> Result<(), AppError> {
    let Some(health) = health.and_then(portfolio::Health::parse) else {
        return Ok(());
    };
    let found = ids_with(tx, app, visit, health).await?;
    *ids = Some(match ids.take() {
        Some(asked) => asked.into_iter().filter(|id| found.contains(id)).collect(),
        None => found,
    });
    Ok(())
}
