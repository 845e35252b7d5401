//! The demo's go/no-go reviews, planned in memory from the planned
//! releases before anything is written: the tenant's policy presets; one
//! closed round for each go/no-go decision a release's status went through
//! (votes, the meeting and the closing, between the release's creation and
//! now); and open rounds with some votes on the next scheduled releases.
//!
//! Deterministic like the release plan. Every vote is checked against the
//! domain's voting rules as it is cast (separation of duties, stage order,
//! comments) and every closing against the decision the votes give, so
//! the demo shows nothing the review pages would refuse.

use super::calendar::Calendar;
use super::catalog::{Spec, TEMPLATE_MILESTONES};
use super::plan::PlannedRelease;
use almanac_domain::UserId;
use almanac_domain::release::{Decision as ReleaseDecision, ReleaseStatus, ReleaseType};
use almanac_domain::review::{self, Ballot, Choice, Decision, Duties, Member, Policy, ReviewKind};
use almanac_domain::template::{Offset, line_errors_message};
use anyhow::{Result, anyhow};
use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use std::collections::HashMap;

/// A preset as it will be written.
#[derive(Debug, Clone)]
pub struct PlannedPreset {
    pub name: &'static str,
    pub description: &'static str,
    pub policy: Policy,
}

/// One review round as it will be written.
#[derive(Debug, Clone)]
pub struct PlannedReview {
    /// Index into the planned releases.
    pub release: usize,
    pub round: i32,
    pub kind: ReviewKind,
    /// Index into [`ReviewPlan::presets`]: its name and policy.
    pub preset: usize,
    pub meeting_at: DateTime<Utc>,
    pub opened_at: DateTime<Utc>,
    /// In the order they were cast.
    pub votes: Vec<PlannedVote>,
    /// `None` while the round is open.
    pub closing: Option<PlannedClosing>,
}

#[derive(Debug, Clone)]
pub struct PlannedVote {
    pub voter: UserId,
    pub choice: Choice,
    pub comment: &'static str,
    pub cast_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct PlannedClosing {
    pub decision: Decision,
    /// What the votes gave.
    pub computed: Decision,
    /// Set exactly when `decision` is not `computed`.
    pub reason: &'static str,
    pub at: DateTime<Utc>,
}

/// Everything review-related of one demo tenant.
#[derive(Debug, Clone)]
pub struct ReviewPlan {
    pub presets: Vec<PlannedPreset>,
    /// Opens and closes every round (`None` when there are no rounds).
    pub chair: Option<UserId>,
    pub reviews: Vec<PlannedReview>,
}

/// Open rounds go on this many of the next scheduled releases, with
/// these scripts in go-live order.
const OPEN: [Script; 4] = [
    Script::WaitingForCab,
    Script::CabSaidGo,
    Script::NotStarted,
    Script::WaitingForCab,
];

const QA_GO: [&str; 5] = [
    "Regression suite green; the sign-off is attached to the change ticket.",
    "",
    "Test report reviewed: no open severity 1 or 2 defects.",
    "Automated and manual tests passed in staging.",
    "",
];
const CAB_GO: [&str; 4] = [
    "",
    "Rollback plan reviewed; operations briefed.",
    "Change ticket complete.",
    "Go, with the on-call rota confirmed for the window.",
];
const BUSINESS_GO: &str = "Business sign-off: customer communications are ready.";
const ABSTAIN: &str = "Not my area: deferring to the CAB.";
const QA_NO_GO: [&str; 3] = [
    "Two severity 2 defects still open in the confirmation flow; re-test after the fixes.",
    "The regression suite was not run on the final build.",
    "Performance test shows p95 latency 40% above the baseline.",
];
const CAB_NO_GO: [&str; 3] = [
    "Rollback plan missing from the change ticket.",
    "Clashes with the ledger's month-end batch: pick a later window.",
    "The vendor has not confirmed on-call cover for the window.",
];
const BUSINESS_NO_GO: &str = "Customer communications are not ready: marketing needs another week.";
const EMERGENCY_CAB: &str = "Approved as the on-call CAB member: the fix was verified in staging.";
const EMERGENCY_QA: &str = "Smoke tests pass on the fix build.";
const OVERRIDDEN_NO_GO: &str = "The load test report is missing from the change ticket.";
const OVERRIDE_REASON: &str = "The load test report was attached after the CAB's vote (both runs green); \
     the CAB chair agreed at the meeting but could not change her vote before the window.";
const CAB_SAID_GO: &str = "Go from the CAB: the rollback plan is in the ticket.";

/// What happens in one round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    /// Closed go: QA signs off, the CAB and maybe the business say go.
    Go,
    /// Closed go on the emergency preset: the on-call CAB member says go.
    Emergency,
    /// Closed no-go at QA sign-off: open defects.
    QaNoGo,
    /// Closed no-go in the business stage, with the CAB's reason.
    CabNoGo,
    /// Closed go against the CAB's no-go, with the chair's reason.
    Overridden,
    /// Open: QA signed off; the CAB's vote is awaited.
    WaitingForCab,
    /// Open: QA and the CAB said go; the meeting will close it.
    CabSaidGo,
    /// Open: no votes yet.
    NotStarted,
}

/// The voters of the scripts.
#[derive(Debug, Clone, Copy)]
enum Who {
    Qa,
    Cab,
    Business,
}

impl Script {
    /// The votes, in order; `k` varies the comments.
    fn ballots(self, k: usize) -> Vec<(Who, Choice, &'static str)> {
        let qa_go = (Who::Qa, Choice::Go, QA_GO[k % QA_GO.len()]);
        match self {
            Script::Go => {
                let business = match k % 3 {
                    0 => Some((Who::Business, Choice::Go, BUSINESS_GO)),
                    1 => None,
                    _ => Some((Who::Business, Choice::Abstain, ABSTAIN)),
                };
                [qa_go, (Who::Cab, Choice::Go, CAB_GO[k % CAB_GO.len()])]
                    .into_iter()
                    .chain(business)
                    .collect()
            }
            Script::Emergency => {
                let qa = k
                    .is_multiple_of(2)
                    .then_some((Who::Qa, Choice::Go, EMERGENCY_QA));
                std::iter::once((Who::Cab, Choice::Go, EMERGENCY_CAB))
                    .chain(qa)
                    .collect()
            }
            Script::QaNoGo => vec![(Who::Qa, Choice::NoGo, QA_NO_GO[k % QA_NO_GO.len()])],
            Script::CabNoGo => {
                let business =
                    (k % 2 == 1).then_some((Who::Business, Choice::NoGo, BUSINESS_NO_GO));
                [
                    qa_go,
                    (Who::Cab, Choice::NoGo, CAB_NO_GO[k % CAB_NO_GO.len()]),
                ]
                .into_iter()
                .chain(business)
                .collect()
            }
            Script::Overridden => vec![qa_go, (Who::Cab, Choice::NoGo, OVERRIDDEN_NO_GO)],
            Script::WaitingForCab => vec![qa_go],
            Script::CabSaidGo => vec![qa_go, (Who::Cab, Choice::Go, CAB_SAID_GO)],
            Script::NotStarted => Vec::new(),
        }
    }

    /// How the round is closed: the decision and the override reason.
    fn closing(self) -> Option<(Decision, &'static str)> {
        match self {
            Script::Go | Script::Emergency => Some((Decision::Go, "")),
            Script::QaNoGo | Script::CabNoGo => Some((Decision::NoGo, "")),
            Script::Overridden => Some((Decision::Go, OVERRIDE_REASON)),
            Script::WaitingForCab | Script::CabSaidGo | Script::NotStarted => None,
        }
    }
}

/// The members the scripts name.
struct People {
    chair: UserId,
    qa: UserId,
    cab: UserId,
    business: UserId,
}

impl People {
    fn of(&self, who: Who) -> UserId {
        match who {
            Who::Qa => self.qa,
            Who::Cab => self.cab,
            Who::Business => self.business,
        }
    }
}

/// One round before its times are set: its script, and the go-live it
/// decides on (an earlier one for a round before a reschedule).
struct Draft {
    script: Script,
    preset: usize,
    go_live: DateTime<Utc>,
    /// Its place among the open rounds.
    open: Option<usize>,
    /// Another round of the release follows.
    followed: bool,
}

/// Plans the presets of `spec` and, if it has reviews, the rounds of
/// `releases` (the release plan, in go-live order) among `members`.
pub fn plan(
    spec: &Spec,
    calendar: &Calendar,
    releases: &[PlannedRelease],
    members: &[Member],
) -> Result<ReviewPlan> {
    let presets = spec
        .presets
        .iter()
        .map(|p| {
            let policy = review::parse_policy(p.policy, members)
                .map_err(|e| anyhow!("preset {}: {}", p.name, line_errors_message(&e)))?;
            Ok(PlannedPreset {
                name: p.name,
                description: p.description,
                policy,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let Some(spec_reviews) = &spec.reviews else {
        return Ok(ReviewPlan {
            presets,
            chair: None,
            reviews: Vec::new(),
        });
    };
    let member = |email: &str| {
        members
            .iter()
            .find(|m| m.email == email)
            .map(|m| m.user)
            .ok_or_else(|| anyhow!("{email} is not a member of {}", spec.slug))
    };
    let people = People {
        chair: member(spec_reviews.chair)?,
        qa: member(spec_reviews.qa)?,
        cab: member(spec_reviews.cab)?,
        business: member(spec_reviews.business)?,
    };
    let preset = |name: &str| {
        presets
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| anyhow!("no preset {name}"))
    };
    let (standard, emergency) = (
        preset(spec_reviews.standard)?,
        preset(spec_reviews.emergency)?,
    );
    let overridden = overridden(releases);
    let open: Vec<usize> = releases
        .iter()
        .enumerate()
        .filter(|(_, r)| r.status == ReleaseStatus::Scheduled && r.go_live > calendar.now)
        .map(|(i, _)| i)
        .take(OPEN.len())
        .collect();
    let mut reviews = Vec::new();
    let mut rejections = 0;
    for (i, r) in releases.iter().enumerate() {
        let preset = if matches!(r.release_type, ReleaseType::Emergency | ReleaseType::Hotfix) {
            emergency
        } else {
            standard
        };
        let mut drafts = Vec::new();
        for (n, decision) in r.decisions.iter().enumerate() {
            // A no-go the release was rescheduled after decided on its
            // first go-live (its baseline).
            let rescheduled = n + 1 < r.decisions.len() || r.status == ReleaseStatus::Scheduled;
            let script = match decision {
                ReleaseDecision::Go if preset == emergency => Script::Emergency,
                ReleaseDecision::Go if overridden == Some(i) => Script::Overridden,
                ReleaseDecision::Go => Script::Go,
                // The release's notes say the first go/no-go found defects.
                ReleaseDecision::NoGo if rescheduled => Script::QaNoGo,
                ReleaseDecision::NoGo => {
                    rejections += 1;
                    if rejections % 2 == 1 {
                        Script::CabNoGo
                    } else {
                        Script::QaNoGo
                    }
                }
            };
            let go_live = if rescheduled {
                r.baseline.unwrap_or(r.go_live)
            } else {
                r.go_live
            };
            drafts.push(Draft {
                script,
                preset,
                go_live,
                open: None,
                followed: false,
            });
        }
        if let Some(j) = open.iter().position(|&o| o == i) {
            drafts.push(Draft {
                script: OPEN[j],
                preset: standard,
                go_live: r.go_live,
                open: Some(j),
                followed: false,
            });
        }
        let Some((_, earlier)) = drafts.split_last_mut() else {
            continue;
        };
        for d in earlier {
            d.followed = true;
        }
        let context = Context {
            calendar,
            members,
            people: &people,
            presets: &presets,
        };
        reviews.extend(rounds(&context, i, r, &drafts)?);
    }
    Ok(ReviewPlan {
        presets,
        chair: Some(people.chair),
        reviews,
    })
}

/// The one release closed go against the votes: a standard release out
/// about two thirds of the way through the past.
fn overridden(releases: &[PlannedRelease]) -> Option<usize> {
    let candidates: Vec<usize> = releases
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.status == ReleaseStatus::Released
                && r.decisions == [ReleaseDecision::Go]
                && !matches!(r.release_type, ReleaseType::Emergency | ReleaseType::Hotfix)
        })
        .map(|(i, _)| i)
        .collect();
    candidates.get(candidates.len() * 2 / 3).copied()
}

/// What the rounds of one release are planned against.
struct Context<'a> {
    calendar: &'a Calendar,
    members: &'a [Member],
    people: &'a People,
    presets: &'a [PlannedPreset],
}

/// The rounds of release `i`: votes checked as they are cast, closings
/// checked against the votes, times laid out then fitted between the
/// release's creation and now.
fn rounds(
    c: &Context<'_>,
    i: usize,
    r: &PlannedRelease,
    drafts: &[Draft],
) -> Result<Vec<PlannedReview>> {
    let label = format!("{} {}", r.product.key, r.version);
    let owner = c
        .members
        .iter()
        .find(|m| m.email == r.owner)
        .map(|m| m.user)
        .ok_or_else(|| anyhow!("{label}: its owner {} is not a member", r.owner))?;
    let duties = Duties {
        release_owner: Some(owner),
        opener: Some(c.people.chair),
        allow_self_approval: false,
    };
    let mut out = Vec::new();
    let mut times = Vec::new();
    for (n, d) in drafts.iter().enumerate() {
        let policy = &c.presets[d.preset].policy;
        let problems = policy.undecidable(c.members, &duties);
        if !problems.is_empty() {
            return Err(anyhow!("{label}: {}", problems.join("; ")));
        }
        let mut cast: HashMap<UserId, Choice> = HashMap::new();
        let mut votes = Vec::new();
        for (who, choice, comment) in d.script.ballots(i + n) {
            let voter = c.people.of(who);
            // The business owner owns some releases: they do not vote on those.
            if duties.conflicted(voter).is_some() {
                continue;
            }
            let tally = review::decide(policy, c.members, &duties, &cast);
            review::may_vote(policy, &tally, c.members, &duties, voter, false)
                .and_then(|()| Ballot::new(choice, comment))
                .map_err(|e| anyhow!("{label} round {}: {e}", n + 1))?;
            cast.insert(voter, choice);
            votes.push(PlannedVote {
                voter,
                choice,
                comment,
                cast_at: DateTime::<Utc>::MIN_UTC,
            });
        }
        let computed = review::decide(policy, c.members, &duties, &cast).decision;
        let closing = match d.script.closing() {
            Some((decision, reason)) => {
                let closing = review::close(computed, decision, reason)
                    .map_err(|e| anyhow!("{label} round {}: {e}", n + 1))?;
                if closing.overridden != (d.script == Script::Overridden) {
                    return Err(anyhow!(
                        "{label} round {}: the votes gave {}",
                        n + 1,
                        computed.word()
                    ));
                }
                Some(PlannedClosing {
                    decision,
                    computed,
                    reason,
                    at: DateTime::<Utc>::MIN_UTC,
                })
            }
            None => None,
        };
        let (nominal, meeting_at) = nominal_times(c.calendar, d, votes.len(), i + n)?;
        times.extend(nominal);
        out.push(PlannedReview {
            release: i,
            round: i32::try_from(n + 1)?,
            kind: ReviewKind::GoNoGo,
            preset: d.preset,
            meeting_at,
            opened_at: DateTime::<Utc>::MIN_UTC,
            votes,
            closing,
        });
    }
    // Each after the one before, then all between creation and now.
    for j in 1..times.len() {
        times[j] = times[j].max(times[j - 1] + Duration::minutes(1));
    }
    let now = c.calendar.now;
    fit(
        &mut times,
        r.created + Duration::hours(1),
        now - Duration::minutes(5),
    )?;
    let mut times = times.into_iter();
    let mut next = || times.next().ok_or_else(|| anyhow!("{label}: times"));
    for review in &mut out {
        review.opened_at = next()?;
        for vote in &mut review.votes {
            vote.cast_at = next()?;
        }
        if let Some(closing) = &mut review.closing {
            review.meeting_at = next()?;
            closing.at = next()?;
        }
    }
    Ok(out)
}

/// A round's times before fitting, in order: opened, each vote, and for
/// a closed round the meeting and the closing; and the meeting (the one
/// to keep for an open round, in the next working days).
fn nominal_times(
    calendar: &Calendar,
    d: &Draft,
    votes: usize,
    k: usize,
) -> Result<(Vec<DateTime<Utc>>, DateTime<Utc>)> {
    let now = calendar.now;
    let count = i32::try_from(votes)?;
    let spaced = |from: DateTime<Utc>, to: DateTime<Utc>| -> Result<Vec<DateTime<Utc>>> {
        let step = (to - from) / (count + 1);
        (1..=count)
            .map(|j| Ok(from + step * j - Duration::minutes(i64::try_from((k * 13) % 40)?)))
            .collect()
    };
    if let Some(j) = d.open {
        let opened = now - Duration::hours(20 + 5 * i64::try_from(j)?);
        let mut out = vec![opened];
        out.extend(spaced(
            opened,
            opened + Duration::hours(3 * i64::from(count + 1)),
        )?);
        return Ok((out, meeting(calendar, j, d.go_live)));
    }
    // Emergencies are approved hours before they go live; other releases
    // at the go/no-go meeting of their template (the day before at 15:00).
    // A release decided ahead of that was decided hours ago at the latest
    // (an approved one's change ticket was confirmed approved since), and
    // days ago when it was rescheduled and reviewed again since.
    let (before, meeting_length) = if d.script == Script::Emergency {
        (Duration::hours(4), Duration::minutes(10))
    } else {
        (Duration::hours(50), Duration::minutes(40))
    };
    let meeting = if d.script == Script::Emergency {
        d.go_live - Duration::hours(2)
    } else {
        go_no_go_due(calendar, d.go_live)?
    }
    .min(
        now - Duration::hours(if d.followed {
            72
        } else {
            6 + 5 * i64::try_from(k % 4)?
        }),
    );
    let opened = meeting - before;
    let mut out = vec![opened];
    out.extend(spaced(opened, meeting)?);
    out.push(meeting);
    out.push(meeting + meeting_length);
    Ok((out, meeting))
}

/// The template's go/no-go milestone for a go-live.
fn go_no_go_due(calendar: &Calendar, go_live: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let (name, offset) = TEMPLATE_MILESTONES
        .iter()
        .find(|(name, _)| *name == "Go/no-go")
        .ok_or_else(|| anyhow!("no go/no-go milestone in the template"))?;
    let offset = Offset::parse(offset).map_err(|e| anyhow!("{name}: {e}"))?;
    Ok(offset.due_at(go_live, calendar.zone.tz()))
}

/// The meeting of the `j`-th open round: 15:00 local on the (j + 1)-th
/// working day from today, or three hours before go-live if that is
/// sooner.
fn meeting(calendar: &Calendar, j: usize, go_live: DateTime<Utc>) -> DateTime<Utc> {
    let mut day = calendar.local_date(calendar.now);
    let mut left = j + 1;
    while left > 0 {
        day += Duration::days(1);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    calendar.at(day, 15, 0).min(go_live - Duration::hours(3))
}

/// Moves `times` (ascending) within `[lo, hi]`: unchanged when they fit,
/// else mapped linearly from their own span onto the part of it inside the
/// bounds (all of the bounds when none of it is), so their order holds.
fn fit(times: &mut [DateTime<Utc>], lo: DateTime<Utc>, hi: DateTime<Utc>) -> Result<()> {
    let (Some(&first), Some(&last)) = (times.first(), times.last()) else {
        return Ok(());
    };
    if hi <= lo {
        return Err(anyhow!("no time between {lo} and {hi}"));
    }
    if first >= lo && last <= hi {
        return Ok(());
    }
    let (mut start, mut end) = (first.max(lo), last.min(hi));
    if end <= start {
        (start, end) = (lo, hi);
    }
    let span = (last - first).num_milliseconds();
    let room = (end - start).num_milliseconds();
    for t in times.iter_mut() {
        let offset = if span == 0 {
            0
        } else {
            i64::try_from(
                i128::from((*t - first).num_milliseconds()) * i128::from(room) / i128::from(span),
            )?
        };
        *t = start + Duration::milliseconds(offset);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
