//! The six rules and their edges (back-to-back, daylight saving, windows
//! crossing midnight, partial scopes, exempt types, capacity, cancelled
//! occurrences and releases, break-glass), free slots, and property tests
//! (overlap is symmetric and half-open; `detect` agrees with `check`).

use super::*;
use crate::recurrence::{RRule, Recurrence};
use crate::tenant::TimeZone;
use crate::window::{
    CancelledOccurrence, ExemptType, Scope, WindowId, WindowKind, WindowName, WindowSchedule,
};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use proptest::prelude::*;

fn utc(s: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .expect("instant")
        .and_utc()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn time(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").expect("time")
}

fn zone(name: &str) -> TimeZone {
    TimeZone::parse(name).expect("zone")
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

// Fixed ids: environments, products.
const DEV: u128 = 1;
const STAGING: u128 = 2;
const PROD: u128 = 3;
const PAY: u128 = 10;
const WEB: u128 = 11;

fn environments() -> Vec<EnvironmentFacts> {
    vec![
        EnvironmentFacts {
            id: id(DEV),
            name: "dev".into(),
            shared: true,
            requires_window: false,
        },
        EnvironmentFacts {
            id: id(STAGING),
            name: "staging".into(),
            shared: false,
            requires_window: false,
        },
        EnvironmentFacts {
            id: id(PROD),
            name: "production".into(),
            shared: false,
            requires_window: true,
        },
    ]
}

fn window(kind: WindowKind, name: &str, schedule: WindowSchedule) -> Window {
    Window {
        id: WindowId(Uuid::now_v7()),
        kind,
        name: WindowName::parse(name).expect("name"),
        reason: String::new(),
        environments: Scope::All,
        products: Scope::All,
        exempt_types: Vec::new(),
        schedule,
        capacity: None,
        archived: false,
        revision: 1,
        cancelled: Vec::new(),
    }
}

fn recurring(rule: &str, series: &str, from: &str, to: &str, zone_name: &str) -> WindowSchedule {
    let z = zone(zone_name);
    WindowSchedule::Recurring(
        Recurrence::new(
            RRule::parse(rule, z).expect("rule"),
            date(series),
            time(from),
            time(to),
            z,
        )
        .expect("recurrence"),
    )
}

/// Weekly Tue/Thu 22:00–02:00 New York, capacity 3, production only (the
/// demo's window). Tue 1 Dec 2026 22:00 EST = 2 Dec 03:00 UTC.
fn weekly() -> Window {
    let mut w = window(
        WindowKind::Release,
        "Weekly production window",
        recurring(
            "FREQ=WEEKLY;BYDAY=TU,TH",
            "2026-01-01",
            "22:00",
            "02:00",
            "America/New_York",
        ),
    );
    w.environments = Scope::Only(vec![id(PROD)]);
    w.capacity = Some(3);
    w
}

/// Year-end freeze 15 Dec 2026 00:00 – 6 Jan 2027 00:00 New York, all
/// environments and products, hotfix and emergency exempt.
fn year_end() -> Window {
    let mut w = window(
        WindowKind::Freeze,
        "Year-end freeze 2026/27",
        WindowSchedule::OneOff {
            start: utc("2026-12-15T05:00"),
            end: utc("2027-01-06T05:00"),
            zone: zone("America/New_York"),
        },
    );
    w.exempt_types = vec![ExemptType::Hotfix, ExemptType::Emergency];
    w
}

struct Dep {
    facts: DeploymentFacts,
}

/// A deployment of release `release` (product PAY, minor, scheduled).
fn dep(n: u128, release: u128, env: u128, start: &str, end: &str) -> Dep {
    Dep {
        facts: DeploymentFacts {
            id: id(1000 + n),
            release_id: id(100 + release),
            product_id: id(PAY),
            environment_id: id(env),
            release_type: ReleaseType::Minor,
            release_status: ReleaseStatus::Scheduled,
            start: utc(start),
            end: utc(end),
            is_production: env == PROD,
            override_reason: None,
        },
    }
}

impl Dep {
    fn product(mut self, p: u128) -> Self {
        self.facts.product_id = id(p);
        self
    }
    fn kind(mut self, t: ReleaseType) -> Self {
        self.facts.release_type = t;
        self
    }
    fn status(mut self, s: ReleaseStatus) -> Self {
        self.facts.release_status = s;
        self
    }
    fn reason(mut self, r: &str) -> Self {
        self.facts.override_reason = Some(r.into());
        self
    }
    fn done(self) -> DeploymentFacts {
        self.facts
    }
}

/// A plan's owned parts.
struct Fixture {
    deployments: Vec<DeploymentFacts>,
    windows: Vec<Window>,
    environments: Vec<EnvironmentFacts>,
    milestones: Vec<MilestoneFacts>,
    approved: HashSet<Uuid>,
    reviews: bool,
    now: DateTime<Utc>,
}

impl Fixture {
    fn new(windows: Vec<Window>, deployments: Vec<DeploymentFacts>) -> Self {
        Self {
            deployments,
            windows,
            environments: environments(),
            milestones: Vec::new(),
            approved: HashSet::new(),
            reviews: false,
            now: utc("2026-11-01T00:00"),
        }
    }

    fn plan(&self) -> Plan<'_> {
        Plan {
            deployments: &self.deployments,
            windows: &self.windows,
            environments: &self.environments,
            milestones: &self.milestones,
            approved_releases: &self.approved,
            review_rule_enabled: self.reviews,
            now: self.now,
        }
    }

    fn detect(&self) -> Vec<Conflict> {
        detect(&self.plan())
    }

    /// The conflict kinds of deployment `n`, by label.
    fn labels_of(&self, n: u128) -> Vec<&'static str> {
        self.detect()
            .iter()
            .filter(|c| c.deployment == id(1000 + n))
            .map(|c| c.kind.label())
            .collect()
    }
}

// ------------------------------------------------------------ rule 1

#[test]
fn freezes_block_what_they_cover_unless_the_type_is_exempt() {
    let mut partial = year_end();
    partial.environments = Scope::Only(vec![id(PROD)]);
    partial.products = Scope::Only(vec![id(WEB)]);
    // (case, freeze, deployment, blocked)
    let table = [
        (
            "inside, covered",
            year_end(),
            dep(1, 1, STAGING, "2026-12-20T10:00", "2026-12-20T11:00"),
            true,
        ),
        (
            "exempt hotfix",
            year_end(),
            dep(1, 1, STAGING, "2026-12-20T10:00", "2026-12-20T11:00").kind(ReleaseType::Hotfix),
            false,
        ),
        (
            "emergency exempt too",
            year_end(),
            dep(1, 1, STAGING, "2026-12-20T10:00", "2026-12-20T11:00").kind(ReleaseType::Emergency),
            false,
        ),
        (
            "major not exempt",
            year_end(),
            dep(1, 1, STAGING, "2026-12-20T10:00", "2026-12-20T11:00").kind(ReleaseType::Major),
            true,
        ),
        (
            "ends as the freeze starts (back-to-back)",
            year_end(),
            dep(1, 1, STAGING, "2026-12-15T03:00", "2026-12-15T05:00"),
            false,
        ),
        (
            "ends a minute into the freeze",
            year_end(),
            dep(1, 1, STAGING, "2026-12-15T03:00", "2026-12-15T05:01"),
            true,
        ),
        (
            "starts as the freeze ends",
            year_end(),
            dep(1, 1, STAGING, "2027-01-06T05:00", "2027-01-06T06:00"),
            false,
        ),
        (
            "freeze of other environments",
            partial.clone(),
            dep(1, 1, STAGING, "2026-12-20T10:00", "2026-12-20T11:00").product(WEB),
            false,
        ),
        (
            "freeze of other products",
            partial.clone(),
            dep(1, 1, PROD, "2026-12-20T10:00", "2026-12-20T11:00"),
            false,
        ),
        (
            "covered environment and product",
            partial,
            dep(1, 1, PROD, "2026-12-20T10:00", "2026-12-20T11:00").product(WEB),
            true,
        ),
    ];
    for (case, freeze, d, blocked) in table {
        let f = Fixture::new(vec![freeze], vec![d.done()]);
        let found: Vec<Conflict> = f
            .detect()
            .into_iter()
            .filter(|c| matches!(c.kind, ConflictKind::Freeze { .. }))
            .collect();
        assert_eq!(!found.is_empty(), blocked, "{case}: {found:?}");
        for c in found {
            assert_eq!(c.severity, Severity::Blocking, "{case}");
            assert!(c.blocks(), "{case}");
        }
    }
}

#[test]
fn freeze_messages_name_the_freeze_its_local_dates_and_what_it_covers() {
    let f = Fixture::new(
        vec![year_end()],
        vec![dep(1, 1, PROD, "2026-12-20T10:00", "2026-12-20T11:00").done()],
    );
    let freeze = f
        .detect()
        .into_iter()
        .find(|c| matches!(c.kind, ConflictKind::Freeze { .. }))
        .expect("freeze conflict");
    assert_eq!(
        freeze.message,
        "Inside the freeze “Year-end freeze 2026/27” (15 Dec 2026 – 5 Jan 2027, America/New_York), \
         which covers production and does not exempt minor releases."
    );
    // A freeze with times of day shows them; one within a year shows the year once.
    let mut black_friday = window(
        WindowKind::Freeze,
        "Black Friday",
        WindowSchedule::OneOff {
            start: utc("2026-11-27T05:00"),
            end: utc("2026-11-30T11:00"),
            zone: zone("America/New_York"),
        },
    );
    black_friday.environments = Scope::Only(vec![id(PROD)]);
    let mut days = black_friday.clone();
    days.schedule = WindowSchedule::OneOff {
        start: utc("2026-11-27T05:00"),
        end: utc("2026-12-01T04:59"),
        zone: zone("America/New_York"),
    };
    let d = dep(1, 1, PROD, "2026-11-28T10:00", "2026-11-28T11:00").done();
    let table = [
        (
            black_friday,
            "Inside the freeze “Black Friday” (Fri 27 Nov 2026 00:00 – Mon 30 Nov 06:00, \
             America/New_York), which covers production and does not exempt minor releases.",
        ),
        (
            days,
            "Inside the freeze “Black Friday” (27 Nov – 30 Nov 2026, America/New_York), \
             which covers production and does not exempt minor releases.",
        ),
    ];
    for (w, expected) in table {
        let f = Fixture::new(vec![w], vec![d.clone()]);
        let c = f
            .detect()
            .into_iter()
            .find(|c| matches!(c.kind, ConflictKind::Freeze { .. }))
            .expect("freeze");
        assert_eq!(c.message, expected);
    }
}

#[test]
fn a_break_glass_reason_marks_blocking_conflicts_overridden_only() {
    let f = Fixture::new(
        vec![year_end()],
        vec![
            dep(1, 1, PROD, "2026-12-20T10:00", "2026-12-20T11:00")
                .reason("Regulator deadline")
                .done(),
            dep(2, 2, PROD, "2026-12-21T10:00", "2026-12-21T11:00")
                .reason("   ")
                .done(),
        ],
    );
    let all = f.detect();
    let of = |n: u128| all.iter().filter(move |c| c.deployment == id(1000 + n));
    for c in of(1) {
        assert_eq!(c.overridden, c.severity == Severity::Blocking, "{c:?}");
        assert!(!c.blocks());
    }
    assert!(of(1).any(|c| c.overridden), "the freeze is overridden");
    assert!(
        of(1).any(|c| c.kind == ConflictKind::OutsideWindow && !c.overridden),
        "warnings are never marked overridden"
    );
    assert!(of(2).any(Conflict::blocks), "a blank reason is no reason");
}

// ------------------------------------------------------------ rule 2

#[test]
fn environments_requiring_windows_need_one_whole_occurrence() {
    let mut with_cancelled = weekly();
    with_cancelled.cancelled = vec![CancelledOccurrence {
        date: date("2026-12-01"),
        reason: "Team offsite".into(),
    }];
    let mut archived = weekly();
    archived.archived = true;
    let mut other_product = weekly();
    other_product.products = Scope::Only(vec![id(WEB)]);
    // Tue 1 Dec 22:00 EST – Wed 2 Dec 02:00 EST = 2 Dec 03:00–07:00 UTC.
    let table = [
        (
            "inside, crossing local midnight",
            weekly(),
            ("2026-12-02T04:00", "2026-12-02T06:00"),
            None,
        ),
        (
            "exactly the occurrence",
            weekly(),
            ("2026-12-02T03:00", "2026-12-02T07:00"),
            None,
        ),
        (
            "runs past the end",
            weekly(),
            ("2026-12-02T06:00", "2026-12-02T08:00"),
            Some(
                "Not entirely inside one occurrence of a release window for production, which requires one.",
            ),
        ),
        (
            "between occurrences",
            weekly(),
            ("2026-12-02T12:00", "2026-12-02T13:00"),
            Some(
                "Outside every occurrence of a release window for production, which requires one.",
            ),
        ),
        (
            "back-to-back with the end",
            weekly(),
            ("2026-12-02T07:00", "2026-12-02T08:00"),
            Some(
                "Outside every occurrence of a release window for production, which requires one.",
            ),
        ),
        (
            "cancelled occurrence",
            with_cancelled,
            ("2026-12-02T04:00", "2026-12-02T06:00"),
            Some(
                "Outside every occurrence of a release window for production, which requires one.",
            ),
        ),
        (
            "archived window",
            archived,
            ("2026-12-02T04:00", "2026-12-02T06:00"),
            Some(
                "Outside every occurrence of a release window for production, which requires one.",
            ),
        ),
        (
            "window for another product",
            other_product,
            ("2026-12-02T04:00", "2026-12-02T06:00"),
            Some(
                "Outside every occurrence of a release window for production, which requires one.",
            ),
        ),
    ];
    for (case, w, (start, end), expected) in table {
        let f = Fixture::new(vec![w], vec![dep(1, 1, PROD, start, end).done()]);
        let found: Vec<String> = f
            .detect()
            .into_iter()
            .filter(|c| c.kind == ConflictKind::OutsideWindow)
            .inspect(|c| assert_eq!(c.severity, Severity::Warning))
            .map(|c| c.message)
            .collect();
        assert_eq!(
            found,
            expected.into_iter().map(String::from).collect::<Vec<_>>(),
            "{case}"
        );
    }
    // Environments without the requirement never get the warning.
    let f = Fixture::new(
        vec![weekly()],
        vec![dep(1, 1, STAGING, "2026-12-02T12:00", "2026-12-02T13:00").done()],
    );
    assert!(f.detect().is_empty());
}

#[test]
fn two_back_to_back_occurrences_are_not_one() {
    // Daily 10:00–14:00 and 14:00–18:00 UTC: a deployment 13:00–15:00 lies
    // in neither alone.
    let morning = window(
        WindowKind::Release,
        "Morning",
        recurring("FREQ=DAILY", "2026-01-01", "10:00", "14:00", "UTC"),
    );
    let afternoon = window(
        WindowKind::Release,
        "Afternoon",
        recurring("FREQ=DAILY", "2026-01-01", "14:00", "18:00", "UTC"),
    );
    let f = Fixture::new(
        vec![morning, afternoon],
        vec![dep(1, 1, PROD, "2026-12-02T13:00", "2026-12-02T15:00").done()],
    );
    assert_eq!(f.labels_of(1), ["Outside window"]);
}

#[test]
fn windows_follow_the_wall_clock_on_daylight_saving_days() {
    // Daily 09:00–17:00 New York. On Sun 8 Mar 2026 the clocks spring
    // forward: 09:00 EDT = 13:00 UTC; the day before 09:00 EST = 14:00 UTC.
    let w = window(
        WindowKind::Release,
        "Business hours",
        recurring(
            "FREQ=DAILY",
            "2026-01-01",
            "09:00",
            "17:00",
            "America/New_York",
        ),
    );
    let table = [
        ("2026-03-08T13:30", "2026-03-08T14:30", true),
        ("2026-03-07T13:30", "2026-03-07T14:30", false),
        ("2026-03-08T20:30", "2026-03-08T21:00", true),
        ("2026-03-07T21:30", "2026-03-07T22:00", true),
        ("2026-03-08T21:30", "2026-03-08T22:00", false),
    ];
    for (start, end, inside) in table {
        let f = Fixture::new(vec![w.clone()], vec![dep(1, 1, PROD, start, end).done()]);
        assert_eq!(f.labels_of(1).is_empty(), inside, "{start}–{end}");
    }
}

// ------------------------------------------------------------ rule 3

#[test]
fn capacity_counts_deployments_wholly_inside_each_occurrence() {
    // Capacity 3; Tue 1 Dec occurrence = 2 Dec 03:00–07:00 UTC.
    let inside = |n: u128| dep(n, n, PROD, "2026-12-02T04:00", "2026-12-02T05:00").done();
    let cases: [(&str, Vec<DeploymentFacts>, usize); 5] = [
        ("three fit", (1..=3).map(inside).collect(), 0),
        ("four for three places", (1..=4).map(inside).collect(), 4),
        (
            "one only partly inside does not count",
            (1..=3)
                .map(inside)
                .chain([dep(4, 4, PROD, "2026-12-02T06:00", "2026-12-02T08:00").done()])
                .collect(),
            0,
        ),
        (
            "another occurrence counts for itself",
            (1..=3)
                .map(inside)
                .chain([dep(4, 4, PROD, "2026-12-04T04:00", "2026-12-04T05:00").done()])
                .collect(),
            0,
        ),
        (
            "a cancelled release takes no place",
            (1..=3)
                .map(inside)
                .chain([dep(4, 4, PROD, "2026-12-02T04:00", "2026-12-02T05:00")
                    .status(ReleaseStatus::Cancelled)
                    .done()])
                .collect(),
            0,
        ),
    ];
    for (case, deployments, expected) in cases {
        let f = Fixture::new(vec![weekly()], deployments);
        let over: Vec<Conflict> = f
            .detect()
            .into_iter()
            .filter(|c| matches!(c.kind, ConflictKind::CapacityExceeded { .. }))
            .collect();
        assert_eq!(over.len(), expected, "{case}: {over:?}");
        if let Some(c) = over.first() {
            assert_eq!(
                c.message,
                "The occurrence of “Weekly production window” on Tue 1 Dec 2026 \
                 (America/New_York) is over capacity: 4 deployments for 3 places."
            );
            assert_eq!(
                c.kind,
                ConflictKind::CapacityExceeded {
                    window: f.windows[0].id.0,
                    occurrence_start: utc("2026-12-02T03:00"),
                }
            );
        }
    }
}

#[test]
fn a_candidate_counts_itself_once() {
    let f = Fixture::new(
        vec![weekly()],
        (1..=3)
            .map(|n| dep(n, n, PROD, "2026-12-02T04:00", "2026-12-02T05:00").done())
            .collect(),
    );
    let candidate = dep(9, 9, PROD, "2026-12-02T05:00", "2026-12-02T06:00").done();
    let found = check(&candidate, &f.plan());
    assert_eq!(
        found.iter().map(|c| c.kind.label()).collect::<Vec<_>>(),
        ["Over capacity"],
        "back-to-back with the others: no overlap"
    );
    // Moving one of the three within the occurrence is no extra deployment.
    let moved = f.deployments[0].placed_at(utc("2026-12-02T05:00"));
    assert!(check(&moved, &f.plan()).is_empty());
}

// ------------------------------------------------------------ rule 4

#[test]
fn overlaps_on_non_shared_environments_are_warned_both_ways() {
    // (case, other deployment, warned)
    let table = [
        (
            "overlapping, other release",
            dep(2, 2, STAGING, "2026-11-10T10:30", "2026-11-10T12:00").done(),
            true,
        ),
        (
            "back-to-back",
            dep(2, 2, STAGING, "2026-11-10T11:00", "2026-11-10T12:00").done(),
            false,
        ),
        (
            "other environment",
            dep(2, 2, DEV, "2026-11-10T10:30", "2026-11-10T12:00").done(),
            false,
        ),
        (
            "cancelled other",
            dep(2, 2, STAGING, "2026-11-10T10:30", "2026-11-10T12:00")
                .status(ReleaseStatus::Cancelled)
                .done(),
            false,
        ),
        (
            "rolled-back other",
            dep(2, 2, STAGING, "2026-11-10T10:30", "2026-11-10T12:00")
                .status(ReleaseStatus::RolledBack)
                .done(),
            false,
        ),
        (
            "contained",
            dep(2, 2, STAGING, "2026-11-10T10:15", "2026-11-10T10:45").done(),
            true,
        ),
    ];
    for (case, other, warned) in table {
        let f = Fixture::new(
            Vec::new(),
            vec![
                dep(1, 1, STAGING, "2026-11-10T10:00", "2026-11-10T11:00").done(),
                other,
            ],
        );
        let found = f.detect();
        assert_eq!(found.len(), if warned { 2 } else { 0 }, "{case}: {found:?}");
        for c in &found {
            assert_eq!(c.severity, Severity::Warning);
            assert_eq!(
                c.message,
                "Overlaps another release's deployment on staging (not shared)."
            );
        }
    }
    // Shared environments allow it.
    let f = Fixture::new(
        Vec::new(),
        vec![
            dep(1, 1, DEV, "2026-11-10T10:00", "2026-11-10T11:00").done(),
            dep(2, 2, DEV, "2026-11-10T10:30", "2026-11-10T12:00").done(),
        ],
    );
    assert!(f.detect().is_empty());
}

#[test]
fn overlap_messages_can_name_the_other_release() {
    let f = Fixture::new(
        Vec::new(),
        vec![
            dep(1, 1, STAGING, "2026-11-10T10:00", "2026-11-10T11:00").done(),
            dep(2, 2, STAGING, "2026-11-10T10:30", "2026-11-10T12:00").done(),
        ],
    );
    let mut found = f.detect();
    label_releases(&mut found, |r| {
        (r == id(102)).then(|| "PAY 2.4.0".to_owned())
    });
    assert_eq!(
        found[0].message,
        "Overlaps PAY 2.4.0 on staging (not shared)."
    );
    assert_eq!(
        found[1].message,
        "Overlaps another release's deployment on staging (not shared)."
    );
}

// ------------------------------------------------------------ statuses

#[test]
fn cancelled_rolled_back_and_past_released_deployments_are_never_flagged() {
    let frozen = |status| {
        dep(1, 1, PROD, "2026-12-20T10:00", "2026-12-20T11:00")
            .status(status)
            .done()
    };
    let table = [
        (ReleaseStatus::Cancelled, false),
        (ReleaseStatus::RolledBack, false),
        (ReleaseStatus::Released, false),
        (ReleaseStatus::Rejected, true),
        (ReleaseStatus::InProgress, true),
        (ReleaseStatus::Planned, true),
    ];
    for (status, flagged) in table {
        let mut f = Fixture::new(vec![year_end()], vec![frozen(status)]);
        f.now = utc("2027-02-01T00:00");
        assert_eq!(!f.detect().is_empty(), flagged, "{status:?}");
        assert_eq!(
            !conflicts_of(id(1001), &f.plan()).is_empty(),
            flagged,
            "{status:?}: conflicts_of agrees"
        );
    }
    // A released release's deployment still to come is checked.
    let mut f = Fixture::new(vec![year_end()], vec![frozen(ReleaseStatus::Released)]);
    f.now = utc("2026-12-01T00:00");
    assert!(!f.detect().is_empty());
    assert_eq!(
        conflicts_of(id(1001), &f.plan()).len(),
        2,
        "freeze and outside window"
    );
    // check() refuses nothing for cancelled candidates either.
    let f = Fixture::new(vec![year_end()], Vec::new());
    assert!(check(&frozen(ReleaseStatus::Cancelled), &f.plan()).is_empty());
}

// ------------------------------------------------------------ rule 5

fn milestone(release: u128, name: &str, due: &str, done: bool) -> MilestoneFacts {
    MilestoneFacts {
        release_id: id(100 + release),
        name: name.into(),
        due: utc(due),
        done,
    }
}

#[test]
fn milestones_must_come_before_go_live() {
    let go_live = ("2026-12-02T04:00", "2026-12-02T05:00");
    let base = || {
        vec![
            milestone(1, "Code freeze", "2026-11-25T22:00", false),
            milestone(1, "QA sign-off", "2026-11-28T22:00", false),
            milestone(1, "Go-live", "2026-12-02T04:00", false),
            milestone(1, "Post-release review", "2026-12-04T15:00", false),
        ]
    };
    let mut late_review = base();
    late_review.push(milestone(1, "Readiness review", "2026-12-02T10:00", false));
    let mut two_late = late_review.clone();
    two_late.push(milestone(1, "Go/no-go", "2026-12-03T10:00", false));
    let mut late_freeze = base();
    late_freeze[0].due = utc("2026-12-03T22:00");
    let mut late_but_done = late_review.clone();
    if let Some(m) = late_but_done.last_mut() {
        m.done = true;
    }
    let mut other_release = base();
    other_release.push(milestone(2, "Readiness review", "2026-12-02T10:00", false));
    let table = [
        (
            "in order (post-release review after go-live is fine)",
            base(),
            None,
        ),
        (
            "one late",
            late_review,
            Some("Milestone “Readiness review” is due after go-live."),
        ),
        (
            "two late",
            two_late,
            Some("Milestones “Readiness review” and “Go/no-go” are due after go-live."),
        ),
        (
            "code freeze after go-live",
            late_freeze,
            Some("Go-live is before the code freeze."),
        ),
        ("done milestones are not out of order", late_but_done, None),
        ("another release's milestones", other_release, None),
    ];
    for (case, milestones, expected) in table {
        let mut f = Fixture::new(
            vec![weekly()],
            vec![
                dep(1, 1, PROD, go_live.0, go_live.1).done(),
                dep(2, 1, STAGING, "2026-11-20T10:00", "2026-11-20T11:00").done(),
            ],
        );
        f.milestones = milestones;
        let found: Vec<Conflict> = f
            .detect()
            .into_iter()
            .filter(|c| c.kind == ConflictKind::MilestonesOutOfOrder)
            .collect();
        assert_eq!(
            found.iter().map(|c| c.message.as_str()).collect::<Vec<_>>(),
            expected.into_iter().collect::<Vec<_>>(),
            "{case}"
        );
        assert!(
            found.iter().all(|c| c.deployment == id(1001)),
            "{case}: only on the production deployment"
        );
    }
}

// ------------------------------------------------------------ rule 6

#[test]
fn go_live_soon_needs_an_approved_decision_once_reviews_exist() {
    let now = utc("2026-12-01T00:00");
    // (case, go-live, reviews on, approved, warned)
    let table = [
        ("within 48 h", "2026-12-02T04:00", true, false, true),
        ("approved", "2026-12-02T04:00", true, true, false),
        ("rule off", "2026-12-02T04:00", false, false, false),
        ("49 h away", "2026-12-03T01:00", true, false, false),
        ("already past", "2026-11-30T04:00", true, false, false),
    ];
    for (case, start, reviews, approved, warned) in table {
        let d = dep(1, 1, PROD, start, "2026-12-09T00:00").done();
        let mut f = Fixture::new(Vec::new(), vec![d]);
        f.environments.retain(|e| e.id != id(PROD));
        f.now = now;
        f.reviews = reviews;
        if approved {
            f.approved.insert(id(101));
        }
        let found: Vec<Conflict> = f
            .detect()
            .into_iter()
            .filter(|c| c.kind == ConflictKind::NoApproval)
            .collect();
        assert_eq!(found.len(), usize::from(warned), "{case}");
        if let Some(c) = found.first() {
            assert_eq!(
                c.message,
                "Go-live within 48 hours without an approved go/no-go decision."
            );
        }
    }
}

#[test]
fn a_release_whose_review_said_go_is_not_warned() {
    let now = utc("2026-12-01T00:00");
    for (status, warned) in [
        (ReleaseStatus::Scheduled, true),
        (ReleaseStatus::Rejected, true),
        (ReleaseStatus::Approved, false),
        (ReleaseStatus::InProgress, false),
    ] {
        let mut d = dep(1, 1, PROD, "2026-12-02T04:00", "2026-12-09T00:00").done();
        d.release_status = status;
        let mut f = Fixture::new(Vec::new(), vec![d]);
        f.environments.retain(|e| e.id != id(PROD));
        f.now = now;
        f.reviews = true;
        let found = f
            .detect()
            .into_iter()
            .filter(|c| c.kind == ConflictKind::NoApproval)
            .count();
        assert_eq!(found, usize::from(warned), "{status:?}");
    }
}

// ------------------------------------------------------------ check

#[test]
fn check_ignores_the_candidates_old_placement() {
    let f = Fixture::new(
        vec![weekly()],
        vec![dep(1, 1, STAGING, "2026-11-10T10:00", "2026-11-10T11:00").done()],
    );
    let moved = f.deployments[0].placed_at(utc("2026-11-10T10:30"));
    assert!(
        check(&moved, &f.plan()).is_empty(),
        "not an overlap with itself"
    );
}

// ------------------------------------------------------------ free slots

#[test]
fn next_free_slots_skip_freezes_full_and_cancelled_occurrences() {
    let mut w = weekly();
    w.cancelled = vec![CancelledOccurrence {
        date: date("2026-12-03"),
        reason: "Offsite".into(),
    }];
    let full: Vec<DeploymentFacts> = (1..=3)
        .map(|n| dep(n, n, PROD, "2026-12-02T04:00", "2026-12-02T05:00").done())
        .collect();
    let two: Vec<DeploymentFacts> = (4..=5)
        .map(|n| dep(n, n, PROD, "2026-12-09T05:00", "2026-12-09T06:00").done())
        .collect();
    let mut f = Fixture::new(
        vec![w.clone(), year_end()],
        full.into_iter().chain(two).collect(),
    );
    f.now = utc("2026-11-30T12:00");
    let candidate = dep(9, 9, PROD, "2026-11-01T00:00", "2026-11-01T02:00").done();
    let slots = next_free_slots(
        &candidate,
        &f.plan(),
        f.now,
        FREE_SLOTS,
        Duration::days(FREE_SLOT_HORIZON_DAYS),
    );
    let starts: Vec<String> = slots
        .iter()
        .map(|s| s.start.format("%Y-%m-%d %H:%M").to_string())
        .collect();
    // Tue 1 Dec is full, Thu 3 Dec cancelled; Tue 8 Dec and Thu 10 Dec are
    // free (8 Dec holds two of three, back-to-back after the candidate);
    // 15 Dec – 5 Jan is frozen, and the occurrence of Tue 5 Jan 22:00 EST
    // (6 Jan 03:00 UTC) too: the freeze ends at 05:00 UTC, when the
    // candidate would end. Thu 7 Jan is free.
    assert_eq!(
        starts,
        [
            "2026-12-09 03:00",
            "2026-12-11 03:00",
            "2027-01-08 03:00",
            "2027-01-13 03:00",
            "2027-01-15 03:00",
            "2027-01-20 03:00",
            "2027-01-22 03:00",
            "2027-01-27 03:00",
            "2027-01-29 03:00",
            "2027-02-03 03:00",
        ]
    );
    assert_eq!(slots[0].remaining_capacity, Some(1));
    assert_eq!(slots[1].remaining_capacity, Some(3));
    assert!(slots.iter().all(|s| s.end - s.start == Duration::hours(2)));
    assert!(slots.iter().all(|s| s.window == w.id.0));

    // The full listing shows why the others are not free.
    let all = super::slots(&candidate, &f.plan(), f.now, Duration::days(14));
    let why: Vec<(String, Vec<&str>)> = all
        .iter()
        .map(|s| {
            (
                s.slot.start.format("%m-%d").to_string(),
                s.conflicts.iter().map(|c| c.kind.label()).collect(),
            )
        })
        .collect();
    assert_eq!(
        why,
        [
            (
                "12-02".to_owned(),
                vec!["Over capacity", "Overlap", "Overlap", "Overlap"]
            ),
            ("12-09".to_owned(), vec![]),
            ("12-11".to_owned(), vec![]),
        ]
    );
}

#[test]
fn free_slots_need_the_deployment_to_fit_and_respect_horizon_and_count() {
    let f = Fixture::new(vec![weekly()], Vec::new());
    let long = dep(9, 9, PROD, "2026-11-01T00:00", "2026-11-01T05:00").done();
    let from = utc("2026-11-30T12:00");
    assert!(
        next_free_slots(&long, &f.plan(), from, 10, Duration::days(90)).is_empty(),
        "five hours never fit a four-hour window"
    );
    let short = dep(9, 9, PROD, "2026-11-01T00:00", "2026-11-01T01:00").done();
    assert_eq!(
        next_free_slots(&short, &f.plan(), from, 3, Duration::days(90)).len(),
        3
    );
    // Two weeks hold four occurrences.
    assert_eq!(
        next_free_slots(&short, &f.plan(), from, 10, Duration::days(14)).len(),
        4
    );
    // A product the window does not cover has no slots.
    let other = dep(9, 9, PROD, "2026-11-01T00:00", "2026-11-01T01:00")
        .product(WEB)
        .done();
    let mut narrow = weekly();
    narrow.products = Scope::Only(vec![id(PAY)]);
    let f = Fixture::new(vec![narrow], Vec::new());
    assert!(next_free_slots(&other, &f.plan(), from, 10, Duration::days(90)).is_empty());
}

// ------------------------------------------------------------ properties

fn arb_deployment(n: u128) -> impl Strategy<Value = DeploymentFacts> {
    (
        0u128..4,
        prop::sample::select(vec![DEV, STAGING, PROD]),
        0i64..(14 * 24 * 4),
        1i64..(8 * 4),
        prop::sample::select(vec![
            ReleaseStatus::Planned,
            ReleaseStatus::Scheduled,
            ReleaseStatus::Cancelled,
            ReleaseStatus::RolledBack,
        ]),
        prop::sample::select(vec![ReleaseType::Minor, ReleaseType::Hotfix]),
        any::<bool>(),
    )
        .prop_map(move |(release, env, quarter, len, status, kind, reason)| {
            let start = utc("2026-12-07T00:00") + Duration::minutes(15 * quarter);
            DeploymentFacts {
                id: id(1000 + n),
                release_id: id(100 + release),
                product_id: id(PAY),
                environment_id: id(env),
                release_type: kind,
                release_status: status,
                start,
                end: start + Duration::minutes(15 * len),
                is_production: env == PROD,
                override_reason: reason.then(|| "Board decision".to_owned()),
            }
        })
}

fn arb_plan() -> impl Strategy<Value = Vec<DeploymentFacts>> {
    (1usize..12).prop_flat_map(|n| {
        (0..n)
            .map(|i| arb_deployment(i as u128).boxed())
            .collect::<Vec<_>>()
    })
}

fn overlaps(a: &DeploymentFacts, b: &DeploymentFacts) -> bool {
    a.start < b.end && b.start < a.end
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn detect_agrees_with_check_for_every_deployment(deployments in arb_plan()) {
        let mut freeze = year_end();
        freeze.schedule = WindowSchedule::OneOff {
            start: utc("2026-12-12T00:00"),
            end: utc("2026-12-14T00:00"),
            zone: zone("UTC"),
        };
        freeze.exempt_types = vec![ExemptType::Hotfix];
        let mut w = weekly();
        w.capacity = Some(2);
        let f = Fixture::new(vec![w, freeze], deployments);
        let all = f.detect();
        for d in &f.deployments {
            let mine: Vec<&Conflict> = all.iter().filter(|c| c.deployment == d.id).collect();
            let checked = check(d, &f.plan());
            prop_assert_eq!(mine, checked.iter().collect::<Vec<_>>(), "{:?}", d);
        }
    }

    #[test]
    fn overlap_is_symmetric_and_half_open(deployments in arb_plan()) {
        let f = Fixture::new(Vec::new(), deployments);
        let all = f.detect();
        for a in &f.deployments {
            for b in &f.deployments {
                let expected = a.id != b.id
                    && a.release_id != b.release_id
                    && a.environment_id == b.environment_id
                    && a.environment_id != id(DEV)
                    && !a.never_conflicts()
                    && !b.never_conflicts()
                    && overlaps(a, b);
                let found = all.iter().any(|c| {
                    c.deployment == a.id
                        && c.kind
                            == ConflictKind::Overlap {
                                other_deployment: b.id,
                                other_release: b.release_id,
                            }
                });
                prop_assert_eq!(found, expected, "{:?} vs {:?}", a, b);
            }
        }
    }

    #[test]
    fn free_slots_have_no_placement_conflicts(deployments in arb_plan()) {
        let f = Fixture::new(vec![weekly(), year_end()], deployments);
        let candidate = dep(99, 9, PROD, "2026-11-01T00:00", "2026-11-01T01:30").done();
        let from = utc("2026-12-05T00:00");
        let slots = next_free_slots(&candidate, &f.plan(), from, FREE_SLOTS, Duration::days(60));
        prop_assert!(slots.len() <= FREE_SLOTS);
        for s in &slots {
            prop_assert!(s.start >= from && s.end <= s.occurrence_end);
            let placed = candidate.placed_at(s.start);
            prop_assert!(check(&placed, &f.plan()).is_empty());
            prop_assert!(s.remaining_capacity.is_some_and(|r| r >= 1));
        }
        for pair in slots.windows(2) {
            prop_assert!(pair[0].start <= pair[1].start);
        }
    }
}
