//! One deployment's scheduling. The pick page lists the next free slots
//! (window occurrences where it would have no conflict), the next
//! occurrences of the release windows covering its environment and product
//! (with places left and the conflicts at each) and a form for explicit
//! times; choosing leads to the confirm page, which shows the conflicts the
//! placement would have before anything is saved. Saving re-checks: warnings
//! are accepted by saving, blocking conflicts need a written break-glass
//! reason (release managers and owners only), and a moved go-live leads on
//! to shifting the milestones, as editing the deployment does.

use super::{
    Target, can_plan, conflicts_at, id_of, instant_param, label, parse_instant, require_plan,
};
use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::{redirect_with_flash, viewer_zone, with_status};
use crate::layout::{Flash, Layout};
use crate::state::AppState;
use almanac_db::audit::{self, NewEvent};
use almanac_db::deployments::{self as deployment_db};
use almanac_db::releases;
use almanac_db::{DbError, Tx, Visit};
use almanac_domain::FieldErrors;
use almanac_domain::TenantId;
use almanac_domain::conflict::{
    self, Conflict, FREE_SLOT_HORIZON_DAYS, FREE_SLOTS, Severity, SlotCheck,
};
use almanac_domain::release::Period;
use almanac_domain::time::{local_datetime, local_to_utc, parse_local_input, to_local_input};
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

/// How many occurrences the pick page lists (the free slots aside).
const SHOWN_OCCURRENCES: usize = 30;
/// The duration assumed for a deployment without planned times.
const DEFAULT_MINUTES: i64 = 120;
/// The longest deployment the duration field accepts: a week.
const MAX_MINUTES: i64 = 7 * 24 * 60;
/// The longest break-glass reason.
const REASON_MAX: usize = 1000;

/// What the pick and confirm pages read from the query string.
#[derive(Deserialize, Clone, Default)]
pub struct PickQuery {
    /// Minutes the deployment lasts (default: its planned duration).
    #[serde(default)]
    duration: String,
    /// `YYYY-MM-DD`: look for slots from this day on (the calendar's "Schedule here").
    #[serde(default)]
    date: String,
    /// Explicit times, in the viewer's zone.
    #[serde(default)]
    planned_start: String,
    #[serde(default)]
    planned_end: String,
    /// A chosen slot, as instants (`2026-12-02T03:00:00Z`).
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
}

impl PickQuery {
    /// The duration in minutes: the field when valid, else the planned one,
    /// else two hours.
    fn minutes(&self, target: &Target) -> i64 {
        self.duration
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|m| (1..=MAX_MINUTES).contains(m))
            .or_else(|| target.planned().map(|p| (p.end - p.start).num_minutes()))
            .filter(|m| *m > 0)
            .unwrap_or(DEFAULT_MINUTES)
    }

    /// Where slot search starts: now, or the start of `date` (viewer's zone)
    /// when that is later.
    fn from(&self, now: DateTime<Utc>, zone: &str) -> DateTime<Utc> {
        NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d")
            .ok()
            .and_then(|d| local_to_utc(d.and_time(NaiveTime::MIN), zone.parse().ok()?))
            .map_or(now, |day| day.max(now))
    }

    /// The chosen period: a slot's instants, else explicit times (every
    /// problem next to its field).
    fn period(&self, zone: &str) -> Result<Period, FieldErrors> {
        if let (Some(start), Some(end)) = (parse_instant(&self.start), parse_instant(&self.end)) {
            return period_of(Some(start), Some(end));
        }
        let mut e = FieldErrors::new();
        let mut time = |field: &str, raw: &str| -> Option<DateTime<Utc>> {
            if raw.trim().is_empty() {
                e.add(field, "enter a date and time");
                return None;
            }
            e.check(field, parse_local_input(raw, zone))
        };
        let start = time("planned_start", &self.planned_start);
        let end = time("planned_end", &self.planned_end);
        if !e.is_empty() {
            return Err(e);
        }
        period_of(start, end)
    }
}

fn period_of(
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
) -> Result<Period, FieldErrors> {
    let mut e = FieldErrors::new();
    match Period::optional(start, end) {
        Ok(Some(p)) => return Ok(p),
        Ok(None) => e.add("planned_start", "enter a date and time"),
        Err(err) => e.add(err.field(), err.to_string()),
    }
    Err(e)
}

/// `2026-12-01 22:00 EST – 2026-12-02 00:00 EST`
fn span(p: Period, zone: &str) -> String {
    format!(
        "{} – {}",
        local_datetime(p.start, zone),
        local_datetime(p.end, zone)
    )
}

fn minutes_words(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

// ------------------------------------------------------------------ pick

/// One window occurrence to choose.
pub struct SlotRow {
    window: String,
    when: String,
    places: String,
    conflicts: Vec<Conflict>,
    fits: bool,
    /// The confirm page's query string for this slot.
    choose: String,
}

/// What the pick page reads in its transaction.
struct Picking {
    target: Target,
    slots: Vec<SlotCheck>,
    windows: HashMap<Uuid, String>,
    current: Vec<Conflict>,
    requires_window: bool,
    minutes: i64,
}

async fn picking(
    tx: &mut Tx,
    tenant: TenantId,
    target: Target,
    query: &PickQuery,
    zone: &str,
) -> Result<Picking, AppError> {
    let now = Utc::now();
    let minutes = query.minutes(&target);
    let from = query.from(now, zone);
    let horizon = Duration::days(FREE_SLOT_HORIZON_DAYS);
    let mut data = deployment_db::plan_data(tx, tenant, from, from + horizon, &[]).await?;
    // Milestones move with the go-live: they never decide between slots.
    data.milestones.clear();
    let template = target.placed(Period {
        start: from,
        end: from + Duration::minutes(minutes),
    });
    let mut slots = conflict::slots(&template, &data.plan(now), from, horizon);
    for s in &mut slots {
        conflict::label_releases(&mut s.conflicts, |r| data.labels.get(&r).cloned());
    }
    let current = match target.planned() {
        Some(_) => super::release_conflicts(
            tx,
            tenant,
            target.release.id,
            std::slice::from_ref(&target.deployment),
            now,
        )
        .await?
        .remove(&target.deployment.id)
        .unwrap_or_default(),
        None => Vec::new(),
    };
    Ok(Picking {
        requires_window: data
            .environments
            .iter()
            .any(|e| e.id == target.deployment.environment_id && e.requires_window),
        windows: data
            .windows
            .iter()
            .map(|w| (w.id.0, w.name.as_str().to_owned()))
            .collect(),
        target,
        slots,
        current,
        minutes,
    })
}

/// The explicit-times inputs (viewer's zone).
#[derive(Default)]
pub struct TimesInput {
    planned_start: String,
    planned_end: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "scheduling/pick.html")]
pub struct PickPage {
    layout: Layout,
    slug: String,
    release_id: String,
    deployment_id: String,
    release_label: String,
    environment_name: String,
    is_production: bool,
    can_plan: bool,
    current: String,
    current_conflicts: Vec<Conflict>,
    override_reason: Option<String>,
    requires_window: bool,
    minutes: i64,
    duration_words: String,
    date: String,
    horizon_days: i64,
    free: Vec<SlotRow>,
    free_wanted: usize,
    occurrences: Vec<SlotRow>,
    more_occurrences: usize,
    form: TimesInput,
    errors: FieldErrors,
}

impl PickPage {
    fn new(ctx: &Ctx, visit: &Visit, slug: &str, p: Picking, query: &PickQuery) -> Self {
        let zone = viewer_zone(visit);
        let Picking {
            target,
            slots,
            windows,
            current,
            requires_window,
            minutes,
        } = p;
        let plan = can_plan(visit);
        let row = |s: &SlotCheck| SlotRow {
            window: windows.get(&s.slot.window).cloned().unwrap_or_default(),
            when: span(
                Period {
                    start: s.slot.start,
                    end: s.slot.end,
                },
                zone,
            ),
            places: match s.slot.remaining_capacity {
                None => "no limit".to_owned(),
                Some(1) => "1 place left".to_owned(),
                Some(n) => format!("{n} places left"),
            },
            conflicts: s.conflicts.clone(),
            fits: s.slot.fits(),
            choose: format!(
                "start={}&end={}&duration={minutes}",
                instant_param(s.slot.start),
                instant_param(s.slot.end)
            ),
        };
        let free: Vec<SlotRow> = slots
            .iter()
            .filter(|s| s.is_free())
            .take(FREE_SLOTS)
            .map(row)
            .collect();
        let occurrences: Vec<SlotRow> = slots.iter().take(SHOWN_OCCURRENCES).map(row).collect();
        let planned = target.planned();
        let form = TimesInput {
            planned_start: if query.planned_start.is_empty() {
                planned
                    .map(|p| to_local_input(p.start, zone))
                    .unwrap_or_default()
            } else {
                query.planned_start.clone()
            },
            planned_end: if query.planned_end.is_empty() {
                planned
                    .map(|p| to_local_input(p.end, zone))
                    .unwrap_or_default()
            } else {
                query.planned_end.clone()
            },
        };
        let release_label = label(&target.release);
        let d = target.deployment;
        Self {
            layout: Layout::signed_in(
                ctx,
                visit,
                format!("Schedule {release_label} to {}", d.environment_name),
                "releases",
            ),
            slug: slug.to_owned(),
            release_id: target.release.id.to_string(),
            deployment_id: d.id.to_string(),
            release_label,
            environment_name: d.environment_name,
            is_production: d.is_production,
            can_plan: plan,
            current: planned.map(|p| span(p, zone)).unwrap_or_default(),
            current_conflicts: current,
            override_reason: d.override_reason,
            requires_window,
            minutes,
            duration_words: minutes_words(minutes),
            date: query.date.trim().to_owned(),
            horizon_days: FREE_SLOT_HORIZON_DAYS,
            free,
            free_wanted: FREE_SLOTS,
            more_occurrences: slots.len().saturating_sub(SHOWN_OCCURRENCES),
            occurrences,
            form,
            errors: FieldErrors::new(),
        }
    }
}

pub async fn pick(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, dep)): Path<(String, String, String)>,
    Query(query): Query<PickQuery>,
) -> Result<PickPage, AppError> {
    let (id, dep) = (id_of(&id)?, id_of(&dep)?);
    let q = query.clone();
    let (visit, picked) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?.id;
                let target = Target::load(tx, tenant, id, dep, false).await?;
                picking(tx, tenant, target, &q, viewer_zone(visit)).await
            })
        })
        .await?;
    Ok(PickPage::new(&ctx, &visit, &slug, picked, &query))
}

// ------------------------------------------------------------------ confirm

/// The confirm form: the chosen instants, the revision the choice was made
/// on, and the break-glass reason when needed.
#[derive(Deserialize, Clone, Default)]
pub struct ScheduleForm {
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    duration: String,
    #[serde(default)]
    revision: i32,
    #[serde(default)]
    override_reason: String,
}

/// What the confirm page shows.
struct Confirming {
    target: Target,
    period: Period,
    conflicts: Vec<Conflict>,
    /// Open milestones that the offered shift would move.
    open_milestones: i64,
}

async fn confirming(
    tx: &mut Tx,
    tenant: TenantId,
    target: Target,
    period: Period,
) -> Result<Confirming, AppError> {
    let conflicts = conflicts_at(tx, tenant, &target, period, Utc::now()).await?;
    let open_milestones = if target.go_live_shift(period).is_some() {
        releases::open_milestones(tx, tenant, target.release.id).await?
    } else {
        0
    };
    Ok(Confirming {
        target,
        period,
        conflicts,
        open_milestones,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "scheduling/confirm.html")]
pub struct ConfirmPage {
    layout: Layout,
    slug: String,
    release_id: String,
    deployment_id: String,
    release_label: String,
    environment_name: String,
    is_production: bool,
    can_plan: bool,
    when: String,
    current: String,
    start: String,
    end: String,
    duration: String,
    revision: i32,
    conflicts: Vec<Conflict>,
    blocking: usize,
    warnings: usize,
    /// Open milestones the go-live move will offer to shift.
    shift_offered: i64,
    override_reason: String,
    errors: FieldErrors,
}

impl ConfirmPage {
    fn new(ctx: &Ctx, visit: &Visit, slug: &str, c: Confirming, form: &ScheduleForm) -> Self {
        let zone = viewer_zone(visit);
        let Confirming {
            target,
            period,
            conflicts,
            open_milestones,
        } = c;
        let release_label = label(&target.release);
        let d = &target.deployment;
        let blocking = conflicts.iter().filter(|c| c.blocks()).count();
        Self {
            layout: Layout::signed_in(
                ctx,
                visit,
                format!("Schedule {release_label} to {}?", d.environment_name),
                "releases",
            ),
            slug: slug.to_owned(),
            release_id: target.release.id.to_string(),
            deployment_id: d.id.to_string(),
            environment_name: d.environment_name.clone(),
            is_production: d.is_production,
            can_plan: can_plan(visit),
            when: span(period, zone),
            current: target.planned().map(|p| span(p, zone)).unwrap_or_default(),
            start: instant_param(period.start),
            end: instant_param(period.end),
            duration: form.duration.clone(),
            revision: d.revision,
            blocking,
            warnings: conflicts
                .iter()
                .filter(|c| c.severity == Severity::Warning)
                .count(),
            conflicts,
            shift_offered: open_milestones,
            override_reason: if form.override_reason.is_empty() {
                d.override_reason.clone().unwrap_or_default()
            } else {
                form.override_reason.clone()
            },
            errors: FieldErrors::new(),
            release_label,
        }
    }
}

/// Either page, as the choice parsed or not.
enum Chosen {
    Confirm(Confirming),
    Invalid(Picking, FieldErrors),
}

pub async fn confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, dep)): Path<(String, String, String)>,
    Query(query): Query<PickQuery>,
) -> Result<Response, AppError> {
    let (id, dep) = (id_of(&id)?, id_of(&dep)?);
    let q = query.clone();
    let (visit, chosen) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?.id;
                let zone = viewer_zone(visit);
                let target = Target::load(tx, tenant, id, dep, false).await?;
                Ok(match q.period(zone) {
                    Ok(period) => Chosen::Confirm(confirming(tx, tenant, target, period).await?),
                    Err(e) => Chosen::Invalid(picking(tx, tenant, target, &q, zone).await?, e),
                })
            })
        })
        .await?;
    Ok(match chosen {
        Chosen::Confirm(c) => {
            let form = ScheduleForm {
                duration: query.duration.clone(),
                ..ScheduleForm::default()
            };
            ConfirmPage::new(&ctx, &visit, &slug, c, &form).into_response()
        }
        Chosen::Invalid(p, errors) => {
            let mut page = PickPage::new(&ctx, &visit, &slug, p, &query);
            page.errors = errors;
            with_status(StatusCode::UNPROCESSABLE_ENTITY, page)
        }
    })
}

// ------------------------------------------------------------------ save

/// A deployment's placement as the audit trail records it.
fn snapshot(environment: &str, planned: Option<Period>, reason: Option<&str>) -> Value {
    json!({
        "environment": environment,
        "planned_start": planned.map(|p| p.start),
        "planned_end": planned.map(|p| p.end),
        "override_reason": reason,
    })
}

enum Saved {
    /// Scheduled; the go-live moved by this many seconds with milestones open.
    Done {
        message: String,
        shift_by: Option<i64>,
    },
    Invalid(Confirming, FieldErrors),
    BadTimes(Picking, FieldErrors),
    Stale(Confirming),
}

/// The break-glass reason, checked: required (and at most 1000
/// characters) when the placement has blocking conflicts, dropped when it
/// has none.
fn reason_for(conflicts: &[Conflict], raw: &str) -> Result<Option<String>, FieldErrors> {
    let blocking = conflicts.iter().any(Conflict::blocks);
    let reason = raw.trim();
    let mut e = FieldErrors::new();
    if !blocking {
        return Ok(None);
    }
    if reason.is_empty() {
        e.add(
            "override_reason",
            "a blocking conflict can only be overridden with a written reason (break-glass)",
        );
    } else if reason.chars().count() > REASON_MAX {
        e.add(
            "override_reason",
            format!("a reason has at most {REASON_MAX} characters"),
        );
    }
    if e.is_empty() {
        Ok(Some(reason.to_owned()))
    } else {
        Err(e)
    }
}

/// "… scheduled: …. 2 warnings accepted. Break-glass over 1 blocking conflict."
fn saved_message(target: &Target, period: Period, conflicts: &[Conflict], zone: &str) -> String {
    let warnings = conflicts
        .iter()
        .filter(|c| c.severity == Severity::Warning)
        .count();
    let blocking = conflicts.len() - warnings;
    let mut message = format!(
        "Deployment of {} to {} scheduled: {}.",
        label(&target.release),
        target.deployment.environment_name,
        span(period, zone)
    );
    match warnings {
        0 => {}
        1 => message.push_str(" 1 warning accepted."),
        n => message.push_str(&format!(" {n} warnings accepted.")),
    }
    match blocking {
        0 => {}
        1 => message.push_str(" Break-glass over 1 blocking conflict; the reason is recorded."),
        n => message.push_str(&format!(
            " Break-glass over {n} blocking conflicts; the reason is recorded."
        )),
    }
    message
}

async fn record(
    tx: &mut Tx,
    visit: &Visit,
    target: &Target,
    period: Period,
    conflicts: &[Conflict],
    reason: Option<&str>,
) -> Result<(), AppError> {
    let d = &target.deployment;
    let messages: Vec<&str> = conflicts.iter().map(|c| c.message.as_str()).collect();
    let mut after = snapshot(&d.environment_name, Some(period), reason);
    after["conflicts"] = json!(messages);
    audit::record(
        tx,
        NewEvent::by(visit, "deployment.scheduled", "release", target.release.id)
            .before(snapshot(
                &d.environment_name,
                target.planned(),
                d.override_reason.as_deref(),
            ))
            .after(after),
    )
    .await?;
    if let Some(reason) = reason {
        let blocking: Vec<&str> = conflicts
            .iter()
            .filter(|c| c.severity == Severity::Blocking)
            .map(|c| c.message.as_str())
            .collect();
        audit::record(
            tx,
            NewEvent::by(
                visit,
                "deployment.break_glass",
                "release",
                target.release.id,
            )
            .after(json!({
                "environment": d.environment_name,
                "planned_start": period.start,
                "planned_end": period.end,
                "reason": reason,
                "blocking_conflicts": blocking,
            })),
        )
        .await?;
    }
    Ok(())
}

pub async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((slug, id, dep)): Path<(String, String, String)>,
    Form(form): Form<ScheduleForm>,
) -> Result<Response, AppError> {
    let (id, dep) = (id_of(&id)?, id_of(&dep)?);
    let input = form.clone();
    let (visit, saved) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = require_plan(visit)?;
                let zone = viewer_zone(visit);
                let target = Target::load(tx, tenant, id, dep, true).await?;
                let chosen = PickQuery {
                    start: input.start.clone(),
                    end: input.end.clone(),
                    duration: input.duration.clone(),
                    ..PickQuery::default()
                };
                let period = match chosen.period(zone) {
                    Ok(p) => p,
                    Err(e) => {
                        let p = picking(tx, tenant, target, &chosen, zone).await?;
                        return Ok(Saved::BadTimes(p, e));
                    }
                };
                if input.revision != target.deployment.revision {
                    return Ok(Saved::Stale(confirming(tx, tenant, target, period).await?));
                }
                let c = confirming(tx, tenant, target, period).await?;
                let reason = match reason_for(&c.conflicts, &input.override_reason) {
                    Ok(r) => r,
                    Err(e) => return Ok(Saved::Invalid(c, e)),
                };
                let t = &c.target;
                match deployment_db::schedule(
                    tx,
                    tenant,
                    dep,
                    period,
                    reason.as_deref(),
                    input.revision,
                )
                .await
                {
                    Err(DbError::StaleVersion) => return Ok(Saved::Stale(c)),
                    other => other?,
                }
                record(tx, visit, t, period, &c.conflicts, reason.as_deref()).await?;
                Ok(Saved::Done {
                    message: saved_message(t, period, &c.conflicts, zone),
                    shift_by: t
                        .go_live_shift(period)
                        .filter(|_| c.open_milestones > 0)
                        .map(|by| by.num_seconds()),
                })
            })
        })
        .await?;
    Ok(match saved {
        Saved::Done {
            message,
            shift_by: None,
        } => redirect_with_flash(
            &state,
            &format!("/{slug}/releases/{id}"),
            &Flash::success(message),
        ),
        Saved::Done {
            message,
            shift_by: Some(by),
        } => redirect_with_flash(
            &state,
            &format!("/{slug}/releases/{id}/milestones/shift?by={by}"),
            &Flash::info(format!(
                "{message} The go-live moved: shift the milestones that are not done yet by the same amount?"
            )),
        ),
        Saved::Invalid(c, errors) => {
            let mut page = ConfirmPage::new(&ctx, &visit, &slug, c, &form);
            page.errors = errors;
            with_status(StatusCode::UNPROCESSABLE_ENTITY, page)
        }
        Saved::BadTimes(p, errors) => {
            let mut page = PickPage::new(&ctx, &visit, &slug, p, &PickQuery::default());
            page.errors = errors;
            with_status(StatusCode::UNPROCESSABLE_ENTITY, page)
        }
        Saved::Stale(c) => {
            let mut page = ConfirmPage::new(&ctx, &visit, &slug, c, &form);
            page.layout.flash = Some(Flash::error(
                "Someone else changed this deployment since you chose its times; nothing was \
                 saved. Its current placement and the conflicts of your choice, checked again, \
                 are shown below: confirm again if it still applies.",
            ));
            with_status(StatusCode::CONFLICT, page)
        }
    })
}
