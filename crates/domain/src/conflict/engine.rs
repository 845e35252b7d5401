//! The rules. Window occurrences are expanded once per call over the range
//! the deployments span, then looked up by binary search; overlaps and
//! capacity counts use per-environment lists sorted by start, so a plan of
//! N deployments and W windows costs about W expansions + N log N.

use super::words;
use super::{
    Conflict, ConflictKind, DeploymentFacts, EnvironmentFacts, MilestoneFacts, Plan, Severity,
    Slot, SlotCheck,
};
use crate::recurrence::Occurrence;
use crate::release::ReleaseStatus;
use crate::window::{Window, WindowKind};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use uuid::Uuid;

/// Rule 6's horizon.
const APPROVAL_HORIZON_HOURS: i64 = 48;

/// One window's (not cancelled) occurrences in the expanded range.
struct Occurrences<'a> {
    window: &'a Window,
    list: Vec<Occurrence>,
    longest: Duration,
}

impl Occurrences<'_> {
    /// Occurrences overlapping `[from, to)` (half-open: touching is not
    /// overlapping).
    fn overlapping(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Iterator<Item = &Occurrence> {
        // Starts are sorted and no occurrence lasts longer than `longest`:
        // those starting `longest` or more before `from` end by then.
        let earliest = from - self.longest;
        let hi = self.list.partition_point(|o| o.start < to);
        let lo = self.list[..hi].partition_point(|o| o.start <= earliest);
        self.list[lo..hi].iter().filter(move |o| o.end > from)
    }

    /// The occurrence holding `[from, to)` entirely, if any.
    fn holding(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<&Occurrence> {
        self.overlapping(from, to)
            .find(|o| o.start <= from && to <= o.end)
    }
}

/// The windows (not archived) expanded over a range, and which of them
/// cover each (environment, product) of the deployments at hand.
struct Windows<'a> {
    all: Vec<Occurrences<'a>>,
    /// (environment, product) → indices in `all` of the [freezes, release
    /// windows] covering it.
    covering: HashMap<(Uuid, Uuid), [Vec<usize>; 2]>,
}

fn kind_index(kind: WindowKind) -> usize {
    match kind {
        WindowKind::Freeze => 0,
        WindowKind::Release => 1,
    }
}

impl<'a> Windows<'a> {
    fn expand<'d>(
        windows: &'a [Window],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        deployments: impl Iterator<Item = &'d DeploymentFacts>,
    ) -> Self {
        let all = windows
            .iter()
            .filter(|w| !w.archived)
            .map(|window| {
                let mut list: Vec<Occurrence> = window
                    .occurrences_between(from, to)
                    .into_iter()
                    .filter(|o| !o.cancelled)
                    .collect();
                list.sort_by_key(|o| o.start);
                let longest = list
                    .iter()
                    .map(|o| o.end - o.start)
                    .max()
                    .unwrap_or_else(Duration::zero);
                Occurrences {
                    window,
                    list,
                    longest,
                }
            })
            .collect::<Vec<_>>();
        let mut covering: HashMap<(Uuid, Uuid), [Vec<usize>; 2]> = HashMap::new();
        for d in deployments {
            covering
                .entry((d.environment_id, d.product_id))
                .or_insert_with(|| {
                    let mut found: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
                    for (i, o) in all.iter().enumerate() {
                        if o.window.covers(d.environment_id, d.product_id) {
                            found[kind_index(o.window.kind)].push(i);
                        }
                    }
                    found
                });
        }
        Self { all, covering }
    }

    /// The windows of `kind` covering `d`'s environment and product.
    fn of_kind(
        &self,
        kind: WindowKind,
        d: &DeploymentFacts,
    ) -> impl Iterator<Item = &Occurrences<'a>> {
        let known = self
            .covering
            .get(&(d.environment_id, d.product_id))
            .map(|c| &c[kind_index(kind)]);
        // A deployment not indexed (none is) falls back to a scan.
        let scan = if known.is_some() { 0 } else { self.all.len() };
        known
            .into_iter()
            .flatten()
            .map(|&i| &self.all[i])
            .chain(self.all.iter().take(scan).filter(move |o| {
                o.window.kind == kind && o.window.covers(d.environment_id, d.product_id)
            }))
    }
}

/// The deployments the subject is compared with, by environment, sorted by
/// start, and the occupancy of capacity-limited window occurrences.
struct Others<'p> {
    by_environment: HashMap<Uuid, EnvironmentList<'p>>,
    /// (window, occurrence start) → deployments wholly inside.
    occupancy: HashMap<(Uuid, DateTime<Utc>), u32>,
}

struct EnvironmentList<'p> {
    list: Vec<&'p DeploymentFacts>,
    longest: Duration,
}

impl<'p> Others<'p> {
    fn new(pool: Vec<&'p DeploymentFacts>, windows: &Windows) -> Self {
        let mut occupancy = HashMap::new();
        for d in &pool {
            for w in windows.of_kind(WindowKind::Release, d) {
                if w.window.capacity.is_some()
                    && let Some(o) = w.holding(d.start, d.end)
                {
                    *occupancy.entry((w.window.id.0, o.start)).or_insert(0) += 1;
                }
            }
        }
        let mut by_environment: HashMap<Uuid, EnvironmentList<'p>> = HashMap::new();
        for d in pool {
            let entry = by_environment
                .entry(d.environment_id)
                .or_insert_with(|| EnvironmentList {
                    list: Vec::new(),
                    longest: Duration::zero(),
                });
            entry.longest = entry.longest.max(d.end - d.start);
            entry.list.push(d);
        }
        for e in by_environment.values_mut() {
            e.list.sort_by_key(|d| d.start);
        }
        Self {
            by_environment,
            occupancy,
        }
    }

    /// Deployments of other releases overlapping `d` on its environment.
    fn overlapping(&self, d: &DeploymentFacts) -> Vec<&'p DeploymentFacts> {
        let Some(env) = self.by_environment.get(&d.environment_id) else {
            return Vec::new();
        };
        let earliest = d.start - env.longest;
        let hi = env.list.partition_point(|o| o.start < d.end);
        let lo = env.list[..hi].partition_point(|o| o.start <= earliest);
        env.list[lo..hi]
            .iter()
            .copied()
            .filter(|o| o.end > d.start && o.release_id != d.release_id && o.id != d.id)
            .collect()
    }

    fn occupancy(&self, window: Uuid, occurrence_start: DateTime<Utc>) -> u32 {
        self.occupancy
            .get(&(window, occurrence_start))
            .copied()
            .unwrap_or(0)
    }
}

/// Everything prepared for checking deployments against a plan.
struct Checker<'p> {
    plan: &'p Plan<'p>,
    windows: Windows<'p>,
    environments: HashMap<Uuid, &'p EnvironmentFacts>,
    milestones: HashMap<Uuid, Vec<&'p MilestoneFacts>>,
    others: Others<'p>,
}

impl<'p> Checker<'p> {
    /// `pool`: the deployments that count as "others"; windows expanded
    /// over `[from, to)`.
    fn new(
        plan: &'p Plan<'p>,
        pool: Vec<&'p DeploymentFacts>,
        candidate: Option<&DeploymentFacts>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Self {
        let windows = Windows::expand(
            plan.windows,
            from,
            to,
            pool.iter().copied().chain(candidate),
        );
        let others = Others::new(pool, &windows);
        let mut milestones: HashMap<Uuid, Vec<&MilestoneFacts>> = HashMap::new();
        for m in plan.milestones {
            milestones.entry(m.release_id).or_default().push(m);
        }
        for list in milestones.values_mut() {
            list.sort_by_key(|m| m.due);
        }
        Self {
            plan,
            environments: plan.environments.iter().map(|e| (e.id, e)).collect(),
            windows,
            milestones,
            others,
        }
    }

    fn environment_name(&self, id: Uuid) -> &str {
        self.environments
            .get(&id)
            .map_or("this environment", |e| e.name.as_str())
    }

    /// The conflicts of `d`; `in_pool` says whether `d` is already counted
    /// in the occupancy of the occurrences it lies in.
    fn conflicts_of(&self, d: &DeploymentFacts, in_pool: bool) -> Vec<Conflict> {
        let mut found = Vec::new();
        let env_name = self.environment_name(d.environment_id);
        let mut add = |kind: ConflictKind, severity: Severity, message: String| {
            found.push(Conflict {
                deployment: d.id,
                release: d.release_id,
                kind,
                severity,
                overridden: severity == Severity::Blocking && d.is_overridden(),
                message,
            });
        };

        // 1. Freezes.
        for w in self.windows.of_kind(WindowKind::Freeze, d) {
            if w.window.exempts(d.release_type.as_str()) {
                continue;
            }
            if let Some(o) = w.overlapping(d.start, d.end).next() {
                add(
                    ConflictKind::Freeze {
                        window: w.window.id.0,
                    },
                    Severity::Blocking,
                    words::freeze(w.window, o, env_name, d.release_type),
                );
            }
        }

        // The release-window occurrences holding the deployment entirely.
        let holding: Vec<(&Occurrences, &Occurrence)> = self
            .windows
            .of_kind(WindowKind::Release, d)
            .filter_map(|w| Some((w, w.holding(d.start, d.end)?)))
            .collect();

        // 2. Outside every release-window occurrence.
        let requires = self
            .environments
            .get(&d.environment_id)
            .is_some_and(|e| e.requires_window);
        if requires && holding.is_empty() {
            let partly = self
                .windows
                .of_kind(WindowKind::Release, d)
                .any(|w| w.overlapping(d.start, d.end).next().is_some());
            add(
                ConflictKind::OutsideWindow,
                Severity::Warning,
                words::outside_window(env_name, partly),
            );
        }

        // 3. Capacity.
        for (w, o) in holding {
            let Some(capacity) = w.window.capacity else {
                continue;
            };
            let count = self.others.occupancy(w.window.id.0, o.start) + u32::from(!in_pool);
            if count > capacity {
                add(
                    ConflictKind::CapacityExceeded {
                        window: w.window.id.0,
                        occurrence_start: o.start,
                    },
                    Severity::Warning,
                    words::over_capacity(w.window, o, count, capacity),
                );
            }
        }

        // 4. Overlaps on a non-shared environment.
        let shared = self
            .environments
            .get(&d.environment_id)
            .is_some_and(|e| e.shared);
        if !shared {
            for other in self.others.overlapping(d) {
                add(
                    ConflictKind::Overlap {
                        other_deployment: other.id,
                        other_release: other.release_id,
                    },
                    Severity::Warning,
                    words::overlap(env_name),
                );
            }
        }

        if d.is_production {
            // 5. Milestones out of order.
            let milestones = self
                .milestones
                .get(&d.release_id)
                .map_or(&[][..], Vec::as_slice);
            if let Some(message) = milestones_out_of_order(milestones, d.start) {
                add(
                    ConflictKind::MilestonesOutOfOrder,
                    Severity::Warning,
                    message,
                );
            }

            // 6. Go-live soon without an approved decision.
            let soon = d.start >= self.plan.now
                && d.start < self.plan.now + Duration::hours(APPROVAL_HORIZON_HOURS);
            // A go decision moves the release to approved (and on).
            let approved = matches!(
                d.release_status,
                ReleaseStatus::Approved | ReleaseStatus::InProgress | ReleaseStatus::Released
            ) || self.plan.approved_releases.contains(&d.release_id);
            if self.plan.review_rule_enabled && soon && !approved {
                add(
                    ConflictKind::NoApproval,
                    Severity::Warning,
                    words::no_approval(),
                );
            }
        }
        found
    }
}

/// Rule 5's reasons in words, if any: open milestones that belong before
/// go-live but are due after it, and go-live before an open code freeze.
fn milestones_out_of_order(
    milestones: &[&MilestoneFacts],
    go_live: DateTime<Utc>,
) -> Option<String> {
    let late: Vec<&MilestoneFacts> = milestones
        .iter()
        .copied()
        .filter(|m| !m.done && m.due > go_live && !words::is_after_go_live(&m.name))
        .collect();
    let (freezes, others): (Vec<&MilestoneFacts>, Vec<&MilestoneFacts>) = late
        .into_iter()
        .partition(|m| words::is_code_freeze(&m.name));
    words::milestones(&freezes, &others)
}

/// Whether `d` is flagged at all: not for cancelled or rolled-back releases,
/// nor for the past deployments of a released release.
pub(super) fn is_subject(d: &DeploymentFacts, now: DateTime<Utc>) -> bool {
    let happened = d.release_status == ReleaseStatus::Released && d.start < now;
    !(d.never_conflicts() || happened)
}

fn span<'a>(
    deployments: impl Iterator<Item = &'a DeploymentFacts>,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    deployments.fold(None, |acc, d| match acc {
        None => Some((d.start, d.end)),
        Some((from, to)) => Some((from.min(d.start), to.max(d.end))),
    })
}

pub(super) fn detect(plan: &Plan) -> Vec<Conflict> {
    let pool: Vec<&DeploymentFacts> = plan
        .deployments
        .iter()
        .filter(|d| !d.never_conflicts() && d.end > d.start)
        .collect();
    let Some((from, to)) = span(pool.iter().copied()) else {
        return Vec::new();
    };
    let subjects: Vec<&DeploymentFacts> = pool
        .iter()
        .copied()
        .filter(|d| is_subject(d, plan.now))
        .collect();
    let checker = Checker::new(plan, pool, None, from, to);
    subjects
        .into_iter()
        .flat_map(|d| checker.conflicts_of(d, true))
        .collect()
}

/// The deployments that count as others for `candidate`.
fn pool_for<'p>(candidate: &DeploymentFacts, plan: &'p Plan) -> Vec<&'p DeploymentFacts> {
    plan.deployments
        .iter()
        .filter(|d| d.id != candidate.id && !d.never_conflicts() && d.end > d.start)
        .collect()
}

pub(super) fn check(candidate: &DeploymentFacts, plan: &Plan) -> Vec<Conflict> {
    if candidate.never_conflicts() || candidate.end <= candidate.start {
        return Vec::new();
    }
    let checker = Checker::new(
        plan,
        pool_for(candidate, plan),
        Some(candidate),
        candidate.start,
        candidate.end,
    );
    checker.conflicts_of(candidate, false)
}

pub(super) fn slots(
    candidate: &DeploymentFacts,
    plan: &Plan,
    from: DateTime<Utc>,
    horizon: Duration,
) -> Vec<SlotCheck> {
    let duration = candidate.end - candidate.start;
    if duration <= Duration::zero() || horizon <= Duration::zero() {
        return Vec::new();
    }
    let until = from + horizon;
    // Expanded far enough to see the end of a deployment placed at the
    // start of the last occurrence (and any freeze it would touch).
    let checker = Checker::new(
        plan,
        pool_for(candidate, plan),
        Some(candidate),
        from,
        until + duration.max(Duration::days(2)),
    );
    let mut found: Vec<SlotCheck> = checker
        .windows
        .of_kind(WindowKind::Release, candidate)
        .flat_map(|w| {
            w.list
                .iter()
                .filter(|o| o.start >= from && o.start < until)
                .map(move |o| (w.window, *o))
        })
        .map(|(window, o)| {
            let placed = candidate.placed_at(o.start);
            let remaining = window
                .capacity
                .map(|c| c.saturating_sub(checker.others.occupancy(window.id.0, o.start)));
            SlotCheck {
                slot: Slot {
                    window: window.id.0,
                    occurrence_start: o.start,
                    occurrence_end: o.end,
                    start: placed.start,
                    end: placed.end,
                    remaining_capacity: remaining,
                },
                conflicts: if candidate.never_conflicts() {
                    Vec::new()
                } else {
                    checker.conflicts_of(&placed, false)
                },
            }
        })
        .collect();
    found.sort_by_key(|s| (s.slot.start, s.slot.window));
    found
}
