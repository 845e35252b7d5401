//! The append-only audit trail: who did what to which record, before/after.

use crate::DbError;
use almanac_domain::{TenantId, UserId};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

/// One change, written in the same transaction as the change itself.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub tenant: Option<TenantId>,
    pub actor: Option<UserId>,
    /// The actor's email, or `cli` / `system` for commands.
    pub actor_label: &'a str,
    /// Dotted verb such as `member.added`.
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

#[tracing::instrument(skip_all, fields(action = event.action))]
pub async fn record(conn: &mut PgConnection, event: NewEvent<'_>) -> Result<(), DbError> {
    sqlx::query!(
        "INSERT INTO audit_events
             (id, tenant_id, actor_id, actor_label, action, entity_type, entity_id, before, after)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        Uuid::now_v7(),
        event.tenant.map(|t| t.0),
        event.actor.map(|a| a.0),
        event.actor_label,
        event.action,
        event.entity_type,
        event.entity_id,
        event.before,
        event.after
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A recorded event, for history lists.
#[derive(Debug, Clone)]
pub struct Event {
    pub actor_label: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub at: DateTime<Utc>,
}

/// The tenant's latest events, newest first.
pub async fn recent(
    conn: &mut PgConnection,
    tenant: TenantId,
    limit: i64,
) -> Result<Vec<Event>, DbError> {
    Ok(sqlx::query_as!(
        Event,
        "SELECT actor_label, action, entity_type, entity_id, before, after, at
           FROM audit_events WHERE tenant_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
        tenant.0,
        limit
    )
    .fetch_all(conn)
    .await?)
}

impl<'a> NewEvent<'a> {
    /// An event by the signed-in visitor, in the tenant they act in (none
    /// for their own account's events).
    #[must_use]
    pub fn by(
        visit: &'a crate::Visit,
        action: &'a str,
        entity_type: &'a str,
        entity_id: impl ToString,
    ) -> Self {
        Self {
            tenant: visit.tenant.as_ref().map(|t| t.id),
            actor: Some(visit.user.id),
            actor_label: &visit.user.email,
            action,
            entity_type,
            entity_id: entity_id.to_string(),
            before: None,
            after: None,
        }
    }

    #[must_use]
    pub fn before(mut self, snapshot: Value) -> Self {
        self.before = Some(snapshot);
        self
    }

    #[must_use]
    pub fn after(mut self, snapshot: Value) -> Self {
        self.after = Some(snapshot);
        self
    }
}

/// One record's history, newest first (for the history panel of its page).
pub async fn history(
    conn: &mut PgConnection,
    tenant: TenantId,
    entity_type: &str,
    entity_id: &str,
    limit: i64,
) -> Result<Vec<Event>, DbError> {
    Ok(sqlx::query_as!(
        Event,
        "SELECT actor_label, action, entity_type, entity_id, before, after, at
           FROM audit_events
          WHERE tenant_id = $1 AND entity_type = $2 AND entity_id = $3
          ORDER BY at DESC, id DESC LIMIT $4",
        tenant.0,
        entity_type,
        entity_id,
        limit
    )
    .fetch_all(conn)
    .await?)
}
