//! Go/no-go reviews: policy presets, review rounds, votes, and the outbox
//! their events go to. The decision itself is computed in
//! [`almanac_domain::review`] from what these functions read.

use crate::DbError;
use almanac_domain::review::{Choice, Decision, Member, Policy, ReviewKind};
use almanac_domain::{TenantId, UserId};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

/// Unique preset names per tenant.
pub const POLICY_NAME_UNIQUE: &str = "review_policies_name_unique";

fn policy_from(value: Value) -> Policy {
    serde_json::from_value(value).unwrap_or(Policy { stages: Vec::new() })
}

fn policy_json(policy: &Policy) -> Value {
    serde_json::to_value(policy).unwrap_or(Value::Null)
}

// ------------------------------------------------------------------ members

/// The tenant's members as voters.
pub async fn voters(conn: &mut PgConnection, tenant: TenantId) -> Result<Vec<Member>, DbError> {
    Ok(crate::members::list(conn, tenant)
        .await?
        .into_iter()
        .map(|m| Member {
            user: m.user_id,
            role: m.role,
            email: m.email,
            name: m.display_name,
        })
        .collect())
}

// ------------------------------------------------------------------ presets

/// A named policy the tenant picks from when opening a review.
#[derive(Debug, Clone)]
pub struct Preset {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub policy: Policy,
    pub revision: i32,
}

/// The tenant's presets by name.
pub async fn presets(conn: &mut PgConnection, tenant: TenantId) -> Result<Vec<Preset>, DbError> {
    let rows = sqlx::query!(
        "SELECT id, name, description, policy, revision FROM review_policies
          WHERE tenant_id = $1 ORDER BY lower(name) LIMIT 200",
        tenant.0
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Preset {
            id: r.id,
            name: r.name,
            description: r.description,
            policy: policy_from(r.policy),
            revision: r.revision,
        })
        .collect())
}

/// One preset, if any.
pub async fn preset(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<Preset>, DbError> {
    Ok(presets(conn, tenant)
        .await?
        .into_iter()
        .find(|p| p.id == id))
}

/// Adds a preset; `Ok(false)` when the name is taken.
pub async fn create_preset(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    name: &str,
    description: &str,
    policy: &Policy,
) -> Result<bool, DbError> {
    let created = sqlx::query_scalar!(
        "INSERT INTO review_policies (tenant_id, id, name, description, policy)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT ON CONSTRAINT review_policies_name_unique DO NOTHING
         RETURNING id",
        tenant.0,
        id,
        name,
        description,
        policy_json(policy)
    )
    .fetch_optional(conn)
    .await?;
    Ok(created.is_some())
}

/// Changes a preset that still has `revision`; returns the new revision.
/// The name taken → a unique violation on [`POLICY_NAME_UNIQUE`].
pub async fn update_preset(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    revision: i32,
    name: &str,
    description: &str,
    policy: &Policy,
) -> Result<i32, DbError> {
    let updated = sqlx::query_scalar!(
        "UPDATE review_policies
            SET name = $4, description = $5, policy = $6, revision = revision + 1,
                updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND revision = $3
          RETURNING revision",
        tenant.0,
        id,
        revision,
        name,
        description,
        policy_json(policy)
    )
    .fetch_optional(&mut *conn)
    .await?;
    match updated {
        Some(r) => Ok(r),
        None => Err(stale_or_missing_preset(conn, tenant, id).await?),
    }
}

/// Deletes a preset that still has `revision` (reviews keep their copy).
pub async fn delete_preset(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    revision: i32,
) -> Result<(), DbError> {
    let done = sqlx::query!(
        "DELETE FROM review_policies WHERE tenant_id = $1 AND id = $2 AND revision = $3",
        tenant.0,
        id,
        revision
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(stale_or_missing_preset(conn, tenant, id).await?)
    }
}

async fn stale_or_missing_preset(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
) -> Result<DbError, DbError> {
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM review_policies WHERE tenant_id = $1 AND id = $2) AS "e!""#,
        tenant.0,
        id
    )
    .fetch_one(conn)
    .await?;
    Ok(if exists {
        DbError::StaleVersion
    } else {
        DbError::NotFound
    })
}

// ------------------------------------------------------------------ reviews

/// A review round.
#[derive(Debug, Clone)]
pub struct Review {
    pub id: Uuid,
    pub release_id: Uuid,
    pub round: i32,
    pub kind: ReviewKind,
    pub meeting_at: Option<DateTime<Utc>>,
    pub policy_name: String,
    pub policy: Policy,
    pub opened_by: Option<UserId>,
    pub opened_by_name: Option<String>,
    pub opened_at: DateTime<Utc>,
    /// Recorded when closed.
    pub decision: Option<Decision>,
    /// What the votes gave when it was closed.
    pub computed_decision: Option<Decision>,
    pub override_reason: String,
    pub closed_by_name: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub revision: i32,
}

impl Review {
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }
}

struct ReviewRow {
    id: Uuid,
    release_id: Uuid,
    round: i32,
    kind: String,
    meeting_at: Option<DateTime<Utc>>,
    policy_name: String,
    policy: Value,
    opened_by: Option<Uuid>,
    opened_by_name: Option<String>,
    opened_at: DateTime<Utc>,
    decision: Option<String>,
    computed_decision: Option<String>,
    override_reason: String,
    closed_by_name: Option<String>,
    closed_at: Option<DateTime<Utc>>,
    revision: i32,
}

impl From<ReviewRow> for Review {
    fn from(r: ReviewRow) -> Self {
        Self {
            id: r.id,
            release_id: r.release_id,
            round: r.round,
            kind: ReviewKind::parse(&r.kind).unwrap_or(ReviewKind::GoNoGo),
            meeting_at: r.meeting_at,
            policy_name: r.policy_name,
            policy: policy_from(r.policy),
            opened_by: r.opened_by.map(UserId),
            opened_by_name: r.opened_by_name,
            opened_at: r.opened_at,
            decision: r.decision.as_deref().and_then(Decision::parse),
            computed_decision: r.computed_decision.as_deref().and_then(Decision::parse),
            override_reason: r.override_reason,
            closed_by_name: r.closed_by_name,
            closed_at: r.closed_at,
            revision: r.revision,
        }
    }
}

/// Every round of a release, latest first.
pub async fn rounds(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
) -> Result<Vec<Review>, DbError> {
    let rows = sqlx::query_as!(
        ReviewRow,
        r#"SELECT v.id, v.release_id, v.round, v.kind, v.meeting_at, v.policy_name, v.policy,
                  v.opened_by, o.display_name AS "opened_by_name?", v.opened_at, v.decision,
                  v.computed_decision, v.override_reason, c.display_name AS "closed_by_name?",
                  v.closed_at, v.revision
             FROM reviews v
             LEFT JOIN users o ON o.id = v.opened_by
             LEFT JOIN users c ON c.id = v.closed_by
            WHERE v.tenant_id = $1 AND v.release_id = $2
            ORDER BY v.round DESC"#,
        tenant.0,
        release
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Review::from).collect())
}

/// Round `round` of a release, if any; `lock` takes the row for update
/// (closing) or share (voting) for the rest of the transaction.
pub async fn get(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
    round: i32,
    lock: Lock,
) -> Result<Option<Review>, DbError> {
    match lock {
        Lock::None => {}
        Lock::Share => {
            sqlx::query!(
                "SELECT id FROM reviews WHERE tenant_id = $1 AND release_id = $2 AND round = $3
                 FOR SHARE",
                tenant.0,
                release,
                round
            )
            .fetch_optional(&mut *conn)
            .await?;
        }
        Lock::Update => {
            sqlx::query!(
                "SELECT id FROM reviews WHERE tenant_id = $1 AND release_id = $2 AND round = $3
                 FOR UPDATE",
                tenant.0,
                release,
                round
            )
            .fetch_optional(&mut *conn)
            .await?;
        }
    }
    let row = sqlx::query_as!(
        ReviewRow,
        r#"SELECT v.id, v.release_id, v.round, v.kind, v.meeting_at, v.policy_name, v.policy,
                  v.opened_by, o.display_name AS "opened_by_name?", v.opened_at, v.decision,
                  v.computed_decision, v.override_reason, c.display_name AS "closed_by_name?",
                  v.closed_at, v.revision
             FROM reviews v
             LEFT JOIN users o ON o.id = v.opened_by
             LEFT JOIN users c ON c.id = v.closed_by
            WHERE v.tenant_id = $1 AND v.release_id = $2 AND v.round = $3"#,
        tenant.0,
        release,
        round
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Review::from))
}

/// How [`get`] locks the review row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    None,
    /// Votes: many at once, never while the review is being closed.
    Share,
    /// Closing.
    Update,
}

/// A review to open.
#[derive(Debug, Clone)]
pub struct NewReview<'a> {
    pub release: Uuid,
    pub kind: ReviewKind,
    pub meeting_at: Option<DateTime<Utc>>,
    pub policy_name: &'a str,
    pub policy: &'a Policy,
    pub opened_by: UserId,
}

/// Opens the release's next round; `Ok(None)` when a round is still open.
/// The caller holds the release's lock ([`crate::releases::lock`]).
pub async fn open(
    conn: &mut PgConnection,
    tenant: TenantId,
    new: &NewReview<'_>,
) -> Result<Option<(Uuid, i32)>, DbError> {
    let id = Uuid::now_v7();
    let opened = sqlx::query_scalar!(
        "INSERT INTO reviews (tenant_id, id, release_id, round, kind, meeting_at, policy_name,
                              policy, opened_by)
         SELECT $1, $2, $3,
                coalesce((SELECT max(round) FROM reviews WHERE tenant_id = $1 AND release_id = $3), 0) + 1,
                $4, $5, $6, $7, $8
          WHERE NOT EXISTS (SELECT 1 FROM reviews
                             WHERE tenant_id = $1 AND release_id = $3 AND closed_at IS NULL)
         RETURNING round",
        tenant.0,
        id,
        new.release,
        new.kind.as_str(),
        new.meeting_at,
        new.policy_name,
        policy_json(new.policy),
        new.opened_by.0
    )
    .fetch_optional(conn)
    .await?;
    Ok(opened.map(|round| (id, round)))
}

/// Records the closing of an open review that still has `revision`.
#[allow(clippy::too_many_arguments)]
pub async fn close(
    conn: &mut PgConnection,
    tenant: TenantId,
    id: Uuid,
    revision: i32,
    decision: Decision,
    computed: Decision,
    reason: &str,
    by: UserId,
) -> Result<(), DbError> {
    let done = sqlx::query!(
        "UPDATE reviews
            SET decision = $4, computed_decision = $5, override_reason = $6, closed_by = $7,
                closed_at = now(), revision = revision + 1
          WHERE tenant_id = $1 AND id = $2 AND revision = $3 AND closed_at IS NULL",
        tenant.0,
        id,
        revision,
        decision.as_str(),
        computed.as_str(),
        reason,
        by.0
    )
    .execute(conn)
    .await?;
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(DbError::StaleVersion)
    }
}

/// A review round as it happened, with its own times: for loading rounds
/// that were opened, voted on and closed elsewhere (the demo's). Open when
/// `closing` is `None`.
#[derive(Debug, Clone)]
pub struct PastReview<'a> {
    pub id: Uuid,
    pub release: Uuid,
    pub round: i32,
    pub kind: ReviewKind,
    pub meeting_at: Option<DateTime<Utc>>,
    pub policy_name: &'a str,
    pub policy: &'a Policy,
    pub opened_by: UserId,
    pub opened_at: DateTime<Utc>,
    pub closing: Option<PastClosing<'a>>,
}

/// How a [`PastReview`] was closed.
#[derive(Debug, Clone)]
pub struct PastClosing<'a> {
    pub decision: Decision,
    pub computed: Decision,
    pub reason: &'a str,
    pub by: UserId,
    pub at: DateTime<Utc>,
}

/// A vote on a [`PastReview`], as last cast.
#[derive(Debug, Clone)]
pub struct PastVote<'a> {
    pub review: Uuid,
    pub voter: UserId,
    pub choice: Choice,
    pub comment: &'a str,
    pub cast_at: DateTime<Utc>,
}

/// Writes past rounds and their votes as they are, in two statements
/// (the table's checks still hold them to the rules: a closing against
/// the computed decision has a reason, a no-go vote a comment).
pub async fn insert_past(
    conn: &mut PgConnection,
    tenant: TenantId,
    reviews: &[PastReview<'_>],
    votes: &[PastVote<'_>],
) -> Result<(), DbError> {
    let ids: Vec<Uuid> = reviews.iter().map(|r| r.id).collect();
    let releases: Vec<Uuid> = reviews.iter().map(|r| r.release).collect();
    let rounds: Vec<i32> = reviews.iter().map(|r| r.round).collect();
    let kinds: Vec<&str> = reviews.iter().map(|r| r.kind.as_str()).collect();
    let meetings: Vec<Option<DateTime<Utc>>> = reviews.iter().map(|r| r.meeting_at).collect();
    let names: Vec<&str> = reviews.iter().map(|r| r.policy_name).collect();
    let policies: Vec<Value> = reviews.iter().map(|r| policy_json(r.policy)).collect();
    let openers: Vec<Uuid> = reviews.iter().map(|r| r.opened_by.0).collect();
    let opened: Vec<DateTime<Utc>> = reviews.iter().map(|r| r.opened_at).collect();
    let decisions: Vec<Option<&str>> = reviews
        .iter()
        .map(|r| r.closing.as_ref().map(|c| c.decision.as_str()))
        .collect();
    let computed: Vec<Option<&str>> = reviews
        .iter()
        .map(|r| r.closing.as_ref().map(|c| c.computed.as_str()))
        .collect();
    let reasons: Vec<&str> = reviews
        .iter()
        .map(|r| r.closing.as_ref().map_or("", |c| c.reason))
        .collect();
    let closers: Vec<Option<Uuid>> = reviews
        .iter()
        .map(|r| r.closing.as_ref().map(|c| c.by.0))
        .collect();
    let closed: Vec<Option<DateTime<Utc>>> = reviews
        .iter()
        .map(|r| r.closing.as_ref().map(|c| c.at))
        .collect();
    sqlx::query!(
        "INSERT INTO reviews (tenant_id, id, release_id, round, kind, meeting_at, policy_name,
                              policy, opened_by, opened_at, decision, computed_decision,
                              override_reason, closed_by, closed_at, revision)
         SELECT $1, r.id, r.release_id, r.round, r.kind, r.meeting_at, r.policy_name, r.policy,
                r.opened_by, r.opened_at, r.decision, r.computed, r.reason, r.closed_by,
                r.closed_at, CASE WHEN r.closed_at IS NULL THEN 1 ELSE 2 END
           FROM unnest($2::uuid[], $3::uuid[], $4::integer[], $5::text[], $6::timestamptz[],
                       $7::text[], $8::jsonb[], $9::uuid[], $10::timestamptz[], $11::text[],
                       $12::text[], $13::text[], $14::uuid[], $15::timestamptz[])
                AS r(id, release_id, round, kind, meeting_at, policy_name, policy, opened_by,
                     opened_at, decision, computed, reason, closed_by, closed_at)",
        tenant.0,
        &ids,
        &releases,
        &rounds,
        &kinds as &[&str],
        &meetings as &[Option<DateTime<Utc>>],
        &names as &[&str],
        &policies,
        &openers,
        &opened,
        &decisions as &[Option<&str>],
        &computed as &[Option<&str>],
        &reasons as &[&str],
        &closers as &[Option<Uuid>],
        &closed as &[Option<DateTime<Utc>>]
    )
    .execute(&mut *conn)
    .await?;
    let reviews: Vec<Uuid> = votes.iter().map(|v| v.review).collect();
    let voters: Vec<Uuid> = votes.iter().map(|v| v.voter.0).collect();
    let choices: Vec<&str> = votes.iter().map(|v| v.choice.as_str()).collect();
    let comments: Vec<&str> = votes.iter().map(|v| v.comment).collect();
    let cast: Vec<DateTime<Utc>> = votes.iter().map(|v| v.cast_at).collect();
    sqlx::query!(
        "INSERT INTO votes (tenant_id, review_id, voter_id, choice, comment, cast_at, changed_at)
         SELECT $1, v.review_id, v.voter_id, v.choice, v.comment, v.cast_at, v.cast_at
           FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::timestamptz[])
                AS v(review_id, voter_id, choice, comment, cast_at)",
        tenant.0,
        &reviews,
        &voters,
        &choices as &[&str],
        &comments as &[&str],
        &cast
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes the tenant's review rounds (with their votes), presets and
/// outbox events (demo reset).
pub async fn delete_all(conn: &mut PgConnection, tenant: TenantId) -> Result<(), DbError> {
    sqlx::query!(
        "WITH rounds AS (DELETE FROM reviews WHERE tenant_id = $1),
              presets AS (DELETE FROM review_policies WHERE tenant_id = $1)
         DELETE FROM outbox WHERE tenant_id = $1",
        tenant.0
    )
    .execute(conn)
    .await?;
    Ok(())
}

// ------------------------------------------------------------------ votes

/// A vote as stored.
#[derive(Debug, Clone)]
pub struct Vote {
    pub voter: UserId,
    pub voter_name: String,
    pub choice: Choice,
    pub comment: String,
    pub cast_at: DateTime<Utc>,
    pub changed_at: DateTime<Utc>,
    pub changes: i32,
}

/// The votes of the given reviews, as (review id, vote), by when they were
/// last changed.
pub async fn votes(
    conn: &mut PgConnection,
    tenant: TenantId,
    reviews: &[Uuid],
) -> Result<Vec<(Uuid, Vote)>, DbError> {
    let rows = sqlx::query!(
        "SELECT v.review_id, v.voter_id, u.display_name, v.choice, v.comment, v.cast_at,
                v.changed_at, v.changes
           FROM votes v JOIN users u ON u.id = v.voter_id
          WHERE v.tenant_id = $1 AND v.review_id = ANY($2)
          ORDER BY v.changed_at, v.voter_id",
        tenant.0,
        reviews
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.review_id,
                Vote {
                    voter: UserId(r.voter_id),
                    voter_name: r.display_name,
                    choice: Choice::parse(&r.choice).unwrap_or(Choice::Abstain),
                    comment: r.comment,
                    cast_at: r.cast_at,
                    changed_at: r.changed_at,
                    changes: r.changes,
                },
            )
        })
        .collect())
}

/// What casting a vote did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cast {
    /// The voter's first vote on this review.
    First,
    /// Replaced an earlier (choice, comment).
    Changed { before: (Choice, String) },
    /// The same choice and comment again: nothing changed.
    Same,
}

/// Records `voter`'s vote (one row per review and voter; the latest
/// counts). The caller holds the review's share lock.
pub async fn cast(
    conn: &mut PgConnection,
    tenant: TenantId,
    review: Uuid,
    voter: UserId,
    choice: Choice,
    comment: &str,
) -> Result<Cast, DbError> {
    let before = sqlx::query!(
        "SELECT choice, comment FROM votes
          WHERE tenant_id = $1 AND review_id = $2 AND voter_id = $3
          FOR UPDATE",
        tenant.0,
        review,
        voter.0
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(b) = &before
        && b.choice == choice.as_str()
        && b.comment == comment
    {
        return Ok(Cast::Same);
    }
    sqlx::query!(
        "INSERT INTO votes (tenant_id, review_id, voter_id, choice, comment)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, review_id, voter_id) DO UPDATE
            SET choice = EXCLUDED.choice, comment = EXCLUDED.comment, changed_at = now(),
                changes = votes.changes + 1",
        tenant.0,
        review,
        voter.0,
        choice.as_str(),
        comment
    )
    .execute(conn)
    .await?;
    Ok(match before {
        None => Cast::First,
        Some(b) => Cast::Changed {
            before: (
                Choice::parse(&b.choice).unwrap_or(Choice::Abstain),
                b.comment,
            ),
        },
    })
}

/// Readiness evidence of a release: (milestones done, milestones) and
/// (checklist steps done, steps).
pub async fn readiness(
    conn: &mut PgConnection,
    tenant: TenantId,
    release: Uuid,
) -> Result<((usize, usize), (usize, usize)), DbError> {
    let r = sqlx::query!(
        r#"SELECT (SELECT count(*) FILTER (WHERE done_at IS NOT NULL) FROM milestones
                    WHERE tenant_id = $1 AND release_id = $2) AS "m_done!",
                  (SELECT count(*) FROM milestones
                    WHERE tenant_id = $1 AND release_id = $2) AS "m_all!",
                  (SELECT count(*) FILTER (WHERE done_at IS NOT NULL) FROM checklist_items
                    WHERE tenant_id = $1 AND release_id = $2) AS "s_done!",
                  (SELECT count(*) FROM checklist_items
                    WHERE tenant_id = $1 AND release_id = $2) AS "s_all!""#,
        tenant.0,
        release
    )
    .fetch_one(conn)
    .await?;
    let n = |v: i64| usize::try_from(v).unwrap_or(0);
    Ok(((n(r.m_done), n(r.m_all)), (n(r.s_done), n(r.s_all))))
}

// ------------------------------------------------------------------ board

/// An open (or recently decided) review with what its card shows.
#[derive(Debug, Clone)]
pub struct Card {
    pub review: Review,
    pub release_version: String,
    pub release_title: String,
    pub release_status: String,
    pub release_owner: Option<UserId>,
    pub product_id: Uuid,
    pub product_key: String,
    pub product_name: String,
    pub product_colour: String,
    pub product_line_id: Option<Uuid>,
    pub product_line: Option<String>,
    pub go_live: Option<DateTime<Utc>>,
    pub milestones_done: i64,
    pub milestones_total: i64,
    pub steps_done: i64,
    pub steps_total: i64,
}

/// What the board shows.
#[derive(Debug, Clone, Default)]
pub struct BoardFilter {
    pub product_line: Option<Uuid>,
    pub product: Option<Uuid>,
    /// Also reviews closed since then.
    pub decided_since: Option<DateTime<Utc>>,
    /// Only reviews of this release (the release page).
    pub release: Option<Uuid>,
}

/// Open reviews (and, with `decided_since`, reviews closed since), by
/// meeting time then go-live: one statement.
pub async fn board(
    conn: &mut PgConnection,
    tenant: TenantId,
    filter: &BoardFilter,
) -> Result<Vec<Card>, DbError> {
    let rows = sqlx::query!(
        r#"WITH v AS MATERIALIZED (
                  SELECT * FROM reviews WHERE tenant_id = $1 AND closed_at IS NULL
                  UNION ALL
                  SELECT * FROM reviews WHERE tenant_id = $1 AND closed_at >= $2
             )
           SELECT v.id AS "id!", v.release_id AS "release_id!", v.round AS "round!",
                  v.kind AS "kind!", v.meeting_at, v.policy_name AS "policy_name!",
                  v.policy AS "policy!",
                  v.opened_by, o.display_name AS "opened_by_name?", v.opened_at AS "opened_at!",
                  v.decision, v.computed_decision, v.override_reason AS "override_reason!",
                  c.display_name AS "closed_by_name?", v.closed_at, v.revision AS "revision!",
                  r.version, r.title, r.status, r.owner_id,
                  p.id AS product_id, p.key, p.name AS product_name, p.colour,
                  p.product_line_id, l.name AS "line_name?",
                  pd.planned_start AS "go_live?",
                  (SELECT count(*) FILTER (WHERE m.done_at IS NOT NULL) FROM milestones m
                    WHERE m.tenant_id = r.tenant_id AND m.release_id = r.id) AS "milestones_done!",
                  (SELECT count(*) FROM milestones m
                    WHERE m.tenant_id = r.tenant_id AND m.release_id = r.id) AS "milestones_total!",
                  (SELECT count(*) FILTER (WHERE k.done_at IS NOT NULL) FROM checklist_items k
                    WHERE k.tenant_id = r.tenant_id AND k.release_id = r.id) AS "steps_done!",
                  (SELECT count(*) FROM checklist_items k
                    WHERE k.tenant_id = r.tenant_id AND k.release_id = r.id) AS "steps_total!"
             FROM v
             JOIN releases r ON r.tenant_id = v.tenant_id AND r.id = v.release_id
             JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
             LEFT JOIN product_lines l ON l.tenant_id = p.tenant_id AND l.id = p.product_line_id
             LEFT JOIN users o ON o.id = v.opened_by
             LEFT JOIN users c ON c.id = v.closed_by
             LEFT JOIN LATERAL (
                  SELECT d.planned_start
                    FROM deployments d
                    JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
                   WHERE d.tenant_id = r.tenant_id AND d.release_id = r.id AND e.is_production
                   ORDER BY e.archived
                   LIMIT 1) pd ON true
            WHERE ($3::uuid IS NULL OR p.product_line_id = $3)
              AND ($4::uuid IS NULL OR p.id = $4)
              AND ($5::uuid IS NULL OR r.id = $5)
            ORDER BY v.closed_at IS NOT NULL, v.meeting_at NULLS LAST, pd.planned_start NULLS LAST,
                     p.key, r.version
            LIMIT 500"#,
        tenant.0,
        filter.decided_since.unwrap_or(DateTime::<Utc>::MAX_UTC),
        filter.product_line,
        filter.product,
        filter.release
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Card {
            review: Review::from(ReviewRow {
                id: r.id,
                release_id: r.release_id,
                round: r.round,
                kind: r.kind,
                meeting_at: r.meeting_at,
                policy_name: r.policy_name,
                policy: r.policy,
                opened_by: r.opened_by,
                opened_by_name: r.opened_by_name,
                opened_at: r.opened_at,
                decision: r.decision,
                computed_decision: r.computed_decision,
                override_reason: r.override_reason,
                closed_by_name: r.closed_by_name,
                closed_at: r.closed_at,
                revision: r.revision,
            }),
            release_version: r.version,
            release_title: r.title,
            release_status: r.status,
            release_owner: r.owner_id.map(UserId),
            product_id: r.product_id,
            product_key: r.key,
            product_name: r.product_name,
            product_colour: r.colour,
            product_line_id: r.product_line_id,
            product_line: r.line_name,
            go_live: r.go_live,
            milestones_done: r.milestones_done,
            milestones_total: r.milestones_total,
            steps_done: r.steps_done,
            steps_total: r.steps_total,
        })
        .collect())
}

/// The planned deployments of `releases`: (release, start, end, deployment).
pub async fn planned_deployments(
    conn: &mut PgConnection,
    tenant: TenantId,
    releases: &[Uuid],
) -> Result<Vec<(Uuid, DateTime<Utc>, DateTime<Utc>, Uuid)>, DbError> {
    let rows = sqlx::query!(
        r#"SELECT release_id, planned_start AS "start!", planned_end AS "end!", id
             FROM deployments
            WHERE tenant_id = $1 AND release_id = ANY($2) AND planned_start IS NOT NULL"#,
        tenant.0,
        releases
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.release_id, r.start, r.end, r.id))
        .collect())
}

// ------------------------------------------------------------------ outbox

/// Writes an event for later delivery, in the caller's transaction.
pub async fn outbox(
    conn: &mut PgConnection,
    tenant: TenantId,
    topic: &str,
    payload: Value,
) -> Result<(), DbError> {
    sqlx::query!(
        "INSERT INTO outbox (tenant_id, id, topic, payload) VALUES ($1, $2, $3, $4)",
        tenant.0,
        Uuid::now_v7(),
        topic,
        payload
    )
    .execute(conn)
    .await?;
    Ok(())
}
