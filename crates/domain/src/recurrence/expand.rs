//! Expansion: the crate generates the local start date-times on the
//! floating wall clock (from a later DTSTART when the rule allows it), and
//! each local date becomes instants in the window's zone.

use super::rule::floating;
use super::{ByDay, Frequency, Occurrence, RRule, Recurrence, SeriesEnd};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Offset, TimeZone as _, Utc};
use chrono_tz::Tz;

impl Recurrence {
    /// The local start date-times of the series, in order (from the crate,
    /// on the floating wall clock). Bounded: the crate stops rules that find
    /// nothing for a very long time.
    pub(super) fn local_starts(&self) -> impl Iterator<Item = NaiveDateTime> {
        expand(&self.rule, self.series_start.and_time(self.local_start))
    }

    /// The local start date-times from `first` on: the same series as
    /// [`Self::local_starts`] from there, generated
    /// from a later DTSTART when the rule allows it, so expanding next month
    /// of a series that started years ago does not walk through those years.
    pub(super) fn local_starts_near(
        &self,
        first: NaiveDateTime,
    ) -> impl Iterator<Item = NaiveDateTime> {
        let (rule, start) = self
            .reanchored(first.date())
            .unwrap_or_else(|| (self.rule.clone(), self.series_start));
        expand(&rule, start.and_time(self.local_start)).skip_while(move |at| *at < first)
    }

    /// A rule and later series start that generate the same dates from the
    /// start of the period that holds `day` on. Periods start at a multiple of
    /// INTERVAL from the series start's period, so the crate's stepping is
    /// unchanged; the parts DTSTART implies are made explicit. A COUNT series
    /// has to be counted from its start.
    pub(super) fn reanchored(&self, day: NaiveDate) -> Option<(RRule, NaiveDate)> {
        let mut rule = self.rule.clone();
        if matches!(rule.end, SeriesEnd::Count(_)) || day <= self.series_start {
            return None;
        }
        let start = self.series_start;
        let n = i64::from(rule.interval);
        let no_days = rule.by_day.is_empty() && rule.by_month_day.is_empty();
        let anchor = match rule.freq {
            Frequency::Daily => {
                let k = (day - start).num_days() / n;
                start + Duration::days(k * n)
            }
            Frequency::Weekly => {
                if rule.by_day.is_empty() {
                    rule.by_day = vec![ByDay::every(start.weekday())];
                }
                let back = |d: NaiveDate| {
                    let days = (7 + d.weekday().num_days_from_monday()
                        - rule.week_start.num_days_from_monday())
                        % 7;
                    d - Duration::days(i64::from(days))
                };
                let week0 = back(start);
                let k = (back(day) - week0).num_weeks() / n;
                week0 + Duration::weeks(k * n)
            }
            Frequency::Monthly => {
                if no_days {
                    rule.by_month_day = vec![i8::try_from(start.day()).ok()?];
                }
                let months = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
                let k = (months(day) - months(start)) / n;
                start
                    .with_day(1)?
                    .checked_add_months(chrono::Months::new(u32::try_from(k * n).ok()?))?
            }
            Frequency::Yearly => {
                if no_days {
                    if rule.by_month.is_empty() {
                        rule.by_month = vec![u8::try_from(start.month()).ok()?];
                    }
                    rule.by_month_day = vec![i8::try_from(start.day()).ok()?];
                }
                let k = i64::from(day.year() - start.year()) / n;
                NaiveDate::from_ymd_opt(start.year() + i32::try_from(k * n).ok()?, 1, 1)?
            }
        };
        (anchor > start).then_some((rule, anchor))
    }

    /// The occurrence starting on the local date of `local_start`.
    pub(super) fn occurrence_at(
        &self,
        local_start: NaiveDateTime,
        cancelled: &[NaiveDate],
    ) -> Occurrence {
        let date = local_start.date();
        let end_date = if self.ends_next_day() {
            date.succ_opt().unwrap_or(date)
        } else {
            date
        };
        let tz = self.zone.tz();
        Occurrence {
            start: wall_clock_instant(date.and_time(self.local_start), tz),
            end: wall_clock_instant(end_date.and_time(self.local_end), tz),
            date,
            cancelled: cancelled.contains(&date),
        }
    }
}

/// The wall-clock start date-times `rule` generates from `start` on.
fn expand(rule: &RRule, start: NaiveDateTime) -> impl Iterator<Item = NaiveDateTime> + use<> {
    let start = floating(start);
    let set = rule
        .to_crate()
        .validate(start)
        .ok()
        .map(|rule| rrule::RRuleSet::new(start).rrule(rule).limit());
    set.into_iter()
        .flat_map(|set| (&set).into_iter())
        .map(|at| at.naive_utc())
}

/// The instant of a wall-clock time in `tz`: the first one when the time
/// happens twice, the first instant after the gap when the clocks skip it.
#[must_use]
pub fn wall_clock_instant(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        chrono::LocalResult::None => after_gap(local, tz),
    }
}

/// The instant the clocks jump over the skipped wall-clock time `local`.
fn after_gap(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    let offset_at =
        |t: NaiveDateTime| i64::from(tz.offset_from_utc_datetime(&t).fix().local_minus_utc());
    let before = offset_at(local - Duration::days(1));
    let after = offset_at(local + Duration::days(1));
    if after > before {
        // The jump T satisfies T + before <= local < T + after.
        let mut lo = local - Duration::seconds(after);
        let mut hi = local - Duration::seconds(before);
        while hi - lo > Duration::seconds(1) {
            let mid = lo + (hi - lo) / 2;
            if offset_at(mid) == before {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return Utc.from_utc_datetime(&hi);
    }
    // Two changes within a day (never seen in practice): the next minute
    // that exists.
    (1..=2 * 24 * 60)
        .map(|m| local + Duration::minutes(m))
        .find_map(|t| match tz.from_local_datetime(&t) {
            chrono::LocalResult::Single(x) | chrono::LocalResult::Ambiguous(x, _) => {
                Some(x.with_timezone(&Utc))
            }
            chrono::LocalResult::None => None,
        })
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}
