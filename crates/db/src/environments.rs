//! Environments: the ordered deployment targets, at most one of them the
//! tenant's production. Environments that deployments (or windows) use are
//! archived instead of deleted.

use crate::DbError;
use almanac_domain::TenantId;
use almanac_domain::environment::{Direction, EnvironmentDraft, reorder};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Environment {
    pub id: Uuid,
    pub name: String,
    pub position: i32,
    pub shared: bool,
    pub requires_window: bool,
    pub is_production: bool,
    pub archived: bool,
    pub revision: i32,
    pub updated_at: DateTime<Utc>,
}

/// The tenant's environments in their order (archived ones after the others).
#[tracing::instrument(skip(conn))]
pub async fn list(conn: &mut PgConnection, tenant: TenantId) -> Result<Vec<Environment>, DbError> {
    Ok(sqlx::query_as!(
        Environment,
        "SELECT id, name, position, shared, requires_window, is_production, archived,
                revision, updated_at
           FROM environments
          WHERE tenant_id = $1
          ORDER BY archived, position, lower(name)
          LIMIT 500",
        tenant.0
    )
    .fetch_all(conn)
    .await?)
}

/// One environment of the tenant.
pub async fn get(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Environment>, DbError> {
    Ok(sqlx::query_as!(
        Environment,
        "SELECT id, name, position, shared, requires_window, is_production, archived,
                revision, updated_at
           FROM environments
          WHERE tenant_id = $1 AND id = $2",
        tenant.0,
        id
    )
    .fetch_optional(conn)
    .await?)
}

/// An active environment, for other areas' selects and rules.
#[derive(Debug, Clone)]
pub struct EnvironmentOption {
    pub id: Uuid,
    pub name: String,
    pub is_production: bool,
    pub requires_window: bool,
    pub shared: bool,
}

/// The active environments in their order.
pub async fn options(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<EnvironmentOption>, DbError> {
    Ok(sqlx::query_as!(
        EnvironmentOption,
        "SELECT id, name, is_production, requires_window, shared
           FROM environments
          WHERE tenant_id = $1 AND NOT archived
          ORDER BY position, lower(name)
          LIMIT 500",
        tenant.0
    )
    .fetch_all(conn)
    .await?)
}

/// Takes the production mark from every environment but `keep`; returns the
/// names of those that had it. Clears archived ones too, so that at most one
/// environment ever carries it (restoring one can then never make two).
async fn clear_production(
    conn: &mut PgConnection,
    tenant: TenantId,
    keep: Uuid,
) -> Result<Vec<(Uuid, String)>, DbError> {
    let rows = sqlx::query!(
        "UPDATE environments SET is_production = false, revision = revision + 1, updated_at = now()
          WHERE tenant_id = $1 AND is_production AND id <> $2
         RETURNING id, name",
        tenant.0,
        keep
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// The result of a create or update.
#[derive(Debug, Clone)]
pub enum Saved {
    /// Saved; (id, name) of environments that lost the production mark.
    Done {
        id: Uuid,
        cleared: Vec<(Uuid, String)>,
    },
    /// Another environment of the tenant has this name.
    NameTaken,
}

/// Adds an environment at the end of the order.
pub async fn create(
    conn: &mut PgConnection,
    tenant: TenantId,
    draft: &EnvironmentDraft,
) -> Result<Saved, DbError> {
    // Inserted without the production mark first: nothing has changed yet
    // when the name turns out to be taken.
    let inserted = sqlx::query_scalar!(
        "INSERT INTO environments
             (tenant_id, id, name, position, shared, requires_window, is_production)
         SELECT $1, $2, $3, COALESCE(max(position), 0) + 1, $4, $5, false
           FROM environments WHERE tenant_id = $1
         ON CONFLICT ON CONSTRAINT environments_name_unique DO NOTHING
         RETURNING id",
        tenant.0,
        Uuid::now_v7(),
        draft.name.as_str(),
        draft.shared,
        draft.requires_window
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = inserted else {
        return Ok(Saved::NameTaken);
    };
    let mut cleared = Vec::new();
    if draft.is_production {
        cleared = clear_production(conn, tenant, id).await?;
        sqlx::query!(
            "UPDATE environments SET is_production = true WHERE tenant_id = $1 AND id = $2",
            tenant.0,
            id
        )
        .execute(conn)
        .await?;
    }
    Ok(Saved::Done { id, cleared })
}

/// Saves an environment if it still has `revision`; marking it production
/// takes the mark from the others in the same transaction.
pub async fn update(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    draft: &EnvironmentDraft,
    revision: i32,
) -> Result<Saved, DbError> {
    let current = get(conn, tenant, id).await?.ok_or(DbError::NotFound)?;
    if current.revision != revision {
        return Err(DbError::StaleVersion);
    }
    if name_taken(conn, tenant, draft.name.as_str(), id).await? {
        return Ok(Saved::NameTaken);
    }
    let cleared = if draft.is_production {
        clear_production(conn, tenant, id).await?
    } else {
        Vec::new()
    };
    let done = sqlx::query!(
        "UPDATE environments
            SET name = $4, shared = $5, requires_window = $6, is_production = $7,
                revision = revision + 1, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND revision = $3",
        tenant.0,
        id,
        revision,
        draft.name.as_str(),
        draft.shared,
        draft.requires_window,
        draft.is_production
    )
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::StaleVersion);
    }
    Ok(Saved::Done { id, cleared })
}

async fn name_taken(
    conn: &mut PgConnection,
    tenant: TenantId,
    name: &str,
    except: Uuid,
) -> Result<bool, DbError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM environments
                           WHERE tenant_id = $1 AND name = $2 AND id <> $3) AS "taken!""#,
        tenant.0,
        name,
        except
    )
    .fetch_one(conn)
    .await?)
}

/// Moves an active environment one place up or down among the active ones,
/// renumbering them 1..n. Returns (old position, new position) in that
/// order, or `None` when it cannot move further that way.
pub async fn move_by(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    direction: Direction,
) -> Result<Option<(usize, usize)>, DbError> {
    // Locking the rows serialises concurrent moves.
    let order = sqlx::query_scalar!(
        "SELECT id FROM environments
          WHERE tenant_id = $1 AND NOT archived
          ORDER BY position, lower(name)
          FOR UPDATE",
        tenant.0
    )
    .fetch_all(&mut *conn)
    .await?;
    let Some(at) = order.iter().position(|x| *x == id) else {
        return Err(DbError::NotFound);
    };
    let Some(moved) = reorder(&order, &id, direction) else {
        return Ok(None);
    };
    let to = moved.iter().position(|x| *x == id).unwrap_or(at);
    sqlx::query!(
        "UPDATE environments e SET position = o.ord::integer
           FROM unnest($2::uuid[]) WITH ORDINALITY AS o(id, ord)
          WHERE e.tenant_id = $1 AND e.id = o.id AND e.position <> o.ord::integer",
        tenant.0,
        &moved
    )
    .execute(conn)
    .await?;
    Ok(Some((at + 1, to + 1)))
}

/// What [`remove`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Deleted,
    /// Deployments (or windows) use the environment, so it was archived.
    Archived,
}

/// Whether deployments or windows refer to the environment.
pub async fn in_use(conn: &mut PgConnection, tenant: TenantId, id: Uuid) -> Result<bool, DbError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM deployments WHERE tenant_id = $1 AND environment_id = $2)
               OR EXISTS (SELECT 1 FROM window_environments
                           WHERE tenant_id = $1 AND environment_id = $2)
               AS "in_use!""#,
        tenant.0,
        id
    )
    .fetch_one(conn)
    .await?)
}

/// Deletes an environment nothing uses, else archives it (the row is locked
/// first so a deployment cannot be added between the check and the delete).
pub async fn remove(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Removal, DbError> {
    sqlx::query_scalar!(
        "SELECT id FROM environments WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
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
        "DELETE FROM environments WHERE tenant_id = $1 AND id = $2",
        tenant.0,
        id
    )
    .execute(conn)
    .await?;
    Ok(Removal::Deleted)
}

/// Archives or restores an environment (a restored one goes to the end of
/// the order); returns whether anything changed.
pub async fn set_archived(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    archived: bool,
) -> Result<bool, DbError> {
    let done = sqlx::query!(
        "UPDATE environments
            SET archived = $3, revision = revision + 1, updated_at = now(),
                position = CASE WHEN $3 THEN position ELSE
                    (SELECT COALESCE(max(position), 0) + 1 FROM environments
                      WHERE tenant_id = $1 AND NOT archived) END
          WHERE tenant_id = $1 AND id = $2 AND archived <> $3",
        tenant.0,
        id,
        archived
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes every environment of the tenant (demo reset; its deployments and
/// windows must be gone first). Returns how many went.
pub async fn delete_all(conn: &mut PgConnection, tenant: TenantId) -> Result<u64, DbError> {
    let done = sqlx::query!("DELETE FROM environments WHERE tenant_id = $1", tenant.0)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
