//! `almanac demo`: creates or refreshes the demo organisations and logins,
//! and gives each demo tenant a believable portfolio (products,
//! environments, windows and freezes, a template, a train, releases with
//! deployments, milestones and checklists, go/no-go policy presets and
//! review rounds with their votes) dated relative to today.
//!
//! Idempotent: running it again resets the demo passwords and roles, and
//! builds a portfolio only for a tenant with no planning records yet, so
//! what people changed stays. `almanac demo --reset` ([`reset`]) deletes the
//! demo tenants' planning records and builds them afresh. Each build writes
//! one audit event per tenant (`demo.portfolio_loaded` / `_reset`), not one
//! per record.

mod calendar;
mod catalog;
mod plan;
mod portfolio;
mod rounds;

use crate::admin::{UserSpec, create_tenant, upsert_user};
use almanac_db::audit::{self, NewEvent};
use almanac_db::scope::in_tenant_on;
use almanac_db::{DbError, tenants};
use almanac_domain::{TenantName, TimeZone};
use anyhow::{Result, anyhow};
use chrono::Utc;
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

/// What a run did to each demo tenant's portfolio: (slug, releases built),
/// `None` when the tenant already had planning records and was left alone.
pub type Outcome = Vec<(&'static str, Option<usize>)>;

/// Refreshes the demo logins and builds the portfolio of every demo tenant
/// that has no planning records yet.
pub async fn load(pool: &PgPool) -> Result<Outcome> {
    load_accounts(pool).await?;
    portfolios(pool, false).await
}

/// Refreshes the demo logins, deletes the demo tenants' planning records
/// and builds their portfolios afresh.
pub async fn reset(pool: &PgPool) -> Result<Outcome> {
    load_accounts(pool).await?;
    portfolios(pool, true).await
}

async fn portfolios(pool: &PgPool, reset: bool) -> Result<Outcome> {
    let now = Utc::now();
    let mut outcome = Vec::new();
    for spec in catalog::SPECS {
        let (_, _, zone) = TENANTS
            .iter()
            .find(|(slug, _, _)| *slug == spec.slug)
            .ok_or_else(|| anyhow!("no demo tenant {}", spec.slug))?;
        let zone = TimeZone::parse(zone).map_err(|e| anyhow!("{e}"))?;
        let mut conn = pool.acquire().await?;
        let tenant = tenants::id_by_slug(&mut conn, spec.slug)
            .await?
            .ok_or_else(|| anyhow!("no tenant {}", spec.slug))?;
        drop(conn);
        let built = in_tenant_on(pool.clone(), tenant, None, move |tx| {
            Box::pin(async move {
                let before = if reset {
                    Some(portfolio::clear(tx, tenant).await?)
                } else if portfolio::untouched(tx, tenant).await? {
                    None
                } else {
                    return Ok::<_, anyhow::Error>(None);
                };
                let built = portfolio::build(tx, tenant, spec, zone, now).await?;
                let event = NewEvent {
                    tenant: Some(tenant),
                    actor: None,
                    actor_label: "demo",
                    action: if reset {
                        "demo.portfolio_reset"
                    } else {
                        "demo.portfolio_loaded"
                    },
                    entity_type: "tenant",
                    entity_id: tenant.0.to_string(),
                    before: before.map(|releases| serde_json::json!({ "releases": releases })),
                    after: Some(built.to_json()),
                };
                audit::record(tx, event).await?;
                Ok(Some(built.releases))
            })
        })
        .await?;
        outcome.push((spec.slug, built));
    }
    Ok(outcome)
}

/// Creates or refreshes the demo tenants and logins (no planning records).
pub async fn load_accounts(pool: &PgPool) -> Result<()> {
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
