//! Calendar feed tokens: a person's secret for subscribing to one tenant's
//! iCalendar feed. Only the SHA-256 of a token is stored. A feed request
//! resolves its token with `almanac_enter_feed` (see [`crate::Db::enter_feed`]);
//! the profile page lists and changes a person's own tokens.
//!
//! Reads of a person's tokens across tenants rely on the `feed_tokens_own`
//! policy; every write happens in the token's tenant (the caller enters
//! it), with the explicit tenant condition as usual.

use crate::DbError;
use almanac_domain::ical::FeedLabel;
use almanac_domain::{Role, TenantId, UserId};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A live token as its owner sees it (never the token itself).
#[derive(Debug, Clone)]
pub struct FeedToken {
    pub id: Uuid,
    pub tenant_slug: String,
    pub label: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The holder of a feed token, as resolved for a feed request.
#[derive(Debug, Clone)]
pub struct FeedVisit {
    pub token: Uuid,
    pub user: UserId,
    pub tenant: TenantId,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub role: Role,
}

/// Resolves the token (see `almanac_enter_feed`) and scopes the
/// transaction to its tenant and person. [`DbError::NotFound`] for an
/// unknown or revoked token, a removed member, or another tenant's slug.
pub(crate) async fn enter(
    conn: &mut PgConnection,
    token_hash: &[u8],
    slug: &str,
) -> Result<FeedVisit, DbError> {
    let row = sqlx::query!(
        r#"SELECT token_id AS "token_id!", user_id AS "user_id!", tenant_id AS "tenant_id!",
                  tenant_slug AS "tenant_slug!", tenant_name AS "tenant_name!",
                  tenant_time_zone AS "tenant_time_zone!", role AS "role!"
             FROM almanac_enter_feed($1, $2)"#,
        token_hash,
        slug
    )
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)?;
    Ok(FeedVisit {
        token: row.token_id,
        user: UserId(row.user_id),
        tenant: TenantId(row.tenant_id),
        slug: row.tenant_slug,
        name: row.tenant_name,
        time_zone: row.tenant_time_zone,
        role: row.role.parse().unwrap_or(Role::Viewer),
    })
}

/// The person's live tokens in every tenant they belong to, oldest first.
pub async fn list_own(conn: &mut PgConnection, user: UserId) -> Result<Vec<FeedToken>, DbError> {
    Ok(sqlx::query_as!(
        FeedToken,
        "SELECT f.id, t.slug AS tenant_slug, f.label, f.created_at, f.last_used_at
           FROM feed_tokens f
           JOIN memberships m ON m.tenant_id = f.tenant_id AND m.user_id = f.user_id
           JOIN tenants t ON t.id = f.tenant_id
          WHERE f.user_id = $1 AND f.revoked_at IS NULL
          ORDER BY f.created_at, f.id",
        user.0
    )
    .fetch_all(conn)
    .await?)
}

/// How many live tokens the person holds in the tenant.
pub async fn count_live(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: UserId,
) -> Result<i64, DbError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM feed_tokens
            WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL"#,
        tenant.0,
        user.0
    )
    .fetch_one(conn)
    .await?)
}

/// Stores a new token (its hash) for the person in the tenant.
pub async fn create(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: UserId,
    token_hash: &[u8],
    label: &FeedLabel,
) -> Result<Uuid, DbError> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO feed_tokens (tenant_id, id, user_id, token_hash, label)
         VALUES ($1, $2, $3, $4, $5)",
        tenant.0,
        id,
        user.0,
        token_hash,
        label.as_str()
    )
    .execute(conn)
    .await?;
    Ok(id)
}

/// One live token of the person in the tenant.
pub async fn get_own(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: UserId,
    id: Uuid,
) -> Result<Option<FeedToken>, DbError> {
    Ok(sqlx::query_as!(
        FeedToken,
        "SELECT f.id, t.slug AS tenant_slug, f.label, f.created_at, f.last_used_at
           FROM feed_tokens f JOIN tenants t ON t.id = f.tenant_id
          WHERE f.tenant_id = $1 AND f.user_id = $2 AND f.id = $3 AND f.revoked_at IS NULL",
        tenant.0,
        user.0,
        id
    )
    .fetch_optional(conn)
    .await?)
}

/// Revokes one token of the person; false when it was not live.
pub async fn revoke(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: UserId,
    id: Uuid,
) -> Result<bool, DbError> {
    let done = sqlx::query!(
        "UPDATE feed_tokens SET revoked_at = now()
          WHERE tenant_id = $1 AND user_id = $2 AND id = $3 AND revoked_at IS NULL",
        tenant.0,
        user.0,
        id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every live token of a member of the tenant (when they are
/// removed). Returns how many were revoked.
pub async fn revoke_for_member(
    conn: &mut PgConnection,
    tenant: TenantId,
    user: UserId,
) -> Result<u64, DbError> {
    let done = sqlx::query!(
        "UPDATE feed_tokens SET revoked_at = now()
          WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL",
        tenant.0,
        user.0
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
