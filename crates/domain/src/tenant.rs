//! Tenant values: slug, name, time zone, week start, fiscal-year start.

use chrono::Weekday;
use std::fmt;
use std::str::FromStr;

/// The URL name of a tenant (`/acme/...`): 2–40 characters of lower-case
/// letters, digits and single hyphens; never a top-level path of the app.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TenantSlug(String);

/// Top-level paths (present and planned) that a tenant slug may not take.
pub const RESERVED_SLUGS: &[&str] = &[
    "login",
    "logout",
    "profile",
    "api",
    "static",
    "healthz",
    "readyz",
    "settings",
    "admin",
    "assets",
    "new",
    "favicon.ico",
    "robots.txt",
    "signup",
    "auth",
    "help",
    "docs",
    "www",
    "metrics",
    "status",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("use 2 to 40 characters")]
    Length,
    #[error("use lower-case letters, digits and single hyphens, starting with a letter")]
    Charset,
    #[error("this name is reserved; choose another")]
    Reserved,
}

impl TenantSlug {
    pub fn parse(input: &str) -> Result<Self, SlugError> {
        let s = input.trim();
        if !(2..=40).contains(&s.len()) {
            return Err(SlugError::Length);
        }
        let valid = s.starts_with(|c: char| c.is_ascii_lowercase())
            && !s.ends_with('-')
            && !s.contains("--")
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            return Err(SlugError::Charset);
        }
        if RESERVED_SLUGS.contains(&s) {
            return Err(SlugError::Reserved);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An organisation's display name: 1–100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("enter a name of 1 to 100 characters")]
pub struct TenantNameError;

impl TenantName {
    pub fn parse(input: &str) -> Result<Self, TenantNameError> {
        let s = input.trim();
        if s.is_empty() || s.chars().count() > 100 {
            return Err(TenantNameError);
        }
        Ok(Self(s.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An IANA time zone (`Europe/Berlin`), never a fixed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZone(chrono_tz::Tz);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("choose an IANA time zone such as Europe/Berlin or America/New_York")]
pub struct TimeZoneError;

impl TimeZone {
    pub const UTC: TimeZone = TimeZone(chrono_tz::UTC);

    pub fn parse(input: &str) -> Result<Self, TimeZoneError> {
        chrono_tz::Tz::from_str(input.trim())
            .map(Self)
            .map_err(|_| TimeZoneError)
    }

    #[must_use]
    pub fn tz(self) -> chrono_tz::Tz {
        self.0
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        self.0.name()
    }

    /// Every zone name, for pickers: canonical area/location names first.
    #[must_use]
    pub fn all_names() -> Vec<&'static str> {
        let mut names: Vec<&'static str> = chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| tz.name())
            .filter(|n| n.contains('/') && !n.starts_with("Etc/") && !n.starts_with("SystemV/"))
            .collect();
        names.push("UTC");
        names.sort_unstable();
        names
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The first day of the tenant's week (ISO number 1 = Monday ... 7 = Sunday).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekStart(Weekday);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("choose a day of the week")]
pub struct WeekStartError;

impl WeekStart {
    pub fn from_iso(n: i16) -> Result<Self, WeekStartError> {
        let day = match n {
            1 => Weekday::Mon,
            2 => Weekday::Tue,
            3 => Weekday::Wed,
            4 => Weekday::Thu,
            5 => Weekday::Fri,
            6 => Weekday::Sat,
            7 => Weekday::Sun,
            _ => return Err(WeekStartError),
        };
        Ok(Self(day))
    }

    pub fn parse(input: &str) -> Result<Self, WeekStartError> {
        input
            .trim()
            .parse::<i16>()
            .map_err(|_| WeekStartError)
            .and_then(Self::from_iso)
    }

    #[must_use]
    pub fn iso(self) -> i16 {
        // number_from_monday is 1..=7, always fits.
        i16::try_from(self.0.number_from_monday()).unwrap_or(1)
    }

    #[must_use]
    pub fn weekday(self) -> Weekday {
        self.0
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        WEEKDAY_NAMES[usize::from(self.0.num_days_from_monday() as u8)]
    }
}

pub const WEEKDAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

pub const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The month the tenant's fiscal year starts in (1 = January).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FiscalYearStart(u8);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("choose a month")]
pub struct FiscalYearStartError;

impl FiscalYearStart {
    pub fn from_month(n: i16) -> Result<Self, FiscalYearStartError> {
        u8::try_from(n)
            .ok()
            .filter(|m| (1..=12).contains(m))
            .map(Self)
            .ok_or(FiscalYearStartError)
    }

    pub fn parse(input: &str) -> Result<Self, FiscalYearStartError> {
        input
            .trim()
            .parse::<i16>()
            .map_err(|_| FiscalYearStartError)
            .and_then(Self::from_month)
    }

    #[must_use]
    pub fn month(self) -> i16 {
        i16::from(self.0)
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        MONTH_NAMES[usize::from(self.0 - 1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        let cases = [
            ("acme", Ok(())),
            ("globex-eu", Ok(())),
            ("a1", Ok(())),
            ("a", Err(SlugError::Length)),
            ("Acme", Err(SlugError::Charset)),
            ("1acme", Err(SlugError::Charset)),
            ("ac--me", Err(SlugError::Charset)),
            ("acme-", Err(SlugError::Charset)),
            ("ac me", Err(SlugError::Charset)),
            ("login", Err(SlugError::Reserved)),
            ("api", Err(SlugError::Reserved)),
            ("static", Err(SlugError::Reserved)),
        ];
        for (input, want) in cases {
            assert_eq!(TenantSlug::parse(input).map(|_| ()), want, "{input}");
        }
        assert_eq!(TenantSlug::parse(&"a".repeat(41)), Err(SlugError::Length));
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert_eq!(
            TimeZone::parse(" Europe/Berlin ").map(TimeZone::name),
            Ok("Europe/Berlin")
        );
        assert!(TimeZone::parse("CEST").is_err());
        assert!(TimeZone::parse("+02:00").is_err());
        let all = TimeZone::all_names();
        assert!(all.contains(&"America/New_York") && all.contains(&"UTC"));
    }

    #[test]
    fn week_start_and_fiscal_year() {
        assert_eq!(WeekStart::parse("1").map(WeekStart::label), Ok("Monday"));
        assert_eq!(WeekStart::parse("7").map(WeekStart::iso), Ok(7));
        assert!(WeekStart::parse("0").is_err() && WeekStart::parse("x").is_err());
        assert_eq!(
            FiscalYearStart::parse("4").map(FiscalYearStart::label),
            Ok("April")
        );
        assert!(FiscalYearStart::parse("13").is_err());
        assert!(FiscalYearStart::from_month(0).is_err());
    }
}
