//! Health rules and their precedence, the 48-hour edge, roll-up; period
//! choices and their boundaries in zones west and east of UTC, across
//! daylight saving and fiscal-year wraps; every metric on a hand-computed
//! portfolio, empty and zero-length periods, change-failure edges; weekly
//! buckets, monthly trend and the health matrix's weeks at local-midnight
//! edges; property tests (no panics, rates in [0, 1], every release in
//! exactly one weekly bucket).

use super::*;
use chrono::NaiveDateTime;
use proptest::prelude::*;

fn utc(s: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .expect("instant")
        .and_utc()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn zone(name: &str) -> Tz {
    name.parse().expect("zone")
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    (to - from).num_hours()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn assert_close(actual: Option<f64>, expected: Option<f64>, case: &str) {
    match (actual, expected) {
        (Some(a), Some(e)) => assert!(close(a, e), "{case}: {a} != {e}"),
        (a, e) => assert_eq!(a, e, "{case}"),
    }
}

// ------------------------------------------------------------ health

const NOW: &str = "2026-11-20T12:00";

/// A scheduled release going live in 11 days, nothing wrong with it.
fn facts() -> HealthFacts {
    HealthFacts {
        status: ReleaseStatus::Scheduled,
        go_live: Some(utc("2026-12-01T12:00")),
        overdue_milestones: 0,
        blocking_conflicts: 0,
        review: ReviewState::None,
    }
}

fn go_live_in(minutes: i64) -> Option<DateTime<Utc>> {
    Some(utc(NOW) + Duration::minutes(minutes))
}

const ON_TRACK: &str = "Nothing blocking, late or at risk";
const PASSED: &str = "Planned go-live has passed; not released yet";
const NO_DECISION: &str = "No go decision and go-live within 48 hours";
const SAID_NO_GO: &str = "The go/no-go review said no-go";
const SAYS_NO_GO: &str = "The open go/no-go review says no-go";

#[test]
fn each_health_rule_gives_its_health_and_says_why() {
    use Health::{AtRisk, Blocked, Late, OnTrack};
    use ReleaseStatus::{Approved, InProgress, Planned, Rejected, Scheduled};
    let hour = 60;
    // (case, facts, health, reason)
    let table = [
        ("nothing wrong", facts(), OnTrack, ON_TRACK),
        (
            "one blocking conflict",
            HealthFacts {
                blocking_conflicts: 1,
                ..facts()
            },
            Blocked,
            "1 blocking conflict",
        ),
        (
            "two blocking conflicts",
            HealthFacts {
                blocking_conflicts: 2,
                ..facts()
            },
            Blocked,
            "2 blocking conflicts",
        ),
        (
            "scheduled, go-live an hour ago",
            HealthFacts {
                go_live: go_live_in(-hour),
                ..facts()
            },
            Late,
            PASSED,
        ),
        (
            "approved, go-live a minute ago",
            HealthFacts {
                status: Approved,
                review: ReviewState::Closed(Decision::Go),
                go_live: go_live_in(-1),
                ..facts()
            },
            Late,
            PASSED,
        ),
        (
            "planned, go-live a week ago",
            HealthFacts {
                status: Planned,
                go_live: go_live_in(-7 * 24 * hour),
                ..facts()
            },
            Late,
            PASSED,
        ),
        (
            "in progress after go-live: being released, not late",
            HealthFacts {
                status: InProgress,
                review: ReviewState::Closed(Decision::Go),
                go_live: go_live_in(-hour),
                ..facts()
            },
            OnTrack,
            ON_TRACK,
        ),
        (
            "planned without a go-live yet",
            HealthFacts {
                status: Planned,
                go_live: None,
                ..facts()
            },
            OnTrack,
            ON_TRACK,
        ),
        (
            "one milestone overdue",
            HealthFacts {
                overdue_milestones: 1,
                ..facts()
            },
            AtRisk,
            "1 milestone overdue",
        ),
        (
            "three milestones overdue",
            HealthFacts {
                overdue_milestones: 3,
                ..facts()
            },
            AtRisk,
            "3 milestones overdue",
        ),
        (
            "closed no-go, go-live far away",
            HealthFacts {
                review: ReviewState::Closed(Decision::NoGo),
                ..facts()
            },
            AtRisk,
            SAID_NO_GO,
        ),
        (
            "open round whose votes say no-go",
            HealthFacts {
                review: ReviewState::Open(Decision::NoGo),
                ..facts()
            },
            AtRisk,
            SAYS_NO_GO,
        ),
        (
            "rejected, no round recorded",
            HealthFacts {
                status: Rejected,
                ..facts()
            },
            AtRisk,
            SAID_NO_GO,
        ),
        (
            "rejected and closed no-go: said once",
            HealthFacts {
                status: Rejected,
                review: ReviewState::Closed(Decision::NoGo),
                ..facts()
            },
            AtRisk,
            SAID_NO_GO,
        ),
        (
            "rejected, new round pending, go-live tomorrow: the no-go is the news",
            HealthFacts {
                status: Rejected,
                review: ReviewState::Open(Decision::Pending),
                go_live: go_live_in(24 * hour),
                ..facts()
            },
            AtRisk,
            SAID_NO_GO,
        ),
        (
            "approved although the latest round said no-go",
            HealthFacts {
                status: Approved,
                review: ReviewState::Closed(Decision::NoGo),
                ..facts()
            },
            AtRisk,
            SAID_NO_GO,
        ),
        (
            "no round, go-live in 47 hours",
            HealthFacts {
                go_live: go_live_in(47 * hour),
                ..facts()
            },
            AtRisk,
            NO_DECISION,
        ),
        (
            "round pending, go-live in 10 minutes",
            HealthFacts {
                review: ReviewState::Open(Decision::Pending),
                go_live: go_live_in(10),
                ..facts()
            },
            AtRisk,
            NO_DECISION,
        ),
        (
            "open round whose votes say go is not yet a decision",
            HealthFacts {
                review: ReviewState::Open(Decision::Go),
                go_live: go_live_in(2 * hour),
                ..facts()
            },
            AtRisk,
            NO_DECISION,
        ),
        (
            "round closed pending is no decision",
            HealthFacts {
                review: ReviewState::Closed(Decision::Pending),
                go_live: go_live_in(2 * hour),
                ..facts()
            },
            AtRisk,
            NO_DECISION,
        ),
        (
            "planned, go-live in 2 hours",
            HealthFacts {
                status: Planned,
                go_live: go_live_in(2 * hour),
                ..facts()
            },
            AtRisk,
            NO_DECISION,
        ),
        (
            "approved, go-live in 2 hours",
            HealthFacts {
                status: Approved,
                go_live: go_live_in(2 * hour),
                ..facts()
            },
            OnTrack,
            ON_TRACK,
        ),
        (
            "closed go, status not moved yet, go-live in 2 hours",
            HealthFacts {
                review: ReviewState::Closed(Decision::Go),
                go_live: go_live_in(2 * hour),
                ..facts()
            },
            OnTrack,
            ON_TRACK,
        ),
        (
            "in progress ahead of go-live",
            HealthFacts {
                status: InProgress,
                go_live: go_live_in(2 * hour),
                ..facts()
            },
            OnTrack,
            ON_TRACK,
        ),
        (
            "scheduled, no round, go-live in 3 days",
            HealthFacts {
                status: Scheduled,
                go_live: go_live_in(72 * hour),
                ..facts()
            },
            OnTrack,
            ON_TRACK,
        ),
    ];
    for (case, f, health, reason) in table {
        let expected = Assessed {
            health,
            reason: reason.to_owned(),
        };
        assert_eq!(release_health(&f, utc(NOW)), Some(expected), "{case}");
    }
}

#[test]
fn the_48_hour_window_includes_go_live_now_and_excludes_exactly_48_hours() {
    // (case, go-live minutes from now, health)
    let table = [
        ("go-live exactly now: not passed yet", 0, Health::AtRisk),
        ("one minute in", 1, Health::AtRisk),
        ("48 hours less a minute", 48 * 60 - 1, Health::AtRisk),
        ("exactly 48 hours: not within", 48 * 60, Health::OnTrack),
        ("48 hours and a minute", 48 * 60 + 1, Health::OnTrack),
        ("a minute ago: late, not at risk", -1, Health::Late),
    ];
    for (case, minutes, health) in table {
        let f = HealthFacts {
            go_live: go_live_in(minutes),
            ..facts()
        };
        let got = release_health(&f, utc(NOW)).expect("open release");
        assert_eq!(got.health, health, "{case}");
    }
}

#[test]
fn the_worst_finding_wins_and_every_finding_of_that_kind_is_named() {
    // (case, facts, health, reason)
    let table = [
        (
            "blocked over late over at risk",
            HealthFacts {
                blocking_conflicts: 2,
                go_live: go_live_in(-60),
                overdue_milestones: 3,
                review: ReviewState::Closed(Decision::NoGo),
                ..facts()
            },
            Health::Blocked,
            "2 blocking conflicts",
        ),
        (
            "blocked over at risk",
            HealthFacts {
                blocking_conflicts: 1,
                overdue_milestones: 1,
                go_live: go_live_in(60),
                ..facts()
            },
            Health::Blocked,
            "1 blocking conflict",
        ),
        (
            "late over at risk",
            HealthFacts {
                go_live: go_live_in(-60),
                overdue_milestones: 4,
                review: ReviewState::Open(Decision::NoGo),
                ..facts()
            },
            Health::Late,
            PASSED,
        ),
        (
            "overdue milestones and no decision",
            HealthFacts {
                overdue_milestones: 2,
                go_live: go_live_in(60),
                ..facts()
            },
            Health::AtRisk,
            "2 milestones overdue; No go decision and go-live within 48 hours",
        ),
        (
            "overdue milestones and a no-go",
            HealthFacts {
                overdue_milestones: 1,
                review: ReviewState::Closed(Decision::NoGo),
                ..facts()
            },
            Health::AtRisk,
            "1 milestone overdue; The go/no-go review said no-go",
        ),
        (
            "a no-go inside 48 hours is said once, as a no-go",
            HealthFacts {
                review: ReviewState::Open(Decision::NoGo),
                go_live: go_live_in(60),
                ..facts()
            },
            Health::AtRisk,
            SAYS_NO_GO,
        ),
    ];
    for (case, f, health, reason) in table {
        let got = release_health(&f, utc(NOW)).expect("open release");
        assert_eq!(got.health, health, "{case}");
        assert_eq!(got.reason, reason, "{case}");
    }
}

#[test]
fn done_releases_have_no_health_whatever_their_facts() {
    let troubled = HealthFacts {
        blocking_conflicts: 3,
        overdue_milestones: 2,
        go_live: go_live_in(-600),
        review: ReviewState::Closed(Decision::NoGo),
        ..facts()
    };
    for status in ReleaseStatus::ALL {
        let f = HealthFacts {
            status: *status,
            ..troubled.clone()
        };
        let done = matches!(
            status,
            ReleaseStatus::Released | ReleaseStatus::RolledBack | ReleaseStatus::Cancelled
        );
        let got = release_health(&f, utc(NOW));
        assert_eq!(got.is_none(), done, "{status:?}");
        if !done {
            assert_eq!(
                got.map(|a| a.health),
                Some(Health::Blocked),
                "{status:?}: still blocked"
            );
        }
    }
}

#[test]
fn rollup_is_the_worst_health_and_none_when_empty() {
    use Health::{AtRisk, Blocked, Late, OnTrack};
    // (case, healths, rolled up)
    let table: [(&str, Vec<Health>, Option<Health>); 6] = [
        ("no releases", vec![], None),
        ("one on track", vec![OnTrack], Some(OnTrack)),
        (
            "on track and at risk",
            vec![OnTrack, AtRisk, OnTrack],
            Some(AtRisk),
        ),
        ("at risk and late", vec![AtRisk, Late], Some(Late)),
        (
            "late and blocked",
            vec![Late, Blocked, OnTrack],
            Some(Blocked),
        ),
        ("all", Health::ALL.to_vec(), Some(Blocked)),
    ];
    for (case, healths, expected) in table {
        assert_eq!(rollup(healths), expected, "{case}");
    }
}

#[test]
fn health_words_round_trip() {
    for h in Health::ALL {
        assert_eq!(Health::parse(h.as_str()), Some(h));
        assert!(!h.label().is_empty());
        assert!(h.badge().starts_with("badge-"));
    }
    assert_eq!(Health::parse(" at_risk "), Some(Health::AtRisk));
    assert_eq!(Health::parse("at risk"), None);
    assert_eq!(Health::parse(""), None);
    assert!(Health::OnTrack < Health::AtRisk);
    assert!(Health::AtRisk < Health::Late);
    assert!(Health::Late < Health::Blocked);
}

// ------------------------------------------------------------ periods

#[test]
fn period_choices_round_trip_through_their_parameter() {
    let table = [
        ("30d", PeriodChoice::LastDays(30)),
        ("90d", PeriodChoice::LastDays(90)),
        ("365d", PeriodChoice::LastDays(365)),
        (
            "fy2026q1",
            PeriodChoice::FiscalQuarter {
                year: 2026,
                quarter: 1,
            },
        ),
        (
            "fy1970q4",
            PeriodChoice::FiscalQuarter {
                year: 1970,
                quarter: 4,
            },
        ),
        (
            "fy2200q3",
            PeriodChoice::FiscalQuarter {
                year: 2200,
                quarter: 3,
            },
        ),
    ];
    for (param, choice) in table {
        assert_eq!(PeriodChoice::parse(param), Some(choice), "{param}");
        assert_eq!(choice.as_param(), param, "{param}");
    }
    assert_eq!(
        PeriodChoice::parse(" 90d "),
        Some(PeriodChoice::LastDays(90))
    );
}

#[test]
fn period_choices_refuse_anything_else() {
    let table = [
        "",
        "d",
        "30",
        "7d",
        "0d",
        "31d",
        "030d",
        "30D",
        "-30d",
        "fy",
        "fy2026",
        "fy2026q",
        "fy2026q0",
        "fy2026q5",
        "fy2026q12",
        "fy1969q1",
        "fy2201q1",
        "fy26q1",
        "fy02026q1",
        "fy+202q1",
        "fy-202q1",
        "FY2026Q1",
        "fy2026q1x",
        "fy2026 q1",
        "fy２０２６q1",
        "q1",
        "2026q1",
    ];
    for param in table {
        assert_eq!(PeriodChoice::parse(param), None, "{param:?}");
    }
}

fn last(n: u32, now: &str, tz: &str) -> Period {
    period(PeriodChoice::LastDays(n), utc(now), zone(tz), 1)
}

fn quarter(year: i32, quarter: u8, fiscal_start_month: u32, tz: &str) -> Period {
    period(
        PeriodChoice::FiscalQuarter { year, quarter },
        utc("2026-06-15T12:00"),
        zone(tz),
        fiscal_start_month,
    )
}

#[test]
fn the_last_n_days_end_at_local_midnight_tomorrow() {
    // (case, period, from, to, label)
    let table = [
        (
            "90 days in UTC",
            last(90, "2026-11-25T15:00", "UTC"),
            "2026-08-28T00:00",
            "2026-11-26T00:00",
            "Last 90 days (28 Aug – 25 Nov 2026)",
        ),
        (
            "just before UTC midnight",
            last(30, "2026-11-25T23:59", "UTC"),
            "2026-10-27T00:00",
            "2026-11-26T00:00",
            "Last 30 days (27 Oct – 25 Nov 2026)",
        ),
        (
            "New York after the clocks went back: local day is still 1 Nov",
            last(30, "2026-11-02T03:00", "America/New_York"),
            // 3 Oct 00:00 EDT … 2 Nov 00:00 EST: 721 hours.
            "2026-10-03T04:00",
            "2026-11-02T05:00",
            "Last 30 days (3 Oct – 1 Nov 2026)",
        ),
        (
            "New York after the clocks went forward",
            last(30, "2026-03-09T03:00", "America/New_York"),
            // 7 Feb 00:00 EST … 9 Mar 00:00 EDT: 719 hours.
            "2026-02-07T05:00",
            "2026-03-09T04:00",
            "Last 30 days (7 Feb – 8 Mar 2026)",
        ),
        (
            "Tokyo, an hour into tomorrow's UTC date",
            last(30, "2026-11-25T16:00", "Asia/Tokyo"),
            "2026-10-27T15:00",
            "2026-11-26T15:00",
            "Last 30 days (28 Oct – 26 Nov 2026)",
        ),
        (
            "Tokyo, a minute before local midnight",
            last(30, "2026-11-25T14:59", "Asia/Tokyo"),
            "2026-10-26T15:00",
            "2026-11-25T15:00",
            "Last 30 days (27 Oct – 25 Nov 2026)",
        ),
        (
            "across a new year",
            last(365, "2026-01-10T12:00", "UTC"),
            "2025-01-11T00:00",
            "2026-01-11T00:00",
            "Last 365 days (11 Jan 2025 – 10 Jan 2026)",
        ),
        (
            "Santiago skips midnight on 6 Sep: tomorrow starts at 01:00",
            last(30, "2026-09-05T15:00", "America/Santiago"),
            "2026-08-07T04:00",
            "2026-09-06T04:00",
            "Last 30 days (7 Aug – 5 Sep 2026)",
        ),
        (
            "one day",
            last(1, "2026-11-25T15:00", "UTC"),
            "2026-11-25T00:00",
            "2026-11-26T00:00",
            "Last 1 day (25 Nov 2026)",
        ),
        (
            "zero days: an empty period",
            last(0, "2026-11-25T15:00", "UTC"),
            "2026-11-26T00:00",
            "2026-11-26T00:00",
            "Last 0 days",
        ),
    ];
    for (case, p, from, to, label) in table {
        assert_eq!(p.from, utc(from), "{case}: from");
        assert_eq!(p.to, utc(to), "{case}: to");
        assert_eq!(p.label, label, "{case}: label");
    }
    assert_eq!(
        hours(
            last(30, "2026-11-02T03:00", "America/New_York").from,
            last(30, "2026-11-02T03:00", "America/New_York").to
        ),
        721
    );
}

#[test]
fn an_absurd_number_of_days_does_not_panic() {
    let p = last(u32::MAX, "2026-11-25T15:00", "Asia/Tokyo");
    assert!(p.from < p.to);
    assert_eq!(p.to, utc("2026-11-26T15:00"));
}

#[test]
fn fiscal_quarters_run_from_local_midnight_to_local_midnight() {
    // (case, period, from, to, label)
    let table = [
        (
            "April year, Q1, London summer time",
            quarter(2026, 1, 4, "Europe/London"),
            "2026-03-31T23:00",
            "2026-06-30T23:00",
            "FY2026 Q1 (1 Apr – 30 Jun 2026)",
        ),
        (
            "April year, Q3",
            quarter(2026, 3, 4, "Europe/London"),
            "2026-09-30T23:00",
            "2027-01-01T00:00",
            "FY2026 Q3 (1 Oct – 31 Dec 2026)",
        ),
        (
            "April year, Q4 lies in the next calendar year",
            quarter(2026, 4, 4, "Europe/London"),
            "2027-01-01T00:00",
            "2027-03-31T23:00",
            "FY2026 Q4 (1 Jan – 31 Mar 2027)",
        ),
        (
            "April year in New York",
            quarter(2026, 1, 4, "America/New_York"),
            "2026-04-01T04:00",
            "2026-07-01T04:00",
            "FY2026 Q1 (1 Apr – 30 Jun 2026)",
        ),
        (
            "October year, Q1",
            quarter(2026, 1, 10, "UTC"),
            "2026-10-01T00:00",
            "2027-01-01T00:00",
            "FY2026 Q1 (1 Oct – 31 Dec 2026)",
        ),
        (
            "October year, Q2 wraps into 2027",
            quarter(2026, 2, 10, "UTC"),
            "2027-01-01T00:00",
            "2027-04-01T00:00",
            "FY2026 Q2 (1 Jan – 31 Mar 2027)",
        ),
        (
            "October year, Q4",
            quarter(2026, 4, 10, "Asia/Tokyo"),
            "2027-06-30T15:00",
            "2027-09-30T15:00",
            "FY2026 Q4 (1 Jul – 30 Sep 2027)",
        ),
        (
            "November year, Q1 spans two calendar years",
            quarter(2026, 1, 11, "UTC"),
            "2026-11-01T00:00",
            "2027-02-01T00:00",
            "FY2026 Q1 (1 Nov 2026 – 31 Jan 2027)",
        ),
        (
            "calendar year, Q1 (February of a common year)",
            quarter(2026, 1, 1, "UTC"),
            "2026-01-01T00:00",
            "2026-04-01T00:00",
            "FY2026 Q1 (1 Jan – 31 Mar 2026)",
        ),
        (
            "calendar year, Q4",
            quarter(2026, 4, 1, "UTC"),
            "2026-10-01T00:00",
            "2027-01-01T00:00",
            "FY2026 Q4 (1 Oct – 31 Dec 2026)",
        ),
        (
            "December year, Q1 in a leap year",
            quarter(2027, 1, 12, "UTC"),
            "2027-12-01T00:00",
            "2028-03-01T00:00",
            "FY2027 Q1 (1 Dec 2027 – 29 Feb 2028)",
        ),
    ];
    for (case, p, from, to, label) in table {
        assert_eq!(p.from, utc(from), "{case}: from");
        assert_eq!(p.to, utc(to), "{case}: to");
        assert_eq!(p.label, label, "{case}: label");
    }
}

#[test]
fn fiscal_quarters_outside_the_parsed_range_do_not_panic() {
    for (year, q, month) in [
        (2026, 0, 4),
        (2026, 9, 4),
        (2026, 1, 0),
        (2026, 1, 13),
        (i32::MAX, 4, 12),
        (i32::MIN, 1, 1),
    ] {
        let p = period(
            PeriodChoice::FiscalQuarter { year, quarter: q },
            utc(NOW),
            zone("UTC"),
            month,
        );
        assert!(p.from < p.to, "{year} {q} {month}");
    }
}

fn fq(year: i32, quarter: u8) -> PeriodChoice {
    PeriodChoice::FiscalQuarter { year, quarter }
}

#[test]
fn recent_fiscal_quarters_start_with_the_current_one_and_cross_year_ends() {
    // (case, now, zone, fiscal start month, n, quarters)
    let table = [
        (
            "April year, May",
            "2026-05-10T12:00",
            "UTC",
            4,
            5,
            vec![
                fq(2026, 1),
                fq(2025, 4),
                fq(2025, 3),
                fq(2025, 2),
                fq(2025, 1),
            ],
        ),
        (
            "April year, February is Q4 of the year before",
            "2026-02-15T12:00",
            "UTC",
            4,
            2,
            vec![fq(2025, 4), fq(2025, 3)],
        ),
        (
            "October year, 1 Oct in UTC",
            "2026-10-01T02:00",
            "UTC",
            10,
            2,
            vec![fq(2026, 1), fq(2025, 4)],
        ),
        (
            "October year, same instant is still 30 Sep in New York",
            "2026-10-01T02:00",
            "America/New_York",
            10,
            2,
            vec![fq(2025, 4), fq(2025, 3)],
        ),
        (
            "calendar year, already 1 Jan in Tokyo",
            "2025-12-31T15:30",
            "Asia/Tokyo",
            1,
            3,
            vec![fq(2026, 1), fq(2025, 4), fq(2025, 3)],
        ),
        ("none asked", "2026-05-10T12:00", "UTC", 4, 0, vec![]),
    ];
    for (case, now, tz, month, n, expected) in table {
        assert_eq!(
            recent_fiscal_quarters(utc(now), zone(tz), month, n),
            expected,
            "{case}"
        );
    }
}

// ------------------------------------------------------------ metrics

const PAY: u128 = 10;
const WEB: u128 = 11;

fn release(n: u128, product: u128, created: &str, baseline: Option<&str>, actual: &str) -> Shipped {
    Shipped {
        id: id(n),
        product_id: id(product),
        release_type: ReleaseType::Minor,
        status: ReleaseStatus::Released,
        created_at: utc(created),
        baseline_go_live: baseline.map(utc),
        actual_go_live: utc(actual),
    }
}

fn hotfix(n: u128, product: u128, actual: &str) -> Shipped {
    Shipped {
        release_type: ReleaseType::Hotfix,
        baseline_go_live: None,
        created_at: utc(actual) - Duration::days(1),
        ..release(n, product, actual, None, actual)
    }
}

fn status(s: Shipped, status: ReleaseStatus) -> Shipped {
    Shipped { status, ..s }
}

fn kind(s: Shipped, release_type: ReleaseType) -> Shipped {
    Shipped { release_type, ..s }
}

/// Q4 of a calendar fiscal year: 1 Oct – 31 Dec 2026, 92 days, UTC.
fn q4() -> Period {
    quarter(2026, 4, 1, "UTC")
}

fn between(from: &str, to: &str) -> Period {
    Period {
        choice: PeriodChoice::LastDays(0),
        from: utc(from),
        to: utc(to),
        label: String::new(),
    }
}

// The hand-computed portfolio of Q4 2026.
const ON_TIME: u128 = 1;
const LATE_3D: u128 = 2;
const EARLY_HALF_DAY: u128 = 3;
const NO_BASELINE: u128 = 4;
const ROLLED_BACK: u128 = 5;
const HOTFIXED_5D: u128 = 6;
const HOTFIX_OF_6: u128 = 7;
const HOTFIXED_8D: u128 = 8;
const HOTFIX_OF_8: u128 = 9;

fn portfolio() -> Vec<Shipped> {
    vec![
        // slip 0, lead 30 d
        release(
            ON_TIME,
            PAY,
            "2026-09-05T10:00",
            Some("2026-10-05T10:00"),
            "2026-10-05T10:00",
        ),
        // slip +3 d (late), lead 20 d
        release(
            LATE_3D,
            WEB,
            "2026-09-25T10:00",
            Some("2026-10-12T10:00"),
            "2026-10-15T10:00",
        ),
        // slip −0.5 d (on time), lead 10 d
        release(
            EARLY_HALF_DAY,
            WEB,
            "2026-10-10T00:00",
            Some("2026-10-20T12:00"),
            "2026-10-20T00:00",
        ),
        // lead 31 d
        release(
            NO_BASELINE,
            PAY,
            "2026-10-02T10:00",
            None,
            "2026-11-02T10:00",
        ),
        // slip 0, lead 5 d, change failure
        status(
            release(
                ROLLED_BACK,
                WEB,
                "2026-11-05T10:00",
                Some("2026-11-10T10:00"),
                "2026-11-10T10:00",
            ),
            ReleaseStatus::RolledBack,
        ),
        // slip 0, lead 10 d, change failure (hotfix 5 days later)
        release(
            HOTFIXED_5D,
            PAY,
            "2026-11-10T10:00",
            Some("2026-11-20T10:00"),
            "2026-11-20T10:00",
        ),
        // no baseline, lead 1 d
        hotfix(HOTFIX_OF_6, PAY, "2026-11-25T10:00"),
        // slip 0, lead 30 d (the hotfix 8 days later is too late to count)
        release(
            HOTFIXED_8D,
            WEB,
            "2026-11-01T10:00",
            Some("2026-12-01T10:00"),
            "2026-12-01T10:00",
        ),
        // slip 0, lead 1 d
        Shipped {
            baseline_go_live: Some(utc("2026-12-09T10:00")),
            ..hotfix(HOTFIX_OF_8, WEB, "2026-12-09T10:00")
        },
    ]
}

#[test]
fn every_metric_of_a_hand_computed_quarter() {
    let reviews = ReviewOutcomes {
        go: 5,
        no_go: 2,
        overridden: 1,
    };
    let m = metrics(&q4(), &portfolio(), reviews, 23);
    assert_eq!(m.shipped, 9);
    assert_eq!(m.with_baseline, 7);
    assert_eq!(m.on_time, 6, "all but the one 3 days late");
    assert_close(m.on_time_rate, Some(6.0 / 7.0), "on-time rate");
    assert_close(m.average_slip_days, Some(2.5 / 7.0), "(3 − 0.5) / 7");
    assert_eq!(m.change_failures, 2);
    assert_close(
        m.change_failure_rate,
        Some(2.0 / 9.0),
        "change failure rate",
    );
    assert_eq!(m.reviews, reviews);
    // 1, 1, 5, 10, [10], 20, 30, 30, 31
    assert_close(m.median_lead_time_days, Some(10.0), "median lead time");
    assert_eq!(m.production_deployments, 23);
    assert_close(
        m.deployments_per_week,
        Some(23.0 / (92.0 / 7.0)),
        "per week",
    );
    assert_close(m.deployments_per_week, Some(1.75), "per week");
    assert_eq!(
        change_failures(&q4(), &portfolio()),
        vec![id(ROLLED_BACK), id(HOTFIXED_5D)]
    );
}

#[test]
fn change_failures_are_listed_in_go_live_order_whatever_the_input_order() {
    let mut reversed = portfolio();
    reversed.reverse();
    assert_eq!(
        change_failures(&q4(), &reversed),
        vec![id(ROLLED_BACK), id(HOTFIXED_5D)]
    );
    assert_eq!(
        metrics(&q4(), &reversed, ReviewOutcomes::default(), 23),
        metrics(&q4(), &portfolio(), ReviewOutcomes::default(), 23)
    );
}

#[test]
fn a_period_without_releases_has_no_rates_and_no_division_by_zero() {
    let m = metrics(&q4(), &[], ReviewOutcomes::default(), 0);
    assert_eq!(
        m,
        Metrics {
            shipped: 0,
            on_time: 0,
            with_baseline: 0,
            on_time_rate: None,
            average_slip_days: None,
            change_failures: 0,
            change_failure_rate: None,
            reviews: ReviewOutcomes::default(),
            median_lead_time_days: None,
            production_deployments: 0,
            deployments_per_week: Some(0.0),
        }
    );
    assert!(change_failures(&q4(), &[]).is_empty());
    // Releases all outside the period count for nothing.
    let outside = metrics(
        &between("2027-06-01T00:00", "2027-07-01T00:00"),
        &portfolio(),
        ReviewOutcomes::default(),
        0,
    );
    assert_eq!(outside.shipped, 0);
    assert_eq!(outside.on_time_rate, None);
    assert_eq!(outside.change_failure_rate, None);
}

#[test]
fn a_zero_length_period_has_every_rate_none() {
    let empty = last(0, "2026-11-25T15:00", "UTC");
    let m = metrics(&empty, &portfolio(), ReviewOutcomes::default(), 0);
    assert_eq!(m.shipped, 0);
    assert_eq!(m.on_time_rate, None);
    assert_eq!(m.average_slip_days, None);
    assert_eq!(m.change_failure_rate, None);
    assert_eq!(m.median_lead_time_days, None);
    assert_eq!(m.deployments_per_week, None);
    assert!(weekly_outcomes(&empty, &portfolio(), zone("UTC"), Weekday::Mon).is_empty());
}

#[test]
fn only_releases_that_went_live_inside_the_period_count() {
    let p = q4();
    let inside = "2026-11-10T10:00";
    // (case, release, shipped)
    let table = [
        (
            "released inside",
            release(1, PAY, "2026-11-01T00:00", None, inside),
            1,
        ),
        (
            "in progress inside",
            status(
                release(1, PAY, "2026-11-01T00:00", None, inside),
                ReleaseStatus::InProgress,
            ),
            1,
        ),
        (
            "rolled back inside",
            status(
                release(1, PAY, "2026-11-01T00:00", None, inside),
                ReleaseStatus::RolledBack,
            ),
            1,
        ),
        (
            "cancelled after starting",
            status(
                release(1, PAY, "2026-11-01T00:00", None, inside),
                ReleaseStatus::Cancelled,
            ),
            0,
        ),
        (
            "approved: not started by its status",
            status(
                release(1, PAY, "2026-11-01T00:00", None, inside),
                ReleaseStatus::Approved,
            ),
            0,
        ),
        (
            "exactly at the start",
            release(1, PAY, "2026-09-01T00:00", None, "2026-10-01T00:00"),
            1,
        ),
        (
            "a minute before",
            release(1, PAY, "2026-09-01T00:00", None, "2026-09-30T23:59"),
            0,
        ),
        (
            "a minute before the end",
            release(1, PAY, "2026-09-01T00:00", None, "2026-12-31T23:59"),
            1,
        ),
        (
            "exactly at the end",
            release(1, PAY, "2026-09-01T00:00", None, "2027-01-01T00:00"),
            0,
        ),
    ];
    for (case, s, shipped) in table {
        let m = metrics(&p, &[s], ReviewOutcomes::default(), 0);
        assert_eq!(m.shipped, shipped, "{case}");
    }
}

#[test]
fn change_failure_rules() {
    let p = q4();
    let base = || {
        release(
            1,
            PAY,
            "2026-11-01T00:00",
            Some("2026-11-10T10:00"),
            "2026-11-10T10:00",
        )
    };
    // (case, releases, failed ids)
    let table: Vec<(&str, Vec<Shipped>, Vec<u128>)> = vec![
        ("alone", vec![base()], vec![]),
        (
            "rolled back",
            vec![status(base(), ReleaseStatus::RolledBack)],
            vec![1],
        ),
        (
            "hotfix a day later",
            vec![base(), hotfix(2, PAY, "2026-11-11T10:00")],
            vec![1],
        ),
        (
            "hotfix exactly 7 days later",
            vec![base(), hotfix(2, PAY, "2026-11-17T10:00")],
            vec![1],
        ),
        (
            "hotfix 7 days and a minute later",
            vec![base(), hotfix(2, PAY, "2026-11-17T10:01")],
            vec![],
        ),
        (
            "hotfix at the same instant",
            vec![base(), hotfix(2, PAY, "2026-11-10T10:00")],
            vec![],
        ),
        (
            "hotfix the day before",
            vec![base(), hotfix(2, PAY, "2026-11-09T10:00")],
            vec![],
        ),
        (
            "hotfix of another product",
            vec![base(), hotfix(2, WEB, "2026-11-11T10:00")],
            vec![],
        ),
        (
            "emergency release counts as a hotfix",
            vec![
                base(),
                kind(hotfix(2, PAY, "2026-11-11T10:00"), ReleaseType::Emergency),
            ],
            vec![1],
        ),
        (
            "a patch is not a hotfix",
            vec![
                base(),
                kind(hotfix(2, PAY, "2026-11-11T10:00"), ReleaseType::Patch),
            ],
            vec![],
        ),
        (
            "a hotfix that never went live (cancelled) is no evidence",
            vec![
                base(),
                status(hotfix(2, PAY, "2026-11-11T10:00"), ReleaseStatus::Cancelled),
            ],
            vec![],
        ),
        (
            "a hotfix that is itself rolled back still follows",
            vec![
                base(),
                status(
                    hotfix(2, PAY, "2026-11-11T10:00"),
                    ReleaseStatus::RolledBack,
                ),
            ],
            vec![1, 2],
        ),
        (
            "a hotfix followed by another hotfix fails too",
            vec![
                base(),
                hotfix(2, PAY, "2026-11-11T10:00"),
                hotfix(3, PAY, "2026-11-12T10:00"),
            ],
            vec![1, 2],
        ),
        (
            "a hotfix is not a failure for being a hotfix",
            vec![hotfix(2, PAY, "2026-11-11T10:00")],
            vec![],
        ),
        (
            "the hotfix just after the period still marks the last release",
            vec![
                release(1, PAY, "2026-11-01T00:00", None, "2026-12-30T10:00"),
                hotfix(2, PAY, "2027-01-02T10:00"),
            ],
            vec![1],
        ),
        (
            "a release just before the period is not listed though its hotfix is inside",
            vec![
                release(1, PAY, "2026-09-01T00:00", None, "2026-09-29T10:00"),
                hotfix(2, PAY, "2026-10-02T10:00"),
            ],
            vec![],
        ),
    ];
    for (case, releases, failed) in table {
        let expected: Vec<Uuid> = failed.into_iter().map(id).collect();
        assert_eq!(change_failures(&p, &releases), expected, "{case}");
        let m = metrics(&p, &releases, ReviewOutcomes::default(), 0);
        assert_eq!(m.change_failures, expected.len(), "{case}");
    }
}

#[test]
fn a_hotfix_after_the_period_is_not_shipped_in_it() {
    let releases = vec![
        release(
            1,
            PAY,
            "2026-11-01T00:00",
            Some("2026-12-30T10:00"),
            "2026-12-30T10:00",
        ),
        hotfix(2, PAY, "2027-01-02T10:00"),
    ];
    let m = metrics(&q4(), &releases, ReviewOutcomes::default(), 0);
    assert_eq!(m.shipped, 1);
    assert_eq!(m.change_failures, 1);
    assert_close(m.change_failure_rate, Some(1.0), "one of one");
}

fn with_lead_times(days: &[i64]) -> Vec<Shipped> {
    days.iter()
        .zip(1..)
        .map(|(d, n)| {
            let actual = utc("2026-11-10T10:00");
            Shipped {
                created_at: actual - Duration::days(*d),
                ..release(n, PAY, "2026-01-01T00:00", None, "2026-11-10T10:00")
            }
        })
        .collect()
}

#[test]
fn median_lead_time_with_odd_and_even_counts() {
    // (case, lead times in days, median)
    let table: [(&str, &[i64], Option<f64>); 6] = [
        ("none", &[], None),
        ("one", &[12], Some(12.0)),
        ("two: their mean", &[3, 10], Some(6.5)),
        ("three, unsorted", &[30, 2, 7], Some(7.0)),
        ("four: mean of the middle two", &[10, 1, 4, 2], Some(3.0)),
        ("five with ties", &[5, 5, 1, 5, 9], Some(5.0)),
    ];
    for (case, lead_times, median) in table {
        let m = metrics(
            &q4(),
            &with_lead_times(lead_times),
            ReviewOutcomes::default(),
            0,
        );
        assert_close(m.median_lead_time_days, median, case);
    }
    let half = Shipped {
        created_at: utc("2026-11-09T22:00"),
        ..release(1, PAY, "2026-01-01T00:00", None, "2026-11-10T10:00")
    };
    let m = metrics(&q4(), &[half], ReviewOutcomes::default(), 0);
    assert_close(m.median_lead_time_days, Some(0.5), "half a day");
}

#[test]
fn slip_and_on_time_at_the_one_day_edge() {
    let at = "2026-11-10T10:00";
    // (case, baseline, slip days, on time)
    let table = [
        ("exactly on the baseline", "2026-11-10T10:00", 0.0, true),
        ("a day late", "2026-11-09T10:00", 1.0, true),
        ("a day early", "2026-11-11T10:00", -1.0, true),
        (
            "a day and a minute late",
            "2026-11-09T09:59",
            1.0 + 1.0 / 1440.0,
            false,
        ),
        (
            "a day and a minute early",
            "2026-11-11T10:01",
            -1.0 - 1.0 / 1440.0,
            false,
        ),
    ];
    for (case, baseline, slip, on_time) in table {
        let s = release(1, PAY, "2026-11-01T00:00", Some(baseline), at);
        assert_eq!(s.on_time(), Some(on_time), "{case}");
        let m = metrics(&q4(), &[s], ReviewOutcomes::default(), 0);
        assert_close(m.average_slip_days, Some(slip), case);
        assert_close(m.on_time_rate, Some(if on_time { 1.0 } else { 0.0 }), case);
    }
    let none = release(1, PAY, "2026-11-01T00:00", None, at);
    assert_eq!(none.slip(), None);
    assert_eq!(none.on_time(), None);
}

#[test]
fn deployments_per_week_use_the_period_length() {
    // (case, period, deployments, per week)
    let table = [
        (
            "30 days, 60 deployments",
            last(30, "2026-11-25T15:00", "UTC"),
            60,
            Some(14.0),
        ),
        (
            "7 days, 3 deployments",
            last(7, "2026-11-25T15:00", "UTC"),
            3,
            Some(3.0),
        ),
        (
            "90 days, none",
            last(90, "2026-11-25T15:00", "UTC"),
            0,
            Some(0.0),
        ),
        (
            "30 days in New York with the extra hour",
            last(30, "2026-11-02T03:00", "America/New_York"),
            721,
            Some(721.0 / (721.0 / 24.0 / 7.0)),
        ),
        ("empty period", last(0, "2026-11-25T15:00", "UTC"), 5, None),
    ];
    for (case, p, deployments, per_week) in table {
        let m = metrics(&p, &[], ReviewOutcomes::default(), deployments);
        assert_eq!(m.production_deployments, deployments, "{case}");
        assert_close(m.deployments_per_week, per_week, case);
    }
}

// ------------------------------------------------------------ charts

fn week(start: &str, on_time: usize, late: usize, unplanned: usize, failed: usize) -> WeekOutcomes {
    WeekOutcomes {
        start: date(start),
        on_time,
        late,
        unplanned,
        failed,
    }
}

#[test]
fn weekly_outcomes_cover_every_overlapping_week_and_rank_outcomes() {
    // Wed 4 Nov – Wed 18 Nov 2026, UTC.
    let p = between("2026-11-04T00:00", "2026-11-18T00:00");
    let releases = vec![
        // Week of Mon 2 Nov: one of each outcome; a late rollback is a failure.
        release(
            1,
            PAY,
            "2026-10-01T00:00",
            Some("2026-11-04T10:00"),
            "2026-11-04T10:00",
        ),
        release(
            2,
            PAY,
            "2026-10-01T00:00",
            Some("2026-11-01T10:00"),
            "2026-11-05T10:00",
        ),
        release(3, PAY, "2026-10-01T00:00", None, "2026-11-06T10:00"),
        status(
            release(
                4,
                WEB,
                "2026-10-01T00:00",
                Some("2026-11-01T10:00"),
                "2026-11-07T10:00",
            ),
            ReleaseStatus::RolledBack,
        ),
        status(
            release(5, WEB, "2026-10-01T00:00", None, "2026-11-08T10:00"),
            ReleaseStatus::RolledBack,
        ),
        // Before the period, though in its first week: ignored.
        release(6, PAY, "2026-10-01T00:00", None, "2026-11-03T10:00"),
        // Week of Mon 16 Nov: on time, but a hotfix follows in 3 days.
        release(
            7,
            WEB,
            "2026-10-01T00:00",
            Some("2026-11-16T10:00"),
            "2026-11-16T10:00",
        ),
        hotfix(8, WEB, "2026-11-19T10:00"),
    ];
    // (case, week start, weeks)
    let table = [
        (
            "Monday weeks",
            Weekday::Mon,
            vec![
                week("2026-11-02", 1, 1, 1, 2),
                week("2026-11-09", 0, 0, 0, 0),
                week("2026-11-16", 0, 0, 0, 1),
            ],
        ),
        (
            "Sunday weeks: Sunday's rollback starts the second week",
            Weekday::Sun,
            vec![
                week("2026-11-01", 1, 1, 1, 1),
                week("2026-11-08", 0, 0, 0, 1),
                week("2026-11-15", 0, 0, 0, 1),
            ],
        ),
    ];
    for (case, start, expected) in table {
        assert_eq!(
            weekly_outcomes(&p, &releases, zone("UTC"), start),
            expected,
            "{case}"
        );
    }
}

#[test]
fn a_period_ending_on_a_week_start_does_not_reach_into_that_week() {
    // Mon 2 Nov – Mon 16 Nov 2026 in New York (the clocks go back on 1 Nov).
    let p = between("2026-11-02T05:00", "2026-11-16T05:00");
    let starts = |w: Weekday| -> Vec<NaiveDate> {
        weekly_outcomes(&p, &[], zone("America/New_York"), w)
            .into_iter()
            .map(|w| w.start)
            .collect()
    };
    assert_eq!(
        starts(Weekday::Mon),
        vec![date("2026-11-02"), date("2026-11-09")]
    );
    assert_eq!(
        starts(Weekday::Sun),
        vec![date("2026-11-01"), date("2026-11-08"), date("2026-11-15")]
    );
}

#[test]
fn a_release_at_local_midnight_of_a_week_start_belongs_to_that_week() {
    let tz = zone("America/New_York");
    let p = between("2026-11-02T05:00", "2026-11-23T05:00");
    // (case, go-live, week start, week it lands in)
    let table = [
        (
            "Monday 00:00 EST, Monday weeks",
            "2026-11-09T05:00",
            Weekday::Mon,
            "2026-11-09",
        ),
        (
            "Sunday 23:59 EST, Monday weeks",
            "2026-11-09T04:59",
            Weekday::Mon,
            "2026-11-02",
        ),
        (
            "Sunday 23:59 EST, Sunday weeks",
            "2026-11-09T04:59",
            Weekday::Sun,
            "2026-11-08",
        ),
        (
            "Sunday 00:00 EST, Sunday weeks",
            "2026-11-08T05:00",
            Weekday::Sun,
            "2026-11-08",
        ),
        (
            "Saturday 23:59 EST, Sunday weeks",
            "2026-11-08T04:59",
            Weekday::Sun,
            "2026-11-01",
        ),
        (
            "Monday 03:00 UTC is still Sunday in New York",
            "2026-11-16T03:00",
            Weekday::Mon,
            "2026-11-09",
        ),
    ];
    for (case, at, start, expected) in table {
        let s = release(1, PAY, "2026-10-01T00:00", None, at);
        let weeks = weekly_outcomes(&p, &[s], tz, start);
        let hit: Vec<NaiveDate> = weeks
            .iter()
            .filter(|w| w.unplanned == 1)
            .map(|w| w.start)
            .collect();
        assert_eq!(hit, vec![date(expected)], "{case}");
    }
}

#[test]
fn weeks_start_at_the_end_of_a_midnight_gap() {
    // Santiago skips 00:00–01:00 on Sunday 6 Sep 2026; a release at 01:00
    // is the first instant of that day and of the Sunday week.
    let tz = zone("America/Santiago");
    let p = period(PeriodChoice::LastDays(30), utc("2026-09-10T15:00"), tz, 1);
    let s = release(1, PAY, "2026-08-01T00:00", None, "2026-09-06T04:00");
    let weeks = weekly_outcomes(&p, &[s], tz, Weekday::Sun);
    let hit: Vec<NaiveDate> = weeks
        .iter()
        .filter(|w| w.unplanned == 1)
        .map(|w| w.start)
        .collect();
    assert_eq!(hit, vec![date("2026-09-06")]);
    assert_eq!(weeks.first().map(|w| w.start), Some(date("2026-08-09")));
    assert_eq!(weeks.last().map(|w| w.start), Some(date("2026-09-06")));
}

#[test]
fn the_hand_computed_quarter_by_week() {
    let weeks = weekly_outcomes(&q4(), &portfolio(), zone("UTC"), Weekday::Mon);
    // Mon 28 Sep (overlaps 1 Oct) … Mon 28 Dec: 14 weeks.
    assert_eq!(weeks.len(), 14);
    assert_eq!(weeks[0].start, date("2026-09-28"));
    assert_eq!(weeks[13].start, date("2026-12-28"));
    let non_empty: Vec<WeekOutcomes> = weeks
        .into_iter()
        .filter(|w| w.on_time + w.late + w.unplanned + w.failed > 0)
        .collect();
    assert_eq!(
        non_empty,
        vec![
            week("2026-10-05", 1, 0, 0, 0), // on time
            week("2026-10-12", 0, 1, 0, 0), // 3 days late
            week("2026-10-19", 1, 0, 0, 0), // half a day early
            week("2026-11-02", 0, 0, 1, 0), // no baseline
            week("2026-11-09", 0, 0, 0, 1), // rolled back
            week("2026-11-16", 0, 0, 0, 1), // hotfix 5 days later
            week("2026-11-23", 0, 0, 1, 0), // that hotfix
            week("2026-11-30", 1, 0, 0, 0), // hotfix 8 days later: not a failure
            week("2026-12-07", 1, 0, 0, 0), // that hotfix
        ]
    );
}

#[test]
fn monthly_on_time_counts_by_local_month_up_to_this_one() {
    let tz = zone("Asia/Tokyo");
    // 1 Dec 2026 01:00 in Tokyo, still 30 Nov in UTC.
    let now = utc("2026-11-30T16:00");
    let releases = vec![
        // 31 Oct 23:59 JST: October, on time.
        release(
            1,
            PAY,
            "2026-09-01T00:00",
            Some("2026-10-31T14:59"),
            "2026-10-31T14:59",
        ),
        // 1 Nov 00:00 JST: November, late.
        release(
            2,
            PAY,
            "2026-09-01T00:00",
            Some("2026-10-25T15:00"),
            "2026-10-31T15:00",
        ),
        // 20 Nov JST: November, on time.
        release(
            3,
            WEB,
            "2026-09-01T00:00",
            Some("2026-11-20T03:00"),
            "2026-11-20T03:00",
        ),
        // 1 Dec 00:30 JST: December, on time (UTC says November).
        release(
            4,
            WEB,
            "2026-09-01T00:00",
            Some("2026-11-30T15:30"),
            "2026-11-30T15:30",
        ),
        // No baseline: not in the rate.
        release(5, WEB, "2026-09-01T00:00", None, "2026-11-10T03:00"),
        // Cancelled: never shipped.
        status(
            release(
                6,
                WEB,
                "2026-09-01T00:00",
                Some("2026-11-11T03:00"),
                "2026-11-11T03:00",
            ),
            ReleaseStatus::Cancelled,
        ),
        // Rolled back but on time: counted in the on-time trend.
        status(
            release(
                7,
                PAY,
                "2026-09-01T00:00",
                Some("2026-11-12T03:00"),
                "2026-11-12T03:00",
            ),
            ReleaseStatus::RolledBack,
        ),
        // September: before the three months.
        release(
            8,
            PAY,
            "2026-09-01T00:00",
            Some("2026-09-30T14:59"),
            "2026-09-30T14:59",
        ),
    ];
    let rates = monthly_on_time(&releases, now, tz, 3);
    let expected = [
        ("2026-10-01", 1, 1, Some(1.0)),
        ("2026-11-01", 3, 2, Some(2.0 / 3.0)),
        ("2026-12-01", 1, 1, Some(1.0)),
    ];
    assert_eq!(rates.len(), expected.len());
    for (got, (month, with_baseline, on_time, rate)) in rates.iter().zip(expected) {
        assert_eq!(got.month, date(month));
        assert_eq!(got.with_baseline, with_baseline, "{month}");
        assert_eq!(got.on_time, on_time, "{month}");
        assert_close(got.rate, rate, month);
    }
}

#[test]
fn monthly_on_time_crosses_a_year_and_leaves_empty_months_without_a_rate() {
    let rates = monthly_on_time(&[], utc("2027-02-10T12:00"), zone("UTC"), 4);
    let months: Vec<NaiveDate> = rates.iter().map(|m| m.month).collect();
    assert_eq!(
        months,
        ["2026-11-01", "2026-12-01", "2027-01-01", "2027-02-01"].map(date)
    );
    assert!(
        rates
            .iter()
            .all(|m| m.rate.is_none() && m.with_baseline == 0)
    );
    assert!(monthly_on_time(&portfolio(), utc(NOW), zone("UTC"), 0).is_empty());
}

#[test]
fn next_weeks_start_at_this_weeks_local_midnight_and_follow_daylight_saving() {
    let ny = zone("America/New_York");
    // Wed 28 Oct 2026; the clocks go back on Sun 1 Nov.
    let weeks = next_weeks(utc("2026-10-28T12:00"), ny, Weekday::Sun, 3);
    assert_eq!(
        weeks,
        vec![
            (
                date("2026-10-25"),
                utc("2026-10-25T04:00"),
                utc("2026-11-01T04:00")
            ),
            (
                date("2026-11-01"),
                utc("2026-11-01T04:00"),
                utc("2026-11-08T05:00")
            ),
            (
                date("2026-11-08"),
                utc("2026-11-08T05:00"),
                utc("2026-11-15T05:00")
            ),
        ]
    );
    let spans: Vec<i64> = weeks.iter().map(|(_, f, t)| hours(*f, *t)).collect();
    assert_eq!(spans, vec![168, 169, 168]);
    // The clocks go forward on Sun 8 Mar: the Monday week holding it is 167 h.
    let spring = next_weeks(utc("2026-03-04T12:00"), ny, Weekday::Mon, 2);
    assert_eq!(
        spring,
        vec![
            (
                date("2026-03-02"),
                utc("2026-03-02T05:00"),
                utc("2026-03-09T04:00")
            ),
            (
                date("2026-03-09"),
                utc("2026-03-09T04:00"),
                utc("2026-03-16T04:00")
            ),
        ]
    );
    assert_eq!(hours(spring[0].1, spring[0].2), 167);
}

#[test]
fn next_weeks_at_the_edges_of_the_current_week() {
    let ny = zone("America/New_York");
    // (case, now, week start, first day)
    let table = [
        (
            "Monday 00:00 local starts a new week",
            "2026-11-09T05:00",
            Weekday::Mon,
            "2026-11-09",
        ),
        (
            "Sunday 23:59 local is the old week",
            "2026-11-09T04:59",
            Weekday::Mon,
            "2026-11-02",
        ),
        (
            "Sunday weeks, Sunday 00:00",
            "2026-11-08T05:00",
            Weekday::Sun,
            "2026-11-08",
        ),
        (
            "Saturday weeks, Friday",
            "2026-11-13T17:00",
            Weekday::Sat,
            "2026-11-07",
        ),
    ];
    for (case, now, start, first) in table {
        let weeks = next_weeks(utc(now), ny, start, 8);
        assert_eq!(weeks.len(), 8, "{case}");
        assert_eq!(weeks[0].0, date(first), "{case}");
        assert!(
            weeks[0].1 <= utc(now) && utc(now) < weeks[0].2,
            "{case}: now inside"
        );
    }
    assert!(next_weeks(utc(NOW), ny, Weekday::Mon, 0).is_empty());
    // Tokyo: Monday has begun there while it is Sunday in UTC.
    let tokyo = next_weeks(utc("2026-11-15T15:30"), zone("Asia/Tokyo"), Weekday::Mon, 1);
    assert_eq!(
        tokyo,
        vec![(
            date("2026-11-16"),
            utc("2026-11-15T15:00"),
            utc("2026-11-22T15:00")
        )]
    );
}

// ------------------------------------------------------------ properties

const ZONES: [&str; 7] = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Asia/Tokyo",
    "Australia/Sydney",
    "America/Santiago",
    "Asia/Kolkata",
];

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// An instant within a year or so of 2026, to the minute.
fn arb_instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..600 * 24 * 60).prop_map(|m| utc("2025-12-01T00:00") + Duration::minutes(m))
}

fn arb_shipped() -> impl Strategy<Value = Shipped> {
    (
        0u128..40,
        0u128..3,
        prop::sample::select(ReleaseType::ALL.to_vec()),
        prop::sample::select(ReleaseStatus::ALL.to_vec()),
        arb_instant(),
        prop::option::of(-5i64 * 24 * 60..5 * 24 * 60),
        0i64..90 * 24 * 60,
    )
        .prop_map(
            |(n, product, release_type, status, actual, slip, lead)| Shipped {
                id: id(n),
                product_id: id(product),
                release_type,
                status,
                created_at: actual - Duration::minutes(lead),
                baseline_go_live: slip.map(|m| actual - Duration::minutes(m)),
                actual_go_live: actual,
            },
        )
}

fn arb_choice() -> impl Strategy<Value = PeriodChoice> {
    prop_oneof![
        prop::sample::select(vec![0u32, 1, 7, 30, 90, 365]).prop_map(PeriodChoice::LastDays),
        (2024i32..2028, 1u8..=4)
            .prop_map(|(year, quarter)| PeriodChoice::FiscalQuarter { year, quarter }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn metrics_never_panic_and_rates_stay_between_zero_and_one(
        shipped in prop::collection::vec(arb_shipped(), 0..40),
        choice in arb_choice(),
        now in arb_instant(),
        tz in prop::sample::select(ZONES.to_vec()),
        fiscal_start in 1u32..=12,
        deployments in 0usize..200,
    ) {
        let p = period(choice, now, zone(tz), fiscal_start);
        prop_assert!(p.from <= p.to);
        let m = metrics(&p, &shipped, ReviewOutcomes::default(), deployments);
        for r in [m.on_time_rate, m.change_failure_rate].into_iter().flatten() {
            prop_assert!((0.0..=1.0).contains(&r), "{r}");
        }
        prop_assert!(m.on_time <= m.with_baseline && m.with_baseline <= m.shipped);
        prop_assert!(m.change_failures <= m.shipped);
        prop_assert_eq!(m.on_time_rate.is_none(), m.with_baseline == 0);
        prop_assert_eq!(m.average_slip_days.is_none(), m.with_baseline == 0);
        prop_assert_eq!(m.change_failure_rate.is_none(), m.shipped == 0);
        prop_assert_eq!(m.median_lead_time_days.is_none(), m.shipped == 0);
        prop_assert_eq!(m.deployments_per_week.is_none(), p.from == p.to);
        for v in [m.average_slip_days, m.median_lead_time_days, m.deployments_per_week].into_iter().flatten() {
            prop_assert!(v.is_finite());
        }
        let failures = change_failures(&p, &shipped);
        prop_assert_eq!(failures.len(), m.change_failures);
        for rate in monthly_on_time(&shipped, now, zone(tz), 12) {
            if let Some(r) = rate.rate {
                prop_assert!((0.0..=1.0).contains(&r));
            }
        }
    }

    #[test]
    fn every_release_of_the_period_lands_in_exactly_one_weekly_bucket(
        shipped in prop::collection::vec(arb_shipped(), 0..40),
        choice in arb_choice(),
        now in arb_instant(),
        tz in prop::sample::select(ZONES.to_vec()),
        week_start in prop::sample::select(WEEKDAYS.to_vec()),
    ) {
        let tz = zone(tz);
        let p = period(choice, now, tz, 4);
        let m = metrics(&p, &shipped, ReviewOutcomes::default(), 0);
        let weeks = weekly_outcomes(&p, &shipped, tz, week_start);
        let total: usize = weeks.iter().map(|w| w.on_time + w.late + w.unplanned + w.failed).sum();
        prop_assert_eq!(total, m.shipped);
        prop_assert_eq!(weeks.iter().map(|w| w.failed).sum::<usize>(), m.change_failures);
        for pair in weeks.windows(2) {
            prop_assert_eq!(pair[1].start - pair[0].start, Duration::days(7));
        }
        for w in &weeks {
            prop_assert_eq!(w.start.weekday(), week_start);
        }
        // Week by week, the releases whose local go-live date falls in it.
        for w in &weeks {
            let end = w.start + Duration::days(7);
            let mine = shipped
                .iter()
                .filter(|s| s.status.has_started() && p.from <= s.actual_go_live && s.actual_go_live < p.to)
                .filter(|s| {
                    let d = s.actual_go_live.with_timezone(&tz).date_naive();
                    w.start <= d && d < end
                })
                .count();
            prop_assert_eq!(w.on_time + w.late + w.unplanned + w.failed, mine);
        }
    }

    #[test]
    fn next_weeks_are_contiguous_local_weeks_holding_now(
        now in arb_instant(),
        tz in prop::sample::select(ZONES.to_vec()),
        week_start in prop::sample::select(WEEKDAYS.to_vec()),
        n in 0usize..12,
    ) {
        let tz = zone(tz);
        let weeks = next_weeks(now, tz, week_start, n);
        prop_assert_eq!(weeks.len(), n);
        if let Some((_, from, to)) = weeks.first() {
            prop_assert!(*from <= now && now < *to);
        }
        for (day, from, to) in &weeks {
            prop_assert_eq!(day.weekday(), week_start);
            prop_assert!([167, 168, 169].contains(&hours(*from, *to)));
            prop_assert_eq!(from.with_timezone(&tz).date_naive(), *day);
        }
        for pair in weeks.windows(2) {
            prop_assert_eq!(pair[0].2, pair[1].1);
        }
    }

    #[test]
    fn recent_fiscal_quarters_are_back_to_back_and_the_first_holds_now(
        now in arb_instant(),
        tz in prop::sample::select(ZONES.to_vec()),
        fiscal_start in 1u32..=12,
        n in 1usize..10,
    ) {
        let tz = zone(tz);
        let quarters = recent_fiscal_quarters(now, tz, fiscal_start, n);
        prop_assert_eq!(quarters.len(), n);
        let periods: Vec<Period> = quarters.iter().map(|q| period(*q, now, tz, fiscal_start)).collect();
        prop_assert!(periods[0].from <= now && now < periods[0].to);
        for pair in periods.windows(2) {
            prop_assert_eq!(pair[1].to, pair[0].from);
        }
        for q in quarters {
            prop_assert_eq!(PeriodChoice::parse(&q.as_param()), Some(q));
        }
    }

    #[test]
    fn period_parameters_parse_back_to_themselves(s in "[a-z0-9 ]{0,10}") {
        if let Some(choice) = PeriodChoice::parse(&s) {
            prop_assert_eq!(choice.as_param(), s.trim());
        }
    }

    #[test]
    fn more_trouble_never_makes_health_better(
        status in prop::sample::select(ReleaseStatus::ALL.to_vec()),
        go_live in prop::option::of(-100i64 * 60..100 * 60),
        overdue in 0usize..3,
        blocking in 0usize..3,
        review in prop::sample::select(vec![
            ReviewState::None,
            ReviewState::Open(Decision::Pending),
            ReviewState::Open(Decision::Go),
            ReviewState::Open(Decision::NoGo),
            ReviewState::Closed(Decision::Go),
            ReviewState::Closed(Decision::NoGo),
        ]),
    ) {
        let f = HealthFacts {
            status,
            go_live: go_live.and_then(go_live_in),
            overdue_milestones: overdue,
            blocking_conflicts: blocking,
            review,
        };
        let now = utc(NOW);
        let got = release_health(&f, now);
        prop_assert_eq!(got.is_none(), status.is_closed());
        if let Some(a) = got {
            prop_assert!(!a.reason.is_empty());
            prop_assert_eq!(a.health == Health::Blocked, blocking > 0);
            let worse = HealthFacts { overdue_milestones: overdue + 1, ..f.clone() };
            let w = release_health(&worse, now).expect("open");
            prop_assert!(w.health >= a.health.max(Health::AtRisk));
            let blocked = HealthFacts { blocking_conflicts: blocking + 1, ..f };
            prop_assert_eq!(release_health(&blocked, now).map(|a| a.health), Some(Health::Blocked));
        }
    }
}
