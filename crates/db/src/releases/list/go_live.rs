//! The pages of the orders by go-live ([`Sort::Upcoming`], [`Sort::GoLive`]).
//!
//! Upcoming: go-lives from yesterday on, soonest first; then releases
//! without a go-live; then earlier go-lives, most recent first. By go-live:
//! every go-live one way, then releases without one. Equal go-lives, and
//! releases without one, by product key and version.
//!
//! Two ways to the same order:
//! - [`walk`], for the unfiltered first pages (the common page): go-lives
//!   read in the order of the `(tenant_id, environment_id, planned_start)`
//!   index, each side stopping at the page's end, so a tenant's years of
//!   history are never sorted. Its cost grows with the page's end.
//! - [`sorted`] for the others: one statement that sorts the matching
//!   releases by go-live (`LIMIT` at the page's end), whose cost grows with
//!   the tenant. A walk would read every go-live on a side where a filter
//!   matches few or none (`status=released` walks all upcoming go-lives).

use super::{Binds, Order, Sort};
use crate::DbError;
use almanac_domain::TenantId;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use std::collections::HashSet;
use uuid::Uuid;

/// The unfiltered pages whose end is within this many releases are walked.
const WALK_LIMIT: i64 = 1_000;

/// Before every go-live (sqlx cannot send `-infinity`).
fn earliest() -> DateTime<Utc> {
    DateTime::from_timestamp(-62_135_596_800, 0).unwrap_or_default() // 0001-01-01
}

/// After every go-live.
fn latest() -> DateTime<Utc> {
    DateTime::from_timestamp(253_402_300_799, 0).unwrap_or_default() // 9999-12-31 23:59:59
}

/// The ids of the page, `limit` of them from the `offset`-th on.
pub(super) async fn page(
    conn: &mut PgConnection,
    tenant: TenantId,
    b: &Binds,
    order: Order,
    offset: i64,
    limit: i64,
    now: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbError> {
    let yesterday = now - chrono::Duration::days(1);
    if b.is_empty() && offset.saturating_add(limit) <= WALK_LIMIT {
        walk(conn, tenant, order, offset, limit, yesterday).await
    } else {
        sorted(conn, tenant, b, order, offset, limit, yesterday).await
    }
}

/// A go-live read in index order.
struct Dated {
    id: Uuid,
    at: DateTime<Utc>,
    key: String,
    version: String,
}

/// `dated` in go-live order (most recent first when `descending`), equal
/// ones by product key and version (byte order, as `COLLATE "C"`).
fn in_go_live_order(mut dated: Vec<Dated>, descending: bool) -> Vec<Dated> {
    dated.sort_unstable_by(|a, b| {
        let at = if descending {
            b.at.cmp(&a.at)
        } else {
            a.at.cmp(&b.at)
        };
        at.then_with(|| a.key.cmp(&b.key))
            .then_with(|| a.version.cmp(&b.version))
    });
    dated
}

/// The walk: one statement reads the go-lives on each side of a split
/// (from it on soonest first, before it most recent first; by go-live,
/// one side covers every go-live), a second the releases without a go-live
/// when the page reaches them.
async fn walk(
    conn: &mut PgConnection,
    tenant: TenantId,
    order: Order,
    offset: i64,
    limit: i64,
    yesterday: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbError> {
    let end = offset.saturating_add(limit);
    let latest_first = order.sort == Sort::GoLive && order.descending;
    let (split, ahead_limit, behind_limit) = match order.sort {
        Sort::GoLive if latest_first => (latest(), 0, end),
        Sort::GoLive => (earliest(), end, 0),
        _ => (yesterday, end, end),
    };
    // The current production environment's go-lives: each side one ordered
    // read that stops at its limit (a union of them is not planned as
    // ordered reads, so they stay separate sub-selects merged here). WITH
    // TIES keeps every go-live equal to the last one read, so the page's
    // end, ordered here by product and version, is the same whatever the
    // limit: pages never overlap. The archived production environments'
    // go-lives (usually none) come unordered.
    let found = sqlx::query!(
        r#"WITH current AS (
               SELECT id FROM environments
                WHERE tenant_id = $1 AND is_production AND NOT archived
           ), on_archived AS MATERIALIZED (
               -- Read from the environments' index first (usually none).
               SELECT d.release_id, d.planned_start
                 FROM deployments d
                WHERE d.tenant_id = $1 AND d.planned_start IS NOT NULL
                  AND d.environment_id = ANY ((SELECT array_agg(id) FROM environments
                                                WHERE tenant_id = $1 AND is_production
                                                  AND archived)::uuid[])
                  AND NOT EXISTS (
                      SELECT 1 FROM deployments c
                       WHERE c.tenant_id = $1 AND c.release_id = d.release_id
                         AND c.environment_id = (SELECT id FROM current))
           )
           (SELECT d.release_id, d.planned_start, p.key AS product_key, r.version,
                   true AS upcoming
              FROM deployments d
              JOIN releases r ON r.tenant_id = d.tenant_id AND r.id = d.release_id
              JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
             WHERE d.tenant_id = $1 AND d.environment_id = (SELECT id FROM current)
               AND d.planned_start >= $4
             ORDER BY d.planned_start
             FETCH FIRST $2 ROWS WITH TIES)
           UNION ALL
           (SELECT d.release_id, d.planned_start, p.key, r.version, false
              FROM deployments d
              JOIN releases r ON r.tenant_id = d.tenant_id AND r.id = d.release_id
              JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
             WHERE d.tenant_id = $1 AND d.environment_id = (SELECT id FROM current)
               AND d.planned_start < $4
             ORDER BY d.planned_start DESC
             FETCH FIRST $3 ROWS WITH TIES)
           UNION ALL
           (SELECT a.release_id, a.planned_start, p.key, r.version, a.planned_start >= $4
              FROM on_archived a
              JOIN releases r ON r.tenant_id = $1 AND r.id = a.release_id
              JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
             WHERE EXISTS (SELECT 1 FROM environments
                            WHERE tenant_id = $1 AND is_production AND archived))"#,
        tenant.0,
        ahead_limit,
        behind_limit,
        split,
    )
    .fetch_all(&mut *conn)
    .await?;
    let end = usize::try_from(end).unwrap_or(usize::MAX);
    let mut seen = HashSet::new();
    let (mut ahead, mut behind) = (Vec::new(), Vec::new());
    for row in found {
        let (Some(id), Some(at), Some(key), Some(version)) = (
            row.release_id,
            row.planned_start,
            row.product_key,
            row.version,
        ) else {
            continue;
        };
        if seen.insert(id) {
            let dated = Dated {
                id,
                at,
                key,
                version,
            };
            if row.upcoming == Some(true) {
                ahead.push(dated);
            } else {
                behind.push(dated);
            }
        }
    }
    let mut ahead = in_go_live_order(ahead, false);
    ahead.truncate(end);
    let mut behind = in_go_live_order(behind, true);
    behind.truncate(end);
    // Upcoming: ahead, unscheduled, behind. By go-live: the one side, then
    // unscheduled.
    let (first, last) = if latest_first {
        (behind, ahead)
    } else {
        (ahead, behind)
    };
    let unscheduled = if first.len() < end {
        let room = i64::try_from(end - first.len()).unwrap_or(i64::MAX);
        sqlx::query_scalar!(
            r#"SELECT r.id
                 FROM releases r
                 JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
                WHERE r.tenant_id = $1
                  AND NOT EXISTS (
                      SELECT 1 FROM deployments d
                        JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
                       WHERE d.tenant_id = $1 AND d.release_id = r.id AND e.is_production
                         AND d.planned_start IS NOT NULL)
                ORDER BY p.key, r.version COLLATE "C"
                LIMIT $2"#,
            tenant.0,
            room
        )
        .fetch_all(&mut *conn)
        .await?
    } else {
        Vec::new()
    };
    Ok(first
        .into_iter()
        .map(|d| d.id)
        .chain(unscheduled)
        .chain(last.into_iter().map(|d| d.id))
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect())
}

/// The sort: one statement, the matching releases joined to their go-live
/// (a hash join with the production deployments) and sorted. Groups: 0
/// from the split on (soonest first, or every go-live most recent first
/// when `$17`), 1 without a go-live, 2 before the split (most recent
/// first).
async fn sorted(
    conn: &mut PgConnection,
    tenant: TenantId,
    b: &Binds,
    order: Order,
    offset: i64,
    limit: i64,
    yesterday: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbError> {
    let split = if order.sort == Sort::GoLive {
        earliest()
    } else {
        yesterday
    };
    let latest_first = order.sort == Sort::GoLive && order.descending;
    Ok(filtered!(
        r#"WITH current AS (
               SELECT id FROM environments
                WHERE tenant_id = $1 AND is_production AND NOT archived
           ), go_lives AS (
               SELECT d.release_id, d.planned_start
                 FROM deployments d
                WHERE d.tenant_id = $1 AND d.environment_id = (SELECT id FROM current)
                  AND d.planned_start IS NOT NULL
               UNION ALL
               SELECT d.release_id, min(d.planned_start)
                 FROM deployments d
                 JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
                WHERE d.tenant_id = $1 AND e.is_production AND e.archived
                  AND d.planned_start IS NOT NULL
                  AND NOT EXISTS (
                      SELECT 1 FROM deployments c
                       WHERE c.tenant_id = $1 AND c.release_id = d.release_id
                         AND c.environment_id = (SELECT id FROM current))
                GROUP BY d.release_id
           )
           SELECT r.id
             FROM releases r
             JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
             LEFT JOIN go_lives g ON g.release_id = r.id
            WHERE r.tenant_id = $1"#
            + FILTER
            + r#"
            ORDER BY
              CASE WHEN g.planned_start IS NULL THEN 1 WHEN g.planned_start < $16 THEN 2 ELSE 0 END,
              CASE WHEN g.planned_start >= $16 AND NOT $17 THEN g.planned_start END,
              CASE WHEN g.planned_start < $16 OR $17 THEN g.planned_start END DESC,
              p.key, r.version COLLATE "C"
            LIMIT $18 OFFSET $19"#;
        tenant.0,
        b,
        split,
        latest_first,
        limit,
        offset
    )
    .fetch_all(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dated(at: i64, key: &str, version: &str) -> Dated {
        Dated {
            id: Uuid::nil(),
            at: DateTime::from_timestamp(at, 0).unwrap_or_default(),
            key: key.to_owned(),
            version: version.to_owned(),
        }
    }

    #[test]
    fn equal_go_lives_are_ordered_by_product_and_version_in_both_directions() {
        let rows = vec![
            dated(2, "PAY", "1.0"),
            dated(1, "MOB", "2.0"),
            dated(2, "API", "3.0"),
            dated(2, "API", "1.0"),
        ];
        let labels = |rows: Vec<Dated>| {
            rows.into_iter()
                .map(|d| format!("{} {} {}", d.at.timestamp(), d.key, d.version))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            labels(in_go_live_order(rows, false)),
            ["1 MOB 2.0", "2 API 1.0", "2 API 3.0", "2 PAY 1.0"]
        );
        let rows = vec![
            dated(1, "MOB", "2.0"),
            dated(2, "PAY", "1.0"),
            dated(2, "API", "1.0"),
        ];
        assert_eq!(
            labels(in_go_live_order(rows, true)),
            ["2 API 1.0", "2 PAY 1.0", "1 MOB 2.0"]
        );
    }
}
