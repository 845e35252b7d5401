//! Release trains: named groups of releases of several products that ship
//! together. Deleting a train leaves its releases without one (the foreign
//! key sets it to NULL). The releases of a train come from
//! [`crate::releases::list`] with a train filter.

use crate::DbError;
use almanac_domain::TenantId;
use almanac_domain::release::{Notes, TrainName};
use sqlx::PgConnection;
use uuid::Uuid;

/// Unique train names per tenant.
pub const NAME_UNIQUE: &str = "release_trains_name_unique";

/// A train with the number of its releases.
#[derive(Debug, Clone)]
pub struct Train {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub revision: i32,
    pub release_count: i64,
}

/// The tenant's trains by name, each with its number of releases (one query).
#[tracing::instrument(skip(conn))]
pub async fn list(conn: &mut PgConnection, tenant: TenantId) -> Result<Vec<Train>, DbError> {
    Ok(sqlx::query_as!(
        Train,
        r#"SELECT t.id, t.name, t.description, t.revision,
                  (SELECT count(*) FROM releases r
                    WHERE r.tenant_id = t.tenant_id AND r.release_train_id = t.id)
                  AS "release_count!"
             FROM release_trains t
            WHERE t.tenant_id = $1
            ORDER BY lower(t.name)
            LIMIT 500"#,
        tenant.0
    )
    .fetch_all(conn)
    .await?)
}

/// One train of the tenant, if any.
pub async fn get(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Train>, DbError> {
    Ok(sqlx::query_as!(
        Train,
        r#"SELECT t.id, t.name, t.description, t.revision,
                  (SELECT count(*) FROM releases r
                    WHERE r.tenant_id = t.tenant_id AND r.release_train_id = t.id)
                  AS "release_count!"
             FROM release_trains t
            WHERE t.tenant_id = $1 AND t.id = $2"#,
        tenant.0,
        id
    )
    .fetch_optional(conn)
    .await?)
}

/// Adds a train; `Ok(false)` when the name is taken.
pub async fn create(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    name: &TrainName,
    description: &Notes,
) -> Result<bool, DbError> {
    let created = sqlx::query_scalar!(
        "INSERT INTO release_trains (tenant_id, id, name, description)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT ON CONSTRAINT release_trains_name_unique DO NOTHING
         RETURNING id",
        tenant.0,
        id,
        name.as_str(),
        description.as_str()
    )
    .fetch_optional(conn)
    .await?;
    Ok(created.is_some())
}

/// Renames / redescribes a train if it still has `revision`. `Ok(false)`
/// when the name is taken; [`DbError::StaleVersion`] / [`DbError::NotFound`]
/// otherwise.
pub async fn update(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    name: &TrainName,
    description: &Notes,
    revision: i32,
) -> Result<bool, DbError> {
    let taken = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM release_trains
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
        "UPDATE release_trains
            SET name = $4, description = $5, revision = revision + 1, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND revision = $3",
        tenant.0,
        id,
        revision,
        name.as_str(),
        description.as_str()
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(missing_or_stale(get(conn, tenant, id).await?.is_some()));
    }
    Ok(true)
}

/// Deletes a train if it still has `revision` (its releases stay, without
/// a train); [`DbError::StaleVersion`] / [`DbError::NotFound`] otherwise.
pub async fn delete(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    revision: i32,
) -> Result<(), DbError> {
    let done = sqlx::query!(
        "DELETE FROM release_trains WHERE tenant_id = $1 AND id = $2 AND revision = $3",
        tenant.0,
        id,
        revision
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(missing_or_stale(get(conn, tenant, id).await?.is_some()));
    }
    Ok(())
}

/// (id, name) of every train, for selects.
pub async fn options(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<(Uuid, String)>, DbError> {
    let rows = sqlx::query!(
        "SELECT id, name FROM release_trains WHERE tenant_id = $1 ORDER BY lower(name) LIMIT 500",
        tenant.0
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// Deletes every train of the tenant (demo reset; their releases stay,
/// without a train). Returns how many went.
pub async fn delete_all(conn: &mut PgConnection, tenant: TenantId) -> Result<u64, DbError> {
    let done = sqlx::query!("DELETE FROM release_trains WHERE tenant_id = $1", tenant.0)
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
