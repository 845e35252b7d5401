//! Resolving the database, migrating, and the admin commands
//! (`tenant create`, `user create`). Admin commands run as the owner role and
//! still act through tenant-scoped transactions, so they obey the same
//! row-level security as the server.

use crate::config::{Config, Database, connect_options, serving_role};
use crate::embedded::{self, Embedded};
use almanac_db::audit::{self, NewEvent};
use almanac_db::migrate::ServingRole;
use almanac_db::scope::in_tenant_on;
use almanac_db::{DbError, members, tenants, users};
use almanac_domain::{
    DisplayName, Email, NewPassword, Role, TenantId, TenantName, TenantSlug, TimeZone, UserId,
};
use anyhow::{Context, Result, anyhow, bail};
use serde_json::json;
use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;

/// The database a command talks to, started if it is the embedded one.
pub struct Resolved {
    pub owner: Option<PgConnectOptions>,
    pub app: Option<PgConnectOptions>,
    pub serving_role: Option<ServingRole>,
    pub embedded: Option<Embedded>,
}

impl Resolved {
    pub async fn from_config(config: &Config) -> Result<Self> {
        match &config.database {
            Database::External { owner_url, app_url } => Ok(Self {
                owner: owner_url
                    .as_deref()
                    .map(|u| connect_options(u, "DATABASE_URL"))
                    .transpose()?,
                app: app_url
                    .as_deref()
                    .map(|u| connect_options(u, "ALMANAC_APP_DATABASE_URL"))
                    .transpose()?,
                serving_role: app_url.as_deref().map(serving_role).transpose()?,
                embedded: None,
            }),
            Database::Embedded { data_dir } => {
                let mut db = Embedded::locate(data_dir)?;
                db.start().await?;
                Ok(Self {
                    owner: Some(db.owner_options()),
                    app: Some(db.app_options()),
                    serving_role: Some(ServingRole {
                        name: embedded::APP_ROLE.to_owned(),
                        password: None,
                    }),
                    embedded: Some(db),
                })
            }
        }
    }

    /// A pool as the owner role (migrations, demo, admin commands).
    pub async fn owner_pool(&self) -> Result<PgPool> {
        let options = self.owner.clone().context(
            "DATABASE_URL is not set: migrations, demo data and admin commands run as the database owner",
        )?;
        Ok(almanac_db::pool::connect_owner(options).await?)
    }

    /// Applies migrations and wires the serving role.
    pub async fn migrate(&self) -> Result<()> {
        let role = self.serving_role.as_ref().context(
            "ALMANAC_APP_DATABASE_URL is not set: `almanac migrate` creates the serving role it names",
        )?;
        let pool = self.owner_pool().await?;
        almanac_db::migrate::run(&pool, role).await?;
        pool.close().await;
        Ok(())
    }

    /// Stops the embedded database if this command started it.
    pub async fn shutdown(mut self) {
        if let Some(db) = self.embedded.as_mut() {
            db.stop().await;
        }
    }
}

/// `almanac tenant create SLUG NAME --tz ZONE`.
pub async fn create_tenant(
    pool: &PgPool,
    slug: &str,
    name: &str,
    zone: &str,
    actor_label: &'static str,
) -> Result<TenantId> {
    let slug = TenantSlug::parse(slug).map_err(|e| anyhow!("slug {slug:?}: {e}"))?;
    let name = TenantName::parse(name).map_err(|e| anyhow!("name: {e}"))?;
    let zone = TimeZone::parse(zone).map_err(|e| anyhow!("--tz {zone:?}: {e}"))?;
    let mut conn = pool.acquire().await?;
    if tenants::id_by_slug(&mut conn, slug.as_str())
        .await?
        .is_some()
    {
        bail!("a tenant with the slug {slug} already exists");
    }
    drop(conn);
    let id = TenantId::new();
    in_tenant_on(pool.clone(), id, None, move |tx| {
        Box::pin(async move {
            tenants::create(tx, id, &slug, &name, zone).await?;
            audit::record(tx, NewEvent {
                tenant: Some(id),
                actor: None,
                actor_label,
                action: "tenant.created",
                entity_type: "tenant",
                entity_id: id.to_string(),
                before: None,
                after: Some(json!({"slug": slug.as_str(), "name": name.as_str(), "time_zone": zone.name()})),
            })
            .await?;
            Ok::<_, DbError>(())
        })
    })
    .await?;
    Ok(id)
}

/// A user to create or refresh.
pub struct UserSpec<'a> {
    pub email: &'a str,
    pub display_name: Option<&'a str>,
    pub password: &'a str,
    pub tenant: &'a str,
    pub role: &'a str,
    pub must_change_password: bool,
    /// Who is doing it, for the audit trail (`cli`, `demo`).
    pub actor_label: &'static str,
}

/// `almanac user create EMAIL --tenant SLUG --role ROLE`: creates the account
/// (or, when it exists, sets its password) and makes it a member.
pub async fn upsert_user(pool: &PgPool, spec: UserSpec<'_>) -> Result<UserId> {
    let email = Email::parse(spec.email).map_err(|e| anyhow!("email {:?}: {e}", spec.email))?;
    let role: Role = spec
        .role
        .parse()
        .map_err(|e| anyhow!("--role {:?}: {e}", spec.role))?;
    let password =
        NewPassword::parse(spec.password, Some(&email)).map_err(|e| anyhow!("password: {e}"))?;
    let name = match spec.display_name {
        Some(n) => DisplayName::parse(n).map_err(|e| anyhow!("name: {e}"))?,
        None => DisplayName::from_email(&email),
    };
    let hash = almanac_web::hash_password(password.expose().to_owned()).await?;
    let mut conn = pool.acquire().await?;
    let tenant = tenants::id_by_slug(&mut conn, spec.tenant)
        .await?
        .with_context(|| {
            format!(
                "no tenant with the slug {:?}; create it with `almanac tenant create`",
                spec.tenant
            )
        })?;
    drop(conn);
    let must_change = spec.must_change_password;
    let actor_label = spec.actor_label;
    let user = in_tenant_on(pool.clone(), tenant, None, move |tx| {
        Box::pin(async move {
            let user = match users::find_by_email(tx, &email).await? {
                Some(user) => {
                    users::set_password(tx, user, &hash, must_change).await?;
                    user
                }
                None => {
                    users::create(
                        tx,
                        users::NewUser {
                            id: UserId::new(),
                            email: &email,
                            display_name: &name,
                            password_hash: &hash,
                            must_change_password: must_change,
                        },
                    )
                    .await?
                }
            };
            let before = members::upsert(tx, tenant, user, role).await?;
            if before != Some(role) {
                audit::record(
                    tx,
                    NewEvent {
                        tenant: Some(tenant),
                        actor: None,
                        actor_label,
                        action: if before.is_some() {
                            "member.role_changed"
                        } else {
                            "member.added"
                        },
                        entity_type: "membership",
                        entity_id: user.to_string(),
                        before: before
                            .map(|r| json!({"email": email.as_str(), "role": r.as_str()})),
                        after: Some(json!({"email": email.as_str(), "role": role.as_str()})),
                    },
                )
                .await?;
            }
            Ok::<_, DbError>(user)
        })
    })
    .await?;
    Ok(user)
}
