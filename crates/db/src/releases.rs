//! Releases: the releases list and its export ([`list`]: filters, sort
//! orders, pages), one release, changes with optimistic locking, status
//! changes (setting the baseline go-live when first scheduled), and
//! deletion of releases that never left the plan. Deployments have their
//! own module ([`crate::deployments`]).

use crate::DbError;
use almanac_domain::release::{Notes, ReleaseStatus, ReleaseTitle, ReleaseType, Risk, Version};
use almanac_domain::{TenantId, UserId};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

mod list;

pub use list::{Filter, ListedRelease, MAX_IDS, Order, Sort, count, list};

/// Unique versions per product.
pub const VERSION_UNIQUE: &str = "releases_version_unique";

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

/// A product the releases list can be filtered by, with its product line.
#[derive(Debug, Clone)]
pub struct FilterProduct {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub line_id: Option<Uuid>,
    pub line_name: Option<String>,
}

/// The tenant's products that are not archived, by key, with their lines
/// (the list's product and product-line filters in one statement).
pub async fn filter_products(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<FilterProduct>, DbError> {
    Ok(sqlx::query_as!(
        FilterProduct,
        r#"SELECT p.id, p.key, p.name, l.id AS "line_id?", l.name AS "line_name?"
             FROM products p
             LEFT JOIN product_lines l ON l.tenant_id = p.tenant_id AND l.id = p.product_line_id
            WHERE p.tenant_id = $1 AND NOT p.archived
            ORDER BY p.key
            LIMIT 2000"#,
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
