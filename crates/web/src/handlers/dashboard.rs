//! `/{tenant}/`: the executive dashboard. Health per product line and
//! product, the next 14 days (go-lives and go/no-go meetings), what waits
//! for the signed-in person, active and upcoming freezes, the release
//! metrics of a chosen period with their definitions, and three charts
//! (releases per week by outcome, on-time rate by month, the health
//! matrix). Every figure links to the releases behind it.
//!
//! A fixed number of statements whatever the portfolio's size
//! ([`almanac_db::portfolio`], the plan around the health horizon, the
//! open rounds); the health and metrics rules are in
//! [`almanac_domain::portfolio`].

pub mod charts;
pub mod health;

use crate::auth::Ctx;
use crate::cache::Lookup;
use crate::error::AppError;
use crate::handlers::reviews::{Waiting, open_reviews};
use crate::handlers::viewer_zone;
use crate::layout::Layout;
use crate::state::AppState;
use almanac_db::portfolio::{self as db, ClosedRound, MyMilestone, ProductRow};
use almanac_db::{audit, members, windows};
use almanac_domain::portfolio::{
    self, Health, Metrics, Period, PeriodChoice, ReviewOutcomes, Shipped,
};
use almanac_domain::review::Decision;
use almanac_domain::tenant::{MONTH_NAMES, WEEKDAY_NAMES};
use almanac_domain::time::{local_date, local_datetime};
use almanac_domain::window::WindowKind;
use almanac_domain::{TenantId, WeekStart};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::Redirect;
use charts::{Cell, Chart, Matrix, MatrixRow};
use chrono::{DateTime, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use health::{Assessment, HORIZON, HORIZON_WEEKS};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use uuid::Uuid;

/// Weeks of the health matrix.
const MATRIX_WEEKS: usize = 8;
/// Months of the on-time trend.
const TREND_MONTHS: usize = 12;
/// Days of shipped releases the on-time trend reads: its months and one more.
const TREND_DAYS: u32 = 31 * 13;
/// The default period.
const DEFAULT_PERIOD: PeriodChoice = PeriodChoice::LastDays(90);

#[derive(Deserialize, Default, Debug)]
pub struct DashboardQuery {
    #[serde(default)]
    period: String,
}

pub async fn redirect_to_slash(Path(tenant): Path<String>) -> Redirect {
    Redirect::permanent(&format!("/{tenant}/"))
}

/// A health count that links to its releases.
pub struct HealthCount {
    pub health: Health,
    pub count: usize,
    pub href: String,
}

/// A product's (or line's) health with why.
pub struct HealthRow {
    pub label: String,
    pub health: Option<Health>,
    /// One line: the worst releases and why ("PAY 2.4.0: 2 milestones overdue").
    pub why: String,
    pub href: String,
    pub releases: Vec<ReleaseHealth>,
}

impl HealthRow {
    /// Something in it is not on track.
    #[must_use]
    pub fn attention(&self) -> bool {
        self.health.is_some_and(|h| h != Health::OnTrack)
    }
}

/// One assessed release.
pub struct ReleaseHealth {
    pub label: String,
    pub href: String,
    pub health: Health,
    pub reason: String,
    pub go_live: String,
}

/// A line with its products.
pub struct LineHealth {
    pub line: HealthRow,
    pub products: Vec<HealthRow>,
}

/// Something in the next 14 days.
pub struct Upcoming {
    pub when: String,
    pub what: &'static str,
    pub label: String,
    pub href: String,
    /// Decision state words and badge.
    pub state: String,
    pub badge: &'static str,
}

/// A freeze occurrence.
pub struct FreezeRow {
    pub name: String,
    pub href: String,
    pub when: String,
    pub active: bool,
    pub reason: String,
}

/// One metrics row (tenant, a line or a product).
pub struct MetricsRow {
    pub scope: &'static str,
    pub name: String,
    pub m: Metrics,
    pub shipped_href: String,
    pub failures_href: String,
    pub reviews_href: String,
}

impl MetricsRow {
    #[must_use]
    pub fn on_time_rate(&self) -> String {
        self.m
            .on_time_rate
            .map_or_else(|| "—".to_owned(), charts::percent)
    }
    #[must_use]
    pub fn slip(&self) -> String {
        self.m
            .average_slip_days
            .map_or_else(|| "—".to_owned(), |d| format!("{d:+.1} d"))
    }
    #[must_use]
    pub fn failure_rate(&self) -> String {
        self.m
            .change_failure_rate
            .map_or_else(|| "—".to_owned(), charts::percent)
    }
    #[must_use]
    pub fn lead_time(&self) -> String {
        self.m
            .median_lead_time_days
            .map_or_else(|| "—".to_owned(), |d| format!("{d:.1} d"))
    }
    #[must_use]
    pub fn per_week(&self) -> String {
        self.m
            .deployments_per_week
            .map_or_else(|| "—".to_owned(), |d| format!("{d:.1}"))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/show.html")]
pub struct DashboardPage {
    layout: Layout,
    slug: String,
    role: &'static str,
    tenant_zone: String,
    week_start: &'static str,
    fiscal_year_start: &'static str,
    member_count: usize,
    activity: Vec<ActivityRow>,
    waiting: Vec<Waiting>,
    my_milestones: Vec<(String, String, String, bool)>,
    health_counts: Vec<HealthCount>,
    lines: Vec<LineHealth>,
    assessed: usize,
    upcoming: Vec<Upcoming>,
    freezes: Vec<FreezeRow>,
    periods: Vec<(String, String, bool)>,
    period: Period,
    period_param: String,
    totals: MetricsRow,
    rows: Vec<MetricsRow>,
    weekly: Chart,
    weekly_table: Vec<(String, usize, usize, usize, usize)>,
    monthly: Chart,
    monthly_table: Vec<(String, String, usize, usize)>,
    matrix: Matrix,
    matrix_weeks: Vec<String>,
    matrix_table: Vec<(String, Vec<String>)>,
    horizon_end: String,
}

pub struct ActivityRow {
    at: String,
    actor: String,
    action: String,
    entity: String,
}

/// Everything read in the visitor's transaction.
struct Read {
    member_count: usize,
    activity: Vec<audit::Event>,
    waiting: Vec<Waiting>,
    mine: Vec<MyMilestone>,
    products: Vec<ProductRow>,
    assessed: Vec<Assessment>,
    kept: Arc<PeriodPlan>,
    rounds: Vec<(Uuid, ClosedRound)>,
    freezes: Vec<almanac_domain::window::Window>,
    meetings: Vec<(Uuid, String, DateTime<Utc>, Decision, bool)>,
}

fn tz_of(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

pub async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(q): Query<DashboardQuery>,
) -> Result<DashboardPage, AppError> {
    let now = Utc::now();
    let choice = PeriodChoice::parse(&q.period).unwrap_or(DEFAULT_PERIOD);
    let app = state.clone();
    let (visit, (read, period, weeks_ahead)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let t = visit.tenant()?;
                let tenant: TenantId = t.id;
                let tz = tz_of(&t.time_zone);
                let fiscal = u32::try_from(t.fiscal_year_start).unwrap_or(1);
                let week_start =
                    WeekStart::from_iso(t.week_start).map_or(Weekday::Mon, WeekStart::weekday);
                let period = portfolio::period(choice, now, tz, fiscal);
                let weeks_ahead = portfolio::next_weeks(now, tz, week_start, HORIZON_WEEKS);
                let until = weeks_ahead.last().map_or(now, |w| w.2);
                let read = read(tx, &app, visit, tenant, now, until, &period).await?;
                Ok((read, period, weeks_ahead))
            })
        })
        .await?;
    let t = visit.tenant()?;
    let zone = viewer_zone(&visit).to_owned();
    let tz = tz_of(&t.time_zone);
    let fiscal = u32::try_from(t.fiscal_year_start).unwrap_or(1);
    let week_start = WeekStart::from_iso(t.week_start).map_or(Weekday::Mon, WeekStart::weekday);
    let releases = format!("/{slug}/releases");
    let ids_href = |ids: &mut dyn Iterator<Item = Uuid>| {
        let mut seen = HashSet::new();
        let ids: Vec<String> = ids
            .filter(|i| seen.insert(*i))
            .take(500)
            .map(|i| i.to_string())
            .collect();
        if ids.is_empty() {
            format!("{releases}?ids=none")
        } else {
            format!("{releases}?ids={}", ids.join(","))
        }
    };

    // Health.
    let by_product: HashMap<Uuid, Vec<&Assessment>> =
        read.assessed.iter().fold(HashMap::new(), |mut m, a| {
            m.entry(a.release.product_id).or_default().push(a);
            m
        });
    let release_row = |a: &Assessment| ReleaseHealth {
        label: format!("{} {}", a.release.product_key, a.release.version),
        href: format!("{releases}/{}", a.release.id),
        health: a.assessed.health,
        reason: a.assessed.reason.clone(),
        go_live: a
            .release
            .go_live
            .map_or_else(|| "not scheduled".to_owned(), |g| local_datetime(g, &zone)),
    };
    // A line's or product's row links to the release list's
    // `health=horizon` narrowed to it: exact at any size, where an `ids`
    // link names at most 500 (left for "Products without a line").
    let health_row = |label: String, scope: Option<String>, list: &[&Assessment]| {
        let health = portfolio::rollup(list.iter().map(|a| a.assessed.health));
        let worst: Vec<String> = list
            .iter()
            .filter(|a| Some(a.assessed.health) == health && health != Some(Health::OnTrack))
            .take(3)
            .map(|a| {
                format!(
                    "{} {}: {}",
                    a.release.product_key, a.release.version, a.assessed.reason
                )
            })
            .collect();
        let why = match health {
            None => "No open releases in the horizon.".to_owned(),
            Some(Health::OnTrack) => format!(
                "{} open release{}, all on track.",
                list.len(),
                if list.len() == 1 { "" } else { "s" }
            ),
            Some(_) => worst.join("; "),
        };
        HealthRow {
            label,
            health,
            why,
            href: match scope {
                Some(scope) => format!("{releases}?{scope}&health={HORIZON}"),
                None => ids_href(&mut list.iter().map(|a| a.release.id)),
            },
            releases: list.iter().map(|a| release_row(a)).collect(),
        }
    };
    let mut lines: Vec<LineHealth> = Vec::new();
    let mut line_index: HashMap<Option<Uuid>, usize> = HashMap::new();
    for p in &read.products {
        let idx = *line_index.entry(p.line_id).or_insert_with(|| {
            lines.push(LineHealth {
                line: HealthRow {
                    label: p
                        .line_name
                        .clone()
                        .unwrap_or_else(|| "Products without a line".to_owned()),
                    health: None,
                    why: String::new(),
                    href: String::new(),
                    releases: Vec::new(),
                },
                products: Vec::new(),
            });
            lines.len() - 1
        });
        let list = by_product.get(&p.id).cloned().unwrap_or_default();
        lines[idx].products.push(health_row(
            format!("{} · {}", p.key, p.name),
            Some(format!("product={}", p.id)),
            &list,
        ));
    }
    for (line_id, idx) in &line_index {
        let all: Vec<&Assessment> = read
            .products
            .iter()
            .filter(|p| p.line_id == *line_id)
            .flat_map(|p| by_product.get(&p.id).cloned().unwrap_or_default())
            .collect();
        let l = &mut lines[*idx];
        let label = l.line.label.clone();
        l.line = health_row(label, line_id.map(|id| format!("line={id}")), &all);
    }
    let health_counts = Health::ALL
        .iter()
        .rev()
        .map(|h| HealthCount {
            health: *h,
            count: read
                .assessed
                .iter()
                .filter(|a| a.assessed.health == *h)
                .count(),
            href: format!("{releases}?health={}", h.as_str()),
        })
        .collect();

    // Next 14 days: go-lives and meetings.
    let fortnight = now + Duration::days(14);
    let mut upcoming: Vec<(DateTime<Utc>, Upcoming)> = read
        .assessed
        .iter()
        .filter_map(|a| {
            let g = a.release.go_live?;
            (g >= now && g < fortnight).then(|| {
                let (state, badge) = decision_words(a);
                (
                    g,
                    Upcoming {
                        when: local_datetime(g, &zone),
                        what: "Go-live",
                        label: format!("{} {}", a.release.product_key, a.release.version),
                        href: format!("{releases}/{}", a.release.id),
                        state,
                        badge,
                    },
                )
            })
        })
        .collect();
    for (release, label, at, decision, _) in &read.meetings {
        if *at >= now && *at < fortnight {
            upcoming.push((
                *at,
                Upcoming {
                    when: local_datetime(*at, &zone),
                    what: "Go/no-go meeting",
                    label: label.clone(),
                    href: format!("{releases}/{release}#review"),
                    state: format!("votes give {}", decision.word()),
                    badge: decision.badge(),
                },
            ));
        }
    }
    upcoming.sort_by_key(|(at, _)| *at);

    // Freezes: active now or starting within 60 days.
    let mut freezes: Vec<(DateTime<Utc>, FreezeRow)> = Vec::new();
    for w in &read.freezes {
        for o in w.occurrences_between(now, now + Duration::days(60)) {
            if o.cancelled {
                continue;
            }
            freezes.push((
                o.start,
                FreezeRow {
                    name: w.name.as_str().to_owned(),
                    href: format!("/{slug}/windows/{}", w.id),
                    when: format!(
                        "{} – {}",
                        local_datetime(o.start, &zone),
                        local_datetime(o.end, &zone)
                    ),
                    active: o.start <= now && o.end > now,
                    reason: w.reason.clone(),
                },
            ));
        }
    }
    freezes.sort_by_key(|(at, _)| *at);

    // Metrics: the organisation, each line, each product.
    let shipped = &read.kept.shipped;
    let last_day = local_date(period.to - Duration::seconds(1), &t.time_zone);
    let first_day = local_date(period.from, &t.time_zone);
    let period_rows = PeriodRows::new(shipped, &read.rounds, &read.kept.deployments);
    let metrics_row = |scope: &Scope| {
        let (m, mine, round_releases) = period_rows.scope(&period, scope.products.as_ref());
        let scope_param = match scope.kind {
            "product" => scope
                .products
                .iter()
                .flatten()
                .next()
                .map(|p| format!("&product={p}"))
                .unwrap_or_default(),
            "line" => scope.line.map(|l| format!("&line={l}")).unwrap_or_default(),
            _ => String::new(),
        };
        if scope.kind == "line" && scope.line.is_none() {
            // "Products without a line": the list has no filter for that,
            // so its figures name their releases (at most 500 a link).
            let inside = mine
                .iter()
                .filter(|s| s.went_live_between(period.from, period.to));
            return MetricsRow {
                scope: scope.kind,
                name: scope.name.clone(),
                shipped_href: ids_href(&mut inside.map(|s| s.id)),
                failures_href: ids_href(
                    &mut portfolio::change_failures(&period, &mine).into_iter(),
                ),
                reviews_href: ids_href(&mut round_releases.into_iter()),
                m,
            };
        }
        // Exact links at any size: the list's own filters.
        MetricsRow {
            scope: scope.kind,
            name: scope.name.clone(),
            shipped_href: format!(
                "{releases}?shipped_from={first_day}&shipped_to={last_day}{scope_param}"
            ),
            failures_href: format!(
                "{releases}?shipped_from={first_day}&shipped_to={last_day}&failed=1{scope_param}"
            ),
            reviews_href: format!(
                "{releases}?decided_from={first_day}&decided_to={last_day}{scope_param}"
            ),
            m,
        }
    };
    let all_scopes = scopes(&t.name, &read.products);
    let totals = metrics_row(&all_scopes[0]);
    let rows: Vec<MetricsRow> = all_scopes[1..].iter().map(metrics_row).collect();

    // Charts.
    let weeks = portfolio::weekly_outcomes(&period, shipped, tz, week_start);
    let weekly_table = weeks
        .iter()
        .map(|w| {
            (
                w.start.format("%-d %b %Y").to_string(),
                w.on_time + w.unplanned,
                w.late,
                w.failed,
                w.on_time + w.unplanned + w.late + w.failed,
            )
        })
        .collect();
    let weekly = charts::weekly(&weeks, |start: NaiveDate| {
        let end = start + Duration::days(6);
        format!("{releases}?shipped_from={start}&shipped_to={end}")
    });
    let months = portfolio::monthly_on_time(shipped, now, tz, TREND_MONTHS);
    let monthly_table = months
        .iter()
        .map(|m| {
            (
                m.month.format("%B %Y").to_string(),
                m.rate.map_or_else(|| "—".to_owned(), charts::percent),
                m.on_time,
                m.with_baseline,
            )
        })
        .collect();
    let monthly = charts::monthly(&months);
    let matrix_weeks: Vec<(NaiveDate, DateTime<Utc>, DateTime<Utc>)> =
        weeks_ahead.iter().take(MATRIX_WEEKS).copied().collect();
    let matrix_rows: Vec<MatrixRow> = read
        .products
        .iter()
        .map(|p| {
            let list = by_product.get(&p.id).cloned().unwrap_or_default();
            MatrixRow {
                label: p.key.clone(),
                href: format!("{releases}?product={}", p.id),
                cells: matrix_weeks
                    .iter()
                    .map(|(start, from, to)| {
                        let here: Vec<&&Assessment> = list
                            .iter()
                            .filter(|a| a.release.go_live.is_some_and(|g| g >= *from && g < *to))
                            .collect();
                        let health = portfolio::rollup(here.iter().map(|a| a.assessed.health));
                        Cell {
                            health,
                            title: if here.is_empty() {
                                format!("{}, week of {}: no go-live", p.key, start.format("%-d %b"))
                            } else {
                                here.iter()
                                    .map(|a| {
                                        format!(
                                            "{} {}: {} — {}",
                                            a.release.product_key,
                                            a.release.version,
                                            a.assessed.health.label(),
                                            a.assessed.reason
                                        )
                                    })
                                    .collect::<Vec<_>>()
                                    .join("\n")
                            },
                            href: if here.is_empty() {
                                String::new()
                            } else {
                                ids_href(&mut here.iter().map(|a| a.release.id))
                            },
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let matrix_table = matrix_rows
        .iter()
        .map(|r| {
            (
                r.label.clone(),
                r.cells
                    .iter()
                    .map(|c| c.health.map_or("—", Health::label).to_owned())
                    .collect(),
            )
        })
        .collect();
    let matrix = charts::matrix(
        &matrix_weeks.iter().map(|w| w.0).collect::<Vec<_>>(),
        &matrix_rows,
    );

    let mut periods: Vec<(String, String, bool)> = [30, 90, 365]
        .into_iter()
        .map(|n| {
            let c = PeriodChoice::LastDays(n);
            (c.as_param(), format!("Last {n} days"), c == period.choice)
        })
        .collect();
    for c in portfolio::recent_fiscal_quarters(now, tz, fiscal, 4) {
        if let PeriodChoice::FiscalQuarter { year, quarter } = c {
            periods.push((
                c.as_param(),
                format!("FY{year} Q{quarter}"),
                c == period.choice,
            ));
        }
    }

    Ok(DashboardPage {
        role: t.role.label(),
        tenant_zone: t.time_zone.clone(),
        week_start: WEEKDAY_NAMES[usize::try_from(t.week_start - 1).unwrap_or(0) % 7],
        fiscal_year_start: MONTH_NAMES[usize::try_from(t.fiscal_year_start - 1).unwrap_or(0) % 12],
        member_count: read.member_count,
        activity: read
            .activity
            .into_iter()
            .map(|e| ActivityRow {
                at: local_datetime(e.at, &zone),
                actor: e.actor_label,
                action: e.action.replace(['.', '_'], " "),
                entity: describe(e.after.as_ref().or(e.before.as_ref())),
            })
            .collect(),
        waiting: read.waiting,
        my_milestones: read
            .mine
            .iter()
            .map(|m| {
                (
                    format!("{} — {}", m.release_label, m.name),
                    format!("{releases}/{}#milestones", m.release_id),
                    local_datetime(m.due_at, &zone),
                    m.due_at < now,
                )
            })
            .collect(),
        health_counts,
        assessed: read.assessed.len(),
        lines,
        upcoming: upcoming.into_iter().map(|(_, u)| u).collect(),
        freezes: freezes.into_iter().map(|(_, f)| f).collect(),
        periods,
        period_param: period.choice.as_param(),
        period,
        totals,
        rows,
        weekly,
        weekly_table,
        monthly,
        monthly_table,
        matrix,
        matrix_weeks: matrix_weeks
            .iter()
            .map(|w| w.0.format("%-d %b").to_string())
            .collect(),
        matrix_table,
        horizon_end: weeks_ahead
            .last()
            .map(|w| local_date(w.2 - Duration::seconds(1), &zone))
            .unwrap_or_default(),
        layout: Layout::signed_in(&ctx, &visit, "Dashboard", "dashboard"),
        slug,
    })
}

/// The state of a release's go/no-go decision, for the next 14 days.
fn decision_words(a: &Assessment) -> (String, &'static str) {
    match (&a.release.review, a.open_decision) {
        (None, _) => ("no go/no-go review".to_owned(), "badge-grey"),
        (Some(r), _) if r.closed => {
            let d = r.decision.unwrap_or(Decision::Pending);
            (format!("decided {}", d.word()), d.badge())
        }
        (Some(_), d) => {
            let d = d.unwrap_or(Decision::Pending);
            (format!("review open, votes give {}", d.word()), d.badge())
        }
    }
}

/// Reads everything the dashboard shows: a fixed number of statements.
#[allow(clippy::too_many_arguments)]
async fn read(
    tx: &mut almanac_db::Tx,
    app: &AppState,
    visit: &almanac_db::Visit,
    tenant: TenantId,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    period: &Period,
) -> Result<Read, AppError> {
    let t = visit.tenant()?;
    let member_count = members::list(tx, tenant).await?.len();
    let activity = audit::recent(tx, tenant, 10).await?;
    let open = open_reviews(tx, visit, tenant).await?;
    let waiting = if t.role.can_vote() {
        open.waiting
    } else {
        Vec::new()
    };
    let mine = db::my_milestones(tx, tenant, visit.user.id, now + Duration::days(14)).await?;
    let products = db::products(tx, tenant).await?;
    let version = health::plan_version(tx, app, tenant).await?;
    let assessed = health::assess(tx, app, tenant, (now, until), version, &open.decisions).await?;
    let kept = period_plan(tx, app, tenant, (now, tz_of(&t.time_zone)), period, version).await?;
    let rounds = db::closed_rounds(tx, tenant, period.from, period.to)
        .await?
        .into_iter()
        .map(|r| (r.release_id, r))
        .collect();
    let freezes = windows::overlapping(tx, tenant, now, now + Duration::days(60))
        .await?
        .into_iter()
        .filter(|w| w.kind == WindowKind::Freeze && !w.archived)
        .collect();
    let meetings = assessed_meetings(&assessed);
    Ok(Read {
        member_count,
        activity,
        waiting,
        mine,
        products,
        assessed,
        kept,
        rounds,
        freezes,
        meetings,
    })
}

/// What identifies a kept [`PeriodPlan`]: the tenant, the shipped rows'
/// span and the period.
pub type PeriodKey = (
    Uuid,
    DateTime<Utc>,
    DateTime<Utc>,
    DateTime<Utc>,
    DateTime<Utc>,
);

/// A period's shipped releases (with the 12-month trend before it and the
/// week after it, for hotfixes) and production deployments per product:
/// facts of the plan only (actual dates), so kept per plan version.
#[derive(Debug)]
pub struct PeriodPlan {
    pub shipped: Vec<Shipped>,
    pub deployments: Vec<(Uuid, i64)>,
}

/// The period's [`PeriodPlan`], from the plan cache when the plan has not
/// changed. Its bounds are local midnights, so it is the same all day.
async fn period_plan(
    tx: &mut almanac_db::Tx,
    app: &AppState,
    tenant: TenantId,
    (now, tz): (DateTime<Utc>, Tz),
    period: &Period,
    version: Option<i64>,
) -> Result<Arc<PeriodPlan>, AppError> {
    let trend = portfolio::period(PeriodChoice::LastDays(TREND_DAYS), now, tz, 1);
    let from = period.from.min(trend.from);
    let to = period.to + Duration::days(7);
    let key = (tenant.0, from, to, period.from, period.to);
    // Not a minute's view: only a plan change makes it stale.
    const STAMP: i64 = 0;
    if let Some(version) = version
        && let Lookup::Fresh(hit) | Lookup::Stale(hit) = app.periods.get(&key, version, STAMP)
    {
        return Ok(hit);
    }
    let shipped = db::shipped(tx, tenant, from, to).await?;
    let deployments = db::production_deployments(tx, tenant, period.from, period.to).await?;
    let bytes = 1024 + shipped.len() * 128 + deployments.len() * 48;
    let found = Arc::new(PeriodPlan {
        shipped,
        deployments,
    });
    if let Some(version) = version {
        app.periods
            .insert(key, version, STAMP, Arc::clone(&found), bytes);
    }
    Ok(found)
}

/// The open rounds' meetings of the assessed releases.
fn assessed_meetings(
    assessed: &[Assessment],
) -> Vec<(Uuid, String, DateTime<Utc>, Decision, bool)> {
    assessed
        .iter()
        .filter_map(|a| {
            let r = a.release.review.as_ref()?;
            let at = r.meeting_at?;
            (!r.closed).then(|| {
                (
                    a.release.id,
                    format!(
                        "{} {} round {}",
                        a.release.product_key, a.release.version, r.round
                    ),
                    at,
                    a.open_decision.unwrap_or(Decision::Pending),
                    r.closed,
                )
            })
        })
        .collect()
}

/// A short human label for an audit event's record ("rm@acme.test").
fn describe(snapshot: Option<&serde_json::Value>) -> String {
    snapshot
        .and_then(|v| v.get("email").or_else(|| v.get("name")))
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

/// A row of the metrics table: the organisation, a product line or a
/// product, with the products it covers (all for the organisation).
pub struct Scope {
    pub kind: &'static str,
    pub name: String,
    pub line: Option<Uuid>,
    pub products: Option<HashSet<Uuid>>,
}

/// The organisation, then each product line followed by its products.
fn scopes(organisation: &str, products: &[ProductRow]) -> Vec<Scope> {
    let mut out = vec![Scope {
        kind: "organisation",
        name: organisation.to_owned(),
        line: None,
        products: None,
    }];
    let mut seen: Vec<Option<Uuid>> = Vec::new();
    for p in products {
        if seen.contains(&p.line_id) {
            continue;
        }
        seen.push(p.line_id);
        let members: Vec<&ProductRow> =
            products.iter().filter(|q| q.line_id == p.line_id).collect();
        out.push(Scope {
            kind: "line",
            name: p
                .line_name
                .clone()
                .unwrap_or_else(|| "Products without a line".to_owned()),
            line: p.line_id,
            products: Some(members.iter().map(|q| q.id).collect()),
        });
        for q in members {
            out.push(Scope {
                kind: "product",
                name: format!("{} · {}", q.key, q.name),
                line: q.line_id,
                products: Some([q.id].into_iter().collect()),
            });
        }
    }
    out
}

/// A period's shipped releases, closed rounds and production deployments,
/// with where each product's rows are: a scope (a line, a product) reads
/// only its own products' rows, not every row once per scope (200 product
/// scopes over 5,000 rows spent most of the dashboard's time hashing).
struct PeriodRows<'a> {
    shipped: &'a [Shipped],
    rounds: &'a [(Uuid, ClosedRound)],
    deployments: &'a [(Uuid, i64)],
    shipped_of: HashMap<Uuid, Vec<usize>>,
    rounds_of: HashMap<Uuid, Vec<usize>>,
    deployments_of: HashMap<Uuid, i64>,
}

impl<'a> PeriodRows<'a> {
    fn new(
        shipped: &'a [Shipped],
        rounds: &'a [(Uuid, ClosedRound)],
        deployments: &'a [(Uuid, i64)],
    ) -> Self {
        let mut shipped_of: HashMap<Uuid, Vec<usize>> = HashMap::new();
        for (i, s) in shipped.iter().enumerate() {
            shipped_of.entry(s.product_id).or_default().push(i);
        }
        let mut rounds_of: HashMap<Uuid, Vec<usize>> = HashMap::new();
        for (i, (_, r)) in rounds.iter().enumerate() {
            rounds_of.entry(r.product_id).or_default().push(i);
        }
        let mut deployments_of: HashMap<Uuid, i64> = HashMap::new();
        for (p, n) in deployments {
            *deployments_of.entry(*p).or_default() += n;
        }
        Self {
            shipped,
            rounds,
            deployments,
            shipped_of,
            rounds_of,
            deployments_of,
        }
    }

    /// Positions of the rows of `products` in `of`, in the rows' order.
    fn positions(of: &HashMap<Uuid, Vec<usize>>, products: &HashSet<Uuid>) -> Vec<usize> {
        let mut at: Vec<usize> = products
            .iter()
            .filter_map(|p| of.get(p))
            .flatten()
            .copied()
            .collect();
        at.sort_unstable();
        at
    }

    /// The metrics of one scope (`None`: every product), its shipped
    /// releases and the releases of its closed rounds.
    fn scope(
        &self,
        period: &Period,
        products: Option<&HashSet<Uuid>>,
    ) -> (Metrics, Vec<Shipped>, Vec<Uuid>) {
        let (mine, rounds, count): (Vec<Shipped>, Vec<&(Uuid, ClosedRound)>, i64) = match products {
            None => (
                self.shipped.to_vec(),
                self.rounds.iter().collect(),
                self.deployments.iter().map(|(_, n)| n).sum(),
            ),
            Some(set) => (
                Self::positions(&self.shipped_of, set)
                    .into_iter()
                    .map(|i| self.shipped[i].clone())
                    .collect(),
                Self::positions(&self.rounds_of, set)
                    .into_iter()
                    .map(|i| &self.rounds[i])
                    .collect(),
                set.iter().filter_map(|p| self.deployments_of.get(p)).sum(),
            ),
        };
        let mut outcomes = ReviewOutcomes::default();
        let mut round_releases = Vec::new();
        for (release, r) in rounds {
            match r.decision {
                Decision::Go => outcomes.go += 1,
                Decision::NoGo => outcomes.no_go += 1,
                Decision::Pending => {}
            }
            if r.overridden {
                outcomes.overridden += 1;
            }
            round_releases.push(*release);
        }
        let m = portfolio::metrics(period, &mine, outcomes, usize::try_from(count).unwrap_or(0));
        (m, mine, round_releases)
    }
}

/// `/{tenant}/metrics.csv?period=`: the metrics table of a period, one row
/// per scope, with the period's bounds as ISO-8601 instants in the
/// organisation's zone.
pub async fn metrics_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(slug): Path<String>,
    Query(q): Query<DashboardQuery>,
) -> Result<axum::response::Response, AppError> {
    let now = Utc::now();
    let choice = PeriodChoice::parse(&q.period).unwrap_or(DEFAULT_PERIOD);
    let (visit, (products, shipped, rounds, deployments, period)) = ctx
        .enter(&state, Some(&slug), move |tx, visit| {
            Box::pin(async move {
                let t = visit.tenant()?;
                let tenant = t.id;
                let tz = tz_of(&t.time_zone);
                let fiscal = u32::try_from(t.fiscal_year_start).unwrap_or(1);
                let period = portfolio::period(choice, now, tz, fiscal);
                let products = db::products(tx, tenant).await?;
                // As the dashboard reads them: a week after the period for
                // the hotfixes that follow its releases.
                let shipped =
                    db::shipped(tx, tenant, period.from, period.to + Duration::days(7)).await?;
                let rounds: Vec<(Uuid, ClosedRound)> =
                    db::closed_rounds(tx, tenant, period.from, period.to)
                        .await?
                        .into_iter()
                        .map(|r| (r.release_id, r))
                        .collect();
                let deployments =
                    db::production_deployments(tx, tenant, period.from, period.to).await?;
                Ok((products, shipped, rounds, deployments, period))
            })
        })
        .await?;
    let t = visit.tenant()?;
    let tz = tz_of(&t.time_zone);
    let iso = |at: DateTime<Utc>| at.with_timezone(&tz).to_rfc3339();
    let mut file = crate::csv_export::CsvFile::new(&[
        "scope",
        "name",
        "period",
        "period_start",
        "period_end",
        "shipped",
        "with_baseline",
        "on_time",
        "on_time_rate",
        "average_slip_days",
        "change_failures",
        "change_failure_rate",
        "reviews_go",
        "reviews_no_go",
        "reviews_overridden",
        "median_lead_time_days",
        "production_deployments",
        "production_deployments_per_week",
    ])?;
    let number = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v:.4}"));
    let period_rows = PeriodRows::new(&shipped, &rounds, &deployments);
    for scope in scopes(&t.name, &products) {
        let (m, _, _) = period_rows.scope(&period, scope.products.as_ref());
        file.row([
            scope.kind.to_owned(),
            scope.name,
            period.label.clone(),
            iso(period.from),
            iso(period.to),
            m.shipped.to_string(),
            m.with_baseline.to_string(),
            m.on_time.to_string(),
            number(m.on_time_rate),
            number(m.average_slip_days),
            m.change_failures.to_string(),
            number(m.change_failure_rate),
            m.reviews.go.to_string(),
            m.reviews.no_go.to_string(),
            m.reviews.overridden.to_string(),
            number(m.median_lead_time_days),
            m.production_deployments.to_string(),
            number(m.deployments_per_week),
        ])?;
    }
    let name = format!(
        "{slug}-metrics-{}-{}.csv",
        period.choice.as_param(),
        now.with_timezone(&tz).format("%Y-%m-%d")
    );
    Ok(crate::csv_export::attachment(&name, file.finish()?))
}

/// Narrows `ids` (none: every release) to the change failures among the
/// releases shipped in `[from, before)` (open ends: all of them): the
/// release list's `failed=1`, as the dashboard counts them.
pub async fn narrow_failures(
    tx: &mut almanac_db::Tx,
    tenant: TenantId,
    (from, before): (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
    ids: &mut Option<Vec<Uuid>>,
) -> Result<(), AppError> {
    let from = from.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let before = before.unwrap_or_else(|| Utc::now() + Duration::days(1));
    // A week further for the hotfixes that follow the last ones.
    let rows = db::shipped(tx, tenant, from, before + Duration::days(7)).await?;
    health::keep_only(ids, portfolio::change_failures_between(from, before, &rows));
    Ok(())
}
