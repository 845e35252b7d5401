//! Deployments: a release's planned passage through environments, in
//! environment order, with planned and actual times and the result. One
//! per release and environment. Callers lock the release first
//! ([`crate::releases::lock`]) so status rules see stable deployments.

use crate::DbError;
use almanac_domain::TenantId;
use almanac_domain::conflict::{DeploymentFacts, EnvironmentFacts, MilestoneFacts, Plan};
use almanac_domain::release::{DeploymentResult, DeploymentTimes, Period, ReleaseStatus};
use almanac_domain::window::Window;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// One deployment per release and environment.
pub const ENVIRONMENT_UNIQUE: &str = "deployments_environment_unique";

/// A deployment with its environment.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub id: Uuid,
    pub release_id: Uuid,
    pub environment_id: Uuid,
    pub environment_name: String,
    pub is_production: bool,
    pub planned_start: Option<DateTime<Utc>>,
    pub planned_end: Option<DateTime<Utc>>,
    pub actual_start: Option<DateTime<Utc>>,
    pub actual_end: Option<DateTime<Utc>>,
    pub result: Option<DeploymentResult>,
    /// The break-glass reason, when scheduled over a blocking conflict.
    pub override_reason: Option<String>,
    pub revision: i32,
}

impl Deployment {
    /// Its times and result as the domain checks them.
    #[must_use]
    pub fn times(&self) -> DeploymentTimes {
        DeploymentTimes {
            planned: match (self.planned_start, self.planned_end) {
                (Some(start), Some(end)) => Some(Period { start, end }),
                _ => None,
            },
            actual_start: self.actual_start,
            actual_end: self.actual_end,
            result: self.result,
        }
    }
}

struct Row {
    id: Uuid,
    release_id: Uuid,
    environment_id: Uuid,
    environment_name: String,
    is_production: bool,
    planned_start: Option<DateTime<Utc>>,
    planned_end: Option<DateTime<Utc>>,
    actual_start: Option<DateTime<Utc>>,
    actual_end: Option<DateTime<Utc>>,
    result: Option<String>,
    override_reason: Option<String>,
    revision: i32,
}

impl From<Row> for Deployment {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            release_id: r.release_id,
            environment_id: r.environment_id,
            environment_name: r.environment_name,
            is_production: r.is_production,
            planned_start: r.planned_start,
            planned_end: r.planned_end,
            actual_start: r.actual_start,
            actual_end: r.actual_end,
            result: r.result.and_then(|s| s.parse().ok()),
            override_reason: r.override_reason,
            revision: r.revision,
        }
    }
}

/// The deployments of a release, in environment order.
#[tracing::instrument(skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
) -> Result<Vec<Deployment>, DbError> {
    let rows = sqlx::query_as!(
        Row,
        "SELECT d.id, d.release_id, d.environment_id, e.name AS environment_name,
                e.is_production, d.planned_start, d.planned_end, d.actual_start, d.actual_end,
                d.result, d.override_reason, d.revision
           FROM deployments d
           JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
          WHERE d.tenant_id = $1 AND d.release_id = $2
          ORDER BY e.position, lower(e.name)",
        tenant.0,
        release
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Deployment::from).collect())
}

/// One deployment of a release, if any.
pub async fn get(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    id: Uuid,
) -> Result<Option<Deployment>, DbError> {
    let row = sqlx::query_as!(
        Row,
        "SELECT d.id, d.release_id, d.environment_id, e.name AS environment_name,
                e.is_production, d.planned_start, d.planned_end, d.actual_start, d.actual_end,
                d.result, d.override_reason, d.revision
           FROM deployments d
           JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
          WHERE d.tenant_id = $1 AND d.release_id = $2 AND d.id = $3",
        tenant.0,
        release,
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Deployment::from))
}

/// Adds a deployment of `release` to `environment`; `Ok(false)` when the
/// release already has one there.
#[tracing::instrument(skip(conn, times))]
pub async fn add(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    release: Uuid,
    environment: Uuid,
    times: &DeploymentTimes,
) -> Result<bool, DbError> {
    let created = sqlx::query_scalar!(
        "INSERT INTO deployments (tenant_id, id, release_id, environment_id, planned_start,
                                  planned_end, actual_start, actual_end, result)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT ON CONSTRAINT deployments_environment_unique DO NOTHING
         RETURNING id",
        tenant.0,
        id,
        release,
        environment,
        times.planned.map(|p| p.start),
        times.planned.map(|p| p.end),
        times.actual_start,
        times.actual_end,
        times.result.map(DeploymentResult::as_str)
    )
    .fetch_optional(conn)
    .await?;
    Ok(created.is_some())
}

/// Adds the planned deployments of a new release in one statement:
/// (environment, planned period) pairs, environments distinct.
#[tracing::instrument(skip(conn, plan))]
pub async fn add_planned(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    plan: &[(Uuid, Option<Period>)],
) -> Result<(), DbError> {
    let ids: Vec<Uuid> = plan.iter().map(|_| Uuid::now_v7()).collect();
    let environments: Vec<Uuid> = plan.iter().map(|(e, _)| *e).collect();
    let starts: Vec<Option<DateTime<Utc>>> = plan.iter().map(|(_, p)| p.map(|p| p.start)).collect();
    let ends: Vec<Option<DateTime<Utc>>> = plan.iter().map(|(_, p)| p.map(|p| p.end)).collect();
    sqlx::query!(
        r#"INSERT INTO deployments (tenant_id, id, release_id, environment_id, planned_start,
                                    planned_end)
           SELECT $1, id, $2, environment_id, planned_start, planned_end
             FROM UNNEST($3::uuid[], $4::uuid[], $5::timestamptz[], $6::timestamptz[])
                  AS p(id, environment_id, planned_start, planned_end)"#,
        tenant.0,
        release,
        &ids,
        &environments,
        &starts as &[Option<DateTime<Utc>>],
        &ends as &[Option<DateTime<Utc>>]
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Saves a deployment's times and result if it still has `revision`;
/// [`DbError::StaleVersion`] / [`DbError::NotFound`] otherwise. Moving the
/// planned period drops a break-glass reason (it was given for the old
/// placement).
#[tracing::instrument(skip(conn, times))]
pub async fn update(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    times: &DeploymentTimes,
    revision: i32,
) -> Result<(), DbError> {
    let done = sqlx::query!(
        "UPDATE deployments
            SET planned_start = $4, planned_end = $5, actual_start = $6, actual_end = $7,
                result = $8, revision = revision + 1, updated_at = now(),
                override_reason = CASE
                    WHEN planned_start IS DISTINCT FROM $4 OR planned_end IS DISTINCT FROM $5
                    THEN NULL ELSE override_reason END
          WHERE tenant_id = $1 AND id = $2 AND revision = $3",
        tenant.0,
        id,
        revision,
        times.planned.map(|p| p.start),
        times.planned.map(|p| p.end),
        times.actual_start,
        times.actual_end,
        times.result.map(DeploymentResult::as_str)
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(missing_or_stale(conn, tenant, id).await?);
    }
    Ok(())
}

/// Removes a deployment if it still has `revision`;
/// [`DbError::StaleVersion`] / [`DbError::NotFound`] otherwise.
#[tracing::instrument(skip(conn))]
pub async fn remove(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    revision: i32,
) -> Result<(), DbError> {
    let done = sqlx::query!(
        "DELETE FROM deployments WHERE tenant_id = $1 AND id = $2 AND revision = $3",
        tenant.0,
        id,
        revision
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(missing_or_stale(conn, tenant, id).await?);
    }
    Ok(())
}

/// An environment for deployment forms.
#[derive(Debug, Clone)]
pub struct EnvironmentOption {
    pub id: Uuid,
    pub name: String,
    pub is_production: bool,
}

/// The tenant's environments that are not archived, in their order.
pub async fn environment_options(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<EnvironmentOption>, DbError> {
    Ok(sqlx::query_as!(
        EnvironmentOption,
        "SELECT id, name, is_production FROM environments
          WHERE tenant_id = $1 AND NOT archived
          ORDER BY position, lower(name)
          LIMIT 500",
        tenant.0
    )
    .fetch_all(conn)
    .await?)
}

async fn missing_or_stale(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<DbError, DbError> {
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM deployments WHERE tenant_id = $1 AND id = $2) AS "e!""#,
        tenant.0,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(if exists {
        DbError::StaleVersion
    } else {
        DbError::NotFound
    })
}

// ------------------------------------------------------------------ conflicts and scheduling

/// How far beyond the range of interest [`plan_data`] loads deployments and
/// windows: a window occurrence lasts at most about a day, so a deployment
/// sharing an occurrence with one in the range lies within this margin.
pub const PLAN_MARGIN_DAYS: i64 = 2;

/// At most this many deployments are loaded for one conflict check.
pub const PLAN_LIMIT: i64 = 20_000;

/// What conflicts are computed from, around a range (see
/// [`almanac_domain::conflict::Plan`]).
#[derive(Debug, Clone, Default)]
pub struct PlanData {
    /// Planned deployments overlapping the range (with the margin) of
    /// releases that are not cancelled or rolled back.
    pub deployments: Vec<DeploymentFacts>,
    /// Release id → `PAY 2.4.0`, for the loaded deployments.
    pub labels: HashMap<Uuid, String>,
    /// Every environment of the tenant (archived ones too).
    pub environments: Vec<EnvironmentFacts>,
    /// Windows (not archived) whose span overlaps the range.
    pub windows: Vec<Window>,
    /// Milestones of the releases asked for.
    pub milestones: Vec<MilestoneFacts>,
    /// Releases approved besides what their status says (none: the status
    /// records the go decision).
    pub approved: HashSet<Uuid>,
}

impl PlanData {
    /// The plan to check against (every rule, 6 included).
    #[must_use]
    pub fn plan(&self, now: DateTime<Utc>) -> Plan<'_> {
        Plan {
            deployments: &self.deployments,
            windows: &self.windows,
            environments: &self.environments,
            milestones: &self.milestones,
            approved_releases: &self.approved,
            review_rule_enabled: true,
            now,
        }
    }

    /// The loaded deployment `id`, if planned.
    #[must_use]
    pub fn deployment(&self, id: Uuid) -> Option<&DeploymentFacts> {
        self.deployments.iter().find(|d| d.id == id)
    }
}

/// Everything conflicts of deployments in `[from, to)` are computed from,
/// with the milestones of `releases`: five queries (deployments,
/// environments, windows with their scopes and exceptions, milestones)
/// whatever the data size.
#[tracing::instrument(skip(conn, releases))]
pub async fn plan_data(
    conn: &mut PgConnection,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    releases: &[Uuid],
) -> Result<PlanData, DbError> {
    let margin = Duration::days(PLAN_MARGIN_DAYS);
    let (from, to) = (from - margin, to.max(from) + margin);
    let rows = sqlx::query!(
        r#"SELECT d.id, d.release_id, r.product_id, d.environment_id, r.type AS release_type,
                  r.status, d.planned_start AS "planned_start!", d.planned_end AS "planned_end!",
                  e.is_production, d.override_reason, p.key AS product_key, r.version
             FROM deployments d
             JOIN releases r ON r.tenant_id = d.tenant_id AND r.id = d.release_id
             JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
             JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
             CROSS JOIN (SELECT coalesce(max(x.planned_end - x.planned_start), interval '0') AS longest
                           FROM deployments x WHERE x.tenant_id = $1) b
            WHERE d.tenant_id = $1
              AND d.planned_start >= $2::timestamptz - b.longest AND d.planned_start < $3
              AND d.planned_end > $2
              AND r.status NOT IN ('cancelled', 'rolled_back')
            ORDER BY d.planned_start, d.id
            LIMIT $4"#,
        tenant.0,
        from,
        to,
        PLAN_LIMIT
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut labels = HashMap::new();
    let deployments = rows
        .into_iter()
        .filter_map(|r| {
            labels
                .entry(r.release_id)
                .or_insert_with(|| format!("{} {}", r.product_key, r.version));
            Some(DeploymentFacts {
                id: r.id,
                release_id: r.release_id,
                product_id: r.product_id,
                environment_id: r.environment_id,
                release_type: r.release_type.parse().ok()?,
                release_status: r.status.parse().ok()?,
                start: r.planned_start,
                end: r.planned_end,
                is_production: r.is_production,
                override_reason: r.override_reason,
            })
        })
        .collect();
    let environments = sqlx::query_as!(
        EnvironmentFacts,
        "SELECT id, name, shared, requires_window FROM environments
          WHERE tenant_id = $1
          ORDER BY position, lower(name)
          LIMIT 1000",
        tenant.0
    )
    .fetch_all(&mut *conn)
    .await?;
    let windows = crate::windows::overlapping(conn, tenant, from, to).await?;
    let milestones = if releases.is_empty() {
        Vec::new()
    } else {
        sqlx::query!(
            r#"SELECT release_id, name, due_at, done_at IS NOT NULL AS "done!"
                 FROM milestones
                WHERE tenant_id = $1 AND release_id = ANY($2)
                ORDER BY due_at, id"#,
            tenant.0,
            releases
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|m| MilestoneFacts {
            release_id: m.release_id,
            name: m.name,
            due: m.due_at,
            done: m.done,
        })
        .collect()
    };
    Ok(PlanData {
        deployments,
        labels,
        environments,
        windows,
        milestones,
        approved: HashSet::new(),
    })
}

/// Schedules a deployment: sets its planned period and break-glass reason
/// (`None` clears it) if it still has `revision`;
/// [`DbError::StaleVersion`] / [`DbError::NotFound`] otherwise.
#[tracing::instrument(skip(conn, override_reason))]
pub async fn schedule(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    period: Period,
    override_reason: Option<&str>,
    revision: i32,
) -> Result<(), DbError> {
    let done = sqlx::query!(
        "UPDATE deployments
            SET planned_start = $4, planned_end = $5, override_reason = $6,
                revision = revision + 1, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND revision = $3",
        tenant.0,
        id,
        revision,
        period.start,
        period.end,
        override_reason
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(missing_or_stale(conn, tenant, id).await?);
    }
    Ok(())
}

/// A deployment without planned times, of a release still in play.
#[derive(Debug, Clone)]
pub struct Unscheduled {
    pub id: Uuid,
    pub release_id: Uuid,
    pub product_key: String,
    pub product_colour: String,
    pub version: String,
    pub title: String,
    pub release_status: ReleaseStatus,
    pub environment_id: Uuid,
    pub environment_name: String,
}

/// At most this many unscheduled deployments are listed.
pub const UNSCHEDULED_LIMIT: i64 = 200;

/// Deployments with no planned times of releases that are not released,
/// rolled back or cancelled, to `environment` when given; newest releases
/// first (one query).
#[tracing::instrument(skip(conn))]
pub async fn unscheduled(
    conn: &mut PgConnection,
    tenant: TenantId,
    environment: Option<Uuid>,
) -> Result<Vec<Unscheduled>, DbError> {
    let rows = sqlx::query!(
        r#"SELECT d.id, d.release_id, p.key AS product_key, p.colour AS product_colour,
                  r.version, r.title, r.status, d.environment_id, e.name AS environment_name
             FROM deployments d
             JOIN releases r ON r.tenant_id = d.tenant_id AND r.id = d.release_id
             JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
             JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
            WHERE d.tenant_id = $1 AND d.planned_start IS NULL
              AND r.status NOT IN ('released', 'rolled_back', 'cancelled')
              AND ($2::uuid IS NULL OR d.environment_id = $2)
            ORDER BY r.created_at DESC, e.position, d.id
            LIMIT $3"#,
        tenant.0,
        environment,
        UNSCHEDULED_LIMIT
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Unscheduled {
            id: r.id,
            release_id: r.release_id,
            product_key: r.product_key,
            product_colour: r.product_colour,
            version: r.version,
            title: r.title,
            release_status: r.status.parse().unwrap_or(ReleaseStatus::Planned),
            environment_id: r.environment_id,
            environment_name: r.environment_name,
        })
        .collect())
}
