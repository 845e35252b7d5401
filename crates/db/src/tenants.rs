//! Tenants and their settings.

use crate::DbError;
use almanac_domain::{FiscalYearStart, TenantId, TenantName, TenantSlug, TimeZone, WeekStart};
use sqlx::PgConnection;

/// Creates a tenant. The transaction must act in `id` (see
/// [`crate::scope::set_scope`]): the insert policy checks it.
pub async fn create(
    conn: &mut PgConnection,
    id: TenantId,
    slug: &TenantSlug,
    name: &TenantName,
    zone: TimeZone,
) -> Result<(), DbError> {
    sqlx::query!(
        "INSERT INTO tenants (id, slug, name, time_zone) VALUES ($1, $2, $3, $4)",
        id.0,
        slug.as_str(),
        name.as_str(),
        zone.name()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The tenant's plan version: it changes with every committed transaction
/// that changes the tenant's planning records (a deferred trigger, see
/// migration 20261129000002), so what was computed from the plan under one
/// version is still right while the version reads the same.
pub async fn plan_version(conn: &mut PgConnection, tenant: TenantId) -> Result<i64, DbError> {
    Ok(
        sqlx::query_scalar!("SELECT plan_version FROM tenants WHERE id = $1", tenant.0)
            .fetch_optional(conn)
            .await?
            .unwrap_or(-1),
    )
}

/// Resolves a slug (owner pool: the tenants table's RLS is not forced).
pub async fn id_by_slug(conn: &mut PgConnection, slug: &str) -> Result<Option<TenantId>, DbError> {
    Ok(
        sqlx::query_scalar!("SELECT id FROM tenants WHERE slug = $1", slug)
            .fetch_optional(conn)
            .await?
            .map(TenantId),
    )
}

/// The editable settings of a tenant.
#[derive(Debug, Clone)]
pub struct Settings {
    pub name: TenantName,
    pub time_zone: TimeZone,
    pub week_start: WeekStart,
    pub fiscal_year_start: FiscalYearStart,
    pub allow_self_approval: bool,
}

/// Saves settings if the tenant is still at `version`.
pub async fn update_settings(
    conn: &mut PgConnection,
    id: TenantId,
    settings: &Settings,
    version: i32,
) -> Result<(), DbError> {
    let done = sqlx::query!(
        "UPDATE tenants SET name = $2, time_zone = $3, week_start = $4, fiscal_year_start = $5,
                            allow_self_approval = $6, version = version + 1, updated_at = now()
          WHERE id = $1 AND version = $7",
        id.0,
        settings.name.as_str(),
        settings.time_zone.name(),
        settings.week_start.iso(),
        settings.fiscal_year_start.month(),
        settings.allow_self_approval,
        version
    )
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::StaleVersion);
    }
    Ok(())
}

/// Updates name and zone of an existing tenant (demo refresh).
pub async fn rename(
    conn: &mut PgConnection,
    id: TenantId,
    name: &TenantName,
    zone: TimeZone,
) -> Result<(), DbError> {
    sqlx::query!(
        "UPDATE tenants SET name = $2, time_zone = $3, updated_at = now() WHERE id = $1",
        id.0,
        name.as_str(),
        zone.name()
    )
    .execute(conn)
    .await?;
    Ok(())
}
