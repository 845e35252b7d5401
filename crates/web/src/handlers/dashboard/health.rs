//! The health of the portfolio's open releases: read in a fixed number of
//! statements, judged by [`almanac_domain::portfolio::release_health`].
//!
//! Health covers the open releases going live before the end of the
//! horizon ([`HORIZON_WEEKS`] local weeks from the start of this week),
//! those whose go-live has passed, and those not scheduled yet. These
//! releases and their blocking conflicts (the conflict rules over the
//! horizon's plan) are kept in the plan cache under the plan version like a
//! calendar view; their latest go/no-go rounds are read, and the decisions
//! of open rounds computed from their votes, on every request (rounds and
//! votes are not part of the plan).

use crate::error::AppError;
use crate::handlers::reviews::open_reviews;
use crate::state::AppState;
use almanac_db::portfolio::{self as db, LatestReview, OpenRelease};
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

/// Blocking conflicts (not overridden) per release.
pub type Blocking = HashMap<Uuid, usize>;

/// The health horizon's open releases (without their rounds, which are not
/// part of the plan) and their blocking conflicts: what the dashboard keeps
/// per plan version.
#[derive(Debug)]
pub struct Horizon {
    pub open: Vec<OpenRelease>,
    pub blocking: Blocking,
}

/// What identifies a kept [`Horizon`]: the tenant and the horizon's end.
pub type HorizonKey = (Uuid, DateTime<Utc>);

/// An assessed open release.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub release: OpenRelease,
    pub assessed: Assessed,
    /// The decision of its open round, if it has one (votes now).
    pub open_decision: Option<Decision>,
}

/// The tenant's plan version when the plan cache is on (one indexed row).
pub async fn plan_version(
    tx: &mut Tx,
    app: &AppState,
    tenant: TenantId,
) -> Result<Option<i64>, AppError> {
    Ok(if app.config.plan_cache_bytes > 0 {
        Some(tenants::plan_version(tx, tenant).await?)
    } else {
        None
    })
}

/// The open releases of the horizon with their health, as of `now`;
/// `version`: the plan version ([`plan_version`]), `decisions`: what the
/// votes of each open round give now.
pub async fn assess(
    tx: &mut Tx,
    app: &AppState,
    tenant: TenantId,
    (now, until): (DateTime<Utc>, DateTime<Utc>),
    version: Option<i64>,
    decisions: &HashMap<Uuid, Decision>,
) -> Result<Vec<Assessment>, AppError> {
    let horizon = horizon(tx, app, tenant, now, until, version).await?;
    let ids: Vec<Uuid> = horizon.open.iter().map(|r| r.id).collect();
    let mut rounds: HashMap<Uuid, LatestReview> = db::latest_rounds(tx, tenant, &ids)
        .await?
        .into_iter()
        .collect();
    Ok(horizon
        .open
        .iter()
        .filter_map(|kept| {
            let mut release = kept.clone();
            release.review = rounds.remove(&release.id);
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
                blocking_conflicts: horizon.blocking.get(&release.id).copied().unwrap_or(0),
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

/// The horizon's open releases and blocking conflicts: kept per plan
/// version and minute (overdue milestones count as of the minute).
async fn horizon(
    tx: &mut Tx,
    app: &AppState,
    tenant: TenantId,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    version: Option<i64>,
) -> Result<Arc<Horizon>, AppError> {
    let stamp = now.timestamp() / 60;
    let key = (tenant.0, until);
    if let Some(version) = version {
        match app.horizons.get(&key, version, stamp) {
            crate::cache::Lookup::Fresh(hit) | crate::cache::Lookup::Stale(hit) => {
                return Ok(hit);
            }
            crate::cache::Lookup::Miss => {}
        }
    }
    let open = db::open_releases(tx, tenant, now, until).await?;
    let ids: Vec<Uuid> = open.iter().map(|r| r.id).collect();
    let data = deployment_db::plan_data(tx, tenant, now, until, &ids).await?;
    let plan = data.plan(now);
    let mut blocking: Blocking = HashMap::new();
    for c in conflict::detect(&plan) {
        if c.blocks() {
            *blocking.entry(c.release).or_default() += 1;
        }
    }
    let bytes = 1024
        + blocking.len() * 64
        + open
            .iter()
            .map(|r| 160 + r.product_key.len() + r.version.len())
            .sum::<usize>();
    let found = Arc::new(Horizon { open, blocking });
    if let Some(version) = version {
        app.horizons
            .insert(key, version, stamp, Arc::clone(&found), bytes);
    }
    Ok(found)
}

/// The `health=` value for every release whose health the dashboard shows,
/// whatever its health.
pub const HORIZON: &str = "horizon";

/// The releases of the dashboard's health horizon whose health is `health`
/// (all of them for `None`), as of now.
pub async fn ids_with(
    tx: &mut Tx,
    app: &AppState,
    visit: &Visit,
    health: Option<portfolio::Health>,
) -> Result<Vec<Uuid>, AppError> {
    let t = visit.tenant()?;
    let now = Utc::now();
    let tz: chrono_tz::Tz = t.time_zone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let week_start = almanac_domain::WeekStart::from_iso(t.week_start)
        .map_or(chrono::Weekday::Mon, almanac_domain::WeekStart::weekday);
    let until = portfolio::next_weeks(now, tz, week_start, HORIZON_WEEKS)
        .last()
        .map_or(now, |w| w.2);
    let decisions = open_reviews(tx, visit, t.id).await?.decisions;
    let version = plan_version(tx, app, t.id).await?;
    Ok(assess(tx, app, t.id, (now, until), version, &decisions)
        .await?
        .into_iter()
        .filter(|a| health.is_none_or(|h| a.assessed.health == h))
        .map(|a| a.release.id)
        .collect())
}

/// Narrows `ids` (none: every release) to the releases of `health` (a
/// [`portfolio::Health`], or [`HORIZON`] for all the dashboard assesses).
pub async fn narrow(
    tx: &mut Tx,
    app: &AppState,
    visit: &Visit,
    health: Option<&str>,
    ids: &mut Option<Vec<Uuid>>,
) -> Result<(), AppError> {
    let Some(health) = health else {
        return Ok(());
    };
    let found = if health.trim() == HORIZON {
        ids_with(tx, app, visit, None).await?
    } else if let Some(health) = portfolio::Health::parse(health) {
        ids_with(tx, app, visit, Some(health)).await?
    } else {
        return Ok(());
    };
    keep_only(ids, found);
    Ok(())
}

/// Narrows `ids` (none: every release) to `found`: a drill-down of the
/// release list never widens what the other filters named.
pub fn keep_only(ids: &mut Option<Vec<Uuid>>, found: Vec<Uuid>) {
    let found: std::collections::HashSet<Uuid> = found.into_iter().collect();
    *ids = Some(match ids.take() {
        Some(asked) => asked.into_iter().filter(|id| found.contains(id)).collect(),
        None => found.into_iter().collect(),
    });
}
