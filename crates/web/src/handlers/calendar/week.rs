//! The week view: seven day columns of 48 half-hour rows. Items are placed
//! at their local times; one that crosses midnight (a 22:00–02:00 window, a
//! late deployment) is drawn on both days, marked as continuing. Each day is
//! a CSS grid: a narrow first column for release windows, then one column
//! per lane of deployments and milestones (so nothing hides another);
//! freezes shade the whole day behind them and run as bands above. Placement
//! uses classes (`wr-{row}`, `ws-{span}`, `wl-{lane}`, `lanes-{n}`): the
//! CSP forbids style="".

use super::agenda::{Item, Kind, production_frozen};
use super::month::{Band, bands};
use super::period::{Period, long_date, midnight};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

/// Half-hour rows of a day.
pub const ROWS: usize = 48;
/// Deployment/milestone lanes of a day at most; more share the last lanes.
pub const MAX_LANES: usize = 6;

/// An item's part on one day.
#[derive(Debug, Clone)]
pub struct Block {
    /// First half-hour row (1–48) and rows covered.
    pub row: usize,
    pub span: usize,
    /// 0: the window column; 1..: lanes.
    pub lane: usize,
    pub item: Item,
    /// Began the day before / goes on the day after.
    pub before: bool,
    pub after: bool,
    /// This part's local times, `22:00–00:00`.
    pub times: String,
}

#[derive(Debug, Clone)]
pub struct WeekDay {
    pub iso: String,
    /// `Tue 24`
    pub heading: String,
    pub long: String,
    pub today: bool,
    pub production_frozen: bool,
    pub lanes: usize,
    /// Freeze shading behind the day.
    pub shades: Vec<Block>,
    /// Release windows (column 0).
    pub windows: Vec<Block>,
    /// Deployments and milestones.
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub struct WeekGrid {
    pub days: Vec<WeekDay>,
    /// Freezes (and day-long windows) across the days, above the hours.
    pub bands: Vec<Band>,
    /// (row, `09:00`) of every hour.
    pub hours: Vec<(usize, String)>,
}

/// Minutes on the wall clock since local midnight of `date` (0–1440).
fn wall_minutes(at: DateTime<Utc>, date: NaiveDate, tz: Tz) -> i64 {
    let local = at.with_timezone(&tz).naive_local();
    (local - date.and_time(NaiveTime::MIN))
        .num_minutes()
        .clamp(0, 24 * 60)
}

/// The part of `item` on local `date` (from `from` to `to`), if any.
fn segment(
    item: &Item,
    date: NaiveDate,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    tz: Tz,
) -> Option<Block> {
    if !item.touches(from, to) {
        return None;
    }
    let start = item.start.max(from);
    let end = if item.start == item.end {
        item.end
    } else {
        item.end.min(to)
    };
    let first = wall_minutes(start, date, tz);
    let last = if end == to {
        24 * 60
    } else {
        wall_minutes(end, date, tz)
    };
    let row = usize::try_from(first / 30).unwrap_or(0).min(ROWS - 1) + 1;
    let end_row = usize::try_from((last + 29) / 30).unwrap_or(0) + 1;
    let span = end_row.saturating_sub(row).clamp(1, ROWS + 1 - row);
    let before = item.start < from;
    let after = item.end > to;
    let times = if item.start == item.end {
        item.times()
    } else {
        let fmt = |t: DateTime<Utc>, edge: bool| {
            if edge {
                "00:00".to_owned()
            } else {
                t.with_timezone(&tz).format("%H:%M").to_string()
            }
        };
        format!("{}–{}", fmt(start, before), fmt(end, after))
    };
    Some(Block {
        row,
        span,
        lane: 0,
        item: item.clone(),
        before,
        after,
        times,
    })
}

/// Puts `blocks` (sorted by row) in lanes 1..; returns the lanes used.
fn assign_lanes(blocks: &mut [Block]) -> usize {
    let mut ends: Vec<usize> = Vec::new();
    for b in blocks.iter_mut() {
        let lane = ends.iter().position(|&e| e <= b.row).unwrap_or_else(|| {
            if ends.len() < MAX_LANES {
                ends.push(0);
                ends.len() - 1
            } else {
                // Full: the lane that frees up first.
                (0..ends.len()).min_by_key(|&i| ends[i]).unwrap_or(0)
            }
        });
        ends[lane] = ends[lane].max(b.row + b.span);
        b.lane = lane + 1;
    }
    ends.len().max(1)
}

/// Lays out the week of `period` (a [`super::period::View::Week`]).
#[must_use]
pub fn layout(period: &Period, items: &[Item], today: NaiveDate, tz: Tz) -> WeekGrid {
    let bands = bands(items, period.first, 7, tz);
    let days = period
        .dates()
        .map(|date| {
            let bounds = (
                midnight(date, tz),
                midnight(date.succ_opt().unwrap_or(date), tz),
            );
            let mut shades = Vec::new();
            let mut windows = Vec::new();
            let mut blocks = Vec::new();
            for item in items {
                let Some(block) = segment(item, date, bounds, tz) else {
                    continue;
                };
                match item.kind {
                    Kind::Freeze => shades.push(block),
                    Kind::Window if item.is_band() => shades.push(block),
                    Kind::Window => windows.push(block),
                    Kind::Deployment | Kind::Milestone => blocks.push(block),
                }
            }
            blocks.sort_by_key(|b| (b.row, b.item.kind, usize::MAX - b.span));
            let lanes = assign_lanes(&mut blocks);
            WeekDay {
                iso: date.to_string(),
                heading: date.format("%a %-d").to_string(),
                long: format!("{} {}", date.format("%A"), long_date(date)),
                today: date == today,
                production_frozen: production_frozen(items, date, tz),
                lanes,
                shades,
                windows,
                blocks,
            }
        })
        .collect();
    let hours = (0..24).map(|h| (h * 2 + 1, format!("{h:02}:00"))).collect();
    WeekGrid { days, bands, hours }
}

#[cfg(test)]
mod tests {
    use super::super::period::View;
    use super::*;
    use chrono::{TimeZone as _, Weekday};

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("instant")
    }

    fn item(kind: Kind, start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> Item {
        Item {
            kind,
            start,
            end,
            href: String::new(),
            label: String::new(),
            detail: String::new(),
            colour: String::new(),
            status: None,
            flag: None,
            covers_production: false,
            cancelled: false,
            tz,
            notes: Vec::new(),
        }
    }

    #[test]
    fn items_crossing_midnight_are_drawn_on_both_days() {
        let ny: Tz = "America/New_York".parse().expect("zone");
        let date = NaiveDate::from_ymd_opt(2026, 11, 17).expect("date");
        let period = Period::new(View::Week, date, Weekday::Mon, 1, ny);
        // Tuesday 17 Nov 22:00–02:00 EST (03:00–07:00 UTC on the 18th).
        let window = item(
            Kind::Window,
            at(2026, 11, 18, 3, 0),
            at(2026, 11, 18, 7, 0),
            ny,
        );
        // Two deployments at 22:00 and 22:30 local, and a milestone at 17:00.
        let a = item(
            Kind::Deployment,
            at(2026, 11, 18, 3, 0),
            at(2026, 11, 18, 4, 0),
            ny,
        );
        let b = item(
            Kind::Deployment,
            at(2026, 11, 18, 3, 30),
            at(2026, 11, 18, 4, 15),
            ny,
        );
        let m = item(
            Kind::Milestone,
            at(2026, 11, 17, 22, 0),
            at(2026, 11, 17, 22, 0),
            ny,
        );
        let grid = layout(&period, &[window, a, b, m], date, ny);
        let tue = &grid.days[1];
        assert_eq!(tue.heading, "Tue 17");
        let w = &tue.windows[0];
        assert_eq!((w.row, w.span, w.before, w.after), (45, 4, false, true));
        assert_eq!(w.times, "22:00–00:00");
        let wed = &grid.days[2];
        let w = &wed.windows[0];
        assert_eq!((w.row, w.span, w.before, w.after), (1, 4, true, false));
        assert_eq!(w.times, "00:00–02:00");
        // 17:00 milestone, then two overlapping deployments in two lanes.
        let rows: Vec<(usize, usize, usize)> =
            tue.blocks.iter().map(|b| (b.row, b.span, b.lane)).collect();
        assert_eq!(rows, vec![(35, 1, 1), (45, 2, 1), (46, 2, 2)]);
        assert_eq!(tue.blocks[0].times, "17:00");
        assert_eq!(tue.lanes, 2);
        assert_eq!(grid.days[0].lanes, 1);
        assert_eq!(grid.hours[22], (45, "22:00".to_owned()));
    }

    #[test]
    fn the_fall_back_night_keeps_wall_clock_rows() {
        let ny: Tz = "America/New_York".parse().expect("zone");
        let date = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date");
        let period = Period::new(View::Week, date, Weekday::Sun, 1, ny);
        // 2026-11-01 03:00–04:00 EST (after the clocks went back at 02:00).
        let d = item(
            Kind::Deployment,
            at(2026, 11, 1, 8, 0),
            at(2026, 11, 1, 9, 0),
            ny,
        );
        let grid = layout(&period, &[d], date, ny);
        let b = &grid.days[0].blocks[0];
        assert_eq!((b.row, b.span), (7, 2));
    }
}
