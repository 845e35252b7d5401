//! Product lines and products: the products page (one query, with each
//! product's next release), lookups by key, changes with optimistic locking,
//! archiving, and deletion of products nothing refers to.

use crate::DbError;
use almanac_domain::product::{ProductDraft, ProductKey, ProductLineName};
use almanac_domain::{TenantId, UserId};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// The unique constraint on product line names (named by PostgreSQL).
pub const LINE_NAME_UNIQUE: &str = "product_lines_tenant_id_name_key";

/// At most this many products are listed (a portfolio is far smaller).
const LIST_LIMIT: i64 = 2000;

/// A group of products on the portfolio views.
#[derive(Debug, Clone)]
pub struct ProductLine {
    pub id: Uuid,
    pub name: String,
    pub position: i32,
    pub revision: i32,
    /// Products (archived included) in the line.
    pub product_count: i64,
}

/// The tenant's product lines, by position then name.
#[tracing::instrument(skip(conn))]
pub async fn lines(conn: &mut PgConnection, tenant: TenantId) -> Result<Vec<ProductLine>, DbError> {
    Ok(sqlx::query_as!(
        ProductLine,
        r#"SELECT l.id, l.name, l.position, l.revision,
                  (SELECT count(*) FROM products p
                    WHERE p.tenant_id = l.tenant_id AND p.product_line_id = l.id) AS "product_count!"
             FROM product_lines l
            WHERE l.tenant_id = $1
            ORDER BY l.position, lower(l.name)
            LIMIT 500"#,
        tenant.0
    )
    .fetch_all(conn)
    .await?)
}

/// One product line of the tenant.
pub async fn line(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<ProductLine>, DbError> {
    Ok(sqlx::query_as!(
        ProductLine,
        r#"SELECT l.id, l.name, l.position, l.revision,
                  (SELECT count(*) FROM products p
                    WHERE p.tenant_id = l.tenant_id AND p.product_line_id = l.id) AS "product_count!"
             FROM product_lines l
            WHERE l.tenant_id = $1 AND l.id = $2"#,
        tenant.0,
        id
    )
    .fetch_optional(conn)
    .await?)
}

/// Adds a product line at the end of the order; `None` when the name is taken.
pub async fn create_line(
    conn: &mut PgConnection,
    tenant: TenantId,
    name: &ProductLineName,
) -> Result<Option<Uuid>, DbError> {
    Ok(sqlx::query_scalar!(
        "INSERT INTO product_lines (tenant_id, id, name, position)
         SELECT $1, $2, $3, COALESCE(max(position), 0) + 1
           FROM product_lines WHERE tenant_id = $1
         ON CONFLICT ON CONSTRAINT product_lines_tenant_id_name_key DO NOTHING
         RETURNING id",
        tenant.0,
        Uuid::now_v7(),
        name.as_str()
    )
    .fetch_optional(conn)
    .await?)
}

/// Renames a line if it still has `revision`. `Ok(false)` when the name is
/// taken; [`DbError::StaleVersion`] / [`DbError::NotFound`] otherwise.
pub async fn rename_line(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    name: &ProductLineName,
    revision: i32,
) -> Result<bool, DbError> {
    let taken = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM product_lines
                           WHERE tenant_id = $1 AND name = $2 AND id <> $3) AS "taken!""#,
        tenant.0,
        name.as_str(),
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    if taken {
        return Ok(false);
    }
    let done = sqlx::query!(
        "UPDATE product_lines SET name = $4, revision = revision + 1, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND revision = $3",
        tenant.0,
        id,
        revision,
        name.as_str()
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(missing_or_stale(line(conn, tenant, id).await?.is_some()));
    }
    Ok(true)
}

/// Deletes a product line; its products become unassigned (the foreign key
/// sets their line to NULL). Returns whether it existed.
pub async fn delete_line(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool, DbError> {
    let done = sqlx::query!(
        "DELETE FROM product_lines WHERE tenant_id = $1 AND id = $2",
        tenant.0,
        id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A product as the products page lists it.
#[derive(Debug, Clone)]
pub struct ListedProduct {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub colour: String,
    pub archived: bool,
    pub product_line_id: Option<Uuid>,
    pub owner_name: Option<String>,
    /// The next release: the earliest upcoming production deployment of a
    /// release still on its way (not released, rolled back or cancelled).
    pub next_release_id: Option<Uuid>,
    pub next_version: Option<String>,
    pub next_go_live: Option<DateTime<Utc>>,
}

/// The products page in one query: products (archived ones only when asked)
/// ordered by product line position (unassigned last) and key, each with its
/// owner's name and next release.
#[tracing::instrument(skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
    include_archived: bool,
) -> Result<Vec<ListedProduct>, DbError> {
    Ok(sqlx::query_as!(
        ListedProduct,
        r#"SELECT p.id, p.key, p.name, p.colour, p.archived, p.product_line_id,
                  u.display_name AS "owner_name?",
                  nr.id AS "next_release_id?", nr.version AS "next_version?",
                  nr.go_live AS "next_go_live?"
             FROM products p
             LEFT JOIN product_lines l ON l.tenant_id = p.tenant_id AND l.id = p.product_line_id
             LEFT JOIN users u ON u.id = p.owner_id
             LEFT JOIN LATERAL (
                  SELECT r.id, r.version, d.planned_start AS go_live
                    FROM releases r
                    JOIN deployments d ON d.tenant_id = r.tenant_id AND d.release_id = r.id
                    JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
                   WHERE r.tenant_id = p.tenant_id AND r.product_id = p.id
                     AND r.status NOT IN ('cancelled', 'rolled_back', 'released')
                     AND e.is_production
                     AND d.planned_start >= now()
                   ORDER BY d.planned_start
                   LIMIT 1) nr ON true
            WHERE p.tenant_id = $1 AND ($2 OR NOT p.archived)
            ORDER BY l.position NULLS LAST, lower(l.name) NULLS LAST, p.key
            LIMIT $3"#,
        tenant.0,
        include_archived,
        LIST_LIMIT
    )
    .fetch_all(conn)
    .await?)
}

/// One product with everything its page shows.
#[derive(Debug, Clone)]
pub struct Product {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub description: String,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub colour: String,
    pub product_line_id: Option<Uuid>,
    pub product_line_name: Option<String>,
    pub archived: bool,
    pub revision: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The tenant's product with `key`.
#[tracing::instrument(skip(conn, key), fields(key = key.as_str()))]
pub async fn get_by_key(
    conn: &mut PgConnection,
    tenant: TenantId,
    key: &ProductKey,
) -> Result<Option<Product>, DbError> {
    Ok(sqlx::query_as!(
        Product,
        r#"SELECT p.id, p.key, p.name, p.description, p.owner_id,
                  u.display_name AS "owner_name?", p.colour, p.product_line_id,
                  l.name AS "product_line_name?", p.archived, p.revision,
                  p.created_at, p.updated_at
             FROM products p
             LEFT JOIN product_lines l ON l.tenant_id = p.tenant_id AND l.id = p.product_line_id
             LEFT JOIN users u ON u.id = p.owner_id
            WHERE p.tenant_id = $1 AND p.key = $2"#,
        tenant.0,
        key.as_str()
    )
    .fetch_optional(conn)
    .await?)
}

/// Whether the tenant has a product (archived or not) with `key`.
pub async fn key_taken(
    conn: &mut PgConnection,
    tenant: TenantId,
    key: &ProductKey,
) -> Result<bool, DbError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM products WHERE tenant_id = $1 AND key = $2) AS "taken!""#,
        tenant.0,
        key.as_str()
    )
    .fetch_one(conn)
    .await?)
}

/// Creates a product; `None` when the key is taken (archived products keep
/// their keys).
pub async fn create(
    conn: &mut PgConnection,
    tenant: TenantId,
    key: &ProductKey,
    draft: &ProductDraft,
) -> Result<Option<Uuid>, DbError> {
    Ok(sqlx::query_scalar!(
        "INSERT INTO products
             (tenant_id, id, key, name, description, owner_id, colour, product_line_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT ON CONSTRAINT products_key_unique DO NOTHING
         RETURNING id",
        tenant.0,
        Uuid::now_v7(),
        key.as_str(),
        draft.name.as_str(),
        draft.description.as_str(),
        draft.owner.map(|o: UserId| o.0),
        draft.colour.as_str(),
        draft.product_line
    )
    .fetch_optional(conn)
    .await?)
}

/// Saves a product's fields (never its key) if it still has `revision`.
/// [`DbError::StaleVersion`] when someone saved in between.
pub async fn update(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    draft: &ProductDraft,
    revision: i32,
) -> Result<(), DbError> {
    let done = sqlx::query!(
        "UPDATE products
            SET name = $4, description = $5, owner_id = $6, colour = $7, product_line_id = $8,
                revision = revision + 1, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND revision = $3",
        tenant.0,
        id,
        revision,
        draft.name.as_str(),
        draft.description.as_str(),
        draft.owner.map(|o: UserId| o.0),
        draft.colour.as_str(),
        draft.product_line
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        let exists = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM products WHERE tenant_id = $1 AND id = $2) AS "e!""#,
            tenant.0,
            id
        )
        .fetch_one(conn)
        .await?;
        return Err(missing_or_stale(exists));
    }
    Ok(())
}

/// Archives or restores a product; returns whether anything changed.
pub async fn set_archived(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    archived: bool,
) -> Result<bool, DbError> {
    let done = sqlx::query!(
        "UPDATE products SET archived = $3, revision = revision + 1, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND archived <> $3",
        tenant.0,
        id,
        archived
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// What [`delete`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Deleted,
    /// The product has releases (or a window names it), so it was archived.
    Archived,
}

/// Whether the product has releases or is named in a window's scope: such a
/// product can only be archived.
pub async fn in_use(conn: &mut PgConnection, tenant: TenantId, id: Uuid) -> Result<bool, DbError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM releases WHERE tenant_id = $1 AND product_id = $2)
               OR EXISTS (SELECT 1 FROM window_products WHERE tenant_id = $1 AND product_id = $2)
               AS "in_use!""#,
        tenant.0,
        id
    )
    .fetch_one(conn)
    .await?)
}

/// Deletes a product nothing refers to, else archives it. The row is locked
/// first, so a release created meanwhile waits and cannot slip in between
/// the check and the delete.
pub async fn delete(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Removal, DbError> {
    sqlx::query_scalar!(
        "SELECT id FROM products WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
        tenant.0,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(DbError::NotFound)?;
    if in_use(conn, tenant, id).await? {
        set_archived(conn, tenant, id, true).await?;
        return Ok(Removal::Archived);
    }
    sqlx::query!(
        "DELETE FROM products WHERE tenant_id = $1 AND id = $2",
        tenant.0,
        id
    )
    .execute(conn)
    .await?;
    Ok(Removal::Deleted)
}

/// One release in a product's history.
#[derive(Debug, Clone)]
pub struct HistoricRelease {
    pub id: Uuid,
    pub version: String,
    pub title: String,
    pub release_type: String,
    pub status: String,
    /// Planned start of the production deployment.
    pub go_live: Option<DateTime<Utc>>,
    /// Actual start of the production deployment.
    pub actual_go_live: Option<DateTime<Utc>>,
}

/// The product's releases, newest go-live first (unscheduled ones on top),
/// at most 200.
#[tracing::instrument(skip(conn))]
pub async fn release_history(
    conn: &mut PgConnection,
    tenant: TenantId,
    product: Uuid,
) -> Result<Vec<HistoricRelease>, DbError> {
    Ok(sqlx::query_as!(
        HistoricRelease,
        r#"SELECT r.id, r.version, r.title, r.type AS release_type, r.status,
                  d.planned_start AS "go_live?", d.actual_start AS "actual_go_live?"
             FROM releases r
             LEFT JOIN LATERAL (
                  SELECT d.planned_start, d.actual_start
                    FROM deployments d
                    JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
                   WHERE d.tenant_id = r.tenant_id AND d.release_id = r.id AND e.is_production
                   ORDER BY d.planned_start
                   LIMIT 1) d ON true
            WHERE r.tenant_id = $1 AND r.product_id = $2
            ORDER BY d.planned_start DESC NULLS FIRST, r.created_at DESC
            LIMIT 200"#,
        tenant.0,
        product
    )
    .fetch_all(conn)
    .await?)
}

/// Active products as (id, key, name, colour), by key: for other areas'
/// selects.
pub async fn options(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<(Uuid, String, String, String)>, DbError> {
    let rows = sqlx::query!(
        "SELECT id, key, name, colour FROM products
          WHERE tenant_id = $1 AND NOT archived
          ORDER BY key
          LIMIT $2",
        tenant.0,
        LIST_LIMIT
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.key, r.name, r.colour))
        .collect())
}

/// Deletes every product and product line of the tenant (demo reset; its
/// releases and windows must be gone first). Returns how many products went.
pub async fn delete_all(conn: &mut PgConnection, tenant: TenantId) -> Result<u64, DbError> {
    let done = sqlx::query!("DELETE FROM products WHERE tenant_id = $1", tenant.0)
        .execute(&mut *conn)
        .await?;
    sqlx::query!("DELETE FROM product_lines WHERE tenant_id = $1", tenant.0)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

fn missing_or_stale(exists: bool) -> DbError {
    if exists {
        DbError::StaleVersion
    } else {
        DbError::NotFound
    }
}
