//! Windows and freezes: the `windows` row, its scope rows
//! (`window_environments`, `window_products`) and its cancelled occurrences
//! (`window_exceptions`). Lists load in a fixed number of queries: the
//! windows, then the scope rows and exceptions of all of them at once.
//! `span` (the instants a window can touch) is computed by the domain and
//! stored on every save, so calendar queries expand only the windows that
//! can touch their range. A tenant has few windows: they are read through
//! the primary key's tenant prefix and `span` filters them (a range
//! operator is not leakproof, so under row-level security it could not be
//! an index condition anyway).

use crate::DbError;
use almanac_domain::recurrence::{RRule, Recurrence};
use almanac_domain::window::{
    CancelledOccurrence, ExemptType, Scope, Window, WindowDraft, WindowId, WindowKind, WindowName,
    WindowSchedule,
};
use almanac_domain::{TenantId, TimeZone, UserId};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// The most windows a list shows.
pub const LIST_LIMIT: i64 = 500;

/// An environment or product offered in the window form and filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub id: Uuid,
    /// `production`, or `PAY — Payments` for products.
    pub label: String,
    pub archived: bool,
}

/// The tenant's environments (in their order), archived ones included and
/// marked (a window may still name one).
pub async fn environment_choices(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<Choice>, DbError> {
    let rows = sqlx::query!(
        "SELECT id, name, archived FROM environments
          WHERE tenant_id = $1 ORDER BY position, lower(name)",
        tenant.0
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Choice {
            id: r.id,
            label: r.name,
            archived: r.archived,
        })
        .collect())
}

/// The tenant's products by key, archived ones included and marked.
pub async fn product_choices(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<Choice>, DbError> {
    let rows = sqlx::query!(
        "SELECT id, key, name, archived FROM products WHERE tenant_id = $1 ORDER BY key",
        tenant.0
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Choice {
            id: r.id,
            label: format!("{} — {}", r.key, r.name),
            archived: r.archived,
        })
        .collect())
}

/// Which windows a list shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub kind: Option<WindowKind>,
    /// Windows covering this environment (all-environment windows included).
    pub environment: Option<Uuid>,
    /// Windows covering this product (all-product windows included).
    pub product: Option<Uuid>,
    /// Include archived windows.
    pub archived: bool,
}

struct Row {
    id: Uuid,
    kind: String,
    name: String,
    reason: String,
    all_environments: bool,
    all_products: bool,
    exempt_types: Vec<String>,
    time_zone: String,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    rrule: Option<String>,
    series_start: Option<NaiveDate>,
    local_start: Option<NaiveTime>,
    local_end: Option<NaiveTime>,
    capacity: Option<i32>,
    archived: bool,
    revision: i32,
}

/// The tenant's windows matching `filter`, by name (archived last), with
/// scope and cancelled occurrences: three queries whatever their number.
#[tracing::instrument(skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
    filter: &Filter,
) -> Result<Vec<Window>, DbError> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT id, kind, name, reason, all_environments, all_products, exempt_types, time_zone,
                  starts_at, ends_at, rrule, series_start, local_start, local_end, capacity,
                  archived, revision
             FROM windows w
            WHERE tenant_id = $1
              AND ($2::text IS NULL OR kind = $2)
              AND ($3 OR NOT archived)
              AND ($4::uuid IS NULL OR all_environments OR EXISTS (
                    SELECT 1 FROM window_environments e
                     WHERE e.tenant_id = w.tenant_id AND e.window_id = w.id
                       AND e.environment_id = $4))
              AND ($5::uuid IS NULL OR all_products OR EXISTS (
                    SELECT 1 FROM window_products p
                     WHERE p.tenant_id = w.tenant_id AND p.window_id = w.id
                       AND p.product_id = $5))
            ORDER BY archived, lower(name), id
            LIMIT $6"#,
        tenant.0,
        filter.kind.map(WindowKind::as_str),
        filter.archived,
        filter.environment,
        filter.product,
        LIST_LIMIT
    )
    .fetch_all(&mut *conn)
    .await?;
    complete(conn, tenant, rows).await
}

/// Windows (not archived) whose span overlaps `[from, to)`: the candidates
/// a calendar or conflict check expands.
#[tracing::instrument(skip(conn))]
pub async fn overlapping(
    conn: &mut PgConnection,
    tenant: TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Window>, DbError> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT id, kind, name, reason, all_environments, all_products, exempt_types, time_zone,
                  starts_at, ends_at, rrule, series_start, local_start, local_end, capacity,
                  archived, revision
             FROM windows
            WHERE tenant_id = $1 AND NOT archived AND span && tstzrange($2, $3)
            ORDER BY lower(name), id"#,
        tenant.0,
        from,
        to
    )
    .fetch_all(&mut *conn)
    .await?;
    complete(conn, tenant, rows).await
}

/// One window with its scope and cancelled occurrences.
#[tracing::instrument(skip(conn))]
pub async fn get(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: WindowId,
) -> Result<Option<Window>, DbError> {
    let row = sqlx::query_as!(
        Row,
        r#"SELECT id, kind, name, reason, all_environments, all_products, exempt_types, time_zone,
                  starts_at, ends_at, rrule, series_start, local_start, local_end, capacity,
                  archived, revision
             FROM windows WHERE tenant_id = $1 AND id = $2"#,
        tenant.0,
        id.0
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(complete(conn, tenant, vec![row]).await?.pop())
}

/// Adds scope rows and exceptions to `rows` (two queries for all of them).
async fn complete(
    conn: &mut PgConnection,
    tenant: TenantId,
    rows: Vec<Row>,
) -> Result<Vec<Window>, DbError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let scope = sqlx::query!(
        r#"SELECT window_id AS "window_id!", true AS "environment!", environment_id AS "id!"
             FROM window_environments WHERE tenant_id = $1 AND window_id = ANY($2)
           UNION ALL
           SELECT window_id, false, product_id
             FROM window_products WHERE tenant_id = $1 AND window_id = ANY($2)"#,
        tenant.0,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let exceptions = sqlx::query!(
        "SELECT window_id, occurrence_date, reason FROM window_exceptions
          WHERE tenant_id = $1 AND window_id = ANY($2) ORDER BY occurrence_date",
        tenant.0,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut environments: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let mut products: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for s in scope {
        let map = if s.environment {
            &mut environments
        } else {
            &mut products
        };
        map.entry(s.window_id).or_default().push(s.id);
    }
    let mut cancelled: HashMap<Uuid, Vec<CancelledOccurrence>> = HashMap::new();
    for x in exceptions {
        cancelled
            .entry(x.window_id)
            .or_default()
            .push(CancelledOccurrence {
                date: x.occurrence_date,
                reason: x.reason,
            });
    }
    rows.into_iter()
        .map(|row| {
            let id = row.id;
            row.into_window(
                environments.remove(&id).unwrap_or_default(),
                products.remove(&id).unwrap_or_default(),
                cancelled.remove(&id).unwrap_or_default(),
            )
        })
        .collect()
}

fn corrupt(id: Uuid, what: &str) -> DbError {
    DbError::Sqlx(sqlx::Error::Decode(
        format!("window {id}: stored {what} cannot be read").into(),
    ))
}

impl Row {
    fn into_window(
        self,
        mut environments: Vec<Uuid>,
        mut products: Vec<Uuid>,
        cancelled: Vec<CancelledOccurrence>,
    ) -> Result<Window, DbError> {
        let id = self.id;
        let zone = TimeZone::parse(&self.time_zone).map_err(|_| corrupt(id, "time zone"))?;
        let schedule = match (
            self.starts_at,
            self.ends_at,
            self.rrule,
            self.series_start,
            self.local_start,
            self.local_end,
        ) {
            (Some(start), Some(end), None, ..) => WindowSchedule::OneOff { start, end, zone },
            (None, None, Some(rule), Some(series_start), Some(local_start), Some(local_end)) => {
                let rule = RRule::parse(&rule, zone).map_err(|_| corrupt(id, "rule"))?;
                let recurrence = Recurrence::new(rule, series_start, local_start, local_end, zone)
                    .map_err(|_| corrupt(id, "recurrence"))?;
                WindowSchedule::Recurring(recurrence)
            }
            _ => return Err(corrupt(id, "schedule")),
        };
        environments.sort();
        products.sort();
        let scope = |all: bool, ids: Vec<Uuid>| {
            if all { Scope::All } else { Scope::Only(ids) }
        };
        Ok(Window {
            id: WindowId(id),
            kind: self.kind.parse().map_err(|_| corrupt(id, "kind"))?,
            name: WindowName::parse(&self.name).map_err(|_| corrupt(id, "name"))?,
            reason: self.reason,
            environments: scope(self.all_environments, environments),
            products: scope(self.all_products, products),
            exempt_types: self
                .exempt_types
                .iter()
                .map(|t| t.parse::<ExemptType>())
                .collect::<Result<_, _>>()
                .map_err(|_| corrupt(id, "exempt types"))?,
            schedule,
            capacity: self.capacity.and_then(|c| u32::try_from(c).ok()),
            archived: self.archived,
            revision: self.revision,
            cancelled,
        })
    }
}

/// The columns of a draft, as bound by the insert and update.
struct Columns<'a> {
    exempt_types: Vec<String>,
    zone: &'a str,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    rrule: Option<String>,
    series_start: Option<NaiveDate>,
    local_start: Option<NaiveTime>,
    local_end: Option<NaiveTime>,
    capacity: Option<i32>,
    span_start: DateTime<Utc>,
    span_end: Option<DateTime<Utc>>,
}

impl<'a> Columns<'a> {
    fn of(draft: &'a WindowDraft) -> Self {
        let (span_start, span_end) = draft.schedule.span();
        let (starts_at, ends_at, recurrence) = match &draft.schedule {
            WindowSchedule::OneOff { start, end, .. } => (Some(*start), Some(*end), None),
            WindowSchedule::Recurring(r) => (None, None, Some(r)),
        };
        Self {
            exempt_types: draft
                .exempt_types
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
            zone: draft.schedule.zone().name(),
            starts_at,
            ends_at,
            rrule: recurrence.map(|r| r.rule().to_string()),
            series_start: recurrence.map(Recurrence::series_start),
            local_start: recurrence.map(Recurrence::local_start),
            local_end: recurrence.map(Recurrence::local_end),
            capacity: draft.capacity.and_then(|c| i32::try_from(c).ok()),
            span_start,
            span_end,
        }
    }
}

/// Creates a window with its scope rows.
#[tracing::instrument(skip(conn, draft))]
pub async fn create(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: WindowId,
    draft: &WindowDraft,
) -> Result<(), DbError> {
    let c = Columns::of(draft);
    sqlx::query!(
        "INSERT INTO windows (tenant_id, id, kind, name, reason, all_environments, all_products,
                              exempt_types, time_zone, starts_at, ends_at, rrule, series_start,
                              local_start, local_end, capacity, span)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                 tstzrange($17, $18))",
        tenant.0,
        id.0,
        draft.kind.as_str(),
        draft.name.as_str(),
        draft.reason,
        draft.environments.is_all(),
        draft.products.is_all(),
        &c.exempt_types,
        c.zone,
        c.starts_at,
        c.ends_at,
        c.rrule,
        c.series_start,
        c.local_start,
        c.local_end,
        c.capacity,
        c.span_start,
        c.span_end
    )
    .execute(&mut *conn)
    .await?;
    save_scope(conn, tenant, id, draft).await
}

/// Saves a window's new state if it is still at `revision`.
///
/// Errors: [`DbError::StaleVersion`] when someone saved it meanwhile,
/// [`DbError::NotFound`] when it is gone.
#[tracing::instrument(skip(conn, draft))]
pub async fn update(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: WindowId,
    draft: &WindowDraft,
    revision: i32,
) -> Result<(), DbError> {
    let c = Columns::of(draft);
    let done = sqlx::query!(
        "UPDATE windows
            SET kind = $3, name = $4, reason = $5, all_environments = $6, all_products = $7,
                exempt_types = $8, time_zone = $9, starts_at = $10, ends_at = $11, rrule = $12,
                series_start = $13, local_start = $14, local_end = $15, capacity = $16,
                span = tstzrange($17, $18), revision = revision + 1, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND revision = $19",
        tenant.0,
        id.0,
        draft.kind.as_str(),
        draft.name.as_str(),
        draft.reason,
        draft.environments.is_all(),
        draft.products.is_all(),
        &c.exempt_types,
        c.zone,
        c.starts_at,
        c.ends_at,
        c.rrule,
        c.series_start,
        c.local_start,
        c.local_end,
        c.capacity,
        c.span_start,
        c.span_end,
        revision
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(missing_or_stale(conn, tenant, id).await);
    }
    sqlx::query!(
        "DELETE FROM window_environments WHERE tenant_id = $1 AND window_id = $2",
        tenant.0,
        id.0
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "DELETE FROM window_products WHERE tenant_id = $1 AND window_id = $2",
        tenant.0,
        id.0
    )
    .execute(&mut *conn)
    .await?;
    save_scope(conn, tenant, id, draft).await
}

async fn save_scope(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: WindowId,
    draft: &WindowDraft,
) -> Result<(), DbError> {
    if !draft.environments.ids().is_empty() {
        sqlx::query!(
            "INSERT INTO window_environments (tenant_id, window_id, environment_id)
             SELECT $1, $2, unnest($3::uuid[])",
            tenant.0,
            id.0,
            draft.environments.ids()
        )
        .execute(&mut *conn)
        .await?;
    }
    if !draft.products.ids().is_empty() {
        sqlx::query!(
            "INSERT INTO window_products (tenant_id, window_id, product_id)
             SELECT $1, $2, unnest($3::uuid[])",
            tenant.0,
            id.0,
            draft.products.ids()
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn missing_or_stale(conn: &mut PgConnection, tenant: TenantId, id: WindowId) -> DbError {
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM windows WHERE tenant_id = $1 AND id = $2) AS "e!""#,
        tenant.0,
        id.0
    )
    .fetch_one(conn)
    .await;
    match exists {
        Ok(true) => DbError::StaleVersion,
        Ok(false) => DbError::NotFound,
        Err(e) => e.into(),
    }
}

/// Archives (or restores) a window still at `revision`.
pub async fn set_archived(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: WindowId,
    archived: bool,
    revision: i32,
) -> Result<(), DbError> {
    let done = sqlx::query!(
        "UPDATE windows SET archived = $3, revision = revision + 1, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND revision = $4",
        tenant.0,
        id.0,
        archived,
        revision
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(missing_or_stale(conn, tenant, id).await);
    }
    Ok(())
}

/// Deletes a window still at `revision`, with its scope rows and exceptions.
pub async fn delete(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: WindowId,
    revision: i32,
) -> Result<(), DbError> {
    let done = sqlx::query!(
        "DELETE FROM windows WHERE tenant_id = $1 AND id = $2 AND revision = $3",
        tenant.0,
        id.0,
        revision
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(missing_or_stale(conn, tenant, id).await);
    }
    Ok(())
}

/// Cancels the occurrence of `id` starting on local `date`. False when it
/// already was cancelled.
pub async fn cancel_occurrence(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: WindowId,
    date: NaiveDate,
    reason: &str,
    by: UserId,
) -> Result<bool, DbError> {
    let done = sqlx::query!(
        "INSERT INTO window_exceptions (tenant_id, window_id, occurrence_date, reason, created_by)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        tenant.0,
        id.0,
        date,
        reason,
        by.0
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Restores a cancelled occurrence. False when it was not cancelled.
pub async fn restore_occurrence(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: WindowId,
    date: NaiveDate,
) -> Result<bool, DbError> {
    let done = sqlx::query!(
        "DELETE FROM window_exceptions
          WHERE tenant_id = $1 AND window_id = $2 AND occurrence_date = $3",
        tenant.0,
        id.0,
        date
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes every window of the tenant with their scope rows and cancelled
/// occurrences (demo reset). Returns how many windows went.
pub async fn delete_all(conn: &mut PgConnection, tenant: TenantId) -> Result<u64, DbError> {
    let done = sqlx::query!("DELETE FROM windows WHERE tenant_id = $1", tenant.0)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
