//! What the calendar views read for a visible range, in a fixed number of
//! statements whatever the portfolio's size ([`load`]):
//!
//! 1. the deployments overlapping the range that match the filter (`shown`,
//!    through the btree on `(tenant_id, planned_start)`), together with the
//!    deployments conflicts are checked against: every other deployment
//!    around them (their hull widened by two days, filters ignored) and every
//!    deployment of a shown release (the quarter view draws whole releases,
//!    and milestone order needs the production deployment);
//! 2. the milestones due in the range that match the filter, and every
//!    milestone of a shown release (the milestone-order rule);
//! 3. the tenant's environments;
//! 4. the tenant's products with their product lines;
//! 5. the windows whose span overlaps the range or the hull of the shown
//!    deployments ([`crate::windows::overlapping`]: three statements).
//!
//! Seven statements in all. Recurring windows come back as rules: the
//! domain expands them inside the visible range only.

use crate::DbError;
use almanac_domain::TenantId;
use almanac_domain::release::{DeploymentResult, ReleaseStatus, ReleaseType};
use almanac_domain::window::Window;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// At most this many deployments (and as many milestones) are read for one
/// view; [`Calendar::truncated`] says when the range held more.
pub const LIMIT: i64 = 5000;

/// Which records the calendar shows (all optional, combined with AND).
/// Windows are not filtered here: the views decide which cover what.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub product_line: Option<Uuid>,
    pub product: Option<Uuid>,
    /// Deployments to this environment only (milestones are not bound to one).
    pub environment: Option<Uuid>,
    pub status: Option<ReleaseStatus>,
}

/// A planned deployment with its release and product.
#[derive(Debug, Clone)]
pub struct CalendarDeployment {
    pub id: Uuid,
    pub release_id: Uuid,
    pub environment_id: Uuid,
    pub product_id: Uuid,
    pub product_line_id: Option<Uuid>,
    pub product_key: String,
    pub product_colour: String,
    pub version: String,
    pub title: String,
    pub release_type: ReleaseType,
    pub status: ReleaseStatus,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub actual_start: Option<DateTime<Utc>>,
    pub actual_end: Option<DateTime<Utc>>,
    pub result: Option<DeploymentResult>,
    pub override_reason: Option<String>,
    /// In the range and matching the filter (else read only to check
    /// conflicts or to draw its whole release).
    pub shown: bool,
}

/// A milestone with its release and product.
#[derive(Debug, Clone)]
pub struct CalendarMilestone {
    pub id: Uuid,
    pub release_id: Uuid,
    pub name: String,
    pub due: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub product_id: Uuid,
    pub product_key: String,
    pub product_colour: String,
    pub version: String,
    pub status: ReleaseStatus,
    /// Due in the range and matching the filter (else read for the
    /// milestone-order rule of a shown release).
    pub shown: bool,
}

#[derive(Debug, Clone)]
pub struct CalendarEnvironment {
    pub id: Uuid,
    pub name: String,
    pub shared: bool,
    pub requires_window: bool,
    pub is_production: bool,
    pub archived: bool,
}

/// A product with its line, in portfolio order (lines by position, products
/// without a line last, then by key).
#[derive(Debug, Clone)]
pub struct CalendarProduct {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub colour: String,
    pub archived: bool,
    pub line_id: Option<Uuid>,
    pub line_name: Option<String>,
}

/// Everything a calendar view needs for its range.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// Shown deployments and their conflict context, by start.
    pub deployments: Vec<CalendarDeployment>,
    /// Shown milestones and the other milestones of shown releases, by due.
    pub milestones: Vec<CalendarMilestone>,
    /// Windows (release and freeze) that may overlap the range or the shown
    /// deployments.
    pub windows: Vec<Window>,
    /// Environments in their order (archived last).
    pub environments: Vec<CalendarEnvironment>,
    pub products: Vec<CalendarProduct>,
    /// The range held more deployments or milestones than [`LIMIT`].
    pub truncated: bool,
}

struct DeploymentRow {
    id: Uuid,
    release_id: Uuid,
    environment_id: Uuid,
    product_id: Uuid,
    product_line_id: Option<Uuid>,
    product_key: String,
    product_colour: String,
    version: String,
    title: String,
    release_type: String,
    status: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    actual_start: Option<DateTime<Utc>>,
    actual_end: Option<DateTime<Utc>>,
    result: Option<String>,
    override_reason: Option<String>,
    shown: bool,
}

impl From<DeploymentRow> for CalendarDeployment {
    fn from(r: DeploymentRow) -> Self {
        Self {
            id: r.id,
            release_id: r.release_id,
            environment_id: r.environment_id,
            product_id: r.product_id,
            product_line_id: r.product_line_id,
            product_key: r.product_key,
            product_colour: r.product_colour,
            version: r.version,
            title: r.title,
            release_type: r.release_type.parse().unwrap_or(ReleaseType::Minor),
            status: r.status.parse().unwrap_or(ReleaseStatus::Planned),
            start: r.start,
            end: r.end,
            actual_start: r.actual_start,
            actual_end: r.actual_end,
            result: r.result.and_then(|s| s.parse().ok()),
            override_reason: r.override_reason,
            shown: r.shown,
        }
    }
}

struct MilestoneRow {
    id: Uuid,
    release_id: Uuid,
    name: String,
    due: DateTime<Utc>,
    done_at: Option<DateTime<Utc>>,
    product_id: Uuid,
    product_key: String,
    product_colour: String,
    version: String,
    status: String,
    shown: bool,
}

impl From<MilestoneRow> for CalendarMilestone {
    fn from(r: MilestoneRow) -> Self {
        Self {
            id: r.id,
            release_id: r.release_id,
            name: r.name,
            due: r.due,
            done_at: r.done_at,
            product_id: r.product_id,
            product_key: r.product_key,
            product_colour: r.product_colour,
            version: r.version,
            status: r.status.parse().unwrap_or(ReleaseStatus::Planned),
            shown: r.shown,
        }
    }
}

/// Everything the calendar shows in `[from, to)` under `filter`, with the
/// context its conflicts need (see the module doc): seven statements.
#[tracing::instrument(skip(conn))]
pub async fn load(
    conn: &mut PgConnection,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    filter: &Filter,
) -> Result<Calendar, DbError> {
    let deployments = deployments(conn, tenant, from, to, filter).await?;
    let shown_releases: Vec<Uuid> = {
        let mut ids: Vec<Uuid> = deployments
            .iter()
            .filter(|d| d.shown)
            .map(|d| d.release_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let milestones = milestones(conn, tenant, from, to, filter, &shown_releases).await?;
    let environments = environments(conn, tenant).await?;
    let products = products(conn, tenant).await?;
    // Windows over the range and every shown deployment (one may start
    // before the range or end after it).
    let (window_from, window_to) = deployments
        .iter()
        .filter(|d| d.shown)
        .fold((from, to), |(a, b), d| (a.min(d.start), b.max(d.end)));
    let windows = crate::windows::overlapping(conn, tenant, window_from, window_to).await?;
    let truncated = i64::try_from(deployments.len()).unwrap_or(i64::MAX) >= LIMIT
        || i64::try_from(milestones.len()).unwrap_or(i64::MAX) >= LIMIT;
    Ok(Calendar {
        deployments,
        milestones,
        windows,
        environments,
        products,
        truncated,
    })
}

/// Statement 1: shown deployments and their conflict context.
async fn deployments(
    conn: &mut PgConnection,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    filter: &Filter,
) -> Result<Vec<CalendarDeployment>, DbError> {
    // Overlap is written with plain comparisons, bounded below by the
    // tenant's longest deployment (`longest`): range operators are not
    // leakproof, so under row-level security they cannot use an index (see
    // migration 20261129000001). The bounds are scalar subqueries, which
    // PostgreSQL computes once before the scan and uses as index conditions
    // (a join against the CTE would not be). A deployment without times has NULL bounds
    // and never compares true; an empty `shown` gives a NULL hull, so the
    // context's first half is empty too.
    let rows = sqlx::query_as!(
        DeploymentRow,
        r#"WITH bound AS (
               SELECT coalesce(max(x.planned_end - x.planned_start), interval '0') AS longest
                 FROM deployments x
                WHERE x.tenant_id = $1
           ), shown AS (
               SELECT d.id, d.release_id, d.planned_start, d.planned_end
                 FROM deployments d
                WHERE d.tenant_id = $1
                  AND d.planned_start >= $2::timestamptz - (SELECT longest FROM bound)
                  AND d.planned_start < $3
                  AND d.planned_end > $2
                  AND ($6::uuid IS NULL OR d.environment_id = $6)
                  AND (($4::uuid IS NULL AND $5::uuid IS NULL AND $7::text IS NULL)
                       OR EXISTS (
                          SELECT 1 FROM releases r
                            JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
                           WHERE r.tenant_id = d.tenant_id AND r.id = d.release_id
                             AND ($4::uuid IS NULL OR p.product_line_id = $4)
                             AND ($5::uuid IS NULL OR r.product_id = $5)
                             AND ($7::text IS NULL OR r.status = $7)))
           ), hull AS (
               SELECT min(planned_start) - interval '2 days' AS lo,
                      max(planned_end) + interval '2 days' AS hi
                 FROM shown
           ), context AS (
               -- A UNION rather than an OR, so each side uses its index
               -- (the btree on planned_start, the btree on release_id).
               SELECT d.id, d.release_id, d.environment_id, d.planned_start, d.planned_end,
                      d.actual_start, d.actual_end, d.result, d.override_reason
                 FROM deployments d
                WHERE d.tenant_id = $1
                  AND d.planned_start >= (SELECT lo FROM hull) - (SELECT longest FROM bound)
                  AND d.planned_start < (SELECT hi FROM hull)
                  AND d.planned_end > (SELECT lo FROM hull)
               UNION
               SELECT d.id, d.release_id, d.environment_id, d.planned_start, d.planned_end,
                      d.actual_start, d.actual_end, d.result, d.override_reason
                 FROM deployments d
                WHERE d.tenant_id = $1 AND d.planned_start IS NOT NULL
                  AND d.release_id IN (SELECT release_id FROM shown)
           )
           SELECT d.id AS "id!", d.release_id AS "release_id!",
                  d.environment_id AS "environment_id!", r.product_id, p.product_line_id,
                  p.key AS product_key, p.colour AS product_colour, r.version, r.title,
                  r.type AS release_type, r.status,
                  d.planned_start AS "start!", d.planned_end AS "end!",
                  d.actual_start, d.actual_end, d.result, d.override_reason,
                  EXISTS (SELECT 1 FROM shown s WHERE s.id = d.id) AS "shown!"
             FROM context d
             -- OFFSET 0 keeps this a per-row primary-key lookup: a month
             -- holds a few thousand deployments of a tenant's many releases,
             -- and hashing all of them costs more than looking these up.
             CROSS JOIN LATERAL (
                  SELECT r.product_id, r.version, r.title, r.type, r.status
                    FROM releases r
                   WHERE r.tenant_id = $1 AND r.id = d.release_id
                  OFFSET 0) r
             JOIN products p ON p.tenant_id = $1 AND p.id = r.product_id
            ORDER BY d.planned_start, p.key, r.version, d.id
            LIMIT $8"#,
        tenant.0,
        from,
        to,
        filter.product_line,
        filter.product,
        filter.environment,
        filter.status.map(ReleaseStatus::as_str),
        LIMIT
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(CalendarDeployment::from).collect())
}

/// Statement 2: milestones due in the range (filtered) and every milestone
/// of the shown releases.
async fn milestones(
    conn: &mut PgConnection,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    filter: &Filter,
    releases: &[Uuid],
) -> Result<Vec<CalendarMilestone>, DbError> {
    let rows = sqlx::query_as!(
        MilestoneRow,
        r#"WITH picked AS (
               -- A UNION rather than an OR, so each side uses its index.
               SELECT m.id, m.release_id, m.name, m.due_at, m.done_at
                 FROM milestones m
                WHERE m.tenant_id = $1 AND m.due_at >= $2 AND m.due_at < $3
               UNION
               SELECT m.id, m.release_id, m.name, m.due_at, m.done_at
                 FROM milestones m
                WHERE m.tenant_id = $1 AND m.release_id = ANY($7)
           )
           SELECT m.id AS "id!", m.release_id AS "release_id!", m.name AS "name!",
                  m.due_at AS "due!", m.done_at, r.product_id,
                  p.key AS product_key, p.colour AS product_colour, r.version, r.status,
                  (m.due_at >= $2 AND m.due_at < $3
                   AND ($4::uuid IS NULL OR p.product_line_id = $4)
                   AND ($5::uuid IS NULL OR r.product_id = $5)
                   AND ($6::text IS NULL OR r.status = $6)) AS "shown!"
             FROM picked m
             -- A primary-key lookup per milestone (see `deployments`).
             CROSS JOIN LATERAL (
                  SELECT r.product_id, r.version, r.status
                    FROM releases r
                   WHERE r.tenant_id = $1 AND r.id = m.release_id
                  OFFSET 0) r
             JOIN products p ON p.tenant_id = $1 AND p.id = r.product_id
            ORDER BY m.due_at, p.key, r.version, lower(m.name), m.id
            LIMIT $8"#,
        tenant.0,
        from,
        to,
        filter.product_line,
        filter.product,
        filter.status.map(ReleaseStatus::as_str),
        releases,
        LIMIT
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(CalendarMilestone::from).collect())
}

/// Statement 3: the environments in their order, archived last.
async fn environments(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<CalendarEnvironment>, DbError> {
    Ok(sqlx::query_as!(
        CalendarEnvironment,
        "SELECT id, name, shared, requires_window, is_production, archived
           FROM environments
          WHERE tenant_id = $1
          ORDER BY archived, position, lower(name)
          LIMIT 500",
        tenant.0
    )
    .fetch_all(conn)
    .await?)
}

/// Statement 4: the products with their lines, in portfolio order.
async fn products(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<CalendarProduct>, DbError> {
    Ok(sqlx::query_as!(
        CalendarProduct,
        r#"SELECT p.id, p.key, p.name, p.colour, p.archived,
                  l.id AS "line_id?", l.name AS "line_name?"
             FROM products p
             LEFT JOIN product_lines l
                    ON l.tenant_id = p.tenant_id AND l.id = p.product_line_id
            WHERE p.tenant_id = $1
            ORDER BY l.position NULLS LAST, lower(l.name), p.key
            LIMIT 2000"#,
        tenant.0
    )
    .fetch_all(conn)
    .await?)
}
