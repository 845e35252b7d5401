//! The RRULE of a recurring window: parsed (with the `rrule` crate) into
//! the subset Almanac expands, checked, and written back canonically.

use crate::tenant::TimeZone;
use chrono::{DateTime, Month, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _, Weekday};
use chrono_tz::Tz;
use std::fmt;

/// How often the rule repeats (the frequencies Almanac supports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Frequency {
    fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "DAILY",
            Self::Weekly => "WEEKLY",
            Self::Monthly => "MONTHLY",
            Self::Yearly => "YEARLY",
        }
    }

    fn to_crate(self) -> rrule::Frequency {
        match self {
            Self::Daily => rrule::Frequency::Daily,
            Self::Weekly => rrule::Frequency::Weekly,
            Self::Monthly => rrule::Frequency::Monthly,
            Self::Yearly => rrule::Frequency::Yearly,
        }
    }
}

/// One BYDAY entry: every such weekday of the period, or the nth one
/// (`2TU` = second Tuesday, `-1FR` = last Friday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByDay {
    pub nth: Option<i16>,
    pub weekday: Weekday,
}

impl ByDay {
    #[must_use]
    pub fn every(weekday: Weekday) -> Self {
        Self { nth: None, weekday }
    }

    #[must_use]
    pub fn nth(nth: i16, weekday: Weekday) -> Self {
        Self {
            nth: Some(nth),
            weekday,
        }
    }

    fn to_crate(self) -> rrule::NWeekday {
        match self.nth {
            Some(n) => rrule::NWeekday::Nth(n, self.weekday),
            None => rrule::NWeekday::Every(self.weekday),
        }
    }
}

impl fmt::Display for ByDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = self.nth {
            write!(f, "{n}")?;
        }
        f.write_str(weekday_code(self.weekday))
    }
}

/// `MO`, `TU`, ... as RFC 5545 writes weekdays.
#[must_use]
pub fn weekday_code(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

/// Monday to Sunday.
pub const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// The weekday of an RFC 5545 code (`TU`), case-insensitive.
#[must_use]
pub fn weekday_from_code(code: &str) -> Option<Weekday> {
    WEEKDAYS
        .into_iter()
        .find(|d| weekday_code(*d).eq_ignore_ascii_case(code.trim()))
}

/// How a series ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeriesEnd {
    Never,
    /// After this many occurrences (COUNT).
    Count(u32),
    /// No occurrence starts after this wall-clock time (UNTIL).
    Until(NaiveDateTime),
}

/// The largest INTERVAL and COUNT accepted (larger values are typing slips,
/// and keep expansion cheap).
pub const MAX_INTERVAL: u16 = 99;
pub const MAX_COUNT: u32 = 1000;

/// Why a rule was refused. Messages are shown next to the RRULE field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RRuleError {
    #[error("enter a rule such as FREQ=WEEKLY;BYDAY=TU,TH")]
    Empty,
    #[error("enter only the rule (FREQ=...;...), without DTSTART or other lines")]
    ExtraLines,
    #[error("this rule cannot be read: {0}")]
    Syntax(String),
    #[error("{0} is not supported here: use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY")]
    UnsupportedFrequency(String),
    #[error(
        "{0} is not supported here; use FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, COUNT or UNTIL"
    )]
    UnsupportedPart(&'static str),
    #[error("a numbered weekday such as 2TU needs FREQ=MONTHLY or FREQ=YEARLY")]
    OrdinalNeedsMonthlyOrYearly,
    #[error("INTERVAL must be between 1 and {MAX_INTERVAL}")]
    Interval,
    #[error("COUNT must be between 1 and {MAX_COUNT}")]
    Count,
    #[error("use either COUNT or UNTIL, not both")]
    CountAndUntil,
    #[error("UNTIL must look like 20270331 or 20270331T235959")]
    Until,
    #[error("this rule is not valid: {0}")]
    Invalid(String),
}

/// A validated RFC 5545 recurrence rule in the subset Almanac expands:
/// FREQ DAILY/WEEKLY/MONTHLY/YEARLY, INTERVAL, BYDAY (with ordinals for
/// monthly and yearly rules), BYMONTHDAY, BYMONTH, WKST, and COUNT or UNTIL.
/// Displays in a canonical form (the one stored).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RRule {
    pub freq: Frequency,
    pub interval: u16,
    pub by_day: Vec<ByDay>,
    pub by_month_day: Vec<i8>,
    pub by_month: Vec<u8>,
    pub week_start: Weekday,
    pub end: SeriesEnd,
}

impl RRule {
    /// A rule repeating every `interval` periods, without BY parts.
    #[must_use]
    pub fn new(freq: Frequency, interval: u16) -> Self {
        Self {
            freq,
            interval,
            by_day: Vec::new(),
            by_month_day: Vec::new(),
            by_month: Vec::new(),
            week_start: Weekday::Mon,
            end: SeriesEnd::Never,
        }
    }

    /// Parses a rule (`FREQ=WEEKLY;BYDAY=TU,TH`, an `RRULE:` prefix allowed).
    /// `zone` turns a UTC UNTIL into the window's wall clock.
    pub fn parse(input: &str, zone: TimeZone) -> Result<Self, RRuleError> {
        let text = input.trim();
        let text = match text.get(..6) {
            Some(prefix) if prefix.eq_ignore_ascii_case("RRULE:") => &text[6..],
            _ => text,
        }
        .trim();
        if text.is_empty() {
            return Err(RRuleError::Empty);
        }
        if text.contains(['\n', '\r', ':']) {
            return Err(RRuleError::ExtraLines);
        }
        // UNTIL is read here (the crate would read a floating UNTIL in the
        // server's own zone); the rest goes to the crate's parser.
        let mut until = None;
        let mut rest = Vec::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                Some((key, value)) if key.trim().eq_ignore_ascii_case("UNTIL") => {
                    until = Some(parse_until(value.trim(), zone.tz())?);
                }
                _ => rest.push(part),
            }
        }
        let parsed: rrule::RRule<rrule::Unvalidated> = rest
            .join(";")
            .parse()
            .map_err(|e: rrule::RRuleError| RRuleError::Syntax(crate_message(&e)))?;
        let rule = Self::from_crate(&parsed, until)?;
        // The crate's own RFC checks (ranges, BYMONTHDAY with WEEKLY, ...).
        let probe = NaiveDate::from_ymd_opt(2000, 1, 1)
            .unwrap_or_default()
            .and_time(NaiveTime::MIN);
        let mut unbounded = rule.clone();
        unbounded.end = SeriesEnd::Never;
        unbounded
            .to_crate()
            .validate(floating(probe))
            .map_err(|e| RRuleError::Invalid(crate_message(&e)))?;
        Ok(rule)
    }

    fn from_crate(
        parsed: &rrule::RRule<rrule::Unvalidated>,
        until: Option<NaiveDateTime>,
    ) -> Result<Self, RRuleError> {
        let freq = match parsed.get_freq() {
            rrule::Frequency::Daily => Frequency::Daily,
            rrule::Frequency::Weekly => Frequency::Weekly,
            rrule::Frequency::Monthly => Frequency::Monthly,
            rrule::Frequency::Yearly => Frequency::Yearly,
            other => return Err(RRuleError::UnsupportedFrequency(format!("FREQ={other}"))),
        };
        let unsupported = [
            ("BYSETPOS", parsed.get_by_set_pos().is_empty()),
            ("BYYEARDAY", parsed.get_by_year_day().is_empty()),
            ("BYWEEKNO", parsed.get_by_week_no().is_empty()),
            ("BYHOUR", parsed.get_by_hour().is_empty()),
            ("BYMINUTE", parsed.get_by_minute().is_empty()),
            ("BYSECOND", parsed.get_by_second().is_empty()),
        ];
        if let Some((part, _)) = unsupported.iter().find(|(_, empty)| !empty) {
            return Err(RRuleError::UnsupportedPart(part));
        }
        let interval = parsed.get_interval();
        if !(1..=MAX_INTERVAL).contains(&interval) {
            return Err(RRuleError::Interval);
        }
        let end = match (parsed.get_count(), until) {
            (Some(_), Some(_)) => return Err(RRuleError::CountAndUntil),
            (Some(n), None) if !(1..=MAX_COUNT).contains(&n) => return Err(RRuleError::Count),
            (Some(n), None) => SeriesEnd::Count(n),
            (None, Some(u)) => SeriesEnd::Until(u),
            (None, None) => SeriesEnd::Never,
        };
        let mut by_day: Vec<ByDay> = parsed
            .get_by_weekday()
            .iter()
            .map(|d| match *d {
                rrule::NWeekday::Every(w) => ByDay::every(w),
                rrule::NWeekday::Nth(n, w) => ByDay::nth(n, w),
            })
            .collect();
        if matches!(freq, Frequency::Daily | Frequency::Weekly)
            && by_day.iter().any(|d| d.nth.is_some())
        {
            return Err(RRuleError::OrdinalNeedsMonthlyOrYearly);
        }
        by_day.sort_by_key(|d| (d.weekday.num_days_from_monday(), d.nth));
        by_day.dedup();
        let mut by_month_day = parsed.get_by_month_day().to_vec();
        by_month_day.sort_unstable();
        by_month_day.dedup();
        let mut by_month = parsed.get_by_month().to_vec();
        by_month.sort_unstable();
        by_month.dedup();
        Ok(Self {
            freq,
            interval,
            by_day,
            by_month_day,
            by_month,
            week_start: parsed.get_week_start(),
            end,
        })
    }

    /// The crate's rule (UNTIL as floating UTC, like DTSTART).
    pub(super) fn to_crate(&self) -> rrule::RRule<rrule::Unvalidated> {
        let mut rule = rrule::RRule::new(self.freq.to_crate())
            .interval(self.interval)
            .week_start(self.week_start)
            .by_weekday(self.by_day.iter().map(|d| d.to_crate()).collect())
            .by_month_day(self.by_month_day.clone())
            .by_month(
                &self
                    .by_month
                    .iter()
                    .filter_map(|m| Month::try_from(*m).ok())
                    .collect::<Vec<_>>(),
            );
        match self.end {
            SeriesEnd::Never => {}
            SeriesEnd::Count(n) => rule = rule.count(n),
            SeriesEnd::Until(u) => rule = rule.until(floating(u)),
        }
        rule
    }
}

impl fmt::Display for RRule {
    /// The canonical text: `FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=20270331T235959`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn list<T: ToString>(items: &[T]) -> String {
            items
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",")
        }
        write!(f, "FREQ={}", self.freq.as_str())?;
        if self.interval != 1 {
            write!(f, ";INTERVAL={}", self.interval)?;
        }
        if !self.by_month.is_empty() {
            write!(f, ";BYMONTH={}", list(&self.by_month))?;
        }
        if !self.by_month_day.is_empty() {
            write!(f, ";BYMONTHDAY={}", list(&self.by_month_day))?;
        }
        if !self.by_day.is_empty() {
            write!(f, ";BYDAY={}", list(&self.by_day))?;
        }
        if self.week_start != Weekday::Mon {
            write!(f, ";WKST={}", weekday_code(self.week_start))?;
        }
        match self.end {
            SeriesEnd::Never => Ok(()),
            SeriesEnd::Count(n) => write!(f, ";COUNT={n}"),
            SeriesEnd::Until(u) => write!(f, ";UNTIL={}", u.format("%Y%m%dT%H%M%S")),
        }
    }
}

fn crate_message(e: &rrule::RRuleError) -> String {
    e.to_string().replace('`', "")
}

/// A wall-clock time carried as a UTC instant (UTC has no daylight saving).
pub(super) fn floating(at: NaiveDateTime) -> DateTime<rrule::Tz> {
    rrule::Tz::UTC.from_utc_datetime(&at)
}

fn parse_until(value: &str, zone: Tz) -> Result<NaiveDateTime, RRuleError> {
    let (text, utc) = match value.strip_suffix(['Z', 'z']) {
        Some(t) => (t, true),
        None => (value, false),
    };
    if let (Ok(date), 8, false) = (NaiveDate::parse_from_str(text, "%Y%m%d"), text.len(), utc) {
        return date.and_hms_opt(23, 59, 59).ok_or(RRuleError::Until);
    }
    let at = NaiveDateTime::parse_from_str(&text.to_ascii_uppercase(), "%Y%m%dT%H%M%S")
        .map_err(|_| RRuleError::Until)?;
    Ok(if utc {
        zone.from_utc_datetime(&at).naive_local()
    } else {
        at
    })
}
