//! Sessions: one row per signed-in browser, keyed by the SHA-256 of the
//! cookie's token. Validation happens in `almanac_enter` (see [`crate::scope`]).

use crate::DbError;
use almanac_domain::UserId;
use sqlx::PgConnection;

/// Sessions end at the latest this long after sign-in.
pub const ABSOLUTE_LIFETIME_DAYS: i32 = 30;

pub async fn create(
    conn: &mut PgConnection,
    token_hash: &[u8],
    user: UserId,
) -> Result<(), DbError> {
    sqlx::query!(
        "INSERT INTO sessions (token_hash, user_id, expires_at)
         VALUES ($1, $2, now() + make_interval(days => $3))",
        token_hash,
        user.0,
        ABSOLUTE_LIFETIME_DAYS
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete(conn: &mut PgConnection, token_hash: &[u8]) -> Result<(), DbError> {
    sqlx::query!("DELETE FROM sessions WHERE token_hash = $1", token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of `user` except `keep` (e.g. after a password change).
pub async fn delete_for_user(
    conn: &mut PgConnection,
    user: UserId,
    keep: Option<&[u8]>,
) -> Result<u64, DbError> {
    let done = sqlx::query!(
        "DELETE FROM sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2",
        user.0,
        keep
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Removes expired sessions; run now and then.
pub async fn purge_expired(conn: &mut PgConnection) -> Result<u64, DbError> {
    let done = sqlx::query!(
        "DELETE FROM sessions WHERE expires_at <= now() OR last_seen_at <= now() - interval '12 hours'"
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
