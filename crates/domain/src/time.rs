//! Showing instants to people: always in a named IANA zone, with the zone's
//! abbreviation so nobody has to guess.

use chrono::{DateTime, Utc};
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

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
}
