//! The dashboard's charts as SVG geometry (the Content-Security-Policy
//! forbids inline styles, so everything is placed with attributes and
//! coloured with classes): releases per week stacked by outcome, the
//! on-time rate by month, and the health matrix (product × week). Each
//! chart also has its figures as a table for screen readers and print.

use almanac_domain::portfolio::{Health, MonthRate, WeekOutcomes};
use chrono::{Datelike, NaiveDate};

/// A rectangle of a chart.
pub struct Bar {
    pub class: &'static str,
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    /// The `<title>` (what it stands for, in words).
    pub title: String,
    /// Where it links (the releases behind it), or "".
    pub href: String,
}

/// A text label of a chart.
pub struct Label {
    pub x: i64,
    pub y: i64,
    pub text: String,
}

/// A chart: its size, shapes and labels.
pub struct Chart {
    pub width: i64,
    pub height: i64,
    pub bars: Vec<Bar>,
    pub labels: Vec<Label>,
    /// Horizontal grid lines (y, label).
    pub grid: Vec<(i64, String)>,
    /// A polyline's points ("x,y x,y"), or "".
    pub line: String,
}

const LEFT: i64 = 36;
const TOP: i64 = 10;
const PLOT_H: i64 = 160;

/// Releases per week stacked by outcome. `href(week)` links a week's bar to
/// its releases.
pub fn weekly(weeks: &[WeekOutcomes], href: impl Fn(NaiveDate) -> String) -> Chart {
    let n = i64::try_from(weeks.len()).unwrap_or(1).max(1);
    let step = (720 / n).clamp(8, 48);
    let bar_w = (step - 2).max(4);
    let max = weeks
        .iter()
        .map(|w| w.failed + w.late + w.on_time + w.unplanned)
        .max()
        .unwrap_or(0)
        .max(1);
    let top = nice_ceiling(max);
    let scale = |v: usize| i64::try_from(v).unwrap_or(0) * PLOT_H / i64::try_from(top).unwrap_or(1);
    let mut bars = Vec::new();
    let mut labels = Vec::new();
    let every = (n / 8).max(1);
    for (i, w) in weeks.iter().enumerate() {
        let i = i64::try_from(i).unwrap_or(0);
        let x = LEFT + i * step;
        let mut y = TOP + PLOT_H;
        for (class, count, word) in [
            ("ch-on-time", w.on_time, "on time"),
            ("ch-unplanned", w.unplanned, "without a baseline"),
            ("ch-late", w.late, "late"),
            ("ch-failed", w.failed, "failed (rolled back or hotfixed)"),
        ] {
            if count == 0 {
                continue;
            }
            let h = scale(count).max(1);
            y -= h;
            bars.push(Bar {
                class,
                x,
                y,
                width: bar_w,
                height: h,
                title: format!("Week of {}: {count} {word}", w.start.format("%-d %b %Y")),
                href: href(w.start),
            });
        }
        if i % every == 0 {
            labels.push(Label {
                x,
                y: TOP + PLOT_H + 14,
                text: w.start.format("%-d %b").to_string(),
            });
        }
    }
    Chart {
        width: LEFT + n * step + 8,
        height: TOP + PLOT_H + 22,
        grid: grid(top),
        bars,
        labels,
        line: String::new(),
    }
}

/// On-time rate by month (bars of the rate, months without a baseline left
/// empty) with a line through the rates.
pub fn monthly(months: &[MonthRate]) -> Chart {
    let n = i64::try_from(months.len()).unwrap_or(1).max(1);
    let step = 56;
    let bar_w = 36;
    let mut bars = Vec::new();
    let mut labels = Vec::new();
    let mut points = Vec::new();
    for (i, m) in months.iter().enumerate() {
        let i = i64::try_from(i).unwrap_or(0);
        let x = LEFT + i * step;
        if let Some(rate) = m.rate {
            #[allow(clippy::cast_possible_truncation)]
            let h = ((rate * PLOT_H as f64).round() as i64).max(1);
            bars.push(Bar {
                class: "ch-rate",
                x,
                y: TOP + PLOT_H - h,
                width: bar_w,
                height: h,
                title: format!(
                    "{}: {} of {} on time ({})",
                    m.month.format("%B %Y"),
                    m.on_time,
                    m.with_baseline,
                    percent(rate)
                ),
                href: String::new(),
            });
            points.push(format!("{},{}", x + bar_w / 2, TOP + PLOT_H - h));
        }
        labels.push(Label {
            x,
            y: TOP + PLOT_H + 14,
            text: if m.month.month() == 1 || i == 0 {
                m.month.format("%b %y").to_string()
            } else {
                m.month.format("%b").to_string()
            },
        });
    }
    Chart {
        width: LEFT + n * step + 8,
        height: TOP + PLOT_H + 22,
        grid: (0..=4)
            .map(|k| (TOP + PLOT_H - k * PLOT_H / 4, format!("{}%", k * 25)))
            .collect(),
        bars,
        labels,
        line: points.join(" "),
    }
}

/// One cell of the health matrix.
pub struct Cell {
    pub health: Option<Health>,
    /// The releases going live that week, with their health and reason.
    pub title: String,
    pub href: String,
}

/// One product's row of the health matrix.
pub struct MatrixRow {
    pub label: String,
    pub href: String,
    pub cells: Vec<Cell>,
}

/// The health matrix laid out: rows of products, columns of weeks.
pub struct Matrix {
    pub width: i64,
    pub height: i64,
    pub columns: Vec<Label>,
    pub rows: Vec<(Label, String)>,
    pub cells: Vec<Bar>,
}

const MATRIX_LEFT: i64 = 170;
const CELL_W: i64 = 72;
const CELL_H: i64 = 22;

/// Lays out `rows` (each with one cell per week in `weeks`).
pub fn matrix(weeks: &[NaiveDate], rows: &[MatrixRow]) -> Matrix {
    let columns = weeks
        .iter()
        .enumerate()
        .map(|(i, w)| Label {
            x: MATRIX_LEFT + i64::try_from(i).unwrap_or(0) * CELL_W + 4,
            y: 14,
            text: w.format("%-d %b").to_string(),
        })
        .collect();
    let mut cells = Vec::new();
    let mut labels = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let y = 22 + i64::try_from(r).unwrap_or(0) * CELL_H;
        labels.push((
            Label {
                x: 4,
                y: y + 15,
                text: row.label.clone(),
            },
            row.href.clone(),
        ));
        for (c, cell) in row.cells.iter().enumerate() {
            cells.push(Bar {
                class: match cell.health {
                    None => "hm-none",
                    Some(Health::OnTrack) => "hm-on-track",
                    Some(Health::AtRisk) => "hm-at-risk",
                    Some(Health::Late) => "hm-late",
                    Some(Health::Blocked) => "hm-blocked",
                },
                x: MATRIX_LEFT + i64::try_from(c).unwrap_or(0) * CELL_W,
                y,
                width: CELL_W - 3,
                height: CELL_H - 3,
                title: cell.title.clone(),
                href: cell.href.clone(),
            });
        }
    }
    Matrix {
        width: MATRIX_LEFT + i64::try_from(weeks.len()).unwrap_or(0) * CELL_W + 4,
        height: 26 + i64::try_from(rows.len()).unwrap_or(0) * CELL_H,
        columns,
        rows: labels,
        cells,
    }
}

/// Grid lines at quarters of `top`.
fn grid(top: usize) -> Vec<(i64, String)> {
    (0..=4)
        .map(|k| {
            let v = top * usize::try_from(k).unwrap_or(0) / 4;
            (TOP + PLOT_H - k * PLOT_H / 4, v.to_string())
        })
        .collect()
}

/// The smallest of 4, 8, 12, 20, 40, 80, … at least `v` (divisible by 4,
/// so the grid's labels are whole numbers).
fn nice_ceiling(v: usize) -> usize {
    let mut top = 4;
    while top < v {
        top = if top < 12 { top + 4 } else { top * 2 };
    }
    top
}

/// `0.8` → "80%".
#[must_use]
pub fn percent(rate: f64) -> String {
    format!("{:.0}%", rate * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_rounds_up_to_whole_quarters() {
        for (v, top) in [(0, 4), (1, 4), (4, 4), (5, 8), (9, 12), (13, 24), (50, 96)] {
            assert_eq!(nice_ceiling(v), top, "{v}");
            assert_eq!(nice_ceiling(v) % 4, 0);
        }
    }

    #[test]
    fn stacked_bars_add_up_to_the_week_and_stay_inside_the_plot() {
        let week = |d: u32, on_time, late, failed| WeekOutcomes {
            start: NaiveDate::from_ymd_opt(2026, 11, d).expect("date"),
            on_time,
            late,
            unplanned: 0,
            failed,
        };
        let weeks = [week(2, 3, 1, 0), week(9, 0, 0, 0), week(16, 5, 2, 1)];
        let chart = weekly(&weeks, |d| format!("/w/{d}"));
        assert_eq!(chart.bars.len(), 2 + 3, "no bar for an empty outcome");
        for b in &chart.bars {
            assert!(b.y >= TOP && b.y + b.height <= TOP + PLOT_H, "inside");
        }
        let third: i64 = chart
            .bars
            .iter()
            .filter(|b| b.title.starts_with("Week of 16 Nov"))
            .map(|b| b.height)
            .sum();
        // The busiest week (8) sets the scale (8): it fills the plot.
        assert!((third - PLOT_H).abs() <= 3, "{third}");
        let first: i64 = chart
            .bars
            .iter()
            .filter(|b| b.title.starts_with("Week of 2 Nov"))
            .map(|b| b.height)
            .sum();
        assert!(
            (first - PLOT_H / 2).abs() <= 3,
            "4 of 8: half the plot, {first}"
        );
        assert!(chart.bars.iter().all(|b| b.href.starts_with("/w/")));
    }

    #[test]
    fn months_without_a_baseline_have_no_bar() {
        let m = |month: u32, rate: Option<f64>| MonthRate {
            month: NaiveDate::from_ymd_opt(2026, month, 1).expect("date"),
            with_baseline: usize::from(rate.is_some()) * 4,
            on_time: 2,
            rate,
        };
        let chart = monthly(&[m(9, Some(0.5)), m(10, None), m(11, Some(1.0))]);
        assert_eq!(chart.bars.len(), 2);
        assert_eq!(chart.labels.len(), 3);
        assert_eq!(chart.bars[1].height, PLOT_H, "100% fills the plot");
        assert_eq!(chart.line.split(' ').count(), 2);
    }
}
