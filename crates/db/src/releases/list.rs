//! The releases list and its export: filters, sort orders and pages in a
//! fixed number of statements, whatever the page.
//!
//! [`count`] is one statement; [`list`] is two or three: the ordered ids of
//! the page, then the rows for them. The orders by go-live live in
//! [`go_live`] (the unfiltered first pages read go-lives in index order and
//! stop at the page's end); the others sort the matching releases (one
//! statement with `LIMIT`).
//!
//! Every filtering statement filters with the same SQL (`filtered!`): `$1`
//! is the tenant, `$2`–`$15` the filter in [`Binds`] order, and the
//! statement's own parameters start at `$16`.

use crate::DbError;
use almanac_domain::TenantId;
use almanac_domain::release::{ReleaseStatus, ReleaseType, Risk};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// At most this many releases in an `ids` filter.
pub const MAX_IDS: usize = 500;

/// What the releases list and its export show of one release.
#[derive(Debug, Clone)]
pub struct ListedRelease {
    pub id: Uuid,
    pub product_id: Uuid,
    pub product_key: String,
    pub product_name: String,
    pub product_colour: String,
    pub product_line: Option<String>,
    pub version: String,
    pub title: String,
    pub release_type: ReleaseType,
    pub status: ReleaseStatus,
    pub risk: Risk,
    pub owner_name: Option<String>,
    pub train_id: Option<Uuid>,
    pub train_name: Option<String>,
    /// The production deployment's planned start.
    pub go_live: Option<DateTime<Utc>>,
    /// The production deployment's actual start.
    pub actual_go_live: Option<DateTime<Utc>>,
    pub baseline_go_live: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The list filters (all optional, combined with AND). Periods are
/// half-open: `from` inclusive, `before` exclusive.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub product: Option<Uuid>,
    /// Releases of the products of this product line.
    pub line: Option<Uuid>,
    pub status: Option<ReleaseStatus>,
    pub release_type: Option<ReleaseType>,
    pub risk: Option<Risk>,
    pub train: Option<Uuid>,
    /// Case-insensitive substring of the version or title.
    pub text: Option<String>,
    /// The go-live (planned) is in `[go_live_from, go_live_before)`.
    pub go_live_from: Option<DateTime<Utc>>,
    pub go_live_before: Option<DateTime<Utc>>,
    /// The actual go-live is in `[shipped_from, shipped_before)`.
    pub shipped_from: Option<DateTime<Utc>>,
    pub shipped_before: Option<DateTime<Utc>>,
    /// Exactly these releases (at most [`MAX_IDS`]; the caller checks).
    pub ids: Option<Vec<Uuid>>,
    /// A go/no-go round of the release closed in
    /// `[decided_from, decided_before)`.
    pub decided_from: Option<DateTime<Utc>>,
    pub decided_before: Option<DateTime<Utc>>,
}

/// The orders of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Upcoming go-lives (from yesterday on) soonest first, then releases
    /// without a go-live, then past ones most recent first.
    #[default]
    Upcoming,
    /// By go-live; releases without one last in both directions.
    GoLive,
    /// By product key.
    Product,
    /// By version, numbers compared as numbers (`2.9` before `2.10`).
    Version,
    /// In the order of the status table (planned … cancelled).
    Status,
    /// Low, medium, high.
    Risk,
    /// By creation.
    Created,
}

/// A sort and its direction (ignored by [`Sort::Upcoming`]). Equal keys
/// are ordered by product key and version (numbers as numbers; by go-live,
/// byte order), so every order is total and pages never overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Order {
    pub sort: Sort,
    pub descending: bool,
}

/// The filter as bound to `$2`–`$15`.
struct Binds {
    product: Option<Uuid>,
    line: Option<Uuid>,
    status: Option<&'static str>,
    release_type: Option<&'static str>,
    risk: Option<&'static str>,
    train: Option<Uuid>,
    text: Option<String>,
    go_live_from: Option<DateTime<Utc>>,
    go_live_before: Option<DateTime<Utc>>,
    shipped_from: Option<DateTime<Utc>>,
    shipped_before: Option<DateTime<Utc>>,
    ids: Option<Vec<Uuid>>,
    decided_from: Option<DateTime<Utc>>,
    decided_before: Option<DateTime<Utc>>,
}

impl Binds {
    fn of(f: &Filter) -> Self {
        Self {
            product: f.product,
            line: f.line,
            status: f.status.map(ReleaseStatus::as_str),
            release_type: f.release_type.map(ReleaseType::as_str),
            risk: f.risk.map(Risk::as_str),
            train: f.train,
            text: f
                .text
                .as_deref()
                .filter(|t| !t.trim().is_empty())
                .map(like_pattern),
            go_live_from: f.go_live_from,
            go_live_before: f.go_live_before,
            shipped_from: f.shipped_from,
            shipped_before: f.shipped_before,
            ids: f.ids.clone(),
            decided_from: f.decided_from,
            decided_before: f.decided_before,
        }
    }

    /// No filter at all.
    fn is_empty(&self) -> bool {
        self.product.is_none()
            && self.line.is_none()
            && self.status.is_none()
            && self.release_type.is_none()
            && self.risk.is_none()
            && self.train.is_none()
            && self.text.is_none()
            && !self.needs_go_live()
            && self.ids.is_none()
            && self.decided_from.is_none()
            && self.decided_before.is_none()
    }

    /// Only releases with a go-live can match.
    fn needs_go_live(&self) -> bool {
        self.go_live_from.is_some()
            || self.go_live_before.is_some()
            || self.shipped_from.is_some()
            || self.shipped_before.is_some()
    }
}

/// `%text%` for ILIKE, with the pattern characters of `text` escaped.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .trim()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Runs sqlx's `query_scalar!` on a statement written as string literals
/// joined by `+`, in which each `FILTER` stands for the list filters over
/// the releases aliased `r`; binds the tenant (`$1`) and the filter's
/// [`Binds`] (`$2`–`$15`) before the statement's own arguments:
///
/// `filtered!("SELECT … WHERE r.tenant_id = $1" + FILTER; tenant, binds, own…)`
///
/// One text for every statement, so a new filter is added once. The go-live
/// is the planned start of the deployment to the production environment,
/// to an archived production environment only when there is none to the
/// current one (as in [`super::get`]); the periods are read from the
/// deployments' indexes once per statement (hashed sub-plans), never once
/// per release.
///
/// The statement is not kept prepared (`persistent(false)`), so PostgreSQL
/// plans it for the filters in use each time (a millisecond or two): a
/// kept statement soon gets a generic plan, which cannot tell which of the
/// dozen `$n IS NULL OR …` conditions are in use, multiplies their guessed
/// selectivities, expects a handful of matching releases, and reads the
/// others once per release (tens of milliseconds at 20,000 releases; a
/// single `ids` filter runs 15× slower than planned for its values). Open
/// ends of periods are `CASE`, not `coalesce`: under row-level security
/// PostgreSQL takes a comparison with `coalesce(…)` for possibly leaky and
/// never makes it an index condition.
macro_rules! filtered {
    (@munch [$($sql:tt)*] FILTER $($rest:tt)*) => {
        filtered!(@munch [$($sql)* "
            AND ($2::uuid IS NULL OR r.product_id = $2)
            AND ($3::uuid IS NULL OR r.product_id IN (
                    SELECT fp.id FROM products fp
                     WHERE fp.tenant_id = $1 AND fp.product_line_id = $3))
            AND ($4::text IS NULL OR r.status = $4)
            AND ($5::text IS NULL OR r.type = $5)
            AND ($6::text IS NULL OR r.risk = $6)
            AND ($7::uuid IS NULL OR r.release_train_id = $7)
            AND ($8::text IS NULL OR r.version ILIKE $8 OR r.title ILIKE $8)
            AND ($9::timestamptz IS NULL AND $10::timestamptz IS NULL OR r.id IN (
                    SELECT fd.release_id
                      FROM deployments fd
                      JOIN environments fe
                        ON fe.tenant_id = fd.tenant_id AND fe.id = fd.environment_id
                     WHERE fd.tenant_id = $1 AND fe.is_production
                       AND fd.planned_start >= CASE WHEN $9::timestamptz IS NULL THEN '-infinity' ELSE $9::timestamptz END
                       AND fd.planned_start < CASE WHEN $10::timestamptz IS NULL THEN 'infinity' ELSE $10::timestamptz END
                       AND (NOT fe.archived OR NOT EXISTS (
                            SELECT 1 FROM deployments fc
                              JOIN environments fce
                                ON fce.tenant_id = fc.tenant_id AND fce.id = fc.environment_id
                             WHERE fc.tenant_id = $1 AND fc.release_id = fd.release_id
                               AND fce.is_production AND NOT fce.archived))))
            AND ($11::timestamptz IS NULL AND $12::timestamptz IS NULL OR r.id IN (
                    SELECT fd.release_id
                      FROM deployments fd
                      JOIN environments fe
                        ON fe.tenant_id = fd.tenant_id AND fe.id = fd.environment_id
                     WHERE fd.tenant_id = $1 AND fe.is_production
                       AND fd.actual_start >= CASE WHEN $11::timestamptz IS NULL THEN '-infinity' ELSE $11::timestamptz END
                       AND fd.actual_start < CASE WHEN $12::timestamptz IS NULL THEN 'infinity' ELSE $12::timestamptz END
                       AND (NOT fe.archived OR NOT EXISTS (
                            SELECT 1 FROM deployments fc
                              JOIN environments fce
                                ON fce.tenant_id = fc.tenant_id AND fce.id = fc.environment_id
                             WHERE fc.tenant_id = $1 AND fc.release_id = fd.release_id
                               AND fce.is_production AND NOT fce.archived))))
            AND ($13::uuid[] IS NULL OR r.id = ANY ($13::uuid[]))
            AND ($14::timestamptz IS NULL AND $15::timestamptz IS NULL OR r.id IN (
                    SELECT fv.release_id
                      FROM reviews fv
                     WHERE fv.tenant_id = $1 AND fv.closed_at IS NOT NULL
                       AND fv.closed_at >= CASE WHEN $14::timestamptz IS NULL THEN '-infinity' ELSE $14::timestamptz END
                       AND fv.closed_at < CASE WHEN $15::timestamptz IS NULL THEN 'infinity' ELSE $15::timestamptz END))
        "] $($rest)*)
    };
    (@munch [$($sql:tt)*] ; $tenant:expr, $b:expr $(, $arg:expr)* $(,)?) => {
        sqlx::query_scalar!(
            $($sql)*,
            $tenant,
            $b.product,
            $b.line,
            $b.status,
            $b.release_type,
            $b.risk,
            $b.train,
            $b.text.as_deref(),
            $b.go_live_from,
            $b.go_live_before,
            $b.shipped_from,
            $b.shipped_before,
            $b.ids.as_deref(),
            $b.decided_from,
            $b.decided_before
            $(, $arg)*
        )
        .persistent(false)
    };
    (@munch [$($sql:tt)*] $t:tt $($rest:tt)*) => {
        filtered!(@munch [$($sql)* $t] $($rest)*)
    };
    ($($rest:tt)*) => {
        filtered!(@munch [] $($rest)*)
    };
}

mod go_live;

/// How many releases match `filter` (one statement).
#[tracing::instrument(skip(conn))]
pub async fn count(
    conn: &mut PgConnection,
    tenant: TenantId,
    filter: &Filter,
) -> Result<i64, DbError> {
    let b = Binds::of(filter);
    if b.is_empty() {
        // The common case, from the tenant's index alone (index-only scan):
        // the filtered statement reads every row to test its conditions.
        return Ok(sqlx::query_scalar!(
            r#"SELECT count(*) AS "count!" FROM releases WHERE tenant_id = $1"#,
            tenant.0
        )
        .fetch_one(conn)
        .await?);
    }
    Ok(filtered!(
        r#"SELECT count(*) AS "count!" FROM releases r WHERE r.tenant_id = $1"# + FILTER;
        tenant.0,
        b
    )
    .fetch_one(conn)
    .await?)
}

/// The releases matching `filter` in `order`, `limit` of them from the
/// `offset`-th on (two or three statements).
#[tracing::instrument(skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
    filter: &Filter,
    order: Order,
    offset: i64,
    limit: i64,
) -> Result<Vec<ListedRelease>, DbError> {
    let (offset, limit) = (offset.max(0), limit.max(0));
    if limit == 0 {
        return Ok(Vec::new());
    }
    let b = Binds::of(filter);
    let ids = match order.sort {
        Sort::Upcoming | Sort::GoLive => {
            go_live::page(conn, tenant, &b, order, offset, limit, Utc::now()).await?
        }
        _ => sorted(conn, tenant, &b, order, offset, limit).await?,
    };
    rows(conn, tenant, &ids).await
}

/// The ids of the page for the orders on the release itself (one
/// statement sorting the matching releases, `LIMIT` at the page's end).
async fn sorted(
    conn: &mut PgConnection,
    tenant: TenantId,
    b: &Binds,
    order: Order,
    offset: i64,
    limit: i64,
) -> Result<Vec<Uuid>, DbError> {
    let sort = match order.sort {
        Sort::Product => "product",
        Sort::Version => "version",
        Sort::Status => "status",
        Sort::Risk => "risk",
        Sort::Upcoming | Sort::GoLive | Sort::Created => "created",
    };
    let statuses: Vec<String> = ReleaseStatus::ALL.iter().map(|s| s.to_string()).collect();
    let risks: Vec<String> = Risk::ALL.iter().map(|r| r.to_string()).collect();
    // Versions in the collation that compares runs of digits as numbers
    // (migration `version_sort`).
    Ok(filtered!(
        r#"SELECT r.id
             FROM releases r
             JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
            WHERE r.tenant_id = $1"#
            + FILTER
            + r#"
            ORDER BY
              CASE WHEN $16 = 'product' AND NOT $17 THEN p.key END,
              CASE WHEN $16 = 'product' AND $17 THEN p.key END DESC,
              CASE WHEN $16 = 'version' AND NOT $17 THEN r.version COLLATE version_sort END,
              CASE WHEN $16 = 'version' AND $17 THEN r.version COLLATE version_sort END DESC,
              CASE WHEN $16 = 'status' THEN array_position($18::text[], r.status)
                                            * CASE WHEN $17 THEN -1 ELSE 1 END END,
              CASE WHEN $16 = 'risk' THEN array_position($19::text[], r.risk)
                                          * CASE WHEN $17 THEN -1 ELSE 1 END END,
              CASE WHEN $16 = 'created' AND NOT $17 THEN r.created_at END,
              CASE WHEN $16 = 'created' AND $17 THEN r.created_at END DESC,
              p.key, r.version COLLATE version_sort
            LIMIT $20 OFFSET $21"#;
        tenant.0,
        b,
        sort,
        order.descending,
        &statuses[..],
        &risks[..],
        limit,
        offset
    )
    .fetch_all(conn)
    .await?)
}

struct ListedRow {
    id: Uuid,
    product_id: Uuid,
    product_key: String,
    product_name: String,
    product_colour: String,
    product_line: Option<String>,
    version: String,
    title: String,
    release_type: String,
    status: String,
    risk: String,
    owner_name: Option<String>,
    train_id: Option<Uuid>,
    train_name: Option<String>,
    go_live: Option<DateTime<Utc>>,
    actual_go_live: Option<DateTime<Utc>>,
    baseline_go_live: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<ListedRow> for ListedRelease {
    fn from(r: ListedRow) -> Self {
        Self {
            id: r.id,
            product_id: r.product_id,
            product_key: r.product_key,
            product_name: r.product_name,
            product_colour: r.product_colour,
            product_line: r.product_line,
            version: r.version,
            title: r.title,
            release_type: r.release_type.parse().unwrap_or(ReleaseType::Minor),
            status: r.status.parse().unwrap_or(ReleaseStatus::Planned),
            risk: r.risk.parse().unwrap_or(Risk::Medium),
            owner_name: r.owner_name,
            train_id: r.train_id,
            train_name: r.train_name,
            go_live: r.go_live,
            actual_go_live: r.actual_go_live,
            baseline_go_live: r.baseline_go_live,
            created_at: r.created_at,
        }
    }
}

/// Up to this many rows look their production deployment up one release
/// at a time; more (an export) join every production deployment at once.
const ROWS_LOOKED_UP: usize = 1_000;

/// The rows shown for `ids`, in the order of `ids` (one statement).
async fn rows(
    conn: &mut PgConnection,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<Vec<ListedRelease>, DbError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found = if ids.len() <= ROWS_LOOKED_UP {
        sqlx::query_as!(
            ListedRow,
            r#"SELECT r.id, r.product_id, p.key AS product_key, p.name AS product_name,
                      p.colour AS product_colour, l.name AS "product_line?",
                      r.version, r.title, r.type AS release_type, r.status, r.risk,
                      u.display_name AS "owner_name?", r.release_train_id AS train_id,
                      t.name AS "train_name?", pd.planned_start AS "go_live?",
                      pd.actual_start AS "actual_go_live?", r.baseline_go_live, r.created_at
                 FROM releases r
                 JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
                 LEFT JOIN product_lines l
                        ON l.tenant_id = p.tenant_id AND l.id = p.product_line_id
                 LEFT JOIN users u ON u.id = r.owner_id
                 LEFT JOIN release_trains t
                        ON t.tenant_id = r.tenant_id AND t.id = r.release_train_id
                 LEFT JOIN LATERAL (
                      SELECT d.planned_start, d.actual_start
                        FROM deployments d
                        JOIN environments e
                          ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
                       WHERE d.tenant_id = r.tenant_id AND d.release_id = r.id
                         AND e.is_production
                       ORDER BY e.archived
                       LIMIT 1) pd ON true
                WHERE r.tenant_id = $1 AND r.id = ANY($2)"#,
            tenant.0,
            ids,
        )
        .fetch_all(conn)
        .await?
    } else {
        sqlx::query_as!(
            ListedRow,
            r#"WITH production AS (
                   SELECT DISTINCT ON (d.release_id) d.release_id, d.planned_start, d.actual_start
                     FROM deployments d
                     JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
                    WHERE d.tenant_id = $1 AND e.is_production
                    ORDER BY d.release_id, e.archived
               )
               SELECT r.id, r.product_id, p.key AS product_key, p.name AS product_name,
                      p.colour AS product_colour, l.name AS "product_line?",
                      r.version, r.title, r.type AS release_type, r.status, r.risk,
                      u.display_name AS "owner_name?", r.release_train_id AS train_id,
                      t.name AS "train_name?", pd.planned_start AS "go_live?",
                      pd.actual_start AS "actual_go_live?", r.baseline_go_live, r.created_at
                 FROM releases r
                 JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
                 LEFT JOIN product_lines l
                        ON l.tenant_id = p.tenant_id AND l.id = p.product_line_id
                 LEFT JOIN users u ON u.id = r.owner_id
                 LEFT JOIN release_trains t
                        ON t.tenant_id = r.tenant_id AND t.id = r.release_train_id
                 LEFT JOIN production pd ON pd.release_id = r.id
                WHERE r.tenant_id = $1 AND r.id = ANY($2)"#,
            tenant.0,
            ids,
        )
        .fetch_all(conn)
        .await?
    };
    let position: HashMap<Uuid, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut listed: Vec<ListedRelease> = found.into_iter().map(ListedRelease::from).collect();
    listed.sort_by_key(|r| position.get(&r.id).copied().unwrap_or(usize::MAX));
    Ok(listed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_is_matched_literally() {
        assert_eq!(like_pattern(" 2.4 "), "%2.4%");
        assert_eq!(like_pattern("100%_x\\"), "%100\\%\\_x\\\\%");
    }
}
