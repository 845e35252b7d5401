//! Release templates: milestones as offsets from go-live ("Code freeze:
//! −7d 17:00") plus checklist steps, and the editor's line format.
//!
//! An offset counts days from go-live's *local date* in the tenant's zone and
//! lands at a local wall-clock time (or at go-live's own time of day), so
//! "−7d 17:00" is 17:00 on the calendar a week earlier even when the clocks
//! changed in between.

use crate::milestone::{MilestoneName, StepTitle};
use crate::time::local_to_utc;
use chrono::{DateTime, Duration, NaiveDateTime, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;
use std::fmt;

/// A template's name: 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("enter a name of 1 to 100 characters")]
pub struct TemplateNameError;

impl TemplateName {
    pub fn parse(input: &str) -> Result<Self, TemplateNameError> {
        let s = input.trim();
        if s.is_empty() || s.chars().count() > 100 {
            return Err(TemplateNameError);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A template's description: optional, at most 2,000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TemplateDescription(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("keep the description under 2,000 characters")]
pub struct TemplateDescriptionError;

impl TemplateDescription {
    pub fn parse(input: &str) -> Result<Self, TemplateDescriptionError> {
        let s = input.trim();
        if s.chars().count() > 2000 {
            return Err(TemplateDescriptionError);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a template milestone falls relative to go-live: `days` from
/// go-live's local date, at local time `at` (go-live's time of day when none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset {
    days: i32,
    at: Option<NaiveTime>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OffsetError {
    #[error(
        "write the offset as days from go-live and an optional time, e.g. -7d 17:00, +1d or 0d 09:00"
    )]
    Malformed,
    #[error("keep the offset within 365 days of go-live")]
    TooFar,
    #[error("write the time as HH:MM between 00:00 and 23:59")]
    BadTime,
}

impl Offset {
    pub const MAX_DAYS: i32 = 365;

    pub fn new(days: i32, at: Option<NaiveTime>) -> Result<Self, OffsetError> {
        if days.abs() > Self::MAX_DAYS {
            return Err(OffsetError::TooFar);
        }
        Ok(Self {
            days,
            at: at.and_then(|t| t.with_second(0)),
        })
    }

    /// An offset read back from storage, whose CHECK already bounds the days
    /// (clamped anyway, so a bad row cannot fail a page).
    #[must_use]
    pub fn stored(days: i32, at: Option<NaiveTime>) -> Self {
        Self {
            days: days.clamp(-Self::MAX_DAYS, Self::MAX_DAYS),
            at,
        }
    }

    /// Parses `-7d 17:00`, `−7d 17:00` (Unicode minus), `+1d`, `0d 09:00`,
    /// `-2d`, `-7d at 17:00`.
    pub fn parse(input: &str) -> Result<Self, OffsetError> {
        let s = input.trim();
        let mut chars = s.chars();
        let (negative, rest) = match chars.next() {
            Some('-' | '\u{2212}' | '\u{2013}') => (true, chars.as_str()),
            Some('+') => (false, chars.as_str()),
            _ => (false, s),
        };
        let rest = rest.trim_start();
        let digits_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits_end == 0 || digits_end > 4 {
            return Err(if digits_end > 4 {
                OffsetError::TooFar
            } else {
                OffsetError::Malformed
            });
        }
        let days: i32 = rest[..digits_end]
            .parse()
            .map_err(|_| OffsetError::Malformed)?;
        let after = rest[digits_end..].trim_start();
        let after = after
            .strip_prefix('d')
            .or_else(|| after.strip_prefix('D'))
            .ok_or(OffsetError::Malformed)?;
        // "d" must end the day count: "-7days" is not an offset.
        if after.starts_with(|c: char| c.is_alphanumeric()) {
            return Err(OffsetError::Malformed);
        }
        let time = after.trim();
        let time = time.strip_prefix("at ").map_or(time, str::trim);
        let at = if time.is_empty() {
            None
        } else {
            Some(parse_time(time)?)
        };
        Self::new(if negative { -days } else { days }, at)
    }

    #[must_use]
    pub fn days(self) -> i32 {
        self.days
    }

    /// The local time of day, or `None` for go-live's own time of day.
    #[must_use]
    pub fn at(self) -> Option<NaiveTime> {
        self.at
    }

    /// The offset in words: "7 days before go-live at 17:00".
    #[must_use]
    pub fn words(self) -> String {
        let n = self.days.unsigned_abs();
        let days = if n == 1 {
            "1 day".to_owned()
        } else {
            format!("{n} days")
        };
        match (self.days.signum(), self.at) {
            (0, None) => "at go-live".to_owned(),
            (0, Some(t)) => format!("on go-live day at {}", t.format("%H:%M")),
            (s, Some(t)) => format!(
                "{days} {} go-live at {}",
                if s < 0 { "before" } else { "after" },
                t.format("%H:%M")
            ),
            (s, None) => format!(
                "{days} {} go-live, at go-live's time of day",
                if s < 0 { "before" } else { "after" }
            ),
        }
    }

    /// The instant this offset names for a release going live at `go_live`,
    /// on the wall clock of `tz`. A time the clocks skip (daylight saving)
    /// moves to the first instant after the gap; a time that occurs twice
    /// means its first occurrence.
    #[must_use]
    pub fn due_at(self, go_live: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        let local = go_live.with_timezone(&tz).naive_local();
        let date = local.date() + Duration::days(i64::from(self.days));
        let naive = date.and_time(self.at.unwrap_or_else(|| local.time()));
        local_to_utc(naive, tz).unwrap_or_else(|| first_instant_after_gap(naive, tz))
    }
}

fn parse_time(s: &str) -> Result<NaiveTime, OffsetError> {
    let (h, m) = s.split_once(':').ok_or(OffsetError::BadTime)?;
    let valid = |p: &str, max: u32| {
        (1..=2).contains(&p.len())
            && p.chars().all(|c| c.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|v| v <= max)
    };
    if !valid(h, 23) || m.len() != 2 || !valid(m, 59) {
        return Err(OffsetError::BadTime);
    }
    let (h, m) = (
        h.parse().map_err(|_| OffsetError::BadTime)?,
        m.parse().map_err(|_| OffsetError::BadTime)?,
    );
    NaiveTime::from_hms_opt(h, m, 0).ok_or(OffsetError::BadTime)
}

/// The first instant whose wall-clock time in `tz` is later than `naive`,
/// a time inside a gap: that is the instant the clocks jump (e.g. 03:00
/// CEST for 02:30 on the night Berlin springs forward). Every UTC offset is
/// within −12h…+14h, so the answer lies between `naive` read as UTC − 15h
/// and + 13h; a binary search over seconds finds it.
fn first_instant_after_gap(naive: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    let wall = |u: i64| {
        DateTime::<Utc>::from_timestamp(u, 0)
            .map(|t| t.with_timezone(&tz).naive_local())
            .unwrap_or(naive)
    };
    let base = naive.and_utc().timestamp();
    let (mut lo, mut hi) = (base - 15 * 3600, base + 13 * 3600);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if wall(mid) > naive {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    DateTime::<Utc>::from_timestamp(hi, 0).unwrap_or_else(|| naive.and_utc())
}

impl fmt::Display for Offset {
    /// The editor form: `-7d 17:00`, `+1d`, `0d 09:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.days > 0 {
            write!(f, "+{}d", self.days)?;
        } else {
            write!(f, "{}d", self.days)?;
        }
        if let Some(t) = self.at {
            write!(f, " {}", t.format("%H:%M"))?;
        }
        Ok(())
    }
}

/// One milestone of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateMilestone {
    pub name: MilestoneName,
    pub offset: Offset,
}

/// A problem on one line of the template editor (lines count from 1,
/// blank lines included, so the number matches what the person sees).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// All line errors as one field message.
#[must_use]
pub fn line_errors_message(errors: &[LineError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

pub const MAX_MILESTONES: usize = 50;
pub const MAX_STEPS: usize = 100;

/// The non-blank lines of `text` with their 1-based numbers.
fn numbered_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
}

/// Parses the milestone textarea: one `Name: offset` per line.
pub fn parse_milestone_lines(text: &str) -> Result<Vec<TemplateMilestone>, Vec<LineError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (line, content) in numbered_lines(text) {
        if out.len() + errors.len() == MAX_MILESTONES {
            errors.push(LineError {
                line,
                message: format!("a template holds at most {MAX_MILESTONES} milestones"),
            });
            break;
        }
        match parse_milestone_line(content) {
            Ok(m) => out.push(m),
            Err(message) => errors.push(LineError { line, message }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// `Code freeze: -7d 17:00`. The name may itself contain colons: the offset
/// is what follows the last colon that leaves a valid offset.
fn parse_milestone_line(line: &str) -> Result<TemplateMilestone, String> {
    let colons: Vec<usize> = line.match_indices(':').map(|(i, _)| i).collect();
    if colons.is_empty() {
        return Err("write the milestone as Name: offset, e.g. Code freeze: -7d 17:00".to_owned());
    }
    let split = colons
        .iter()
        .rev()
        .find_map(|&i| Offset::parse(&line[i + 1..]).ok().map(|o| (i, o)));
    let Some((i, offset)) = split else {
        // Report the problem of the part that looks most like an offset.
        let looks_like = colons.iter().find_map(|&i| {
            let rest = line[i + 1..].trim_start();
            rest.starts_with(['-', '+', '\u{2212}', '\u{2013}'])
                .then_some(rest)
                .or_else(|| {
                    rest.starts_with(|c: char| c.is_ascii_digit())
                        .then_some(rest)
                })
        });
        let problem = looks_like.map_or(OffsetError::Malformed, |rest| {
            Offset::parse(rest).err().unwrap_or(OffsetError::Malformed)
        });
        return Err(problem.to_string());
    };
    let name = MilestoneName::parse(&line[..i]).map_err(|_| {
        "give the milestone a name of 1 to 100 characters before the colon".to_owned()
    })?;
    Ok(TemplateMilestone { name, offset })
}

/// The milestone textarea for (name, offset) pairs (what
/// [`parse_milestone_lines`] reads).
#[must_use]
pub fn format_milestone_lines<'a>(
    milestones: impl IntoIterator<Item = (&'a str, Offset)>,
) -> String {
    milestones
        .into_iter()
        .map(|(name, offset)| format!("{name}: {offset}\n"))
        .collect()
}

/// Parses the checklist textarea: one step per line; a leading bullet
/// (`- `, `* `, `• `) is dropped so pasted lists work.
pub fn parse_checklist_lines(text: &str) -> Result<Vec<StepTitle>, Vec<LineError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (line, content) in numbered_lines(text) {
        if out.len() + errors.len() == MAX_STEPS {
            errors.push(LineError {
                line,
                message: format!("a template holds at most {MAX_STEPS} checklist steps"),
            });
            break;
        }
        let content = ["- ", "* ", "• "]
            .iter()
            .find_map(|b| content.strip_prefix(b))
            .unwrap_or(content);
        match StepTitle::parse(content) {
            Ok(step) => out.push(step),
            Err(e) => errors.push(LineError {
                line,
                message: e.to_string(),
            }),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The checklist textarea for `steps`.
#[must_use]
pub fn format_checklist_lines<S: AsRef<str>>(steps: &[S]) -> String {
    steps.iter().map(|s| format!("{}\n", s.as_ref())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn hm(h: u32, m: u32) -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(h, m, 0)
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("valid")
    }

    #[test]
    fn offsets_parse_in_every_spelling() {
        let table = [
            ("-7d 17:00", -7, hm(17, 0)),
            ("\u{2212}7d 17:00", -7, hm(17, 0)),
            ("  -7d   17:00 ", -7, hm(17, 0)),
            ("-7d at 17:00", -7, hm(17, 0)),
            ("+1d", 1, None),
            ("1d", 1, None),
            ("0d 09:00", 0, hm(9, 0)),
            ("0d 9:00", 0, hm(9, 0)),
            ("-2d", -2, None),
            ("-2D", -2, None),
            ("- 3d 23:59", -3, hm(23, 59)),
            ("+365d", 365, None),
        ];
        for (input, days, at) in table {
            let o = Offset::parse(input).unwrap_or_else(|e| panic!("{input:?}: {e}"));
            assert_eq!((o.days(), o.at()), (days, at), "{input:?}");
        }
    }

    #[test]
    fn bad_offsets_say_what_is_wrong() {
        let table = [
            ("", OffsetError::Malformed),
            ("-7", OffsetError::Malformed),
            ("7 days", OffsetError::Malformed),
            ("-7days", OffsetError::Malformed),
            ("d 17:00", OffsetError::Malformed),
            ("-7d 25:00", OffsetError::BadTime),
            ("-7d 17:60", OffsetError::BadTime),
            ("-7d 17", OffsetError::BadTime),
            ("-7d 17:0", OffsetError::BadTime),
            ("-7d noon", OffsetError::BadTime),
            ("-366d", OffsetError::TooFar),
            ("+99999d", OffsetError::TooFar),
        ];
        for (input, expected) in table {
            assert_eq!(Offset::parse(input), Err(expected), "{input:?}");
        }
    }

    #[test]
    fn offsets_format_and_read_in_words() {
        // (input, editor form, words)
        let table = [
            ("-7d 17:00", "-7d 17:00", "7 days before go-live at 17:00"),
            (
                "\u{2212}1d 09:30",
                "-1d 09:30",
                "1 day before go-live at 09:30",
            ),
            (
                "+1d",
                "+1d",
                "1 day after go-live, at go-live's time of day",
            ),
            ("0d 09:00", "0d 09:00", "on go-live day at 09:00"),
            ("-0d", "0d", "at go-live"),
            (
                "-2d",
                "-2d",
                "2 days before go-live, at go-live's time of day",
            ),
        ];
        for (input, form, words) in table {
            let o = Offset::parse(input).expect("valid");
            assert_eq!(o.to_string(), form, "{input:?}");
            assert_eq!(o.words(), words, "{input:?}");
            assert_eq!(Offset::parse(form), Ok(o), "{form:?} round-trips");
        }
    }

    #[test]
    fn due_instants_follow_the_wall_clock_across_dst() {
        let berlin: Tz = "Europe/Berlin".parse().expect("zone");
        let new_york: Tz = "America/New_York".parse().expect("zone");
        // Go-live Tuesday 2026-03-31 10:00 CEST (08:00 UTC); Berlin springs
        // forward on Sunday 2026-03-29 02:00 → 03:00.
        let berlin_go_live = utc(2026, 3, 31, 8, 0);
        // Go-live Wednesday 2026-11-04 22:00 EST (03:00 UTC on the 5th); New
        // York falls back on Sunday 2026-11-01 02:00 → 01:00.
        let ny_go_live = utc(2026, 11, 5, 3, 0);
        // (zone, go-live, offset, expected due in UTC)
        let table = [
            // a week before at 17:00 CET (UTC+1)
            (berlin, berlin_go_live, "-7d 17:00", utc(2026, 3, 24, 16, 0)),
            // go-live's time of day (10:00) before the change: 09:00 UTC
            (berlin, berlin_go_live, "-3d", utc(2026, 3, 28, 9, 0)),
            // 02:30 does not exist on the 29th: the first instant after the
            // gap, 03:00 CEST
            (berlin, berlin_go_live, "-2d 02:30", utc(2026, 3, 29, 1, 0)),
            (berlin, berlin_go_live, "-2d 03:00", utc(2026, 3, 29, 1, 0)),
            (berlin, berlin_go_live, "0d", berlin_go_live),
            (berlin, berlin_go_live, "+1d 09:00", utc(2026, 4, 1, 7, 0)),
            // New York: go-live's local date is the 4th (22:00 EST)
            (new_york, ny_go_live, "-7d 17:00", utc(2026, 10, 28, 21, 0)),
            (new_york, ny_go_live, "-4d", utc(2026, 11, 1, 2, 0)),
            // 01:30 on the 1st happens twice: the first one (EDT)
            (new_york, ny_go_live, "-3d 01:30", utc(2026, 11, 1, 5, 30)),
            (new_york, ny_go_live, "0d 09:00", utc(2026, 11, 4, 14, 0)),
            // New York springs forward on 2026-03-08 02:00 → 03:00
            (
                new_york,
                utc(2026, 3, 10, 14, 0),
                "-2d 02:15",
                utc(2026, 3, 8, 7, 0),
            ),
        ];
        for (tz, go_live, offset, expected) in table {
            let o = Offset::parse(offset).expect("valid");
            assert_eq!(o.due_at(go_live, tz), expected, "{tz} {go_live} {offset}");
        }
    }

    #[test]
    fn milestone_lines_parse_with_line_numbers() {
        let text = "Code freeze: -7d 17:00\n\nQA: sign-off: \u{2212}3d 12:00\r\nGo-live: 0d\n";
        let parsed = parse_milestone_lines(text).expect("valid");
        let summary: Vec<(&str, String)> = parsed
            .iter()
            .map(|m| (m.name.as_str(), m.offset.to_string()))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("Code freeze", "-7d 17:00".to_owned()),
                ("QA: sign-off", "-3d 12:00".to_owned()),
                ("Go-live", "0d".to_owned()),
            ]
        );
        let text = format_milestone_lines(parsed.iter().map(|m| (m.name.as_str(), m.offset)));
        assert_eq!(parse_milestone_lines(&text), Ok(parsed));
        assert_eq!(parse_milestone_lines("  \n"), Ok(Vec::new()));
    }

    #[test]
    fn milestone_line_errors_name_the_line() {
        // (text, expected messages)
        let table = [
            (
                "Code freeze -7d",
                vec!["line 1: write the milestone as Name: offset, e.g. Code freeze: -7d 17:00"],
            ),
            (
                "A: -1d\n\nCode freeze: -7d 25:00",
                vec!["line 3: write the time as HH:MM between 00:00 and 23:59"],
            ),
            (
                "A: -400d",
                vec!["line 1: keep the offset within 365 days of go-live"],
            ),
            (
                ": -1d",
                vec!["line 1: give the milestone a name of 1 to 100 characters before the colon"],
            ),
            (
                "A: soon\nB: -1d\nC: x",
                vec![
                    "line 1: write the offset as days from go-live and an optional time, e.g. -7d 17:00, +1d or 0d 09:00",
                    "line 3: write the offset as days from go-live and an optional time, e.g. -7d 17:00, +1d or 0d 09:00",
                ],
            ),
        ];
        for (text, expected) in table {
            let errors = parse_milestone_lines(text).expect_err(text);
            let got: Vec<String> = errors.iter().map(ToString::to_string).collect();
            assert_eq!(got, expected, "{text:?}");
        }
        let many: String = (0..=MAX_MILESTONES)
            .map(|i| format!("M{i}: -1d\n"))
            .collect();
        let errors = parse_milestone_lines(&many).expect_err("too many");
        assert_eq!(errors[0].line, MAX_MILESTONES + 1);
    }

    #[test]
    fn checklist_lines_parse_with_line_numbers() {
        let text = "- Announce the freeze\n\n* Back up the ledger\n• Smoke test\nRoll out";
        let steps = parse_checklist_lines(text).expect("valid");
        let titles: Vec<&str> = steps.iter().map(StepTitle::as_str).collect();
        assert_eq!(
            titles,
            [
                "Announce the freeze",
                "Back up the ledger",
                "Smoke test",
                "Roll out"
            ]
        );
        assert_eq!(
            parse_checklist_lines(&format_checklist_lines(&titles)),
            Ok(steps)
        );
        let long = format!("ok\n{}", "x".repeat(201));
        let errors = parse_checklist_lines(&long).expect_err("too long");
        assert_eq!(
            line_errors_message(&errors),
            "line 2: enter a step of 1 to 200 characters"
        );
    }

    #[test]
    fn template_names_are_bounded() {
        assert!(TemplateName::parse("Standard release").is_ok());
        assert!(TemplateName::parse(" ").is_err());
        assert!(TemplateName::parse(&"n".repeat(101)).is_err());
        assert!(TemplateDescription::parse("").is_ok());
        assert!(TemplateDescription::parse(&"d".repeat(2001)).is_err());
    }
}
