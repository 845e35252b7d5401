//! VTIMEZONE components from the IANA database (chrono-tz).
//!
//! Written by hand, not with the `icalendar` crate: it has no VTIMEZONE
//! support, and its generic component API (`Other`) adds DTSTAMP and a
//! random UID to every component it writes, which VTIMEZONE, STANDARD and
//! DAYLIGHT must not carry. These lines hold no free text (zone ids and
//! abbreviations are ASCII without `,` `;` `\`) and stay far below the
//! 75-octet folding limit, so writing them is safe.
//!
//! chrono-tz does not expose its transitions, so they are found by sampling
//! the offset weekly over the period the feed needs and bisecting each
//! change to the second. The current rules are then written as yearly
//! RRULEs (`FREQ=YEARLY;BYMONTH=3;BYDAY=2SU`), which clients extend into the
//! future; older transitions that no rule describes are listed one by one.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone as _, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz, TzOffset};
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// One side of a transition: total offset from UTC in seconds, whether it
/// is daylight saving time, and its abbreviation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Observed {
    pub total: i32,
    pub dst: bool,
    pub name: Option<String>,
}

impl Observed {
    fn of(offset: &TzOffset) -> Self {
        Self {
            total: offset.fix().local_minus_utc(),
            dst: !offset.dst_offset().is_zero(),
            name: offset.abbreviation().map(str::to_owned),
        }
    }
}

/// A change of offset at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Transition {
    pub at: DateTime<Utc>,
    pub from: Observed,
    pub to: Observed,
}

impl Transition {
    /// The wall-clock time of the change on the clock it leaves (what
    /// DTSTART of an observance means).
    fn local(&self) -> NaiveDateTime {
        (self.at + Duration::seconds(i64::from(self.from.total))).naive_utc()
    }
}

fn offset_at(tz: Tz, unix: i64) -> TzOffset {
    let at = DateTime::from_timestamp(unix, 0).unwrap_or_default();
    tz.offset_from_utc_datetime(&at.naive_utc())
}

/// Every transition of `tz` in `(from, to]`.
pub(crate) fn transitions(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Transition> {
    const STEP: i64 = 7 * 24 * 3600;
    let end = to.timestamp();
    let mut t = from.timestamp();
    let mut current = offset_at(tz, t);
    let mut out = Vec::new();
    while t < end {
        let next = (t + STEP).min(end);
        let there = offset_at(tz, next);
        if there == current {
            t = next;
            continue;
        }
        // The first second with another offset lies in (lo, hi].
        let (mut lo, mut hi) = (t, next);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if offset_at(tz, mid) == current {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let after = offset_at(tz, hi);
        out.push(Transition {
            at: DateTime::from_timestamp(hi, 0).unwrap_or_default(),
            from: Observed::of(&current),
            to: Observed::of(&after),
        });
        current = after;
        t = hi;
    }
    out
}

/// Which days of the month a yearly rule may pick the transition weekday
/// from: windows of seven days counted from the start (`1` = days 1–7) or
/// from the end (`0` = the last seven days) of the month.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Days {
    from_start: BTreeSet<u32>,
    from_end: BTreeSet<u32>,
}

fn days_in_month(date: NaiveDate) -> u32 {
    let next = if date.month() == 12 {
        NaiveDate::from_ymd_opt(date.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(date.year(), date.month() + 1, 1)
    };
    next.and_then(|n| n.pred_opt()).map_or(31, |d| d.day())
}

impl Days {
    fn of(date: NaiveDate) -> Self {
        let d = date.day();
        let len = days_in_month(date);
        Self {
            from_start: (d.saturating_sub(6).max(1)..=d).collect(),
            from_end: ((len - d).saturating_sub(6)..=len - d).collect(),
        }
    }

    fn intersect(&self, other: &Self) -> Self {
        Self {
            from_start: self
                .from_start
                .intersection(&other.from_start)
                .copied()
                .collect(),
            from_end: self
                .from_end
                .intersection(&other.from_end)
                .copied()
                .collect(),
        }
    }

    fn is_empty(&self) -> bool {
        self.from_start.is_empty() && self.from_end.is_empty()
    }

    /// The BYDAY (and BYMONTHDAY) parts: `2SU` and `-1SU` when they fit,
    /// as Outlook understands only those; else a weekday within seven days.
    fn rule_parts(&self, weekday: &str) -> String {
        if let Some(s) = [1, 8, 15, 22]
            .into_iter()
            .find(|s| self.from_start.contains(s))
        {
            return format!("BYDAY={}{weekday}", (s - 1) / 7 + 1);
        }
        if self.from_end.contains(&0) {
            return format!("BYDAY=-1{weekday}");
        }
        if let Some(s) = self.from_start.first() {
            let days: Vec<String> = (*s..s + 7).map(|d| d.to_string()).collect();
            return format!("BYDAY={weekday};BYMONTHDAY={}", days.join(","));
        }
        let k = self.from_end.first().copied().unwrap_or(0);
        let days: Vec<String> = (k + 1..=k + 7).rev().map(|d| format!("-{d}")).collect();
        format!("BYDAY={weekday};BYMONTHDAY={}", days.join(","))
    }
}

/// A STANDARD or DAYLIGHT sub-component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Observance {
    pub from: Observed,
    pub to: Observed,
    /// Wall-clock start on the clock it leaves.
    pub start: NaiveDateTime,
    /// `FREQ=YEARLY;...` when the observance repeats.
    pub rule: Option<String>,
}

/// Whether `b` (one year after `a`) continues the same yearly pattern.
fn same_pattern(a: &Transition, b: &Transition) -> bool {
    let (la, lb) = (a.local(), b.local());
    a.from == b.from
        && a.to == b.to
        && la.year() + 1 == lb.year()
        && la.month() == lb.month()
        && la.time() == lb.time()
        && la.weekday() == lb.weekday()
}

/// The observances of `list` (transitions into one kind of time, in
/// order): the trailing run that one yearly rule describes becomes a rule
/// when it lasts until `active_after`; everything else is listed.
fn observances_of(list: &[&Transition], active_after: i32) -> Vec<Observance> {
    let Some(last) = list.last() else {
        return Vec::new();
    };
    let mut first = list.len() - 1;
    let mut days = Days::of(last.local().date());
    while first > 0 {
        let earlier = list[first - 1];
        let joined = days.intersect(&Days::of(earlier.local().date()));
        if !same_pattern(earlier, list[first]) || joined.is_empty() {
            break;
        }
        days = joined;
        first -= 1;
    }
    let repeating = last.local().year() >= active_after;
    let listed = if repeating { first } else { list.len() };
    let mut out: Vec<Observance> = list[..listed]
        .iter()
        .map(|t| Observance {
            from: t.from.clone(),
            to: t.to.clone(),
            start: t.local(),
            rule: None,
        })
        .collect();
    if repeating {
        let head = list[first];
        let start = head.local();
        out.push(Observance {
            from: head.from.clone(),
            to: head.to.clone(),
            start,
            rule: Some(format!(
                "FREQ=YEARLY;BYMONTH={};{}",
                start.month(),
                days.rule_parts(crate::recurrence::weekday_code(start.weekday()))
            )),
        });
    }
    out
}

/// The observances describing `tz` over `[from, to]`.
pub(crate) fn observances(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Observance> {
    let all = transitions(tz, from, to);
    if all.is_empty() {
        let now = Observed::of(&offset_at(tz, from.timestamp()));
        return vec![Observance {
            from: now.clone(),
            to: now,
            start: NaiveDate::from_ymd_opt(1970, 1, 1)
                .unwrap_or_default()
                .and_time(chrono::NaiveTime::MIN),
            rule: None,
        }];
    }
    // A rule is still in force when it changed the clocks in the last two
    // years of the period.
    let active_after = to.year() - 1;
    let daylight: Vec<&Transition> = all.iter().filter(|t| t.to.dst).collect();
    let standard: Vec<&Transition> = all.iter().filter(|t| !t.to.dst).collect();
    let mut out = observances_of(&daylight, active_after);
    out.extend(observances_of(&standard, active_after));
    out.sort_by_key(|o| o.start);
    out
}

fn utc_offset(total: i32) -> String {
    let sign = if total < 0 { '-' } else { '+' };
    let abs = total.unsigned_abs();
    let (h, m, s) = (abs / 3600, abs / 60 % 60, abs % 60);
    if s == 0 {
        format!("{sign}{h:02}{m:02}")
    } else {
        format!("{sign}{h:02}{m:02}{s:02}")
    }
}

/// The VTIMEZONE component of `tz` valid over `[from, to]`, CRLF lines.
#[must_use]
pub fn vtimezone(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write!(out, "BEGIN:VTIMEZONE\r\nTZID:{}\r\n", tz.name());
    for o in observances(tz, from, to) {
        let kind = if o.to.dst { "DAYLIGHT" } else { "STANDARD" };
        let _ = write!(
            out,
            "BEGIN:{kind}\r\nDTSTART:{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\n",
            o.start.format("%Y%m%dT%H%M%S"),
            utc_offset(o.from.total),
            utc_offset(o.to.total)
        );
        if let Some(name) = o.to.name.as_deref().filter(|n| is_plain(n)) {
            let _ = write!(out, "TZNAME:{name}\r\n");
        }
        if let Some(rule) = &o.rule {
            let _ = write!(out, "RRULE:{rule}\r\n");
        }
        let _ = write!(out, "END:{kind}\r\n");
    }
    out.push_str("END:VTIMEZONE\r\n");
    out
}

/// Abbreviations are written unescaped: only take the harmless ones.
fn is_plain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 16
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-')
}
