//! `almanac demo`: creates or refreshes the demo organisations and logins.
//! Idempotent: running it again resets the demo passwords and roles.

use crate::admin::{UserSpec, create_tenant, upsert_user};
use almanac_db::scope::in_tenant_on;
use almanac_db::{DbError, tenants};
use almanac_domain::{TenantName, TimeZone};
use anyhow::{Result, anyhow};
use sqlx::PgPool;

pub const PASSWORD: &str = "almanac-demo";

/// (slug, name, zone)
pub const TENANTS: [(&str, &str, &str); 2] = [
    ("acme", "Acme Financial", "America/New_York"),
    ("globex", "Globex", "Europe/Berlin"),
];

/// (email, name, tenant, role)
pub const USERS: [(&str, &str, &str, &str); 6] = [
    ("owner@acme.test", "Olivia Owner", "acme", "owner"),
    ("rm@acme.test", "Rami Release", "acme", "release_manager"),
    ("cab@acme.test", "Cora Cab", "acme", "approver"),
    ("qa@acme.test", "Quinn QA", "acme", "approver"),
    ("exec@acme.test", "Evan Exec", "acme", "viewer"),
    (
        "rm@globex.test",
        "Greta Release",
        "globex",
        "release_manager",
    ),
];

pub async fn load(pool: &PgPool) -> Result<()> {
    for (slug, name, zone) in TENANTS {
        let mut conn = pool.acquire().await?;
        let existing = tenants::id_by_slug(&mut conn, slug).await?;
        drop(conn);
        match existing {
            None => {
                create_tenant(pool, slug, name, zone, "demo").await?;
            }
            Some(id) => {
                let name = TenantName::parse(name).map_err(|e| anyhow!("{e}"))?;
                let zone = TimeZone::parse(zone).map_err(|e| anyhow!("{e}"))?;
                in_tenant_on(pool.clone(), id, None, move |tx| {
                    Box::pin(async move { tenants::rename(tx, id, &name, zone).await })
                })
                .await
                .map_err(|e: DbError| anyhow!(e))?;
            }
        }
    }
    for (email, name, tenant, role) in USERS {
        upsert_user(
            pool,
            UserSpec {
                email,
                display_name: Some(name),
                password: PASSWORD,
                tenant,
                role,
                must_change_password: false,
                actor_label: "demo",
            },
        )
        .await?;
    }
    Ok(())
}
