//! The loaded calendar as things to draw: the conflicts of the plan
//! (computed by `almanac_domain::conflict::detect` over every loaded
//! deployment), and one [`Item`] per shown deployment, window occurrence
//! and milestone in the period, with local times in the viewer's zone,
//! status words and conflict flags. The month, week, quarter and day views
//! lay these out.

use super::period::Period;
use almanac_db::calendar::{Calendar, CalendarDeployment, Filter};
use almanac_domain::conflict::{
    self, Conflict, DeploymentFacts, EnvironmentFacts, MilestoneFacts, Plan, Severity,
};
use almanac_domain::window::{Scope, Window, WindowKind};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// What an item is; also the order of items starting at the same time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Freeze,
    Window,
    Deployment,
    Milestone,
}

impl Kind {
    /// The CSS class of its chips and blocks.
    #[must_use]
    pub fn class(self) -> &'static str {
        match self {
            Kind::Freeze => "cal-freeze",
            Kind::Window => "cal-window",
            Kind::Deployment => "cal-deployment",
            Kind::Milestone => "cal-milestone",
        }
    }
}

/// A badge: colour class and the word that carries the meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Badge {
    pub class: &'static str,
    pub word: &'static str,
}

/// The conflict summary shown on an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    pub badge: Badge,
    pub count: usize,
}

/// One thing on the calendar.
#[derive(Debug, Clone)]
pub struct Item {
    pub kind: Kind,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The release or window page.
    pub href: String,
    /// `PAY 2.4.0`, a window's name, a milestone's name.
    pub label: String,
    /// `production`, `Release window`, `PAY 2.4.0` (a milestone's release).
    pub detail: String,
    /// The product colour (`#2457c5`), "" when the item has none.
    pub colour: String,
    /// The release status (deployments), `Done` / `Due` (milestones),
    /// `Cancelled` (cancelled window occurrences).
    pub status: Option<Badge>,
    pub flag: Option<Flag>,
    /// A freeze covering the production environment.
    pub covers_production: bool,
    pub cancelled: bool,
    /// The zone times are shown in.
    pub tz: Tz,
    /// Its conflicts in words, for the title.
    pub notes: Vec<String>,
}

impl Item {
    /// Local start time `22:00`. (Display strings are made only for the
    /// items a view draws: a busy month holds thousands.)
    #[must_use]
    pub fn start_time(&self) -> String {
        local(self.start, self.tz).format("%H:%M").to_string()
    }

    /// Local times `22:00–23:00`, `22:00–02:00 next day`, or with dates.
    #[must_use]
    pub fn times(&self) -> String {
        times(self.start, self.end, self.tz)
    }

    /// Everything in words (tooltip and screen readers).
    #[must_use]
    pub fn title(&self) -> String {
        let when = self.times();
        let mut title = match self.kind {
            Kind::Freeze | Kind::Window => {
                format!("{}: {}, {when}", self.detail, self.label)
            }
            Kind::Deployment => format!(
                "{} to {}, {when}, {}",
                self.label,
                self.detail,
                self.status
                    .map(|s| s.word)
                    .unwrap_or_default()
                    .to_lowercase()
            ),
            Kind::Milestone => format!(
                "Milestone {} of {}, due {when}, {}",
                self.label,
                self.detail,
                self.status
                    .map(|s| s.word)
                    .unwrap_or_default()
                    .to_lowercase()
            ),
        };
        if self.covers_production {
            title.push_str(", covers production");
        }
        if self.cancelled && self.kind != Kind::Deployment {
            title.push_str(" (this occurrence is cancelled)");
        }
        for note in &self.notes {
            title.push_str("; ");
            title.push_str(note);
        }
        title
    }

    /// The local date it starts on.
    #[must_use]
    pub fn start_date(&self) -> NaiveDate {
        local(self.start, self.tz).date_naive()
    }

    /// Drawn as a band across the days it covers (freezes, and release
    /// windows of a day or more) rather than as a chip on its first day.
    #[must_use]
    pub fn is_band(&self) -> bool {
        self.kind == Kind::Freeze
            || (self.kind == Kind::Window && self.end - self.start >= Duration::hours(24))
    }

    /// Whether it touches `[from, to)` (an instant item: lies in it).
    #[must_use]
    pub fn touches(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        if self.start == self.end {
            from <= self.start && self.start < to
        } else {
            self.start < to && self.end > from
        }
    }
}

/// One line of the conflicts panel.
#[derive(Debug, Clone)]
pub struct ConflictRow {
    pub severity: Badge,
    pub kind: &'static str,
    pub overridden: bool,
    pub override_reason: String,
    pub release_href: String,
    pub release_label: String,
    pub environment: String,
    /// The deployment's local start with zone.
    pub when: String,
    pub message: String,
}

/// The period's items and conflicts.
#[derive(Debug, Clone)]
pub struct Agenda {
    /// Items touching the period, by start (then kind, then label).
    pub items: Vec<Item>,
    /// Conflicts of the shown deployments, by deployment start.
    pub conflicts: Vec<ConflictRow>,
    /// Conflicts by deployment (shown and context deployments).
    pub by_deployment: HashMap<Uuid, Vec<Conflict>>,
}

/// What the page asks to see.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub filter: Filter,
    /// Only deployments with conflicts (windows and freezes stay as context).
    pub only_conflicts: bool,
}

/// `PAY 2.4.0`
#[must_use]
pub fn release_label(key: &str, version: &str) -> String {
    format!("{key} {version}")
}

fn local(at: DateTime<Utc>, tz: Tz) -> chrono::DateTime<Tz> {
    at.with_timezone(&tz)
}

/// `22:00–23:00`, `22:00–02:00 next day`, `24 Nov 22:00 – 26 Nov 02:00`,
/// or `17:00` for an instant.
#[must_use]
pub fn times(start: DateTime<Utc>, end: DateTime<Utc>, tz: Tz) -> String {
    let (s, e) = (local(start, tz), local(end, tz));
    if start == end {
        return s.format("%H:%M").to_string();
    }
    let (sd, ed) = (s.date_naive(), e.date_naive());
    let midnight_end = e.format("%H:%M").to_string() == "00:00";
    if sd == ed || (midnight_end && ed == sd.succ_opt().unwrap_or(sd)) {
        format!("{}–{}", s.format("%H:%M"), e.format("%H:%M"))
    } else if ed == sd.succ_opt().unwrap_or(sd) && end - start < Duration::hours(24) {
        format!("{}–{} next day", s.format("%H:%M"), e.format("%H:%M"))
    } else {
        format!(
            "{} – {}",
            s.format("%-d %b %H:%M"),
            e.format("%-d %b %H:%M")
        )
    }
}

/// The flag of a deployment with `conflicts`: blocked, else conflict
/// (warnings), else overridden.
#[must_use]
pub fn flag(conflicts: &[Conflict]) -> Option<Flag> {
    if conflicts.is_empty() {
        return None;
    }
    let badge = if conflicts.iter().any(Conflict::blocks) {
        Badge {
            class: "badge-red",
            word: "Blocked",
        }
    } else if conflicts.iter().any(|c| c.severity == Severity::Warning) {
        Badge {
            class: "badge-amber",
            word: "Conflict",
        }
    } else {
        Badge {
            class: "badge-grey",
            word: "Overridden",
        }
    };
    Some(Flag {
        badge,
        count: conflicts.len(),
    })
}

/// Runs the conflict rules over every loaded deployment.
#[must_use]
pub fn detect(cal: &Calendar, now: DateTime<Utc>) -> HashMap<Uuid, Vec<Conflict>> {
    let production: HashSet<Uuid> = cal
        .environments
        .iter()
        .filter(|e| e.is_production)
        .map(|e| e.id)
        .collect();
    let deployments: Vec<DeploymentFacts> = cal
        .deployments
        .iter()
        .map(|d| DeploymentFacts {
            id: d.id,
            release_id: d.release_id,
            product_id: d.product_id,
            environment_id: d.environment_id,
            release_type: d.release_type,
            release_status: d.status,
            start: d.start,
            end: d.end,
            is_production: production.contains(&d.environment_id),
            override_reason: d.override_reason.clone(),
        })
        .collect();
    let environments: Vec<EnvironmentFacts> = cal
        .environments
        .iter()
        .map(|e| EnvironmentFacts {
            id: e.id,
            name: e.name.clone(),
            shared: e.shared,
            requires_window: e.requires_window,
        })
        .collect();
    let milestones: Vec<MilestoneFacts> = cal
        .milestones
        .iter()
        .map(|m| MilestoneFacts {
            release_id: m.release_id,
            name: m.name.clone(),
            due: m.due,
            done: m.done_at.is_some(),
        })
        .collect();
    let approved = HashSet::new();
    let plan = Plan {
        deployments: &deployments,
        windows: &cal.windows,
        environments: &environments,
        milestones: &milestones,
        approved_releases: &approved,
        review_rule_enabled: true,
        now,
    };
    let mut conflicts = conflict::detect(&plan);
    let labels: HashMap<Uuid, String> = cal
        .deployments
        .iter()
        .map(|d| (d.release_id, release_label(&d.product_key, &d.version)))
        .collect();
    conflict::label_releases(&mut conflicts, |id| labels.get(&id).cloned());
    let mut by_deployment: HashMap<Uuid, Vec<Conflict>> = HashMap::new();
    for c in conflicts {
        by_deployment.entry(c.deployment).or_default().push(c);
    }
    by_deployment
}

/// Whether `window` is of interest under `filter`: it covers the chosen
/// environment, product, or some product of the chosen line.
fn window_matches(window: &Window, filter: &Filter, cal: &Calendar) -> bool {
    if let Some(env) = filter.environment
        && !window.environments.includes(env)
    {
        return false;
    }
    if let Some(product) = filter.product
        && !window.products.includes(product)
    {
        return false;
    }
    if let Some(line) = filter.product_line
        && let Scope::Only(ids) = &window.products
    {
        return cal
            .products
            .iter()
            .any(|p| p.line_id == Some(line) && ids.contains(&p.id));
    }
    true
}

/// Builds the agenda of `period` for the visitor's `selection`.
#[must_use]
pub fn build(
    cal: &Calendar,
    period: &Period,
    selection: &Selection,
    slug: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> Agenda {
    let by_deployment = detect(cal, now);
    let environments: HashMap<Uuid, &str> = cal
        .environments
        .iter()
        .map(|e| (e.id, e.name.as_str()))
        .collect();
    let production = cal
        .environments
        .iter()
        .find(|e| e.is_production && !e.archived)
        .map(|e| e.id);
    let mut items = Vec::new();
    for window in cal
        .windows
        .iter()
        .filter(|w| window_matches(w, &selection.filter, cal))
    {
        for o in window.occurrences_between(period.from, period.to) {
            items.push(window_item(
                window,
                o.start,
                o.end,
                o.cancelled,
                production,
                slug,
                tz,
            ));
        }
    }
    let mut conflicts = Vec::new();
    for d in cal.deployments.iter().filter(|d| d.shown) {
        let found = by_deployment.get(&d.id).map_or(&[][..], Vec::as_slice);
        if selection.only_conflicts && found.is_empty() {
            continue;
        }
        let environment = environments.get(&d.environment_id).copied().unwrap_or("");
        items.push(deployment_item(d, environment, found, slug, tz));
        conflicts.extend(
            found
                .iter()
                .map(|c| conflict_row(c, d, environment, slug, tz)),
        );
    }
    if !selection.only_conflicts {
        for m in cal.milestones.iter().filter(|m| m.shown) {
            let status = match m.done_at {
                Some(_) => Badge {
                    class: "badge-green",
                    word: "Done",
                },
                None if m.due < now => Badge {
                    class: "badge-amber",
                    word: "Overdue",
                },
                None => Badge {
                    class: "badge-grey",
                    word: "Due",
                },
            };
            items.push(Item {
                kind: Kind::Milestone,
                start: m.due,
                end: m.due,
                href: format!("/{slug}/releases/{}", m.release_id),
                label: m.name.clone(),
                detail: release_label(&m.product_key, &m.version),
                colour: m.product_colour.clone(),
                status: Some(status),
                flag: None,
                covers_production: false,
                cancelled: false,
                tz,
                notes: Vec::new(),
            });
        }
    }
    items.sort_by(|a, b| {
        (a.start, a.kind, &a.label, &a.detail).cmp(&(b.start, b.kind, &b.label, &b.detail))
    });
    Agenda {
        items,
        conflicts,
        by_deployment,
    }
}

fn window_item(
    window: &Window,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    cancelled: bool,
    production: Option<Uuid>,
    slug: &str,
    tz: Tz,
) -> Item {
    let freeze = window.kind == WindowKind::Freeze;
    let covers_production = freeze && production.is_some_and(|p| window.environments.includes(p));
    Item {
        kind: if freeze { Kind::Freeze } else { Kind::Window },
        start,
        end,
        href: format!("/{slug}/windows/{}", window.id),
        label: window.name.as_str().to_owned(),
        detail: window.kind.label().to_owned(),
        colour: String::new(),
        status: cancelled.then_some(Badge {
            class: "badge-grey",
            word: "Cancelled",
        }),
        flag: None,
        covers_production,
        cancelled,
        tz,
        notes: Vec::new(),
    }
}

fn deployment_item(
    d: &CalendarDeployment,
    environment: &str,
    conflicts: &[Conflict],
    slug: &str,
    tz: Tz,
) -> Item {
    Item {
        kind: Kind::Deployment,
        start: d.start,
        end: d.end,
        href: format!("/{slug}/releases/{}", d.release_id),
        label: release_label(&d.product_key, &d.version),
        detail: environment.to_owned(),
        colour: d.product_colour.clone(),
        status: Some(Badge {
            class: d.status.badge(),
            word: d.status.label(),
        }),
        flag: flag(conflicts),
        covers_production: false,
        cancelled: d.status == almanac_domain::release::ReleaseStatus::Cancelled,
        tz,
        notes: conflicts
            .iter()
            .map(|c| {
                format!(
                    "{}{}: {}",
                    c.severity.label(),
                    if c.overridden { " (overridden)" } else { "" },
                    c.message
                )
            })
            .collect(),
    }
}

fn conflict_row(
    c: &Conflict,
    d: &CalendarDeployment,
    environment: &str,
    slug: &str,
    tz: Tz,
) -> ConflictRow {
    ConflictRow {
        severity: Badge {
            class: c.severity.badge(),
            word: c.severity.label(),
        },
        kind: c.kind.label(),
        overridden: c.overridden,
        override_reason: if c.overridden {
            d.override_reason.clone().unwrap_or_default()
        } else {
            String::new()
        },
        release_href: format!("/{slug}/releases/{}", d.release_id),
        release_label: release_label(&d.product_key, &d.version),
        environment: environment.to_owned(),
        when: local(d.start, tz).format("%Y-%m-%d %H:%M %Z").to_string(),
        message: c.message.clone(),
    }
}

/// Whether a freeze covering production touches local `date`.
#[must_use]
pub fn production_frozen(items: &[Item], date: NaiveDate, tz: Tz) -> bool {
    let from = super::period::midnight(date, tz);
    let to = super::period::midnight(date.succ_opt().unwrap_or(date), tz);
    items.iter().any(|i| {
        i.kind == Kind::Freeze && i.covers_production && !i.cancelled && i.touches(from, to)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("instant")
    }

    #[test]
    fn times_read_naturally_in_the_zone() {
        let ny: Tz = "America/New_York".parse().expect("zone");
        // (start, end, expected)
        let table = [
            (
                at(2026, 11, 25, 3, 0),
                at(2026, 11, 25, 4, 0),
                "22:00–23:00",
            ),
            (
                at(2026, 11, 25, 3, 0),
                at(2026, 11, 25, 7, 0),
                "22:00–02:00 next day",
            ),
            (
                at(2026, 11, 25, 3, 0),
                at(2026, 11, 25, 5, 0),
                "22:00–00:00",
            ),
            (
                at(2026, 11, 25, 3, 0),
                at(2026, 11, 27, 7, 0),
                "24 Nov 22:00 – 27 Nov 02:00",
            ),
            (at(2026, 11, 25, 22, 0), at(2026, 11, 25, 22, 0), "17:00"),
        ];
        for (start, end, expected) in table {
            assert_eq!(times(start, end, ny), expected, "{start} {end}");
        }
    }

    fn conflict(severity: Severity, overridden: bool) -> Conflict {
        Conflict {
            deployment: Uuid::nil(),
            release: Uuid::nil(),
            kind: conflict::ConflictKind::OutsideWindow,
            severity,
            overridden,
            message: String::new(),
        }
    }

    #[test]
    fn flags_say_the_worst_first() {
        let table = [
            (vec![], None),
            (vec![conflict(Severity::Warning, false)], Some("Conflict")),
            (
                vec![
                    conflict(Severity::Warning, false),
                    conflict(Severity::Blocking, false),
                ],
                Some("Blocked"),
            ),
            (
                vec![
                    conflict(Severity::Warning, false),
                    conflict(Severity::Blocking, true),
                ],
                Some("Conflict"),
            ),
            (vec![conflict(Severity::Blocking, true)], Some("Overridden")),
        ];
        for (conflicts, word) in table {
            assert_eq!(
                flag(&conflicts).map(|f| f.badge.word),
                word,
                "{conflicts:?}"
            );
        }
    }
}
