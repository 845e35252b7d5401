//! The acme plan gives the executive dashboard something to show whatever
//! day it is built on: a year of releases with their actual go-lives (on
//! time, late, early, rolled back and fixed), milestones done late, and
//! ahead a late, an at-risk and a blocked release.

use super::tests::{blocked, overdue, planned, todays};
use super::*;
use crate::demo::catalog::ACME;
use chrono::Datelike;

const ZONE: &str = "America/New_York";

/// A release whose production deployment actually started, with that start.
fn shipped(spec: &Spec, r: &PlannedRelease) -> Option<DateTime<Utc>> {
    r.deployments
        .iter()
        .find(|(e, _)| spec.environments[*e].is_production)
        .and_then(|(_, t)| t.actual_start)
}

fn hours(d: Duration) -> i64 {
    d.num_hours()
}

/// Whether `r` (shipped at `at`) counts as a change failure on the
/// dashboard: rolled back, or followed by a hotfix or emergency of its
/// product going live within seven days after it.
fn failed(all: &[(&PlannedRelease, DateTime<Utc>)], r: &PlannedRelease, at: DateTime<Utc>) -> bool {
    r.status == ReleaseStatus::RolledBack
        || all.iter().any(|(o, o_at)| {
            o.product.key == r.product.key
                && matches!(o.release_type, ReleaseType::Hotfix | ReleaseType::Emergency)
                && *o_at > at
                && *o_at - at <= Duration::days(7)
        })
}

#[test]
fn a_year_of_history_for_the_metrics_on_any_day() {
    for now in todays() {
        let (calendar, releases) = planned(&ACME, ZONE, now);
        let all: Vec<(&PlannedRelease, DateTime<Utc>)> = releases
            .iter()
            .filter_map(|r| shipped(&ACME, r).map(|at| (r, at)))
            .collect();
        let past: Vec<(&PlannedRelease, DateTime<Utc>)> = all
            .iter()
            .copied()
            .filter(|(r, _)| r.status != ReleaseStatus::InProgress)
            .collect();
        let n = past.len();
        assert!((85..=100).contains(&n), "{now}: {n} shipped");
        for (r, at) in &past {
            assert!(
                matches!(
                    r.status,
                    ReleaseStatus::Released | ReleaseStatus::RolledBack
                ),
                "{now}: {} {} went live",
                r.product.key,
                r.version
            );
            assert!(r.created < *at, "{now}: created before going live");
            assert!(r.baseline.is_some(), "{now}: scheduled before going live");
        }

        // Spread over the eleven full months before this one: some each
        // month, a handful or more in all but the freeze months.
        let month = |at: DateTime<Utc>| {
            let d = calendar.local_date(at);
            d.year() * 12 + i32::try_from(d.month0()).expect("month")
        };
        let this_month = month(now);
        let per_month: Vec<usize> = (1..=11)
            .map(|back| {
                past.iter()
                    .filter(|(_, at)| month(*at) == this_month - back)
                    .count()
            })
            .collect();
        assert!(
            per_month.iter().all(|n| *n >= 1) && per_month.iter().filter(|n| **n >= 4).count() >= 9,
            "{now}: shipped per month, latest first: {per_month:?}"
        );
        let earliest = past.iter().map(|(_, at)| *at).min().expect("shipped");
        assert!(earliest < now - Duration::days(320), "{now}: a year back");

        // Most on time; some late by two to ten days; a few early.
        let slips: Vec<Duration> = past
            .iter()
            .map(|(r, at)| *at - r.baseline.expect("baseline"))
            .collect();
        let on_time = slips.iter().filter(|s| hours(**s).abs() <= 24).count();
        let late: Vec<i64> = slips
            .iter()
            .map(|s| hours(*s))
            .filter(|h| *h > 24)
            .collect();
        let early: Vec<i64> = slips
            .iter()
            .map(|s| hours(*s))
            .filter(|h| *h < -24)
            .collect();
        assert!(on_time * 100 >= n * 70, "{now}: {on_time} of {n} on time");
        assert!(late.len() >= 8, "{now}: {} late", late.len());
        assert!(
            late.iter().all(|h| (46..=10 * 24 + 2).contains(h)),
            "{now}: late by two to ten days: {late:?}"
        );
        assert!(
            late.iter().any(|h| *h > 6 * 24),
            "{now}: some a week late or more: {late:?}"
        );
        assert!(
            (2..=12).contains(&early.len()),
            "{now}: {} early",
            early.len()
        );
        assert!(
            early.iter().all(|h| (-5 * 24 - 2..=-46).contains(h)),
            "{now}: early by two to five days: {early:?}"
        );

        // A few rolled back, each fixed by a hotfix of its product that
        // went live one to five days later.
        let rolled_back: Vec<&(&PlannedRelease, DateTime<Utc>)> = past
            .iter()
            .filter(|(r, _)| r.status == ReleaseStatus::RolledBack)
            .collect();
        assert_eq!(rolled_back.len(), 5, "{now}");
        for (r, at) in &rolled_back {
            let fix = past.iter().find(|(o, o_at)| {
                o.product.key == r.product.key
                    && o.release_type == ReleaseType::Hotfix
                    && o.status == ReleaseStatus::Released
                    && (24..=5 * 24 + 1).contains(&hours(*o_at - *at))
            });
            let (fix, _) = fix
                .unwrap_or_else(|| panic!("{now}: {} {} has its hotfix", r.product.key, r.version));
            assert!(fix.created > *at, "{now}: the hotfix was raised after");
            assert!(version_of(fix) > version_of(r), "{now}: a later version");
        }
        // The change failure rate is low but not zero.
        let failures = past.iter().filter(|(r, at)| failed(&all, r, *at)).count();
        assert!(
            (5..=6).contains(&failures),
            "{now}: {failures} change failures of {n}"
        );
        // A hotfix more than a week after its product's previous release
        // is no failure.
        let late_hotfix = past.iter().any(|(r, at)| {
            r.release_type == ReleaseType::Hotfix
                && past
                    .iter()
                    .filter(|(o, o_at)| o.product.key == r.product.key && o_at < at)
                    .map(|(_, o_at)| *o_at)
                    .max()
                    .is_some_and(|before| *at - before > Duration::days(7))
        });
        assert!(late_hotfix, "{now}: a hotfix weeks after a release");

        // Lead times of weeks (hotfixes: days).
        let mut leads: Vec<i64> = past.iter().map(|(r, at)| hours(*at - r.created)).collect();
        leads.sort_unstable();
        let median = leads[leads.len() / 2];
        assert!(
            (20 * 24..=60 * 24).contains(&median),
            "{now}: median lead {median} h"
        );

        // Milestones: most done ahead of time, some late.
        let (mut done, mut done_late) = (0, 0);
        for (r, _) in &past {
            for (due, at) in r.milestone_dues.iter().zip(&r.milestones_done) {
                let Some(at) = at else { continue };
                done += 1;
                if at > due {
                    done_late += 1;
                }
            }
        }
        let well_late = past
            .iter()
            .filter(|(r, _)| {
                r.milestone_dues
                    .iter()
                    .zip(&r.milestones_done)
                    .any(|(due, at)| at.is_some_and(|at| at - *due > Duration::hours(20)))
            })
            .count();
        assert!(
            done_late * 100 >= done * 5 && done_late * 100 <= done * 40,
            "{now}: {done_late} of {done} milestones done late"
        );
        assert!(
            well_late >= 5,
            "{now}: {well_late} releases a day late on one"
        );
    }
}

fn version_of(r: &PlannedRelease) -> (u32, u32, u32) {
    let parts: Vec<u32> = r
        .version
        .split('.')
        .map(|p| p.parse().expect("number"))
        .collect();
    (parts[0], parts[1], parts[2])
}

#[test]
fn late_at_risk_and_blocked_releases_lie_ahead_on_any_day() {
    for now in todays() {
        let (calendar, releases) = planned(&ACME, ZONE, now);
        let open = |r: &&PlannedRelease| {
            matches!(
                r.status,
                ReleaseStatus::Planned
                    | ReleaseStatus::Scheduled
                    | ReleaseStatus::Approved
                    | ReleaseStatus::Rejected
            )
        };
        // Late: approved, its go-live night passed a day ago or more, and
        // it never started.
        let late: Vec<&PlannedRelease> = releases
            .iter()
            .filter(open)
            .filter(|r| r.go_live < now)
            .collect();
        assert_eq!(late.len(), 1, "{now}: one late");
        let r = late[0];
        assert_eq!(r.status, ReleaseStatus::Approved, "{now}");
        assert!(r.go_live <= now - Duration::hours(MISSED_HOURS), "{now}");
        assert!(shipped(&ACME, r).is_none(), "{now}: never deployed");
        assert!(!blocked(&ACME, &calendar, r), "{now}: late, not blocked");

        let soon = |r: &&PlannedRelease| r.go_live > now && r.go_live <= now + Duration::days(56);
        // Blocked: scheduled inside a freeze of production, no break-glass.
        let blocked_ahead: Vec<&PlannedRelease> = releases
            .iter()
            .filter(open)
            .filter(soon)
            .filter(|r| blocked(&ACME, &calendar, r))
            .collect();
        assert_eq!(blocked_ahead.len(), 1, "{now}: one blocked");
        let b = blocked_ahead[0];
        assert_eq!(b.status, ReleaseStatus::Scheduled, "{now}");
        let prod = super::tests::production(&ACME, b);
        assert!(
            calendar.freezes.iter().any(|f| f.blocks(
                "production",
                b.release_type.as_str(),
                prod.start,
                prod.end
            )),
            "{now}: production frozen"
        );

        // At risk: a firm release ahead, not blocked, with a milestone overdue.
        let at_risk = releases
            .iter()
            .filter(soon)
            .filter(|r| matches!(r.status, ReleaseStatus::Scheduled | ReleaseStatus::Approved))
            .filter(|r| !blocked(&ACME, &calendar, r))
            .filter(|r| overdue(r, now) > 0)
            .count();
        assert!(at_risk >= 1, "{now}: one at risk");
    }
}
