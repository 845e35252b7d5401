//! The window form's presets: the everyday rules as plain choices, each
//! turned into an RRULE; a stored rule is recognised back as its preset
//! (anything else is shown in the advanced RRULE field).

use super::{ByDay, Frequency, MAX_COUNT, MAX_INTERVAL, RRule, SeriesEnd};
use chrono::{NaiveDate, NaiveTime, Weekday};

/// A rule as the form offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preset {
    Daily,
    /// Every week on these days.
    Weekly {
        days: Vec<Weekday>,
    },
    /// Every `interval` weeks on these days.
    EveryNWeeks {
        interval: u16,
        days: Vec<Weekday>,
    },
    /// Monthly on the nth weekday: `nth` 1–4, or -1 for the last.
    MonthlyNth {
        nth: i16,
        weekday: Weekday,
    },
    /// Every year on this date.
    Yearly {
        month: u8,
        day: u8,
    },
}

/// When the series stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ends {
    Never,
    /// The last occurrence starts on this local date at the latest.
    OnDate(NaiveDate),
    /// After this many occurrences.
    After(u32),
}

/// The ordinals the monthly preset offers.
pub const MONTHLY_NTHS: [i16; 5] = [1, 2, 3, 4, -1];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresetError {
    #[error("choose at least one day of the week")]
    NoDays,
    #[error("repeat every 1 to {MAX_INTERVAL} weeks")]
    Interval,
    #[error("choose first, second, third, fourth or last")]
    Nth,
    #[error("this month has no such day")]
    Day,
    #[error("repeat 1 to {MAX_COUNT} times")]
    Count,
}

impl Ends {
    /// The rule's end for this choice.
    pub fn series_end(self) -> Result<SeriesEnd, PresetError> {
        Ok(match self {
            Ends::Never => SeriesEnd::Never,
            Ends::OnDate(date) => SeriesEnd::Until(date.and_time(end_of_day())),
            Ends::After(n) if (1..=MAX_COUNT).contains(&n) => SeriesEnd::Count(n),
            Ends::After(_) => return Err(PresetError::Count),
        })
    }

    /// The form's choice for a rule's end (`None`: only the RRULE field can
    /// say it, e.g. UNTIL at a time of day).
    #[must_use]
    pub fn of(end: SeriesEnd) -> Option<Self> {
        match end {
            SeriesEnd::Never => Some(Ends::Never),
            SeriesEnd::Count(n) => Some(Ends::After(n)),
            SeriesEnd::Until(at) if at.time() == end_of_day() => Some(Ends::OnDate(at.date())),
            SeriesEnd::Until(_) => None,
        }
    }
}

fn end_of_day() -> NaiveTime {
    NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN)
}

fn sorted(days: &[Weekday]) -> Result<Vec<ByDay>, PresetError> {
    let mut days = days.to_vec();
    days.sort_by_key(Weekday::num_days_from_monday);
    days.dedup();
    if days.is_empty() {
        return Err(PresetError::NoDays);
    }
    Ok(days.into_iter().map(ByDay::every).collect())
}

impl Preset {
    /// The RRULE of this preset, ending as `ends` says.
    pub fn rule(&self, ends: Ends) -> Result<RRule, PresetError> {
        let mut rule = match self {
            Preset::Daily => RRule::new(Frequency::Daily, 1),
            Preset::Weekly { days } => {
                let mut r = RRule::new(Frequency::Weekly, 1);
                r.by_day = sorted(days)?;
                r
            }
            Preset::EveryNWeeks { interval, days } => {
                if !(1..=MAX_INTERVAL).contains(interval) {
                    return Err(PresetError::Interval);
                }
                let mut r = RRule::new(Frequency::Weekly, *interval);
                r.by_day = sorted(days)?;
                r
            }
            Preset::MonthlyNth { nth, weekday } => {
                if !MONTHLY_NTHS.contains(nth) {
                    return Err(PresetError::Nth);
                }
                let mut r = RRule::new(Frequency::Monthly, 1);
                r.by_day = vec![ByDay::nth(*nth, *weekday)];
                r
            }
            Preset::Yearly { month, day } => {
                // 2000 is a leap year: 29 February is a real (four-yearly) date.
                if NaiveDate::from_ymd_opt(2000, u32::from(*month), u32::from(*day)).is_none() {
                    return Err(PresetError::Day);
                }
                let mut r = RRule::new(Frequency::Yearly, 1);
                r.by_month = vec![*month];
                r.by_month_day = vec![i8::try_from(*day).map_err(|_| PresetError::Day)?];
                r
            }
        };
        rule.end = ends.series_end()?;
        Ok(rule)
    }

    /// The preset and end choice that produce exactly `rule`, if any.
    #[must_use]
    pub fn of(rule: &RRule) -> Option<(Preset, Ends)> {
        let ends = Ends::of(rule.end)?;
        if rule.week_start != Weekday::Mon {
            return None;
        }
        let plain_days = || -> Option<Vec<Weekday>> {
            (!rule.by_day.is_empty() && rule.by_day.iter().all(|d| d.nth.is_none()))
                .then(|| rule.by_day.iter().map(|d| d.weekday).collect())
        };
        let no_month_parts = rule.by_month.is_empty() && rule.by_month_day.is_empty();
        let preset = match rule.freq {
            Frequency::Daily if rule.interval == 1 && no_month_parts && rule.by_day.is_empty() => {
                Preset::Daily
            }
            Frequency::Weekly if no_month_parts => {
                let days = plain_days()?;
                if rule.interval == 1 {
                    Preset::Weekly { days }
                } else {
                    Preset::EveryNWeeks {
                        interval: rule.interval,
                        days,
                    }
                }
            }
            Frequency::Monthly if rule.interval == 1 && no_month_parts => match rule.by_day[..] {
                [
                    ByDay {
                        nth: Some(nth),
                        weekday,
                    },
                ] if MONTHLY_NTHS.contains(&nth) => Preset::MonthlyNth { nth, weekday },
                _ => return None,
            },
            Frequency::Yearly if rule.interval == 1 && rule.by_day.is_empty() => {
                match (&rule.by_month[..], &rule.by_month_day[..]) {
                    ([month], [day]) if *day > 0 => Preset::Yearly {
                        month: *month,
                        day: day.unsigned_abs(),
                    },
                    _ => return None,
                }
            }
            _ => return None,
        };
        Some((preset, ends))
    }
}
