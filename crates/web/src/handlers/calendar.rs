//! `/{tenant}/calendar`: the month, week, quarter and day views of the
//! portfolio's windows, freezes, deployments and milestones, in the
//! viewer's zone, with one filter row and a "Conflicts" panel.
//!
//! One handler: read the query → one `ctx.enter` that loads the period
//! ([`almanac_db::calendar::load`], a fixed number of statements) → the
//! conflicts and items ([`agenda`]) → the view's layout ([`month`],
//! [`week`], [`quarter`]) → one page.

mod agenda;
mod month;
mod period;
mod quarter;
mod week;

use crate::auth::Ctx;
use crate::error::AppError;
use crate::handlers::viewer_zone;
use crate::layout::Layout;
use crate::state::AppState;
use agenda::{ConflictRow, Item, Selection};
use almanac_db::calendar::{self, Calendar, Filter};
use almanac_domain::WeekStart;
use almanac_domain::release::ReleaseStatus;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use chrono::{Datelike, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use month::MonthGrid;
use period::{Period, View};
use quarter::Gantt;
use serde::Deserialize;
use std::collections::HashSet;
use uuid::Uuid;
use week::WeekGrid;

/// The conflicts panel lists at most this many.
const CONFLICTS_SHOWN: usize = 200;

/// The routes of this area; merged by `router::build_app`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/{tenant}/calendar", get(show))
}

/// `?view=&date=&line=&product=&environment=&status=&conflicts=`; values
/// that name nothing are ignored.
#[derive(Deserialize, Default, Debug)]
pub struct CalendarQuery {
    #[serde(default)]
    view: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    line: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    environment: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    conflicts: String,
}

impl CalendarQuery {
    fn selection(&self) -> Selection {
        Selection {
            filter: Filter {
                product_line: Uuid::parse_str(&self.line).ok(),
                product: Uuid::parse_str(&self.product).ok(),
                environment: Uuid::parse_str(&self.environment).ok(),
                status: self.status.parse().ok(),
            },
            only_conflicts: matches!(self.conflicts.as_str(), "true" | "on" | "1"),
        }
    }

    /// The date asked for; none (today) when absent, malformed or outside
    /// the years a calendar can sensibly show.
    fn date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d")
            .ok()
            .filter(|d| (1970..=2200).contains(&d.year()))
    }
}

/// The filters as query parameters (`&product=…`), to keep them on links.
fn filter_params(s: &Selection) -> String {
    let f = &s.filter;
    let mut out = String::new();
    let mut add = |name: &str, value: Option<String>| {
        if let Some(v) = value {
            out.push_str(&format!("&{name}={v}"));
        }
    };
    add("line", f.product_line.map(|v| v.to_string()));
    add("product", f.product.map(|v| v.to_string()));
    add("environment", f.environment.map(|v| v.to_string()));
    add("status", f.status.map(|v| v.as_str().to_owned()));
    add("conflicts", s.only_conflicts.then(|| "true".to_owned()));
    out
}

/// A link of the toolbar (view tabs, previous / next).
pub struct Link {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

type Options = Vec<(String, String, bool)>;

#[derive(Template, WebTemplate)]
#[template(path = "calendar/page.html")]
pub struct CalendarPage {
    layout: Layout,
    slug: String,
    view: &'static str,
    /// The period's title ("November 2026").
    title: String,
    date: String,
    zone: String,
    tabs: Vec<Link>,
    prev_href: String,
    next_href: String,
    today_href: String,
    /// `/{slug}/calendar?view=day&…&date=` (a day's ISO date follows).
    day_href: String,
    /// Release managers may schedule from a day: the scheduling area's
    /// `/{slug}/releases/schedule?…&date=` (a day's ISO date follows).
    can_plan: bool,
    schedule_href: String,
    lines: Options,
    products: Options,
    environments: Options,
    statuses: Options,
    only_conflicts: bool,
    filtered: bool,
    clear_href: String,
    month: Option<MonthGrid>,
    week: Option<WeekGrid>,
    quarter: Option<Gantt>,
    day: Option<Vec<Item>>,
    /// Shown deployments, windows and milestones in the period.
    item_count: usize,
    conflicts: Vec<ConflictRow>,
    conflicts_total: usize,
    truncated: bool,
}

fn zone_of(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(query): Query<CalendarQuery>,
) -> Result<CalendarPage, AppError> {
    let view = View::parse(&query.view);
    let asked = query.date();
    let selection = query.selection();
    let filter = selection.filter.clone();
    let now = Utc::now();
    let (visit, (period, cal)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                let tz = zone_of(viewer_zone(visit));
                let date = asked.unwrap_or_else(|| now.with_timezone(&tz).date_naive());
                let week_start =
                    WeekStart::from_iso(tenant.week_start).map_or(Weekday::Mon, WeekStart::weekday);
                let fiscal = u32::try_from(tenant.fiscal_year_start).unwrap_or(1);
                let period = Period::new(view, date, week_start, fiscal, tz);
                let cal = calendar::load(tx, tenant.id, period.from, period.to, &filter).await?;
                Ok((period, cal))
            })
        })
        .await?;
    let zone = viewer_zone(&visit).to_owned();
    let tz = zone_of(&zone);
    let today = now.with_timezone(&tz).date_naive();
    let agenda = agenda::build(&cal, &period, &selection, &slug, tz, now);
    let params = filter_params(&selection);
    let href = |view: View, date: NaiveDate| {
        format!(
            "/{slug}/calendar?view={}&date={date}{params}",
            view.as_str()
        )
    };
    let layout = Layout::signed_in(&ctx, &visit, "Calendar", "calendar");
    let (month, week, quarter, day) = match view {
        View::Month => (
            Some(month::layout(&period, &agenda.items, today, tz)),
            None,
            None,
            None,
        ),
        View::Week => (
            None,
            Some(week::layout(&period, &agenda.items, today, tz)),
            None,
            None,
        ),
        View::Quarter => (
            None,
            None,
            Some(quarter::layout(
                &period, &cal, &agenda, &selection, &slug, tz, now,
            )),
            None,
        ),
        View::Day => (None, None, None, Some(agenda.items.clone())),
    };
    let conflicts_total = agenda.conflicts.len();
    Ok(CalendarPage {
        title: period.title.clone(),
        date: period.date.to_string(),
        tabs: View::TABS
            .iter()
            .map(|&v| Link {
                label: v.label(),
                href: href(v, period.date),
                current: v == view,
            })
            .collect(),
        prev_href: href(view, period.prev),
        next_href: href(view, period.next),
        today_href: href(view, today),
        day_href: format!("/{slug}/calendar?view=day{params}&date="),
        can_plan: visit.tenant.as_ref().is_some_and(|t| t.role.can_plan()),
        schedule_href: format!(
            "/{slug}/releases/schedule?{}date=",
            selection
                .filter
                .environment
                .map(|e| format!("environment={e}&"))
                .unwrap_or_default()
        ),
        clear_href: format!(
            "/{slug}/calendar?view={}&date={}",
            view.as_str(),
            period.date
        ),
        filtered: !params.is_empty(),
        only_conflicts: selection.only_conflicts,
        lines: line_options(&cal, &selection.filter),
        products: product_options(&cal, &selection.filter),
        environments: environment_options(&cal, &selection.filter),
        statuses: status_options(&selection.filter),
        item_count: agenda.items.len(),
        conflicts: agenda.conflicts.into_iter().take(CONFLICTS_SHOWN).collect(),
        conflicts_total,
        truncated: cal.truncated,
        view: view.as_str(),
        month,
        week,
        quarter,
        day,
        zone,
        layout,
        slug,
    })
}

fn selected(id: Option<Uuid>, value: Uuid) -> bool {
    id == Some(value)
}

fn line_options(cal: &Calendar, f: &Filter) -> Options {
    let mut seen = HashSet::new();
    std::iter::once((
        String::new(),
        "All product lines".to_owned(),
        f.product_line.is_none(),
    ))
    .chain(cal.products.iter().filter_map(|p| {
        let id = p.line_id?;
        seen.insert(id).then(|| {
            (
                id.to_string(),
                p.line_name.clone().unwrap_or_default(),
                selected(f.product_line, id),
            )
        })
    }))
    .collect()
}

fn product_options(cal: &Calendar, f: &Filter) -> Options {
    let mut products: Vec<_> = cal.products.iter().collect();
    products.sort_by(|a, b| (a.archived, &a.key).cmp(&(b.archived, &b.key)));
    std::iter::once((
        String::new(),
        "All products".to_owned(),
        f.product.is_none(),
    ))
    .chain(products.into_iter().map(|p| {
        let archived = if p.archived { " (archived)" } else { "" };
        (
            p.id.to_string(),
            format!("{} · {}{archived}", p.key, p.name),
            selected(f.product, p.id),
        )
    }))
    .collect()
}

fn environment_options(cal: &Calendar, f: &Filter) -> Options {
    std::iter::once((
        String::new(),
        "All environments".to_owned(),
        f.environment.is_none(),
    ))
    .chain(cal.environments.iter().map(|e| {
        let archived = if e.archived { " (archived)" } else { "" };
        (
            e.id.to_string(),
            format!("{}{archived}", e.name),
            selected(f.environment, e.id),
        )
    }))
    .collect()
}

fn status_options(f: &Filter) -> Options {
    std::iter::once((String::new(), "All statuses".to_owned(), f.status.is_none()))
        .chain(ReleaseStatus::ALL.iter().map(|s| {
            (
                s.as_str().to_owned(),
                s.label().to_owned(),
                f.status == Some(*s),
            )
        }))
        .collect()
}
