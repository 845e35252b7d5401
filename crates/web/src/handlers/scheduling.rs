//! Scheduling (issue 4): placing a release's deployment into a window
//! occurrence, a "next free slot" or explicit times, seeing the conflicts
//! the placement would have before saving, and break-glass over blocking
//! ones (release managers, with a written reason, audited). Also the
//! conflicts the release page lists per deployment, and the calendar's
//! entry point for an empty slot (unscheduled deployments to pick from).
//!
//! Pages: [`pick`] (choose a slot or times → confirm → save) and
//! [`unscheduled`].

mod pick;
mod unscheduled;

use crate::error::AppError;
use crate::state::AppState;
use almanac_db::deployments::{self as deployment_db, Deployment, PlanData};
use almanac_db::releases::{self, Release};
use almanac_db::{Tx, Visit};
use almanac_domain::TenantId;
use almanac_domain::conflict::{self, Conflict, DeploymentFacts};
use almanac_domain::release::Period;
use axum::Router;
use axum::routing::get;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use uuid::Uuid;

/// The routes of this area; merged by `router::build_app`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/releases/schedule", get(unscheduled::list))
        .route(
            "/{tenant}/releases/{id}/deployments/{dep}/schedule",
            get(pick::pick).post(pick::save),
        )
        .route(
            "/{tenant}/releases/{id}/deployments/{dep}/schedule/confirm",
            get(pick::confirm),
        )
}

/// What a viewer is told they may not do here.
const PLAN: &str = "schedule deployments";

/// An id of a URL; one that cannot exist is a missing page.
fn id_of(raw: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(raw).map_err(|_| AppError::NotFound)
}

fn can_plan(visit: &Visit) -> bool {
    visit.tenant.as_ref().is_some_and(|t| t.role.can_plan())
}

/// Refuses viewers and approvers (403).
fn require_plan(visit: &Visit) -> Result<TenantId, AppError> {
    let tenant = visit.tenant()?;
    crate::handlers::require(tenant, almanac_domain::Role::can_plan, PLAN)?;
    Ok(tenant.id)
}

/// `PAY 2.4.0`
fn label(r: &Release) -> String {
    format!("{} {}", r.product_key, r.version)
}

/// The deployment being scheduled and its release (404 for another
/// tenant's or a missing id).
struct Target {
    release: Release,
    deployment: Deployment,
}

impl Target {
    async fn load(
        tx: &mut Tx,
        tenant: TenantId,
        id: Uuid,
        dep: Uuid,
        lock: bool,
    ) -> Result<Self, AppError> {
        let release = if lock {
            releases::lock(tx, tenant, id).await?
        } else {
            releases::get(tx, tenant, id).await?
        }
        .ok_or(AppError::NotFound)?;
        let deployment = deployment_db::get(tx, tenant, id, dep)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(Self {
            release,
            deployment,
        })
    }

    /// The deployment placed at `period`, without a break-glass reason (so
    /// blocking conflicts show as needing one).
    fn placed(&self, period: Period) -> DeploymentFacts {
        DeploymentFacts {
            id: self.deployment.id,
            release_id: self.release.id,
            product_id: self.release.product_id,
            environment_id: self.deployment.environment_id,
            release_type: self.release.release_type,
            release_status: self.release.status,
            start: period.start,
            end: period.end,
            is_production: self.deployment.is_production,
            override_reason: None,
        }
    }

    fn planned(&self) -> Option<Period> {
        self.deployment.times().planned
    }

    /// How far the go-live moves when the deployment goes to `period`
    /// (production deployments already planned only).
    fn go_live_shift(&self, period: Period) -> Option<Duration> {
        let was = self.planned()?;
        (self.deployment.is_production && was.start != period.start)
            .then(|| period.start - was.start)
    }
}

/// Moves the open milestones of `release` by `by`, as the offered shift
/// after a go-live move would (so their order is judged as it will be).
fn assume_shift(data: &mut PlanData, release: Uuid, by: Duration) {
    for m in data
        .milestones
        .iter_mut()
        .filter(|m| m.release_id == release && !m.done)
    {
        m.due += by;
    }
}

/// The conflicts `target` would have at `period` (the open milestones
/// moved with the go-live), other releases named.
async fn conflicts_at(
    tx: &mut Tx,
    tenant: TenantId,
    target: &Target,
    period: Period,
    now: DateTime<Utc>,
) -> Result<Vec<Conflict>, AppError> {
    let mut data =
        deployment_db::plan_data(tx, tenant, period.start, period.end, &[target.release.id])
            .await?;
    if let Some(by) = target.go_live_shift(period) {
        assume_shift(&mut data, target.release.id, by);
    }
    let mut found = conflict::check(&target.placed(period), &data.plan(now));
    conflict::label_releases(&mut found, |r| data.labels.get(&r).cloned());
    Ok(found)
}

/// The conflicts of the release's planned deployments as they stand (with
/// their break-glass reasons), by deployment: for the release page. A
/// fixed number of queries (none when nothing is planned).
pub async fn release_conflicts(
    tx: &mut Tx,
    tenant: TenantId,
    release: Uuid,
    deployments: &[Deployment],
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, Vec<Conflict>>, AppError> {
    let planned: Vec<Period> = deployments
        .iter()
        .filter_map(|d| d.times().planned)
        .collect();
    let (Some(from), Some(to)) = (
        planned.iter().map(|p| p.start).min(),
        planned.iter().map(|p| p.end).max(),
    ) else {
        return Ok(HashMap::new());
    };
    let data = deployment_db::plan_data(tx, tenant, from, to, &[release]).await?;
    let plan = data.plan(now);
    Ok(deployments
        .iter()
        .map(|d| {
            let mut found = conflict::conflicts_of(d.id, &plan);
            conflict::label_releases(&mut found, |r| data.labels.get(&r).cloned());
            (d.id, found)
        })
        .filter(|(_, found)| !found.is_empty())
        .collect())
}

/// `2026-12-02T03:00:00Z`: an instant in links and hidden fields (no `+`,
/// which a query string would turn into a space).
fn instant_param(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn parse_instant(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
