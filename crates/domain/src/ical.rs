//! iCalendar feeds (RFC 5545): the text a person's calendar client
//! (Outlook, Google Calendar, Apple Calendar) subscribes to at
//! `/{tenant}/calendar.ics?token=...`, and the label of the token.
//!
//! What a feed holds, bounded to [`PAST_DAYS`] back and [`FUTURE_DAYS`]
//! ahead (recurring windows are series, so they reach further):
//! - each window or freeze: a recurring one as ONE event with its RRULE on
//!   the window's wall clock (`DTSTART;TZID=...`), EXDATEs for cancelled
//!   occurrences and a VTIMEZONE for every zone used; a one-off one as a
//!   plain event in UTC. Almanac repeats the wall clock (22:00–02:00 stays
//!   22:00–02:00 on the nights the clocks change), RFC 5545 repeats the
//!   exact duration: occurrences in the feed's range where the two differ
//!   get an override (same UID, RECURRENCE-ID) with their real times;
//! - each deployment to production ("PAY 2.4.0 go-live"), or to the
//!   environment the feed is filtered to;
//! - each milestone, at its due time.
//!
//! Events carry stable UIDs (`window-<id>@almanac`, `release-<id>@almanac`,
//! `deployment-<id>@almanac`, `milestone-<id>@almanac`), a SEQUENCE that
//! grows with every change (the records' revisions) and DTSTAMP /
//! LAST-MODIFIED from the records' last change. Escaping and line folding
//! are the `icalendar` crate's; VTIMEZONE is written by hand
//! ([`timezone`] says why).

#[cfg(test)]
mod tests;
mod timezone;

pub use timezone::vtimezone;

use crate::recurrence::{Occurrence, Recurrence, SeriesEnd, wall_clock_instant};
use crate::release::{DeploymentResult, ReleaseStatus, ReleaseType};
use crate::tenant::TimeZone;
use crate::window::{Scope, Window, WindowKind, WindowSchedule};
use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, Offset, TimeZone as _, Utc};
use chrono_tz::Tz;
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus, Property};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Releases and milestones due this many days back are in the feed.
pub const PAST_DAYS: i64 = 90;
/// ... and this many days ahead.
pub const FUTURE_DAYS: i64 = 365;

/// The period `[from, to)` a feed made at `now` covers.
#[must_use]
pub fn bounds(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        now - Duration::days(PAST_DAYS),
        now + Duration::days(FUTURE_DAYS),
    )
}

// ------------------------------------------------------------------ tokens

/// The most live feed tokens a person may hold in one tenant.
pub const MAX_TOKENS: i64 = 10;

/// What a person calls a feed token ("Outlook at work"): 1–60 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLabel(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedLabelError {
    #[error("name the feed, e.g. after the calendar app that will use it")]
    Empty,
    #[error("a feed name has at most 60 characters")]
    TooLong,
}

impl FeedLabel {
    pub fn parse(input: &str) -> Result<Self, FeedLabelError> {
        let s: String = input
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let s = s.trim();
        if s.is_empty() {
            return Err(FeedLabelError::Empty);
        }
        if s.chars().count() > 60 {
            return Err(FeedLabelError::TooLong);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// ------------------------------------------------------------------ filters

/// The calendar's filters, as a feed's query parameters name them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedFilter {
    pub line: Option<Uuid>,
    pub product: Option<Uuid>,
    /// Deployments to this environment instead of production; windows
    /// covering it; milestones of releases deploying to it.
    pub environment: Option<Uuid>,
    pub status: Option<ReleaseStatus>,
}

impl FeedFilter {
    /// Whether `window` belongs in the feed: it covers the filtered
    /// environment, the filtered product, and (for a product line) at least
    /// one of `line_products`. The release status filter is about releases.
    #[must_use]
    pub fn shows_window(&self, window: &Window, line_products: &[Uuid]) -> bool {
        let environment = self
            .environment
            .is_none_or(|e| window.environments.includes(e));
        let product = self.product.is_none_or(|p| window.products.includes(p));
        let line = self.line.is_none()
            || window.products.is_all()
            || line_products.iter().any(|p| window.products.includes(*p));
        environment && product && line
    }
}

// ------------------------------------------------------------------ items

/// A window with what its event says beyond the window itself.
#[derive(Debug, Clone)]
pub struct WindowItem {
    pub window: Window,
    /// Its last change (the row, or a cancelled occurrence).
    pub stamp: DateTime<Utc>,
    /// Names of the environments / products it covers (empty: all).
    pub environments: Vec<String>,
    pub products: Vec<String>,
}

/// A scheduled deployment of a release.
#[derive(Debug, Clone)]
pub struct DeploymentItem {
    pub release_id: Uuid,
    pub deployment_id: Uuid,
    /// `PAY 2.4.0`
    pub label: String,
    pub title: String,
    pub product_name: String,
    pub environment: String,
    pub is_production: bool,
    pub status: ReleaseStatus,
    pub release_type: ReleaseType,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub actual_start: Option<DateTime<Utc>>,
    pub actual_end: Option<DateTime<Utc>>,
    pub result: Option<DeploymentResult>,
    pub override_reason: Option<String>,
    /// Release revision + deployment revision: grows with either.
    pub sequence: i64,
    pub stamp: DateTime<Utc>,
}

/// A milestone of a release.
#[derive(Debug, Clone)]
pub struct MilestoneItem {
    pub id: Uuid,
    pub release_id: Uuid,
    /// `PAY 2.4.0`
    pub release_label: String,
    pub release_status: ReleaseStatus,
    pub name: String,
    pub due: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
    pub owner: Option<String>,
    /// Milestone revision + release revision.
    pub sequence: i64,
    pub stamp: DateTime<Utc>,
}

/// Everything one feed shows.
#[derive(Debug, Clone)]
pub struct Feed {
    /// `Acme Financial — releases`
    pub name: String,
    /// The tenant's zone (the calendar's default zone).
    pub zone: TimeZone,
    /// `https://almanac.example/acme`: record links hang below it.
    pub base_url: String,
    pub now: DateTime<Utc>,
    pub windows: Vec<WindowItem>,
    pub deployments: Vec<DeploymentItem>,
    pub milestones: Vec<MilestoneItem>,
}

// ------------------------------------------------------------------ text

/// Text fit for a TEXT value: CR LF and CR become LF (the crate escapes LF
/// but would write a bare CR), other control characters become spaces.
fn clean(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\n' | '\t' => c,
            '\r' => '\n',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

/// RFC 5545 TEXT escaping, for the one property the crate does not escape
/// (RFC 7986 NAME, unknown to it).
fn escape(text: &str) -> String {
    clean(text)
        .replace('\\', "\\\\")
        .replace(';', "\\;")
        .replace(',', "\\,")
        .replace('\n', "\\n")
}

fn utc_stamp(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

fn local(date_time: NaiveDateTime, zone: TimeZone) -> CalendarDateTime {
    CalendarDateTime::WithTimezone {
        date_time,
        tzid: zone.name().to_owned(),
    }
}

fn when(at: DateTime<Utc>, zone: TimeZone) -> String {
    crate::time::local_datetime(at, zone.name())
}

fn sequence(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// Common properties of every event.
fn event(uid: &str, seq: i64, stamp: DateTime<Utc>, summary: &str, url: &str) -> Event {
    let mut e = Event::new();
    e.uid(uid)
        .sequence(sequence(seq))
        .timestamp(stamp)
        .last_modified(stamp)
        .summary(&clean(summary))
        .url(url)
        // Informational: none of these make the subscriber busy.
        .add_property("TRANSP", "TRANSPARENT");
    e
}

// ------------------------------------------------------------------ windows

/// Where a client puts the wall-clock time `local` of `tz`: like Almanac,
/// except in a spring-forward gap, which RFC 5545 reads with the offset
/// from before the gap (02:30 → 03:30, where Almanac says 03:00).
fn rfc_instant(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => {
            let before = tz
                .offset_from_utc_datetime(&(local - Duration::days(1)))
                .fix()
                .local_minus_utc();
            (local - Duration::seconds(i64::from(before))).and_utc()
        }
    }
}

/// How long an occurrence lasts on the wall clock (22:00–02:00: 4 h).
fn nominal(r: &Recurrence) -> Duration {
    let d = r.local_end() - r.local_start();
    if d <= Duration::zero() {
        d + Duration::days(1)
    } else {
        d
    }
}

/// The RRULE value: Almanac's rule with UNTIL in UTC, as RFC 5545 requires
/// with a DTSTART that names a zone.
#[must_use]
pub fn rrule_text(r: &Recurrence) -> String {
    let mut rule = r.rule().clone();
    let until = match rule.end {
        SeriesEnd::Until(u) => {
            rule.end = SeriesEnd::Never;
            Some(u)
        }
        SeriesEnd::Never | SeriesEnd::Count(_) => None,
    };
    let mut text = rule.to_string();
    if let Some(u) = until {
        text.push_str(";UNTIL=");
        text.push_str(&utc_stamp(wall_clock_instant(u, r.zone().tz())));
    }
    text
}

/// The first occurrence of the series (DTSTART must be one).
fn first_occurrence(r: &Recurrence) -> Option<Occurrence> {
    let (start, _) = r.span();
    r.next_occurrences(start, 1, &[]).into_iter().next()
}

fn scope_words(scope: &Scope, names: &[String], all: &str) -> String {
    if scope.is_all() || names.is_empty() {
        all.to_owned()
    } else {
        names.join(", ")
    }
}

fn window_description(item: &WindowItem, url: &str) -> String {
    let w = &item.window;
    let mut lines = vec![w.schedule.describe()];
    lines.push(format!(
        "Environments: {}",
        scope_words(&w.environments, &item.environments, "all")
    ));
    lines.push(format!(
        "Products: {}",
        scope_words(&w.products, &item.products, "all")
    ));
    if !w.exempt_types.is_empty() {
        let types: Vec<&str> = w.exempt_types.iter().map(|t| t.label()).collect();
        lines.push(format!("Exempt: {}", types.join(", ")));
    }
    if let Some(c) = w.capacity {
        lines.push(format!("Capacity: {c} deployments per occurrence"));
    }
    if !w.reason.trim().is_empty() {
        lines.push(String::new());
        lines.push(w.reason.trim().to_owned());
    }
    lines.push(String::new());
    lines.push(url.to_owned());
    lines.join("\n")
}

fn window_summary(w: &Window) -> String {
    match w.kind {
        WindowKind::Freeze => format!("Freeze: {}", w.name.as_str()),
        WindowKind::Release => format!("Release window: {}", w.name.as_str()),
    }
}

/// The events of one window: the series (or the one-off period), then the
/// overrides of occurrences in `[from, to)` whose wall-clock times a client
/// would get wrong from the rule alone.
fn window_events(
    item: &WindowItem,
    base: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Event> {
    let w = &item.window;
    let uid = format!("window-{}@almanac", w.id);
    let url = format!("{base}/windows/{}", w.id);
    let mut master = event(
        &uid,
        i64::from(w.revision),
        item.stamp,
        &window_summary(w),
        &url,
    );
    master
        .description(&clean(&window_description(item, &url)))
        .categories([w.kind.label()]);
    let r = match &w.schedule {
        WindowSchedule::OneOff { start, end, .. } => {
            master.starts(*start).ends(*end);
            return vec![master];
        }
        WindowSchedule::Recurring(r) => r,
    };
    let Some(first) = first_occurrence(r) else {
        return Vec::new();
    };
    let zone = r.zone();
    let tz = zone.tz();
    let length = nominal(r);
    let first_start = first.date.and_time(r.local_start());
    // DTEND = DTSTART + the nominal length on the zone's clock, so the
    // exact duration clients repeat is the nominal one even when the first
    // occurrence spans a clock change (the override below fixes that one).
    let first_end = (rfc_instant(first_start, tz) + length)
        .with_timezone(&tz)
        .naive_local();
    master
        .starts(local(first_start, zone))
        .ends(local(first_end, zone))
        .add_property("RRULE", rrule_text(r));
    let cancelled: Vec<_> = w.cancelled.iter().map(|c| c.date).collect();
    for date in &cancelled {
        if r.occurrence_on(*date, &[]).is_some() {
            master.exdate(local(date.and_time(r.local_start()), zone));
        }
    }
    let mut events = vec![master.done()];
    for o in r.occurrences_between(from, to, &cancelled) {
        let named = o.date.and_time(r.local_start());
        let start = rfc_instant(named, tz);
        if o.cancelled || (o.start == start && o.end == start + length) {
            continue;
        }
        let mut e = event(
            &uid,
            i64::from(w.revision),
            item.stamp,
            &window_summary(w),
            &url,
        );
        e.description(&clean(&window_description(item, &url)))
            .categories([w.kind.label()])
            .recurrence_id(local(named, zone))
            .starts(o.start)
            .ends(o.end);
        events.push(e.done());
    }
    events
}

// ------------------------------------------------------------------ releases

fn release_status(status: ReleaseStatus) -> EventStatus {
    match status {
        ReleaseStatus::Cancelled => EventStatus::Cancelled,
        ReleaseStatus::Planned | ReleaseStatus::Scheduled | ReleaseStatus::Rejected => {
            EventStatus::Tentative
        }
        ReleaseStatus::Approved
        | ReleaseStatus::InProgress
        | ReleaseStatus::Released
        | ReleaseStatus::RolledBack => EventStatus::Confirmed,
    }
}

fn deployment_event(d: &DeploymentItem, base: &str, zone: TimeZone) -> Event {
    let url = format!("{base}/releases/{}", d.release_id);
    let (uid, what) = if d.is_production {
        (
            format!("release-{}@almanac", d.release_id),
            "go-live".to_owned(),
        )
    } else {
        (
            format!("deployment-{}@almanac", d.deployment_id),
            format!("on {}", d.environment),
        )
    };
    let mut summary = format!("{} {what}", d.label);
    if d.status == ReleaseStatus::Cancelled {
        summary.push_str(" (cancelled)");
    }
    let mut lines = vec![
        format!("Status: {}", d.status.label()),
        format!("{} release of {}", d.release_type.label(), d.product_name),
        format!("Environment: {}", d.environment),
        format!("Planned: {} – {}", when(d.start, zone), when(d.end, zone)),
    ];
    if let Some(at) = d.actual_start {
        let end = d.actual_end.map(|e| when(e, zone)).unwrap_or_default();
        lines.push(format!("Actual: {} – {end}", when(at, zone)));
    }
    if let Some(result) = d.result {
        lines.push(format!("Result: {}", result.label()));
    }
    if let Some(reason) = d
        .override_reason
        .as_deref()
        .filter(|r| !r.trim().is_empty())
    {
        lines.push(format!("Break-glass override: {}", reason.trim()));
    }
    if !d.title.trim().is_empty() {
        lines.push(String::new());
        lines.push(d.title.trim().to_owned());
    }
    lines.push(String::new());
    lines.push(url.clone());
    let mut e = event(&uid, d.sequence, d.stamp, &summary, &url);
    e.description(&clean(&lines.join("\n")))
        .categories(["Release", d.release_type.label()])
        .status(release_status(d.status))
        .starts(d.start)
        .ends(d.end);
    e.done()
}

fn milestone_event(m: &MilestoneItem, base: &str, zone: TimeZone) -> Event {
    let url = format!("{base}/releases/{}", m.release_id);
    let mut summary = format!("{}: {}", m.release_label, m.name);
    if m.done_at.is_some() {
        summary.push_str(" (done)");
    }
    let mut lines = vec![
        format!(
            "Milestone of {} ({})",
            m.release_label,
            m.release_status.label()
        ),
        format!("Due: {}", when(m.due, zone)),
    ];
    if let Some(done) = m.done_at {
        lines.push(format!("Done: {}", when(done, zone)));
    }
    if let Some(owner) = &m.owner {
        lines.push(format!("Owner: {owner}"));
    }
    lines.push(String::new());
    lines.push(url.clone());
    let mut e = event(
        &format!("milestone-{}@almanac", m.id),
        m.sequence,
        m.stamp,
        &summary,
        &url,
    );
    // No DTEND: an instant (RFC 5545 §3.6.1, DATE-TIME start without end).
    e.description(&clean(&lines.join("\n")))
        .categories(["Milestone"])
        .starts(m.due);
    if m.release_status == ReleaseStatus::Cancelled {
        e.status(EventStatus::Cancelled);
    }
    e.done()
}

// ------------------------------------------------------------------ the feed

impl Feed {
    /// The VCALENDAR text.
    #[must_use]
    pub fn render(&self) -> String {
        let (from, to) = bounds(self.now);
        let mut calendar = Calendar::empty();
        calendar
            .append_property(("VERSION", "2.0"))
            .append_property(("PRODID", "-//Almanac//Release calendar//EN"))
            .append_property(("CALSCALE", "GREGORIAN"))
            .append_property(("METHOD", "PUBLISH"))
            .append_property(Property::new("NAME", escape(&self.name)))
            .append_property(Property::new("X-WR-CALNAME", clean(&self.name)))
            .append_property(Property::new(
                "X-WR-CALDESC",
                "Release windows, freezes, go-lives and milestones from Almanac",
            ))
            .timezone(self.zone.name())
            .ttl(&Duration::hours(1));
        // The header, then each zone's VTIMEZONE, then the events: the crate
        // writes components, the zones are hand-written (see `timezone`).
        let head = calendar.to_string();
        let mut out = head
            .strip_suffix("END:VCALENDAR\r\n")
            .unwrap_or(&head)
            .to_owned();
        out.reserve(600 * (self.deployments.len() + self.milestones.len()));
        out.push_str(&self.vtimezones(to));
        // Each event is written as soon as it is made: a large feed never
        // holds its thousands of events as objects besides the text.
        // (Writing to a String cannot fail.)
        for item in &self.windows {
            for e in window_events(item, &self.base_url, from, to) {
                let _ = e.fmt_write(&mut out);
            }
        }
        for d in &self.deployments {
            let _ = deployment_event(d, &self.base_url, self.zone).fmt_write(&mut out);
        }
        for m in &self.milestones {
            let _ = milestone_event(m, &self.base_url, self.zone).fmt_write(&mut out);
        }
        out.push_str("END:VCALENDAR\r\n");
        out
    }

    /// One VTIMEZONE per zone a recurring window names, valid from a year
    /// before its earliest series start to a year past the feed.
    fn vtimezones(&self, to: DateTime<Utc>) -> String {
        let mut zones: BTreeMap<&'static str, (Tz, DateTime<Utc>)> = BTreeMap::new();
        for item in &self.windows {
            if let WindowSchedule::Recurring(r) = &item.window.schedule {
                let start = r.span().0;
                let tz = r.zone().tz();
                zones
                    .entry(r.zone().name())
                    .and_modify(|(_, s)| *s = (*s).min(start))
                    .or_insert((tz, start));
            }
        }
        let until = to + Duration::days(366);
        zones
            .into_values()
            .map(|(tz, start)| vtimezone(tz, start - Duration::days(366), until))
            .collect()
    }
}

/// The instants of `(date, local_start)` by RFC 5545 reading, for tests of
/// the feed against the domain's expansion.
#[must_use]
pub fn rfc_start(date: chrono::NaiveDate, at: NaiveTime, zone: TimeZone) -> DateTime<Utc> {
    rfc_instant(date.and_time(at), zone.tz())
}

/// Names by id, for [`WindowItem`] scope words.
#[must_use]
pub fn names_of(scope: &Scope, names: &HashMap<Uuid, String>) -> Vec<String> {
    let mut out: Vec<String> = scope
        .ids()
        .iter()
        .filter_map(|id| names.get(id).cloned())
        .collect();
    out.sort();
    out
}
