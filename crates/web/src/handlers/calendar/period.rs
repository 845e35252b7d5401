//! Which days a calendar view shows: the view (`month`, `week`, `quarter`,
//! `day`), its local days in the viewer's zone, the instants they span, its
//! title, and the dates of the previous and next periods.

use almanac_domain::recurrence::wall_clock_instant;
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

/// The calendar views.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Month,
    Week,
    Quarter,
    /// Everything of one day (where a busy month day's "+N more" leads).
    Day,
}

impl View {
    /// The views offered as tabs (the day view is reached from a day).
    pub const TABS: [View; 4] = [View::Month, View::Week, View::Quarter, View::Day];

    /// The `view=` value; anything unknown is the month.
    #[must_use]
    pub fn parse(input: &str) -> Self {
        match input.trim() {
            "week" => View::Week,
            "quarter" => View::Quarter,
            "day" => View::Day,
            _ => View::Month,
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            View::Month => "month",
            View::Week => "week",
            View::Quarter => "quarter",
            View::Day => "day",
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            View::Month => "Month",
            View::Week => "Week",
            View::Quarter => "Quarter",
            View::Day => "Day",
        }
    }
}

/// The local days a view shows and the instants they cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub view: View,
    /// The date asked for (the month view shows its month).
    pub date: NaiveDate,
    /// First local day shown.
    pub first: NaiveDate,
    /// Number of local days shown.
    pub days: u32,
    /// Local midnight of `first` to local midnight after the last day.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// "November 2026", "Week of 23 November 2026", ...
    pub title: String,
    /// The dates the previous / next links ask for.
    pub prev: NaiveDate,
    pub next: NaiveDate,
}

/// The instant local `date` starts in `tz` (the first instant after the gap
/// where the clocks skip midnight).
#[must_use]
pub fn midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    wall_clock_instant(date.and_time(NaiveTime::MIN), tz)
}

/// `24 November 2026`
#[must_use]
pub fn long_date(date: NaiveDate) -> String {
    date.format("%-d %B %Y").to_string()
}

/// The day `week_start` on or before `date`.
#[must_use]
pub fn week_of(date: NaiveDate, week_start: Weekday) -> NaiveDate {
    let back = (7 + date.weekday().num_days_from_monday() - week_start.num_days_from_monday()) % 7;
    date - Days::new(u64::from(back))
}

fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

fn add_months(date: NaiveDate, n: i32) -> NaiveDate {
    let shifted = if n >= 0 {
        date.checked_add_months(Months::new(n.unsigned_abs()))
    } else {
        date.checked_sub_months(Months::new(n.unsigned_abs()))
    };
    shifted.unwrap_or(date)
}

/// The first day of the (fiscal) quarter holding `date`, and the quarter's
/// number in the fiscal year starting in month `fiscal_start` (1–12).
#[must_use]
pub fn quarter_of(date: NaiveDate, fiscal_start: u32) -> (NaiveDate, u32) {
    let fiscal_start = fiscal_start.clamp(1, 12);
    let into_year = (date.month() + 12 - fiscal_start) % 12;
    let start = add_months(
        month_start(date),
        -i32::try_from(into_year % 3).unwrap_or(0),
    );
    (start, into_year / 3 + 1)
}

impl Period {
    /// The period of `view` holding `date`, in `tz`, with weeks starting on
    /// `week_start` and quarters in the fiscal year starting in month
    /// `fiscal_start`.
    #[must_use]
    pub fn new(
        view: View,
        date: NaiveDate,
        week_start: Weekday,
        fiscal_start: u32,
        tz: Tz,
    ) -> Self {
        let (first, days, title, prev, next) = match view {
            View::Month => {
                let start = month_start(date);
                (
                    week_of(start, week_start),
                    42,
                    start.format("%B %Y").to_string(),
                    add_months(start, -1),
                    add_months(start, 1),
                )
            }
            View::Week => {
                let first = week_of(date, week_start);
                (
                    first,
                    7,
                    format!("Week of {}", long_date(first)),
                    first - Days::new(7),
                    first + Days::new(7),
                )
            }
            View::Quarter => {
                let (start, n) = quarter_of(date, fiscal_start);
                let end = add_months(start, 3);
                let last = end - Days::new(1);
                let days = u32::try_from((end - start).num_days()).unwrap_or(92);
                let fiscal = if fiscal_start == 1 { "" } else { "fiscal " };
                let title = if start.year() == last.year() {
                    format!(
                        "{fiscal}Q{n}: {} – {}",
                        start.format("%B"),
                        last.format("%B %Y")
                    )
                } else {
                    format!(
                        "{fiscal}Q{n}: {} – {}",
                        start.format("%B %Y"),
                        last.format("%B %Y")
                    )
                };
                (start, days, title, add_months(start, -3), end)
            }
            View::Day => (
                date,
                1,
                date.format("%A %-d %B %Y").to_string(),
                date - Days::new(1),
                date + Days::new(1),
            ),
        };
        let last = first + Days::new(u64::from(days));
        Self {
            view,
            date,
            first,
            days,
            from: midnight(first, tz),
            to: midnight(last, tz),
            title,
            prev,
            next,
        }
    }

    /// The local days shown, in order.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.first.iter_days().take(self.days as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn views_parse_with_month_as_default() {
        for (input, view) in [
            ("week", View::Week),
            ("quarter", View::Quarter),
            ("day", View::Day),
            ("month", View::Month),
            ("", View::Month),
            ("year", View::Month),
        ] {
            assert_eq!(View::parse(input), view, "{input:?}");
        }
    }

    #[test]
    fn month_grids_are_six_weeks_from_the_tenant_week_start() {
        let ny: Tz = "America/New_York".parse().expect("zone");
        // (date, week start, first day shown)
        let table = [
            (d(2026, 11, 17), Weekday::Mon, d(2026, 10, 26)),
            (d(2026, 11, 17), Weekday::Sun, d(2026, 11, 1)),
            (d(2026, 2, 1), Weekday::Sun, d(2026, 2, 1)),
            (d(2026, 2, 28), Weekday::Mon, d(2026, 1, 26)),
        ];
        for (date, start, first) in table {
            let p = Period::new(View::Month, date, start, 1, ny);
            assert_eq!(p.first, first, "{date} {start}");
            assert_eq!(p.dates().count(), 42);
            assert_eq!(p.from, midnight(first, ny));
            assert_eq!(p.to, midnight(first + Days::new(42), ny));
        }
        let p = Period::new(View::Month, d(2026, 11, 17), Weekday::Mon, 1, ny);
        assert_eq!(p.title, "November 2026");
        assert_eq!((p.prev, p.next), (d(2026, 10, 1), d(2026, 12, 1)));
        let jan = Period::new(View::Month, d(2027, 1, 31), Weekday::Mon, 1, ny);
        assert_eq!((jan.prev, jan.next), (d(2026, 12, 1), d(2027, 2, 1)));
    }

    #[test]
    fn weeks_days_and_their_instants_follow_the_zone() {
        let berlin: Tz = "Europe/Berlin".parse().expect("zone");
        let p = Period::new(View::Week, d(2026, 3, 26), Weekday::Mon, 1, berlin);
        assert_eq!(p.first, d(2026, 3, 23));
        assert_eq!(p.title, "Week of 23 March 2026");
        // The week holds the spring-forward Sunday: 7 × 24 h − 1 h.
        assert_eq!((p.to - p.from).num_hours(), 167);
        assert_eq!((p.prev, p.next), (d(2026, 3, 16), d(2026, 3, 30)));
        let day = Period::new(View::Day, d(2026, 3, 29), Weekday::Mon, 1, berlin);
        assert_eq!((day.to - day.from).num_hours(), 23);
        assert_eq!(day.title, "Sunday 29 March 2026");
        assert_eq!((day.prev, day.next), (d(2026, 3, 28), d(2026, 3, 30)));
    }

    #[test]
    fn quarters_follow_the_fiscal_year() {
        let utc: Tz = "UTC".parse().expect("zone");
        // (date, fiscal start, quarter start, number, title)
        let table = [
            (
                d(2026, 11, 17),
                1,
                d(2026, 10, 1),
                4,
                "Q4: October – December 2026",
            ),
            (
                d(2026, 1, 1),
                1,
                d(2026, 1, 1),
                1,
                "Q1: January – March 2026",
            ),
            (
                d(2026, 11, 17),
                4,
                d(2026, 10, 1),
                3,
                "fiscal Q3: October – December 2026",
            ),
            (
                d(2027, 1, 10),
                2,
                d(2026, 11, 1),
                4,
                "fiscal Q4: November 2026 – January 2027",
            ),
        ];
        for (date, fiscal, start, n, title) in table {
            assert_eq!(quarter_of(date, fiscal), (start, n), "{date} {fiscal}");
            let p = Period::new(View::Quarter, date, Weekday::Mon, fiscal, utc);
            assert_eq!(p.first, start);
            assert_eq!(p.title, title);
            assert_eq!(p.next, add_months(start, 3));
            assert_eq!(p.prev, add_months(start, -3));
        }
        let q4 = Period::new(View::Quarter, d(2026, 11, 17), Weekday::Mon, 1, utc);
        assert_eq!(q4.days, 92);
    }
}
