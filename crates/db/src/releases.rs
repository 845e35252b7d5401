//! Releases: the releases list (at most three statements, with product,
//! owner, train and the production deployment's go-live), one release, changes with
//! optimistic locking, status changes (setting the baseline go-live when
//! first scheduled), and deletion of releases that never left the plan.
//! Deployments have their own module ([`crate::deployments`]).

use crate::DbError;
use almanac_domain::release::{Notes, ReleaseStatus, ReleaseTitle, ReleaseType, Risk, Version};
use almanac_domain::{TenantId, UserId};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// Unique versions per product.
pub const VERSION_UNIQUE: &str = "releases_version_unique";

/// At most this many releases are listed; filters narrow the rest.
pub const LIST_LIMIT: i64 = 300;

/// What the releases list shows of one release.
#[derive(Debug, Clone)]
pub struct ListedRelease {
    pub id: Uuid,
    pub product_id: Uuid,
    pub product_key: String,
    pub product_colour: String,
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
}

/// The list filters (all optional, combined with AND).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub product: Option<Uuid>,
    pub status: Option<ReleaseStatus>,
    pub release_type: Option<ReleaseType>,
    pub train: Option<Uuid>,
    /// Case-insensitive substring of the version or title.
    pub text: Option<String>,
}

struct ListedRow {
    id: Uuid,
    product_id: Uuid,
    product_key: String,
    product_colour: String,
    version: String,
    title: String,
    release_type: String,
    status: String,
    risk: String,
    owner_name: Option<String>,
    train_id: Option<Uuid>,
    train_name: Option<String>,
    go_live: Option<DateTime<Utc>>,
}

impl From<ListedRow> for ListedRelease {
    fn from(r: ListedRow) -> Self {
        Self {
            id: r.id,
            product_id: r.product_id,
            product_key: r.product_key,
            product_colour: r.product_colour,
            version: r.version,
            title: r.title,
            release_type: r.release_type.parse().unwrap_or(ReleaseType::Minor),
            status: r.status.parse().unwrap_or(ReleaseStatus::Planned),
            risk: r.risk.parse().unwrap_or(Risk::Medium),
            owner_name: r.owner_name,
            train_id: r.train_id,
            train_name: r.train_name,
            go_live: r.go_live,
        }
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

/// The releases matching `filter`, at most [`LIST_LIMIT`]: upcoming ones
/// (go-live from yesterday on) soonest first, then those without a go-live,
/// then past ones most recent first; equal go-lives by product key and
/// version.
///
/// Two statements, three when fewer than [`LIST_LIMIT`] releases are
/// upcoming: the picks by go-live (each side read in go-live order from the
/// `(tenant_id, planned_start)` index and cut at the limit, so a tenant's
/// years of history are never sorted), the unscheduled ones when there is
/// room, then the rows shown for the picked ids.
#[tracing::instrument(skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
    filter: &Filter,
) -> Result<Vec<ListedRelease>, DbError> {
    let text = filter
        .text
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(like_pattern);
    let status = filter.status.map(ReleaseStatus::as_str);
    let release_type = filter.release_type.map(ReleaseType::as_str);
    // The go-live deployment of a release is its deployment to the
    // production environment, to an archived production environment only
    // when it has none to the current one. Each side (upcoming, past) of
    // each kind is one ordered read of (tenant, environment, planned_start)
    // stopping at the limit: four short reads instead of sorting every
    // production deployment of the tenant (a union of them is not planned
    // as ordered reads, so they stay separate sub-selects merged here).
    let dated = sqlx::query!(
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
           (SELECT d.release_id, d.planned_start, true AS upcoming
              FROM deployments d
              JOIN releases r ON r.tenant_id = d.tenant_id AND r.id = d.release_id
             WHERE d.tenant_id = $1 AND d.planned_start >= $8
               AND d.environment_id = (SELECT id FROM current)
               AND ($2::uuid IS NULL OR r.product_id = $2)
               AND ($3::text IS NULL OR r.status = $3)
               AND ($4::text IS NULL OR r.type = $4)
               AND ($5::uuid IS NULL OR r.release_train_id = $5)
               AND ($6::text IS NULL OR r.version ILIKE $6 OR r.title ILIKE $6)
             ORDER BY d.planned_start LIMIT $7)
           UNION ALL
           (SELECT d.release_id, d.planned_start, false
              FROM deployments d
              JOIN releases r ON r.tenant_id = d.tenant_id AND r.id = d.release_id
             WHERE d.tenant_id = $1 AND d.planned_start < $8
               AND d.environment_id = (SELECT id FROM current)
               AND ($2::uuid IS NULL OR r.product_id = $2)
               AND ($3::text IS NULL OR r.status = $3)
               AND ($4::text IS NULL OR r.type = $4)
               AND ($5::uuid IS NULL OR r.release_train_id = $5)
               AND ($6::text IS NULL OR r.version ILIKE $6 OR r.title ILIKE $6)
             ORDER BY d.planned_start DESC LIMIT $7)
           UNION ALL
           (SELECT a.release_id, a.planned_start, a.planned_start >= $8
              FROM on_archived a
              JOIN releases r ON r.tenant_id = $1 AND r.id = a.release_id
             WHERE EXISTS (SELECT 1 FROM environments
                            WHERE tenant_id = $1 AND is_production AND archived)
               AND ($2::uuid IS NULL OR r.product_id = $2)
               AND ($3::text IS NULL OR r.status = $3)
               AND ($4::text IS NULL OR r.type = $4)
               AND ($5::uuid IS NULL OR r.release_train_id = $5)
               AND ($6::text IS NULL OR r.version ILIKE $6 OR r.title ILIKE $6))"#,
        tenant.0,
        filter.product,
        status,
        release_type,
        filter.train,
        text,
        LIST_LIMIT,
        Utc::now() - chrono::Duration::days(1),
    )
    .fetch_all(&mut *conn)
    .await?;
    let limit = usize::try_from(LIST_LIMIT).unwrap_or(usize::MAX);
    let mut go_live: std::collections::HashMap<Uuid, DateTime<Utc>> =
        std::collections::HashMap::new();
    let mut upcoming = Vec::new();
    let mut past = Vec::new();
    for row in dated {
        let (Some(id), Some(at)) = (row.release_id, row.planned_start) else {
            continue;
        };
        if go_live.insert(id, at).is_none() {
            if row.upcoming == Some(true) {
                upcoming.push((at, id));
            } else {
                past.push((at, id));
            }
        }
    }
    // The archived production environments' go-lives join the others in
    // go-live order (usually there are none).
    upcoming.sort_unstable();
    past.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let upcoming: Vec<Uuid> = upcoming.into_iter().take(limit).map(|(_, id)| id).collect();
    let past: Vec<Uuid> = past.into_iter().take(limit).map(|(_, id)| id).collect();
    let unscheduled = if upcoming.len() < limit {
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
                  AND ($2::uuid IS NULL OR r.product_id = $2)
                  AND ($3::text IS NULL OR r.status = $3)
                  AND ($4::text IS NULL OR r.type = $4)
                  AND ($5::uuid IS NULL OR r.release_train_id = $5)
                  AND ($6::text IS NULL OR r.version ILIKE $6 OR r.title ILIKE $6)
                ORDER BY p.key, r.version
                LIMIT $7"#,
            tenant.0,
            filter.product,
            status,
            release_type,
            filter.train,
            text,
            i64::try_from(limit - upcoming.len()).unwrap_or(LIST_LIMIT),
        )
        .fetch_all(&mut *conn)
        .await?
    } else {
        Vec::new()
    };
    let picked: Vec<Uuid> = upcoming
        .iter()
        .chain(&unscheduled)
        .chain(&past)
        .take(limit)
        .copied()
        .collect();
    if picked.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query_as!(
        ListedRow,
        r#"SELECT r.id, r.product_id, p.key AS product_key, p.colour AS product_colour,
                  r.version, r.title, r.type AS release_type, r.status, r.risk,
                  u.display_name AS "owner_name?", r.release_train_id AS train_id,
                  t.name AS "train_name?", NULL::timestamptz AS go_live
             FROM releases r
             JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
             LEFT JOIN users u ON u.id = r.owner_id
             LEFT JOIN release_trains t
                    ON t.tenant_id = r.tenant_id AND t.id = r.release_train_id
            WHERE r.tenant_id = $1 AND r.id = ANY($2)"#,
        tenant.0,
        &picked,
    )
    .fetch_all(&mut *conn)
    .await?;
    let position: std::collections::HashMap<Uuid, usize> =
        picked.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut listed: Vec<(usize, ListedRelease)> = rows
        .into_iter()
        .map(|mut row| {
            row.go_live = go_live.get(&row.id).copied();
            (
                position.get(&row.id).copied().unwrap_or(usize::MAX),
                ListedRelease::from(row),
            )
        })
        .collect();
    // The picks' order, equal go-lives by product key and version.
    listed.sort_by(|(a, x), (b, y)| {
        let group = |i: usize| {
            if i < upcoming.len() {
                0
            } else if i < upcoming.len() + unscheduled.len() {
                1
            } else {
                2
            }
        };
        group(*a)
            .cmp(&group(*b))
            .then_with(|| match group(*a) {
                0 => x.go_live.cmp(&y.go_live),
                2 => y.go_live.cmp(&x.go_live),
                _ => std::cmp::Ordering::Equal,
            })
            .then_with(|| x.product_key.cmp(&y.product_key))
            .then_with(|| x.version.cmp(&y.version))
            .then_with(|| a.cmp(b))
    });
    Ok(listed.into_iter().map(|(_, r)| r).collect())
}

/// One release with everything its page shows.
#[derive(Debug, Clone)]
pub struct Release {
    pub id: Uuid,
    pub product_id: Uuid,
    pub product_key: String,
    pub product_name: String,
    pub product_colour: String,
    pub version: String,
    pub title: String,
    pub release_type: ReleaseType,
    pub status: ReleaseStatus,
    pub risk: Risk,
    pub owner_id: Option<UserId>,
    pub owner_name: Option<String>,
    pub train_id: Option<Uuid>,
    pub train_name: Option<String>,
    pub template_id: Option<Uuid>,
    pub notes: String,
    pub baseline_go_live: Option<DateTime<Utc>>,
    /// The production deployment's planned start.
    pub go_live: Option<DateTime<Utc>>,
    /// The production deployment's actual start.
    pub actual_go_live: Option<DateTime<Utc>>,
    /// Some deployment of it has actually started.
    pub ever_deployed: bool,
    pub revision: i32,
    pub created_at: DateTime<Utc>,
}

struct ReleaseRow {
    id: Uuid,
    product_id: Uuid,
    product_key: String,
    product_name: String,
    product_colour: String,
    version: String,
    title: String,
    release_type: String,
    status: String,
    risk: String,
    owner_id: Option<Uuid>,
    owner_name: Option<String>,
    train_id: Option<Uuid>,
    train_name: Option<String>,
    template_id: Option<Uuid>,
    notes: String,
    baseline_go_live: Option<DateTime<Utc>>,
    go_live: Option<DateTime<Utc>>,
    actual_go_live: Option<DateTime<Utc>>,
    ever_deployed: bool,
    revision: i32,
    created_at: DateTime<Utc>,
}

impl From<ReleaseRow> for Release {
    fn from(r: ReleaseRow) -> Self {
        Self {
            id: r.id,
            product_id: r.product_id,
            product_key: r.product_key,
            product_name: r.product_name,
            product_colour: r.product_colour,
            version: r.version,
            title: r.title,
            release_type: r.release_type.parse().unwrap_or(ReleaseType::Minor),
            status: r.status.parse().unwrap_or(ReleaseStatus::Planned),
            risk: r.risk.parse().unwrap_or(Risk::Medium),
            owner_id: r.owner_id.map(UserId),
            owner_name: r.owner_name,
            train_id: r.train_id,
            train_name: r.train_name,
            template_id: r.template_id,
            notes: r.notes,
            baseline_go_live: r.baseline_go_live,
            go_live: r.go_live,
            actual_go_live: r.actual_go_live,
            ever_deployed: r.ever_deployed,
            revision: r.revision,
            created_at: r.created_at,
        }
    }
}

/// One release of the tenant, if any.
#[tracing::instrument(skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Release>, DbError> {
    let row = sqlx::query_as!(
        ReleaseRow,
        r#"SELECT r.id, r.product_id, p.key AS product_key, p.name AS product_name,
                  p.colour AS product_colour, r.version, r.title, r.type AS release_type,
                  r.status, r.risk, r.owner_id, u.display_name AS "owner_name?",
                  r.release_train_id AS train_id, t.name AS "train_name?", r.template_id,
                  r.notes, r.baseline_go_live, pd.planned_start AS "go_live?",
                  pd.actual_start AS "actual_go_live?",
                  EXISTS (SELECT 1 FROM deployments x
                           WHERE x.tenant_id = r.tenant_id AND x.release_id = r.id
                             AND x.actual_start IS NOT NULL) AS "ever_deployed!",
                  r.revision, r.created_at
             FROM releases r
             JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
             LEFT JOIN users u ON u.id = r.owner_id
             LEFT JOIN release_trains t
                    ON t.tenant_id = r.tenant_id AND t.id = r.release_train_id
             LEFT JOIN LATERAL (
                  SELECT d.planned_start, d.actual_start
                    FROM deployments d
                    JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
                   WHERE d.tenant_id = r.tenant_id AND d.release_id = r.id AND e.is_production
                   ORDER BY e.archived
                   LIMIT 1) pd ON true
            WHERE r.tenant_id = $1 AND r.id = $2"#,
        tenant.0,
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Release::from))
}

/// Locks the release row for the rest of the transaction and returns it:
/// every change to a release or its deployments goes through here first,
/// so status rules see a stable release.
pub async fn lock(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Release>, DbError> {
    let found = sqlx::query_scalar!(
        "SELECT id FROM releases WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
        tenant.0,
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    match found {
        Some(_) => get(conn, tenant, id).await,
        None => Ok(None),
    }
}

/// The editable fields of a release, validated.
#[derive(Debug, Clone)]
pub struct ReleaseDraft {
    pub product: Uuid,
    pub version: Version,
    pub title: ReleaseTitle,
    pub release_type: ReleaseType,
    pub risk: Risk,
    pub owner: Option<UserId>,
    pub train: Option<Uuid>,
    pub notes: Notes,
}

/// Adds a planned release; `Ok(false)` when the product already has this
/// version. The product, owner and train must be the tenant's.
#[tracing::instrument(skip(conn, draft))]
pub async fn create(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    draft: &ReleaseDraft,
    template: Option<Uuid>,
) -> Result<bool, DbError> {
    let created = sqlx::query_scalar!(
        "INSERT INTO releases (tenant_id, id, product_id, version, title, type, risk, owner_id,
                               release_train_id, template_id, notes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT ON CONSTRAINT releases_version_unique DO NOTHING
         RETURNING id",
        tenant.0,
        id,
        draft.product,
        draft.version.as_str(),
        draft.title.as_str(),
        draft.release_type.as_str(),
        draft.risk.as_str(),
        draft.owner.map(|o| o.0),
        draft.train,
        template,
        draft.notes.as_str()
    )
    .fetch_optional(conn)
    .await?;
    Ok(created.is_some())
}

/// Saves a release's fields if it still has `revision`. `Ok(false)` when
/// its product already has another release with this version;
/// [`DbError::StaleVersion`] / [`DbError::NotFound`] otherwise.
#[tracing::instrument(skip(conn, draft))]
pub async fn update(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    draft: &ReleaseDraft,
    revision: i32,
) -> Result<bool, DbError> {
    let taken = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM releases
                           WHERE tenant_id = $1 AND product_id = $2 AND version = $3
                             AND id <> $4) AS "taken!""#,
        tenant.0,
        draft.product,
        draft.version.as_str(),
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    if taken {
        return Ok(false);
    }
    let done = sqlx::query!(
        "UPDATE releases
            SET product_id = $4, version = $5, title = $6, type = $7, risk = $8, owner_id = $9,
                release_train_id = $10, notes = $11, revision = revision + 1, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND revision = $3",
        tenant.0,
        id,
        revision,
        draft.product,
        draft.version.as_str(),
        draft.title.as_str(),
        draft.release_type.as_str(),
        draft.risk.as_str(),
        draft.owner.map(|o| o.0),
        draft.train,
        draft.notes.as_str()
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(missing_or_stale(conn, tenant, id).await?);
    }
    Ok(true)
}

/// Moves a release to `status` if it still has `revision`, setting the
/// baseline go-live to `baseline` when it has none yet (first scheduling).
/// Returns the new revision. The caller checks the move with
/// `almanac_domain::release::Transition::apply`.
#[tracing::instrument(skip(conn))]
pub async fn set_status(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    revision: i32,
    status: ReleaseStatus,
    baseline: Option<DateTime<Utc>>,
) -> Result<i32, DbError> {
    let updated = sqlx::query_scalar!(
        "UPDATE releases
            SET status = $4, baseline_go_live = COALESCE(baseline_go_live, $5),
                revision = revision + 1, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND revision = $3
          RETURNING revision",
        tenant.0,
        id,
        revision,
        status.as_str(),
        baseline
    )
    .fetch_optional(&mut *conn)
    .await?;
    match updated {
        Some(r) => Ok(r),
        None => Err(missing_or_stale(conn, tenant, id).await?),
    }
}

/// Deletes a release that is still planned and never deployed (its
/// deployments, milestones and checklist go with it) if it still has
/// `revision`. Returns false when it is past that point (cancel it
/// instead); [`DbError::StaleVersion`] / [`DbError::NotFound`] otherwise.
#[tracing::instrument(skip(conn))]
pub async fn delete(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    revision: i32,
) -> Result<bool, DbError> {
    let Some(release) = lock(conn, tenant, id).await? else {
        return Err(DbError::NotFound);
    };
    if release.revision != revision {
        return Err(DbError::StaleVersion);
    }
    if !release.status.may_delete(release.ever_deployed) {
        return Ok(false);
    }
    sqlx::query!(
        "DELETE FROM releases WHERE tenant_id = $1 AND id = $2",
        tenant.0,
        id
    )
    .execute(conn)
    .await?;
    Ok(true)
}

/// How many milestones of the release are not done yet (moving its
/// go-live offers to shift them).
pub async fn open_milestones(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM milestones
            WHERE tenant_id = $1 AND release_id = $2 AND done_at IS NULL"#,
        tenant.0,
        id
    )
    .fetch_one(conn)
    .await?)
}

/// A product for release forms and filters.
#[derive(Debug, Clone)]
pub struct ProductOption {
    pub id: Uuid,
    pub key: String,
    pub name: String,
}

/// The tenant's products that are not archived, by key.
pub async fn product_options(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<ProductOption>, DbError> {
    Ok(sqlx::query_as!(
        ProductOption,
        "SELECT id, key, name FROM products
          WHERE tenant_id = $1 AND NOT archived
          ORDER BY key
          LIMIT 2000",
        tenant.0
    )
    .fetch_all(conn)
    .await?)
}

/// Sets when releases were created (demo data: lead time runs from
/// creation to the actual go-live), one `(id, created_at)` pair each.
pub async fn backdate(
    conn: &mut PgConnection,
    tenant: TenantId,
    created: &[(Uuid, DateTime<Utc>)],
) -> Result<(), DbError> {
    let ids: Vec<Uuid> = created.iter().map(|(id, _)| *id).collect();
    let at: Vec<DateTime<Utc>> = created.iter().map(|(_, at)| *at).collect();
    sqlx::query!(
        "UPDATE releases r SET created_at = c.at, updated_at = greatest(r.updated_at, c.at)
           FROM unnest($2::uuid[], $3::timestamptz[]) AS c(id, at)
          WHERE r.tenant_id = $1 AND r.id = c.id",
        tenant.0,
        &ids,
        &at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes every release of the tenant, with their deployments, milestones
/// and checklists (demo reset). Returns how many releases went.
pub async fn delete_all(conn: &mut PgConnection, tenant: TenantId) -> Result<u64, DbError> {
    let done = sqlx::query!("DELETE FROM releases WHERE tenant_id = $1", tenant.0)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

async fn missing_or_stale(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<DbError, DbError> {
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM releases WHERE tenant_id = $1 AND id = $2) AS "e!""#,
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

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn search_text_is_matched_literally() {
        assert_eq!(like_pattern(" 2.4 "), "%2.4%");
        assert_eq!(like_pattern("100%_x\\"), "%100\\%\\_x\\\\%");
    }
}
