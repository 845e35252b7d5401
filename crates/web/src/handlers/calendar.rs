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
use crate::cache::Lookup;
use crate::error::AppError;
use crate::handlers::viewer_zone;
use crate::layout::Layout;
use crate::state::AppState;
use agenda::{ConflictRow, Item, Selection};
use almanac_db::calendar::{self, Calendar, Filter};
use almanac_db::tenants;
use almanac_domain::WeekStart;
use almanac_domain::release::ReleaseStatus;
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::get;
use chrono::{DateTime, Datelike, DurationRound as _, NaiveDate, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;
use month::MonthGrid;
use period::{Period, View};
use quarter::Gantt;
use serde::Deserialize;
use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
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
    /// Release managers may schedule from a day: the scheduling area's
    /// `/{slug}/releases/schedule?…&date=` (a day's ISO date follows).
    can_plan: bool,
    schedule_href: String,
    statuses: Options,
    only_conflicts: bool,
    filtered: bool,
    clear_href: String,
    /// The period laid out (shared with the cache).
    shown: Arc<Prepared>,
    /// What `shown` draws below the toolbar ([`Prepared::body`]).
    body: Arc<str>,
}

/// The part of the page a computed view draws (its grid, timeline or list
/// and the conflicts panel); rendered once per [`Prepared`] and kind of
/// viewer.
#[derive(Template)]
#[template(path = "calendar/body.html")]
struct CalendarBody<'a> {
    shown: &'a Prepared,
    can_plan: bool,
    slug: &'a str,
    zone: &'a str,
    title: &'a str,
    day_href: &'a str,
    schedule_href: &'a str,
    clear_href: &'a str,
    filtered: bool,
}

/// The links a view's body holds, all fixed by its [`CalendarKey`].
#[derive(Debug)]
struct BodyLinks {
    slug: String,
    zone: String,
    /// `/{slug}/calendar?view=day&…&date=` (a day's ISO date follows).
    day_href: String,
    schedule_href: String,
    clear_href: String,
    filtered: bool,
}

fn zone_of(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// What identifies a computed view ([`Prepared`]): the tenant and its slug
/// (links), the view and its instants, the filters and the viewer's zone.
/// The cache stamps it with the minute it was computed for (milestones turn
/// overdue as time passes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CalendarKey {
    tenant: Uuid,
    slug: String,
    view: &'static str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    params: String,
    zone: String,
}

/// A period laid out for one [`CalendarKey`] under one plan version: the
/// view's grid, the filter choices and the conflicts panel. Computed from
/// the period's data, its conflicts and items ([`agenda`]), then kept.
#[derive(Debug)]
pub struct Prepared {
    period: Period,
    month: Option<MonthGrid>,
    week: Option<WeekGrid>,
    quarter: Option<Gantt>,
    day: Option<Vec<Item>>,
    lines: Options,
    products: Options,
    environments: Options,
    /// Shown deployments, windows and milestones in the period.
    item_count: usize,
    /// The first [`CONFLICTS_SHOWN`] conflicts.
    conflicts: Vec<ConflictRow>,
    conflicts_total: usize,
    truncated: bool,
    links: BodyLinks,
    /// The rendered body for viewers who cannot / can plan.
    bodies: [OnceLock<Arc<str>>; 2],
    /// About how many bytes it holds (for the cache's budget).
    bytes: usize,
}

impl Prepared {
    /// Conflicts, items and the layout of `view` for `period`, as of
    /// `minute` (whose local date is "today").
    fn new(
        view: View,
        period: Period,
        cal: &Calendar,
        selection: &Selection,
        links: BodyLinks,
        tz: Tz,
        minute: DateTime<Utc>,
    ) -> Self {
        let slug = links.slug.as_str();
        let agenda = agenda::build(cal, &period, selection, slug, tz, minute);
        let today = minute.with_timezone(&tz).date_naive();
        let (mut month, mut week, mut quarter, mut day) = (None, None, None, None);
        match view {
            View::Month => month = Some(month::layout(&period, &agenda.items, today, tz)),
            View::Week => week = Some(week::layout(&period, &agenda.items, today, tz)),
            View::Quarter => {
                quarter = Some(quarter::layout(
                    &period, cal, &agenda, selection, slug, tz, minute,
                ));
            }
            View::Day => day = Some(agenda.items.clone()),
        }
        let conflicts: Vec<ConflictRow> = agenda
            .conflicts
            .iter()
            .take(CONFLICTS_SHOWN)
            .cloned()
            .collect();
        // What a view draws is at most every item, each a few hundred bytes
        // of text and places.
        let bytes = 64 * 1024
            + agenda.items.len() * if view == View::Day { 700 } else { 250 }
            + conflicts.len() * 500
            + cal.products.len() * 200;
        Self {
            month,
            week,
            quarter,
            day,
            lines: line_options(cal, &selection.filter),
            products: product_options(cal, &selection.filter),
            environments: environment_options(cal, &selection.filter),
            item_count: agenda.items.len(),
            conflicts_total: agenda.conflicts.len(),
            conflicts,
            truncated: cal.truncated,
            period,
            links,
            bodies: [OnceLock::new(), OnceLock::new()],
            bytes,
        }
    }

    /// The grid, timeline or list and the conflicts panel as HTML, for a
    /// viewer who `can_plan` or not: rendered the first time it is asked
    /// for, then shared by every request this view serves.
    fn body(&self, can_plan: bool) -> Result<Arc<str>, askama::Error> {
        let slot = &self.bodies[usize::from(can_plan)];
        if let Some(body) = slot.get() {
            return Ok(Arc::clone(body));
        }
        let l = &self.links;
        let rendered: Arc<str> = CalendarBody {
            shown: self,
            can_plan,
            slug: &l.slug,
            zone: &l.zone,
            title: &self.period.title,
            day_href: &l.day_href,
            schedule_href: &l.schedule_href,
            clear_href: &l.clear_href,
            filtered: l.filtered,
        }
        .render()?
        .into();
        Ok(Arc::clone(slot.get_or_init(|| rendered)))
    }
}

/// Read in the visitor's transaction: a view computed under the current
/// plan version, or the data to compute it.
enum Found {
    Cached(Arc<Prepared>),
    Loaded(Box<Loaded>),
}

struct Loaded {
    key: Option<(CalendarKey, i64)>,
    cal: Calendar,
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
    let params = filter_params(&selection);
    let now = Utc::now();
    // Everything the agenda shows is computed as of the minute, so one
    // computed view serves the whole minute.
    let minute = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now);
    let stamp = minute.timestamp() / 60;
    let app = state.clone();
    let key_slug = slug.clone();
    let key_params = params.clone();
    let (visit, (period, found)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant()?;
                let zone = viewer_zone(visit).to_owned();
                let tz = zone_of(&zone);
                let date = asked.unwrap_or_else(|| now.with_timezone(&tz).date_naive());
                let week_start =
                    WeekStart::from_iso(tenant.week_start).map_or(Weekday::Mon, WeekStart::weekday);
                let fiscal = u32::try_from(tenant.fiscal_year_start).unwrap_or(1);
                let period = Period::new(view, date, week_start, fiscal, tz);
                let key = if app.config.plan_cache_bytes > 0 {
                    let version = tenants::plan_version(tx, tenant.id).await?;
                    let key = CalendarKey {
                        tenant: tenant.id.0,
                        slug: key_slug,
                        view: view.as_str(),
                        from: period.from,
                        to: period.to,
                        params: key_params,
                        zone,
                    };
                    match app.calendars.get(&key, version, stamp) {
                        Lookup::Fresh(hit) | Lookup::Stale(hit) => {
                            return Ok((period, Found::Cached(hit)));
                        }
                        Lookup::Miss => Some((key, version)),
                    }
                } else {
                    None
                };
                let cal = calendar::load(tx, tenant.id, period.from, period.to, &filter).await?;
                Ok((period, Found::Loaded(Box::new(Loaded { key, cal }))))
            })
        })
        .await?;
    let zone = viewer_zone(&visit).to_owned();
    let tz = zone_of(&zone);
    let today = now.with_timezone(&tz).date_naive();
    let href = |view: View, date: NaiveDate| {
        format!(
            "/{slug}/calendar?view={}&date={date}{params}",
            view.as_str()
        )
    };
    let clear_href = format!(
        "/{slug}/calendar?view={}&date={}",
        view.as_str(),
        period.date
    );
    let schedule_href = format!(
        "/{slug}/releases/schedule?{}date=",
        selection
            .filter
            .environment
            .map(|e| format!("environment={e}&"))
            .unwrap_or_default()
    );
    let shown = match found {
        Found::Cached(hit) => hit,
        Found::Loaded(loaded) => {
            let Loaded { key, cal } = *loaded;
            let links = BodyLinks {
                slug: slug.clone(),
                zone: zone.clone(),
                day_href: format!("/{slug}/calendar?view=day{params}&date="),
                schedule_href: schedule_href.clone(),
                clear_href: clear_href.clone(),
                filtered: !params.is_empty(),
            };
            let prepared = Arc::new(Prepared::new(
                view,
                period.clone(),
                &cal,
                &selection,
                links,
                tz,
                minute,
            ));
            drop(cal);
            if let Some((key, version)) = key {
                // The view's layout plus its rendered body (about as large
                // as the layout's estimate, for each kind of viewer).
                let bytes = prepared.bytes * 3;
                state
                    .calendars
                    .insert(key, version, stamp, Arc::clone(&prepared), bytes);
            }
            prepared
        }
    };
    let can_plan = visit.tenant.as_ref().is_some_and(|t| t.role.can_plan());
    let body = shown
        .body(can_plan)
        .map_err(|e| AppError::Internal(Box::new(e)))?;
    let layout = Layout::signed_in(&ctx, &visit, "Calendar", "calendar");
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
        can_plan,
        schedule_href,
        clear_href,
        filtered: !params.is_empty(),
        only_conflicts: selection.only_conflicts,
        statuses: status_options(&selection.filter),
        view: view.as_str(),
        zone,
        layout,
        slug,
        shown,
        body,
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
