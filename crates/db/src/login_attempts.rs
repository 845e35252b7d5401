//! Sign-in throttling, per account and per client address, with the counters
//! in PostgreSQL so every replica sees them. Fixed windows: after `limit`
//! failures within `WINDOW_MINUTES` of the first, further attempts are refused
//! until the window ends.

use crate::DbError;
use sqlx::PgConnection;

pub const WINDOW_MINUTES: i32 = 15;
pub const ACCOUNT_LIMIT: i32 = 5;
pub const ADDRESS_LIMIT: i32 = 20;

/// Seconds until sign-in is allowed again for this account or address, or
/// `None` when neither is over its limit.
pub async fn retry_after(
    conn: &mut PgConnection,
    account: &str,
    address: &str,
) -> Result<Option<i64>, DbError> {
    let wait = sqlx::query_scalar!(
        r#"SELECT max(ceil(extract(epoch FROM window_start + make_interval(mins => $3) - now())))::bigint
             FROM login_attempts
            WHERE window_start > now() - make_interval(mins => $3)
              AND ((scope = 'account' AND key = $1 AND failures >= $4)
                OR (scope = 'address' AND key = $2 AND failures >= $5))"#,
        account,
        address,
        WINDOW_MINUTES,
        ACCOUNT_LIMIT,
        ADDRESS_LIMIT
    )
    .fetch_one(conn)
    .await?;
    Ok(wait.map(|s| s.max(1)))
}

/// Counts one failed attempt against both the account and the address.
pub async fn record_failure(
    conn: &mut PgConnection,
    account: &str,
    address: &str,
) -> Result<(), DbError> {
    sqlx::query!(
        "INSERT INTO login_attempts (scope, key, window_start, failures)
         VALUES ('account', $1, now(), 1), ('address', $2, now(), 1)
         ON CONFLICT (scope, key) DO UPDATE SET
             failures = CASE WHEN login_attempts.window_start > now() - make_interval(mins => $3)
                             THEN login_attempts.failures + 1 ELSE 1 END,
             window_start = CASE WHEN login_attempts.window_start > now() - make_interval(mins => $3)
                                 THEN login_attempts.window_start ELSE now() END",
        account,
        address,
        WINDOW_MINUTES
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A successful sign-in clears the account's counter (not the address's).
pub async fn clear_account(conn: &mut PgConnection, account: &str) -> Result<(), DbError> {
    sqlx::query!(
        "DELETE FROM login_attempts WHERE scope = 'account' AND key = $1",
        account
    )
    .execute(conn)
    .await?;
    Ok(())
}
