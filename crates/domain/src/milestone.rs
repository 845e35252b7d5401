//! The runbook of a release: milestones (dated checkpoints with a derived
//! status) and checklist steps (the ordered go-live runbook).

use chrono::{DateTime, Duration, Utc};
use std::fmt;

/// A milestone's name: 1–100 characters (`Code freeze`, `Go/no-go`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("enter a milestone name of 1 to 100 characters")]
pub struct MilestoneNameError;

impl MilestoneName {
    pub fn parse(input: &str) -> Result<Self, MilestoneNameError> {
        let s = input.trim();
        if s.is_empty() || s.chars().count() > 100 {
            return Err(MilestoneNameError);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MilestoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A checklist step's title: 1–200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepTitle(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("enter a step of 1 to 200 characters")]
pub struct StepTitleError;

impl StepTitle {
    pub fn parse(input: &str) -> Result<Self, StepTitleError> {
        let s = input.trim();
        if s.is_empty() || s.chars().count() > 200 {
            return Err(StepTitleError);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StepTitle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Free-text notes of a checklist step (at most 2,000 characters).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StepNotes(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("keep the notes under 2,000 characters")]
pub struct StepNotesError;

impl StepNotes {
    pub const MAX_CHARS: usize = 2000;

    pub fn parse(input: &str) -> Result<Self, StepNotesError> {
        let s = input.trim();
        if s.chars().count() > Self::MAX_CHARS {
            return Err(StepNotesError);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A milestone counts as "due soon" this long before it is due.
pub const DUE_SOON: Duration = Duration::hours(48);

/// A milestone's status, derived from its due and done instants, never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MilestoneStatus {
    /// Done (done_at is set), whenever that was.
    Done,
    /// Not done and its due instant has passed.
    Overdue,
    /// Not done and due within [`DUE_SOON`].
    DueSoon,
    /// Not done and due later.
    Due,
}

impl MilestoneStatus {
    /// The status at `now`.
    #[must_use]
    pub fn at(due: DateTime<Utc>, done_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Self {
        if done_at.is_some() {
            Self::Done
        } else if due < now {
            Self::Overdue
        } else if due - now <= DUE_SOON {
            Self::DueSoon
        } else {
            Self::Due
        }
    }

    /// The word shown next to the colour.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Overdue => "overdue",
            Self::DueSoon => "due soon",
            Self::Due => "due",
        }
    }

    /// The stylesheet's badge class (green done, red overdue, amber at risk,
    /// grey pending).
    #[must_use]
    pub fn badge(self) -> &'static str {
        match self {
            Self::Done => "badge-green",
            Self::Overdue => "badge-red",
            Self::DueSoon => "badge-amber",
            Self::Due => "badge-grey",
        }
    }

    #[must_use]
    pub fn is_done(self) -> bool {
        self == Self::Done
    }
}

/// A milestone's new due instant when its release's go-live moves by `by`
/// (instants move by the same elapsed time, so a go-live moved by one week
/// keeps every milestone's distance to it).
#[must_use]
pub fn shifted(due: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    due + by
}

/// A signed amount of time in words, for "Go-live moved by +2 days 3 hours":
/// days, hours and minutes, largest first, zero parts left out.
#[must_use]
pub fn shift_words(by: Duration) -> String {
    let secs = by.num_seconds();
    if secs == 0 {
        return "0 minutes".to_owned();
    }
    let sign = if secs < 0 { '−' } else { '+' };
    let total_minutes = secs.unsigned_abs() / 60;
    let (days, hours, minutes) = (
        total_minutes / (24 * 60),
        total_minutes / 60 % 24,
        total_minutes % 60,
    );
    let part = |n: u64, unit: &str| match n {
        0 => None,
        1 => Some(format!("1 {unit}")),
        n => Some(format!("{n} {unit}s")),
    };
    let words: Vec<String> = [
        part(days, "day"),
        part(hours, "hour"),
        part(minutes, "minute"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if words.is_empty() {
        format!("{sign}{} seconds", secs.unsigned_abs())
    } else {
        format!("{sign}{}", words.join(" "))
    }
}

/// Where a checklist step moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Up,
    Down,
}

/// `ids` (in runbook order) with `id` moved one place; `None` when it is
/// not in the list or is already at that end.
#[must_use]
pub fn reorder<T: PartialEq + Clone>(ids: &[T], id: &T, direction: Move) -> Option<Vec<T>> {
    let at = ids.iter().position(|x| x == id)?;
    let to = match direction {
        Move::Up => at.checked_sub(1)?,
        Move::Down => Some(at + 1).filter(|&t| t < ids.len())?,
    };
    let mut out = ids.to_vec();
    out.swap(at, to);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, h, 0, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn names_and_titles_are_bounded() {
        let table: [(&str, bool); 5] = [
            ("Code freeze", true),
            ("  QA sign-off  ", true),
            ("", false),
            ("   ", false),
            (&"x".repeat(101), false),
        ];
        for (input, ok) in table {
            assert_eq!(MilestoneName::parse(input).is_ok(), ok, "{input:?}");
        }
        assert_eq!(
            MilestoneName::parse("  QA sign-off ")
                .expect("valid")
                .as_str(),
            "QA sign-off"
        );
        assert!(StepTitle::parse(&"x".repeat(200)).is_ok());
        assert!(StepTitle::parse(&"x".repeat(201)).is_err());
        assert!(StepTitle::parse(" ").is_err());
        assert!(StepNotes::parse("").is_ok());
        assert!(StepNotes::parse(&"n".repeat(2001)).is_err());
    }

    #[test]
    fn status_is_derived_from_due_done_and_now() {
        let now = at(12);
        // (due, done, expected)
        let table = [
            (at(10), Some(at(9)), MilestoneStatus::Done),
            (at(20), Some(at(9)), MilestoneStatus::Done),
            (at(10), None, MilestoneStatus::Overdue),
            (at(12), None, MilestoneStatus::DueSoon),
            (at(13), None, MilestoneStatus::DueSoon),
            (now + Duration::hours(48), None, MilestoneStatus::DueSoon),
            (now + Duration::hours(49), None, MilestoneStatus::Due),
        ];
        for (due, done, expected) in table {
            assert_eq!(
                MilestoneStatus::at(due, done, now),
                expected,
                "{due} {done:?}"
            );
        }
        assert_eq!(MilestoneStatus::Overdue.label(), "overdue");
        assert_eq!(MilestoneStatus::Overdue.badge(), "badge-red");
        assert_eq!(MilestoneStatus::Done.badge(), "badge-green");
    }

    #[test]
    fn shifts_read_in_words() {
        let table = [
            (Duration::days(2) + Duration::hours(3), "+2 days 3 hours"),
            (Duration::days(-1), "−1 day"),
            (Duration::minutes(-90), "−1 hour 30 minutes"),
            (Duration::weeks(1), "+7 days"),
            (Duration::seconds(30), "+30 seconds"),
            (Duration::zero(), "0 minutes"),
        ];
        for (by, words) in table {
            assert_eq!(shift_words(by), words);
        }
        assert_eq!(shifted(at(10), Duration::hours(-2)), at(8));
    }

    #[test]
    fn steps_move_one_place_within_the_list() {
        let ids = [1, 2, 3];
        let table = [
            (2, Move::Up, Some(vec![2, 1, 3])),
            (2, Move::Down, Some(vec![1, 3, 2])),
            (1, Move::Up, None),
            (3, Move::Down, None),
            (9, Move::Up, None),
        ];
        for (id, direction, expected) in table {
            assert_eq!(
                reorder(&ids, &id, direction),
                expected,
                "{id} {direction:?}"
            );
        }
    }
}
