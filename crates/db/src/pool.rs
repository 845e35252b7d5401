//! Connecting: the serving pool (RLS-bound role) and the owner pool.

use crate::DbError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgPool};
use std::time::Duration;

/// Handle to the serving pool. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pub(crate) pool: PgPool,
}

impl Db {
    /// Builds the serving pool. Connections are opened lazily so a server
    /// can start (and answer /readyz with 503) while its database is down.
    ///
    /// A connection that comes back from a unit of work still inside a
    /// transaction (it should never happen: the work runs in a task nobody
    /// cancels) is closed instead of being reused, so no later request can
    /// run inside a transaction that carries another tenant's setting.
    #[must_use]
    pub fn connect_lazy(options: PgConnectOptions, max_connections: u32) -> Self {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .idle_timeout(Duration::from_secs(300))
            // sqlx pings every connection on acquire and again on release.
            // The release ping already drops broken connections, so the
            // acquire ping is only worth its round trip for connections that
            // sat idle long enough for the server or a proxy to drop them.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > Duration::from_secs(30) {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .after_release(|conn, _meta| {
                Box::pin(async move {
                    if conn.is_in_transaction() {
                        tracing::warn!("discarding a pooled connection left inside a transaction");
                        return Ok(false);
                    }
                    Ok(true)
                })
            })
            .connect_lazy_with(options);
        Self { pool }
    }

    /// The underlying pool, for tests and health checks.
    #[must_use]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Refuses a pool whose role is a superuser or may bypass row-level
    /// security: such a role would ignore every tenant policy.
    pub async fn check_serving_role(&self) -> Result<(), DbError> {
        let row = sqlx::query!(
            r#"SELECT current_user AS "name!", rolsuper AS "rolsuper!", rolbypassrls AS "rolbypassrls!"
                 FROM pg_roles WHERE rolname = current_user"#
        )
        .fetch_one(&self.pool)
        .await?;
        if row.rolsuper || row.rolbypassrls {
            return Err(DbError::Config(format!(
                "the serving database role \"{}\" is a {}, which ignores row-level security; \
                 set ALMANAC_APP_DATABASE_URL to a login role without SUPERUSER and BYPASSRLS \
                 (`almanac migrate` creates one)",
                row.name,
                if row.rolsuper {
                    "superuser"
                } else {
                    "BYPASSRLS role"
                }
            )));
        }
        Ok(())
    }

    /// True when the database answers a trivial query within two seconds.
    pub async fn is_ready(&self) -> bool {
        let probe = async {
            let mut conn = self.pool.acquire().await?;
            conn.ping().await
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(2), probe).await,
            Ok(Ok(()))
        )
    }
}

/// Opens a small pool as the owner role (migrations, demo data, admin).
pub async fn connect_owner(options: PgConnectOptions) -> Result<PgPool, DbError> {
    Ok(PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?)
}

/// Creates the database `name` when the cluster has none by that name
/// (bootstrap of the embedded cluster; `conn` is on the `postgres` database).
/// Unchecked SQL on purpose: it runs before any schema exists.
pub async fn create_database_if_missing(
    conn: &mut sqlx::PgConnection,
    name: &str,
) -> Result<(), DbError> {
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut *conn)
            .await?;
    if !exists {
        let statement: String = sqlx::query_scalar("SELECT format('CREATE DATABASE %I', $1::text)")
            .bind(name)
            .fetch_one(&mut *conn)
            .await?;
        sqlx::raw_sql(&statement).execute(&mut *conn).await?;
    }
    Ok(())
}
