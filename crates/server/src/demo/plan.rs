//! The demo's releases, planned in memory before anything is written: which
//! product ships which version on which window night, in which status,
//! with which deployment times, and which milestones and checklist steps
//! are done. Deterministic: variety comes from each release's index, dates
//! from "now" in the tenant's zone.
//!
//! Placement keeps the demo free of accidental conflicts: go-lives fall on
//! weekly window nights (majors on a major-window Saturday), at most as
//! many per night as fit one after the other, never near a freeze; the
//! release in progress is an emergency deployed right now, outside the
//! windows, as emergencies are.

use super::calendar::{Calendar, FUTURE_DAYS, PAST_DAYS};
use super::catalog::{self, ProductSpec, Spec};
use almanac_domain::recurrence::Occurrence;
use almanac_domain::release::{
    Decision, DeploymentResult, DeploymentTimes, Facts, ReleaseStatus, ReleaseType, Risk,
    Transition,
};
use anyhow::{Result, anyhow};
use chrono::{DateTime, Duration, DurationRound, Utc};
use std::collections::HashMap;

/// One release as it will be written.
#[derive(Debug, Clone)]
pub struct PlannedRelease {
    pub product: &'static ProductSpec,
    pub version: String,
    pub title: String,
    pub release_type: ReleaseType,
    pub risk: Risk,
    /// Email of the owning member.
    pub owner: &'static str,
    pub status: ReleaseStatus,
    /// The go/no-go decisions its status went through, in order (a no-go
    /// then a go for a release rejected once and rescheduled).
    pub decisions: Vec<Decision>,
    pub baseline: Option<DateTime<Utc>>,
    /// The production deployment's planned start.
    pub go_live: DateTime<Utc>,
    pub created: DateTime<Utc>,
    pub notes: &'static str,
    pub in_train: bool,
    /// (index into `Spec::environments`, times), in environment order.
    pub deployments: Vec<(usize, DeploymentTimes)>,
    /// When each milestone of [`TEMPLATE_MILESTONES`] was done.
    pub milestones_done: Vec<Option<DateTime<Utc>>>,
    /// When each step of [`TEMPLATE_STEPS`] was ticked (by the owner).
    pub steps_done: Vec<Option<DateTime<Utc>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Regular,
    Train,
    InProgress,
}

/// What became of a release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Planned,
    Scheduled { rescheduled: bool },
    Approved { rescheduled: bool },
    Rejected,
    InProgress,
    Released { late: bool },
    RolledBack(DeploymentResult),
    Cancelled,
}

impl Fate {
    /// The moves of the status table that lead here from planned.
    fn path(self) -> Vec<Transition> {
        use Transition as T;
        let go = T::Decide(Decision::Go);
        let no_go = T::Decide(Decision::NoGo);
        let scheduled = |rescheduled: bool| {
            if rescheduled {
                vec![T::Schedule, no_go, T::Reschedule]
            } else {
                vec![T::Schedule]
            }
        };
        let then = |mut path: Vec<T>, more: &[T]| {
            path.extend_from_slice(more);
            path
        };
        match self {
            Fate::Planned => Vec::new(),
            Fate::Scheduled { rescheduled } => scheduled(rescheduled),
            Fate::Approved { rescheduled } => then(scheduled(rescheduled), &[go]),
            Fate::Rejected => vec![T::Schedule, no_go],
            Fate::InProgress => vec![T::Schedule, go, T::Start],
            Fate::Released { .. } => vec![
                T::Schedule,
                go,
                T::Start,
                T::Finish(DeploymentResult::Succeeded),
            ],
            Fate::RolledBack(result) => vec![T::Schedule, go, T::Start, T::Finish(result)],
            Fate::Cancelled => vec![T::Schedule, T::Cancel],
        }
    }

    /// The go/no-go decisions on its path, in order.
    fn decisions(self) -> Vec<Decision> {
        self.path()
            .into_iter()
            .filter_map(|t| match t {
                Transition::Decide(d) => Some(d),
                _ => None,
            })
            .collect()
    }

    /// The status its path reaches, checked move by move by the domain.
    fn status(self) -> Result<ReleaseStatus> {
        let facts = Facts { has_go_live: true };
        self.path()
            .into_iter()
            .try_fold(ReleaseStatus::Planned, |status, t| t.apply(status, facts))
            .map_err(|e| anyhow!("{self:?}: {e}"))
    }

    /// Still ahead: some of its milestones may be left overdue.
    fn upcoming(self) -> bool {
        matches!(
            self,
            Fate::Planned | Fate::Scheduled { .. } | Fate::Approved { .. } | Fate::Rejected
        )
    }
}

/// A release placed on a window occurrence.
#[derive(Debug, Clone, Copy)]
struct Slotted {
    /// Its index: the source of its variety.
    k: usize,
    kind: Kind,
    product: &'static ProductSpec,
    release_type: ReleaseType,
    /// The window occurrence it goes live in.
    night: Occurrence,
    /// That occurrence is the major window's (else the weekly one's).
    major_window: bool,
    /// Its place among the releases of that occurrence.
    slot: usize,
    go_live: DateTime<Utc>,
    /// How long its production deployment takes.
    minutes: i64,
}

/// Go-lives this close to now are left out (nothing half-way through).
const QUIET_HOURS: i64 = 8;
/// Upcoming releases this close are firm (scheduled at least); later ones
/// are mostly still planned.
const NEAR_DAYS: i64 = 45;
/// The fates of the first upcoming releases, by go-live order.
const NEAR: [Fate; 11] = [
    Fate::Approved { rescheduled: false },
    Fate::Rejected,
    Fate::Approved { rescheduled: false },
    Fate::Scheduled { rescheduled: true },
    Fate::Approved { rescheduled: false },
    Fate::Scheduled { rescheduled: false },
    Fate::Scheduled { rescheduled: false },
    Fate::Cancelled,
    Fate::Approved { rescheduled: true },
    Fate::Rejected,
    Fate::Scheduled { rescheduled: false },
];

fn regular_type(k: usize) -> ReleaseType {
    if k % 11 == 4 {
        ReleaseType::Major
    } else if k % 9 == 6 {
        ReleaseType::Hotfix
    } else if k == 20 {
        ReleaseType::Emergency
    } else if k.is_multiple_of(3) {
        ReleaseType::Patch
    } else {
        ReleaseType::Minor
    }
}

fn minutes(n: i64) -> Duration {
    Duration::minutes(n)
}

/// How many `length`-minute deployments fit one after the other in `o`,
/// within the window's capacity.
fn room(o: &Occurrence, length: i64, capacity: Option<u32>) -> usize {
    let fit = usize::try_from((o.end - o.start).num_minutes() / length.max(1)).unwrap_or(0);
    capacity.map_or(fit, |c| fit.min(c as usize))
}

/// Places every release on a window occurrence.
fn place(spec: &Spec, calendar: &Calendar) -> Result<Vec<Slotted>> {
    let now = calendar.now;
    let from = now - Duration::days(PAST_DAYS);
    let to = now + Duration::days(FUTURE_DAYS);
    // A night is usable when it is not happening right now and no freeze
    // is near any of its deployments (qa goes a week ahead).
    let usable = |o: &Occurrence| {
        (o.start - now).num_hours().abs() >= QUIET_HOURS
            && !calendar.frozen(o.start - Duration::days(9), o.end + Duration::days(1))
    };
    let mut nights: Vec<Occurrence> = calendar
        .weekly_nights(from, to)
        .into_iter()
        .filter(usable)
        .collect();
    let days: Vec<Occurrence> = calendar
        .major_days(from, to)
        .into_iter()
        .filter(usable)
        .collect();
    let mut placed = Vec::new();
    if let Some(train) = &spec.train {
        let i = nights
            .iter()
            .position(|o| o.start >= now + Duration::days(train.days_ahead))
            .ok_or_else(|| anyhow!("no window night for the train"))?;
        let night = nights.remove(i);
        let count = i32::try_from(train.products.len())?;
        let step = (night.end - night.start) / count.max(1);
        for (slot, key) in train.products.iter().enumerate() {
            placed.push(Slotted {
                k: spec.releases + slot,
                kind: Kind::Train,
                product: spec
                    .product(key)
                    .ok_or_else(|| anyhow!("no product {key}"))?,
                release_type: ReleaseType::Minor,
                night,
                major_window: false,
                slot,
                go_live: night.start + step * i32::try_from(slot)?,
                minutes: step.num_minutes(),
            });
        }
    }
    if nights.is_empty() {
        return Err(anyhow!("no window nights to plan releases on"));
    }
    let products: Vec<&'static ProductSpec> = spec.products().collect();
    let length = spec.production_minutes;
    let weekly_room = |o: &Occurrence| room(o, length, spec.weekly.capacity);
    let major_room = |o: &Occurrence| room(o, length, spec.major.as_ref().and_then(|m| m.capacity));
    // The past and the future get releases in proportion to their length,
    // spread evenly over the nights of each (freezes leave fewer nights).
    let past_nights = nights.iter().filter(|o| o.start < now).count();
    let past_share =
        usize::try_from(i64::try_from(spec.releases)? * PAST_DAYS / (PAST_DAYS + FUTURE_DAYS))?;
    let future_share = spec.releases - past_share;
    let mut on_night = vec![0usize; nights.len()];
    let mut on_day = vec![0usize; days.len()];
    for k in 0..spec.releases {
        let release_type = regular_type(k);
        let product = products[(k * 5) % products.len()];
        let ideal = if k < past_share {
            k * past_nights / past_share.max(1)
        } else {
            past_nights + (k - past_share) * (nights.len() - past_nights) / future_share.max(1)
        }
        .min(nights.len() - 1);
        let target = nights[ideal].start;
        let saturday = (release_type == ReleaseType::Major)
            .then(|| {
                (0..days.len())
                    .filter(|&d| {
                        on_day[d] < major_room(&days[d])
                            && (days[d].start - target).num_days().abs() <= 10
                    })
                    .min_by_key(|&d| ((days[d].start - target).num_minutes().abs(), d))
            })
            .flatten();
        let (night, slot) = if let Some(d) = saturday {
            on_day[d] += 1;
            (days[d], on_day[d] - 1)
        } else {
            let i = (ideal..nights.len())
                .chain((0..ideal).rev())
                .find(|&i| on_night[i] < weekly_room(&nights[i]))
                .ok_or_else(|| anyhow!("more releases than window room"))?;
            on_night[i] += 1;
            (nights[i], on_night[i] - 1)
        };
        placed.push(Slotted {
            k,
            kind: Kind::Regular,
            product,
            release_type,
            night,
            major_window: saturday.is_some(),
            slot,
            go_live: night.start + minutes(length * i64::try_from(slot)?),
            minutes: length,
        });
    }
    if let Some(key) = spec.in_progress {
        let go_live = now.duration_trunc(Duration::hours(1))? - Duration::hours(1);
        placed.push(Slotted {
            k: spec.releases + 10,
            kind: Kind::InProgress,
            product: spec
                .product(key)
                .ok_or_else(|| anyhow!("no product {key}"))?,
            release_type: ReleaseType::Emergency,
            night: Occurrence {
                start: go_live,
                end: go_live + Duration::hours(2),
                date: calendar.local_date(go_live),
                cancelled: false,
            },
            major_window: false,
            slot: 0,
            go_live,
            minutes: 120,
        });
    }
    placed.sort_by_key(|s| (s.go_live, s.k));
    Ok(placed)
}

/// What becomes of each placed release, and whether an upcoming one is
/// left with an overdue milestone.
fn fates(spec: &Spec, placed: &[Slotted], now: DateTime<Utc>) -> Vec<(Fate, bool)> {
    let mut out = vec![(Fate::Planned, false); placed.len()];
    let past: Vec<usize> = (0..placed.len())
        .filter(|&i| placed[i].kind == Kind::Regular && placed[i].go_live < now)
        .collect();
    for (n, &i) in past.iter().enumerate() {
        out[i].0 = Fate::Released { late: n % 6 == 4 };
    }
    let specials = spec.rolled_back + spec.cancelled;
    let (mut rolled_back, mut cancelled) = (0, 0);
    for j in 0..specials {
        let Some(&i) = past.get((j + 1) * past.len() / (specials + 1)) else {
            continue;
        };
        out[i].0 = if (j % 2 == 0 && rolled_back < spec.rolled_back) || cancelled == spec.cancelled
        {
            rolled_back += 1;
            Fate::RolledBack(if rolled_back == 2 {
                DeploymentResult::Failed
            } else {
                DeploymentResult::RolledBack
            })
        } else {
            cancelled += 1;
            Fate::Cancelled
        };
    }
    let (mut near, mut far) = (0, 0);
    for (i, s) in placed.iter().enumerate() {
        out[i].0 = match s.kind {
            Kind::Train => Fate::Scheduled { rescheduled: false },
            Kind::InProgress => Fate::InProgress,
            Kind::Regular if s.go_live < now => continue,
            Kind::Regular if near < NEAR.len() => {
                near += 1;
                NEAR[near - 1]
            }
            Kind::Regular if s.go_live <= now + Duration::days(NEAR_DAYS) => {
                Fate::Scheduled { rescheduled: false }
            }
            Kind::Regular => {
                far += 1;
                if far % 3 == 2 {
                    Fate::Scheduled { rescheduled: false }
                } else {
                    Fate::Planned
                }
            }
        };
        out[i].1 = match out[i].0 {
            Fate::Rejected | Fate::InProgress => true,
            fate => fate.upcoming() && (near + far) % 3 == 2,
        };
    }
    // The latest release out has not had its post-release review yet.
    if let Some(&i) = past
        .iter()
        .rev()
        .find(|&&i| matches!(out[i].0, Fate::Released { .. }))
    {
        out[i].1 = true;
    }
    out
}

/// Plans every release of the portfolio, in go-live order.
pub fn plan(spec: &Spec, calendar: &Calendar) -> Result<Vec<PlannedRelease>> {
    let now = calendar.now;
    let placed = place(spec, calendar)?;
    let fates = fates(spec, &placed, now);
    let mut versions: HashMap<&str, (u32, u32, u32)> = HashMap::new();
    let mut titles: HashMap<(&str, bool), usize> = HashMap::new();
    let mut notes = (0, 0, 0);
    let mut out = Vec::with_capacity(placed.len());
    for (s, &(fate, leave_overdue)) in placed.iter().zip(&fates) {
        let p = s.product;
        let (major, minor, patch) = versions.entry(p.key).or_insert(p.base_version);
        match s.release_type {
            ReleaseType::Major => (*major, *minor, *patch) = (*major + 1, 0, 0),
            ReleaseType::Minor => (*minor, *patch) = (*minor + 1, 0),
            _ => *patch += 1,
        }
        let version = format!("{major}.{minor}.{patch}");
        let feature = matches!(s.release_type, ReleaseType::Major | ReleaseType::Minor);
        let n = titles.entry((p.key, feature)).or_insert(0);
        let list = if feature { p.features } else { p.fixes };
        let title = match (*n / list.len(), feature) {
            (0, _) => list[*n % list.len()].to_owned(),
            (_, true) => format!("{} — phase 2", list[*n % list.len()]),
            (_, false) => format!("{} (follow-up)", list[*n % list.len()]),
        };
        *n += 1;
        let note = match fate {
            Fate::RolledBack(_) => {
                notes.0 += 1;
                catalog::ROLLED_BACK_NOTES[(notes.0 - 1) % catalog::ROLLED_BACK_NOTES.len()]
            }
            Fate::Cancelled => {
                notes.1 += 1;
                catalog::CANCELLED_NOTES[(notes.1 - 1) % catalog::CANCELLED_NOTES.len()]
            }
            Fate::InProgress => catalog::IN_PROGRESS_NOTE,
            Fate::Released { late: true } => catalog::LATE_NOTE,
            Fate::Scheduled { rescheduled: true } | Fate::Approved { rescheduled: true } => {
                catalog::RESCHEDULED_NOTE
            }
            _ if s.k % 4 == 1 => {
                notes.2 += 1;
                catalog::NOTES[(notes.2 - 1) % catalog::NOTES.len()]
            }
            _ => "",
        };
        let words = Words {
            version,
            title,
            notes: note,
        };
        out.push(detail(spec, calendar, s, (fate, leave_overdue), words)?);
    }
    separate_in_progress(spec, &mut out, &placed, &fates, calendar)?;
    Ok(out)
}

/// What a release says about itself.
struct Words {
    version: String,
    title: String,
    notes: &'static str,
}

/// Owner, risk, baseline, creation and planned deployments of one release;
/// actual times, milestones and steps follow from them.
fn detail(
    spec: &Spec,
    calendar: &Calendar,
    s: &Slotted,
    (fate, leave_overdue): (Fate, bool),
    words: Words,
) -> Result<PlannedRelease> {
    let k = s.k;
    let owner = if spec.other_every > 0 && k % spec.other_every == 2 {
        spec.other_owner
    } else {
        spec.release_owner
    };
    let risk = match s.release_type {
        ReleaseType::Major | ReleaseType::Emergency => Risk::High,
        ReleaseType::Hotfix if k.is_multiple_of(2) => Risk::High,
        ReleaseType::Hotfix => Risk::Medium,
        ReleaseType::Minor => [Risk::Low, Risk::Medium, Risk::Low, Risk::Medium, Risk::High][k % 5],
        ReleaseType::Patch if k % 4 == 3 => Risk::Medium,
        ReleaseType::Patch => Risk::Low,
    };
    let baseline = match fate {
        Fate::Planned => None,
        Fate::Released { late: true } => Some(earlier_go_live(calendar, s, 1)),
        // A week (or one major window) earlier.
        Fate::Scheduled { rescheduled: true } | Fate::Approved { rescheduled: true } => Some(
            earlier_go_live(calendar, s, if s.major_window { 1 } else { 2 }),
        ),
        _ => Some(s.go_live),
    };
    let k64 = i64::try_from(k)?;
    // A release still being planned may be hours old; one already
    // scheduled (and reviewed) was created days ago at least.
    let fresh = if fate == Fate::Planned {
        Duration::zero()
    } else {
        Duration::days(3)
    };
    let created = (s.go_live - Duration::days(30 + (k64 * 7) % 25))
        .min(calendar.now - fresh - Duration::hours(1 + k64 % 5));
    let mut release = PlannedRelease {
        product: s.product,
        version: words.version,
        title: words.title,
        release_type: s.release_type,
        risk,
        owner,
        status: fate.status()?,
        decisions: fate.decisions(),
        baseline,
        go_live: s.go_live,
        created,
        notes: words.notes,
        in_train: s.kind == Kind::Train,
        deployments: planned_deployments(spec, calendar, s)?,
        milestones_done: Vec::new(),
        steps_done: Vec::new(),
    };
    finish(spec, calendar, s, fate, leave_overdue, &mut release)?;
    Ok(release)
}

/// The go-live `back` occurrences earlier in the same window, at the same
/// place in the occurrence: what a late or rescheduled release was first
/// scheduled for.
fn earlier_go_live(calendar: &Calendar, s: &Slotted, back: usize) -> DateTime<Utc> {
    let recurrence = if s.major_window {
        calendar.major.as_ref()
    } else {
        Some(&calendar.weekly)
    };
    let from = s.night.start - Duration::days(16 * i64::try_from(back).unwrap_or(1));
    recurrence
        .map(|r| r.occurrences_between(from, s.night.start, &[]))
        .unwrap_or_default()
        .into_iter()
        .filter(|o| o.start < s.night.start)
        .rev()
        .nth(back.saturating_sub(1))
        .map_or(s.go_live - Duration::days(7), |o| {
            o.start + (s.go_live - s.night.start)
        })
}

mod progress;

use progress::{finish, planned_deployments, separate_in_progress};

#[cfg(test)]
mod tests;
