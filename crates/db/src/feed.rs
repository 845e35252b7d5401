//! What a calendar feed reads (issue 4), in a fixed number of queries
//! bounded by the feed's period: the tenant's catalogue (for filters and
//! window scope names), the windows' last changes, the scheduled
//! deployments and the milestones. Windows themselves come from
//! [`crate::windows::overlapping`].

use crate::DbError;
use almanac_domain::TenantId;
use almanac_domain::ical::{DeploymentItem, MilestoneItem};
use almanac_domain::release::{ReleaseStatus, ReleaseType};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// A feed lists at most this many deployments and milestones each (a
/// calendar client chokes on more); past that, those nearest to now stay.
pub const LIMIT: i64 = 5_000;

/// A product, environment or product line of the tenant.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: Uuid,
    /// Products: their key.
    pub key: Option<String>,
    pub name: String,
    /// Products: their line.
    pub line: Option<Uuid>,
    pub is_production: bool,
}

/// The tenant's products, environments and product lines (archived ones
/// included: a feed or window may still name one).
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub products: Vec<Entry>,
    pub environments: Vec<Entry>,
    pub lines: Vec<Entry>,
}

impl Catalog {
    /// Names by id of products (`PAY`) and environments, for scope words.
    #[must_use]
    pub fn names(&self) -> HashMap<Uuid, String> {
        self.products
            .iter()
            .map(|p| (p.id, p.key.clone().unwrap_or_else(|| p.name.clone())))
            .chain(self.environments.iter().map(|e| (e.id, e.name.clone())))
            .collect()
    }

    /// The products of product line `line`.
    #[must_use]
    pub fn products_of(&self, line: Uuid) -> Vec<Uuid> {
        self.products
            .iter()
            .filter(|p| p.line == Some(line))
            .map(|p| p.id)
            .collect()
    }
}

/// The catalogue in one query.
#[tracing::instrument(skip(conn))]
pub async fn catalog(conn: &mut PgConnection, tenant: TenantId) -> Result<Catalog, DbError> {
    let rows = sqlx::query!(
        r#"SELECT 'product' AS "kind!", id AS "id!", key AS "key?", name AS "name!",
                  product_line_id AS "line?", false AS "is_production!"
             FROM products WHERE tenant_id = $1
           UNION ALL
           SELECT 'environment', id, NULL, name, NULL, is_production
             FROM environments WHERE tenant_id = $1
           UNION ALL
           SELECT 'line', id, NULL, name, NULL, false
             FROM product_lines WHERE tenant_id = $1"#,
        tenant.0
    )
    .fetch_all(conn)
    .await?;
    let mut catalog = Catalog::default();
    for r in rows {
        let entry = Entry {
            id: r.id,
            key: r.key,
            name: r.name,
            line: r.line,
            is_production: r.is_production,
        };
        match r.kind.as_str() {
            "product" => catalog.products.push(entry),
            "environment" => catalog.environments.push(entry),
            _ => catalog.lines.push(entry),
        }
    }
    Ok(catalog)
}

/// When each window (of `ids`) last changed: its row, or its latest
/// cancelled occurrence.
pub async fn window_stamps(
    conn: &mut PgConnection,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, DateTime<Utc>>, DbError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = sqlx::query!(
        r#"SELECT w.id, greatest(w.updated_at,
                    (SELECT max(x.created_at) FROM window_exceptions x
                      WHERE x.tenant_id = w.tenant_id AND x.window_id = w.id)) AS "stamp!"
             FROM windows w WHERE w.tenant_id = $1 AND w.id = ANY($2)"#,
        tenant.0,
        ids
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.stamp)).collect())
}

/// Which releases a feed shows (all optional, combined with AND).
#[derive(Debug, Clone, Copy, Default)]
pub struct Filter {
    pub line: Option<Uuid>,
    pub product: Option<Uuid>,
    /// Deployments to this environment instead of production; milestones of
    /// releases that deploy to it.
    pub environment: Option<Uuid>,
    pub status: Option<ReleaseStatus>,
}

struct DeploymentRow {
    deployment_id: Uuid,
    release_id: Uuid,
    product_key: String,
    product_name: String,
    version: String,
    title: String,
    release_type: String,
    status: String,
    environment: String,
    is_production: bool,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    actual_start: Option<DateTime<Utc>>,
    actual_end: Option<DateTime<Utc>>,
    result: Option<String>,
    override_reason: Option<String>,
    sequence: i64,
    stamp: DateTime<Utc>,
}

/// Scheduled deployments overlapping `[from, to)` to production (or the
/// filtered environment), nearest to `now` first. Overlap in plain
/// comparisons on the `(tenant_id, planned_start)` btree (see
/// [`crate::calendar`]).
#[tracing::instrument(skip(conn))]
pub async fn deployments(
    conn: &mut PgConnection,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
    filter: &Filter,
) -> Result<Vec<DeploymentItem>, DbError> {
    let rows = sqlx::query_as!(
        DeploymentRow,
        r#"SELECT d.id AS deployment_id, r.id AS release_id, p.key AS product_key,
                  p.name AS product_name, r.version, r.title, r.type AS release_type, r.status,
                  e.name AS environment, e.is_production,
                  d.planned_start AS "start!", d.planned_end AS "end!",
                  d.actual_start, d.actual_end, d.result, d.override_reason,
                  (r.revision + d.revision)::int8 AS "sequence!",
                  greatest(r.updated_at, d.updated_at) AS "stamp!"
             FROM deployments d
             JOIN releases r ON r.tenant_id = d.tenant_id AND r.id = d.release_id
             JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
             JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
            CROSS JOIN (SELECT coalesce(max(x.planned_end - x.planned_start), interval '0') AS longest
                          FROM deployments x WHERE x.tenant_id = $1) b
            WHERE d.tenant_id = $1
              AND d.planned_start >= $2::timestamptz - b.longest AND d.planned_start < $3
              AND d.planned_end > $2
              AND CASE WHEN $4::uuid IS NULL THEN e.is_production
                       ELSE d.environment_id = $4 END
              AND ($5::uuid IS NULL OR p.product_line_id = $5)
              AND ($6::uuid IS NULL OR r.product_id = $6)
              AND ($7::text IS NULL OR r.status = $7)
            ORDER BY abs(extract(epoch FROM d.planned_start - $9)), d.id
            LIMIT $8"#,
        tenant.0,
        from,
        to,
        filter.environment,
        filter.line,
        filter.product,
        filter.status.map(ReleaseStatus::as_str),
        LIMIT,
        now
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DeploymentItem {
            release_id: r.release_id,
            deployment_id: r.deployment_id,
            label: format!("{} {}", r.product_key, r.version),
            title: r.title,
            product_name: r.product_name,
            environment: r.environment,
            is_production: r.is_production,
            status: r.status.parse().unwrap_or(ReleaseStatus::Planned),
            release_type: r.release_type.parse().unwrap_or(ReleaseType::Minor),
            start: r.start,
            end: r.end,
            actual_start: r.actual_start,
            actual_end: r.actual_end,
            result: r.result.and_then(|s| s.parse().ok()),
            override_reason: r.override_reason,
            sequence: r.sequence,
            stamp: r.stamp,
        })
        .collect())
}

struct MilestoneRow {
    id: Uuid,
    release_id: Uuid,
    label: String,
    status: String,
    name: String,
    due_at: DateTime<Utc>,
    done_at: Option<DateTime<Utc>>,
    owner: Option<String>,
    sequence: i64,
    stamp: DateTime<Utc>,
}

/// Milestones due in `[from, to)` of releases matching `filter`, nearest
/// to `now` first.
#[tracing::instrument(skip(conn))]
pub async fn milestones(
    conn: &mut PgConnection,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
    filter: &Filter,
) -> Result<Vec<MilestoneItem>, DbError> {
    let rows = sqlx::query_as!(
        MilestoneRow,
        r#"SELECT m.id, m.release_id, p.key || ' ' || r.version AS "label!", r.status,
                  m.name, m.due_at, m.done_at, u.display_name AS "owner?",
                  (m.revision + r.revision)::int8 AS "sequence!",
                  greatest(m.updated_at, r.updated_at) AS "stamp!"
             FROM milestones m
             JOIN releases r ON r.tenant_id = m.tenant_id AND r.id = m.release_id
             JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
             LEFT JOIN users u ON u.id = m.owner_id
            WHERE m.tenant_id = $1 AND m.due_at >= $2 AND m.due_at < $3
              AND ($4::uuid IS NULL OR EXISTS (
                    SELECT 1 FROM deployments d
                     WHERE d.tenant_id = m.tenant_id AND d.release_id = m.release_id
                       AND d.environment_id = $4))
              AND ($5::uuid IS NULL OR p.product_line_id = $5)
              AND ($6::uuid IS NULL OR r.product_id = $6)
              AND ($7::text IS NULL OR r.status = $7)
            ORDER BY abs(extract(epoch FROM m.due_at - $9)), m.id
            LIMIT $8"#,
        tenant.0,
        from,
        to,
        filter.environment,
        filter.line,
        filter.product,
        filter.status.map(ReleaseStatus::as_str),
        LIMIT,
        now
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MilestoneItem {
            id: r.id,
            release_id: r.release_id,
            release_label: r.label,
            release_status: r.status.parse().unwrap_or(ReleaseStatus::Planned),
            name: r.name,
            due: r.due_at,
            done_at: r.done_at,
            owner: r.owner,
            sequence: r.sequence,
            stamp: r.stamp,
        })
        .collect())
}
