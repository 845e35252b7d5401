//! Recurring windows: an RFC 5545 RRULE repeated on the wall clock of an
//! IANA zone, and its expansion into occurrences.
//!
//! A recurring window is a rule ([`RRule`]) + a series start date + a local
//! start time + a local end time + a zone ([`Recurrence`]). What repeats is
//! the wall clock: a window 22:00–02:00 Europe/Berlin is 22:00–02:00 local on
//! every night, including the nights the clocks change (so it lasts 3 or 5
//! hours then). Expansion therefore happens in two steps:
//!
//! 1. the `rrule` crate generates the series of local start date-times, with
//!    DTSTART = series start at the local start time as a *floating* time
//!    (carried as UTC, which has no daylight saving, so nothing shifts);
//! 2. each local date is mapped to instants in the zone: a local time the
//!    clocks skip (spring forward) becomes the first instant after the gap
//!    (02:30 → 03:00), a local time that happens twice (fall back) its first
//!    occurrence. A local end at or before the local start is on the next day.
//!
//! UNTIL is read on the window's wall clock too (`UNTIL=20270331T235959`);
//! a UTC value (`...Z`) is converted to the zone's wall clock first and a date
//! alone (`UNTIL=20270331`) means the end of that local day.

mod describe;
mod expand;
mod preset;
mod rule;

pub use expand::wall_clock_instant;
pub use preset::{Ends, Preset, PresetError};
pub use rule::{
    ByDay, Frequency, MAX_COUNT, MAX_INTERVAL, RRule, RRuleError, SeriesEnd, WEEKDAYS,
    weekday_code, weekday_from_code,
};

use crate::tenant::TimeZone;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};

/// One occurrence of a window: the instants it covers, the local date it
/// starts on (its name, e.g. for cancelling) and whether it is cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Occurrence {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The local date (in the window's zone) the occurrence starts on.
    pub date: NaiveDate,
    pub cancelled: bool,
}

impl Occurrence {
    /// True when the occurrence covers the instant `at`.
    #[must_use]
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }
}

/// Why a recurrence was refused, by the form field it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecurrenceError {
    #[error(
        "the end time must differ from the start time (an end earlier than the start means the next day)"
    )]
    SameTimes,
    #[error("choose a series start between 2000 and 2100")]
    SeriesStart,
    #[error("the series would end before it starts")]
    EndsBeforeStart,
    #[error("this rule never produces an occurrence on or after the series start")]
    NeverOccurs,
}

/// A recurring window's schedule: rule + series start date + local start
/// and end times + zone. Construct with [`Recurrence::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurrence {
    rule: RRule,
    series_start: NaiveDate,
    local_start: NaiveTime,
    local_end: NaiveTime,
    zone: TimeZone,
}

impl Recurrence {
    /// Checks that the series is expandable and produces an occurrence.
    pub fn new(
        rule: RRule,
        series_start: NaiveDate,
        local_start: NaiveTime,
        local_end: NaiveTime,
        zone: TimeZone,
    ) -> Result<Self, RecurrenceError> {
        if local_start == local_end {
            return Err(RecurrenceError::SameTimes);
        }
        if !(2000..=2100).contains(&series_start.year()) {
            return Err(RecurrenceError::SeriesStart);
        }
        if let SeriesEnd::Until(until) = rule.end
            && until < series_start.and_time(local_start)
        {
            return Err(RecurrenceError::EndsBeforeStart);
        }
        let recurrence = Self {
            rule,
            series_start,
            local_start,
            local_end,
            zone,
        };
        if recurrence.local_starts().next().is_none() {
            return Err(RecurrenceError::NeverOccurs);
        }
        Ok(recurrence)
    }

    #[must_use]
    pub fn rule(&self) -> &RRule {
        &self.rule
    }

    #[must_use]
    pub fn series_start(&self) -> NaiveDate {
        self.series_start
    }

    #[must_use]
    pub fn local_start(&self) -> NaiveTime {
        self.local_start
    }

    #[must_use]
    pub fn local_end(&self) -> NaiveTime {
        self.local_end
    }

    #[must_use]
    pub fn zone(&self) -> TimeZone {
        self.zone
    }

    /// True when each occurrence ends on the day after it starts.
    #[must_use]
    pub fn ends_next_day(&self) -> bool {
        self.local_end <= self.local_start
    }

    /// Every occurrence overlapping `[from, to)`, including one that started
    /// before `from` and ends after it, in order. Occurrences on a date in
    /// `cancelled` are included with `cancelled: true`.
    #[must_use]
    pub fn occurrences_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        cancelled: &[NaiveDate],
    ) -> Vec<Occurrence> {
        if from >= to {
            return Vec::new();
        }
        let tz = self.zone.tz();
        // An occurrence lasts at most a day plus a clock change: two days of
        // margin on the wall clock keep every candidate.
        let first = from.with_timezone(&tz).naive_local() - Duration::days(2);
        let last = to.with_timezone(&tz).naive_local() + Duration::days(1);
        self.local_starts_near(first)
            .take_while(|at| *at <= last)
            .map(|at| self.occurrence_at(at, cancelled))
            .filter(|o| o.start < to && o.end > from)
            .collect()
    }

    /// The next `n` occurrences that have not ended at `now` (the one in
    /// progress first), cancelled ones included and marked.
    #[must_use]
    pub fn next_occurrences(
        &self,
        now: DateTime<Utc>,
        n: usize,
        cancelled: &[NaiveDate],
    ) -> Vec<Occurrence> {
        let tz = self.zone.tz();
        let first = now.with_timezone(&tz).naive_local() - Duration::days(2);
        self.local_starts_near(first)
            .map(|at| self.occurrence_at(at, cancelled))
            .filter(|o| o.end > now)
            .take(n)
            .collect()
    }

    /// The occurrence starting on local `date`, if the series has one.
    #[must_use]
    pub fn occurrence_on(&self, date: NaiveDate, cancelled: &[NaiveDate]) -> Option<Occurrence> {
        self.local_starts_near(date.and_time(NaiveTime::MIN))
            .take_while(|at| at.date() <= date)
            .find(|at| at.date() == date)
            .map(|at| self.occurrence_at(at, cancelled))
    }

    /// The instants the series can touch: from the first occurrence's start
    /// to the last one's end (`None`: the series never ends).
    #[must_use]
    pub fn span(&self) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
        let mut starts = self.local_starts();
        let Some(first) = starts.next() else {
            // `new` refuses series without occurrences; an empty span then.
            let at =
                wall_clock_instant(self.series_start.and_time(self.local_start), self.zone.tz());
            return (at, Some(at));
        };
        let first = self.occurrence_at(first, &[]);
        if self.rule.end == SeriesEnd::Never {
            return (first.start, None);
        }
        let last = starts
            .last()
            .map_or(first, |at| self.occurrence_at(at, &[]));
        (first.start, Some(last.end))
    }

    /// The rule in words: "Every other Tuesday, 22:00–02:00 Europe/Berlin".
    #[must_use]
    pub fn describe(&self) -> String {
        describe::describe(self)
    }
}

#[cfg(test)]
mod tests;
