//! Checklist items of a release: the ordered steps of its go-live runbook,
//! each ticked by a person at an instant.

use crate::DbError;
use almanac_domain::milestone::{StepNotes, StepTitle};
use almanac_domain::{TenantId, UserId};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A step as stored, with the name of whoever ticked it.
#[derive(Debug, Clone)]
pub struct ChecklistItem {
    pub id: Uuid,
    pub release_id: Uuid,
    pub position: i32,
    pub title: String,
    pub notes: String,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<UserId>,
    pub done_by_name: Option<String>,
    pub revision: i32,
}

struct Row {
    id: Uuid,
    release_id: Uuid,
    position: i32,
    title: String,
    notes: String,
    done_at: Option<DateTime<Utc>>,
    done_by: Option<Uuid>,
    done_by_name: Option<String>,
    revision: i32,
}

impl From<Row> for ChecklistItem {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            release_id: r.release_id,
            position: r.position,
            title: r.title,
            notes: r.notes,
            done_at: r.done_at,
            done_by: r.done_by.map(UserId),
            done_by_name: r.done_by_name,
            revision: r.revision,
        }
    }
}

/// Bounds a runaway list (templates hold at most 100 steps).
const LIST_LIMIT: i64 = 500;

/// The release's steps in runbook order.
#[tracing::instrument(skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
) -> Result<Vec<ChecklistItem>, DbError> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT c.id, c.release_id, c.position, c.title, c.notes, c.done_at, c.done_by,
                  u.display_name AS "done_by_name?", c.revision
             FROM checklist_items c LEFT JOIN users u ON u.id = c.done_by
            WHERE c.tenant_id = $1 AND c.release_id = $2
            ORDER BY c.position, c.id
            LIMIT $3"#,
        tenant.0,
        release,
        LIST_LIMIT
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(ChecklistItem::from).collect())
}

/// One step of the release.
pub async fn get(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    id: Uuid,
) -> Result<Option<ChecklistItem>, DbError> {
    let row = sqlx::query_as!(
        Row,
        r#"SELECT c.id, c.release_id, c.position, c.title, c.notes, c.done_at, c.done_by,
                  u.display_name AS "done_by_name?", c.revision
             FROM checklist_items c LEFT JOIN users u ON u.id = c.done_by
            WHERE c.tenant_id = $1 AND c.release_id = $2 AND c.id = $3"#,
        tenant.0,
        release,
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(ChecklistItem::from))
}

/// Adds steps at the end of the release's runbook, in the given order.
pub async fn append(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    steps: &[(&StepTitle, &StepNotes)],
) -> Result<Vec<Uuid>, DbError> {
    let ids: Vec<Uuid> = steps.iter().map(|_| Uuid::now_v7()).collect();
    let titles: Vec<String> = steps.iter().map(|(t, _)| t.as_str().to_owned()).collect();
    let notes: Vec<String> = steps.iter().map(|(_, n)| n.as_str().to_owned()).collect();
    sqlx::query!(
        "INSERT INTO checklist_items (tenant_id, id, release_id, position, title, notes)
         SELECT $1, s.id, $2,
                (SELECT coalesce(max(position), 0) FROM checklist_items
                  WHERE tenant_id = $1 AND release_id = $2) + s.n,
                s.title, s.notes
           FROM unnest($3::uuid[], $4::text[], $5::text[]) WITH ORDINALITY AS s(id, title, notes, n)",
        tenant.0,
        release,
        &ids,
        &titles,
        &notes
    )
    .execute(conn)
    .await?;
    Ok(ids)
}

/// Saves title and notes if the step is still at `revision`
/// ([`DbError::StaleVersion`] otherwise).
pub async fn edit(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    id: Uuid,
    title: &StepTitle,
    notes: &StepNotes,
    revision: i32,
) -> Result<(), DbError> {
    let done = sqlx::query!(
        "UPDATE checklist_items
            SET title = $4, notes = $5, revision = revision + 1, updated_at = now()
          WHERE tenant_id = $1 AND release_id = $2 AND id = $3 AND revision = $6",
        tenant.0,
        release,
        id,
        title.as_str(),
        notes.as_str(),
        revision
    )
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::StaleVersion);
    }
    Ok(())
}

/// Ticks the step (done by `by` at `at`), or unticks it with `None`.
/// Returns whether it changed: ticking a ticked step keeps the first tick's
/// person and time.
pub async fn set_done(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    id: Uuid,
    done: Option<(UserId, DateTime<Utc>)>,
) -> Result<bool, DbError> {
    let result = sqlx::query!(
        "UPDATE checklist_items
            SET done_by = $4, done_at = $5, revision = revision + 1, updated_at = now()
          WHERE tenant_id = $1 AND release_id = $2 AND id = $3
            AND (done_at IS NULL) = ($5::timestamptz IS NOT NULL)",
        tenant.0,
        release,
        id,
        done.map(|(by, _)| by.0),
        done.map(|(_, at)| at)
    )
    .execute(conn)
    .await?;
    Ok(result.rows_affected() > 0)
}

/// The release's step ids in runbook order, locked until the transaction
/// ends (so two people reordering at once take turns).
pub async fn lock_order(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
) -> Result<Vec<Uuid>, DbError> {
    Ok(sqlx::query_scalar!(
        "SELECT id FROM checklist_items WHERE tenant_id = $1 AND release_id = $2
          ORDER BY position, id FOR UPDATE",
        tenant.0,
        release
    )
    .fetch_all(conn)
    .await?)
}

/// Stores `ids` as the release's runbook order (positions 1, 2, ...).
pub async fn renumber(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    ids: &[Uuid],
) -> Result<(), DbError> {
    sqlx::query!(
        "UPDATE checklist_items c SET position = o.n::integer, updated_at = now()
           FROM unnest($3::uuid[]) WITH ORDINALITY AS o(id, n)
          WHERE c.tenant_id = $1 AND c.release_id = $2 AND c.id = o.id
            AND c.position IS DISTINCT FROM o.n::integer",
        tenant.0,
        release,
        ids
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes the step; returns whether it existed.
pub async fn delete(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    id: Uuid,
) -> Result<bool, DbError> {
    let done = sqlx::query!(
        "DELETE FROM checklist_items WHERE tenant_id = $1 AND release_id = $2 AND id = $3",
        tenant.0,
        release,
        id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// (done, total) steps of each of `releases`, for lists and dashboards
/// (one query; releases without any are left out).
pub async fn counts(
    conn: &mut PgConnection,
    tenant: TenantId,
    releases: &[Uuid],
) -> Result<Vec<(Uuid, i64, i64)>, DbError> {
    let rows = sqlx::query!(
        r#"SELECT release_id, count(done_at) AS "done!", count(*) AS "total!"
             FROM checklist_items
            WHERE tenant_id = $1 AND release_id = ANY($2)
            GROUP BY release_id"#,
        tenant.0,
        releases
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.release_id, r.done, r.total))
        .collect())
}
