//! Milestones of a release (dated checkpoints: code freeze, QA sign-off,
//! go/no-go, ...), and the few facts about the release they hang on.

use crate::DbError;
use almanac_domain::milestone::MilestoneName;
use almanac_domain::{TenantId, UserId};
use chrono::{DateTime, Duration, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// What the runbook needs to know about its release.
#[derive(Debug, Clone)]
pub struct ReleaseRef {
    pub id: Uuid,
    /// `PAY 2.4.0`
    pub label: String,
    /// The planned start of the production deployment, if scheduled.
    pub go_live: Option<DateTime<Utc>>,
    /// The template the release was made from, if any (id, name).
    pub template: Option<(Uuid, String)>,
}

/// The release `id` of the tenant, if it exists there.
pub async fn release(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<ReleaseRef>, DbError> {
    let row = sqlx::query!(
        r#"SELECT r.id, p.key || ' ' || r.version AS "label!", r.template_id,
                  t.name AS "template_name?",
                  (SELECT d.planned_start
                     FROM deployments d
                     JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
                    WHERE d.tenant_id = r.tenant_id AND d.release_id = r.id AND e.is_production
                    ORDER BY e.archived, d.planned_start LIMIT 1) AS go_live
             FROM releases r
             JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
             LEFT JOIN release_templates t ON t.tenant_id = r.tenant_id AND t.id = r.template_id
            WHERE r.tenant_id = $1 AND r.id = $2"#,
        tenant.0,
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| ReleaseRef {
        id: r.id,
        label: r.label,
        go_live: r.go_live,
        template: r.template_id.zip(r.template_name),
    }))
}

/// A milestone as stored, with its owner's name.
#[derive(Debug, Clone)]
pub struct Milestone {
    pub id: Uuid,
    pub release_id: Uuid,
    pub name: String,
    pub due_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub owner_id: Option<UserId>,
    pub owner_name: Option<String>,
    pub revision: i32,
}

struct Row {
    id: Uuid,
    release_id: Uuid,
    name: String,
    due_at: DateTime<Utc>,
    done_at: Option<DateTime<Utc>>,
    owner_id: Option<Uuid>,
    owner_name: Option<String>,
    revision: i32,
}

impl From<Row> for Milestone {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            release_id: r.release_id,
            name: r.name,
            due_at: r.due_at,
            done_at: r.done_at,
            owner_id: r.owner_id.map(UserId),
            owner_name: r.owner_name,
            revision: r.revision,
        }
    }
}

/// A release has a handful of milestones; this bounds a runaway list.
const LIST_LIMIT: i64 = 200;

/// The release's milestones, by due instant.
#[tracing::instrument(skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
) -> Result<Vec<Milestone>, DbError> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT m.id, m.release_id, m.name, m.due_at, m.done_at, m.owner_id,
                  u.display_name AS "owner_name?", m.revision
             FROM milestones m LEFT JOIN users u ON u.id = m.owner_id
            WHERE m.tenant_id = $1 AND m.release_id = $2
            ORDER BY m.due_at, lower(m.name), m.id
            LIMIT $3"#,
        tenant.0,
        release,
        LIST_LIMIT
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Milestone::from).collect())
}

/// One milestone of the release.
pub async fn get(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    id: Uuid,
) -> Result<Option<Milestone>, DbError> {
    let row = sqlx::query_as!(
        Row,
        r#"SELECT m.id, m.release_id, m.name, m.due_at, m.done_at, m.owner_id,
                  u.display_name AS "owner_name?", m.revision
             FROM milestones m LEFT JOIN users u ON u.id = m.owner_id
            WHERE m.tenant_id = $1 AND m.release_id = $2 AND m.id = $3"#,
        tenant.0,
        release,
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Milestone::from))
}

/// The editable fields of a milestone. The owner must be a member of the
/// tenant (the foreign key refuses anyone else).
#[derive(Debug, Clone)]
pub struct MilestoneInput {
    pub name: MilestoneName,
    pub due_at: DateTime<Utc>,
    pub owner: Option<UserId>,
}

/// Adds a milestone to the release; returns its id.
pub async fn add(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    input: &MilestoneInput,
) -> Result<Uuid, DbError> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO milestones (tenant_id, id, release_id, name, due_at, owner_id)
         VALUES ($1, $2, $3, $4, $5, $6)",
        tenant.0,
        id,
        release,
        input.name.as_str(),
        input.due_at,
        input.owner.map(|o| o.0)
    )
    .execute(conn)
    .await?;
    Ok(id)
}

/// Saves name, due and owner if the milestone is still at `revision`
/// ([`DbError::StaleVersion`] otherwise).
pub async fn edit(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    id: Uuid,
    input: &MilestoneInput,
    revision: i32,
) -> Result<(), DbError> {
    let done = sqlx::query!(
        "UPDATE milestones
            SET name = $4, due_at = $5, owner_id = $6, revision = revision + 1, updated_at = now()
          WHERE tenant_id = $1 AND release_id = $2 AND id = $3 AND revision = $7",
        tenant.0,
        release,
        id,
        input.name.as_str(),
        input.due_at,
        input.owner.map(|o| o.0),
        revision
    )
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::StaleVersion);
    }
    Ok(())
}

/// Marks the milestone done at `done_at`, or not done with `None`. Returns
/// whether it changed: marking a done milestone done (or an open one open)
/// changes nothing, so the first of two people clicking at once wins.
pub async fn set_done(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    id: Uuid,
    done_at: Option<DateTime<Utc>>,
) -> Result<bool, DbError> {
    let done = sqlx::query!(
        "UPDATE milestones SET done_at = $4, revision = revision + 1, updated_at = now()
          WHERE tenant_id = $1 AND release_id = $2 AND id = $3
            AND (done_at IS NULL) = ($4::timestamptz IS NOT NULL)",
        tenant.0,
        release,
        id,
        done_at
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes the milestone; returns whether it existed.
pub async fn delete(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    id: Uuid,
) -> Result<bool, DbError> {
    let done = sqlx::query!(
        "DELETE FROM milestones WHERE tenant_id = $1 AND release_id = $2 AND id = $3",
        tenant.0,
        release,
        id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A milestone moved by [`shift_pending`].
#[derive(Debug, Clone)]
pub struct Shifted {
    pub id: Uuid,
    pub name: String,
    pub before: DateTime<Utc>,
    pub after: DateTime<Utc>,
}

/// Moves every milestone of the release that is not done by `by` (elapsed
/// time, as the go-live moved). Returns what moved, by new due instant.
pub async fn shift_pending(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    by: Duration,
) -> Result<Vec<Shifted>, DbError> {
    let mut rows = sqlx::query!(
        r#"UPDATE milestones
              SET due_at = due_at + $3::bigint * interval '1 second',
                  revision = revision + 1, updated_at = now()
            WHERE tenant_id = $1 AND release_id = $2 AND done_at IS NULL
        RETURNING id, name, due_at"#,
        tenant.0,
        release,
        by.num_seconds()
    )
    .fetch_all(conn)
    .await?;
    rows.sort_by_key(|r| (r.due_at, r.id));
    let by = Duration::seconds(by.num_seconds());
    Ok(rows
        .into_iter()
        .map(|r| Shifted {
            id: r.id,
            name: r.name,
            before: r.due_at - by,
            after: r.due_at,
        })
        .collect())
}

/// (done, total) milestones of each of `releases`, for lists and dashboards
/// (one query; releases without any are left out).
pub async fn counts(
    conn: &mut PgConnection,
    tenant: TenantId,
    releases: &[Uuid],
) -> Result<Vec<(Uuid, i64, i64)>, DbError> {
    let rows = sqlx::query!(
        r#"SELECT release_id, count(done_at) AS "done!", count(*) AS "total!"
             FROM milestones
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
