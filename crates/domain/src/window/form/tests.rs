//! The window form: valid input becomes a draft, every kind of bad input a
//! message at its field, and stored windows come back as the same form.

use super::*;
use crate::window::WindowId;

fn envs() -> Vec<Uuid> {
    vec![Uuid::now_v7(), Uuid::now_v7()]
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).expect("date")
}

fn base() -> WindowForm {
    WindowForm {
        name: "Production window".to_owned(),
        ..WindowForm::new_window(today(), "America/New_York")
    }
}

fn parse(form: &WindowForm, known: &[Uuid]) -> Result<WindowDraft, FieldErrors> {
    form.parse(&FormContext {
        viewer_zone: TimeZone::parse("Europe/Berlin").expect("zone"),
        environments: known,
        products: known,
    })
}

#[test]
fn the_new_window_form_is_a_weekly_release_window() {
    let draft = parse(&base(), &[]).expect("valid");
    assert_eq!(draft.kind, WindowKind::Release);
    assert_eq!(draft.environments, Scope::All);
    assert_eq!(
        draft.schedule.describe(),
        "Every Tuesday and Thursday, 22:00–02:00 America/New_York"
    );
}

#[test]
fn every_preset_and_the_advanced_field_parse() {
    type Edit = fn(&mut WindowForm);
    let table: [(Edit, &str); 8] = [
        (
            |f| f.preset = "daily".into(),
            "Every day, 22:00–02:00 America/New_York",
        ),
        (
            |f| {
                f.preset = "every_n_weeks".into();
                f.interval = "2".into();
                f.days = vec!["TU".into()];
            },
            "Every other Tuesday, 22:00–02:00 America/New_York",
        ),
        (
            |f| {
                f.preset = "monthly_nth".into();
                f.nth = "-1".into();
                f.nth_weekday = "FR".into();
            },
            "Monthly on the last Friday, 22:00–02:00 America/New_York",
        ),
        (
            |f| {
                f.preset = "yearly".into();
                f.year_month = "12".into();
                f.year_day = "15".into();
                f.ends = "after".into();
                f.count = "3".into();
            },
            "Every year on 15 December, 22:00–02:00 America/New_York, 3 times",
        ),
        (
            |f| {
                f.ends = "on".into();
                f.until = "2027-03-31".into();
            },
            "Every Tuesday and Thursday, 22:00–02:00 America/New_York until 31 March 2027",
        ),
        (
            |f| {
                f.preset = "advanced".into();
                f.rrule = "RRULE:FREQ=MONTHLY;BYDAY=2TU".into();
            },
            "Monthly on the second Tuesday, 22:00–02:00 America/New_York",
        ),
        (
            |f| {
                f.preset = "advanced".into();
                f.rrule = "FREQ=DAILY".into();
                f.ends = "after".into();
                f.count = "10".into();
            },
            "Every day, 22:00–02:00 America/New_York, 10 times",
        ),
        (
            |f| {
                f.time_zone = "Europe/Berlin".into();
                f.local_start = "09:00".into();
                f.local_end = "11:30".into();
            },
            "Every Tuesday and Thursday, 09:00–11:30 Europe/Berlin",
        ),
    ];
    for (edit, expected) in table {
        let mut form = base();
        edit(&mut form);
        let draft = parse(&form, &[]).unwrap_or_else(|e| panic!("{expected}: {e:?}"));
        assert_eq!(draft.schedule.describe(), expected);
    }
}

#[test]
fn one_off_windows_are_read_in_the_viewers_zone() {
    let mut form = base();
    form.schedule = "one_off".into();
    form.starts_at = "2026-12-15T00:00".into();
    form.ends_at = "2027-01-05T23:59".into();
    let draft = parse(&form, &[]).expect("valid");
    assert_eq!(
        draft.schedule.describe(),
        "2026-12-15 00:00 CET – 2027-01-05 23:59 CET"
    );
}

#[test]
fn each_bad_field_gets_its_message() {
    type Edit = fn(&mut WindowForm);
    let table: [(Edit, &str); 27] = [
        (|f| f.name = "  ".into(), "name"),
        (|f| f.kind = "party".into(), "kind"),
        (|f| f.reason = "x".repeat(2001), "reason"),
        (|f| f.time_zone = "Mars/Olympus".into(), "time_zone"),
        (|f| f.local_end = "22:00".into(), "local_end"),
        (|f| f.local_start = "25:00".into(), "local_start"),
        (|f| f.series_start = "soon".into(), "series_start"),
        (|f| f.series_start = "1990-01-01".into(), "series_start"),
        (|f| f.days = vec![], "days"),
        (|f| f.days = vec!["XX".into()], "days"),
        (
            |f| {
                f.preset = "every_n_weeks".into();
                f.interval = "0".into();
            },
            "interval",
        ),
        (
            |f| {
                f.preset = "monthly_nth".into();
                f.nth = "5".into();
            },
            "nth",
        ),
        (
            |f| {
                f.preset = "yearly".into();
                f.year_month = "2".into();
                f.year_day = "30".into();
            },
            "year_day",
        ),
        (
            |f| {
                f.preset = "advanced".into();
                f.rrule = "FREQ=HOURLY".into();
            },
            "rrule",
        ),
        (
            |f| {
                f.preset = "advanced".into();
                f.rrule = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30".into();
            },
            "rrule",
        ),
        (
            |f| {
                f.preset = "advanced".into();
                f.rrule = "FREQ=DAILY;COUNT=2".into();
                f.ends = "after".into();
                f.count = "3".into();
            },
            "ends",
        ),
        (
            |f| {
                f.ends = "on".into();
                f.until = "2020-01-01".into();
            },
            "until",
        ),
        (
            |f| {
                f.ends = "after".into();
                f.count = "0".into();
            },
            "count",
        ),
        (|f| f.capacity = "0".into(), "capacity"),
        (|f| f.capacity = "many".into(), "capacity"),
        (
            |f| {
                f.kind = "freeze".into();
                f.capacity = "3".into();
            },
            "capacity",
        ),
        (
            |f| f.exempt_types = vec!["emergency".into()],
            "exempt_types",
        ),
        (
            |f| {
                f.kind = "freeze".into();
                f.exempt_types = vec!["urgent".into()];
            },
            "exempt_types",
        ),
        (|f| f.all_environments = false, "environments"),
        (
            |f| {
                f.all_products = false;
                f.products = vec![Uuid::now_v7().to_string()];
            },
            "products",
        ),
        (
            |f| {
                f.schedule = "one_off".into();
                f.starts_at = "2026-12-15T10:00".into();
                f.ends_at = "2026-12-15T09:00".into();
            },
            "ends_at",
        ),
        (
            |f| {
                f.schedule = "one_off".into();
                f.starts_at = "2026-03-29T02:30".into();
                f.ends_at = "2026-03-29T05:00".into();
            },
            "starts_at",
        ),
    ];
    for (edit, field) in table {
        let mut form = base();
        edit(&mut form);
        let errors = parse(&form, &envs()).expect_err(field);
        assert!(!errors.get(field).is_empty(), "{field}: {errors:?}");
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let mut form = base();
    form.name = String::new();
    form.time_zone = "Nowhere".into();
    form.days = vec![];
    form.capacity = "0".into();
    let errors = parse(&form, &[]).expect_err("invalid");
    for field in ["name", "time_zone", "days", "capacity"] {
        assert!(!errors.get(field).is_empty(), "{field}: {errors:?}");
    }
}

#[test]
fn chosen_scopes_and_exemptions_are_kept() {
    let known = envs();
    let mut form = base();
    form.kind = "freeze".into();
    form.all_environments = false;
    form.environments = vec![known[1].to_string(), known[1].to_string()];
    form.exempt_types = vec!["hotfix".into(), "emergency".into()];
    let draft = parse(&form, &known).expect("valid");
    assert_eq!(draft.environments, Scope::Only(vec![known[1]]));
    assert_eq!(draft.products, Scope::All);
    assert_eq!(
        draft.exempt_types,
        vec![ExemptType::Hotfix, ExemptType::Emergency]
    );
    assert_eq!(draft.capacity, None);
}

#[test]
fn a_stored_window_comes_back_as_the_same_form() {
    let known = envs();
    let edits: [fn(&mut WindowForm); 5] = [
        |_| {},
        |f| {
            f.preset = "monthly_nth".into();
            f.nth = "-1".into();
            f.nth_weekday = "FR".into();
            f.ends = "on".into();
            f.until = "2027-06-30".into();
        },
        |f| {
            f.preset = "advanced".into();
            f.rrule = "FREQ=MONTHLY;BYMONTHDAY=1,15;COUNT=4".into();
        },
        |f| {
            f.schedule = "one_off".into();
            f.starts_at = "2026-12-15T00:00".into();
            f.ends_at = "2027-01-05T23:59".into();
        },
        |f| {
            f.kind = "freeze".into();
            f.all_products = false;
            f.products = vec![f.products[0].clone()];
            f.exempt_types = vec!["emergency".into()];
        },
    ];
    for edit in edits {
        let mut form = base();
        form.products = vec![known[0].to_string()];
        edit(&mut form);
        let draft = parse(&form, &known).expect("valid");
        let window = Window {
            id: WindowId::new(),
            kind: draft.kind,
            name: draft.name.clone(),
            reason: draft.reason.clone(),
            environments: draft.environments.clone(),
            products: draft.products.clone(),
            exempt_types: draft.exempt_types.clone(),
            schedule: draft.schedule.clone(),
            capacity: draft.capacity,
            archived: false,
            revision: 1,
            cancelled: vec![],
        };
        let again = WindowForm::of(&window, "Europe/Berlin", today());
        assert_eq!(parse(&again, &known), Ok(draft), "{form:?}");
    }
}

#[test]
fn posted_pairs_fill_lists_and_flags() {
    let pairs: Vec<(String, String)> = [
        ("name", "Nightly"),
        ("days", "TU"),
        ("days", "TH"),
        ("all_environments", "true"),
        ("environments", "x"),
        ("unknown", "ignored"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let form = WindowForm::from_pairs(&pairs);
    assert_eq!(form.name, "Nightly");
    assert_eq!(form.days, vec!["TU", "TH"]);
    assert!(form.all_environments && !form.all_products);
    assert_eq!(form.environments, vec!["x"]);
}
