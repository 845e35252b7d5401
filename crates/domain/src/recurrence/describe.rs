//! A recurring window in plain English ("Every other Tuesday and Thursday,
//! 22:00–02:00 America/New_York"). The `rrule` crate has no describer, so
//! this covers exactly the subset [`super::RRule`] accepts.

use super::{ByDay, Frequency, Recurrence, SeriesEnd};
use crate::tenant::{MONTH_NAMES, WEEKDAY_NAMES};
use chrono::{Datelike, NaiveDate, Weekday};

pub(super) fn describe(r: &Recurrence) -> String {
    let mut text = format!(
        "{}, {}–{} {}",
        pattern(r),
        r.local_start().format("%H:%M"),
        r.local_end().format("%H:%M"),
        r.zone().name()
    );
    match r.rule().end {
        SeriesEnd::Never => {}
        SeriesEnd::Count(1) => text.push_str(", once"),
        SeriesEnd::Count(n) => text.push_str(&format!(", {n} times")),
        SeriesEnd::Until(until) => {
            // The last date an occurrence can start on.
            let last = if until.time() >= r.local_start() {
                until.date()
            } else {
                until.date().pred_opt().unwrap_or(until.date())
            };
            text.push_str(&format!(" until {}", long_date(last)));
        }
    }
    text
}

/// `31 March 2027`.
#[must_use]
pub fn long_date(date: NaiveDate) -> String {
    format!(
        "{} {} {}",
        date.day(),
        month_name(date.month()),
        date.year()
    )
}

fn pattern(r: &Recurrence) -> String {
    let rule = r.rule();
    let start = r.series_start();
    let n = rule.interval;
    let months = in_months(&rule.by_month);
    match rule.freq {
        Frequency::Daily if rule.by_day.is_empty() => {
            format!(
                "{}{}{}",
                every(n, "day", "days"),
                on_month_days(&rule.by_month_day),
                months
            )
        }
        Frequency::Daily if n == 1 => format!("{}{}", weekly_days(&weekdays(&rule.by_day)), months),
        Frequency::Daily => format!(
            "{} on {}{}",
            every(n, "day", "days"),
            and_list(weekdays(&rule.by_day).into_iter().map(weekday_name)),
            months
        ),
        Frequency::Weekly => {
            let days = if rule.by_day.is_empty() {
                vec![start.weekday()]
            } else {
                weekdays(&rule.by_day)
            };
            let names = and_list(days.iter().copied().map(weekday_name));
            let base = match n {
                1 => weekly_days(&days),
                2 => format!("Every other {names}"),
                _ => format!("Every {n} weeks on {names}"),
            };
            format!("{base}{months}")
        }
        Frequency::Monthly => {
            let prefix = match n {
                1 => "Monthly".to_owned(),
                2 => "Every other month".to_owned(),
                _ => format!("Every {n} months"),
            };
            let on = match (rule.by_day.is_empty(), rule.by_month_day.is_empty()) {
                (true, true) => format!("the {}", month_day(start.day())),
                (true, false) => format!("the {}", month_days(&rule.by_month_day)),
                (false, true) => by_day_phrase(&rule.by_day),
                (false, false) => format!(
                    "{} when it is the {}",
                    by_day_phrase(&rule.by_day),
                    month_days(&rule.by_month_day)
                ),
            };
            format!("{prefix} on {on}{months}")
        }
        Frequency::Yearly => {
            let prefix = every(n, "year", "years");
            let on = match (rule.by_day.is_empty(), rule.by_month_day.is_empty()) {
                (true, true) => {
                    let months: Vec<u8> = if rule.by_month.is_empty() {
                        vec![month_number(start.month())]
                    } else {
                        rule.by_month.clone()
                    };
                    let day = start.day();
                    and_list(
                        months
                            .iter()
                            .map(|m| format!("{day} {}", month_name(u32::from(*m)))),
                    )
                }
                (true, false) => match (rule.by_month.as_slice(), rule.by_month_day.as_slice()) {
                    ([m], [d]) if *d > 0 => format!("{d} {}", month_name(u32::from(*m))),
                    ([], days) => format!("the {} of every month", month_days(days)),
                    (months, days) => format!("the {} of {}", month_days(days), month_list(months)),
                },
                (false, month_days_empty) => {
                    let of = if rule.by_month.is_empty() {
                        "the year".to_owned()
                    } else {
                        month_list(&rule.by_month)
                    };
                    let days = by_day_phrase(&rule.by_day);
                    if month_days_empty {
                        format!("{days} of {of}")
                    } else {
                        format!(
                            "{days} of {of} when it is the {}",
                            month_days(&rule.by_month_day)
                        )
                    }
                }
            };
            format!("{prefix} on {on}")
        }
    }
}

fn month_number(m: u32) -> u8 {
    u8::try_from(m).unwrap_or(1)
}

/// "Every day", "Every other week", "Every 3 months".
fn every(n: u16, one: &str, many: &str) -> String {
    match n {
        1 => format!("Every {one}"),
        2 => format!("Every other {one}"),
        _ => format!("Every {n} {many}"),
    }
}

/// "Every Tuesday and Thursday", "Every weekday", "Every day".
fn weekly_days(days: &[Weekday]) -> String {
    use Weekday::{Fri, Mon, Thu, Tue, Wed};
    if days.len() == 7 {
        return "Every day".to_owned();
    }
    if days == [Mon, Tue, Wed, Thu, Fri] {
        return "Every weekday".to_owned();
    }
    format!("Every {}", and_list(days.iter().copied().map(weekday_name)))
}

fn weekdays(by_day: &[ByDay]) -> Vec<Weekday> {
    let mut days: Vec<Weekday> = by_day.iter().map(|d| d.weekday).collect();
    days.sort_by_key(Weekday::num_days_from_monday);
    days.dedup();
    days
}

/// "the second Tuesday", "the first and third Monday", "every Monday",
/// "the first Monday and the last Friday".
fn by_day_phrase(by_day: &[ByDay]) -> String {
    let parts = weekdays(by_day).into_iter().map(|day| {
        let nths: Vec<Option<i16>> = by_day
            .iter()
            .filter(|d| d.weekday == day)
            .map(|d| d.nth)
            .collect();
        if nths.contains(&None) {
            format!("every {}", weekday_name(day))
        } else {
            let words = and_list(nths.into_iter().flatten().map(ordinal));
            format!("the {words} {}", weekday_name(day))
        }
    });
    and_list(parts)
}

/// " in March and September", or nothing.
fn in_months(months: &[u8]) -> String {
    if months.is_empty() {
        String::new()
    } else {
        format!(" in {}", month_list(months))
    }
}

fn month_list(months: &[u8]) -> String {
    and_list(months.iter().map(|m| month_name(u32::from(*m)).to_owned()))
}

/// " on the 1st and 15th", or nothing.
fn on_month_days(days: &[i8]) -> String {
    if days.is_empty() {
        String::new()
    } else {
        format!(" on the {}", month_days(days))
    }
}

/// "1st and 15th", "last day".
fn month_days(days: &[i8]) -> String {
    and_list(days.iter().map(|d| match *d {
        -1 => "last day".to_owned(),
        d if d < 0 => format!("{} day", ordinal(i16::from(d))),
        d => month_day(u32::from(d.unsigned_abs())),
    }))
}

/// "1st", "2nd", "3rd", "11th", "22nd".
fn month_day(d: u32) -> String {
    let suffix = match (d % 10, d % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{d}{suffix}")
}

/// "first", "second", ..., "last", "second-to-last", "20th".
fn ordinal(n: i16) -> String {
    const WORDS: [&str; 5] = ["first", "second", "third", "fourth", "fifth"];
    match n {
        -1 => "last".to_owned(),
        1..=5 => WORDS[usize::from(n.unsigned_abs()) - 1].to_owned(),
        -5..=-2 => format!("{}-to-last", WORDS[usize::from(n.unsigned_abs()) - 1]),
        n if n > 0 => month_day(u32::from(n.unsigned_abs())),
        n => format!("{}-to-last", month_day(u32::from(n.unsigned_abs()))),
    }
}

fn weekday_name(day: Weekday) -> String {
    WEEKDAY_NAMES[day.num_days_from_monday() as usize].to_owned()
}

fn month_name(month: u32) -> &'static str {
    MONTH_NAMES
        .get((month as usize).wrapping_sub(1))
        .copied()
        .unwrap_or("?")
}

/// "a", "a and b", "a, b and c".
fn and_list(items: impl IntoIterator<Item = String>) -> String {
    let items: Vec<String> = items.into_iter().collect();
    match items.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
