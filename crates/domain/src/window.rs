//! Windows (DESIGN.md "Window"): release windows, where deployments are
//! allowed (optionally up to a capacity per occurrence), and freezes, where
//! they are blocked (optionally exempting some release types). Each is
//! scoped to all or chosen environments and products, and is either a
//! one-off period or a recurring series ([`crate::recurrence`]) whose single
//! occurrences can be cancelled.
//!
//! The form ([`WindowForm`]) is parsed here too, into field errors.

mod form;

pub use form::{FormContext, WindowForm};

use crate::recurrence::{Occurrence, Recurrence};
use crate::tenant::TimeZone;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// A window's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WindowId(pub Uuid);

impl WindowId {
    /// A new time-ordered id.
    #[must_use]
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for WindowId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for WindowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Release window or freeze.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowKind {
    Release,
    Freeze,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("choose release window or freeze")]
pub struct UnknownWindowKind;

impl WindowKind {
    pub const ALL: [WindowKind; 2] = [WindowKind::Release, WindowKind::Freeze];

    /// The stored and URL form.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Release => "release",
            Self::Freeze => "freeze",
        }
    }

    /// The words shown on pages.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Release => "Release window",
            Self::Freeze => "Freeze",
        }
    }
}

impl FromStr for WindowKind {
    type Err = UnknownWindowKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "release" => Ok(Self::Release),
            "freeze" => Ok(Self::Freeze),
            _ => Err(UnknownWindowKind),
        }
    }
}

/// A window's name: 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowNameError {
    #[error("enter a name")]
    Empty,
    #[error("a name has at most 100 characters")]
    TooLong,
}

impl WindowName {
    pub fn parse(input: &str) -> Result<Self, WindowNameError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(WindowNameError::Empty);
        }
        if s.chars().count() > 100 {
            return Err(WindowNameError::TooLong);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The release types a freeze may exempt (the `releases.type` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExemptType {
    Major,
    Minor,
    Patch,
    Hotfix,
    Emergency,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("choose among major, minor, patch, hotfix and emergency")]
pub struct UnknownReleaseType;

impl ExemptType {
    pub const ALL: [ExemptType; 5] = [
        ExemptType::Major,
        ExemptType::Minor,
        ExemptType::Patch,
        ExemptType::Hotfix,
        ExemptType::Emergency,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Major => "major",
            Self::Minor => "minor",
            Self::Patch => "patch",
            Self::Hotfix => "hotfix",
            Self::Emergency => "emergency",
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Major => "Major",
            Self::Minor => "Minor",
            Self::Patch => "Patch",
            Self::Hotfix => "Hotfix",
            Self::Emergency => "Emergency",
        }
    }
}

impl FromStr for ExemptType {
    type Err = UnknownReleaseType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
            .ok_or(UnknownReleaseType)
    }
}

/// Which environments (or products) a window covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// These ids only (never empty).
    Only(Vec<Uuid>),
}

impl Scope {
    #[must_use]
    pub fn includes(&self, id: Uuid) -> bool {
        match self {
            Scope::All => true,
            Scope::Only(ids) => ids.contains(&id),
        }
    }

    #[must_use]
    pub fn is_all(&self) -> bool {
        matches!(self, Scope::All)
    }

    /// The chosen ids (empty for all).
    #[must_use]
    pub fn ids(&self) -> &[Uuid] {
        match self {
            Scope::All => &[],
            Scope::Only(ids) => ids,
        }
    }
}

/// When a window is open (or frozen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowSchedule {
    /// One period; `zone` is the zone it was entered in (for showing it).
    OneOff {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        zone: TimeZone,
    },
    Recurring(Recurrence),
}

impl WindowSchedule {
    /// The zone the window is defined in.
    #[must_use]
    pub fn zone(&self) -> TimeZone {
        match self {
            WindowSchedule::OneOff { zone, .. } => *zone,
            WindowSchedule::Recurring(r) => r.zone(),
        }
    }

    #[must_use]
    pub fn recurrence(&self) -> Option<&Recurrence> {
        match self {
            WindowSchedule::OneOff { .. } => None,
            WindowSchedule::Recurring(r) => Some(r),
        }
    }

    fn one_off(&self, cancelled: &[NaiveDate]) -> Option<Occurrence> {
        match self {
            WindowSchedule::OneOff { start, end, zone } => {
                let date = start.with_timezone(&zone.tz()).date_naive();
                Some(Occurrence {
                    start: *start,
                    end: *end,
                    date,
                    cancelled: cancelled.contains(&date),
                })
            }
            WindowSchedule::Recurring(_) => None,
        }
    }

    /// Every occurrence overlapping `[from, to)` (see
    /// [`Recurrence::occurrences_between`]); a one-off window is one occurrence.
    #[must_use]
    pub fn occurrences_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        cancelled: &[NaiveDate],
    ) -> Vec<Occurrence> {
        match self {
            WindowSchedule::Recurring(r) => r.occurrences_between(from, to, cancelled),
            WindowSchedule::OneOff { .. } => self
                .one_off(cancelled)
                .filter(|o| from < to && o.start < to && o.end > from)
                .into_iter()
                .collect(),
        }
    }

    /// The next `n` occurrences not ended at `now`, cancelled ones marked.
    #[must_use]
    pub fn next_occurrences(
        &self,
        now: DateTime<Utc>,
        n: usize,
        cancelled: &[NaiveDate],
    ) -> Vec<Occurrence> {
        match self {
            WindowSchedule::Recurring(r) => r.next_occurrences(now, n, cancelled),
            WindowSchedule::OneOff { .. } => self
                .one_off(cancelled)
                .filter(|o| n > 0 && o.end > now)
                .into_iter()
                .collect(),
        }
    }

    /// The instants the window can touch (the `span` column): the one-off
    /// period, or first occurrence start to last occurrence end (`None` =
    /// endless series).
    #[must_use]
    pub fn span(&self) -> (DateTime<Utc>, Option<DateTime<Utc>>) {
        match self {
            WindowSchedule::OneOff { start, end, .. } => (*start, Some(*end)),
            WindowSchedule::Recurring(r) => r.span(),
        }
    }

    /// In words: the recurrence's description, or the one-off period in its
    /// zone ("2026-12-15 00:00 CET – 2027-01-05 23:59 CET").
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            WindowSchedule::Recurring(r) => r.describe(),
            WindowSchedule::OneOff { start, end, zone } => format!(
                "{} – {}",
                crate::time::local_datetime(*start, zone.name()),
                crate::time::local_datetime(*end, zone.name())
            ),
        }
    }
}

/// A window as a form sets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowDraft {
    pub kind: WindowKind,
    pub name: WindowName,
    pub reason: String,
    pub environments: Scope,
    pub products: Scope,
    /// Freezes only: release types the freeze does not block.
    pub exempt_types: Vec<ExemptType>,
    pub schedule: WindowSchedule,
    /// Release windows only: deployments wholly inside one occurrence;
    /// `None` = no limit.
    pub capacity: Option<u32>,
}

/// A cancelled occurrence of a recurring window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelledOccurrence {
    /// The local date the occurrence starts on.
    pub date: NaiveDate,
    pub reason: String,
}

/// A stored window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub id: WindowId,
    pub kind: WindowKind,
    pub name: WindowName,
    pub reason: String,
    pub environments: Scope,
    pub products: Scope,
    pub exempt_types: Vec<ExemptType>,
    pub schedule: WindowSchedule,
    pub capacity: Option<u32>,
    pub archived: bool,
    pub revision: i32,
    /// Cancelled occurrences, by date.
    pub cancelled: Vec<CancelledOccurrence>,
}

impl Window {
    /// What a form would set to make this window (for edits and audit snapshots).
    #[must_use]
    pub fn draft(&self) -> WindowDraft {
        WindowDraft {
            kind: self.kind,
            name: self.name.clone(),
            reason: self.reason.clone(),
            environments: self.environments.clone(),
            products: self.products.clone(),
            exempt_types: self.exempt_types.clone(),
            schedule: self.schedule.clone(),
            capacity: self.capacity,
        }
    }

    fn cancelled_dates(&self) -> Vec<NaiveDate> {
        self.cancelled.iter().map(|c| c.date).collect()
    }

    /// Occurrences overlapping `[from, to)`, this window's cancellations marked.
    #[must_use]
    pub fn occurrences_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Occurrence> {
        self.schedule
            .occurrences_between(from, to, &self.cancelled_dates())
    }

    /// The next `n` occurrences not ended at `now`, cancellations marked.
    #[must_use]
    pub fn next_occurrences(&self, now: DateTime<Utc>, n: usize) -> Vec<Occurrence> {
        self.schedule
            .next_occurrences(now, n, &self.cancelled_dates())
    }

    /// True when the window covers deployments of `product` to `environment`.
    #[must_use]
    pub fn covers(&self, environment: Uuid, product: Uuid) -> bool {
        self.environments.includes(environment) && self.products.includes(product)
    }

    /// True when this freeze lets releases of type `release_type` (`hotfix`,
    /// ...) through.
    #[must_use]
    pub fn exempts(&self, release_type: &str) -> bool {
        self.exempt_types.iter().any(|t| t.as_str() == release_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recurrence::RRule;
    use chrono::{NaiveDateTime, NaiveTime};

    fn utc(s: &str) -> DateTime<Utc> {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
            .expect("instant")
            .and_utc()
    }

    #[test]
    fn kinds_names_and_types_parse() {
        assert_eq!("freeze".parse(), Ok(WindowKind::Freeze));
        assert_eq!("window".parse::<WindowKind>(), Err(UnknownWindowKind));
        assert_eq!(WindowKind::Freeze.label(), "Freeze");
        assert_eq!("hotfix".parse(), Ok(ExemptType::Hotfix));
        assert!("urgent".parse::<ExemptType>().is_err());
        let table = [
            ("  Nightly ", Ok("Nightly")),
            ("", Err(WindowNameError::Empty)),
            (&*"x".repeat(101), Err(WindowNameError::TooLong)),
        ];
        for (input, expected) in table {
            assert_eq!(
                WindowName::parse(input).map(|n| n.as_str().to_owned()),
                expected.map(str::to_owned),
                "{input:?}"
            );
        }
    }

    #[test]
    fn one_off_windows_are_one_occurrence() {
        let schedule = WindowSchedule::OneOff {
            start: utc("2026-12-14T23:00"),
            end: utc("2027-01-05T23:00"),
            zone: TimeZone::parse("Europe/Berlin").expect("zone"),
        };
        let all =
            schedule.occurrences_between(utc("2026-12-01T00:00"), utc("2027-02-01T00:00"), &[]);
        assert_eq!(all.len(), 1);
        assert_eq!(
            all[0].date.to_string(),
            "2026-12-15",
            "the local start date"
        );
        assert!(
            schedule
                .occurrences_between(utc("2027-01-05T23:00"), utc("2027-02-01T00:00"), &[])
                .is_empty(),
            "back to back is not an overlap"
        );
        assert_eq!(
            schedule
                .next_occurrences(utc("2027-01-01T00:00"), 3, &[])
                .len(),
            1
        );
        assert!(
            schedule
                .next_occurrences(utc("2027-01-06T00:00"), 3, &[])
                .is_empty()
        );
        assert_eq!(
            schedule.span(),
            (utc("2026-12-14T23:00"), Some(utc("2027-01-05T23:00")))
        );
        assert_eq!(
            schedule.describe(),
            "2026-12-15 00:00 CET – 2027-01-06 00:00 CET"
        );
    }

    #[test]
    fn scope_and_exemptions_decide_what_a_window_covers() {
        let env = Uuid::now_v7();
        let other = Uuid::now_v7();
        let zone = TimeZone::UTC;
        let recurrence = Recurrence::new(
            RRule::parse("FREQ=DAILY", zone).expect("rule"),
            NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
            NaiveTime::from_hms_opt(22, 0, 0).expect("time"),
            NaiveTime::from_hms_opt(2, 0, 0).expect("time"),
            zone,
        )
        .expect("recurrence");
        let window = Window {
            id: WindowId::new(),
            kind: WindowKind::Freeze,
            name: WindowName::parse("Year end").expect("name"),
            reason: String::new(),
            environments: Scope::Only(vec![env]),
            products: Scope::All,
            exempt_types: vec![ExemptType::Emergency],
            schedule: WindowSchedule::Recurring(recurrence),
            capacity: None,
            archived: false,
            revision: 1,
            cancelled: vec![CancelledOccurrence {
                date: NaiveDate::from_ymd_opt(2026, 1, 2).expect("date"),
                reason: "holiday".into(),
            }],
        };
        assert!(window.covers(env, other));
        assert!(!window.covers(other, other));
        assert!(window.exempts("emergency") && !window.exempts("major"));
        let next = window.next_occurrences(utc("2026-01-01T00:00"), 2);
        assert_eq!(
            next.iter().map(|o| o.cancelled).collect::<Vec<_>>(),
            vec![false, true]
        );
        assert_eq!(
            window
                .occurrences_between(utc("2026-01-02T23:00"), utc("2026-01-03T01:00"))
                .len(),
            1
        );
    }
}
