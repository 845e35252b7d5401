//! How far each planned release got: its deployments' planned and actual
//! times, the milestones due and done and the runbook steps ticked, all by
//! "now".

use super::{Fate, Kind, NEAR_DAYS, Overdue, PlannedRelease, Slotted, minutes};
use crate::demo::calendar::Calendar;
use crate::demo::catalog::{Spec, TEMPLATE_MILESTONES, TEMPLATE_STEPS};
use almanac_domain::release::{DeploymentResult, DeploymentTimes, Period};
use almanac_domain::template::Offset;
use anyhow::{Result, anyhow};
use chrono::{DateTime, Datelike, Duration, Utc, Weekday};

/// The milestone an emergency release skips.
const SKIPPED_BY_EMERGENCIES: &str = "Readiness review";
/// Minutes a deployment started after its planned start.
const DELAYS: [i64; 9] = [0, 3, 12, 0, 25, 6, 41, 0, 9];
/// Minutes a milestone was done before it was due.
const LEADS: [i64; 6] = [25, 90, 40, 10, 180, 55];
/// Minutes a milestone was done after it was due, now and then.
const LATE_BY: [i64; 5] = [120, 26 * 60, 300, 50 * 60, 45];
/// The milestones the release left at risk leaves undone, the first one
/// due by now (else the last, its due time brought forward).
const AT_RISK: [&str; 2] = ["QA sign-off", "Code freeze"];

/// Planned periods: production at go-live; each stage a few days ahead on
/// a weekday, two hours per release of the same night; the release in
/// progress went through its stages earlier today, a hotfix after a
/// rollback on the day of its go-live.
pub(super) fn planned_deployments(
    spec: &Spec,
    calendar: &Calendar,
    s: &Slotted,
) -> Result<Vec<(usize, DeploymentTimes)>> {
    let stages = spec
        .environments
        .iter()
        .filter(|e| e.stage.is_some())
        .count();
    let mut out = Vec::new();
    let mut j = 0;
    for (e, env) in spec.environments.iter().enumerate() {
        let period = if env.is_production {
            Period {
                start: s.go_live,
                end: s.go_live + minutes(s.minutes),
            }
        } else if let Some(stage) = env.stage {
            j += 1;
            if s.kind == Kind::InProgress {
                let start = s.go_live - minutes(90 * i64::try_from(stages + 1 - j)?);
                Period {
                    start,
                    end: start + minutes(60),
                }
            } else if s.kind == Kind::Hotfix {
                let start = s.go_live - Duration::hours(6 * i64::try_from(stages + 1 - j)?);
                Period {
                    start,
                    end: start + minutes(60),
                }
            } else {
                let mut day = s.night.date - Duration::days(stage.days_before);
                while matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
                    day -= Duration::days(1);
                }
                let start = calendar.at(day, stage.hour + 2 * u32::try_from(s.slot)?, 0);
                Period {
                    start,
                    end: start + Duration::hours(2),
                }
            }
        } else {
            continue;
        };
        out.push((
            e,
            DeploymentTimes {
                planned: Some(period),
                ..DeploymentTimes::default()
            },
        ));
    }
    Ok(out)
}

/// Moves the stage deployments of the release in progress earlier until
/// they overlap nothing on environments that host one deployment at a time.
pub(super) fn separate_in_progress(
    spec: &Spec,
    out: &mut [PlannedRelease],
    placed: &[Slotted],
    fates: &[(Fate, Overdue)],
    calendar: &Calendar,
) -> Result<()> {
    let Some(r) = placed.iter().position(|s| s.kind == Kind::InProgress) else {
        return Ok(());
    };
    let mut moved = false;
    for d in 0..out[r].deployments.len() {
        let (e, times) = out[r].deployments[d];
        let env = &spec.environments[e];
        let Some(mut period) = times.planned else {
            continue;
        };
        if env.shared || env.is_production {
            continue;
        }
        let busy = |p: &Period| {
            out.iter().enumerate().any(|(i, other)| {
                i != r
                    && other.deployments.iter().any(|(oe, ot)| {
                        *oe == e
                            && ot
                                .planned
                                .is_some_and(|o| o.start < p.end && o.end > p.start)
                    })
            })
        };
        while busy(&period) {
            period.start -= Duration::hours(2);
            period.end -= Duration::hours(2);
            moved = true;
        }
        out[r].deployments[d].1.planned = Some(period);
    }
    if moved {
        let mut release = out[r].clone();
        finish(spec, calendar, &placed[r], fates[r], &mut release)?;
        out[r] = release;
    }
    Ok(())
}

/// Actual deployment times, due and done milestones and ticked steps,
/// from the planned times and the fate.
pub(super) fn finish(
    spec: &Spec,
    calendar: &Calendar,
    s: &Slotted,
    (fate, overdue): (Fate, Overdue),
    r: &mut PlannedRelease,
) -> Result<()> {
    let now = calendar.now;
    let cutoff = match fate {
        Fate::Cancelled if s.go_live < now => s.go_live - Duration::days(2),
        Fate::Cancelled => now - Duration::days(1),
        _ => now,
    };
    let k = s.k;
    for (n, (e, times)) in r.deployments.iter_mut().enumerate() {
        let Some(planned) = times.planned else {
            continue;
        };
        let delay = minutes(DELAYS[(k + n) % DELAYS.len()]);
        let is_production = spec.environments[*e].is_production;
        *times = DeploymentTimes {
            planned: Some(planned),
            ..DeploymentTimes::default()
        };
        if is_production {
            let start = s.go_live + delay / 2;
            match fate {
                Fate::Released(_) => {
                    times.actual_start = Some(start);
                    times.actual_end = Some(start + minutes(s.minutes - 12));
                    times.result = Some(DeploymentResult::Succeeded);
                }
                Fate::RolledBack(result) => {
                    times.actual_start = Some(start);
                    times.actual_end = Some(start + minutes(s.minutes * 6 / 10));
                    times.result = Some(result);
                }
                Fate::InProgress => times.actual_start = Some(s.go_live + minutes(5)),
                _ => {}
            }
            continue;
        }
        let mut length = planned.end - planned.start + minutes((i64::try_from(k % 5)? - 2) * 6);
        let mut start = planned.start + delay;
        if start + length > s.go_live {
            // A stage running late never runs into production.
            start = planned.start;
            length = planned.end - planned.start;
        }
        // Now and then a stage runs a day late, still before go-live.
        let day_late = start + Duration::days(1);
        if k % 9 == 2 && day_late + length <= cutoff.min(s.go_live - Duration::hours(2)) {
            start = day_late;
        }
        if start + length <= cutoff {
            times.actual_start = Some(start);
            times.actual_end = Some(start + length);
            times.result = Some(DeploymentResult::Succeeded);
        } else if start <= cutoff && fate != Fate::Cancelled {
            times.actual_start = Some(start);
        }
    }
    let actual_go_live = r
        .deployments
        .iter()
        .find(|(e, _)| spec.environments[*e].is_production)
        .and_then(|(_, t)| t.actual_start.zip(t.actual_end.or(t.actual_start)));
    let context = Done {
        calendar,
        s,
        fate,
        overdue,
        cutoff,
        actual_go_live,
    };
    (r.milestone_dues, r.milestones_done) = milestones(&context, r.created)?;
    r.steps_done = steps_done(s, fate, now, r.created, actual_go_live);
    Ok(())
}

/// What a release's milestones are done against.
struct Done<'a> {
    calendar: &'a Calendar,
    s: &'a Slotted,
    fate: Fate,
    overdue: Overdue,
    cutoff: DateTime<Utc>,
    actual_go_live: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// When each milestone is due, and when it was done (if it was).
type Milestones = (Vec<DateTime<Utc>>, Vec<Option<DateTime<Utc>>>);

/// When each milestone is due, and when it was done: most a little ahead
/// of time, some late (by minutes to two days, before go-live for those
/// due before it); none after the cutoff, and not the one left overdue.
fn milestones(d: &Done<'_>, created: DateTime<Utc>) -> Result<Milestones> {
    let (s, cutoff) = (d.s, d.cutoff);
    let offsets = TEMPLATE_MILESTONES
        .iter()
        .map(|(name, o)| Offset::parse(o).map_err(|e| anyhow!("{name}: {e}")))
        .collect::<Result<Vec<Offset>>>()?;
    let mut dues: Vec<DateTime<Utc>> = offsets
        .iter()
        .map(|o| o.due_at(s.go_live, d.calendar.zone.tz()))
        .collect();
    let position = |name: &str| TEMPLATE_MILESTONES.iter().position(|(n, _)| *n == name);
    // Which milestone is left undone: an upcoming release's latest past-due
    // milestone, an emergency's readiness review it skipped, a release
    // out its post-release review; the release at risk its QA sign-off or
    // code freeze.
    let open = match (d.overdue, d.fate) {
        (Overdue::No, _) => None,
        (Overdue::Forced, _) => {
            let due = AT_RISK
                .iter()
                .filter_map(|name| position(name))
                .find(|&i| dues[i] <= cutoff);
            // None due yet: the last was brought forward to yesterday.
            due.or_else(|| {
                let i = AT_RISK.last().and_then(|name| position(name))?;
                let yesterday = d.calendar.local_date(d.calendar.now) - Duration::days(1);
                dues[i] = d.calendar.at(yesterday, 17, 0);
                Some(i)
            })
        }
        (_, Fate::InProgress) => position(SKIPPED_BY_EMERGENCIES),
        (_, Fate::Released(_)) => Some(dues.len() - 1),
        _ => dues.iter().rposition(|due| *due <= cutoff),
    };
    let done = dues
        .iter()
        .zip(&offsets)
        .enumerate()
        .map(|(i, (&due, offset))| {
            // A release that missed its night did nothing from go-live on.
            let missed = d.fate == Fate::Missed && due >= s.go_live;
            if due > cutoff || open == Some(i) || missed {
                return None;
            }
            let j = s.k + i;
            let at = if offset.days() == 0 && offset.at().is_none() {
                d.actual_go_live.map_or(due, |(start, _)| start)
            } else if j % 7 == 3 {
                let late = due + minutes(LATE_BY[(j / 7) % LATE_BY.len()]);
                if due < s.go_live {
                    late.min(s.go_live - Duration::hours(1)).max(due)
                } else {
                    late
                }
            } else {
                due - minutes(LEADS[j % LEADS.len()])
            };
            Some(at.min(cutoff).max(created + Duration::hours(1)))
        })
        .collect();
    Ok((dues, done))
}

/// When the owner ticked each runbook step: around the production
/// deployment for releases that went out, the first steps for approved
/// and some scheduled ones.
fn steps_done(
    s: &Slotted,
    fate: Fate,
    now: DateTime<Utc>,
    created: DateTime<Utc>,
    actual_go_live: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Vec<Option<DateTime<Utc>>> {
    let g = s.go_live;
    let (start, end) = actual_go_live.unwrap_or((g, g + minutes(s.minutes)));
    let times: [DateTime<Utc>; 8] = [
        g - Duration::hours(50),
        g - Duration::hours(26),
        start - minutes(15),
        end,
        end + minutes(10),
        end + minutes(25),
        end + Duration::hours(14),
        end + Duration::hours(26),
    ];
    let ticked: &[usize] = match fate {
        Fate::Released(_) => &[0, 1, 2, 3, 4, 5, 6, 7],
        Fate::Missed => &[0, 1, 2],
        Fate::RolledBack(_) => &[0, 1, 2, 3, 4, 7],
        Fate::InProgress => &[0, 1, 2],
        _ => &[],
    };
    let early = match fate {
        Fate::Approved { .. } => vec![(0, now - Duration::hours(5)), (1, now - Duration::hours(2))],
        Fate::Scheduled { .. } if s.k.is_multiple_of(2) && g <= now + Duration::days(NEAR_DAYS) => {
            vec![(0, now - Duration::days(1))]
        }
        _ => Vec::new(),
    };
    let mut out: Vec<Option<DateTime<Utc>>> = (0..TEMPLATE_STEPS.len())
        .map(|i| ticked.contains(&i).then_some(times[i]))
        .collect();
    for (i, at) in early {
        out[i] = Some(at);
    }
    out.into_iter()
        .map(|t| {
            t.filter(|t| *t <= now)
                .map(|t| t.max(created + Duration::hours(1)))
        })
        .collect()
}
