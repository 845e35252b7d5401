//! The executive view of a portfolio (DESIGN.md "Domain"): the health of
//! each release, product and product line, and the release metrics of a
//! period, with the definitions of go-live, baseline, slip, lead time and
//! on time. Periods and weeks are in the tenant's zone, week start and
//! fiscal year, so every viewer and every export agree.
//!
//! Pure functions over rows the caller reads in a fixed number of queries.

use crate::recurrence::wall_clock_instant;
use crate::release::{ReleaseStatus, ReleaseType};
use crate::review::Decision;
use chrono::{DateTime, Datelike, Days, Duration, Months, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use std::collections::HashMap;
use uuid::Uuid;

/// How a release (or a product, or a line: the worst of its releases)
/// stands. Ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Health {
    OnTrack,
    AtRisk,
    Late,
    Blocked,
}

impl Health {
    pub const ALL: [Health; 4] = [
        Health::OnTrack,
        Health::AtRisk,
        Health::Late,
        Health::Blocked,
    ];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Health::OnTrack => "on_track",
            Health::AtRisk => "at_risk",
            Health::Late => "late",
            Health::Blocked => "blocked",
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Health::OnTrack => "On track",
            Health::AtRisk => "At risk",
            Health::Late => "Late",
            Health::Blocked => "Blocked",
        }
    }

    #[must_use]
    pub fn badge(self) -> &'static str {
        match self {
            Health::OnTrack => "badge-green",
            Health::AtRisk => "badge-amber",
            Health::Late => "badge-red",
            Health::Blocked => "badge-red",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|h| h.as_str() == s.trim())
    }
}

/// The latest go/no-go round of a release, as far as health goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    /// No round yet.
    None,
    /// Open: the decision the votes give now.
    Open(crate::review::Decision),
    /// Closed with this decision.
    Closed(crate::review::Decision),
}

/// What the health of one open release is computed from.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthFacts {
    pub status: ReleaseStatus,
    /// Planned start of the production deployment.
    pub go_live: Option<DateTime<Utc>>,
    /// Milestones not done whose due time has passed.
    pub overdue_milestones: usize,
    /// Blocking conflicts of its deployments that are not overridden.
    pub blocking_conflicts: usize,
    pub review: ReviewState,
}

/// A health with the reason for it in one line ("2 milestones overdue").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessed {
    pub health: Health,
    pub reason: String,
}

/// The health of a release that is still on its way (planned, scheduled,
/// approved, rejected, in progress), or `None` for one that is done
/// (released, rolled back, cancelled). Worst first: a blocking conflict →
/// blocked; planned go-live passed and not released → late; an overdue
/// milestone, a no-go decision, or no go decision 48 hours before go-live →
/// at risk; otherwise on track. The reason names every finding of the
/// worst kind.
#[must_use]
pub fn release_health(facts: &HealthFacts, now: DateTime<Utc>) -> Option<Assessed> {
    if facts.status.is_closed() {
        return None;
    }
    let findings = findings(facts, now);
    let Some(worst) = findings.iter().map(|(h, _)| *h).max() else {
        return Some(Assessed {
            health: Health::OnTrack,
            reason: "Nothing blocking, late or at risk".to_owned(),
        });
    };
    let reason = findings
        .iter()
        .filter(|(h, _)| *h == worst)
        .map(|(_, r)| r.as_str())
        .collect::<Vec<_>>()
        .join("; ");
    Some(Assessed {
        health: worst,
        reason,
    })
}

/// Every finding on an open release, in the order the reasons are read.
fn findings(facts: &HealthFacts, now: DateTime<Utc>) -> Vec<(Health, String)> {
    let mut found = Vec::new();
    if facts.blocking_conflicts > 0 {
        found.push((
            Health::Blocked,
            plural(
                facts.blocking_conflicts,
                "blocking conflict",
                "blocking conflicts",
            ),
        ));
    }
    // In progress: the deployment has started, it is being released.
    let started = facts.status == ReleaseStatus::InProgress;
    if facts.go_live.is_some_and(|g| g < now) && !started {
        found.push((
            Health::Late,
            "Planned go-live has passed; not released yet".to_owned(),
        ));
    }
    if facts.overdue_milestones > 0 {
        found.push((
            Health::AtRisk,
            plural(
                facts.overdue_milestones,
                "milestone overdue",
                "milestones overdue",
            ),
        ));
    }
    let no_go = match facts.review {
        ReviewState::Closed(Decision::NoGo) => Some("The go/no-go review said no-go"),
        ReviewState::Open(Decision::NoGo) => Some("The open go/no-go review says no-go"),
        // Rejected is what closing a round no-go leaves behind.
        _ if facts.status == ReleaseStatus::Rejected => Some("The go/no-go review said no-go"),
        _ => None,
    };
    if let Some(reason) = no_go {
        found.push((Health::AtRisk, reason.to_owned()));
    }
    let has_go = matches!(
        facts.status,
        ReleaseStatus::Approved | ReleaseStatus::InProgress
    ) || facts.review == ReviewState::Closed(Decision::Go);
    let soon = facts
        .go_live
        .is_some_and(|g| g >= now && g - now < Duration::hours(48));
    // A no-go is a decision: "no go decision" would only repeat it less clearly.
    if soon && !has_go && no_go.is_none() {
        found.push((
            Health::AtRisk,
            "No go decision and go-live within 48 hours".to_owned(),
        ));
    }
    found
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The worst of `healths` (a product's or a line's), `None` when empty.
#[must_use]
pub fn rollup(healths: impl IntoIterator<Item = Health>) -> Option<Health> {
    healths.into_iter().max()
}

/// The period the metrics cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodChoice {
    LastDays(u32),
    /// Quarter `quarter` (1–4) of the fiscal year that *starts* in
    /// calendar year `year`.
    FiscalQuarter {
        year: i32,
        quarter: u8,
    },
}

impl PeriodChoice {
    /// `30d`, `90d`, `365d`, `fy2026q1`.
    #[must_use]
    pub fn as_param(self) -> String {
        match self {
            PeriodChoice::LastDays(n) => format!("{n}d"),
            PeriodChoice::FiscalQuarter { year, quarter } => format!("fy{year}q{quarter}"),
        }
    }

    /// The inverse of [`PeriodChoice::as_param`] (only 30, 90, 365 days).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let digits = |d: &str, len: usize| d.len() == len && d.bytes().all(|b| b.is_ascii_digit());
        if let Some(days) = s.strip_suffix('d') {
            return match days {
                "30" => Some(PeriodChoice::LastDays(30)),
                "90" => Some(PeriodChoice::LastDays(90)),
                "365" => Some(PeriodChoice::LastDays(365)),
                _ => None,
            };
        }
        let (year, quarter) = s.strip_prefix("fy")?.split_once('q')?;
        if !digits(year, 4) || !digits(quarter, 1) {
            return None;
        }
        let year: i32 = year.parse().ok()?;
        let quarter: u8 = quarter.parse().ok()?;
        ((1970..=2200).contains(&year) && (1..=4).contains(&quarter))
            .then_some(PeriodChoice::FiscalQuarter { year, quarter })
    }
}

/// A resolved period: `[from, to)` in UTC, with its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub choice: PeriodChoice,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// "Last 90 days (28 Aug – 25 Nov 2026)", "FY2026 Q1 (1 Apr – 30 Jun 2026)".
    pub label: String,
}

/// Resolves `choice` as of `now` in `tz`: the last N days end at the
/// start of tomorrow (local midnight) and start N days earlier; a fiscal
/// quarter runs from local midnight of its first day to local midnight of
/// the day after its last (fiscal years start on the 1st of
/// `fiscal_start_month`).
#[must_use]
pub fn period(choice: PeriodChoice, now: DateTime<Utc>, tz: Tz, fiscal_start_month: u32) -> Period {
    let (first, end, label) = match choice {
        PeriodChoice::LastDays(n) => {
            let today = local_date(now, tz);
            let end = today.succ_opt().unwrap_or(today);
            let first = end
                .checked_sub_days(Days::new(u64::from(n)))
                .filter(|d| *d >= EARLIEST)
                .unwrap_or(EARLIEST);
            let words = if n == 1 {
                "Last 1 day".to_owned()
            } else {
                format!("Last {n} days")
            };
            let label = match end.pred_opt().filter(|last| *last >= first) {
                Some(last) => format!("{words} ({})", span(first, last)),
                None => words,
            };
            (first, end, label)
        }
        PeriodChoice::FiscalQuarter { year, quarter } => {
            let first = quarter_start(year, quarter, fiscal_start_month);
            let end = first.checked_add_months(Months::new(3)).unwrap_or(first);
            let last = end.pred_opt().unwrap_or(end);
            let label = format!("FY{year} Q{quarter} ({})", span(first, last));
            (first, end, label)
        }
    };
    Period {
        choice,
        from: local_midnight(first, tz),
        to: local_midnight(end, tz),
        label,
    }
}

/// The earliest day a period may start on: a "last N days" reaching further
/// back is cut there (no calendar arithmetic overflows on silly N).
const EARLIEST: NaiveDate = NaiveDate::from_ymd_opt(1, 1, 1).expect("valid date");

fn local_date(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The first instant of `date` in `tz`: local midnight, or the end of the
/// gap when the clocks skip midnight.
fn local_midnight(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    wall_clock_instant(date.and_time(NaiveTime::MIN), tz)
}

/// "1 Apr – 30 Jun 2026", "1 Nov 2026 – 31 Jan 2027", "25 Nov 2026".
fn span(first: NaiveDate, last: NaiveDate) -> String {
    if first == last {
        format!("{}", last.format("%-d %b %Y"))
    } else if first.year() == last.year() {
        format!("{} – {}", first.format("%-d %b"), last.format("%-d %b %Y"))
    } else {
        format!(
            "{} – {}",
            first.format("%-d %b %Y"),
            last.format("%-d %b %Y")
        )
    }
}

/// The first day of quarter `quarter` of the fiscal year starting in
/// `year`. Values a parsed choice never holds are brought into range
/// rather than panicking.
fn quarter_start(year: i32, quarter: u8, fiscal_start_month: u32) -> NaiveDate {
    let year = year.clamp(1, 9998);
    let month0 = fiscal_start_month.clamp(1, 12) - 1 + 3 * (u32::from(quarter.clamp(1, 4)) - 1);
    let (year, month) = (year + i32::from(month0 >= 12), month0 % 12 + 1);
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(EARLIEST)
}

/// The fiscal quarters to offer: the current one and the `n - 1` before it,
/// newest first.
#[must_use]
pub fn recent_fiscal_quarters(
    now: DateTime<Utc>,
    tz: Tz,
    fiscal_start_month: u32,
    n: usize,
) -> Vec<PeriodChoice> {
    let today = local_date(now, tz);
    let start = fiscal_start_month.clamp(1, 12);
    let into_year = (today.month() + 12 - start) % 12;
    let mut year = if today.month() >= start {
        today.year()
    } else {
        today.year() - 1
    };
    // into_year / 3 is 0..=3.
    let mut quarter = u8::try_from(into_year / 3 + 1).unwrap_or(1);
    let mut quarters = Vec::with_capacity(n);
    for _ in 0..n {
        quarters.push(PeriodChoice::FiscalQuarter { year, quarter });
        if quarter == 1 {
            year -= 1;
            quarter = 4;
        } else {
            quarter -= 1;
        }
    }
    quarters
}

/// A release that went live (its production deployment actually started),
/// for the metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct Shipped {
    pub id: Uuid,
    pub product_id: Uuid,
    pub release_type: ReleaseType,
    pub status: ReleaseStatus,
    pub created_at: DateTime<Utc>,
    pub baseline_go_live: Option<DateTime<Utc>>,
    pub actual_go_live: DateTime<Utc>,
}

impl Shipped {
    /// It went live in `[from, to)` and its status says so (in progress,
    /// released, rolled back): it counts as shipped then.
    #[must_use]
    pub fn went_live_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        self.status.has_started() && from <= self.actual_go_live && self.actual_go_live < to
    }

    /// Actual go-live − baseline (none without a baseline).
    #[must_use]
    pub fn slip(&self) -> Option<chrono::Duration> {
        self.baseline_go_live.map(|b| self.actual_go_live - b)
    }

    /// Within one day of the baseline, either way (DESIGN.md "On time");
    /// none without a baseline.
    #[must_use]
    pub fn on_time(&self) -> Option<bool> {
        self.slip().map(|s| s.num_seconds().abs() <= 86_400)
    }
}

/// Go/no-go rounds closed in the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReviewOutcomes {
    pub go: usize,
    pub no_go: usize,
    /// Closed against the votes (counted in go / no_go too).
    pub overridden: usize,
}

/// The metrics of a period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Metrics {
    /// Releases whose actual go-live is in the period.
    pub shipped: usize,
    /// Of those with a baseline: on time / with a baseline.
    pub on_time: usize,
    pub with_baseline: usize,
    /// `on_time / with_baseline`, none when nothing had a baseline.
    pub on_time_rate: Option<f64>,
    /// Average of slip in days over those with a baseline.
    pub average_slip_days: Option<f64>,
    /// Rolled back, or followed by a hotfix of the same product whose
    /// actual go-live is within 7 days after it.
    pub change_failures: usize,
    /// `change_failures / shipped`.
    pub change_failure_rate: Option<f64>,
    pub reviews: ReviewOutcomes,
    /// Median of (actual go-live − created) in days.
    pub median_lead_time_days: Option<f64>,
    /// Production deployments that actually started in the period, per
    /// week (period length / 7 days).
    pub production_deployments: usize,
    pub deployments_per_week: Option<f64>,
}

/// The metrics of `period` over `shipped` (any releases: those outside the
/// period are ignored, but are still seen as the hotfix following one inside
/// it), the period's closed rounds, and the production deployments that
/// started in it.
#[must_use]
pub fn metrics(
    period: &Period,
    shipped: &[Shipped],
    reviews: ReviewOutcomes,
    production_deployments: usize,
) -> Metrics {
    let inside: Vec<&Shipped> = shipped.iter().filter(|s| in_period(period, s)).collect();
    let failed = Failures::new(shipped);
    let slips: Vec<f64> = inside.iter().filter_map(|s| s.slip()).map(days).collect();
    let on_time = inside.iter().filter(|s| s.on_time() == Some(true)).count();
    let change_failures = inside.iter().filter(|s| failed.is_failure(s)).count();
    let mut lead_times: Vec<f64> = inside
        .iter()
        .map(|s| days(s.actual_go_live - s.created_at))
        .collect();
    let weeks = days(period.to - period.from) / 7.0;
    Metrics {
        shipped: inside.len(),
        on_time,
        with_baseline: slips.len(),
        on_time_rate: ratio(on_time, slips.len()),
        average_slip_days: (!slips.is_empty())
            .then(|| slips.iter().sum::<f64>() / slips.len() as f64),
        change_failures,
        change_failure_rate: ratio(change_failures, inside.len()),
        reviews,
        median_lead_time_days: median(&mut lead_times),
        production_deployments,
        deployments_per_week: (weeks > 0.0).then(|| production_deployments as f64 / weeks),
    }
}

/// Went live in the period: its production deployment started in
/// `[from, to)` and its status says so (in progress, released, rolled back).
fn in_period(period: &Period, s: &Shipped) -> bool {
    s.went_live_between(period.from, period.to)
}

fn days(d: Duration) -> f64 {
    d.num_seconds() as f64 / 86_400.0
}

fn ratio(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The middle value (the mean of the two middle ones for an even count).
fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

/// Which releases are change failures: rolled back, or followed within 7
/// days by a hotfix (or emergency release) of the same product that went
/// live, wherever that hotfix falls.
struct Failures {
    /// Go-lives of the hotfixes of each product, sorted.
    hotfixes: HashMap<Uuid, Vec<DateTime<Utc>>>,
}

impl Failures {
    const WITHIN: Duration = Duration::days(7);

    fn new(shipped: &[Shipped]) -> Self {
        let mut hotfixes: HashMap<Uuid, Vec<DateTime<Utc>>> = HashMap::new();
        for s in shipped.iter().filter(|s| {
            s.status.has_started()
                && matches!(s.release_type, ReleaseType::Hotfix | ReleaseType::Emergency)
        }) {
            hotfixes
                .entry(s.product_id)
                .or_default()
                .push(s.actual_go_live);
        }
        for v in hotfixes.values_mut() {
            v.sort_unstable();
        }
        Self { hotfixes }
    }

    fn is_failure(&self, s: &Shipped) -> bool {
        s.status == ReleaseStatus::RolledBack || self.followed_by_hotfix(s)
    }

    /// A hotfix in `(go-live, go-live + 7 days]`: strictly after, so a
    /// hotfix never follows itself.
    fn followed_by_hotfix(&self, s: &Shipped) -> bool {
        let Some(times) = self.hotfixes.get(&s.product_id) else {
            return false;
        };
        let after = times.partition_point(|t| *t <= s.actual_go_live);
        let until = s
            .actual_go_live
            .checked_add_signed(Self::WITHIN)
            .unwrap_or(DateTime::<Utc>::MAX_UTC);
        times.get(after).is_some_and(|t| *t <= until)
    }
}

/// The ids of the releases of `period` that count as change failures (the
/// dashboard links to them).
#[must_use]
pub fn change_failures(period: &Period, shipped: &[Shipped]) -> Vec<Uuid> {
    change_failures_between(period.from, period.to, shipped)
}

/// The ids of the releases that went live in `[from, to)` and count as
/// change failures, by go-live (`shipped` must reach 7 days past `to` for
/// the hotfixes that follow them).
#[must_use]
pub fn change_failures_between(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    shipped: &[Shipped],
) -> Vec<Uuid> {
    let failed = Failures::new(shipped);
    let mut ids: Vec<(DateTime<Utc>, Uuid)> = shipped
        .iter()
        .filter(|s| s.went_live_between(from, to) && failed.is_failure(s))
        .map(|s| (s.actual_go_live, s.id))
        .collect();
    ids.sort_unstable();
    ids.into_iter().map(|(_, id)| id).collect()
}

/// One week of the "releases per week" chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekOutcomes {
    /// The week's first day (tenant's week start), local.
    pub start: NaiveDate,
    pub on_time: usize,
    pub late: usize,
    /// Shipped without a baseline to compare with.
    pub unplanned: usize,
    pub failed: usize,
}

/// Releases per week over the weeks that overlap `period`, each release in
/// exactly one outcome: failed (a change failure), else late (not on time),
/// else on time, else unplanned (no baseline).
#[must_use]
pub fn weekly_outcomes(
    period: &Period,
    shipped: &[Shipped],
    tz: Tz,
    week_start: Weekday,
) -> Vec<WeekOutcomes> {
    if period.from >= period.to {
        return Vec::new();
    }
    let first = start_of_week(local_date(period.from, tz), week_start);
    let mut weeks: Vec<WeekOutcomes> =
        std::iter::successors(Some(first), |d| d.checked_add_days(Days::new(7)))
            .take_while(|d| local_midnight(*d, tz) < period.to)
            .map(|start| WeekOutcomes {
                start,
                on_time: 0,
                late: 0,
                unplanned: 0,
                failed: 0,
            })
            .collect();
    let failed = Failures::new(shipped);
    for s in shipped.iter().filter(|s| in_period(period, s)) {
        let start = start_of_week(local_date(s.actual_go_live, tz), week_start);
        let Some(week) = usize::try_from((start - first).num_days() / 7)
            .ok()
            .and_then(|i| weeks.get_mut(i))
        else {
            continue;
        };
        let bucket = if failed.is_failure(s) {
            &mut week.failed
        } else {
            match s.on_time() {
                Some(false) => &mut week.late,
                Some(true) => &mut week.on_time,
                None => &mut week.unplanned,
            }
        };
        *bucket += 1;
    }
    weeks
}

/// The first day of the week (starting on `week_start`) holding `date`.
fn start_of_week(date: NaiveDate, week_start: Weekday) -> NaiveDate {
    let back = Days::new(u64::from(date.weekday().days_since(week_start)));
    date.checked_sub_days(back).unwrap_or(date)
}

/// One month of the on-time trend.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthRate {
    /// The month's first day, local.
    pub month: NaiveDate,
    pub with_baseline: usize,
    pub on_time: usize,
    pub rate: Option<f64>,
}

/// On-time rate per local calendar month, for the `months` months up to and
/// including the one containing `now`, oldest first.
#[must_use]
pub fn monthly_on_time(
    shipped: &[Shipped],
    now: DateTime<Utc>,
    tz: Tz,
    months: usize,
) -> Vec<MonthRate> {
    let this_month = local_date(now, tz).with_day(1).unwrap_or(EARLIEST);
    let mut rates: Vec<MonthRate> = (0..months)
        .rev()
        .filter_map(|back| {
            let back = u32::try_from(back).ok()?;
            this_month.checked_sub_months(Months::new(back))
        })
        .map(|month| MonthRate {
            month,
            with_baseline: 0,
            on_time: 0,
            rate: None,
        })
        .collect();
    for s in shipped.iter().filter(|s| s.status.has_started()) {
        let Some(on_time) = s.on_time() else { continue };
        let month = local_date(s.actual_go_live, tz)
            .with_day(1)
            .unwrap_or(EARLIEST);
        if let Some(m) = rates.iter_mut().find(|m| m.month == month) {
            m.with_baseline += 1;
            m.on_time += usize::from(on_time);
        }
    }
    for m in &mut rates {
        m.rate = ratio(m.on_time, m.with_baseline);
    }
    rates
}

/// The local weeks of the health matrix: `n` weeks from the start of the
/// current week (tenant's week start), as `[from, to)` in UTC with their
/// first local day.
#[must_use]
pub fn next_weeks(
    now: DateTime<Utc>,
    tz: Tz,
    week_start: Weekday,
    n: usize,
) -> Vec<(NaiveDate, DateTime<Utc>, DateTime<Utc>)> {
    let first = start_of_week(local_date(now, tz), week_start);
    std::iter::successors(Some(first), |d| d.checked_add_days(Days::new(7)))
        .take(n.saturating_add(1))
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| (w[0], local_midnight(w[0], tz), local_midnight(w[1], tz)))
        .collect()
}

#[cfg(test)]
mod tests;
