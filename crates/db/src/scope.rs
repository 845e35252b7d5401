//! Tenant-scoped units of work.
//!
//! sqlx 0.8's `begin()` is not cancel-safe on PostgreSQL: if the future is
//! dropped after BEGIN was sent, the connection can return to the pool inside
//! a transaction that still carries the previous request's `app.tenant_id`.
//! So every unit of work here runs in a spawned task that the caller awaits:
//! dropping the caller (client gone, timeout) does not drop the task, which
//! always reaches COMMIT or ROLLBACK. The pool additionally discards any
//! connection released inside a transaction (see [`crate::Db::connect_lazy`]).

use crate::feed_tokens::FeedVisit;
use crate::{Db, DbError};
use almanac_domain::{Role, TenantId, UserId};
use futures::future::BoxFuture;
use sqlx::{PgConnection, Postgres};
use uuid::Uuid;

/// A transaction on the serving pool.
pub type Tx = sqlx::Transaction<'static, Postgres>;

/// The signed-in person.
#[derive(Debug, Clone)]
pub struct VisitUser {
    pub id: UserId,
    pub email: String,
    pub display_name: String,
    pub time_zone: Option<String>,
    pub must_change_password: bool,
}

/// The tenant a request acts in, with the visitor's role there.
#[derive(Debug, Clone)]
pub struct TenantContext {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub week_start: i16,
    pub fiscal_year_start: i16,
    pub allow_self_approval: bool,
    pub version: i32,
    pub role: Role,
}

/// Who is asking, resolved by the first statement of the transaction.
#[derive(Debug, Clone)]
pub struct Visit {
    pub user: VisitUser,
    /// Present when the request names a tenant the person belongs to.
    pub tenant: Option<TenantContext>,
    /// (slug, name) of every tenant the person belongs to, by name.
    pub memberships: Vec<(String, String)>,
}

impl Visit {
    /// The tenant of a tenant-scoped request (always present inside
    /// [`Db::enter`] with a slug).
    pub fn tenant(&self) -> Result<&TenantContext, DbError> {
        self.tenant.as_ref().ok_or(DbError::NotFound)
    }
}

/// What the request asks for.
#[derive(Debug, Clone)]
pub struct Entry {
    /// SHA-256 of the session cookie's token.
    pub token_hash: Vec<u8>,
    /// The tenant slug of the URL, if any.
    pub slug: Option<String>,
    /// Let a person with a one-time password through (password page, logout).
    pub allow_pending_password: bool,
}

struct EnterRow {
    user_id: Uuid,
    email: String,
    display_name: String,
    user_time_zone: Option<String>,
    must_change_password: bool,
    tenant_id: Option<Uuid>,
    tenant_slug: Option<String>,
    tenant_name: Option<String>,
    tenant_time_zone: Option<String>,
    week_start: Option<i16>,
    fiscal_year_start: Option<i16>,
    allow_self_approval: Option<bool>,
    tenant_version: Option<i32>,
    role: Option<String>,
    member_slugs: Option<Vec<String>>,
    member_names: Option<Vec<String>>,
}

impl EnterRow {
    fn into_visit(self) -> Visit {
        let tenant = match (
            self.tenant_id,
            self.tenant_slug,
            self.tenant_name,
            self.tenant_time_zone,
            self.role.and_then(|r| r.parse::<Role>().ok()),
        ) {
            (Some(id), Some(slug), Some(name), Some(time_zone), Some(role)) => {
                Some(TenantContext {
                    id: TenantId(id),
                    slug,
                    name,
                    time_zone,
                    week_start: self.week_start.unwrap_or(1),
                    fiscal_year_start: self.fiscal_year_start.unwrap_or(1),
                    allow_self_approval: self.allow_self_approval.unwrap_or(false),
                    version: self.tenant_version.unwrap_or(1),
                    role,
                })
            }
            _ => None,
        };
        Visit {
            user: VisitUser {
                id: UserId(self.user_id),
                email: self.email,
                display_name: self.display_name,
                time_zone: self.user_time_zone,
                must_change_password: self.must_change_password,
            },
            tenant,
            memberships: self
                .member_slugs
                .unwrap_or_default()
                .into_iter()
                .zip(self.member_names.unwrap_or_default())
                .collect(),
        }
    }
}

/// Resolves the session and tenant in one statement and sets the
/// transaction's `app.user_id` / `app.tenant_id` (see `almanac_enter`).
async fn enter(conn: &mut PgConnection, entry: &Entry) -> Result<Visit, DbError> {
    let row = sqlx::query_as!(
        EnterRow,
        r#"SELECT user_id AS "user_id!", email AS "email!", display_name AS "display_name!",
                  user_time_zone, must_change_password AS "must_change_password!",
                  tenant_id, tenant_slug, tenant_name, tenant_time_zone, week_start,
                  fiscal_year_start, allow_self_approval, tenant_version, role,
                  member_slugs, member_names
             FROM almanac_enter($1, $2)"#,
        entry.token_hash,
        entry.slug
    )
    .fetch_optional(conn)
    .await?;
    let visit = row.ok_or(DbError::Unauthenticated)?.into_visit();
    if visit.user.must_change_password && !entry.allow_pending_password {
        return Err(DbError::PasswordChangeRequired);
    }
    if entry.slug.is_some() && visit.tenant.is_none() {
        return Err(DbError::NotFound);
    }
    Ok(visit)
}

impl Db {
    /// Runs `work` for a signed-in visitor: in one transaction, first resolves
    /// the session (and the tenant of `entry.slug`, setting `app.tenant_id`),
    /// then runs `work`, then commits (or rolls back on error).
    ///
    /// Errors: [`DbError::Unauthenticated`] without a valid session,
    /// [`DbError::NotFound`] when the slug is not one of the visitor's tenants,
    /// [`DbError::PasswordChangeRequired`] for one-time passwords.
    pub async fn enter<T, E, F>(&self, entry: Entry, work: F) -> Result<(Visit, T), E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: for<'t> FnOnce(&'t mut Tx, &'t Visit) -> BoxFuture<'t, Result<T, E>> + Send + 'static,
    {
        let pool = self.pool.clone();
        spawn_and_wait(async move {
            let mut tx = pool.begin().await.map_err(DbError::from)?;
            let visit = enter(&mut tx, &entry).await?;
            let out = work(&mut tx, &visit).await;
            finish(tx, out).await.map(|v| (visit, v))
        })
        .await
    }

    /// Runs `work` for the holder of a calendar feed token (no session): in
    /// one transaction, first resolves the token for the tenant `slug` and
    /// scopes the transaction to its tenant and person (see
    /// `almanac_enter_feed`), then runs `work`, then commits. Cancel-safe
    /// like [`Db::enter`].
    ///
    /// Errors: [`DbError::NotFound`] for an unknown or revoked token, a
    /// person who is no longer a member, or another tenant's slug.
    pub async fn enter_feed<T, E, F>(
        &self,
        token_hash: Vec<u8>,
        slug: String,
        work: F,
    ) -> Result<(FeedVisit, T), E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: for<'t> FnOnce(&'t mut Tx, &'t FeedVisit) -> BoxFuture<'t, Result<T, E>>
            + Send
            + 'static,
    {
        let pool = self.pool.clone();
        spawn_and_wait(async move {
            let mut tx = pool.begin().await.map_err(DbError::from)?;
            // Rolled back explicitly: calendar clients keep polling revoked
            // tokens, and a connection dropped inside a transaction is
            // discarded rather than reused.
            let visit = match crate::feed_tokens::enter(&mut tx, &token_hash, &slug).await {
                Ok(visit) => visit,
                Err(e) => return finish(tx, Err(E::from(e))).await,
            };
            let out = work(&mut tx, &visit).await;
            finish(tx, out).await.map(|v| (visit, v))
        })
        .await
    }

    /// Runs `work` acting in `tenant` (for admin commands and tests), with
    /// `actor` as the app.user_id when given.
    pub async fn in_tenant<T, E, F>(
        &self,
        tenant: TenantId,
        actor: Option<UserId>,
        work: F,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, Result<T, E>> + Send + 'static,
    {
        in_tenant_on(self.pool.clone(), tenant, actor, work).await
    }
}

/// [`Db::in_tenant`] on any pool (the owner pool of admin commands too).
pub async fn in_tenant_on<T, E, F>(
    pool: sqlx::PgPool,
    tenant: TenantId,
    actor: Option<UserId>,
    work: F,
) -> Result<T, E>
where
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
    F: for<'t> FnOnce(&'t mut Tx) -> BoxFuture<'t, Result<T, E>> + Send + 'static,
{
    spawn_and_wait(async move {
        let mut tx = pool.begin().await.map_err(DbError::from)?;
        set_scope(&mut tx, tenant, actor).await?;
        let out = work(&mut tx).await;
        finish(tx, out).await
    })
    .await
}

/// Sets the transaction-local tenant (and actor) in its own statement, so the
/// policies of every later statement see it.
pub async fn set_scope(
    conn: &mut PgConnection,
    tenant: TenantId,
    actor: Option<UserId>,
) -> Result<(), DbError> {
    sqlx::query!(
        "SELECT set_config('app.tenant_id', $1, true) AS tenant,
                set_config('app.user_id', $2, true) AS actor",
        tenant.0.to_string(),
        actor.map(|a| a.0.to_string()).unwrap_or_default()
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

async fn finish<T, E: From<DbError>>(tx: Tx, out: Result<T, E>) -> Result<T, E> {
    match out {
        Ok(value) => {
            tx.commit().await.map_err(DbError::from)?;
            Ok(value)
        }
        Err(e) => {
            // A failed rollback closes the connection (sqlx drops it); the
            // original error is the one worth reporting.
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(e)
        }
    }
}

/// Runs `fut` to completion on its own task, whatever happens to the caller.
async fn spawn_and_wait<T, E>(
    fut: impl Future<Output = Result<T, E>> + Send + 'static,
) -> Result<T, E>
where
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    match tokio::spawn(fut).await {
        Ok(result) => result,
        Err(join) => Err(E::from(DbError::Task(join.to_string()))),
    }
}
