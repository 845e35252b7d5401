//! The demo plan respects the rules the pages and the conflict checks
//! apply, whatever day it is built on.

use super::*;
use crate::demo::calendar::{FUTURE_DAYS, PAST_DAYS};
use crate::demo::catalog::{ACME, GLOBEX, TEMPLATE_MILESTONES, TEMPLATE_STEPS};
use almanac_domain::TimeZone;
use almanac_domain::release::Period;
use almanac_domain::template::Offset;
use chrono::TimeZone as _;
use std::collections::HashSet;

pub(super) fn instant(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("instant")
}

/// Days across two years, at different hours (the DST changes of New York
/// and Berlin, year end, Thanksgiving, and plain days).
pub(super) fn todays() -> Vec<DateTime<Utc>> {
    let mut out = vec![
        instant(2026, 3, 8, 7, 30),
        instant(2026, 3, 29, 1, 30),
        instant(2026, 10, 25, 0, 45),
        instant(2026, 11, 1, 6, 15),
        instant(2026, 11, 26, 3, 10),
        instant(2026, 12, 31, 23, 59),
        instant(2027, 1, 5, 12, 0),
    ];
    let mut at = instant(2026, 1, 2, 14, 23);
    while at < instant(2028, 1, 1, 0, 0) {
        out.push(at);
        at += Duration::days(13) + Duration::hours(5);
    }
    out
}

fn version(v: &str) -> (u32, u32, u32) {
    let parts: Vec<u32> = v.split('.').map(|p| p.parse().expect("number")).collect();
    (parts[0], parts[1], parts[2])
}

pub(super) fn planned(
    spec: &'static Spec,
    zone: &str,
    now: DateTime<Utc>,
) -> (Calendar, Vec<PlannedRelease>) {
    let zone = TimeZone::parse(zone).expect("zone");
    let calendar = Calendar::new(spec, zone, now).expect("calendar");
    let releases = plan(spec, &calendar).unwrap_or_else(|e| panic!("{now}: {e}"));
    (calendar, releases)
}

pub(super) fn production(spec: &Spec, r: &PlannedRelease) -> Period {
    r.deployments
        .iter()
        .find(|(e, _)| spec.environments[*e].is_production)
        .and_then(|(_, t)| t.planned)
        .expect("production deployment")
}

/// Whether a freeze blocks one of `r`'s deployments.
pub(super) fn blocked(spec: &Spec, calendar: &Calendar, r: &PlannedRelease) -> bool {
    r.deployments.iter().any(|(e, times)| {
        let planned = times.planned.expect("planned");
        calendar.freezes.iter().any(|f| {
            f.blocks(
                spec.environments[*e].name,
                r.release_type.as_str(),
                planned.start,
                planned.end,
            )
        })
    })
}

/// Milestones past due and not done.
pub(super) fn overdue(r: &PlannedRelease, now: DateTime<Utc>) -> usize {
    r.milestone_dues
        .iter()
        .zip(&r.milestones_done)
        .filter(|(due, done)| **due < now && done.is_none())
        .count()
}

/// Every rule, checked for one portfolio built at `now`.
fn check(spec: &'static Spec, zone: &str, now: DateTime<Utc>) -> (Calendar, Vec<PlannedRelease>) {
    let (calendar, releases) = planned(spec, zone, now);
    let passes = spec
        .environments
        .iter()
        .filter(|e| e.stage.is_some())
        .count()
        + 1;
    let mut seen = HashSet::new();
    let mut last: HashMap<&str, (u32, u32, u32)> = HashMap::new();
    for r in &releases {
        let label = format!("{now}: {} {}", r.product.key, r.version);
        assert!(
            seen.insert((r.product.key, r.version.clone())),
            "{label} twice"
        );
        let v = version(&r.version);
        if let Some(before) = last.insert(r.product.key, v) {
            assert!(v > before, "{label}: versions grow with go-live");
        }
        assert!(
            r.go_live >= now - Duration::days(PAST_DAYS) - Duration::days(1)
                && r.go_live <= now + Duration::days(FUTURE_DAYS),
            "{label}: within the demo's range"
        );
        assert_eq!(r.deployments.len(), passes, "{label}: one per environment");
        assert_eq!(
            r.baseline.is_none(),
            r.status == ReleaseStatus::Planned,
            "{label}"
        );
        assert!(r.created < now, "{label}: created in the past");
        let prod = production(spec, r);
        assert_eq!(
            prod.start, r.go_live,
            "{label}: go-live is production's start"
        );
        // Windows: production inside one occurrence (emergencies may go outside).
        if r.release_type != ReleaseType::Emergency {
            let inside = calendar
                .weekly_nights(prod.start, prod.end)
                .iter()
                .chain(&calendar.major_days(prod.start, prod.end))
                .any(|o| o.start <= prod.start && prod.end <= o.end);
            assert!(inside, "{label}: production inside a window occurrence");
            if let Some(b) = r.baseline {
                let planned_in_window = calendar
                    .weekly
                    .occurrences_between(b, b + Duration::minutes(1), &[])
                    .iter()
                    .chain(&calendar.major_days(b, b + Duration::minutes(1)))
                    .any(|o| o.start <= b);
                assert!(
                    planned_in_window,
                    "{label}: baseline in a window occurrence"
                );
            }
        }
        for (e, times) in &r.deployments {
            let env = &spec.environments[*e];
            let planned = times.planned.expect("planned");
            if !env.is_production {
                assert!(
                    planned.end <= prod.start,
                    "{label}: {} before production",
                    env.name
                );
            }
            for at in [times.actual_start, times.actual_end].into_iter().flatten() {
                assert!(at <= now, "{label}: {} actual times in the past", env.name);
                if !env.is_production {
                    assert!(at <= r.go_live, "{label}: {} ran before go-live", env.name);
                }
            }
            assert!(
                DeploymentTimes::new(
                    Some(planned.start),
                    Some(planned.end),
                    times.actual_start,
                    times.actual_end,
                    times.result
                )
                .is_ok(),
                "{label}: {} times valid",
                env.name
            );
        }
        // Only the release planned inside a freeze on purpose is blocked.
        assert_eq!(
            blocked(spec, &calendar, r),
            r.notes == catalog::BLOCKED_NOTE,
            "{label}: frozen"
        );
        let prod_times = r
            .deployments
            .iter()
            .find(|(e, _)| spec.environments[*e].is_production)
            .map(|(_, t)| *t)
            .expect("production");
        assert_eq!(
            prod_times.actual_start.is_some(),
            r.status.has_started(),
            "{label}: production started exactly when the status says so"
        );
        for at in r.milestones_done.iter().chain(&r.steps_done).flatten() {
            assert!(
                *at <= now && *at > r.created,
                "{label}: done between creation and now"
            );
        }
        assert_eq!(r.milestones_done.len(), TEMPLATE_MILESTONES.len());
        assert_eq!(r.steps_done.len(), TEMPLATE_STEPS.len());
    }
    // Environments that host one deployment at a time never overlap.
    for (e, env) in spec.environments.iter().enumerate() {
        if env.shared {
            continue;
        }
        let mut periods: Vec<(Period, String)> = releases
            .iter()
            .flat_map(|r| {
                r.deployments
                    .iter()
                    .filter(|(x, _)| *x == e)
                    .filter_map(|(_, t)| t.planned)
                    .map(|p| (p, format!("{} {}", r.product.key, r.version)))
            })
            .collect();
        periods.sort_by_key(|(p, _)| p.start);
        for pair in periods.windows(2) {
            assert!(
                pair[0].0.end <= pair[1].0.start,
                "{now}: {} overlaps {} on {}",
                pair[0].1,
                pair[1].1,
                env.name
            );
        }
    }
    // Capacity: production deployments per window occurrence.
    let windows = [(&spec.weekly, Some(&calendar.weekly))]
        .into_iter()
        .chain(spec.major.as_ref().map(|m| (m, calendar.major.as_ref())));
    for (window, recurrence) in windows {
        let (Some(capacity), Some(recurrence)) = (window.capacity, recurrence) else {
            continue;
        };
        let from = now - Duration::days(PAST_DAYS + 2);
        let to = now + Duration::days(FUTURE_DAYS + 2);
        for o in recurrence.occurrences_between(from, to, &[]) {
            let inside = releases
                .iter()
                .map(|r| production(spec, r))
                .filter(|p| o.start <= p.start && p.end <= o.end)
                .count();
            assert!(
                inside <= capacity as usize,
                "{now}: {} on {}",
                window.name,
                o.date
            );
        }
    }
    (calendar, releases)
}

fn count(releases: &[PlannedRelease], status: ReleaseStatus) -> usize {
    releases.iter().filter(|r| r.status == status).count()
}

#[test]
fn acme_plan_holds_on_any_day() {
    for now in todays() {
        let (calendar, releases) = check(&ACME, "America/New_York", now);
        assert_eq!(releases.len(), 132, "{now}");
        for status in ReleaseStatus::ALL {
            assert!(count(&releases, *status) > 0, "{now}: some {status}");
        }
        assert_eq!(count(&releases, ReleaseStatus::RolledBack), 5, "{now}");
        assert_eq!(count(&releases, ReleaseStatus::Cancelled), 4, "{now}");
        assert_eq!(count(&releases, ReleaseStatus::InProgress), 1, "{now}");
        for status in [
            ReleaseStatus::Planned,
            ReleaseStatus::Scheduled,
            ReleaseStatus::Approved,
            ReleaseStatus::Rejected,
        ] {
            assert!(count(&releases, status) >= 2, "{now}: a few {status}");
        }
        let past = releases.iter().filter(|r| r.go_live < now).count();
        assert!((92..=104).contains(&past), "{now}: {past} in the past");
        let keys: HashSet<&str> = releases.iter().map(|r| r.product.key).collect();
        assert_eq!(keys.len(), 12, "{now}: every product releases");
        let types: HashSet<ReleaseType> = releases.iter().map(|r| r.release_type).collect();
        assert_eq!(types.len(), 5, "{now}: every type");
        let emergencies = releases
            .iter()
            .filter(|r| r.release_type == ReleaseType::Emergency)
            .count();
        assert!((1..=2).contains(&emergencies), "{now}");
        let train: Vec<&PlannedRelease> = releases.iter().filter(|r| r.in_train).collect();
        assert_eq!(train.len(), 3, "{now}");
        assert!(
            train
                .iter()
                .all(|r| (r.go_live - train[0].go_live).num_hours().abs() < 4),
            "{now}: the train goes live on one night"
        );
        let late = releases
            .iter()
            .filter(|r| r.status == ReleaseStatus::Released)
            .filter(|r| {
                r.baseline
                    .is_some_and(|b| r.go_live - b > Duration::days(1))
            })
            .count();
        assert!(late >= 3, "{now}: some went out late ({late})");
        let rescheduled = releases
            .iter()
            .filter(|r| r.go_live > now && r.baseline.is_some_and(|b| b != r.go_live))
            .count();
        assert!(rescheduled >= 2, "{now}: some were rescheduled");
        // Milestones are due at the template's offsets from go-live, but
        // for one code freeze brought forward to leave a release at risk.
        let moved = releases
            .iter()
            .map(|r| {
                TEMPLATE_MILESTONES
                    .iter()
                    .zip(&r.milestone_dues)
                    .filter(|((name, offset), due)| {
                        let at = Offset::parse(offset)
                            .expect("offset")
                            .due_at(r.go_live, calendar.zone.tz());
                        **due != at && !(*name == "Code freeze" && **due < now && at > now)
                    })
                    .count()
                    + usize::from(r.milestone_dues.len() != TEMPLATE_MILESTONES.len())
            })
            .sum::<usize>();
        assert_eq!(moved, 0, "{now}: milestones due at the template's offsets");
        let overdue = |r: &PlannedRelease| overdue(r, now);
        let upcoming_overdue = releases
            .iter()
            .filter(|r| r.go_live > now - Duration::days(1) && overdue(r) > 0)
            .count();
        assert!(upcoming_overdue >= 1, "{now}: some milestones overdue");
        let released: Vec<&PlannedRelease> = releases
            .iter()
            .filter(|r| r.status == ReleaseStatus::Released)
            .collect();
        let (latest, earlier) = released.split_last().expect("released ones");
        assert!(
            overdue(latest) <= 1,
            "{now}: the latest has its review to do"
        );
        let released_all_done = earlier
            .iter()
            .filter(|r| r.go_live < now - Duration::days(3))
            .all(|r| r.milestones_done.iter().all(Option::is_some));
        assert!(
            released_all_done,
            "{now}: past releases have every milestone done"
        );
    }
}

#[test]
fn globex_plan_is_small_and_holds_on_any_day() {
    for now in todays() {
        let (_, releases) = check(&GLOBEX, "Europe/Berlin", now);
        assert_eq!(releases.len(), 10, "{now}");
        assert_eq!(count(&releases, ReleaseStatus::RolledBack), 1, "{now}");
        assert!(count(&releases, ReleaseStatus::Released) >= 3, "{now}");
        assert!(releases.iter().all(|r| r.deployments.len() == 2));
    }
}

#[test]
fn the_plan_is_deterministic() {
    let now = instant(2026, 6, 15, 16, 0);
    let (_, a) = planned(&ACME, "America/New_York", now);
    let (_, b) = planned(&ACME, "America/New_York", now);
    let summary = |rs: &[PlannedRelease]| {
        rs.iter()
            .map(|r| {
                format!(
                    "{} {} {} {:?}",
                    r.product.key, r.version, r.go_live, r.status
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(summary(&a), summary(&b));
}
