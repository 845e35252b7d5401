//! The demo's review rounds follow the review rules and the release
//! statuses, whatever day they are built on.

use super::*;
use crate::demo::USERS;
use crate::demo::catalog::{ACME, GLOBEX};
use crate::demo::plan;
use almanac_domain::role::Role;
use almanac_domain::{TimeZone, review::StageState};
use chrono::{NaiveTime, TimeZone as _};
use uuid::Uuid;

fn instant(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("instant")
}

/// The demo tenant's members, with made-up ids.
fn members(slug: &str) -> Vec<Member> {
    USERS
        .iter()
        .enumerate()
        .filter(|(_, u)| u.2 == slug)
        .map(|(i, (email, name, _, role))| Member {
            user: UserId(Uuid::from_u128(i as u128 + 1)),
            role: role.parse::<Role>().expect("role"),
            email: (*email).to_owned(),
            name: (*name).to_owned(),
        })
        .collect()
}

fn user(members: &[Member], email: &str) -> UserId {
    members
        .iter()
        .find(|m| m.email == email)
        .map(|m| m.user)
        .expect("member")
}

/// Days across two years at different hours, and a few awkward ones
/// (daylight saving changes, Thanksgiving, the year-end freeze).
fn todays() -> Vec<DateTime<Utc>> {
    let mut out = vec![
        instant(2026, 3, 8, 7, 30),
        instant(2026, 11, 1, 6, 15),
        instant(2026, 11, 26, 3, 10),
        instant(2026, 12, 31, 23, 59),
        instant(2027, 1, 5, 12, 0),
    ];
    let mut at = instant(2026, 1, 2, 14, 23);
    while at < instant(2028, 1, 1, 0, 0) {
        out.push(at);
        at += Duration::days(17) + Duration::hours(7);
    }
    out
}

fn planned(
    spec: &'static Spec,
    zone: &str,
    now: DateTime<Utc>,
) -> (Calendar, Vec<PlannedRelease>, Vec<Member>, ReviewPlan) {
    let zone = TimeZone::parse(zone).expect("zone");
    let calendar = Calendar::new(spec, zone, now).expect("calendar");
    let releases = plan::plan(spec, &calendar).expect("releases");
    let members = members(spec.slug);
    let reviews =
        super::plan(spec, &calendar, &releases, &members).unwrap_or_else(|e| panic!("{now}: {e}"));
    (calendar, releases, members, reviews)
}

const GO_STATUSES: [ReleaseStatus; 4] = [
    ReleaseStatus::Approved,
    ReleaseStatus::InProgress,
    ReleaseStatus::Released,
    ReleaseStatus::RolledBack,
];

#[test]
fn acme_rounds_follow_the_rules_and_the_statuses_on_any_day() {
    for now in todays() {
        let (_, releases, members, plan) = planned(&ACME, "America/New_York", now);
        let names: Vec<&str> = plan.presets.iter().map(|p| p.name).collect();
        assert_eq!(names, ["Standard CAB", "Emergency change"]);
        assert_eq!(plan.presets[0].policy.stages.len(), 2);
        let rm = user(&members, "rm@acme.test");
        let cab = user(&members, "cab@acme.test");
        assert_eq!(plan.chair, Some(rm));
        let mut by_release: HashMap<usize, Vec<&PlannedReview>> = HashMap::new();
        for r in &plan.reviews {
            by_release.entry(r.release).or_default().push(r);
        }
        let (mut go, mut no_go, mut overridden) = (0, 0, 0);
        let (mut open, mut waiting_for_cab, mut cab_said_go, mut two_stage_open) = (0, 0, 0, 0);
        for (i, r) in releases.iter().enumerate() {
            let label = format!("{now}: {} {} ({:?})", r.product.key, r.version, r.status);
            let rounds = by_release.remove(&i).unwrap_or_default();
            let latest = rounds.last();
            let closed = |d: Decision| {
                latest.and_then(|l| l.closing.as_ref()).map(|c| c.decision) == Some(d)
            };
            if GO_STATUSES.contains(&r.status) {
                assert!(closed(Decision::Go), "{label}: decided go");
            } else if r.status == ReleaseStatus::Rejected {
                assert!(closed(Decision::NoGo), "{label}: decided no-go");
            } else if r.status != ReleaseStatus::Scheduled {
                assert!(rounds.is_empty(), "{label}: never reviewed");
            }
            let owner = user(&members, r.owner);
            let duties = Duties {
                release_owner: Some(owner),
                opener: Some(rm),
                allow_self_approval: false,
            };
            let mut before = r.created;
            for (n, round) in rounds.iter().enumerate() {
                assert_eq!(round.round, i32::try_from(n + 1).expect("round"), "{label}");
                assert!(
                    round.opened_at > before,
                    "{label}: rounds one after another"
                );
                let end = round.closing.as_ref().map_or(now, |c| c.at);
                let mut cast = HashMap::new();
                let mut last = round.opened_at;
                for v in &round.votes {
                    assert!(v.cast_at > last && v.cast_at < end, "{label}: vote times");
                    last = v.cast_at;
                    assert!(
                        duties.conflicted(v.voter).is_none(),
                        "{label}: no one votes on their own release or round"
                    );
                    assert!(v.choice != Choice::NoGo || !v.comment.is_empty());
                    cast.insert(v.voter, v.choice);
                }
                let policy = &plan.presets[round.preset].policy;
                let tally = review::decide(policy, &members, &duties, &cast);
                match &round.closing {
                    Some(c) => {
                        assert!(c.at <= now && round.meeting_at < c.at, "{label}: closed");
                        assert_eq!(c.computed, tally.decision, "{label}");
                        assert_eq!(c.reason.is_empty(), c.decision == c.computed, "{label}");
                        if c.decision == Decision::Go {
                            go += 1;
                        } else {
                            no_go += 1;
                            assert!(
                                round.votes.iter().any(|v| v.choice == Choice::NoGo),
                                "{label}: the no-go says why"
                            );
                        }
                        if c.decision != c.computed {
                            overridden += 1;
                            assert_eq!(r.status, ReleaseStatus::Released, "{label}");
                        }
                        before = c.at;
                    }
                    None => {
                        assert_eq!(n + 1, rounds.len(), "{label}: only the last is open");
                        assert_eq!(r.status, ReleaseStatus::Scheduled, "{label}");
                        assert!(
                            round.meeting_at > now
                                && round.meeting_at < r.go_live
                                && round.meeting_at < now + Duration::days(8),
                            "{label}: meeting in the next days"
                        );
                        open += 1;
                        let stage_open = tally.stages.iter().any(|s| {
                            s.state == StageState::Open
                                && s.rules.iter().any(|rule| rule.pending.contains(&cab))
                        });
                        if stage_open && tally.waiting_for().contains(&cab) {
                            review::may_vote(policy, &tally, &members, &duties, cab, false)
                                .expect("cab may vote");
                            waiting_for_cab += 1;
                        }
                        if cast.get(&cab) == Some(&Choice::Go) {
                            cab_said_go += 1;
                        }
                        if policy.stages.len() == 2 {
                            two_stage_open += 1;
                        }
                    }
                }
            }
        }
        assert!(
            by_release.is_empty(),
            "{now}: rounds of planned releases only"
        );
        assert_eq!(overridden, 1, "{now}: one closed against the votes");
        assert!((2..=6).contains(&no_go), "{now}: a few no-go ({no_go})");
        assert!(go > 5 * no_go, "{now}: mostly go ({go})");
        assert!((3..=4).contains(&open), "{now}: {open} open");
        assert!(waiting_for_cab >= 1, "{now}: some wait for the CAB");
        assert!(cab_said_go >= 1, "{now}: the CAB said go on some");
        assert!(two_stage_open >= 1, "{now}: the two-stage preset is open");
    }
}

#[test]
fn globex_gets_a_preset_and_no_rounds() {
    let (_, _, _, plan) = planned(&GLOBEX, "Europe/Berlin", instant(2026, 6, 15, 16, 0));
    assert_eq!(plan.presets.len(), 1);
    assert_eq!(plan.presets[0].policy.stages.len(), 1);
    assert!(plan.reviews.is_empty() && plan.chair.is_none());
}

#[test]
fn the_rounds_are_deterministic() {
    let now = instant(2026, 6, 15, 16, 0);
    let (_, _, _, a) = planned(&ACME, "America/New_York", now);
    let (_, _, _, b) = planned(&ACME, "America/New_York", now);
    assert_eq!(format!("{:?}", a.reviews), format!("{:?}", b.reviews));
}

#[test]
fn fit_keeps_times_that_fit_and_squeezes_the_others_in_order() {
    let t = |h: i64| instant(2026, 6, 1, 0, 0) + Duration::hours(h);
    // (times, lo, hi, expected)
    let table: [(Vec<i64>, i64, i64, Vec<i64>); 4] = [
        (vec![2, 4, 6], 0, 10, vec![2, 4, 6]),
        // Too late: the span ends at hi, its start stays.
        (vec![2, 6, 10], 0, 6, vec![2, 4, 6]),
        // Too early: the span starts at lo, its end stays.
        (vec![0, 4, 8], 4, 10, vec![4, 6, 8]),
        // Wholly outside: spread over the bounds.
        (vec![-10, -8, -6], 0, 4, vec![0, 2, 4]),
    ];
    for (times, lo, hi, expected) in table {
        let mut got: Vec<DateTime<Utc>> = times.iter().map(|h| t(*h)).collect();
        fit(&mut got, t(lo), t(hi)).expect("fits");
        let want: Vec<DateTime<Utc>> = expected.iter().map(|h| t(*h)).collect();
        assert_eq!(got, want, "{times:?} into [{lo}, {hi}]");
    }
    let mut one = vec![t(20)];
    fit(&mut one, t(0), t(5)).expect("fits");
    assert_eq!(one, [t(0)]);
    let mut none: Vec<DateTime<Utc>> = Vec::new();
    fit(&mut none, t(0), t(5)).expect("nothing to fit");
    assert!(fit(&mut [t(1)], t(5), t(5)).is_err(), "no room");
}

#[test]
fn open_meetings_are_on_the_next_working_days_at_three() {
    let zone = TimeZone::parse("America/New_York").expect("zone");
    // Friday 2026-06-12 16:00 New York.
    let now = instant(2026, 6, 12, 20, 0);
    let calendar = Calendar::new(&ACME, zone, now).expect("calendar");
    let far = now + Duration::days(30);
    let local = |at: DateTime<Utc>| at.with_timezone(&zone.tz()).naive_local();
    let days: Vec<String> = (0..3)
        .map(|j| local(meeting(&calendar, j, far)).to_string())
        .collect();
    assert_eq!(
        days,
        [
            "2026-06-15 15:00:00",
            "2026-06-16 15:00:00",
            "2026-06-17 15:00:00"
        ]
    );
    // A go-live sooner than that: three hours before it.
    let soon = now + Duration::hours(20);
    assert_eq!(meeting(&calendar, 0, soon), soon - Duration::hours(3));
    assert_eq!(
        local(meeting(&calendar, 1, far)).time(),
        NaiveTime::from_hms_opt(15, 0, 0).expect("time")
    );
}
