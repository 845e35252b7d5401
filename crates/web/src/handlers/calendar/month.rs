//! The month view: six weeks of seven days. Each week is one CSS grid of
//! seven columns: a row of day headings, a row per lane of bands (freezes,
//! and release windows of a day or more, drawn across the days they cover),
//! and a row of chips (release windows, deployments, milestones) on the day
//! they start. Cells place themselves with classes (`mc-c{column}`,
//! `mc-s{span}`, `mb-r{row}`, `mi-r{row}`): the CSP forbids style="".

use super::agenda::{Item, production_frozen};
use super::period::{Period, long_date, midnight};
use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use std::collections::HashMap;

/// A busy day shows this many chips at most; with more it shows one fewer
/// and "+N more".
pub const CHIPS_PER_DAY: usize = 4;
/// Band lanes per week; bands beyond share the last lane.
pub const BAND_LANES: usize = 3;

/// A band across some days of one week.
#[derive(Debug, Clone)]
pub struct Band {
    /// First column (1–7) and number of columns.
    pub col: usize,
    pub span: usize,
    /// Grid row (2 = first lane).
    pub row: usize,
    pub item: Item,
    /// It began before this week / goes on after it.
    pub before: bool,
    pub after: bool,
}

#[derive(Debug, Clone)]
pub struct DayCell {
    pub col: usize,
    /// `2026-11-24`
    pub iso: String,
    pub number: u32,
    /// `Tuesday 24 November 2026`
    pub long: String,
    pub in_month: bool,
    pub today: bool,
    /// A freeze covering production touches the day.
    pub production_frozen: bool,
    pub chips: Vec<Item>,
    /// Chips not shown ("+N more").
    pub more: usize,
}

#[derive(Debug, Clone)]
pub struct WeekRow {
    pub days: Vec<DayCell>,
    pub bands: Vec<Band>,
    /// The grid row of the chips (after the band lanes).
    pub chips_row: usize,
}

#[derive(Debug, Clone)]
pub struct MonthGrid {
    /// Short weekday names from the tenant's week start.
    pub weekdays: Vec<String>,
    pub weeks: Vec<WeekRow>,
}

/// Bands of `items` across the seven days from `first`, in lanes.
#[must_use]
pub fn bands(items: &[Item], first: NaiveDate, days: usize, tz: Tz) -> Vec<Band> {
    let dates: Vec<NaiveDate> = first.iter_days().take(days).collect();
    let starts: Vec<_> = dates.iter().map(|d| midnight(*d, tz)).collect();
    let end = midnight(first + chrono::Days::new(days as u64), tz);
    let mut out: Vec<Band> = Vec::new();
    let mut lanes_end: Vec<usize> = Vec::new();
    for item in items.iter().filter(|i| i.is_band()) {
        let touched: Vec<usize> = (0..days)
            .filter(|&i| {
                let to = starts.get(i + 1).copied().unwrap_or(end);
                item.touches(starts[i], to)
            })
            .collect();
        let (Some(&a), Some(&b)) = (touched.first(), touched.last()) else {
            continue;
        };
        let lane = lanes_end.iter().position(|&e| e <= a).unwrap_or_else(|| {
            if lanes_end.len() < BAND_LANES {
                lanes_end.push(0);
                lanes_end.len() - 1
            } else {
                BAND_LANES - 1
            }
        });
        lanes_end[lane] = lanes_end[lane].max(b + 1);
        out.push(Band {
            col: a + 1,
            span: b - a + 1,
            row: lane + 2,
            item: item.clone(),
            before: item.start < starts[a],
            after: item.end > starts.get(b + 1).copied().unwrap_or(end),
        });
    }
    out
}

/// Lays out the month of `period` (a [`super::period::View::Month`]).
#[must_use]
pub fn layout(period: &Period, items: &[Item], today: NaiveDate, tz: Tz) -> MonthGrid {
    let month = period.date.month();
    let weekdays = period
        .first
        .iter_days()
        .take(7)
        .map(|d| d.format("%a").to_string())
        .collect();
    // Chips by the local day they start on, in one pass (a busy month
    // holds thousands of items; each day draws a few).
    let mut by_day: HashMap<NaiveDate, Vec<&Item>> = HashMap::new();
    for item in items.iter().filter(|i| !i.is_band()) {
        by_day.entry(item.start_date()).or_default().push(item);
    }
    let mut weeks = Vec::new();
    let all: Vec<NaiveDate> = period.dates().collect();
    for week in all.chunks(7) {
        let bands = bands(items, week[0], 7, tz);
        let lanes = bands.iter().map(|b| b.row - 1).max().unwrap_or(0);
        let days = week
            .iter()
            .enumerate()
            .map(|(i, &date)| {
                let chips = by_day.get(&date).map_or(&[][..], Vec::as_slice);
                day_cell(i + 1, date, chips, month, today, items, tz)
            })
            .collect();
        weeks.push(WeekRow {
            days,
            bands,
            chips_row: lanes + 2,
        });
    }
    MonthGrid { weekdays, weeks }
}

fn day_cell(
    col: usize,
    date: NaiveDate,
    chips: &[&Item],
    month: u32,
    today: NaiveDate,
    items: &[Item],
    tz: Tz,
) -> DayCell {
    let (shown, more) = if chips.len() > CHIPS_PER_DAY {
        (CHIPS_PER_DAY - 1, chips.len() - (CHIPS_PER_DAY - 1))
    } else {
        (chips.len(), 0)
    };
    let chips = chips[..shown].iter().map(|&i| i.clone()).collect();
    DayCell {
        col,
        iso: date.to_string(),
        number: date.day(),
        long: format!("{} {}", date.format("%A"), long_date(date)),
        in_month: date.month() == month,
        today: date == today,
        production_frozen: production_frozen(items, date, tz),
        chips,
        more,
    }
}

#[cfg(test)]
mod tests {
    use super::super::agenda::Kind;
    use super::super::period::View;
    use super::*;
    use chrono::{DateTime, TimeZone as _, Utc, Weekday};

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
            .single()
            .expect("instant")
    }

    fn item(kind: Kind, start: DateTime<Utc>, end: DateTime<Utc>, label: &str) -> Item {
        Item {
            kind,
            start,
            end,
            href: String::new(),
            label: label.to_owned(),
            detail: String::new(),
            colour: String::new(),
            status: None,
            flag: None,
            covers_production: kind == Kind::Freeze,
            cancelled: false,
            tz: Tz::UTC,
            notes: Vec::new(),
        }
    }

    #[test]
    fn freezes_are_bands_across_weeks_and_mark_production_days() {
        let utc: Tz = "UTC".parse().expect("zone");
        let date = NaiveDate::from_ymd_opt(2026, 12, 10).expect("date");
        let period = Period::new(View::Month, date, Weekday::Mon, 1, utc);
        // 2026-11-30 (Mon) is the first day shown.
        let freeze = item(
            Kind::Freeze,
            at(2026, 12, 15, 0),
            at(2027, 1, 5, 23),
            "Year-end",
        );
        let deploy = item(
            Kind::Deployment,
            at(2026, 12, 1, 22),
            at(2026, 12, 1, 23),
            "PAY 1.0.0",
        );
        let grid = layout(&period, &[freeze, deploy], date, utc);
        assert_eq!(grid.weeks.len(), 6);
        assert_eq!(grid.weekdays[0], "Mon");
        // Week 3 (14–20 Dec): from Tuesday to Sunday, continuing after.
        let b = &grid.weeks[2].bands[0];
        assert_eq!(
            (b.col, b.span, b.row, b.before, b.after),
            (2, 6, 2, false, true)
        );
        assert_eq!(grid.weeks[2].chips_row, 3);
        // Week 4: the whole week, continued from before.
        let b = &grid.weeks[3].bands[0];
        assert_eq!((b.col, b.span, b.before, b.after), (1, 7, true, true));
        assert!(!grid.weeks[2].days[0].production_frozen);
        assert!(grid.weeks[2].days[1].production_frozen);
        assert_eq!(
            grid.weeks[0].chips_row, 2,
            "no bands: chips right under the heading"
        );
        assert_eq!(grid.weeks[0].days[1].chips.len(), 1);
        assert!(!grid.weeks[0].days[0].in_month);
    }

    #[test]
    fn busy_days_show_their_first_chips_and_count_the_rest() {
        let utc: Tz = "UTC".parse().expect("zone");
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).expect("date");
        let period = Period::new(View::Month, date, Weekday::Mon, 1, utc);
        for (n, shown, more) in [(4, 4, 0), (5, 3, 2), (9, 3, 6)] {
            let items: Vec<Item> = (0..n)
                .map(|i| {
                    item(
                        Kind::Deployment,
                        at(2026, 12, 1, i),
                        at(2026, 12, 1, i + 1),
                        "X",
                    )
                })
                .collect();
            let grid = layout(&period, &items, date, utc);
            let day = &grid.weeks[0].days[1];
            assert_eq!((day.chips.len(), day.more), (shown, more), "{n} items");
        }
    }
}
