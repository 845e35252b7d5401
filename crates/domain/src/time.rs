//! Showing instants to people: always in a named IANA zone, with the zone's
//! abbreviation so nobody has to guess.

use chrono::offset::LocalResult;
use chrono::{DateTime, NaiveDateTime, TimeZone as _, Utc};
use chrono_tz::Tz;

fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(chrono_tz::UTC)
}

/// `2026-03-29 02:30 CEST` in `zone_name` (UTC when the name is unknown).
#[must_use]
pub fn local_datetime(at: DateTime<Utc>, zone_name: &str) -> String {
    at.with_timezone(&zone(zone_name))
        .format("%Y-%m-%d %H:%M %Z")
        .to_string()
}

/// `2026-03-29` in `zone_name`.
#[must_use]
pub fn local_date(at: DateTime<Utc>, zone_name: &str) -> String {
    at.with_timezone(&zone(zone_name))
        .format("%Y-%m-%d")
        .to_string()
}

/// The value of an `<input type="datetime-local">` for `at` in `zone_name`
/// (`2026-03-29T02:30`).
#[must_use]
pub fn to_local_input(at: DateTime<Utc>, zone_name: &str) -> String {
    at.with_timezone(&zone(zone_name))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Why a wall-clock time could not become an instant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalTimeError {
    #[error("enter a date and time like 2026-03-29 22:00")]
    Malformed,
    #[error(
        "this time does not exist in {0}: the clocks skip it (daylight saving); choose a time outside the gap"
    )]
    InGap(String),
}

/// Parses a wall-clock date-time (`2026-03-29T22:00`, `2026-03-29 22:00`,
/// seconds optional) in `zone_name` into an instant. A time that occurs
/// twice (clocks going back) means its first occurrence; a time the clocks
/// skip is refused with a clear message rather than guessed.
pub fn parse_local_input(input: &str, zone_name: &str) -> Result<DateTime<Utc>, LocalTimeError> {
    let s = input.trim().replace(' ', "T");
    let naive = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok())
        .ok_or(LocalTimeError::Malformed)?;
    local_to_utc(naive, zone(zone_name)).ok_or_else(|| LocalTimeError::InGap(zone_name.to_owned()))
}

/// A wall-clock time in `tz` as an instant: the earlier instant when the
/// time occurs twice, `None` when it falls in a gap.
#[must_use]
pub fn local_to_utc(naive: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        LocalResult::None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_local_time_with_abbreviation_across_dst() {
        let winter = Utc
            .with_ymd_and_hms(2026, 1, 15, 12, 0, 0)
            .single()
            .expect("valid");
        let summer = Utc
            .with_ymd_and_hms(2026, 7, 15, 12, 0, 0)
            .single()
            .expect("valid");
        assert_eq!(
            local_datetime(winter, "Europe/Berlin"),
            "2026-01-15 13:00 CET"
        );
        assert_eq!(
            local_datetime(summer, "Europe/Berlin"),
            "2026-07-15 14:00 CEST"
        );
        assert_eq!(
            local_datetime(winter, "America/New_York"),
            "2026-01-15 07:00 EST"
        );
        assert_eq!(local_datetime(winter, "Not/AZone"), "2026-01-15 12:00 UTC");
        let late = Utc
            .with_ymd_and_hms(2026, 1, 15, 23, 30, 0)
            .single()
            .expect("valid");
        assert_eq!(local_date(late, "Europe/Berlin"), "2026-01-16");
    }

    #[test]
    fn local_inputs_round_trip_and_refuse_gaps() {
        let at = parse_local_input("2026-07-01T22:00", "Europe/Berlin").expect("valid");
        assert_eq!(
            at,
            Utc.with_ymd_and_hms(2026, 7, 1, 20, 0, 0)
                .single()
                .expect("valid")
        );
        assert_eq!(to_local_input(at, "Europe/Berlin"), "2026-07-01T22:00");
        assert_eq!(
            parse_local_input("2026-07-01 22:00:00", "Europe/Berlin"),
            Ok(at)
        );
        // 2026-03-29 02:30 does not exist in Berlin (02:00 → 03:00).
        assert!(matches!(
            parse_local_input("2026-03-29T02:30", "Europe/Berlin"),
            Err(LocalTimeError::InGap(_))
        ));
        // 2026-10-25 02:30 happens twice: the first (CEST, UTC+2) is taken.
        let twice = parse_local_input("2026-10-25T02:30", "Europe/Berlin").expect("valid");
        assert_eq!(
            twice,
            Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0)
                .single()
                .expect("valid")
        );
        assert_eq!(
            parse_local_input("tomorrow", "UTC"),
            Err(LocalTimeError::Malformed)
        );
    }
}
