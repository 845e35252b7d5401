//! What the executive dashboard reads: the open releases whose health it
//! shows, the releases that shipped, closed go/no-go rounds and production
//! deployments of a period, the products and lines, and the signed-in
//! person's open milestones. A fixed number of statements whatever the
//! portfolio's size; the rules that turn them into health and metrics live
//! in [`almanac_domain::portfolio`].

use crate::DbError;
use almanac_domain::portfolio::Shipped;
use almanac_domain::release::{ReleaseStatus, ReleaseType};
use almanac_domain::review::Decision;
use almanac_domain::{TenantId, UserId};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// An open release (planned … in progress) for its health.
#[derive(Debug, Clone)]
pub struct OpenRelease {
    pub id: Uuid,
    pub product_id: Uuid,
    pub product_key: String,
    pub version: String,
    pub status: ReleaseStatus,
    pub release_type: ReleaseType,
    pub owner_id: Option<UserId>,
    /// Production deployment's planned start.
    pub go_live: Option<DateTime<Utc>>,
    pub overdue_milestones: i64,
    /// The latest round: (id, round, closed, recorded decision, meeting).
    pub review: Option<LatestReview>,
}

/// The latest go/no-go round of a release.
#[derive(Debug, Clone)]
pub struct LatestReview {
    pub id: Uuid,
    pub round: i32,
    pub closed: bool,
    pub decision: Option<Decision>,
    pub meeting_at: Option<DateTime<Utc>>,
}

/// Open releases going live before `until`, overdue, or not scheduled yet,
/// with their overdue milestones (as of `now`); `review` is left empty (see
/// [`latest_rounds`]: rounds are not part of the plan, so the dashboard
/// keeps these rows per plan version and reads the rounds every time). One
/// statement.
pub async fn open_releases(
    conn: &mut PgConnection,
    tenant: TenantId,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<OpenRelease>, DbError> {
    let rows = sqlx::query!(
        r#"WITH live AS (
               -- Production go-lives before the horizon's end, from the
               -- (tenant, environment, planned_start) index: not a lookup
               -- per open release (most open releases are far ahead).
               SELECT DISTINCT ON (d.release_id) d.release_id, d.planned_start
                 FROM deployments d
                 JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
                WHERE d.tenant_id = $1 AND e.is_production
                  AND d.planned_start IS NOT NULL AND d.planned_start < $3
                ORDER BY d.release_id, e.archived
           ), picked AS (
               -- The open releases themselves, so the outer query joins
               -- only their products (not every release of the tenant).
               SELECT r.id, r.tenant_id, r.product_id, r.version, r.status, r.type,
                      r.owner_id, l.planned_start
                 FROM live l
                 JOIN releases r ON r.tenant_id = $1 AND r.id = l.release_id
                WHERE r.status IN ('planned', 'scheduled', 'approved', 'rejected', 'in_progress')
               UNION ALL
               SELECT r.id, r.tenant_id, r.product_id, r.version, r.status, r.type,
                      r.owner_id, NULL::timestamptz
                 FROM releases r
                WHERE r.tenant_id = $1
                  AND r.status IN ('planned', 'scheduled', 'approved', 'rejected', 'in_progress')
                  AND NOT EXISTS (
                      SELECT 1 FROM deployments d
                        JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
                       WHERE d.tenant_id = $1 AND d.release_id = r.id AND e.is_production
                         AND d.planned_start IS NOT NULL)
           )
           SELECT r.id AS "id!", r.product_id AS "product_id!", p.key,
                  r.version AS "version!", r.status AS "status!",
                  r.type AS "release_type!", r.owner_id, r.planned_start AS "go_live?",
                  (SELECT count(*) FROM milestones m
                    WHERE m.tenant_id = r.tenant_id AND m.release_id = r.id
                      AND m.done_at IS NULL AND m.due_at < $2) AS "overdue!"
             FROM picked r
             JOIN products p ON p.tenant_id = $1 AND p.id = r.product_id
            ORDER BY r.planned_start NULLS LAST, p.key, r.version
            LIMIT 5000"#,
        tenant.0,
        now,
        until
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| OpenRelease {
            id: r.id,
            product_id: r.product_id,
            product_key: r.key,
            version: r.version,
            status: r.status.parse().unwrap_or(ReleaseStatus::Planned),
            release_type: r.release_type.parse().unwrap_or(ReleaseType::Minor),
            owner_id: r.owner_id.map(UserId),
            go_live: r.go_live,
            overdue_milestones: r.overdue,
            review: None,
        })
        .collect())
}

/// The latest go/no-go round of each of `releases` that has one. One
/// statement.
pub async fn latest_rounds(
    conn: &mut PgConnection,
    tenant: TenantId,
    releases: &[Uuid],
) -> Result<Vec<(Uuid, LatestReview)>, DbError> {
    let rows = sqlx::query!(
        r#"SELECT DISTINCT ON (v.release_id) v.release_id, v.id, v.round,
                  v.closed_at IS NOT NULL AS "closed!", v.decision, v.meeting_at
             FROM reviews v
            WHERE v.tenant_id = $1 AND v.release_id = ANY($2)
            ORDER BY v.release_id, v.round DESC"#,
        tenant.0,
        releases
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.release_id,
                LatestReview {
                    id: r.id,
                    round: r.round,
                    closed: r.closed,
                    decision: r.decision.as_deref().and_then(Decision::parse),
                    meeting_at: r.meeting_at,
                },
            )
        })
        .collect())
}

/// A product of the portfolio with its line.
#[derive(Debug, Clone)]
pub struct ProductRow {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub colour: String,
    pub line_id: Option<Uuid>,
    pub line_name: Option<String>,
}

/// The tenant's products that are not archived, by line then key.
pub async fn products(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<ProductRow>, DbError> {
    Ok(sqlx::query_as!(
        ProductRow,
        r#"SELECT p.id, p.key, p.name, p.colour, p.product_line_id AS line_id,
                  l.name AS "line_name?"
             FROM products p
             LEFT JOIN product_lines l ON l.tenant_id = p.tenant_id AND l.id = p.product_line_id
            WHERE p.tenant_id = $1 AND NOT p.archived
            ORDER BY l.position NULLS LAST, lower(l.name), p.key
            LIMIT 2000"#,
        tenant.0
    )
    .fetch_all(conn)
    .await?)
}

/// Releases whose production deployment actually started in `[from, to)`.
/// One statement (on the production environments' deployments).
pub async fn shipped(
    conn: &mut PgConnection,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Shipped>, DbError> {
    let rows = sqlx::query!(
        r#"SELECT DISTINCT ON (r.id) r.id, r.product_id, r.type AS release_type, r.status,
                  r.created_at, r.baseline_go_live, d.actual_start AS "actual!"
             FROM deployments d
             JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
             JOIN releases r ON r.tenant_id = d.tenant_id AND r.id = d.release_id
            WHERE d.tenant_id = $1 AND e.is_production
              AND d.actual_start >= $2 AND d.actual_start < $3
            ORDER BY r.id, e.archived"#,
        tenant.0,
        from,
        to
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Shipped {
            id: r.id,
            product_id: r.product_id,
            release_type: r.release_type.parse().unwrap_or(ReleaseType::Minor),
            status: r.status.parse().unwrap_or(ReleaseStatus::Released),
            created_at: r.created_at,
            baseline_go_live: r.baseline_go_live,
            actual_go_live: r.actual,
        })
        .collect())
}

/// A go/no-go round closed in a period: its release's product, decision
/// and whether it went against the votes.
#[derive(Debug, Clone)]
pub struct ClosedRound {
    pub release_id: Uuid,
    pub product_id: Uuid,
    pub decision: Decision,
    pub overridden: bool,
}

/// Rounds closed in `[from, to)`. One statement.
pub async fn closed_rounds(
    conn: &mut PgConnection,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ClosedRound>, DbError> {
    let rows = sqlx::query!(
        r#"SELECT r.id AS release_id, r.product_id, v.decision AS "decision!",
                  v.decision IS DISTINCT FROM v.computed_decision AS "overridden!"
             FROM reviews v
             JOIN releases r ON r.tenant_id = v.tenant_id AND r.id = v.release_id
            WHERE v.tenant_id = $1 AND v.closed_at >= $2 AND v.closed_at < $3"#,
        tenant.0,
        from,
        to
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(ClosedRound {
                release_id: r.release_id,
                product_id: r.product_id,
                decision: Decision::parse(&r.decision)?,
                overridden: r.overridden,
            })
        })
        .collect())
}

/// Production deployments that actually started in `[from, to)`, per
/// product. One statement.
pub async fn production_deployments(
    conn: &mut PgConnection,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(Uuid, i64)>, DbError> {
    let rows = sqlx::query!(
        r#"SELECT r.product_id, count(*) AS "n!"
             FROM deployments d
             JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
             JOIN releases r ON r.tenant_id = d.tenant_id AND r.id = d.release_id
            WHERE d.tenant_id = $1 AND e.is_production
              AND d.actual_start >= $2 AND d.actual_start < $3
            GROUP BY r.product_id"#,
        tenant.0,
        from,
        to
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.product_id, r.n)).collect())
}

/// An open milestone of someone, due before a time.
#[derive(Debug, Clone)]
pub struct MyMilestone {
    pub release_id: Uuid,
    pub release_label: String,
    pub name: String,
    pub due_at: DateTime<Utc>,
}

/// `user`'s open milestones due before `until` (overdue ones included), by
/// due time. One statement.
pub async fn my_milestones(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: UserId,
    until: DateTime<Utc>,
) -> Result<Vec<MyMilestone>, DbError> {
    Ok(sqlx::query_as!(
        MyMilestone,
        r#"SELECT m.release_id, p.key || ' ' || r.version AS "release_label!", m.name, m.due_at
             FROM milestones m
             JOIN releases r ON r.tenant_id = m.tenant_id AND r.id = m.release_id
             JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
            WHERE m.tenant_id = $1 AND m.owner_id = $2 AND m.done_at IS NULL
              AND m.due_at < $3
              AND r.status NOT IN ('released', 'rolled_back', 'cancelled')
            ORDER BY m.due_at
            LIMIT 50"#,
        tenant.0,
        user.0,
        until
    )
    .fetch_all(conn)
    .await?)
}
