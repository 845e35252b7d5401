//! Deployments: a release's planned passage through environments, in
//! environment order, with planned and actual times and the result. One
//! per release and environment. Callers lock the release first
//! ([`crate::releases::lock`]) so status rules see stable deployments.

use crate::DbError;
use almanac_domain::TenantId;
use almanac_domain::release::{DeploymentResult, DeploymentTimes, Period};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
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
/// [`DbError::StaleVersion`] / [`DbError::NotFound`] otherwise.
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
                result = $8, revision = revision + 1, updated_at = now()
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
