//! Recurrence: parsing, expansion across daylight-saving changes, gaps,
//! ordinals, UNTIL/COUNT/INTERVAL, cancellations, descriptions, presets,
//! and property tests of the expansion.

use super::*;
use chrono::{NaiveDateTime, Offset, TimeZone as _, Weekday};
use proptest::prelude::*;

fn zone(name: &str) -> TimeZone {
    TimeZone::parse(name).expect("zone")
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn time(s: &str) -> NaiveTime {
    NaiveTime::parse_from_str(s, "%H:%M").expect("time")
}

fn utc(s: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .expect("instant")
        .and_utc()
}

fn rec(rule: &str, start: &str, from: &str, to: &str, zone_name: &str) -> Recurrence {
    let z = zone(zone_name);
    Recurrence::new(
        RRule::parse(rule, z).expect("rule"),
        date(start),
        time(from),
        time(to),
        z,
    )
    .expect("recurrence")
}

/// Local start and end of an occurrence, with the zone's abbreviation.
fn local(o: &Occurrence, zone_name: &str) -> (String, String) {
    (
        crate::time::local_datetime(o.start, zone_name),
        crate::time::local_datetime(o.end, zone_name),
    )
}

fn dates(r: &Recurrence, from: &str, to: &str) -> Vec<String> {
    r.occurrences_between(utc(from), utc(to), &[])
        .iter()
        .map(|o| o.date.to_string())
        .collect()
}

#[test]
fn wall_clock_windows_keep_their_local_times_across_daylight_saving() {
    // (zone, night of, expected local start, expected local end, hours)
    let table = [
        // Berlin springs forward on 2026-03-29 02:00 CET → 03:00 CEST.
        (
            "Europe/Berlin",
            "2026-03-27",
            "2026-03-27 22:00 CET",
            "2026-03-28 02:00 CET",
            4,
        ),
        // The end (02:00) does not exist that night: the first instant after the gap.
        (
            "Europe/Berlin",
            "2026-03-28",
            "2026-03-28 22:00 CET",
            "2026-03-29 03:00 CEST",
            4,
        ),
        (
            "Europe/Berlin",
            "2026-03-29",
            "2026-03-29 22:00 CEST",
            "2026-03-30 02:00 CEST",
            4,
        ),
        // Berlin falls back on 2026-10-25 03:00 CEST → 02:00 CET; 02:00 happens twice: the first.
        (
            "Europe/Berlin",
            "2026-10-23",
            "2026-10-23 22:00 CEST",
            "2026-10-24 02:00 CEST",
            4,
        ),
        (
            "Europe/Berlin",
            "2026-10-24",
            "2026-10-24 22:00 CEST",
            "2026-10-25 02:00 CEST",
            4,
        ),
        (
            "Europe/Berlin",
            "2026-10-25",
            "2026-10-25 22:00 CET",
            "2026-10-26 02:00 CET",
            4,
        ),
        // New York springs forward on 2026-03-08 02:00 EST → 03:00 EDT.
        (
            "America/New_York",
            "2026-03-06",
            "2026-03-06 22:00 EST",
            "2026-03-07 02:00 EST",
            4,
        ),
        (
            "America/New_York",
            "2026-03-07",
            "2026-03-07 22:00 EST",
            "2026-03-08 03:00 EDT",
            4,
        ),
        (
            "America/New_York",
            "2026-03-08",
            "2026-03-08 22:00 EDT",
            "2026-03-09 02:00 EDT",
            4,
        ),
        // New York falls back on 2026-11-01 02:00 EDT → 01:00 EST: 02:00 is after
        // the repeated hour, so that night lasts an hour longer.
        (
            "America/New_York",
            "2026-10-30",
            "2026-10-30 22:00 EDT",
            "2026-10-31 02:00 EDT",
            4,
        ),
        (
            "America/New_York",
            "2026-10-31",
            "2026-10-31 22:00 EDT",
            "2026-11-01 02:00 EST",
            5,
        ),
        (
            "America/New_York",
            "2026-11-01",
            "2026-11-01 22:00 EST",
            "2026-11-02 02:00 EST",
            4,
        ),
    ];
    for (z, night, start, end, hours) in table {
        let r = rec("FREQ=DAILY", "2026-01-01", "22:00", "02:00", z);
        let o = r
            .occurrence_on(date(night), &[])
            .expect("an occurrence that night");
        assert_eq!(
            local(&o, z),
            (start.to_owned(), end.to_owned()),
            "{z} {night}"
        );
        assert_eq!((o.end - o.start).num_hours(), hours, "{z} {night}");
    }
}

#[test]
fn windows_over_the_change_are_shorter_or_longer_that_night() {
    // 22:00–04:00: six hours on ordinary nights.
    let table = [
        ("Europe/Berlin", "2026-03-27", 6),
        ("Europe/Berlin", "2026-03-28", 5),
        ("Europe/Berlin", "2026-10-24", 7),
        ("America/New_York", "2026-03-07", 5),
        ("America/New_York", "2026-10-31", 7),
        ("America/New_York", "2026-11-01", 6),
    ];
    for (z, night, hours) in table {
        let r = rec("FREQ=DAILY", "2026-01-01", "22:00", "04:00", z);
        let o = r.occurrence_on(date(night), &[]).expect("occurrence");
        assert_eq!((o.end - o.start).num_hours(), hours, "{z} {night}");
        assert!(local(&o, z).0.contains(" 22:00 "), "{z} {night}");
        assert!(local(&o, z).1.contains(" 04:00 "), "{z} {night}");
    }
}

#[test]
fn times_in_a_gap_start_when_the_gap_ends_and_repeated_times_take_the_first() {
    // (zone, local start, local end, date, start UTC, end UTC)
    let table = [
        // 02:30 does not exist in Berlin on 2026-03-29: starts 03:00 CEST (01:00Z).
        (
            "Europe/Berlin",
            "02:30",
            "03:30",
            "2026-03-29",
            "2026-03-29T01:00",
            "2026-03-29T01:30",
        ),
        // ... nor in New York on 2026-03-08: 03:00 EDT (07:00Z).
        (
            "America/New_York",
            "02:30",
            "05:00",
            "2026-03-08",
            "2026-03-08T07:00",
            "2026-03-08T09:00",
        ),
        // Start and end both in the gap: an empty occurrence at the jump.
        (
            "Europe/Berlin",
            "02:00",
            "02:30",
            "2026-03-29",
            "2026-03-29T01:00",
            "2026-03-29T01:00",
        ),
        // 02:30 happens twice in Berlin on 2026-10-25: the first (CEST, 00:30Z).
        (
            "Europe/Berlin",
            "02:30",
            "03:30",
            "2026-10-25",
            "2026-10-25T00:30",
            "2026-10-25T02:30",
        ),
        // 01:30 happens twice in New York on 2026-11-01: the first (EDT, 05:30Z).
        (
            "America/New_York",
            "01:30",
            "03:00",
            "2026-11-01",
            "2026-11-01T05:30",
            "2026-11-01T08:00",
        ),
        // The day before and after are ordinary.
        (
            "Europe/Berlin",
            "02:30",
            "03:30",
            "2026-03-28",
            "2026-03-28T01:30",
            "2026-03-28T02:30",
        ),
        (
            "Europe/Berlin",
            "02:30",
            "03:30",
            "2026-03-30",
            "2026-03-30T00:30",
            "2026-03-30T01:30",
        ),
    ];
    for (z, from, to, day, start, end) in table {
        let r = rec("FREQ=DAILY", "2026-01-01", from, to, z);
        let o = r.occurrence_on(date(day), &[]).expect("occurrence");
        assert_eq!((o.start, o.end), (utc(start), utc(end)), "{z} {from} {day}");
    }
}

#[test]
fn gaps_of_half_an_hour_and_odd_offsets_resolve_to_the_jump() {
    // Lord Howe Island moves 30 minutes: 02:00 → 02:30 on 2026-10-04.
    let z = zone("Australia/Lord_Howe");
    let at = wall_clock_instant(date("2026-10-04").and_time(time("02:10")), z.tz());
    assert_eq!(
        crate::time::local_datetime(at, z.name()),
        "2026-10-04 02:30 +11"
    );
}

#[test]
fn byday_ordinals_pick_the_nth_weekday_of_the_month() {
    let table = [
        (
            "FREQ=MONTHLY;BYDAY=2TU",
            vec!["2026-01-13", "2026-02-10", "2026-03-10", "2026-04-14"],
        ),
        (
            "FREQ=MONTHLY;BYDAY=-1FR",
            vec!["2026-01-30", "2026-02-27", "2026-03-27", "2026-04-24"],
        ),
        (
            "FREQ=MONTHLY;BYDAY=1MO,3MO",
            vec![
                "2026-01-05",
                "2026-01-19",
                "2026-02-02",
                "2026-02-16",
                "2026-03-02",
                "2026-03-16",
                "2026-04-06",
                "2026-04-20",
            ],
        ),
        ("FREQ=YEARLY;BYMONTH=11;BYDAY=4TH", vec![]),
        (
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            vec!["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"],
        ),
    ];
    for (rule, expected) in table {
        let r = rec(rule, "2026-01-01", "09:00", "11:00", "UTC");
        assert_eq!(
            dates(&r, "2026-01-01T00:00", "2026-05-01T00:00"),
            expected,
            "{rule}"
        );
    }
    let thanksgiving = rec(
        "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
        "2026-01-01",
        "09:00",
        "11:00",
        "UTC",
    );
    assert_eq!(
        dates(&thanksgiving, "2026-01-01T00:00", "2028-01-01T00:00"),
        vec!["2026-11-26", "2027-11-25"]
    );
}

#[test]
fn until_count_and_interval_bound_and_space_the_series() {
    // (rule, zone, series start, local start, expected dates)
    let table = [
        (
            "FREQ=DAILY;UNTIL=20260105",
            "UTC",
            "2026-01-01",
            "22:00",
            vec![
                "2026-01-01",
                "2026-01-02",
                "2026-01-03",
                "2026-01-04",
                "2026-01-05",
            ],
        ),
        // UNTIL at midnight: the 22:00 occurrence of the 5th is after it.
        (
            "FREQ=DAILY;UNTIL=20260105T000000",
            "UTC",
            "2026-01-01",
            "22:00",
            vec!["2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"],
        ),
        // A UTC UNTIL is read on the zone's clock: 21:00Z = 22:00 CET.
        (
            "FREQ=DAILY;UNTIL=20260105T210000Z",
            "Europe/Berlin",
            "2026-01-01",
            "22:00",
            vec![
                "2026-01-01",
                "2026-01-02",
                "2026-01-03",
                "2026-01-04",
                "2026-01-05",
            ],
        ),
        (
            "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=5",
            "America/New_York",
            "2026-01-01",
            "22:00",
            vec![
                "2026-01-01",
                "2026-01-06",
                "2026-01-08",
                "2026-01-13",
                "2026-01-15",
            ],
        ),
        // The series start need not match the rule: the first Tuesday after it.
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
            "Europe/Berlin",
            "2026-01-05",
            "22:00",
            vec!["2026-01-06", "2026-01-20", "2026-02-03"],
        ),
        (
            "FREQ=DAILY;INTERVAL=10;COUNT=3",
            "UTC",
            "2026-01-01",
            "09:00",
            vec!["2026-01-01", "2026-01-11", "2026-01-21"],
        ),
        (
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
            "UTC",
            "2026-01-01",
            "09:00",
            vec![],
        ),
    ];
    for (rule, z, start, from, expected) in table {
        let r = rec(rule, start, from, "23:30", z);
        assert_eq!(
            dates(&r, "2025-12-01T00:00", "2026-02-10T00:00"),
            expected,
            "{rule}"
        );
    }
}

#[test]
fn occurrences_that_began_before_the_range_are_included() {
    let r = rec("FREQ=DAILY", "2026-01-01", "22:00", "02:00", "UTC");
    let got = r.occurrences_between(utc("2026-01-10T01:00"), utc("2026-01-10T03:00"), &[]);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].date, date("2026-01-09"));
    // Back-to-back: an occurrence ending exactly at `from` is not included.
    assert!(
        r.occurrences_between(utc("2026-01-10T02:00"), utc("2026-01-10T03:00"), &[])
            .is_empty()
    );
    assert!(
        r.occurrences_between(utc("2026-01-10T03:00"), utc("2026-01-10T03:00"), &[])
            .is_empty()
    );
}

#[test]
fn cancelled_dates_are_marked_and_next_occurrences_skip_ended_ones() {
    let r = rec(
        "FREQ=WEEKLY;BYDAY=TU,TH",
        "2026-01-01",
        "22:00",
        "02:00",
        "America/New_York",
    );
    let cancelled = [date("2026-01-08")];
    let next = r.next_occurrences(utc("2026-01-07T04:00"), 3, &cancelled);
    // Tuesday the 6th 22:00 EST = 03:00Z on the 7th, ends 07:00Z: in progress.
    let got: Vec<(String, bool)> = next
        .iter()
        .map(|o| (o.date.to_string(), o.cancelled))
        .collect();
    assert_eq!(
        got,
        vec![
            ("2026-01-06".to_owned(), false),
            ("2026-01-08".to_owned(), true),
            ("2026-01-13".to_owned(), false)
        ]
    );
    assert_eq!(r.occurrence_on(date("2026-01-07"), &[]), None);
    assert!(
        r.occurrence_on(date("2026-01-08"), &cancelled)
            .expect("occurs")
            .cancelled
    );
}

#[test]
fn span_runs_from_the_first_start_to_the_last_end() {
    let endless = rec(
        "FREQ=WEEKLY;BYDAY=TU",
        "2026-01-01",
        "22:00",
        "02:00",
        "UTC",
    );
    assert_eq!(endless.span(), (utc("2026-01-06T22:00"), None));
    let counted = rec(
        "FREQ=WEEKLY;BYDAY=TU;COUNT=2",
        "2026-01-01",
        "22:00",
        "02:00",
        "UTC",
    );
    assert_eq!(
        counted.span(),
        (utc("2026-01-06T22:00"), Some(utc("2026-01-14T02:00")))
    );
}

#[test]
fn descriptions_read_as_plain_english() {
    // (rule, series start, local start, local end, zone, description)
    let table = [
        (
            "FREQ=WEEKLY;BYDAY=TU,TH",
            "2026-01-01",
            "22:00",
            "02:00",
            "America/New_York",
            "Every Tuesday and Thursday, 22:00–02:00 America/New_York",
        ),
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
            "2026-01-01",
            "22:00",
            "02:00",
            "Europe/Berlin",
            "Every other Tuesday, 22:00–02:00 Europe/Berlin",
        ),
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH",
            "2026-01-01",
            "22:00",
            "02:00",
            "America/New_York",
            "Every other Tuesday and Thursday, 22:00–02:00 America/New_York",
        ),
        (
            "FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,WE,FR",
            "2026-01-01",
            "09:00",
            "11:00",
            "UTC",
            "Every 3 weeks on Monday, Wednesday and Friday, 09:00–11:00 UTC",
        ),
        (
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            "2026-01-01",
            "09:00",
            "11:00",
            "UTC",
            "Every weekday, 09:00–11:00 UTC",
        ),
        (
            "FREQ=WEEKLY",
            "2026-01-07",
            "09:00",
            "11:00",
            "UTC",
            "Every Wednesday, 09:00–11:00 UTC",
        ),
        (
            "FREQ=WEEKLY;BYDAY=MO;BYMONTH=6,7,8",
            "2026-01-01",
            "09:00",
            "11:00",
            "UTC",
            "Every Monday in June, July and August, 09:00–11:00 UTC",
        ),
        (
            "FREQ=MONTHLY;BYDAY=2TU",
            "2026-01-01",
            "09:00",
            "11:00",
            "UTC",
            "Monthly on the second Tuesday, 09:00–11:00 UTC",
        ),
        (
            "FREQ=MONTHLY;BYDAY=-1FR",
            "2026-01-01",
            "18:00",
            "23:00",
            "Europe/Berlin",
            "Monthly on the last Friday, 18:00–23:00 Europe/Berlin",
        ),
        (
            "FREQ=MONTHLY;BYDAY=-2FR",
            "2026-01-01",
            "09:00",
            "11:00",
            "UTC",
            "Monthly on the second-to-last Friday, 09:00–11:00 UTC",
        ),
        (
            "FREQ=MONTHLY;INTERVAL=3;BYDAY=1MO,3MO",
            "2026-01-01",
            "09:00",
            "11:00",
            "UTC",
            "Every 3 months on the first and third Monday, 09:00–11:00 UTC",
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=1,15",
            "2026-01-01",
            "09:00",
            "11:00",
            "UTC",
            "Monthly on the 1st and 15th, 09:00–11:00 UTC",
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=-1",
            "2026-01-01",
            "09:00",
            "11:00",
            "UTC",
            "Monthly on the last day, 09:00–11:00 UTC",
        ),
        (
            "FREQ=MONTHLY",
            "2026-01-22",
            "09:00",
            "11:00",
            "UTC",
            "Monthly on the 22nd, 09:00–11:00 UTC",
        ),
        (
            "FREQ=MONTHLY;INTERVAL=2;BYDAY=1WE",
            "2026-01-01",
            "09:00",
            "11:00",
            "UTC",
            "Every other month on the first Wednesday, 09:00–11:00 UTC",
        ),
        (
            "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=15",
            "2026-01-01",
            "00:00",
            "23:59",
            "UTC",
            "Every year on 15 December, 00:00–23:59 UTC",
        ),
        (
            "FREQ=YEARLY",
            "2026-12-15",
            "09:00",
            "17:00",
            "UTC",
            "Every year on 15 December, 09:00–17:00 UTC",
        ),
        (
            "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
            "2026-01-01",
            "09:00",
            "17:00",
            "America/New_York",
            "Every year on the fourth Thursday of November, 09:00–17:00 America/New_York",
        ),
        (
            "FREQ=DAILY",
            "2026-01-01",
            "09:00",
            "11:00",
            "UTC",
            "Every day, 09:00–11:00 UTC",
        ),
        (
            "FREQ=DAILY;INTERVAL=2",
            "2026-01-01",
            "09:00",
            "11:00",
            "UTC",
            "Every other day, 09:00–11:00 UTC",
        ),
        (
            "FREQ=DAILY;BYDAY=SA,SU",
            "2026-01-01",
            "09:00",
            "11:00",
            "UTC",
            "Every Saturday and Sunday, 09:00–11:00 UTC",
        ),
        (
            "FREQ=DAILY;UNTIL=20270331",
            "2026-01-01",
            "09:00",
            "11:00",
            "UTC",
            "Every day, 09:00–11:00 UTC until 31 March 2027",
        ),
        (
            "FREQ=DAILY;UNTIL=20270331T000000",
            "2026-01-01",
            "09:00",
            "11:00",
            "UTC",
            "Every day, 09:00–11:00 UTC until 30 March 2027",
        ),
        (
            "FREQ=WEEKLY;BYDAY=MO;COUNT=10",
            "2026-01-01",
            "09:00",
            "11:00",
            "UTC",
            "Every Monday, 09:00–11:00 UTC, 10 times",
        ),
        (
            "FREQ=WEEKLY;BYDAY=MO;COUNT=1",
            "2026-01-01",
            "09:00",
            "11:00",
            "UTC",
            "Every Monday, 09:00–11:00 UTC, once",
        ),
    ];
    for (rule, start, from, to, z, expected) in table {
        assert_eq!(rec(rule, start, from, to, z).describe(), expected, "{rule}");
    }
}

#[test]
fn rules_parse_into_a_canonical_form() {
    let table = [
        ("rrule:freq=weekly;byday=th,tu", "FREQ=WEEKLY;BYDAY=TU,TH"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYDAY=-1FR"),
        ("FREQ=MONTHLY;BYDAY=1MO", "FREQ=MONTHLY;BYDAY=1MO"),
        (
            "FREQ=WEEKLY;INTERVAL=1;BYDAY=MO;WKST=SU",
            "FREQ=WEEKLY;BYDAY=MO;WKST=SU",
        ),
        (
            "FREQ=YEARLY;BYMONTHDAY=15;BYMONTH=12",
            "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=15",
        ),
        (
            "FREQ=DAILY;UNTIL=20270331",
            "FREQ=DAILY;UNTIL=20270331T235959",
        ),
        (" FREQ=DAILY ; COUNT=3 ", "FREQ=DAILY;COUNT=3"),
    ];
    for (input, canonical) in table {
        let rule = RRule::parse(input, TimeZone::UTC).expect(input);
        assert_eq!(rule.to_string(), canonical, "{input}");
        assert_eq!(
            RRule::parse(canonical, TimeZone::UTC),
            Ok(rule),
            "{input} round-trips"
        );
    }
}

#[test]
fn rules_outside_the_supported_subset_are_refused_clearly() {
    type Expect = fn(&RRuleError) -> bool;
    let table: [(&str, Expect); 14] = [
        ("", |e| *e == RRuleError::Empty),
        ("RRULE:", |e| *e == RRuleError::Empty),
        ("DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY", |e| {
            *e == RRuleError::ExtraLines
        }),
        ("FREQ=HOURLY", |e| {
            matches!(e, RRuleError::UnsupportedFrequency(_))
        }),
        ("FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1", |e| {
            *e == RRuleError::UnsupportedPart("BYSETPOS")
        }),
        ("FREQ=DAILY;BYHOUR=9", |e| {
            *e == RRuleError::UnsupportedPart("BYHOUR")
        }),
        ("FREQ=WEEKLY;BYDAY=2TU", |e| {
            *e == RRuleError::OrdinalNeedsMonthlyOrYearly
        }),
        ("FREQ=DAILY;COUNT=3;UNTIL=20270101", |e| {
            *e == RRuleError::CountAndUntil
        }),
        ("FREQ=DAILY;INTERVAL=100", |e| *e == RRuleError::Interval),
        ("FREQ=DAILY;COUNT=0", |e| *e == RRuleError::Count),
        ("FREQ=WEEKLY;BYMONTHDAY=3", |e| {
            matches!(e, RRuleError::Invalid(_))
        }),
        ("FREQ=SOMETIMES", |e| matches!(e, RRuleError::Syntax(_))),
        ("FREQ=DAILY;UNTIL=tomorrow", |e| *e == RRuleError::Until),
        ("FREQ=DAILY;COLOUR=blue", |e| {
            matches!(e, RRuleError::Syntax(_))
        }),
    ];
    for (input, expected) in table {
        let got = RRule::parse(input, TimeZone::UTC);
        assert!(matches!(&got, Err(e) if expected(e)), "{input:?}: {got:?}");
    }
}

#[test]
fn recurrences_that_cannot_be_expanded_are_refused() {
    let utc_zone = TimeZone::UTC;
    let rule = |s: &str| RRule::parse(s, utc_zone).expect("rule");
    let make = |r: &str, start: &str, from: &str, to: &str| {
        Recurrence::new(rule(r), date(start), time(from), time(to), utc_zone)
    };
    assert_eq!(
        make("FREQ=DAILY", "2026-01-01", "22:00", "22:00"),
        Err(RecurrenceError::SameTimes)
    );
    assert_eq!(
        make("FREQ=DAILY;UNTIL=20251231", "2026-01-01", "22:00", "23:00"),
        Err(RecurrenceError::EndsBeforeStart)
    );
    assert_eq!(
        make(
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
            "2026-01-01",
            "09:00",
            "10:00"
        ),
        Err(RecurrenceError::NeverOccurs)
    );
    assert_eq!(
        make("FREQ=DAILY", "1999-12-31", "09:00", "10:00"),
        Err(RecurrenceError::SeriesStart)
    );
    assert!(
        make("FREQ=DAILY", "2026-01-01", "22:00", "02:00")
            .expect("valid")
            .ends_next_day()
    );
}

#[test]
fn presets_become_rules_and_rules_are_recognised_as_presets() {
    use Weekday::{Thu, Tue};
    let table = [
        (Preset::Daily, Ends::Never, "FREQ=DAILY"),
        (
            Preset::Weekly {
                days: vec![Thu, Tue, Thu],
            },
            Ends::Never,
            "FREQ=WEEKLY;BYDAY=TU,TH",
        ),
        (
            Preset::EveryNWeeks {
                interval: 2,
                days: vec![Tue],
            },
            Ends::After(10),
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=10",
        ),
        (
            Preset::MonthlyNth {
                nth: 2,
                weekday: Tue,
            },
            Ends::Never,
            "FREQ=MONTHLY;BYDAY=2TU",
        ),
        (
            Preset::MonthlyNth {
                nth: -1,
                weekday: Weekday::Fri,
            },
            Ends::OnDate(date("2027-03-31")),
            "FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20270331T235959",
        ),
        (
            Preset::Yearly { month: 12, day: 15 },
            Ends::Never,
            "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=15",
        ),
        (
            Preset::Yearly { month: 2, day: 29 },
            Ends::Never,
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        ),
    ];
    for (preset, ends, text) in table {
        let rule = preset.rule(ends).expect("valid preset");
        assert_eq!(rule.to_string(), text);
        let (back, back_ends) = Preset::of(&rule).expect("recognised");
        assert_eq!(back.rule(back_ends), Ok(rule), "{text}");
    }
    let errors = [
        (
            Preset::Weekly { days: vec![] },
            Ends::Never,
            PresetError::NoDays,
        ),
        (
            Preset::EveryNWeeks {
                interval: 0,
                days: vec![Tue],
            },
            Ends::Never,
            PresetError::Interval,
        ),
        (
            Preset::MonthlyNth {
                nth: 5,
                weekday: Tue,
            },
            Ends::Never,
            PresetError::Nth,
        ),
        (
            Preset::Yearly { month: 2, day: 30 },
            Ends::Never,
            PresetError::Day,
        ),
        (
            Preset::Yearly { month: 13, day: 1 },
            Ends::Never,
            PresetError::Day,
        ),
        (Preset::Daily, Ends::After(0), PresetError::Count),
    ];
    for (preset, ends, error) in errors {
        assert_eq!(preset.rule(ends), Err(error), "{preset:?}");
    }
    for advanced in [
        "FREQ=MONTHLY;BYMONTHDAY=1,15",
        "FREQ=DAILY;UNTIL=20270101T120000",
        "FREQ=WEEKLY;BYDAY=MO;WKST=SU",
    ] {
        assert_eq!(
            Preset::of(&RRule::parse(advanced, TimeZone::UTC).expect("rule")),
            None,
            "{advanced}"
        );
    }
}

// ---------------------------------------------------------------- properties

const ZONES: [&str; 8] = [
    "America/New_York",
    "Europe/Berlin",
    "UTC",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/St_Johns",
];

fn weekday_set() -> impl Strategy<Value = Vec<Weekday>> {
    proptest::sample::subsequence(WEEKDAYS.to_vec(), 1..=7)
}

/// A random daily or weekly rule (period at least a day).
fn daily_or_weekly() -> impl Strategy<Value = RRule> {
    prop_oneof![
        (1u16..4).prop_map(|n| RRule::new(Frequency::Daily, n)),
        (1u16..4, weekday_set()).prop_map(|(n, days)| {
            let mut r = RRule::new(Frequency::Weekly, n);
            r.by_day = days.into_iter().map(ByDay::every).collect();
            r
        }),
    ]
}

fn quarter_hour() -> impl Strategy<Value = NaiveTime> {
    (0u32..96)
        .prop_map(|q| NaiveTime::from_hms_opt(q / 4, (q % 4) * 15, 0).unwrap_or(NaiveTime::MIN))
}

prop_compose! {
    fn recurrence()(
        rule in daily_or_weekly(),
        zone_name in proptest::sample::select(ZONES.to_vec()),
        start_day in 0i64..1500,
        from in quarter_hour(),
        to in quarter_hour(),
    ) -> Option<Recurrence> {
        let series_start = date("2024-01-01") + Duration::days(start_day);
        Recurrence::new(rule, series_start, from, to, zone(zone_name)).ok()
    }
}

fn window_range() -> impl Strategy<Value = (DateTime<Utc>, DateTime<Utc>)> {
    (0i64..(6 * 365 * 24), 1i64..(60 * 24)).prop_map(|(h, len)| {
        let from = utc("2024-01-01T00:00") + Duration::hours(h);
        (from, from + Duration::hours(len))
    })
}

/// Any supported rule shape, for comparing expansions.
fn any_rule() -> impl Strategy<Value = RRule> {
    let monthly = prop_oneof![
        Just((Vec::new(), Vec::new())),
        proptest::collection::vec(prop_oneof![1i8..=28, -3i8..=-1], 1..3)
            .prop_map(|d| (Vec::new(), d)),
        (
            proptest::sample::select(vec![1i16, 2, 3, 4, -1, -2]),
            proptest::sample::select(WEEKDAYS.to_vec())
        )
            .prop_map(|(n, w)| (vec![ByDay::nth(n, w)], Vec::new())),
    ];
    (
        proptest::sample::select(vec![
            Frequency::Daily,
            Frequency::Weekly,
            Frequency::Monthly,
            Frequency::Yearly,
        ]),
        1u16..5,
        weekday_set(),
        monthly,
        proptest::option::of(1u8..=12),
        proptest::sample::select(WEEKDAYS.to_vec()),
        proptest::option::of(0i64..3000),
        any::<bool>(),
    )
        .prop_map(
            |(freq, n, days, (nth, month_days), month, wkst, until, plain)| {
                let mut r = RRule::new(freq, n);
                r.week_start = wkst;
                match freq {
                    Frequency::Daily | Frequency::Weekly if !plain => {
                        r.by_day = days.into_iter().map(ByDay::every).collect();
                    }
                    Frequency::Monthly | Frequency::Yearly if !plain => {
                        r.by_day = nth;
                        r.by_month_day = month_days;
                        r.by_month = month.into_iter().collect();
                    }
                    _ => {}
                }
                if let Some(d) = until {
                    r.end = SeriesEnd::Until(
                        (date("2024-01-01") + Duration::days(d)).and_time(time("12:00")),
                    );
                }
                r
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn starting_near_the_range_generates_the_same_series(
        rule in any_rule(), start_day in 0i64..1500, skip in 0i64..4000, z in proptest::sample::select(ZONES.to_vec())
    ) {
        let series_start = date("2024-01-01") + Duration::days(start_day);
        let Ok(r) = Recurrence::new(rule, series_start, time("22:00"), time("02:00"), zone(z)) else { return Ok(()) };
        let first = (series_start + Duration::days(skip)).and_time(NaiveTime::MIN);
        let slow: Vec<_> = r.local_starts().skip_while(|at| *at < first).take(40).collect();
        let fast: Vec<_> = r.local_starts_near(first).take(40).collect();
        prop_assert_eq!(slow, fast);
    }

    #[test]
    fn every_occurrence_starts_at_its_local_time_or_where_the_gap_ends(
        r in recurrence(), (from, to) in window_range()
    ) {
        let Some(r) = r else { return Ok(()) };
        let tz = r.zone().tz();
        for o in r.occurrences_between(from, to, &[]) {
            let wall = o.date.and_time(r.local_start());
            match tz.from_local_datetime(&wall) {
                chrono::LocalResult::None => {
                    // The first instant after the gap: the offset changes there.
                    let before = tz.offset_from_utc_datetime(&(o.start - Duration::seconds(1)).naive_utc()).fix();
                    let at = tz.offset_from_utc_datetime(&o.start.naive_utc()).fix();
                    prop_assert_ne!(before, at);
                    prop_assert!(o.start.with_timezone(&tz).naive_local() > wall);
                }
                _ => prop_assert_eq!(o.start.with_timezone(&tz).naive_local(), wall),
            }
            prop_assert!(o.start <= o.end);
            prop_assert!(o.start < to && o.end > from);
        }
    }

    #[test]
    fn occurrences_are_sorted_and_never_overlap(r in recurrence(), (from, to) in window_range()) {
        let Some(r) = r else { return Ok(()) };
        let all = r.occurrences_between(from, to, &[]);
        for pair in all.windows(2) {
            prop_assert!(pair[0].date < pair[1].date);
            prop_assert!(pair[0].end <= pair[1].start, "{:?}", pair);
        }
    }

    #[test]
    fn cancelling_a_date_marks_exactly_that_occurrence(
        r in recurrence(), (from, to) in window_range(), pick in any::<prop::sample::Index>()
    ) {
        let Some(r) = r else { return Ok(()) };
        let all = r.occurrences_between(from, to, &[]);
        if all.is_empty() { return Ok(()) }
        let chosen = all[pick.index(all.len())].date;
        let with = r.occurrences_between(from, to, &[chosen]);
        prop_assert_eq!(with.len(), all.len());
        for (a, b) in all.iter().zip(&with) {
            prop_assert_eq!((a.start, a.end, a.date), (b.start, b.end, b.date));
            prop_assert_eq!(b.cancelled, b.date == chosen);
        }
    }

    #[test]
    fn expanding_a_range_equals_expanding_its_halves(
        r in recurrence(), (from, to) in window_range(), cut in 0.0f64..1.0
    ) {
        let Some(r) = r else { return Ok(()) };
        #[allow(clippy::cast_possible_truncation)]
        let middle = from + Duration::seconds(((to - from).num_seconds() as f64 * cut) as i64);
        let whole = r.occurrences_between(from, to, &[]);
        let mut halves = r.occurrences_between(from, middle, &[]);
        halves.extend(r.occurrences_between(middle, to, &[]));
        halves.dedup_by_key(|o| o.start);
        // An empty occurrence (both ends in one gap) sitting exactly on the
        // cut belongs to neither half; nor to the whole unless inside it.
        let whole: Vec<_> = whole.into_iter().filter(|o| o.start < o.end).collect();
        let halves: Vec<_> = halves.into_iter().filter(|o| o.start < o.end).collect();
        prop_assert_eq!(whole, halves);
    }

    #[test]
    fn next_occurrences_continue_the_expansion(r in recurrence(), (from, _) in window_range()) {
        let Some(r) = r else { return Ok(()) };
        let next = r.next_occurrences(from, 4, &[]);
        if let Some(last) = next.last() {
            let between = r.occurrences_between(from, last.end, &[]);
            let between: Vec<_> = between.into_iter().take(next.len()).collect();
            prop_assert_eq!(between, next);
        }
    }

    #[test]
    fn canonical_rules_round_trip(r in daily_or_weekly(), count in proptest::option::of(1u32..50)) {
        let mut r = r;
        if let Some(n) = count { r.end = SeriesEnd::Count(n); }
        prop_assert_eq!(RRule::parse(&r.to_string(), TimeZone::UTC), Ok(r));
    }
}
