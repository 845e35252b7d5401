//! Accounts: one per email, shared by every tenant the person belongs to.
//! The users table carries no tenant_id; who may see whom is decided by
//! memberships (see [`crate::members`]).

use crate::DbError;
use almanac_domain::{DisplayName, Email, UserId};
use sqlx::PgConnection;

/// What sign-in needs to know about an account.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: UserId,
    pub password_hash: String,
    pub must_change_password: bool,
}

pub async fn credentials(
    conn: &mut PgConnection,
    email: &Email,
) -> Result<Option<Credentials>, DbError> {
    let row = sqlx::query!(
        "SELECT id, password_hash, must_change_password FROM users WHERE email = $1",
        email.as_str()
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| Credentials {
        id: UserId(r.id),
        password_hash: r.password_hash,
        must_change_password: r.must_change_password,
    }))
}

/// The stored password hash of a user (to check the current password).
pub async fn password_hash(conn: &mut PgConnection, user: UserId) -> Result<String, DbError> {
    sqlx::query_scalar!("SELECT password_hash FROM users WHERE id = $1", user.0)
        .fetch_optional(conn)
        .await?
        .ok_or(DbError::NotFound)
}

/// Looks an account up by email.
pub async fn find_by_email(
    conn: &mut PgConnection,
    email: &Email,
) -> Result<Option<UserId>, DbError> {
    Ok(
        sqlx::query_scalar!("SELECT id FROM users WHERE email = $1", email.as_str())
            .fetch_optional(conn)
            .await?
            .map(UserId),
    )
}

/// A new account.
#[derive(Debug)]
pub struct NewUser<'a> {
    pub id: UserId,
    pub email: &'a Email,
    pub display_name: &'a DisplayName,
    pub password_hash: &'a str,
    pub must_change_password: bool,
}

pub async fn create(conn: &mut PgConnection, user: NewUser<'_>) -> Result<UserId, DbError> {
    sqlx::query!(
        "INSERT INTO users (id, email, display_name, password_hash, must_change_password)
         VALUES ($1, $2, $3, $4, $5)",
        user.id.0,
        user.email.as_str(),
        user.display_name.as_str(),
        user.password_hash,
        user.must_change_password
    )
    .execute(conn)
    .await?;
    Ok(user.id)
}

/// Sets a new password hash; `must_change` marks a one-time password.
pub async fn set_password(
    conn: &mut PgConnection,
    user: UserId,
    password_hash: &str,
    must_change: bool,
) -> Result<(), DbError> {
    sqlx::query!(
        "UPDATE users SET password_hash = $2, must_change_password = $3,
                          version = version + 1, updated_at = now()
          WHERE id = $1",
        user.0,
        password_hash,
        must_change
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The profile as shown on /profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub time_zone: Option<String>,
    pub version: i32,
}

pub async fn profile(conn: &mut PgConnection, user: UserId) -> Result<Profile, DbError> {
    let r = sqlx::query!(
        "SELECT id, email, display_name, time_zone, version FROM users WHERE id = $1",
        user.0
    )
    .fetch_optional(conn)
    .await?
    .ok_or(DbError::NotFound)?;
    Ok(Profile {
        id: UserId(r.id),
        email: r.email,
        display_name: r.display_name,
        time_zone: r.time_zone,
        version: r.version,
    })
}

/// Saves name and zone if the profile is still at `version`.
pub async fn update_profile(
    conn: &mut PgConnection,
    user: UserId,
    display_name: &DisplayName,
    time_zone: Option<&str>,
    version: i32,
) -> Result<(), DbError> {
    let done = sqlx::query!(
        "UPDATE users SET display_name = $2, time_zone = $3, version = version + 1,
                          updated_at = now()
          WHERE id = $1 AND version = $4",
        user.0,
        display_name.as_str(),
        time_zone,
        version
    )
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::StaleVersion);
    }
    Ok(())
}
