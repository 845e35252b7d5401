//! Memberships: a person's role in one tenant.

use crate::DbError;
use almanac_domain::{Role, TenantId, UserId};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

/// A member as listed on the members page.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: UserId,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub must_change_password: bool,
    pub since: DateTime<Utc>,
}

/// The tenant's members, by name. The explicit tenant condition matters: the
/// read policy also shows a person their own memberships elsewhere.
pub async fn list(conn: &mut PgConnection, tenant: TenantId) -> Result<Vec<Member>, DbError> {
    let rows = sqlx::query!(
        "SELECT u.id, u.email, u.display_name, u.must_change_password, m.role, m.created_at
           FROM memberships m JOIN users u ON u.id = m.user_id
          WHERE m.tenant_id = $1
          ORDER BY lower(u.display_name), u.email",
        tenant.0
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Member {
            user_id: UserId(r.id),
            email: r.email,
            display_name: r.display_name,
            role: r.role.parse().unwrap_or(Role::Viewer),
            must_change_password: r.must_change_password,
            since: r.created_at,
        })
        .collect())
}

/// One member of the tenant, if any.
pub async fn get(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: UserId,
) -> Result<Option<Member>, DbError> {
    Ok(list(conn, tenant)
        .await?
        .into_iter()
        .find(|m| m.user_id == user))
}

/// Adds (or, for an existing member, changes the role of) a membership.
/// Returns the previous role, if there was one.
pub async fn upsert(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: UserId,
    role: Role,
) -> Result<Option<Role>, DbError> {
    let before = sqlx::query_scalar!(
        "SELECT role FROM memberships WHERE tenant_id = $1 AND user_id = $2 FOR UPDATE",
        tenant.0,
        user.0
    )
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = EXCLUDED.role",
        tenant.0,
        user.0,
        role.as_str()
    )
    .execute(conn)
    .await?;
    Ok(before.and_then(|r| r.parse().ok()))
}

/// Removes a membership; returns whether it existed.
pub async fn remove(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: UserId,
) -> Result<bool, DbError> {
    let done = sqlx::query!(
        "DELETE FROM memberships WHERE tenant_id = $1 AND user_id = $2",
        tenant.0,
        user.0
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Locks the tenant's owner memberships and counts them, so two concurrent
/// removals cannot both leave the tenant without an owner.
pub async fn lock_owner_count(conn: &mut PgConnection, tenant: TenantId) -> Result<i64, DbError> {
    let owners = sqlx::query_scalar!(
        "SELECT user_id FROM memberships WHERE tenant_id = $1 AND role = 'owner' FOR UPDATE",
        tenant.0
    )
    .fetch_all(conn)
    .await?;
    Ok(i64::try_from(owners.len()).unwrap_or(i64::MAX))
}
