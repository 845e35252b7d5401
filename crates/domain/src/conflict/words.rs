//! Conflict messages in plain words. Times are a window's own local dates
//! (and times when not whole days) with its zone named.

use super::MilestoneFacts;
use crate::recurrence::Occurrence;
use crate::release::ReleaseType;
use crate::window::Window;
use chrono::{Datelike, Duration, NaiveTime, Timelike};

/// The words an overlap message uses for the other release until
/// [`super::label_releases`] names it.
pub const OTHER_RELEASE: &str = "another release's deployment";

/// `Tue 1 Dec 2026`.
fn day(date: chrono::NaiveDate) -> String {
    date.format("%a %-d %b %Y").to_string()
}

/// An occurrence's period on its window's wall clock: whole days as dates
/// (`15 Dec 2026 – 5 Jan 2027`, `27 Nov – 30 Nov 2026`, `Tue 1 Dec 2026`), otherwise with times
/// (`Tue 1 Dec 2026 22:00 – Wed 2 Dec 02:00`), then the zone.
pub(super) fn period(window: &Window, o: &Occurrence) -> String {
    let zone = window.schedule.zone();
    let tz = zone.tz();
    let start = o.start.with_timezone(&tz).naive_local();
    let end = o.end.with_timezone(&tz).naive_local();
    let midnight = NaiveTime::MIN;
    let whole_days = start.time() == midnight
        && (end.time() == midnight || (end.hour() == 23 && end.minute() == 59));
    let text = if whole_days {
        let last = if end.time() == midnight {
            (end - Duration::days(1)).date()
        } else {
            end.date()
        };
        let first = start.date();
        if last <= first {
            day(first)
        } else if first.year() == last.year() {
            format!("{} – {}", first.format("%-d %b"), last.format("%-d %b %Y"))
        } else {
            format!(
                "{} – {}",
                first.format("%-d %b %Y"),
                last.format("%-d %b %Y")
            )
        }
    } else {
        let end_text = if end.date() == start.date() {
            end.format("%H:%M").to_string()
        } else if end.year() == start.year() {
            end.format("%a %-d %b %H:%M").to_string()
        } else {
            end.format("%a %-d %b %Y %H:%M").to_string()
        };
        format!("{} – {end_text}", start.format("%a %-d %b %Y %H:%M"))
    };
    format!("{text}, {}", zone.name())
}

pub(super) fn freeze(
    window: &Window,
    o: &Occurrence,
    environment: &str,
    release_type: ReleaseType,
) -> String {
    format!(
        "Inside the freeze “{}” ({}), which covers {environment} and does not exempt {} releases.",
        window.name.as_str(),
        period(window, o),
        release_type.as_str()
    )
}

pub(super) fn outside_window(environment: &str, partly: bool) -> String {
    if partly {
        format!(
            "Not entirely inside one occurrence of a release window for {environment}, which requires one."
        )
    } else {
        format!(
            "Outside every occurrence of a release window for {environment}, which requires one."
        )
    }
}

pub(super) fn over_capacity(window: &Window, o: &Occurrence, count: u32, capacity: u32) -> String {
    format!(
        "The occurrence of “{}” on {} ({}) is over capacity: {count} deployments for {capacity} {}.",
        window.name.as_str(),
        day(o.date),
        window.schedule.zone().name(),
        if capacity == 1 { "place" } else { "places" }
    )
}

pub(super) fn overlap(environment: &str) -> String {
    format!("Overlaps {OTHER_RELEASE} on {environment} (not shared).")
}

pub(super) fn no_approval() -> String {
    "Go-live within 48 hours without an approved go/no-go decision.".to_owned()
}

/// Milestones that belong after go-live (a post-release review).
pub(super) fn is_after_go_live(name: &str) -> bool {
    let n = name.trim().to_lowercase();
    n.starts_with("post") || n.contains("retrospective") || n.contains("hypercare")
}

pub(super) fn is_code_freeze(name: &str) -> bool {
    name.to_lowercase().contains("code freeze")
}

fn quoted_list(milestones: &[&MilestoneFacts]) -> String {
    let names: Vec<String> = milestones.iter().map(|m| format!("“{}”", m.name)).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Rule 5 in words, `None` when nothing is out of order.
pub(super) fn milestones(
    code_freezes: &[&MilestoneFacts],
    late: &[&MilestoneFacts],
) -> Option<String> {
    let mut parts = Vec::new();
    if !code_freezes.is_empty() {
        parts.push("Go-live is before the code freeze.".to_owned());
    }
    match late {
        [] => {}
        [one] => parts.push(format!("Milestone “{}” is due after go-live.", one.name)),
        many => parts.push(format!(
            "Milestones {} are due after go-live.",
            quoted_list(many)
        )),
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}
