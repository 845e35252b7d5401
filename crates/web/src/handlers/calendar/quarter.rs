//! The quarter view: a Gantt timeline drawn as one SVG (geometry in
//! attributes, looks in classes: the CSP forbids style=""). One row per
//! product, grouped by product line; each release a bar from its first
//! deployment's start to its production deployment's end with the go-live
//! marked; freezes shaded behind every row; today marked. Fits a landscape
//! page when printed.

use super::agenda::{Agenda, Flag, Selection, flag, release_label};
use super::period::{Period, midnight};
use almanac_db::calendar::{Calendar, CalendarDeployment};
use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

const LABEL_W: f64 = 190.0;
const CHART_W: f64 = 1000.0;
/// Month names, then freeze names, then the rows.
const TOP: f64 = 40.0;
const LANE_H: f64 = 16.0;
const ROW_PAD: f64 = 6.0;
const GROUP_H: f64 = 22.0;
const BAR_H: f64 = 12.0;

/// A number for an SVG attribute, to a tenth ("12", "12.5", "-0.5").
/// Written from whole tenths: float formatting with a precision was most of
/// the time a large timeline took to lay out.
fn n(v: f64) -> String {
    #[allow(clippy::cast_possible_truncation)] // SVG coordinates are small
    let tenths = (v * 10.0).round() as i64;
    let (sign, a) = (if tenths < 0 { "-" } else { "" }, tenths.unsigned_abs());
    if a % 10 == 0 {
        format!("{sign}{}", a / 10)
    } else {
        format!("{sign}{}.{}", a / 10, a % 10)
    }
}

#[derive(Debug, Clone)]
pub struct Tick {
    pub x: String,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct Shade {
    pub x: String,
    pub width: String,
    pub label: String,
    pub title: String,
    pub href: String,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub text_y: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub y: String,
    pub height: String,
    pub text_y: String,
    pub key: String,
    pub name: String,
    pub colour: String,
    /// Alternate rows are tinted.
    pub odd: bool,
}

#[derive(Debug, Clone)]
pub struct Bar {
    pub x: String,
    pub y: String,
    pub width: String,
    pub text_x: String,
    pub text_y: String,
    /// The label sits inside the bar (else to its right).
    pub text_inside: bool,
    /// Go-live marker: the diamond's points, or "" when the release has no
    /// production deployment.
    pub go_live_points: String,
    pub version: String,
    pub colour: String,
    /// `gb-scheduled`, ... (paired with the status word in the title).
    pub status_class: String,
    pub href: String,
    /// Everything in words: the bar's text alternative.
    pub title: String,
    pub flag: Option<Flag>,
    pub flag_x: String,
}

#[derive(Debug, Clone)]
pub struct Gantt {
    pub width: String,
    pub height: String,
    pub chart_x: String,
    pub rows_top: String,
    pub rows_bottom: String,
    pub freeze_label_y: String,
    pub months: Vec<Tick>,
    pub weeks: Vec<String>,
    pub shades: Vec<Shade>,
    pub today_x: Option<String>,
    pub today_label_y: String,
    pub groups: Vec<Group>,
    pub rows: Vec<Row>,
    pub bars: Vec<Bar>,
}

/// A release's bar before placement.
struct Span<'a> {
    release: Uuid,
    first: &'a CalendarDeployment,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    go_live: Option<DateTime<Utc>>,
    flag: Option<Flag>,
}

/// Whole releases to draw: those with a shown deployment (with a conflict,
/// under "only conflicts"), from their first deployment to the end of
/// their production one.
fn spans<'a>(cal: &'a Calendar, agenda: &Agenda, selection: &Selection) -> Vec<Span<'a>> {
    let production: HashSet<Uuid> = cal
        .environments
        .iter()
        .filter(|e| e.is_production)
        .map(|e| e.id)
        .collect();
    let wanted: HashSet<Uuid> = cal
        .deployments
        .iter()
        .filter(|d| d.shown)
        .filter(|d| !selection.only_conflicts || agenda.by_deployment.contains_key(&d.id))
        .map(|d| d.release_id)
        .collect();
    let mut by_release: HashMap<Uuid, Vec<&CalendarDeployment>> = HashMap::new();
    for d in cal
        .deployments
        .iter()
        .filter(|d| wanted.contains(&d.release_id))
    {
        by_release.entry(d.release_id).or_default().push(d);
    }
    let mut out: Vec<Span> = by_release
        .into_iter()
        .filter_map(|(release, mut list)| {
            list.sort_by_key(|d| d.start);
            let first = *list.first()?;
            let prod = list.iter().find(|d| production.contains(&d.environment_id));
            let end = prod.map_or_else(
                || list.iter().map(|d| d.end).max().unwrap_or(first.end),
                |p| p.end,
            );
            let conflicts: Vec<_> = list
                .iter()
                .filter(|d| d.shown)
                .filter_map(|d| agenda.by_deployment.get(&d.id))
                .flatten()
                .cloned()
                .collect();
            Some(Span {
                release,
                first,
                start: first.start,
                end: end.max(first.end),
                go_live: prod.map(|p| p.start),
                flag: flag(&conflicts),
            })
        })
        .collect();
    out.sort_by_key(|s| (s.start, s.release));
    out
}

/// Lays out the quarter of `period` (a [`super::period::View::Quarter`]).
#[must_use]
pub fn layout(
    period: &Period,
    cal: &Calendar,
    agenda: &Agenda,
    selection: &Selection,
    slug: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Gantt {
    let (from, to) = (period.from, period.to);
    let total = (to - from).num_seconds().max(1) as f64;
    let x = |t: DateTime<Utc>| {
        let s = (t.max(from).min(to) - from).num_seconds() as f64;
        LABEL_W + CHART_W * s / total
    };
    let spans: Vec<Span> = spans(cal, agenda, selection)
        .into_iter()
        .filter(|s| s.start < to && s.end > from)
        .collect();
    let filter = &selection.filter;
    let mut by_product: HashMap<Uuid, Vec<&Span>> = HashMap::new();
    for s in &spans {
        by_product.entry(s.first.product_id).or_default().push(s);
    }
    let with_bars: HashSet<Uuid> = by_product.keys().copied().collect();
    let narrowed =
        filter.environment.is_some() || filter.status.is_some() || selection.only_conflicts;
    let products: Vec<_> = cal
        .products
        .iter()
        .filter(|p| filter.product.is_none_or(|id| id == p.id))
        .filter(|p| filter.product_line.is_none_or(|id| p.line_id == Some(id)))
        .filter(|p| with_bars.contains(&p.id) || (!p.archived && !narrowed))
        .collect();

    let mut groups = Vec::new();
    let mut rows = Vec::new();
    let mut bars = Vec::new();
    let mut y = TOP;
    let mut current_line: Option<Option<Uuid>> = None;
    for (i, p) in products.iter().enumerate() {
        if current_line != Some(p.line_id) {
            current_line = Some(p.line_id);
            groups.push(Group {
                text_y: n(y + 15.0),
                name: p
                    .line_name
                    .clone()
                    .unwrap_or_else(|| "No product line".to_owned()),
            });
            y += GROUP_H;
        }
        let mine = by_product.remove(&p.id).unwrap_or_default();
        let mut lane_ends: Vec<DateTime<Utc>> = Vec::new();
        let mut placed = Vec::new();
        for s in mine {
            let lane = lane_ends
                .iter()
                .position(|&e| e <= s.start)
                .unwrap_or_else(|| {
                    lane_ends.push(s.start);
                    lane_ends.len() - 1
                });
            lane_ends[lane] = s.end;
            placed.push((lane, s));
        }
        let lanes = lane_ends.len().max(1) as f64;
        let height = lanes * LANE_H + ROW_PAD;
        rows.push(Row {
            y: n(y),
            height: n(height),
            text_y: n(y + ROW_PAD / 2.0 + 12.0),
            key: p.key.clone(),
            name: p.name.clone(),
            colour: p.colour.clone(),
            odd: i % 2 == 1,
        });
        for (lane, s) in placed {
            bars.push(bar(
                s,
                y + ROW_PAD / 2.0 + lane as f64 * LANE_H,
                &x,
                slug,
                tz,
            ));
        }
        y += height;
    }
    let rows_bottom = y.max(TOP + 20.0);

    let months = period
        .dates()
        .filter(|d| d.day() == 1 || *d == period.first)
        .map(|d| Tick {
            x: n(x(midnight(d, tz)) + 4.0),
            label: d.format("%B %Y").to_string(),
        })
        .collect();
    let weeks = period
        .dates()
        .filter(|d| d.weekday() == period.first.weekday() || d.day() == 1)
        .map(|d| n(x(midnight(d, tz))))
        .collect();
    let shades = agenda
        .items
        .iter()
        .filter(|i| i.kind == super::agenda::Kind::Freeze && !i.cancelled)
        .map(|i| {
            let (a, b) = (x(i.start), x(i.end));
            Shade {
                x: n(a),
                width: n((b - a).max(1.0)),
                label: i.label.clone(),
                title: i.title(),
                href: i.href.clone(),
            }
        })
        .collect();
    Gantt {
        width: n(LABEL_W + CHART_W + 10.0),
        height: n(rows_bottom + 16.0),
        chart_x: n(LABEL_W),
        rows_top: n(TOP),
        rows_bottom: n(rows_bottom),
        freeze_label_y: n(TOP - 6.0),
        months,
        weeks,
        shades,
        today_x: (from <= now && now < to).then(|| n(x(now))),
        today_label_y: n(rows_bottom + 12.0),
        groups,
        rows,
        bars,
    }
}

fn bar(s: &Span, y: f64, x: &impl Fn(DateTime<Utc>) -> f64, slug: &str, tz: Tz) -> Bar {
    let d = s.first;
    let (a, b) = (x(s.start), x(s.end));
    let width = (b - a).max(3.0);
    let text_inside = width >= 44.0;
    let label = release_label(&d.product_key, &d.version);
    let when = |t: DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string();
    let mut title = format!(
        "{label}, {}: first deployment {}",
        d.status.label().to_lowercase(),
        when(s.start)
    );
    if let Some(t) = s.go_live {
        title.push_str(&format!(", go-live {}", when(t)));
    }
    title.push_str(&format!(", ends {}", when(s.end)));
    if let Some(f) = &s.flag {
        title.push_str(&format!(" — {} ({} conflicts)", f.badge.word, f.count));
    }
    let mid = y + BAR_H / 2.0;
    let go_live_points = match s.go_live {
        Some(t) => {
            let gx = x(t);
            format!(
                "{},{} {},{} {},{} {},{}",
                n(gx),
                n(y - 2.0),
                n(gx + 5.0),
                n(mid),
                n(gx),
                n(y + BAR_H + 2.0),
                n(gx - 5.0),
                n(mid)
            )
        }
        None => String::new(),
    };
    Bar {
        x: n(a),
        y: n(y),
        width: n(width),
        text_x: n(if text_inside {
            a + 6.0
        } else {
            a + width + 8.0
        }),
        text_y: n(y + BAR_H - 2.5),
        text_inside,
        go_live_points,
        version: d.version.clone(),
        colour: d.product_colour.clone(),
        status_class: format!("gb-{}", d.status.as_str().replace('_', "-")),
        href: format!("/{slug}/releases/{}", s.release),
        title,
        flag: s.flag.clone(),
        // After the label when it sits outside the bar (about 6 units a character).
        flag_x: n(if text_inside {
            a + width + 8.0
        } else {
            a + width + 10.0 + 6.0 * d.version.chars().count() as f64
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::n;

    #[test]
    fn coordinates_are_written_to_a_tenth() {
        for (v, text) in [
            (0.0, "0"),
            (12.0, "12"),
            (12.34, "12.3"),
            (12.35, "12.4"),
            (1189.96, "1190"),
            (-0.5, "-0.5"),
            (-0.04, "0"),
            (-3.0, "-3"),
        ] {
            assert_eq!(n(v), text, "{v}");
        }
    }
}
