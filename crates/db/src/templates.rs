//! Release templates: milestones as offsets from go-live plus checklist
//! steps, and applying them to a release.

use crate::{DbError, checklists};
use almanac_domain::milestone::{StepNotes, StepTitle};
use almanac_domain::template::{Offset, TemplateDescription, TemplateMilestone, TemplateName};
use almanac_domain::{TenantId, TimeZone};
use chrono::{DateTime, NaiveTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A template in the list, with how much it holds.
#[derive(Debug, Clone)]
pub struct TemplateSummary {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub milestones: i64,
    pub steps: i64,
    pub updated_at: DateTime<Utc>,
}

/// Templates are few per tenant; this bounds the page.
const LIST_LIMIT: i64 = 500;

/// The tenant's templates by name, with their milestone and step counts.
#[tracing::instrument(skip(conn))]
pub async fn list(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<TemplateSummary>, DbError> {
    Ok(sqlx::query_as!(
        TemplateSummary,
        r#"SELECT t.id, t.name, t.description, t.updated_at,
                  (SELECT count(*) FROM template_milestones m
                    WHERE m.tenant_id = t.tenant_id AND m.template_id = t.id) AS "milestones!",
                  (SELECT count(*) FROM template_checklist_items c
                    WHERE c.tenant_id = t.tenant_id AND c.template_id = t.id) AS "steps!"
             FROM release_templates t
            WHERE t.tenant_id = $1
            ORDER BY lower(t.name), t.id
            LIMIT $2"#,
        tenant.0,
        LIST_LIMIT
    )
    .fetch_all(conn)
    .await?)
}

/// (id, name) of every template, for the template select of the release form.
pub async fn options(
    conn: &mut PgConnection,
    tenant: TenantId,
) -> Result<Vec<(Uuid, String)>, DbError> {
    let rows = sqlx::query!(
        "SELECT id, name FROM release_templates WHERE tenant_id = $1
          ORDER BY lower(name), id LIMIT $2",
        tenant.0,
        LIST_LIMIT
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// A template milestone as stored.
#[derive(Debug, Clone)]
pub struct StoredMilestone {
    pub name: String,
    pub offset: Offset,
}

/// A whole template.
#[derive(Debug, Clone)]
pub struct Template {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub revision: i32,
    pub milestones: Vec<StoredMilestone>,
    pub steps: Vec<String>,
    /// Releases made from it.
    pub used_by: i64,
}

/// The template `id` of the tenant with its lines, if it exists there.
pub async fn get(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Template>, DbError> {
    let Some(head) = sqlx::query!(
        r#"SELECT t.id, t.name, t.description, t.revision,
                  (SELECT count(*) FROM releases r
                    WHERE r.tenant_id = t.tenant_id AND r.template_id = t.id) AS "used_by!"
             FROM release_templates t WHERE t.tenant_id = $1 AND t.id = $2"#,
        tenant.0,
        id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let milestones = sqlx::query!(
        "SELECT name, offset_days, at_time FROM template_milestones
          WHERE tenant_id = $1 AND template_id = $2 ORDER BY position, id",
        tenant.0,
        id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|r| StoredMilestone {
        name: r.name,
        offset: Offset::stored(r.offset_days, r.at_time),
    })
    .collect();
    let steps = sqlx::query_scalar!(
        "SELECT title FROM template_checklist_items
          WHERE tenant_id = $1 AND template_id = $2 ORDER BY position, id",
        tenant.0,
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(Template {
        id: head.id,
        name: head.name,
        description: head.description,
        revision: head.revision,
        milestones,
        steps,
        used_by: head.used_by,
    }))
}

/// What a template form saves.
#[derive(Debug, Clone)]
pub struct Draft {
    pub name: TemplateName,
    pub description: TemplateDescription,
    pub milestones: Vec<TemplateMilestone>,
    pub steps: Vec<StepTitle>,
}

/// Creates a template; returns its id. A duplicate name violates
/// `release_templates_name_unique`.
pub async fn create(
    conn: &mut PgConnection,
    tenant: TenantId,
    draft: &Draft,
) -> Result<Uuid, DbError> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO release_templates (tenant_id, id, name, description) VALUES ($1, $2, $3, $4)",
        tenant.0,
        id,
        draft.name.as_str(),
        draft.description.as_str()
    )
    .execute(&mut *conn)
    .await?;
    insert_lines(conn, tenant, id, draft).await?;
    Ok(id)
}

/// Replaces name, description and every line if the template is still at
/// `revision` ([`DbError::StaleVersion`] otherwise).
pub async fn update(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    draft: &Draft,
    revision: i32,
) -> Result<(), DbError> {
    let done = sqlx::query!(
        "UPDATE release_templates
            SET name = $3, description = $4, revision = revision + 1, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND revision = $5",
        tenant.0,
        id,
        draft.name.as_str(),
        draft.description.as_str(),
        revision
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(DbError::StaleVersion);
    }
    sqlx::query!(
        "DELETE FROM template_milestones WHERE tenant_id = $1 AND template_id = $2",
        tenant.0,
        id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "DELETE FROM template_checklist_items WHERE tenant_id = $1 AND template_id = $2",
        tenant.0,
        id
    )
    .execute(&mut *conn)
    .await?;
    insert_lines(conn, tenant, id, draft).await
}

async fn insert_lines(
    conn: &mut PgConnection,
    tenant: TenantId,
    template: Uuid,
    draft: &Draft,
) -> Result<(), DbError> {
    let ids: Vec<Uuid> = draft.milestones.iter().map(|_| Uuid::now_v7()).collect();
    let names: Vec<String> = draft
        .milestones
        .iter()
        .map(|m| m.name.as_str().to_owned())
        .collect();
    let days: Vec<i32> = draft.milestones.iter().map(|m| m.offset.days()).collect();
    let times: Vec<Option<NaiveTime>> = draft.milestones.iter().map(|m| m.offset.at()).collect();
    sqlx::query!(
        "INSERT INTO template_milestones
             (tenant_id, id, template_id, position, name, offset_days, at_time)
         SELECT $1, l.id, $2, l.n::integer, l.name, l.days, l.at_time
           FROM unnest($3::uuid[], $4::text[], $5::integer[], $6::time[])
                WITH ORDINALITY AS l(id, name, days, at_time, n)",
        tenant.0,
        template,
        &ids,
        &names,
        &days,
        &times as &[Option<NaiveTime>]
    )
    .execute(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = draft.steps.iter().map(|_| Uuid::now_v7()).collect();
    let titles: Vec<String> = draft.steps.iter().map(|s| s.as_str().to_owned()).collect();
    sqlx::query!(
        "INSERT INTO template_checklist_items (tenant_id, id, template_id, position, title)
         SELECT $1, l.id, $2, l.n::integer, l.title
           FROM unnest($3::uuid[], $4::text[]) WITH ORDINALITY AS l(id, title, n)",
        tenant.0,
        template,
        &ids,
        &titles
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes the template (its lines go with it; releases made from it keep
/// their milestones and steps). Returns whether it existed.
pub async fn delete(conn: &mut PgConnection, tenant: TenantId, id: Uuid) -> Result<bool, DbError> {
    let done = sqlx::query!(
        "DELETE FROM release_templates WHERE tenant_id = $1 AND id = $2",
        tenant.0,
        id
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes every template of the tenant with their lines (demo reset).
/// Returns how many went.
pub async fn delete_all(conn: &mut PgConnection, tenant: TenantId) -> Result<u64, DbError> {
    let done = sqlx::query!(
        "DELETE FROM release_templates WHERE tenant_id = $1",
        tenant.0
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Gives the release the template's checklist steps (after any it has) and,
/// when `go_live` is known, its milestones placed relative to go-live on the
/// wall clock of `zone` (the tenant's zone). [`DbError::NotFound`] when the
/// release or the template is not the tenant's.
pub async fn apply(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    template: Uuid,
    go_live: Option<DateTime<Utc>>,
    zone: &str,
) -> Result<(), DbError> {
    let t = get(conn, tenant, template)
        .await?
        .ok_or(DbError::NotFound)?;
    require_release(conn, tenant, release).await?;
    if let Some(go_live) = go_live {
        insert_milestones(conn, tenant, release, &t, go_live, zone).await?;
    }
    copy_steps(conn, tenant, release, &t).await
}

/// Places the template's milestones on the release relative to `go_live`
/// (the "Place milestones from template" action). Returns (name, due) of
/// each milestone added.
pub async fn place_milestones(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    template: Uuid,
    go_live: DateTime<Utc>,
    zone: &str,
) -> Result<Vec<(String, DateTime<Utc>)>, DbError> {
    let t = get(conn, tenant, template)
        .await?
        .ok_or(DbError::NotFound)?;
    require_release(conn, tenant, release).await?;
    insert_milestones(conn, tenant, release, &t, go_live, zone).await
}

async fn require_release(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
) -> Result<(), DbError> {
    sqlx::query_scalar!(
        "SELECT id FROM releases WHERE tenant_id = $1 AND id = $2",
        tenant.0,
        release
    )
    .fetch_optional(conn)
    .await?
    .map(|_| ())
    .ok_or(DbError::NotFound)
}

async fn insert_milestones(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    t: &Template,
    go_live: DateTime<Utc>,
    zone: &str,
) -> Result<Vec<(String, DateTime<Utc>)>, DbError> {
    let tz = TimeZone::parse(zone).unwrap_or(TimeZone::UTC).tz();
    let placed: Vec<(String, DateTime<Utc>)> = t
        .milestones
        .iter()
        .map(|m| (m.name.clone(), m.offset.due_at(go_live, tz)))
        .collect();
    let ids: Vec<Uuid> = placed.iter().map(|_| Uuid::now_v7()).collect();
    let names: Vec<String> = placed.iter().map(|(n, _)| n.clone()).collect();
    let dues: Vec<DateTime<Utc>> = placed.iter().map(|(_, d)| *d).collect();
    sqlx::query!(
        "INSERT INTO milestones (tenant_id, id, release_id, name, due_at)
         SELECT $1, m.id, $2, m.name, m.due_at
           FROM unnest($3::uuid[], $4::text[], $5::timestamptz[]) AS m(id, name, due_at)",
        tenant.0,
        release,
        &ids,
        &names,
        &dues
    )
    .execute(conn)
    .await?;
    Ok(placed)
}

async fn copy_steps(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    t: &Template,
) -> Result<(), DbError> {
    // Stored titles satisfy the table's CHECK; parsing only re-trims them.
    let titles: Vec<StepTitle> = t
        .steps
        .iter()
        .filter_map(|s| StepTitle::parse(s).ok())
        .collect();
    let none = StepNotes::default();
    let steps: Vec<(&StepTitle, &StepNotes)> = titles.iter().map(|t| (t, &none)).collect();
    checklists::append(conn, tenant, release, &steps).await?;
    Ok(())
}
