//! Schema migrations and the serving role.
//!
//! `almanac migrate` runs as the owner: it creates the serving login role when
//! missing (LOGIN, NOSUPERUSER, NOBYPASSRLS), applies the embedded
//! migrations, and grants the serving role exactly what the app needs.

use crate::DbError;
use sqlx::PgPool;
use sqlx::migrate::Migrator;

/// Every migration in `migrations/`, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// The login role the server's pool uses.
#[derive(Debug, Clone)]
pub struct ServingRole {
    pub name: String,
    pub password: Option<String>,
}

/// Creates the serving role if needed, migrates, and grants privileges.
pub async fn run(owner: &PgPool, serving: &ServingRole) -> Result<(), DbError> {
    ensure_role(owner, serving).await?;
    MIGRATOR.run(owner).await?;
    grant(owner, &serving.name).await
}

/// Creates the role when missing. Roles are cluster-wide and tests migrate
/// many databases at once, so losing a creation race is not an error.
async fn ensure_role(owner: &PgPool, serving: &ServingRole) -> Result<(), DbError> {
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS "exists!""#,
        serving.name
    )
    .fetch_one(owner)
    .await?;
    if exists {
        return Ok(());
    }
    let statement = sqlx::query_scalar!(
        r#"SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE%s',
                         $1::text,
                         CASE WHEN $2::text IS NULL THEN '' ELSE format(' PASSWORD %L', $2::text) END)
                  AS "statement!""#,
        serving.name,
        serving.password
    )
    .fetch_one(owner)
    .await?;
    match sqlx::raw_sql(&statement).execute(owner).await {
        Ok(_) => {
            tracing::info!(role = %serving.name, "created the serving database role");
            Ok(())
        }
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42710" | "23505")) => {
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Grants the serving role data access but no ownership: it can read and
/// write rows (subject to RLS), never alter the schema, and never UPDATE or
/// DELETE audit events.
async fn grant(owner: &PgPool, role: &str) -> Result<(), DbError> {
    const TEMPLATES: [&str; 7] = [
        "GRANT CONNECT ON DATABASE %I TO %I",
        "GRANT USAGE ON SCHEMA public TO %2$I",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %2$I",
        "REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM %2$I",
        "REVOKE ALL ON _sqlx_migrations FROM %2$I",
        "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %2$I",
        "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO %2$I",
    ];
    for template in TEMPLATES {
        let statement = sqlx::query_scalar!(
            r#"SELECT format($1, current_database(), $2::text) AS "statement!""#,
            template,
            role
        )
        .fetch_one(owner)
        .await?;
        sqlx::raw_sql(&statement).execute(owner).await?;
    }
    Ok(())
}
