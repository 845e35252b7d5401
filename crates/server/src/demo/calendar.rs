//! The demo's dates, relative to "now" in the tenant's zone: the recurring
//! release windows, the year-end and Black Friday freezes, the weekly
//! occurrence cancelled for Thanksgiving, the window nights releases go
//! live on, and the night a release is planned inside a freeze (with the
//! one-off freeze that blocks it when no year-end freeze is near).

use super::catalog::{RecurringSpec, Spec};
use almanac_domain::TimeZone;
use almanac_domain::recurrence::{Occurrence, RRule, Recurrence, wall_clock_instant};
use almanac_domain::window::ExemptType;
use anyhow::{Result, anyhow};
use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, NaiveTime, Utc, Weekday};

/// How far back and ahead of today releases are spread.
pub const PAST_DAYS: i64 = 365;
pub const FUTURE_DAYS: i64 = 122;

/// A one-off freeze.
#[derive(Debug, Clone)]
pub struct Freeze {
    pub name: String,
    pub reason: &'static str,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Environment names it covers.
    pub environments: &'static [&'static str],
    pub exempt: Vec<ExemptType>,
}

impl Freeze {
    /// Whether it blocks a deployment of `release_type` to `environment`
    /// during `[start, end)`.
    #[cfg(test)]
    #[must_use]
    pub fn blocks(
        &self,
        environment: &str,
        release_type: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> bool {
        self.environments.contains(&environment)
            && !self.exempt.iter().any(|t| t.as_str() == release_type)
            && start < self.end
            && end > self.start
    }
}

/// Everything dated in a demo portfolio but its releases.
#[derive(Debug, Clone)]
pub struct Calendar {
    pub now: DateTime<Utc>,
    pub zone: TimeZone,
    pub weekly: Recurrence,
    pub major: Option<Recurrence>,
    pub freezes: Vec<Freeze>,
    /// The cancelled weekly occurrence: its local date and why.
    pub cancelled: Option<(NaiveDate, &'static str)>,
    /// The weekly night, one to eight weeks ahead, on which a release is
    /// planned though a freeze covers it (when the spec asks for one).
    pub blocked: Option<Occurrence>,
}

/// The blocked release goes live about this many days ahead…
const BLOCKED_TARGET_DAYS: i64 = 28;
/// …and at most this many.
const BLOCKED_LAST_DAYS: i64 = 56;
const YEAR_END: &str = "Year-end freeze";
const FAILOVER_NAME: &str = "Data centre failover test";
const FAILOVER_REASON: &str =
    "Production moves to the standby data centre and back: no other changes while it is tested.";

const THANKSGIVING_REASON: &str =
    "Thanksgiving: no CAB quorum and reduced on-call cover; the Black Friday freeze follows.";

impl Calendar {
    pub fn new(spec: &Spec, zone: TimeZone, now: DateTime<Utc>) -> Result<Self> {
        let today = now.with_timezone(&zone.tz()).date_naive();
        let mut calendar = Self {
            now,
            zone,
            weekly: recurrence(&spec.weekly, today, zone)?,
            major: spec
                .major
                .as_ref()
                .map(|m| recurrence(m, today, zone))
                .transpose()?,
            freezes: Vec::new(),
            cancelled: None,
            blocked: None,
        };
        calendar.freezes = calendar.year_end_freezes(today, spec.year_end)?;
        if spec.black_friday {
            let black_friday = calendar.black_friday(today)?;
            calendar.freezes.extend(black_friday);
            let this_year = thanksgiving(today.year())?;
            let next = if this_year >= today {
                this_year
            } else {
                thanksgiving(today.year() + 1)?
            };
            calendar.cancelled = Some((next, THANKSGIVING_REASON));
        }
        if spec.blocked.is_some() {
            calendar.blocked = Some(calendar.blocked_night(spec)?);
        }
        Ok(calendar)
    }

    /// The instant of a local wall-clock time in the tenant's zone.
    #[must_use]
    pub fn at(&self, date: NaiveDate, hour: u32, minute: u32) -> DateTime<Utc> {
        let time = NaiveTime::from_hms_opt(hour % 24, minute % 60, 0).unwrap_or(NaiveTime::MIN);
        wall_clock_instant(date.and_time(time), self.zone.tz())
    }

    /// The local date of an instant.
    #[must_use]
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone.tz()).date_naive()
    }

    fn cancelled_dates(&self) -> Vec<NaiveDate> {
        self.cancelled.iter().map(|(d, _)| *d).collect()
    }

    /// The weekly window's occurrences in `[from, to)` (cancelled ones left out).
    #[must_use]
    pub fn weekly_nights(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Occurrence> {
        self.weekly
            .occurrences_between(from, to, &self.cancelled_dates())
            .into_iter()
            .filter(|o| !o.cancelled)
            .collect()
    }

    /// The major window's occurrences in `[from, to)`.
    #[must_use]
    pub fn major_days(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Occurrence> {
        self.major
            .as_ref()
            .map(|m| m.occurrences_between(from, to, &[]))
            .unwrap_or_default()
    }

    /// Whether any freeze touches `[start, end)`.
    #[must_use]
    pub fn frozen(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        self.freezes.iter().any(|f| start < f.end && end > f.start)
    }

    /// Whether a freeze covering any of `environments` touches `[start, end)`.
    #[must_use]
    pub fn frozen_for(
        &self,
        environments: &[&str],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> bool {
        self.freezes.iter().any(|f| {
            start < f.end
                && end > f.start
                && f.environments.iter().any(|e| environments.contains(e))
        })
    }

    /// The night a release is planned on inside a freeze, nearest to four
    /// weeks ahead: a night of the coming year-end freeze when one is one
    /// to eight weeks ahead; else a night two to eight weeks ahead, at
    /// least ten days from every other freeze, which a one-off production
    /// freeze (added here) then covers.
    fn blocked_night(&mut self, spec: &Spec) -> Result<Occurrence> {
        let production = spec
            .production()
            .ok_or_else(|| anyhow!("{}: no production environment", spec.slug))?;
        let length = Duration::minutes(spec.production_minutes);
        let target = self.now + Duration::days(BLOCKED_TARGET_DAYS);
        let nearest = |mut nights: Vec<Occurrence>| {
            nights.sort_by_key(|o| ((o.start - target).num_minutes().abs(), o.start));
            nights
        };
        let inside_year_end = nearest(self.weekly_nights(
            self.now + Duration::days(7),
            self.now + Duration::days(BLOCKED_LAST_DAYS),
        ))
        .into_iter()
        .find(|o| {
            self.freezes.iter().any(|f| {
                f.name.starts_with(YEAR_END)
                    && f.environments.contains(production)
                    && f.start <= o.start
                    && o.start + length <= f.end
            })
        });
        if let Some(night) = inside_year_end {
            return Ok(night);
        }
        let apart = Duration::days(10);
        let candidates = nearest(self.weekly_nights(
            self.now + Duration::days(14),
            self.now + Duration::days(BLOCKED_LAST_DAYS),
        ));
        for night in candidates {
            let day = self.local_date(night.start);
            let freeze = Freeze {
                name: FAILOVER_NAME.to_owned(),
                reason: FAILOVER_REASON,
                start: self.at(day, 0, 0),
                end: self.at(day + Duration::days(1), 23, 59),
                environments: std::slice::from_ref(production),
                exempt: vec![ExemptType::Emergency],
            };
            if !self.frozen(freeze.start - apart, freeze.end + apart) {
                self.freezes.push(freeze);
                return Ok(night);
            }
        }
        Err(anyhow!("{}: no night for the blocked release", spec.slug))
    }

    /// Dec 15 00:00 – Jan 5 23:59 local: the coming (or current) one, and
    /// the previous one when it ended within the demo's past.
    fn year_end_freezes(
        &self,
        today: NaiveDate,
        environments: &'static [&'static str],
    ) -> Result<Vec<Freeze>> {
        let jan5 = date(today.year(), 1, 5)?;
        let coming = if today <= jan5 {
            today.year() - 1
        } else {
            today.year()
        };
        let mut freezes = Vec::new();
        for year in [coming - 1, coming] {
            let freeze = Freeze {
                name: format!("{YEAR_END} {year}/{:02}", (year + 1) % 100),
                reason: "Year-end close: ledgers, statements and tax reporting must stay stable.",
                start: self.at(date(year, 12, 15)?, 0, 0),
                end: self.at(date(year + 1, 1, 5)?, 23, 59),
                environments,
                exempt: vec![ExemptType::Emergency],
            };
            if freeze.end >= self.now - Duration::days(PAST_DAYS) {
                freezes.push(freeze);
            }
        }
        Ok(freezes)
    }

    /// From the Wednesday before Thanksgiving 00:00 to the Monday after
    /// 23:59 local, on production: last year's when it ended within the
    /// demo's past, and this year's unless it ended more than the demo's
    /// past ago, then next year's.
    fn black_friday(&self, today: NaiveDate) -> Result<Vec<Freeze>> {
        let make = |year: i32| -> Result<Freeze> {
            let thursday = thanksgiving(year)?;
            Ok(Freeze {
                name: format!("Black Friday freeze {year}"),
                reason: "Peak card and payment volumes from Thanksgiving to Cyber Monday.",
                start: self.at(thursday - Duration::days(1), 0, 0),
                end: self.at(thursday + Duration::days(4), 23, 59),
                environments: &["production"],
                exempt: vec![ExemptType::Hotfix, ExemptType::Emergency],
            })
        };
        let since = self.now - Duration::days(PAST_DAYS);
        let last_year = make(today.year() - 1)?;
        let this_year = make(today.year())?;
        Ok(if this_year.end >= since {
            [last_year, this_year]
                .into_iter()
                .filter(|f| f.end >= since)
                .collect()
        } else {
            vec![make(today.year() + 1)?]
        })
    }
}

/// US Thanksgiving: the fourth Thursday of November.
pub fn thanksgiving(year: i32) -> Result<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, 11, Weekday::Thu, 4)
        .ok_or_else(|| anyhow!("no Thanksgiving in {year}"))
}

fn date(year: i32, month: u32, day: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| anyhow!("no {year}-{month}-{day}"))
}

fn time(hour: u32, minute: u32) -> Result<NaiveTime> {
    NaiveTime::from_hms_opt(hour, minute, 0).ok_or_else(|| anyhow!("no {hour}:{minute}"))
}

/// The recurring window's series, starting `months_back` months before today.
fn recurrence(spec: &RecurringSpec, today: NaiveDate, zone: TimeZone) -> Result<Recurrence> {
    let mut start = today
        .checked_sub_months(Months::new(spec.months_back))
        .ok_or_else(|| anyhow!("series start out of range"))?;
    if let Some(day) = spec.first_weekday {
        while start.weekday() != day {
            start += Duration::days(1);
        }
    }
    let rule = RRule::parse(spec.rrule, zone).map_err(|e| anyhow!("{}: {e}", spec.name))?;
    Recurrence::new(
        rule,
        start,
        time(spec.start.0, spec.start.1)?,
        time(spec.end.0, spec.end.1)?,
        zone,
    )
    .map_err(|e| anyhow!("{}: {e}", spec.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::catalog::{ACME, GLOBEX};
    use chrono::TimeZone as _;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .expect("instant")
    }

    #[test]
    fn thanksgiving_is_the_fourth_thursday_of_november() {
        let table = [(2024, 28), (2025, 27), (2026, 26), (2027, 25), (2030, 28)];
        for (year, day) in table {
            assert_eq!(
                thanksgiving(year).expect("date"),
                date(year, 11, day).expect("date")
            );
        }
    }

    #[test]
    fn freezes_follow_today() {
        let zone = TimeZone::parse("America/New_York").expect("zone");
        // (now, year-end freeze names, Black Friday freezes, cancelled date,
        // the blocked night's local date and whether a failover freeze
        // covers it, else the year-end freeze does)
        let table = [
            (
                at(2026, 3, 10, 15),
                vec!["Year-end freeze 2025/26", "Year-end freeze 2026/27"],
                vec!["Black Friday freeze 2025", "Black Friday freeze 2026"],
                "2026-11-26",
                ("2026-04-07", true),
            ),
            (
                at(2026, 8, 1, 15),
                vec!["Year-end freeze 2025/26", "Year-end freeze 2026/27"],
                vec!["Black Friday freeze 2025", "Black Friday freeze 2026"],
                "2026-11-26",
                ("2026-08-27", true),
            ),
            (
                at(2026, 12, 20, 15),
                vec!["Year-end freeze 2025/26", "Year-end freeze 2026/27"],
                vec!["Black Friday freeze 2026"],
                "2027-11-25",
                ("2026-12-31", false),
            ),
            (
                at(2027, 1, 3, 15),
                vec!["Year-end freeze 2025/26", "Year-end freeze 2026/27"],
                vec!["Black Friday freeze 2026", "Black Friday freeze 2027"],
                "2027-11-25",
                ("2027-01-28", true),
            ),
            (
                at(2027, 1, 10, 15),
                vec!["Year-end freeze 2026/27", "Year-end freeze 2027/28"],
                vec!["Black Friday freeze 2026", "Black Friday freeze 2027"],
                "2027-11-25",
                ("2027-02-04", true),
            ),
        ];
        for (now, year_end, black_friday, cancelled, (night, failover)) in table {
            let c = Calendar::new(&ACME, zone, now).expect("calendar");
            let names: Vec<&str> = c.freezes.iter().map(|f| f.name.as_str()).collect();
            let mut expected = year_end.clone();
            expected.extend(black_friday);
            if failover {
                expected.push(FAILOVER_NAME);
            }
            assert_eq!(names, expected, "{now}");
            assert_eq!(
                c.cancelled.map(|(d, _)| d.to_string()).as_deref(),
                Some(cancelled),
                "{now}"
            );
            let blocked = c.blocked.expect("a blocked night");
            assert_eq!(blocked.date.to_string(), night, "{now}");
        }
        let globex = Calendar::new(&GLOBEX, zone, at(2026, 3, 10, 15)).expect("calendar");
        assert!(globex.blocked.is_none());
        assert!(globex.freezes.iter().all(|f| f.name != FAILOVER_NAME));
    }

    #[test]
    fn the_blocked_night_is_inside_a_freeze_one_to_eight_weeks_ahead() {
        let zone = TimeZone::parse("America/New_York").expect("zone");
        let length = Duration::minutes(ACME.production_minutes);
        let mut now = at(2026, 1, 1, 14);
        let (mut failovers, mut year_ends) = (0, 0);
        while now < at(2028, 1, 1, 0) {
            let c = Calendar::new(&ACME, zone, now).expect("calendar");
            let night = c.blocked.expect("a blocked night");
            assert!(
                night.start >= now + Duration::days(7) && night.start <= now + Duration::days(56),
                "{now}: {night:?}"
            );
            assert!(
                c.weekly_nights(night.start, night.end).contains(&night),
                "{now}: a weekly window night"
            );
            let blocking: Vec<&Freeze> = c
                .freezes
                .iter()
                .filter(|f| f.blocks("production", "minor", night.start, night.start + length))
                .collect();
            assert_eq!(blocking.len(), 1, "{now}: one freeze blocks it");
            let others = || c.freezes.iter().filter(|f| f.name != FAILOVER_NAME);
            if blocking[0].name == FAILOVER_NAME {
                failovers += 1;
                let f = blocking[0];
                assert!(f.environments == ["production"] && f.exempt == [ExemptType::Emergency]);
                assert!(
                    others().all(|o| o.end + Duration::days(10) <= f.start
                        || f.end + Duration::days(10) <= o.start),
                    "{now}: the failover freeze stays apart from the others"
                );
            } else {
                year_ends += 1;
                assert!(blocking[0].name.starts_with(YEAR_END), "{now}");
            }
            assert_eq!(
                c.freezes.len(),
                others().count() + usize::from(blocking[0].name == FAILOVER_NAME),
                "{now}: a failover freeze only when it blocks the night"
            );
            now += Duration::days(3) + Duration::hours(7);
        }
        assert!(failovers > 0 && year_ends > 0, "{failovers} {year_ends}");
    }

    #[test]
    fn freeze_bounds_are_local_midnight_to_one_minute_before() {
        let zone = TimeZone::parse("America/New_York").expect("zone");
        let c = Calendar::new(&ACME, zone, at(2026, 6, 1, 12)).expect("calendar");
        let black_friday = c
            .freezes
            .iter()
            .find(|f| f.name == "Black Friday freeze 2026")
            .expect("freeze");
        // Wednesday 2026-11-25 00:00 EST = 05:00 UTC; Monday 11-30 23:59 EST.
        assert_eq!(black_friday.start, at(2026, 11, 25, 5));
        assert_eq!(black_friday.end, at(2026, 12, 1, 4) + Duration::minutes(59));
        assert!(black_friday.blocks("production", "minor", black_friday.start, black_friday.end));
        assert!(!black_friday.blocks("production", "hotfix", black_friday.start, black_friday.end));
        assert!(!black_friday.blocks("qa", "minor", black_friday.start, black_friday.end));
    }
}
