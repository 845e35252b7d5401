//! Release windows and freezes: create (one-off and recurring), edit,
//! archive, delete, cancel and restore an occurrence; every validation
//! error; stale edits; roles; tenancy; audit events; list filters; and the
//! `overlapping` query the calendar uses. Names start with "Z" so they never
//! meet the demo portfolio's.

use crate::helpers::{Browser, audit_count, location, spawn_app, tenant_id};
use almanac_db::windows;
use almanac_domain::TenantId;
use reqwest::StatusCode;
use sqlx::PgPool;
use sqlx::types::chrono::{DateTime, TimeZone as _, Utc};
use uuid::Uuid;

const NEW: &str = "/acme/windows/new";

/// A valid recurring release window form, with `changes` applied (a key
/// given an empty value is removed; repeated keys replace all of that key).
fn form(changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("kind", "release"),
        ("name", "Z Production window"),
        ("reason", "Agreed with operations"),
        ("all_environments", "true"),
        ("all_products", "true"),
        ("schedule", "recurring"),
        ("preset", "weekly"),
        ("days", "TU"),
        ("days", "TH"),
        ("interval", "2"),
        ("nth", "2"),
        ("nth_weekday", "TU"),
        ("year_month", "12"),
        ("year_day", "15"),
        ("rrule", ""),
        ("series_start", "2026-01-01"),
        ("local_start", "22:00"),
        ("local_end", "02:00"),
        ("time_zone", "America/New_York"),
        ("ends", "never"),
        ("until", ""),
        ("count", ""),
        ("capacity", ""),
        ("starts_at", ""),
        ("ends_at", ""),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let mut replaced: Vec<&str> = Vec::new();
    for (key, value) in changes {
        if !replaced.contains(key) {
            fields.retain(|(k, _)| k != key);
            replaced.push(key);
        }
        if !value.is_empty() {
            fields.push(((*key).to_owned(), (*value).to_owned()));
        }
    }
    fields
}

async fn post(b: &Browser, from: &str, to: &str, fields: &[(String, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post(from, to, &pairs).await
}

/// Creates a window through the form; its id.
async fn create(b: &Browser, changes: &[(&str, &str)]) -> Uuid {
    let r = post(b, NEW, NEW, &form(changes)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "create {changes:?}");
    let to = location(&r);
    let id = to.rsplit('/').next().expect("id");
    Uuid::parse_str(id).expect("uuid in location")
}

async fn window_count(owner: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM windows WHERE name = $1")
        .bind(name)
        .fetch_one(owner)
        .await
        .expect("count")
}

/// Inserts an environment of acme (owner pool; the environments pages
/// belong to another area).
async fn environment(owner: &PgPool, name: &str) -> Uuid {
    let tenant = tenant_id(owner, "acme").await;
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO environments (tenant_id, id, name, position) VALUES ($1, $2, $3, 99)")
        .bind(tenant)
        .bind(id)
        .bind(name)
        .execute(owner)
        .await
        .expect("environment");
    id
}

async fn product(owner: &PgPool, key: &str) -> Uuid {
    let tenant = tenant_id(owner, "acme").await;
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO products (tenant_id, id, key, name) VALUES ($1, $2, $3, $3)")
        .bind(tenant)
        .bind(id)
        .bind(key)
        .execute(owner)
        .await
        .expect("product");
    id
}

#[sqlx::test(migrations = false)]
async fn a_recurring_release_window_is_created_described_and_listed(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let (status, html) = b.get_text(NEW).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("name=\"preset\" value=\"monthly_nth\""),
        "every preset is on the page"
    );
    let id = create(&b, &[("capacity", "2")]).await;

    let (status, html) = b.get_text(&format!("/acme/windows/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("“Z Production window” was created."));
    assert!(html.contains("Every Tuesday and Thursday, 22:00–02:00 America/New_York"));
    assert!(html.contains("2 deployments per occurrence"));
    assert_eq!(
        html.matches("Cancel this occurrence").count(),
        5,
        "next 5 occurrences"
    );
    assert!(html.contains("window created"), "history panel");

    let (_, list) = b.get_text("/acme/windows").await;
    assert!(list.contains("Z Production window"));
    assert!(list.contains("Every Tuesday and Thursday, 22:00–02:00 America/New_York"));

    let row: (Option<String>, String, bool) =
        sqlx::query_as("SELECT rrule, time_zone, upper_inf(span) FROM windows WHERE id = $1")
            .bind(id)
            .fetch_one(&app.owner)
            .await
            .expect("row");
    assert_eq!(row.0.as_deref(), Some("FREQ=WEEKLY;BYDAY=TU,TH"));
    assert_eq!(row.1, "America/New_York");
    assert!(row.2, "an endless series has an unbounded span");
    assert_eq!(audit_count(&app.owner, "window.created").await, 1);
}

#[sqlx::test(migrations = false)]
async fn a_one_off_freeze_with_scope_and_exemptions(owner: PgPool) {
    let app = spawn_app(owner).await;
    let prod = environment(&app.owner, "zprod").await;
    let pay = product(&app.owner, "ZPAY").await;
    let b = app.signed_in("rm@acme.test").await;
    let prod_s = prod.to_string();
    let pay_s = pay.to_string();
    let id = create(
        &b,
        &[
            ("kind", "freeze"),
            ("name", "Z Year-end freeze"),
            ("schedule", "one_off"),
            ("starts_at", "2026-12-15T00:00"),
            ("ends_at", "2027-01-05T23:59"),
            ("all_environments", ""),
            ("environments", &prod_s),
            ("all_products", ""),
            ("products", &pay_s),
            ("exempt_types", "emergency"),
        ],
    )
    .await;
    let (_, html) = b.get_text(&format!("/acme/windows/{id}")).await;
    assert!(html.contains("badge-freeze\">Freeze"));
    assert!(html.contains("zprod") && html.contains("ZPAY"));
    assert!(html.contains("Lets through: emergency"));
    let (_, list) = b.get_text("/acme/windows").await;
    assert!(list.contains("badge badge-freeze\">Freeze</span>"));

    let row: (bool, Vec<String>) =
        sqlx::query_as("SELECT upper_inf(span), exempt_types FROM windows WHERE id = $1")
            .bind(id)
            .fetch_one(&app.owner)
            .await
            .expect("row");
    assert!(!row.0, "a one-off span is bounded");
    assert_eq!(row.1, vec!["emergency"]);
    let scoped: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM window_environments WHERE window_id = $1),
                (SELECT count(*) FROM window_products WHERE window_id = $1)",
    )
    .bind(id)
    .fetch_one(&app.owner)
    .await
    .expect("scope");
    assert_eq!(scoped, (1, 1));
    assert_eq!(audit_count(&app.owner, "window.created").await, 1);
}

#[sqlx::test(migrations = false)]
async fn every_invalid_form_answers_422_and_saves_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    // (changes, the message shown)
    let table: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("name", "")], "enter a name"),
        (
            vec![
                ("schedule", "one_off"),
                ("starts_at", "2026-12-15T10:00"),
                ("ends_at", "2026-12-15T09:00"),
            ],
            "the end must be after the start",
        ),
        (
            vec![("time_zone", "Mars/Olympus_Mons")],
            "choose an IANA time zone",
        ),
        (
            vec![("preset", "advanced"), ("rrule", "FREQ=HOURLY")],
            "FREQ=HOURLY is not supported here",
        ),
        (
            vec![
                ("preset", "advanced"),
                ("rrule", "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=-1"),
            ],
            "BYSETPOS is not supported here",
        ),
        (
            vec![
                ("preset", "advanced"),
                ("rrule", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"),
            ],
            "never produces an occurrence",
        ),
        (vec![("capacity", "0")], "at least 1"),
        (
            vec![("kind", "freeze"), ("capacity", "3")],
            "a freeze has no capacity",
        ),
        (
            vec![("exempt_types", "emergency")],
            "only a freeze exempts release types",
        ),
        (
            vec![("local_end", "22:00")],
            "the end time must differ from the start time",
        ),
        (vec![("days", "")], "choose at least one day of the week"),
        (
            vec![("all_environments", "")],
            "choose at least one environment",
        ),
    ];
    for (changes, message) in table {
        let r = post(&b, NEW, NEW, &form(&changes)).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{changes:?}");
        let html = r.text().await.expect("body");
        assert!(html.contains(message), "{changes:?}: {message}");
        assert!(html.contains("Please correct"), "{changes:?}");
        assert!(html.contains("value=\"22:00\""), "the input is kept");
    }
    assert_eq!(window_count(&app.owner, "Z Production window").await, 0);
    assert_eq!(audit_count(&app.owner, "window.created").await, 0);
}

#[sqlx::test(migrations = false)]
async fn an_edit_saves_and_a_stale_edit_answers_409_keeping_the_input(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let id = create(&b, &[]).await;
    let edit = format!("/acme/windows/{id}/edit");
    let (status, html) = b.get_text(&edit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"revision\" value=\"1\""));
    assert!(
        html.contains("value=\"TU\" checked"),
        "the stored rule fills its preset"
    );

    let changes = [
        ("name", "Z Fortnightly window"),
        ("preset", "every_n_weeks"),
        ("interval", "2"),
        ("days", "TU"),
        ("time_zone", "Europe/Berlin"),
        ("revision", "1"),
    ];
    let r = post(&b, &edit, &edit, &form(&changes)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get_text(&format!("/acme/windows/{id}")).await;
    assert!(html.contains("Every other Tuesday, 22:00–02:00 Europe/Berlin"));
    assert!(
        html.contains("Starts (Europe/Berlin)") && html.contains("Starts (America/New_York)"),
        "occurrences in the window's zone and the viewer's"
    );
    assert!(html.contains("window updated"));
    assert_eq!(audit_count(&app.owner, "window.updated").await, 1);

    // The same form again, still at revision 1: someone saved in between.
    let stale = [("name", "Z Lost edit"), ("revision", "1")];
    let r = post(&b, &edit, &edit, &form(&stale)).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(html.contains("value=\"Z Lost edit\""), "the input is kept");
    assert!(
        html.contains("Z Fortnightly window"),
        "the current window is shown"
    );
    assert!(html.contains("name=\"revision\" value=\"2\""));
    assert_eq!(window_count(&app.owner, "Z Lost edit").await, 0);
    assert_eq!(audit_count(&app.owner, "window.updated").await, 1);

    // Invalid edits change nothing either.
    let r = post(&b, &edit, &edit, &form(&[("name", ""), ("revision", "2")])).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(window_count(&app.owner, "Z Fortnightly window").await, 1);
}

#[sqlx::test(migrations = false)]
async fn a_window_is_archived_restored_and_deleted_after_confirmation(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let id = create(&b, &[]).await;
    let page = format!("/acme/windows/{id}");
    let r = b
        .post(
            &page,
            &format!("{page}/archive"),
            &[("archived", "true"), ("revision", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get_text(&page).await;
    assert!(html.contains("was archived") && html.contains(">Restore</button>"));
    let (_, list) = b.get_text("/acme/windows").await;
    assert!(
        !list.contains("Z Production window"),
        "archived windows are hidden"
    );
    let (_, list) = b.get_text("/acme/windows?archived=true").await;
    assert!(list.contains("Z Production window") && list.contains("archived"));
    let r = b
        .post(
            &page,
            &format!("{page}/archive"),
            &[("archived", "false"), ("revision", "2")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(audit_count(&app.owner, "window.archived").await, 1);
    assert_eq!(audit_count(&app.owner, "window.restored").await, 1);

    let confirm = format!("{page}/delete");
    let (status, html) = b.get_text(&confirm).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Delete the release window “Z Production window”?"));
    let r = b.post(&confirm, &confirm, &[("revision", "3")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/acme/windows");
    assert_eq!(window_count(&app.owner, "Z Production window").await, 0);
    assert_eq!(audit_count(&app.owner, "window.deleted").await, 1);
    assert_eq!(b.get(&page).await.status(), StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = false)]
async fn a_single_occurrence_is_cancelled_with_a_reason_and_restored(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let id = create(&b, &[("preset", "daily")]).await;
    let page = format!("/acme/windows/{id}");
    // The first occurrence listed on the page.
    let (_, html) = b.get_text(&page).await;
    let marker = "/occurrences/";
    let at = html.find(marker).expect("an occurrence link") + marker.len();
    let date = html[at..at + 10].to_owned();
    let confirm = format!("{page}/occurrences/{date}/cancel");
    let (status, html) = b.get_text(&confirm).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Cancel the occurrence of “Z Production window”"));

    let long = "x".repeat(501);
    let r = b.post(&confirm, &confirm, &[("reason", &long)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let r = b
        .post(&confirm, &confirm, &[("reason", "Public holiday")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get_text(&page).await;
    assert!(html.contains("was cancelled"));
    assert!(html.contains("Public holiday"));
    assert!(html.contains("badge badge-grey\">cancelled"));
    assert_eq!(
        audit_count(&app.owner, "window.occurrence_cancelled").await,
        1
    );

    let restore = format!("{page}/occurrences/{date}/restore");
    let r = b.post(&page, &restore, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM window_exceptions WHERE window_id = $1")
            .bind(id)
            .fetch_one(&app.owner)
            .await
            .expect("count");
    assert_eq!(left, 0);
    assert_eq!(
        audit_count(&app.owner, "window.occurrence_restored").await,
        1
    );

    // A date the series does not have is not an occurrence.
    let weekly = create(&b, &[("name", "Z Weekly")]).await;
    let monday = format!("/acme/windows/{weekly}/occurrences/2026-01-05/cancel");
    assert_eq!(b.get(&monday).await.status(), StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = false)]
async fn viewers_read_everything_but_change_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let rm = app.signed_in("rm@acme.test").await;
    let id = create(&rm, &[]).await;
    let page = format!("/acme/windows/{id}");
    let viewer = app.signed_in("exec@acme.test").await;
    let (status, html) = viewer.get_text(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Every Tuesday and Thursday"));
    assert!(!html.contains("/edit\"") && !html.contains("Cancel this occurrence"));
    let (_, list) = viewer.get_text("/acme/windows").await;
    assert!(list.contains("Z Production window") && !list.contains("New window or freeze</a>"));
    assert_eq!(viewer.get(NEW).await.status(), StatusCode::FORBIDDEN);

    let r = post(
        &viewer,
        "/acme/windows",
        NEW,
        &form(&[("name", "Z By viewer")]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let edit = format!("{page}/edit");
    let r = post(&viewer, &page, &edit, &form(&[("revision", "1")])).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = viewer
        .post(&page, &format!("{page}/delete"), &[("revision", "1")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = viewer
        .post(
            &page,
            &format!("{page}/archive"),
            &[("archived", "true"), ("revision", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(window_count(&app.owner, "Z By viewer").await, 0);
    assert_eq!(audit_count(&app.owner, "window.created").await, 1);
}

#[sqlx::test(migrations = false)]
async fn another_tenants_window_is_not_found(owner: PgPool) {
    let app = spawn_app(owner).await;
    let rm = app.signed_in("rm@acme.test").await;
    let id = create(&rm, &[]).await;
    let globex = app.signed_in("rm@globex.test").await;
    for path in [
        format!("/globex/windows/{id}"),
        format!("/globex/windows/{id}/edit"),
        format!("/globex/windows/{id}/delete"),
        format!("/acme/windows/{id}"),
        "/globex/windows/not-an-id".to_owned(),
    ] {
        assert_eq!(
            globex.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let edit = format!("/globex/windows/{id}/edit");
    let r = post(
        &globex,
        "/globex/windows",
        &edit,
        &form(&[("revision", "1")]),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = globex
        .post(
            "/globex/windows",
            &format!("/globex/windows/{id}/delete"),
            &[("revision", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(window_count(&app.owner, "Z Production window").await, 1);
}

#[sqlx::test(migrations = false)]
async fn the_list_filters_by_kind_environment_and_product(owner: PgPool) {
    let app = spawn_app(owner).await;
    let prod = environment(&app.owner, "zprod").await;
    let qa = environment(&app.owner, "zqa").await;
    let pay = product(&app.owner, "ZPAY").await;
    let b = app.signed_in("rm@acme.test").await;
    let prod_s = prod.to_string();
    create(&b, &[("name", "Z Everywhere window")]).await;
    create(
        &b,
        &[
            ("kind", "freeze"),
            ("name", "Z Production freeze"),
            ("all_environments", ""),
            ("environments", &prod_s),
        ],
    )
    .await;
    let (_, html) = b.get_text("/acme/windows?kind=freeze").await;
    assert!(html.contains("Z Production freeze") && !html.contains("Z Everywhere window"));
    let (_, html) = b.get_text(&format!("/acme/windows?environment={qa}")).await;
    assert!(!html.contains("Z Production freeze") && html.contains("Z Everywhere window"));
    let (_, html) = b
        .get_text(&format!("/acme/windows?environment={prod}"))
        .await;
    assert!(html.contains("Z Production freeze") && html.contains("Z Everywhere window"));
    let (_, html) = b
        .get_text(&format!("/acme/windows?product={pay}&kind=release"))
        .await;
    assert!(!html.contains("Z Production freeze") && html.contains("Z Everywhere window"));
    let (_, html) = b
        .get_text(&format!(
            "/acme/windows?kind=release&environment={qa}&product={pay}"
        ))
        .await;
    assert!(html.contains("Z Everywhere window"));
}

#[sqlx::test(migrations = false)]
async fn overlapping_finds_the_windows_a_calendar_range_can_touch(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    create(&b, &[("name", "Z Endless"), ("series_start", "2026-03-01")]).await;
    create(
        &b,
        &[
            ("name", "Z One-off"),
            ("schedule", "one_off"),
            ("starts_at", "2026-06-01T09:00"),
            ("ends_at", "2026-06-01T17:00"),
        ],
    )
    .await;
    create(
        &b,
        &[
            ("name", "Z Counted"),
            ("series_start", "2026-01-01"),
            ("ends", "after"),
            ("count", "2"),
        ],
    )
    .await;
    let tenant = TenantId(tenant_id(&app.owner, "acme").await);
    let names = |from: DateTime<Utc>, to: DateTime<Utc>| {
        let pool = app.owner.clone();
        async move {
            let found = almanac_db::scope::in_tenant_on(pool, tenant, None, move |tx| {
                Box::pin(async move { windows::overlapping(tx, tenant, from, to).await })
            })
            .await
            .expect("overlapping");
            found
                .into_iter()
                .map(|w| w.name.as_str().to_owned())
                .filter(|n| n.starts_with("Z "))
                .collect::<Vec<_>>()
        }
    };
    let at = |y, m, d| {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
            .single()
            .expect("date")
    };
    assert_eq!(
        names(at(2026, 1, 1), at(2026, 1, 31)).await,
        vec!["Z Counted"]
    );
    assert_eq!(
        names(at(2026, 5, 31), at(2026, 6, 2)).await,
        vec!["Z Endless", "Z One-off"]
    );
    assert_eq!(
        names(at(2030, 1, 1), at(2030, 2, 1)).await,
        vec!["Z Endless"]
    );
}
