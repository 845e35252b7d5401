//! Conflicts (DESIGN.md "Conflict", issue 4): what is wrong with the plan,
//! computed for deployments from the tenant's windows and the other
//! deployments, never stored.
//!
//! 1. Blocking: the deployment overlaps a freeze occurrence that covers its
//!    product and environment and does not exempt its release type.
//! 2. Warning: its environment requires windows and it does not lie
//!    entirely inside one (not cancelled) release-window occurrence covering
//!    its product and environment.
//! 3. Warning: a release-window occurrence it lies wholly inside holds more
//!    deployments (wholly inside it) than the window's capacity.
//! 4. Warning: another release's deployment overlaps it on the same
//!    environment and the environment is not shared.
//! 5. Warning (production deployments): milestones out of order — a
//!    milestone that belongs before go-live is due after it, or go-live is
//!    before the code freeze.
//! 6. Warning (production deployments, when reviews exist): go-live within
//!    48 hours and no approved go/no-go decision.
//!
//! Periods are half-open: back-to-back (one ends when the other starts) is
//! not an overlap. Cancelled and rolled-back releases never conflict, neither
//! as the deployment checked nor as the other one; the past deployments of a
//! released release are not flagged (they happened). A blocking conflict of
//! a deployment with a break-glass override reason stays listed, marked
//! overridden.
//!
//! Messages are plain words; times in them are the window's own local dates
//! with its zone named, so they read the same for every viewer.

mod engine;
mod words;

#[cfg(test)]
mod tests;

use crate::release::{ReleaseStatus, ReleaseType};
use crate::window::Window;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashSet;
use uuid::Uuid;

pub use words::OTHER_RELEASE;

/// How many free slots "Next free slot" lists, and how far it looks.
pub const FREE_SLOTS: usize = 10;
pub const FREE_SLOT_HORIZON_DAYS: i64 = 90;

/// Facts about one deployment that conflicts are computed for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentFacts {
    pub id: Uuid,
    pub release_id: Uuid,
    pub product_id: Uuid,
    pub environment_id: Uuid,
    pub release_type: ReleaseType,
    pub release_status: ReleaseStatus,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub is_production: bool,
    /// Break-glass given: blocking conflicts stay listed but marked overridden.
    pub override_reason: Option<String>,
}

impl DeploymentFacts {
    /// True when the deployment has a (non-blank) break-glass reason.
    #[must_use]
    pub fn is_overridden(&self) -> bool {
        self.override_reason
            .as_deref()
            .is_some_and(|r| !r.trim().is_empty())
    }

    /// Cancelled and rolled-back releases never conflict.
    #[must_use]
    pub fn never_conflicts(&self) -> bool {
        matches!(
            self.release_status,
            ReleaseStatus::Cancelled | ReleaseStatus::RolledBack
        )
    }

    /// The same deployment moved to `[start, start + its duration)`.
    #[must_use]
    pub fn placed_at(&self, start: DateTime<Utc>) -> Self {
        Self {
            start,
            end: start + (self.end - self.start),
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentFacts {
    pub id: Uuid,
    pub name: String,
    pub shared: bool,
    pub requires_window: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneFacts {
    pub release_id: Uuid,
    pub name: String,
    pub due: DateTime<Utc>,
    pub done: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Blocking,
    Warning,
}

impl Severity {
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Severity::Blocking => "Blocking",
            Severity::Warning => "Warning",
        }
    }

    /// The badge colour class (always shown with the word).
    #[must_use]
    pub fn badge(self) -> &'static str {
        match self {
            Severity::Blocking => "badge-red",
            Severity::Warning => "badge-amber",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConflictKind {
    Freeze {
        window: Uuid,
    },
    OutsideWindow,
    CapacityExceeded {
        window: Uuid,
        occurrence_start: DateTime<Utc>,
    },
    Overlap {
        other_deployment: Uuid,
        other_release: Uuid,
    },
    MilestonesOutOfOrder,
    NoApproval,
}

impl ConflictKind {
    /// A short name for badges and filters.
    #[must_use]
    pub fn label(&self) -> &'static str {
        match self {
            ConflictKind::Freeze { .. } => "Freeze",
            ConflictKind::OutsideWindow => "Outside window",
            ConflictKind::CapacityExceeded { .. } => "Over capacity",
            ConflictKind::Overlap { .. } => "Overlap",
            ConflictKind::MilestonesOutOfOrder => "Milestones out of order",
            ConflictKind::NoApproval => "No go/no-go decision",
        }
    }

    /// Whether the conflict depends on where the deployment is placed (the
    /// milestones move with the go-live, so their order does not).
    #[must_use]
    pub fn depends_on_placement(&self) -> bool {
        !matches!(self, ConflictKind::MilestonesOutOfOrder)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub deployment: Uuid,
    pub release: Uuid,
    pub kind: ConflictKind,
    pub severity: Severity,
    /// A blocking conflict the deployment's break-glass reason overrides.
    pub overridden: bool,
    /// Plain words, e.g. "Inside the freeze “Year-end freeze 2026/27”
    /// (15 Dec 2026 – 5 Jan 2027, America/New_York), which covers production
    /// and does not exempt minor releases."
    pub message: String,
}

impl Conflict {
    /// Blocking and not overridden: saving it needs a break-glass reason.
    #[must_use]
    pub fn blocks(&self) -> bool {
        self.severity == Severity::Blocking && !self.overridden
    }
}

/// Everything conflicts are computed from. The caller loads the
/// deployments that can interact with the ones of interest (same
/// environments, overlapping the same window occurrences) and the windows
/// overlapping that range.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    pub deployments: &'a [DeploymentFacts],
    pub windows: &'a [Window],
    pub environments: &'a [EnvironmentFacts],
    pub milestones: &'a [MilestoneFacts],
    /// Releases with an approved go/no-go decision (rule 6) besides those
    /// whose status says so (approved, in progress, released).
    pub approved_releases: &'a HashSet<Uuid>,
    /// Rule 6 (go-live within 48 hours without an approved decision).
    pub review_rule_enabled: bool,
    pub now: DateTime<Utc>,
}

/// Every conflict of every deployment in `plan.deployments` (against all of
/// them and the windows), in the order of the deployments.
#[must_use]
pub fn detect(plan: &Plan) -> Vec<Conflict> {
    engine::detect(plan)
}

/// Conflicts one candidate deployment would have (for scheduling / next
/// free slot). A deployment in the plan with the candidate's id is the
/// candidate's old placement and is ignored.
#[must_use]
pub fn check(candidate: &DeploymentFacts, plan: &Plan) -> Vec<Conflict> {
    engine::check(candidate, plan)
}

/// The conflicts [`detect`] reports for deployment `id` of the plan (none
/// when it is not in the plan, its release is cancelled or rolled back, or
/// it is a past deployment of a released release).
#[must_use]
pub fn conflicts_of(id: Uuid, plan: &Plan) -> Vec<Conflict> {
    plan.deployments
        .iter()
        .find(|d| d.id == id)
        .filter(|d| engine::is_subject(d, plan.now))
        .map(|d| check(d, plan))
        .unwrap_or_default()
}

/// One place to put a deployment: at the start of a release-window
/// occurrence, for the deployment's duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub window: Uuid,
    pub occurrence_start: DateTime<Utc>,
    pub occurrence_end: DateTime<Utc>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Places left in the occurrence before this deployment takes one
    /// (`None`: the window has no capacity limit).
    pub remaining_capacity: Option<u32>,
}

impl Slot {
    /// Whether the deployment fits in the occurrence.
    #[must_use]
    pub fn fits(&self) -> bool {
        self.end <= self.occurrence_end
    }
}

/// A slot and the conflicts the deployment would have there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotCheck {
    pub slot: Slot,
    pub conflicts: Vec<Conflict>,
}

impl SlotCheck {
    /// Free: the deployment fits and would have no conflict that depends
    /// on where it is placed.
    #[must_use]
    pub fn is_free(&self) -> bool {
        self.slot.fits() && !self.conflicts.iter().any(|c| c.kind.depends_on_placement())
    }
}

/// Every (not cancelled) occurrence starting in `[from, from + horizon)` of
/// the release windows covering the deployment's environment and product,
/// in order, with the conflicts the deployment (`candidate`, with its
/// duration) would have placed at the occurrence's start.
#[must_use]
pub fn slots(
    candidate: &DeploymentFacts,
    plan: &Plan,
    from: DateTime<Utc>,
    horizon: Duration,
) -> Vec<SlotCheck> {
    engine::slots(candidate, plan, from, horizon)
}

/// "Next free slot": the next `n` release-window occurrences (covering the
/// deployment's environment and product, starting in `[from, from +
/// horizon)`) where the deployment, placed at the occurrence's start with
/// its duration (`end - start`), fits and would have no conflict.
#[must_use]
pub fn next_free_slots(
    candidate_template: &DeploymentFacts,
    plan: &Plan,
    from: DateTime<Utc>,
    n: usize,
    horizon: Duration,
) -> Vec<Slot> {
    slots(candidate_template, plan, from, horizon)
        .into_iter()
        .filter(SlotCheck::is_free)
        .map(|s| s.slot)
        .take(n)
        .collect()
}

/// Names the other release in overlap messages: `label(release id)` (e.g.
/// "PAY 2.4.0") replaces the generic words [`OTHER_RELEASE`].
pub fn label_releases(conflicts: &mut [Conflict], label: impl Fn(Uuid) -> Option<String>) {
    for c in conflicts {
        if let ConflictKind::Overlap { other_release, .. } = c.kind
            && let Some(name) = label(other_release)
        {
            c.message = c.message.replacen(OTHER_RELEASE, &name, 1);
        }
    }
}
