//! Releases and their deployments (DESIGN.md "Release", "Deployment",
//! "Go-live", "Baseline", "Slip" and the release status table).
//!
//! The status table lives here and only here: [`Transition::apply`] is the
//! one way a page moves a release, and [`after_production_change`] is what
//! recording the production deployment's start or result does to it.
//! `approved` / `rejected` are reached only through [`Transition::Decide`],
//! which closing a go/no-go review uses; no page offers it.

use chrono::{DateTime, Duration, Utc};
use std::fmt;
use std::str::FromStr;

/// A release's version within its product (`2.4.0`, `2026.11-hotfix1`):
/// 1–40 characters without whitespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("enter a version, such as 2.4.0")]
    Empty,
    #[error("use at most 40 characters")]
    TooLong,
    #[error("a version has no spaces")]
    Whitespace,
}

impl Version {
    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(VersionError::Empty);
        }
        if s.chars().count() > 40 {
            return Err(VersionError::TooLong);
        }
        if s.chars().any(char::is_whitespace) {
            return Err(VersionError::Whitespace);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A release's optional one-line title: at most 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseTitle(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("use at most 200 characters")]
pub struct ReleaseTitleError;

impl ReleaseTitle {
    pub fn parse(input: &str) -> Result<Self, ReleaseTitleError> {
        let s = input.trim();
        if s.chars().count() > 200 {
            return Err(ReleaseTitleError);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free-text notes of a release: at most 10,000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notes(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("use at most 10,000 characters")]
pub struct NotesError;

impl Notes {
    pub fn parse(input: &str) -> Result<Self, NotesError> {
        let s = input.trim();
        if s.chars().count() > 10_000 {
            return Err(NotesError);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name of a release train: 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrainName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("enter a name of 1 to 100 characters")]
pub struct TrainNameError;

impl TrainName {
    pub fn parse(input: &str) -> Result<Self, TrainNameError> {
        let s = input.trim();
        if s.is_empty() || s.chars().count() > 100 {
            return Err(TrainNameError);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A closed set of words stored as text: `as_str` is the stored form,
/// `label` the words on pages, and `FromStr` refuses anything else.
macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident, $err:ident, $msg:literal,
     [$($variant:ident => $text:literal, $label:literal),+ $(,)?]) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[error($msg)]
        pub struct $err;

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            #[must_use]
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = $err;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or($err)
            }
        }
    };
}

word_enum!(
    /// What kind of release this is; freezes may exempt some types.
    ReleaseType, UnknownReleaseType, "choose major, minor, patch, hotfix or emergency",
    [
        Major => "major", "Major",
        Minor => "minor", "Minor",
        Patch => "patch", "Patch",
        Hotfix => "hotfix", "Hotfix",
        Emergency => "emergency", "Emergency",
    ]
);

word_enum!(
    /// How risky the release is judged to be.
    Risk, UnknownRisk, "choose low, medium or high",
    [
        Low => "low", "Low",
        Medium => "medium", "Medium",
        High => "high", "High",
    ]
);

word_enum!(
    /// Where a release stands (see the status table in DESIGN.md).
    ReleaseStatus, UnknownStatus, "choose one of the listed statuses",
    [
        Planned => "planned", "Planned",
        Scheduled => "scheduled", "Scheduled",
        Approved => "approved", "Approved",
        Rejected => "rejected", "Rejected",
        InProgress => "in_progress", "In progress",
        Released => "released", "Released",
        RolledBack => "rolled_back", "Rolled back",
        Cancelled => "cancelled", "Cancelled",
    ]
);

word_enum!(
    /// How a deployment ended.
    DeploymentResult, UnknownResult, "choose succeeded, failed or rolled back",
    [
        Succeeded => "succeeded", "Succeeded",
        Failed => "failed", "Failed",
        RolledBack => "rolled_back", "Rolled back",
    ]
);

impl ReleaseStatus {
    /// The badge colour class: green for go, red for no-go, grey for
    /// pending, blue for moving (always shown with the word).
    #[must_use]
    pub fn badge(self) -> &'static str {
        match self {
            ReleaseStatus::Approved | ReleaseStatus::Released => "badge-green",
            ReleaseStatus::Rejected | ReleaseStatus::RolledBack => "badge-red",
            ReleaseStatus::Scheduled | ReleaseStatus::InProgress => "badge-blue",
            ReleaseStatus::Planned | ReleaseStatus::Cancelled => "badge-grey",
        }
    }

    /// Released, rolled back or cancelled: nothing more happens to it.
    #[must_use]
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            ReleaseStatus::Released | ReleaseStatus::RolledBack | ReleaseStatus::Cancelled
        )
    }

    /// A release may be deleted only while planned and never deployed
    /// anywhere; past that it is cancelled instead, so its record stays.
    #[must_use]
    pub fn may_delete(self, ever_deployed: bool) -> bool {
        self == ReleaseStatus::Planned && !ever_deployed
    }

    /// Whether the production deployment has (by this status) started.
    #[must_use]
    pub fn has_started(self) -> bool {
        matches!(
            self,
            ReleaseStatus::InProgress | ReleaseStatus::Released | ReleaseStatus::RolledBack
        )
    }
}

impl Risk {
    /// High risk is shown amber ("at risk"); the others plain.
    #[must_use]
    pub fn badge(self) -> &'static str {
        match self {
            Risk::High => "badge-amber",
            Risk::Medium | Risk::Low => "badge-grey",
        }
    }
}

impl DeploymentResult {
    /// The release status a production deployment's result leads to. A
    /// failed production deployment did not ship: for the portfolio the
    /// release is rolled back.
    #[must_use]
    pub fn release_status(self) -> ReleaseStatus {
        match self {
            DeploymentResult::Succeeded => ReleaseStatus::Released,
            DeploymentResult::Failed | DeploymentResult::RolledBack => ReleaseStatus::RolledBack,
        }
    }

    #[must_use]
    pub fn badge(self) -> &'static str {
        match self {
            DeploymentResult::Succeeded => "badge-green",
            DeploymentResult::Failed | DeploymentResult::RolledBack => "badge-red",
        }
    }
}

/// The decision of a closed go/no-go review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Go,
    NoGo,
}

/// A move of a release's status. Every variant but [`Transition::Decide`]
/// is offered to release managers on the release page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// planned → scheduled, once the production deployment has times.
    Schedule,
    /// rejected → scheduled (a new review round follows).
    Reschedule,
    /// approved → in_progress: the production deployment starts.
    Start,
    /// in_progress → released / rolled_back: the production deployment's result.
    Finish(DeploymentResult),
    /// released → rolled_back.
    RollBack,
    /// any status but released / rolled_back → cancelled.
    Cancel,
    /// scheduled / rejected → approved / rejected: closing a go/no-go review only.
    Decide(Decision),
}

/// Why a transition was refused, in words for the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("A release that is {} cannot be {verb}.", from.label().to_lowercase())]
    NotFrom {
        from: ReleaseStatus,
        verb: &'static str,
    },
    #[error(
        "Give the production deployment a planned start and end before scheduling: the go-live is its planned start."
    )]
    NoGoLive,
    #[error(
        "The production deployment can start only once the release is approved by a go/no-go review (it is {})."
        , .0.label().to_lowercase()
    )]
    NotApproved(ReleaseStatus),
    #[error("A release that is {} cannot go back: its production deployment's start and result stay recorded.", .0.label().to_lowercase())]
    CannotUndo(ReleaseStatus),
    #[error("A rolled-back release cannot become released again; plan a new release instead.")]
    NotAfterRollBack,
}

/// Facts about the release that some transitions need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    /// The production deployment has a planned start and end.
    pub has_go_live: bool,
}

impl Transition {
    /// The transitions a release manager may ask for on a page (review
    /// decisions excluded), by their form value.
    pub fn from_form(action: &str, result: Option<DeploymentResult>) -> Option<Self> {
        Some(match action.trim() {
            "schedule" => Transition::Schedule,
            "reschedule" => Transition::Reschedule,
            "start" => Transition::Start,
            "finish" => Transition::Finish(result?),
            "roll_back" => Transition::RollBack,
            "cancel" => Transition::Cancel,
            _ => return None,
        })
    }

    /// The form value (the inverse of [`Transition::from_form`]).
    #[must_use]
    pub fn action(self) -> &'static str {
        match self {
            Transition::Schedule => "schedule",
            Transition::Reschedule => "reschedule",
            Transition::Start => "start",
            Transition::Finish(_) => "finish",
            Transition::RollBack => "roll_back",
            Transition::Cancel => "cancel",
            Transition::Decide(_) => "decide",
        }
    }

    /// The past participle used in messages ("cannot be scheduled").
    #[must_use]
    pub fn verb(self) -> &'static str {
        match self {
            Transition::Schedule => "scheduled",
            Transition::Reschedule => "rescheduled",
            Transition::Start => "started",
            Transition::Finish(_) => "finished",
            Transition::RollBack => "rolled back",
            Transition::Cancel => "cancelled",
            Transition::Decide(_) => "decided",
        }
    }

    /// The status this transition leads to from `from`, or why not.
    pub fn apply(
        self,
        from: ReleaseStatus,
        facts: Facts,
    ) -> Result<ReleaseStatus, TransitionError> {
        use ReleaseStatus as S;
        let refuse = || TransitionError::NotFrom {
            from,
            verb: self.verb(),
        };
        let to = match (self, from) {
            (Transition::Schedule, S::Planned) | (Transition::Reschedule, S::Rejected) => {
                if !facts.has_go_live {
                    return Err(TransitionError::NoGoLive);
                }
                S::Scheduled
            }
            (Transition::Decide(d), S::Scheduled | S::Rejected) => match d {
                Decision::Go => S::Approved,
                Decision::NoGo => S::Rejected,
            },
            (Transition::Start, S::Approved) => S::InProgress,
            (Transition::Start, _) => return Err(TransitionError::NotApproved(from)),
            (Transition::Finish(result), S::InProgress) => result.release_status(),
            (Transition::RollBack, S::Released) => S::RolledBack,
            (Transition::Cancel, s) if !s.is_closed() => S::Cancelled,
            _ => return Err(refuse()),
        };
        Ok(to)
    }

    /// The transitions to offer on the page of a release in `status`
    /// (review decisions excluded; `Finish` stands for every result).
    #[must_use]
    pub fn offered(status: ReleaseStatus) -> Vec<Transition> {
        let candidates = [
            Transition::Schedule,
            Transition::Reschedule,
            Transition::Start,
            Transition::Finish(DeploymentResult::Succeeded),
            Transition::RollBack,
            Transition::Cancel,
        ];
        // Offered when the status allows it; missing facts are reported
        // when the button is pressed, with the reason.
        let facts = Facts { has_go_live: true };
        candidates
            .into_iter()
            .filter(|t| t.apply(status, facts).is_ok())
            .collect()
    }
}

/// Whether the production deployment has started, and how it ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    pub started: bool,
    pub result: Option<DeploymentResult>,
}

/// What an edit of the production deployment's actual times and result
/// does to the release: its start moves an approved release to
/// in_progress, its result moves an in-progress release to released or
/// rolled_back, and a result of failed / rolled back after release rolls
/// it back. Undoing a start or result that a status rests on is refused.
pub fn after_production_change(
    status: ReleaseStatus,
    before: Progress,
    after: Progress,
) -> Result<ReleaseStatus, TransitionError> {
    use ReleaseStatus as S;
    if before.started && !after.started && status.has_started() {
        return Err(TransitionError::CannotUndo(status));
    }
    if before.result.is_some() && after.result.is_none() && status.is_closed() {
        return Err(TransitionError::CannotUndo(status));
    }
    let mut status = status;
    if after.started && !before.started {
        status = match status {
            S::Approved => S::InProgress,
            s if s.has_started() => s,
            s => return Err(TransitionError::NotApproved(s)),
        };
    }
    if let Some(result) = after.result.filter(|_| after.result != before.result) {
        status = match (status, result.release_status()) {
            (S::InProgress, to) => to,
            (S::Released, S::RolledBack) | (S::RolledBack, S::RolledBack) => S::RolledBack,
            (S::Released, S::Released) => S::Released,
            (S::RolledBack, _) => return Err(TransitionError::NotAfterRollBack),
            (s, _) => return Err(TransitionError::NotApproved(s)),
        };
    }
    Ok(status)
}

/// A planned period of a deployment: both ends, end after start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// What is wrong with a deployment's times; each belongs to one field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimesError {
    #[error("enter a planned start too, or clear the planned end")]
    PlannedStartMissing,
    #[error("enter a planned end too, or clear the planned start")]
    PlannedEndMissing,
    #[error("the planned end must be after the planned start")]
    PlannedEndNotAfterStart,
    #[error("enter the actual start too: a deployment ends after it started")]
    ActualStartMissing,
    #[error("the actual end cannot be before the actual start")]
    ActualEndBeforeStart,
    #[error("enter the actual start first: a result needs a deployment that ran")]
    ResultWithoutStart,
}

impl TimesError {
    /// The form field the message belongs next to.
    #[must_use]
    pub fn field(&self) -> &'static str {
        match self {
            TimesError::PlannedStartMissing => "planned_start",
            TimesError::PlannedEndMissing | TimesError::PlannedEndNotAfterStart => "planned_end",
            TimesError::ActualStartMissing => "actual_start",
            TimesError::ActualEndBeforeStart => "actual_end",
            TimesError::ResultWithoutStart => "result",
        }
    }
}

impl Period {
    /// A planned period from optional ends: none, or both with end > start.
    pub fn optional(
        start: Option<DateTime<Utc>>,
        end: Option<DateTime<Utc>>,
    ) -> Result<Option<Self>, TimesError> {
        match (start, end) {
            (None, None) => Ok(None),
            (None, Some(_)) => Err(TimesError::PlannedStartMissing),
            (Some(_), None) => Err(TimesError::PlannedEndMissing),
            (Some(start), Some(end)) if end > start => Ok(Some(Self { start, end })),
            (Some(_), Some(_)) => Err(TimesError::PlannedEndNotAfterStart),
        }
    }
}

/// A deployment's planned and actual times and result, validated together.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeploymentTimes {
    pub planned: Option<Period>,
    pub actual_start: Option<DateTime<Utc>>,
    pub actual_end: Option<DateTime<Utc>>,
    pub result: Option<DeploymentResult>,
}

impl DeploymentTimes {
    /// Every problem at once (one per field).
    pub fn new(
        planned_start: Option<DateTime<Utc>>,
        planned_end: Option<DateTime<Utc>>,
        actual_start: Option<DateTime<Utc>>,
        actual_end: Option<DateTime<Utc>>,
        result: Option<DeploymentResult>,
    ) -> Result<Self, Vec<TimesError>> {
        let mut errors = Vec::new();
        let planned = Period::optional(planned_start, planned_end)
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        match (actual_start, actual_end) {
            (None, Some(_)) => errors.push(TimesError::ActualStartMissing),
            (Some(s), Some(e)) if e < s => errors.push(TimesError::ActualEndBeforeStart),
            _ => {}
        }
        if result.is_some() && actual_start.is_none() {
            errors.push(TimesError::ResultWithoutStart);
        }
        if errors.is_empty() {
            Ok(Self {
                planned,
                actual_start,
                actual_end,
                result,
            })
        } else {
            Err(errors)
        }
    }

    /// A deployment that ran (has an actual start) stays on record.
    #[must_use]
    pub fn may_remove(&self) -> bool {
        self.actual_start.is_none()
    }

    /// Started and result, for [`after_production_change`].
    #[must_use]
    pub fn progress(&self) -> Progress {
        Progress {
            started: self.actual_start.is_some(),
            result: self.result,
        }
    }
}

/// How far the actual go-live is from the baseline (positive = late).
#[must_use]
pub fn slip(baseline: Option<DateTime<Utc>>, actual: Option<DateTime<Utc>>) -> Option<Duration> {
    Some(actual? - baseline?)
}

/// On time: the actual go-live is at most one day after the baseline
/// (going live early counts as on time).
#[must_use]
pub fn on_time(slip: Duration) -> bool {
    slip <= Duration::days(1)
}

/// A slip in words: `on the baseline`, `2d 3h late`, `45m early`.
#[must_use]
pub fn slip_words(slip: Duration) -> String {
    let minutes = slip.num_minutes();
    if minutes == 0 {
        return "on the baseline".to_owned();
    }
    let total = minutes.unsigned_abs();
    let (days, hours, mins) = (total / 1440, total % 1440 / 60, total % 60);
    let mut parts = Vec::new();
    if days > 0 {
        parts.push(format!("{days}d"));
    }
    if hours > 0 {
        parts.push(format!("{hours}h"));
    }
    if mins > 0 && days == 0 {
        parts.push(format!("{mins}m"));
    }
    let when = if minutes > 0 { "late" } else { "early" };
    format!("{} {when}", parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeploymentResult as R;
    use ReleaseStatus as S;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn versions_are_short_and_without_spaces() {
        assert_eq!(
            Version::parse(" 2.4.0 ").map(|v| v.to_string()),
            Ok("2.4.0".into())
        );
        assert_eq!(Version::parse("   "), Err(VersionError::Empty));
        assert_eq!(Version::parse("2.4 beta"), Err(VersionError::Whitespace));
        assert_eq!(Version::parse(&"1".repeat(41)), Err(VersionError::TooLong));
        assert!(
            Version::parse(&"é".repeat(40)).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(TrainName::parse(""), Err(TrainNameError));
        assert!(ReleaseTitle::parse("").is_ok(), "the title is optional");
        assert!(ReleaseTitle::parse(&"x".repeat(201)).is_err());
    }

    #[test]
    fn words_round_trip() {
        for s in S::ALL {
            assert_eq!(s.as_str().parse::<S>(), Ok(*s));
        }
        for t in ReleaseType::ALL {
            assert_eq!(t.as_str().parse::<ReleaseType>(), Ok(*t));
        }
        for r in Risk::ALL {
            assert_eq!(r.as_str().parse::<Risk>(), Ok(*r));
        }
        for r in R::ALL {
            assert_eq!(r.as_str().parse::<R>(), Ok(*r));
        }
        assert_eq!("urgent".parse::<ReleaseType>(), Err(UnknownReleaseType));
        assert_eq!("done".parse::<S>(), Err(UnknownStatus));
    }

    #[test]
    fn only_planned_never_deployed_releases_may_be_deleted() {
        for &s in S::ALL {
            assert_eq!(s.may_delete(false), s == S::Planned, "{s}");
            assert!(!s.may_delete(true), "{s} deployed");
        }
    }

    /// Every (transition, from) pair: the status it leads to, or None.
    #[test]
    fn transitions_follow_the_design_table_exactly() {
        use Transition as T;
        let go = Facts { has_go_live: true };
        let transitions = [
            T::Schedule,
            T::Reschedule,
            T::Start,
            T::Finish(R::Succeeded),
            T::Finish(R::Failed),
            T::Finish(R::RolledBack),
            T::RollBack,
            T::Cancel,
            T::Decide(Decision::Go),
            T::Decide(Decision::NoGo),
        ];
        let allowed: &[(T, S, S)] = &[
            (T::Schedule, S::Planned, S::Scheduled),
            (T::Reschedule, S::Rejected, S::Scheduled),
            (T::Decide(Decision::Go), S::Scheduled, S::Approved),
            (T::Decide(Decision::NoGo), S::Scheduled, S::Rejected),
            (T::Decide(Decision::Go), S::Rejected, S::Approved),
            (T::Decide(Decision::NoGo), S::Rejected, S::Rejected),
            (T::Start, S::Approved, S::InProgress),
            (T::Finish(R::Succeeded), S::InProgress, S::Released),
            (T::Finish(R::Failed), S::InProgress, S::RolledBack),
            (T::Finish(R::RolledBack), S::InProgress, S::RolledBack),
            (T::RollBack, S::Released, S::RolledBack),
            (T::Cancel, S::Planned, S::Cancelled),
            (T::Cancel, S::Scheduled, S::Cancelled),
            (T::Cancel, S::Approved, S::Cancelled),
            (T::Cancel, S::Rejected, S::Cancelled),
            (T::Cancel, S::InProgress, S::Cancelled),
        ];
        for t in transitions {
            for &from in S::ALL {
                let expected = allowed
                    .iter()
                    .find(|(at, af, _)| *at == t && *af == from)
                    .map(|(_, _, to)| *to);
                assert_eq!(t.apply(from, go).ok(), expected, "{t:?} from {from}");
            }
        }
    }

    #[test]
    fn refusals_say_why() {
        use Transition as T;
        let none = Facts::default();
        let go = Facts { has_go_live: true };
        assert_eq!(
            T::Schedule.apply(S::Planned, none),
            Err(TransitionError::NoGoLive)
        );
        assert_eq!(
            T::Reschedule.apply(S::Rejected, none),
            Err(TransitionError::NoGoLive)
        );
        assert_eq!(
            T::Start.apply(S::Scheduled, go),
            Err(TransitionError::NotApproved(S::Scheduled))
        );
        let e = T::Cancel.apply(S::Released, go).expect_err("refused");
        assert_eq!(
            e.to_string(),
            "A release that is released cannot be cancelled."
        );
        let e = T::Schedule.apply(S::Cancelled, go).expect_err("refused");
        assert_eq!(
            e.to_string(),
            "A release that is cancelled cannot be scheduled."
        );
    }

    #[test]
    fn pages_offer_only_allowed_moves_and_never_review_decisions() {
        use Transition as T;
        let table: &[(S, &[T])] = &[
            (S::Planned, &[T::Schedule, T::Cancel]),
            (S::Scheduled, &[T::Cancel]),
            (S::Approved, &[T::Start, T::Cancel]),
            (S::Rejected, &[T::Reschedule, T::Cancel]),
            (S::InProgress, &[T::Finish(R::Succeeded), T::Cancel]),
            (S::Released, &[T::RollBack]),
            (S::RolledBack, &[]),
            (S::Cancelled, &[]),
        ];
        for (status, offered) in table {
            assert_eq!(&T::offered(*status), offered, "{status}");
        }
        for t in T::offered(S::Scheduled) {
            assert!(!matches!(t, T::Decide(_)));
        }
        assert_eq!(T::from_form("approve", None), None, "no form value decides");
        assert_eq!(T::from_form("finish", None), None, "finish needs a result");
        assert_eq!(
            T::from_form("finish", Some(R::Failed)),
            Some(T::Finish(R::Failed))
        );
        for t in [T::Schedule, T::Reschedule, T::Start, T::RollBack, T::Cancel] {
            assert_eq!(T::from_form(t.action(), None), Some(t));
        }
    }

    #[test]
    fn production_progress_moves_the_release() {
        let idle = Progress::default();
        let started = Progress {
            started: true,
            result: None,
        };
        let done = |r| Progress {
            started: true,
            result: Some(r),
        };
        // (status, before, after, expected)
        let table: &[(S, Progress, Progress, Result<S, TransitionError>)] = &[
            (S::Approved, idle, started, Ok(S::InProgress)),
            (S::Approved, idle, done(R::Succeeded), Ok(S::Released)),
            (S::Approved, idle, idle, Ok(S::Approved)),
            (
                S::Scheduled,
                idle,
                started,
                Err(TransitionError::NotApproved(S::Scheduled)),
            ),
            (
                S::Planned,
                idle,
                started,
                Err(TransitionError::NotApproved(S::Planned)),
            ),
            (
                S::Cancelled,
                idle,
                started,
                Err(TransitionError::NotApproved(S::Cancelled)),
            ),
            (S::Planned, idle, idle, Ok(S::Planned)),
            (S::InProgress, started, done(R::Succeeded), Ok(S::Released)),
            (S::InProgress, started, done(R::Failed), Ok(S::RolledBack)),
            (
                S::InProgress,
                started,
                done(R::RolledBack),
                Ok(S::RolledBack),
            ),
            (S::InProgress, started, started, Ok(S::InProgress)),
            (
                S::InProgress,
                started,
                idle,
                Err(TransitionError::CannotUndo(S::InProgress)),
            ),
            (
                S::Released,
                done(R::Succeeded),
                done(R::RolledBack),
                Ok(S::RolledBack),
            ),
            (
                S::Released,
                done(R::Succeeded),
                done(R::Succeeded),
                Ok(S::Released),
            ),
            (
                S::Released,
                done(R::Succeeded),
                started,
                Err(TransitionError::CannotUndo(S::Released)),
            ),
            (
                S::RolledBack,
                done(R::RolledBack),
                done(R::Succeeded),
                Err(TransitionError::NotAfterRollBack),
            ),
            (
                S::RolledBack,
                done(R::Failed),
                done(R::RolledBack),
                Ok(S::RolledBack),
            ),
            // A release that has not started: its production deployment's
            // correction of a stray start is fine.
            (S::Scheduled, started, idle, Ok(S::Scheduled)),
        ];
        for (status, before, after, expected) in table {
            assert_eq!(
                &after_production_change(*status, *before, *after),
                expected,
                "{status}: {before:?} -> {after:?}"
            );
        }
    }

    #[test]
    fn deployment_times_are_checked_per_field() {
        let ok =
            DeploymentTimes::new(Some(at(1, 22)), Some(at(2, 2)), None, None, None).expect("valid");
        assert_eq!(
            ok.planned,
            Some(Period {
                start: at(1, 22),
                end: at(2, 2)
            })
        );
        let fields = |r: Result<DeploymentTimes, Vec<TimesError>>| -> Vec<&'static str> {
            r.err()
                .unwrap_or_default()
                .iter()
                .map(TimesError::field)
                .collect()
        };
        // (planned start, planned end, actual start, actual end, result, fields in error)
        type Row = (
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            Option<R>,
            &'static [&'static str],
        );
        let table: &[Row] = &[
            (None, None, None, None, None, &[]),
            (
                Some(at(2, 0)),
                Some(at(1, 0)),
                None,
                None,
                None,
                &["planned_end"],
            ),
            (
                Some(at(1, 0)),
                Some(at(1, 0)),
                None,
                None,
                None,
                &["planned_end"],
            ),
            (Some(at(1, 0)), None, None, None, None, &["planned_end"]),
            (None, Some(at(1, 0)), None, None, None, &["planned_start"]),
            (None, None, None, Some(at(1, 0)), None, &["actual_start"]),
            (
                None,
                None,
                Some(at(2, 0)),
                Some(at(1, 0)),
                None,
                &["actual_end"],
            ),
            (None, None, Some(at(1, 0)), Some(at(1, 0)), None, &[]),
            (None, None, None, None, Some(R::Succeeded), &["result"]),
            (None, None, Some(at(1, 0)), None, Some(R::Failed), &[]),
            (
                Some(at(2, 0)),
                Some(at(1, 0)),
                Some(at(2, 0)),
                Some(at(1, 0)),
                None,
                &["planned_end", "actual_end"],
            ),
        ];
        for (ps, pe, s, e, r, expected) in table {
            assert_eq!(
                &fields(DeploymentTimes::new(*ps, *pe, *s, *e, *r)),
                expected,
                "{ps:?} {pe:?} {s:?} {e:?} {r:?}"
            );
        }
    }

    #[test]
    fn slip_and_on_time() {
        assert_eq!(slip(None, Some(at(1, 0))), None);
        assert_eq!(slip(Some(at(1, 0)), None), None);
        let late = slip(Some(at(1, 22)), Some(at(3, 1))).expect("both");
        assert_eq!(late, Duration::hours(27));
        assert_eq!(slip_words(late), "1d 3h late");
        assert!(!on_time(late));
        // (slip, on time)
        let table = [
            (Duration::zero(), true),
            (Duration::hours(24), true),
            (Duration::hours(24) + Duration::minutes(1), false),
            (Duration::days(-3), true),
        ];
        for (s, expected) in table {
            assert_eq!(on_time(s), expected, "{s}");
        }
        assert_eq!(slip_words(Duration::zero()), "on the baseline");
        assert_eq!(slip_words(Duration::minutes(-45)), "45m early");
        assert_eq!(slip_words(Duration::minutes(150)), "2h 30m late");
        assert_eq!(slip_words(Duration::days(2)), "2d late");
    }
}
