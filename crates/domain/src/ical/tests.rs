use super::timezone::{observances, transitions};
use super::*;
use crate::recurrence::RRule;
use crate::window::{CancelledOccurrence, ExemptType, WindowId, WindowName};
use chrono::{NaiveDate, NaiveTime};

fn utc(s: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
        .expect("instant")
        .and_utc()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn time(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("time")
}

fn zone(name: &str) -> TimeZone {
    TimeZone::parse(name).expect("zone")
}

fn recurring(rule: &str, start: &str, from: NaiveTime, to: NaiveTime, z: &str) -> Recurrence {
    let z = zone(z);
    Recurrence::new(
        RRule::parse(rule, z).expect("rule"),
        date(start),
        from,
        to,
        z,
    )
    .expect("recurrence")
}

fn window(kind: WindowKind, name: &str, schedule: WindowSchedule) -> Window {
    Window {
        id: WindowId::new(),
        kind,
        name: WindowName::parse(name).expect("name"),
        reason: String::new(),
        environments: Scope::All,
        products: Scope::All,
        exempt_types: Vec::new(),
        schedule,
        capacity: None,
        archived: false,
        revision: 3,
        cancelled: Vec::new(),
    }
}

fn feed(windows: Vec<Window>, now: DateTime<Utc>) -> Feed {
    Feed {
        name: "Acme, Inc.; releases".into(),
        zone: zone("America/New_York"),
        base_url: "https://almanac.test/acme".into(),
        now,
        windows: windows
            .into_iter()
            .map(|window| WindowItem {
                window,
                stamp: utc("2026-11-01T12:00"),
                environments: Vec::new(),
                products: Vec::new(),
            })
            .collect(),
        deployments: Vec::new(),
        milestones: Vec::new(),
    }
}

/// The content lines of `text`, unfolded.
fn unfolded(text: &str) -> Vec<String> {
    text.replace("\r\n ", "")
        .split("\r\n")
        .map(str::to_owned)
        .collect()
}

#[test]
fn labels_are_trimmed_and_bounded() {
    let table = [
        ("  Outlook at work ", Ok("Outlook at work")),
        ("Phone\r\ncalendar", Ok("Phone  calendar")),
        ("   ", Err(FeedLabelError::Empty)),
        (&*"x".repeat(61), Err(FeedLabelError::TooLong)),
        (&*"é".repeat(60), Ok(&*"é".repeat(60))),
    ];
    for (input, expected) in table {
        assert_eq!(
            FeedLabel::parse(input).map(|l| l.as_str().to_owned()),
            expected.map(str::to_owned),
            "{input:?}"
        );
    }
}

#[test]
fn filters_pick_the_windows_that_cover_them() {
    let env = Uuid::now_v7();
    let other_env = Uuid::now_v7();
    let product = Uuid::now_v7();
    let line_product = Uuid::now_v7();
    let schedule = WindowSchedule::OneOff {
        start: utc("2026-12-01T00:00"),
        end: utc("2026-12-02T00:00"),
        zone: TimeZone::UTC,
    };
    let mut scoped = window(WindowKind::Freeze, "Scoped", schedule.clone());
    scoped.environments = Scope::Only(vec![env]);
    scoped.products = Scope::Only(vec![product]);
    let everywhere = window(WindowKind::Freeze, "All", schedule);
    let line = Uuid::now_v7();
    let table = [
        (FeedFilter::default(), &scoped, true),
        (
            FeedFilter {
                environment: Some(env),
                ..Default::default()
            },
            &scoped,
            true,
        ),
        (
            FeedFilter {
                environment: Some(other_env),
                ..Default::default()
            },
            &scoped,
            false,
        ),
        (
            FeedFilter {
                environment: Some(other_env),
                ..Default::default()
            },
            &everywhere,
            true,
        ),
        (
            FeedFilter {
                product: Some(product),
                ..Default::default()
            },
            &scoped,
            true,
        ),
        (
            FeedFilter {
                product: Some(line_product),
                ..Default::default()
            },
            &scoped,
            false,
        ),
        (
            FeedFilter {
                line: Some(line),
                ..Default::default()
            },
            &scoped,
            false,
        ),
        (
            FeedFilter {
                line: Some(line),
                ..Default::default()
            },
            &everywhere,
            true,
        ),
        (
            FeedFilter {
                status: Some(ReleaseStatus::Cancelled),
                ..Default::default()
            },
            &scoped,
            true,
        ),
    ];
    for (filter, w, expected) in table {
        assert_eq!(
            filter.shows_window(w, &[line_product]),
            expected,
            "{filter:?} / {}",
            w.name.as_str()
        );
    }
    let with_line = FeedFilter {
        line: Some(line),
        ..Default::default()
    };
    assert!(with_line.shows_window(&scoped, &[line_product, product]));
}

#[test]
fn time_zones_become_yearly_rules() {
    let from = utc("2019-01-01T00:00");
    let to = utc("2028-12-31T00:00");
    let table = [
        (
            "America/New_York",
            vec![
                "DTSTART:20191103T020000",
                "TZOFFSETFROM:-0400",
                "TZOFFSETTO:-0500",
                "TZNAME:EST",
                "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU",
                "DTSTART:20190310T020000",
                "TZNAME:EDT",
                "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
            ],
        ),
        (
            "Europe/Berlin",
            vec![
                "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
                "DTSTART:20190331T020000",
                "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
                "DTSTART:20191027T030000",
                "TZNAME:CEST",
            ],
        ),
        (
            "Australia/Sydney",
            vec![
                "RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU",
                "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU",
                "TZOFFSETTO:+1100",
            ],
        ),
        (
            "Asia/Kolkata",
            vec![
                "DTSTART:19700101T000000",
                "TZOFFSETFROM:+0530",
                "TZOFFSETTO:+0530",
            ],
        ),
    ];
    for (name, expected) in table {
        let text = vtimezone(zone(name).tz(), from, to);
        assert!(text.starts_with(&format!("BEGIN:VTIMEZONE\r\nTZID:{name}\r\n")));
        assert!(text.ends_with("END:VTIMEZONE\r\n"));
        for line in expected {
            assert!(
                text.contains(&format!("{line}\r\n")),
                "{name}: {line} in\n{text}"
            );
        }
        assert!(text.lines().all(|l| l.len() <= 75), "no line needs folding");
        assert!(!text.contains("DTSTAMP") && !text.contains("UID"));
    }
    // Kolkata has one observance; New York two rules and nothing listed.
    let count = |name: &str| {
        vtimezone(zone(name).tz(), from, to)
            .matches("BEGIN:S")
            .count()
            + vtimezone(zone(name).tz(), from, to)
                .matches("BEGIN:D")
                .count()
    };
    assert_eq!(count("Asia/Kolkata"), 1);
    assert_eq!(count("America/New_York"), 2);
}

/// Expands the observances (rules with the rrule crate) back into
/// transition instants and compares them with the zone database.
#[test]
fn observances_reproduce_every_transition() {
    let from = utc("2005-01-01T00:00");
    let to = utc("2030-12-31T00:00");
    for name in [
        "America/New_York",
        "Europe/London",
        "Europe/Berlin",
        "Australia/Sydney",
        "America/Sao_Paulo",
        "Asia/Jerusalem",
        "America/Santiago",
        "Europe/Moscow",
        "Pacific/Auckland",
        "Africa/Casablanca",
    ] {
        let tz = zone(name).tz();
        let mut expected: Vec<DateTime<Utc>> = transitions(tz, from, to)
            .into_iter()
            .map(|t| t.at)
            .collect();
        let mut got = Vec::new();
        for o in observances(tz, from, to) {
            let shift = |local: NaiveDateTime| {
                (local - Duration::seconds(i64::from(o.from.total))).and_utc()
            };
            match &o.rule {
                None => got.push(shift(o.start)),
                Some(rule) => {
                    let text = format!("DTSTART:{}\nRRULE:{rule}", o.start.format("%Y%m%dT%H%M%S"));
                    let set: rrule::RRuleSet = text.parse().expect("rule parses");
                    got.extend(
                        set.into_iter()
                            .map(|at| shift(at.naive_utc()))
                            .take_while(|at| *at <= to),
                    );
                }
            }
        }
        got.retain(|at| *at > from && *at <= to);
        got.sort();
        expected.sort();
        // A zone without DST in the period has one observance, no transition.
        if expected.is_empty() {
            continue;
        }
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn recurring_windows_are_one_event_with_rrule_exdate_and_vtimezone() {
    let r = recurring(
        "FREQ=WEEKLY;BYDAY=TU,TH",
        "2026-09-01",
        time(22, 0),
        time(2, 0),
        "America/New_York",
    );
    let mut w = window(
        WindowKind::Release,
        "Weekly, Tue/Thu; nights",
        WindowSchedule::Recurring(r),
    );
    w.capacity = Some(3);
    w.cancelled = vec![
        CancelledOccurrence {
            date: date("2026-12-03"),
            reason: "party".into(),
        },
        // Not an occurrence (a Monday): left out.
        CancelledOccurrence {
            date: date("2026-12-07"),
            reason: String::new(),
        },
    ];
    let id = w.id;
    let text = feed(vec![w], utc("2026-11-15T12:00")).render();
    let lines = unfolded(&text);
    let has = |l: &str| lines.iter().any(|x| x == l);
    assert!(text.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"));
    assert!(text.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
    assert!(has("PRODID:-//Almanac//Release calendar//EN"));
    assert!(has("METHOD:PUBLISH"));
    assert!(has("NAME:Acme\\, Inc.\\; releases"));
    assert!(has("X-WR-CALNAME:Acme\\, Inc.\\; releases"));
    assert!(has("X-WR-TIMEZONE:America/New_York"));
    assert_eq!(
        text.matches("BEGIN:VEVENT").count(),
        1,
        "one event, not copies"
    );
    assert!(has(&format!("UID:window-{id}@almanac")));
    assert!(has("SEQUENCE:3"));
    assert!(has("DTSTAMP:20261101T120000Z"));
    assert!(has("DTSTART;TZID=America/New_York:20260901T220000"));
    assert!(has("DTEND;TZID=America/New_York:20260902T020000"));
    assert!(has("RRULE:FREQ=WEEKLY;BYDAY=TU,TH"));
    assert!(has("EXDATE;TZID=America/New_York:20261203T220000"));
    assert!(!text.contains("20261207T220000"));
    assert!(has("SUMMARY:Release window: Weekly\\, Tue/Thu\\; nights"));
    assert!(has("CATEGORIES:Release window"));
    assert!(has("TRANSP:TRANSPARENT"));
    assert!(has(&format!("URL:https://almanac.test/acme/windows/{id}")));
    assert!(has("BEGIN:VTIMEZONE") && has("TZID:America/New_York"));
    let vtimezone_at = text.find("BEGIN:VTIMEZONE").expect("zone");
    assert!(
        vtimezone_at < text.find("BEGIN:VEVENT").expect("event"),
        "zones first"
    );
    assert!(text.lines().all(|l| l.len() <= 75), "folded");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("DESCRIPTION:Every Tuesday and Thursday")
                && l.contains("Capacity: 3 deployments per occurrence"))
    );
}

#[test]
fn until_is_written_in_utc() {
    let r = recurring(
        "FREQ=DAILY;UNTIL=20270131T235959",
        "2027-01-01",
        time(9, 0),
        time(10, 0),
        "Europe/Berlin",
    );
    assert_eq!(rrule_text(&r), "FREQ=DAILY;UNTIL=20270131T225959Z");
    let r = recurring(
        "FREQ=MONTHLY;BYDAY=1FR;COUNT=6",
        "2027-01-01",
        time(9, 0),
        time(10, 0),
        "UTC",
    );
    assert_eq!(rrule_text(&r), "FREQ=MONTHLY;BYDAY=1FR;COUNT=6");
}

#[test]
fn dtstart_is_the_first_occurrence() {
    // The series starts on a Wednesday; the first occurrence is Friday.
    let r = recurring(
        "FREQ=WEEKLY;BYDAY=FR",
        "2026-09-02",
        time(18, 0),
        time(20, 0),
        "UTC",
    );
    let text = feed(
        vec![window(
            WindowKind::Release,
            "Fridays",
            WindowSchedule::Recurring(r),
        )],
        utc("2026-09-01T00:00"),
    )
    .render();
    assert!(
        text.contains("DTSTART;TZID=UTC:20260904T180000\r\n"),
        "{text}"
    );
}

#[test]
fn nights_the_clocks_change_get_their_wall_clock_times() {
    // Saturday nights 22:00–02:00 New York: on 2026-10-31 the clocks go
    // back at 02:00, so that night lasts 5 hours where RFC 5545 would
    // repeat 4. On 2027-03-13 they spring forward at 02:00: the night ends
    // at the first instant after the gap (03:00 EDT), 4 hours as the rule
    // says, so it needs no override.
    let r = recurring(
        "FREQ=WEEKLY;BYDAY=SA",
        "2026-10-03",
        time(22, 0),
        time(2, 0),
        "America/New_York",
    );
    let w = window(
        WindowKind::Freeze,
        "Weekend freeze",
        WindowSchedule::Recurring(r.clone()),
    );
    let id = w.id;
    let text = feed(vec![w], utc("2026-10-01T00:00")).render();
    let lines = unfolded(&text);
    let has = |l: &str| lines.iter().any(|x| x == l);
    assert!(has("SUMMARY:Freeze: Weekend freeze"));
    assert!(has("CATEGORIES:Freeze"));
    assert_eq!(text.matches(&format!("UID:window-{id}@almanac")).count(), 2);
    assert!(has("RECURRENCE-ID;TZID=America/New_York:20261031T220000"));
    let nov = r
        .occurrence_on(date("2026-10-31"), &[])
        .expect("occurrence");
    assert_eq!(nov.end - nov.start, Duration::hours(5));
    assert!(has("DTSTART:20261101T020000Z") && has("DTEND:20261101T070000Z"));
    let mar = r
        .occurrence_on(date("2027-03-13"), &[])
        .expect("occurrence");
    assert_eq!(mar.end - mar.start, Duration::hours(4));
    assert!(!text.contains("RECURRENCE-ID;TZID=America/New_York:20270313"));
    // A window starting inside the spring gap: Almanac opens it at 03:00,
    // a client reading 02:30 would open it at 03:30.
    let r = recurring(
        "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU",
        "2027-01-01",
        time(2, 30),
        time(4, 0),
        "America/New_York",
    );
    let text = feed(
        vec![window(
            WindowKind::Release,
            "Gap",
            WindowSchedule::Recurring(r),
        )],
        utc("2027-01-01T00:00"),
    )
    .render();
    let lines = unfolded(&text);
    let has = |l: &str| lines.iter().any(|x| x == l);
    assert!(has("DTSTART;TZID=America/New_York:20270314T023000"));
    assert!(has("RECURRENCE-ID;TZID=America/New_York:20270314T023000"));
    assert!(has("DTSTART:20270314T070000Z"), "03:00 EDT");
}

#[test]
fn one_off_windows_are_plain_events() {
    let w = window(
        WindowKind::Freeze,
        "Year-end freeze",
        WindowSchedule::OneOff {
            start: utc("2026-12-15T05:00"),
            end: utc("2027-01-05T05:00"),
            zone: zone("America/New_York"),
        },
    );
    let text = feed(vec![w], utc("2026-11-15T12:00")).render();
    assert!(text.contains("DTSTART:20261215T050000Z\r\n"));
    assert!(text.contains("DTEND:20270105T050000Z\r\n"));
    assert!(!text.contains("RRULE") && !text.contains("VTIMEZONE"));
}

#[test]
fn releases_and_milestones_say_what_they_are() {
    let mut f = feed(Vec::new(), utc("2026-11-15T12:00"));
    let release = Uuid::now_v7();
    let deployment = Uuid::now_v7();
    f.deployments.push(DeploymentItem {
        release_id: release,
        deployment_id: deployment,
        label: "PAY 2.4.0".into(),
        title: "Faster refunds, \"really\"; now\r\nwith notes".into(),
        product_name: "Payments".into(),
        environment: "production".into(),
        is_production: true,
        status: ReleaseStatus::Approved,
        release_type: ReleaseType::Major,
        start: utc("2026-12-02T03:00"),
        end: utc("2026-12-02T05:00"),
        actual_start: None,
        actual_end: None,
        result: None,
        override_reason: Some("CEO asked".into()),
        sequence: 7,
        stamp: utc("2026-11-10T08:30"),
    });
    let mut staging = f.deployments[0].clone();
    staging.is_production = false;
    staging.environment = "staging".into();
    staging.status = ReleaseStatus::Cancelled;
    f.deployments.push(staging);
    let milestone = Uuid::now_v7();
    f.milestones.push(MilestoneItem {
        id: milestone,
        release_id: release,
        release_label: "PAY 2.4.0".into(),
        release_status: ReleaseStatus::Approved,
        name: "Code freeze".into(),
        due: utc("2026-11-25T22:00"),
        done_at: Some(utc("2026-11-25T21:00")),
        owner: Some("Rami Release".into()),
        sequence: 2,
        stamp: utc("2026-11-10T08:30"),
    });
    let text = f.render();
    let lines = unfolded(&text);
    let has = |l: &str| lines.iter().any(|x| x == l);
    assert!(has(&format!("UID:release-{release}@almanac")));
    assert!(has("SUMMARY:PAY 2.4.0 go-live"));
    assert!(has("STATUS:CONFIRMED"));
    assert!(has("SEQUENCE:7"));
    assert!(has("DTSTART:20261202T030000Z"));
    assert!(has(&format!(
        "URL:https://almanac.test/acme/releases/{release}"
    )));
    assert!(has("CATEGORIES:Release,Major"));
    let description = lines
        .iter()
        .find(|l| l.starts_with("DESCRIPTION:Status: Approved"))
        .expect("description");
    assert!(description.contains("Break-glass override: CEO asked"));
    assert!(description.contains("Faster refunds\\, \"really\"\\; now\\nwith notes"));
    assert!(
        description.contains("2026-12-01 22:00 EST"),
        "{description}"
    );
    assert!(
        !text.contains('\r') || !text.replace("\r\n", "").contains('\r'),
        "no bare CR"
    );
    assert!(has(&format!("UID:deployment-{deployment}@almanac")));
    assert!(has("SUMMARY:PAY 2.4.0 on staging (cancelled)"));
    assert!(has("STATUS:CANCELLED"));
    assert!(has(&format!("UID:milestone-{milestone}@almanac")));
    assert!(has("SUMMARY:PAY 2.4.0: Code freeze (done)"));
    assert!(has("DTSTART:20261125T220000Z"));
    assert!(has("CATEGORIES:Milestone"));
    assert!(text.lines().all(|l| l.len() <= 75));
}

#[test]
fn unused_exemptions_do_not_disturb_the_description() {
    let mut w = window(
        WindowKind::Freeze,
        "Black Friday",
        WindowSchedule::OneOff {
            start: utc("2026-11-27T05:00"),
            end: utc("2026-11-30T05:00"),
            zone: zone("America/New_York"),
        },
    );
    w.exempt_types = vec![ExemptType::Emergency, ExemptType::Hotfix];
    w.environments = Scope::Only(vec![Uuid::now_v7()]);
    let mut f = feed(vec![w], utc("2026-11-15T12:00"));
    f.windows[0].environments = vec!["production".into()];
    let text = f.render();
    let lines = unfolded(&text);
    let d = lines
        .iter()
        .find(|l| l.starts_with("DESCRIPTION:"))
        .expect("description");
    assert!(
        d.contains("Environments: production\\nProducts: all\\nExempt: Emergency\\, Hotfix"),
        "{d}"
    );
}
