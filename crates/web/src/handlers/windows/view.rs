//! What the windows pages show of a window: its schedule in words, scope
//! and limits as text, occurrences in the window's and the viewer's zone,
//! and the audit snapshot.

use almanac_db::windows::Choice;
use almanac_domain::TimeZone;
use almanac_domain::recurrence::Occurrence;
use almanac_domain::time::local_datetime;
use almanac_domain::window::{Scope, Window, WindowDraft, WindowKind, WindowSchedule};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// One occurrence as a row.
pub struct OccurrenceView {
    /// The local start date (`2026-12-15`): names the occurrence in URLs.
    pub date: String,
    /// In the window's zone, with the zone's abbreviation.
    pub starts: String,
    pub ends: String,
    /// In the viewer's zone; empty when it is the window's zone.
    pub viewer_starts: String,
    pub viewer_ends: String,
    pub cancelled: bool,
    pub in_progress: bool,
}

/// `Thu 2026-11-26 22:00 EST`: the weekday helps with recurring windows.
fn when(at: DateTime<Utc>, zone: &str) -> String {
    let weekday = at
        .with_timezone(&TimeZone::parse(zone).unwrap_or(TimeZone::UTC).tz())
        .format("%a")
        .to_string();
    format!("{weekday} {}", local_datetime(at, zone))
}

pub fn occurrence(o: &Occurrence, zone: &str, viewer: &str, now: DateTime<Utc>) -> OccurrenceView {
    let same = zone == viewer;
    OccurrenceView {
        date: o.date.format("%Y-%m-%d").to_string(),
        starts: when(o.start, zone),
        ends: when(o.end, zone),
        viewer_starts: if same {
            String::new()
        } else {
            when(o.start, viewer)
        },
        viewer_ends: if same {
            String::new()
        } else {
            when(o.end, viewer)
        },
        cancelled: o.cancelled,
        in_progress: o.contains(now),
    }
}

/// "All environments", or the chosen names.
pub fn scope_text(scope: &Scope, choices: &[Choice], all: &str) -> String {
    match scope {
        Scope::All => all.to_owned(),
        Scope::Only(ids) => choices
            .iter()
            .filter(|c| ids.contains(&c.id))
            .map(|c| {
                if c.archived {
                    format!("{} (archived)", c.label)
                } else {
                    c.label.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Capacity or exemptions in words ("2 deployments per occurrence").
pub fn limits_text(window: &WindowDraft) -> String {
    match window.kind {
        WindowKind::Release => match window.capacity {
            None => "No capacity limit".to_owned(),
            Some(1) => "1 deployment per occurrence".to_owned(),
            Some(n) => format!("{n} deployments per occurrence"),
        },
        WindowKind::Freeze if window.exempt_types.is_empty() => "Blocks every release".to_owned(),
        WindowKind::Freeze => format!(
            "Lets through: {}",
            window
                .exempt_types
                .iter()
                .map(|t| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The schedule in words: the recurrence's description, or the one-off
/// period in the viewer's zone.
pub fn schedule_text(schedule: &WindowSchedule, viewer: &str) -> String {
    match schedule {
        WindowSchedule::Recurring(r) => r.describe(),
        WindowSchedule::OneOff { start, end, .. } => format!(
            "{} – {}",
            local_datetime(*start, viewer),
            local_datetime(*end, viewer)
        ),
    }
}

/// A window as recorded in the audit trail (names, not ids, so the history
/// reads well after a rename or deletion; times in the window's zone; fields
/// that do not apply left out).
pub fn snapshot(w: &WindowDraft, environments: &[Choice], products: &[Choice]) -> Value {
    let (zone, start, end, rule, series_start, local_start, local_end) = match &w.schedule {
        WindowSchedule::OneOff { start, end, zone } => (
            zone.name(),
            Some(local_datetime(*start, zone.name())),
            Some(local_datetime(*end, zone.name())),
            None,
            None,
            None,
            None,
        ),
        WindowSchedule::Recurring(r) => (
            r.zone().name(),
            None,
            None,
            Some(r.rule().to_string()),
            Some(r.series_start().to_string()),
            Some(r.local_start().format("%H:%M").to_string()),
            Some(r.local_end().format("%H:%M").to_string()),
        ),
    };
    let mut snapshot = json!({
        "kind": w.kind.as_str(),
        "name": w.name.as_str(),
        "reason": w.reason,
        "environments": scope_text(&w.environments, environments, "all"),
        "products": scope_text(&w.products, products, "all"),
        "exempt_types": w.exempt_types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "capacity": w.capacity,
        "schedule": w.schedule.describe(),
        "time_zone": zone,
        "starts_at": start,
        "ends_at": end,
        "rrule": rule,
        "series_start": series_start,
        "local_start": local_start,
        "local_end": local_end,
    });
    if let Some(fields) = snapshot.as_object_mut() {
        fields.retain(|_, v| !v.is_null() && v.as_array().is_none_or(|a| !a.is_empty()));
    }
    snapshot
}

/// A window in the list.
pub struct WindowRow {
    pub id: String,
    pub name: String,
    pub freeze: bool,
    pub kind_label: &'static str,
    pub archived: bool,
    pub recurring: bool,
    pub schedule: String,
    pub environments: String,
    pub products: String,
    pub limits: String,
    pub next: Vec<OccurrenceView>,
}

pub fn row(
    w: &Window,
    environments: &[Choice],
    products: &[Choice],
    viewer: &str,
    now: DateTime<Utc>,
) -> WindowRow {
    WindowRow {
        id: w.id.to_string(),
        name: w.name.as_str().to_owned(),
        freeze: w.kind == WindowKind::Freeze,
        kind_label: w.kind.label(),
        archived: w.archived,
        recurring: w.schedule.recurrence().is_some(),
        schedule: schedule_text(&w.schedule, viewer),
        environments: scope_text(&w.environments, environments, "All environments"),
        products: scope_text(&w.products, products, "All products"),
        limits: limits_text(&w.draft()),
        next: w
            .next_occurrences(now, 3)
            .iter()
            .map(|o| occurrence(o, viewer, viewer, now))
            .collect(),
    }
}
