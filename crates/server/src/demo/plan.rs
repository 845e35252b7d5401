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
//! windows, as emergencies are. Three conflicts are on purpose, for the
//! portfolio's health: a release planned inside a freeze (blocked), an
//! approved release whose go-live night passed without it (late), and an
//! upcoming release with a milestone overdue (at risk).
//!
//! The past year is history for the dashboard's metrics: most releases
//! went live on their baseline, some days later, a few days earlier; a
//! few were rolled back, each followed by a hotfix of the same product on
//! the next window night; some milestones were done after they were due.

use super::calendar::Calendar;
use super::catalog::{self, ProductSpec, Spec};
use almanac_domain::recurrence::Occurrence;
use almanac_domain::release::{
    Decision, DeploymentResult, DeploymentTimes, Facts, ReleaseStatus, ReleaseType, Risk,
    Transition,
};
use anyhow::{Result, anyhow};
use chrono::{DateTime, Duration, Utc};
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
    /// When each milestone of [`TEMPLATE_MILESTONES`] is due: the
    /// template's offsets from go-live, but for a code freeze brought
    /// forward on the release left at risk.
    pub milestone_dues: Vec<DateTime<Utc>>,
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
    /// The hotfix that followed a rolled-back release.
    Hotfix,
    /// Planned inside a freeze.
    Blocked,
}

/// How a release's actual go-live compares with its baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slip {
    OnTime,
    /// First planned this many window occurrences earlier.
    Late(usize),
    /// First planned for the next window occurrence.
    Early,
}

/// Which milestone of a release, if any, is left not done past its due time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overdue {
    No,
    /// The one the fate calls for, when it is due by now.
    Due,
    /// The QA sign-off when it is due, else the code freeze, brought
    /// forward to yesterday when it is not due yet.
    Forced,
}

/// What became of a release (`Missed`: approved, but its go-live night
/// passed without a deployment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Planned,
    Scheduled { rescheduled: bool },
    Approved { rescheduled: bool },
    Rejected,
    InProgress,
    Released(Slip),
    RolledBack(DeploymentResult),
    Cancelled,
    Missed,
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
            Fate::Missed => vec![T::Schedule, go],
            Fate::InProgress => vec![T::Schedule, go, T::Start],
            Fate::Released(_) => vec![
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
    /// Its fate when placing decided it (rolled back or cancelled).
    fate: Option<Fate>,
    /// For a hotfix after a rollback: the rolled-back release's go-live.
    follows: Option<DateTime<Utc>>,
}

/// Go-lives this close to now are left out (nothing half-way through).
const QUIET_HOURS: i64 = 8;
/// Upcoming releases this close are firm (scheduled at least); later ones
/// are mostly still planned.
const NEAR_DAYS: i64 = 45;
/// The release left late missed its go-live at least this long ago.
const MISSED_HOURS: i64 = 30;
/// A late release went live at most this long after its baseline.
const LATEST_SLIP_HOURS: i64 = 10 * 24 + 2;
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

/// How a past release's go-live compared with its baseline, by its place
/// `n` among them: about one in six late by one to three window nights, one
/// in eleven early; majors (a fortnight apart) on time.
fn slip(n: usize, s: &Slotted) -> Slip {
    if s.major_window {
        Slip::OnTime
    } else if n % 6 == 4 {
        Slip::Late(1 + (n / 6) % 3)
    } else if n % 11 == 8 {
        Slip::Early
    } else {
        Slip::OnTime
    }
}

/// The baseline of a release that went live with `slip`, `None` when none
/// fits (late by more than ten days, early against a baseline not yet
/// past, or first planned inside a freeze): then it went live on time.
fn slipped_baseline(calendar: &Calendar, s: &Slotted, slip: Slip) -> Option<DateTime<Utc>> {
    let length = minutes(s.minutes);
    let clear = |b: DateTime<Utc>| !calendar.frozen(b, b + length);
    match slip {
        Slip::OnTime => Some(s.go_live),
        Slip::Late(back) => (1..=back)
            .rev()
            .map(|b| earlier_go_live(calendar, s, b))
            .find(|&b| (s.go_live - b).num_hours() <= LATEST_SLIP_HOURS && clear(b)),
        Slip::Early => later_go_live(calendar, s)
            .filter(|&b| b + length < calendar.now - Duration::hours(QUIET_HOURS) && clear(b)),
    }
}

/// What becomes of each placed release, and which of its milestones is
/// left overdue.
fn fates(spec: &Spec, placed: &[Slotted], calendar: &Calendar) -> Vec<(Fate, Overdue)> {
    let now = calendar.now;
    let mut out: Vec<(Fate, Overdue)> = placed
        .iter()
        .map(|s| (s.fate.unwrap_or(Fate::Planned), Overdue::No))
        .collect();
    let past: Vec<usize> = (0..placed.len())
        .filter(|&i| {
            placed[i].kind == Kind::Regular && placed[i].go_live < now && placed[i].fate.is_none()
        })
        .collect();
    // The latest release due at least a day ago, of a product not being
    // deployed right now, missed its night.
    let missed = past
        .iter()
        .rev()
        .find(|&&i| {
            placed[i].go_live <= now - Duration::hours(MISSED_HOURS)
                && spec.in_progress != Some(placed[i].product.key)
        })
        .copied()
        .filter(|_| spec.missed_go_live);
    for (n, &i) in past.iter().enumerate() {
        out[i].0 = if Some(i) == missed {
            Fate::Missed
        } else {
            match slip(n, &placed[i]) {
                Slip::OnTime => Fate::Released(Slip::OnTime),
                slip if slipped_baseline(calendar, &placed[i], slip).is_some() => {
                    Fate::Released(slip)
                }
                _ => Fate::Released(Slip::OnTime),
            }
        };
    }
    let (mut near, mut far) = (0, 0);
    for (i, s) in placed.iter().enumerate() {
        out[i].0 = match s.kind {
            Kind::Train => Fate::Scheduled { rescheduled: false },
            Kind::InProgress => Fate::InProgress,
            Kind::Hotfix => Fate::Released(Slip::OnTime),
            Kind::Blocked => {
                out[i].0 = Fate::Scheduled { rescheduled: false };
                continue;
            }
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
        let due = match out[i].0 {
            Fate::Rejected | Fate::InProgress => true,
            fate => fate.upcoming() && (near + far) % 3 == 2,
        };
        out[i].1 = if due { Overdue::Due } else { Overdue::No };
    }
    // The first firm release ahead is at risk: a milestone overdue.
    if let Some(i) = (0..placed.len()).find(|&i| {
        placed[i].kind == Kind::Regular
            && placed[i].go_live > now
            && matches!(out[i].0, Fate::Scheduled { .. } | Fate::Approved { .. })
    }) {
        out[i].1 = Overdue::Forced;
    }
    // The latest release out has not had its post-release review yet.
    if let Some(&i) = past
        .iter()
        .rev()
        .find(|&&i| matches!(out[i].0, Fate::Released(_)))
    {
        out[i].1 = Overdue::Due;
    }
    out
}

/// Plans every release of the portfolio, in go-live order.
pub fn plan(spec: &Spec, calendar: &Calendar) -> Result<Vec<PlannedRelease>> {
    let placed = place(spec, calendar)?;
    let fates = fates(spec, &placed, calendar);
    let mut versions: HashMap<&str, (u32, u32, u32)> = HashMap::new();
    let mut titles: HashMap<(&str, bool), usize> = HashMap::new();
    let mut notes = (0, 0, 0, 0);
    let mut out = Vec::with_capacity(placed.len());
    for (s, &(fate, overdue)) in placed.iter().zip(&fates) {
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
            Fate::Missed => catalog::MISSED_NOTE,
            _ if s.kind == Kind::Hotfix => catalog::HOTFIX_NOTE,
            _ if s.kind == Kind::Blocked => catalog::BLOCKED_NOTE,
            Fate::Released(Slip::Late(_)) => {
                notes.3 += 1;
                catalog::LATE_NOTES[(notes.3 - 1) % catalog::LATE_NOTES.len()]
            }
            Fate::Released(Slip::Early) => catalog::EARLY_NOTE,
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
        out.push(detail(spec, calendar, s, (fate, overdue), words)?);
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
    (fate, overdue): (Fate, Overdue),
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
        Fate::Released(slip) => slipped_baseline(calendar, s, slip),
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
    let created = match s.follows {
        // A hotfix is raised hours after the rollback it fixes.
        Some(rolled_back) => rolled_back + Duration::hours(3 + k64 % 4),
        None => (s.go_live - Duration::days(30 + (k64 * 7) % 25))
            .min(calendar.now - fresh - Duration::hours(1 + k64 % 5)),
    };
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
        milestone_dues: Vec::new(),
        created,
        notes: words.notes,
        in_train: s.kind == Kind::Train,
        deployments: planned_deployments(spec, calendar, s)?,
        milestones_done: Vec::new(),
        steps_done: Vec::new(),
    };
    finish(spec, calendar, s, (fate, overdue), &mut release)?;
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

/// The go-live one occurrence later in the same window, at the same place
/// in the occurrence: what an early release was first scheduled for.
fn later_go_live(calendar: &Calendar, s: &Slotted) -> Option<DateTime<Utc>> {
    let recurrence = if s.major_window {
        calendar.major.as_ref()
    } else {
        Some(&calendar.weekly)
    }?;
    let from = s.night.start + Duration::minutes(1);
    recurrence
        .occurrences_between(from, from + Duration::days(16), &[])
        .into_iter()
        .find(|o| o.start > s.night.start)
        .map(|o| o.start + (s.go_live - s.night.start))
}

mod place;
mod progress;

use place::place;
use progress::{finish, planned_deployments, separate_in_progress};

#[cfg(test)]
mod history_tests;
#[cfg(test)]
mod tests;
