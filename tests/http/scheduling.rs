//! Scheduling a deployment (issue 4): next free slots that avoid freezes
//! and full occurrences, choosing a window occurrence or explicit times in
//! the viewer's zone, the conflicts shown before confirming, break-glass
//! (a reason, a release manager, audited, shown on the release page),
//! stale choices, the calendar's unscheduled list, another tenant's ids.
//!
//! Each test builds a small plan around today (slots are looked for from
//! now): a daily production window 22:00–02:00 UTC with one place, a freeze
//! of production from day 1 00:00 to day 3 00:00 UTC, release SCPAY 1.0.0
//! whose production deployment is not planned yet, and SCPAY 0.9.0 in
//! production on day 4 at 22:00 (filling that occurrence).

use crate::helpers::{Browser, audit_count, location, spawn_app, tenant_id};
use almanac_db::DbError;
use almanac_db::scope::in_tenant_on;
use almanac_db::windows;
use almanac_domain::TenantId;
use almanac_domain::recurrence::{RRule, Recurrence};
use almanac_domain::tenant::TimeZone;
use almanac_domain::window::{
    Scope, WindowDraft, WindowId, WindowKind, WindowName, WindowSchedule,
};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone as _, Utc};
use reqwest::StatusCode;
use sqlx::PgPool;
use uuid::Uuid;

struct Fixture {
    tenant: Uuid,
    today: NaiveDate,
    staging: Uuid,
    prod: Uuid,
    /// SCPAY 1.0.0 and its unplanned production deployment.
    release: Uuid,
    deployment: Uuid,
    /// SCPAY 0.9.0 and its production deployment on day 4 at 22:00.
    other: Uuid,
    other_deployment: Uuid,
}

impl Fixture {
    /// Day `n` (from today, UTC) at `hh:mm` UTC.
    fn at(&self, n: i64, hh: u32, mm: u32) -> DateTime<Utc> {
        (self.today + Duration::days(n))
            .and_time(NaiveTime::from_hms_opt(hh, mm, 0).expect("time"))
            .and_utc()
    }

    fn pick(&self) -> String {
        format!(
            "/acme/releases/{}/deployments/{}/schedule",
            self.release, self.deployment
        )
    }

    fn confirm_slot(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
        format!(
            "{}/confirm?start={}&end={}",
            self.pick(),
            param(start),
            param(end)
        )
    }
}

fn param(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

async fn insert_id(owner: &PgPool, sql: &str, tenant: Uuid, text: &str) -> Uuid {
    sqlx::query_scalar::<_, Uuid>(sql)
        .bind(tenant)
        .bind(Uuid::now_v7())
        .bind(text)
        .fetch_one(owner)
        .await
        .expect("insert")
}

async fn release(owner: &PgPool, tenant: Uuid, product: Uuid, version: &str, status: &str) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO releases (tenant_id, id, product_id, version, type, status)
         VALUES ($1, $2, $3, $4, 'minor', $5) RETURNING id",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(product)
    .bind(version)
    .bind(status)
    .fetch_one(owner)
    .await
    .expect("release")
}

async fn deployment(
    owner: &PgPool,
    tenant: Uuid,
    release: Uuid,
    environment: Uuid,
    planned: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO deployments (tenant_id, id, release_id, environment_id, planned_start, planned_end)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(release)
    .bind(environment)
    .bind(planned.map(|p| p.0))
    .bind(planned.map(|p| p.1))
    .fetch_one(owner)
    .await
    .expect("deployment")
}

async fn window(owner: &PgPool, tenant: Uuid, draft: WindowDraft) {
    in_tenant_on(owner.clone(), TenantId(tenant), None, move |tx| {
        Box::pin(async move {
            windows::create(tx, TenantId(tenant), WindowId::new(), &draft).await?;
            Ok::<_, DbError>(())
        })
    })
    .await
    .expect("window");
}

async fn fixture(owner: &PgPool) -> Fixture {
    let tenant = tenant_id(owner, "acme").await;
    let today = Utc::now().date_naive();
    let product = insert_id(
        owner,
        "INSERT INTO products (tenant_id, id, key, name) VALUES ($1, $2, $3, 'Scheduled payments')
         RETURNING id",
        tenant,
        "SCPAY",
    )
    .await;
    let staging = insert_id(
        owner,
        "INSERT INTO environments (tenant_id, id, name, position) VALUES ($1, $2, $3, 20)
         RETURNING id",
        tenant,
        "sc-staging",
    )
    .await;
    let prod = insert_id(
        owner,
        "INSERT INTO environments (tenant_id, id, name, position, is_production, requires_window)
         VALUES ($1, $2, $3, 30, true, true) RETURNING id",
        tenant,
        "sc-production",
    )
    .await;
    let utc = TimeZone::UTC;
    let time = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("time");
    window(
        owner,
        tenant,
        WindowDraft {
            kind: WindowKind::Release,
            name: WindowName::parse("Nightly production window").expect("name"),
            reason: String::new(),
            environments: Scope::Only(vec![prod]),
            products: Scope::All,
            exempt_types: Vec::new(),
            schedule: WindowSchedule::Recurring(
                Recurrence::new(
                    RRule::parse("FREQ=DAILY", utc).expect("rule"),
                    today - Duration::days(1),
                    time(22),
                    time(2),
                    utc,
                )
                .expect("recurrence"),
            ),
            capacity: Some(1),
        },
    )
    .await;
    let f = Fixture {
        tenant,
        today,
        staging,
        prod,
        release: Uuid::nil(),
        deployment: Uuid::nil(),
        other: Uuid::nil(),
        other_deployment: Uuid::nil(),
    };
    window(
        owner,
        tenant,
        WindowDraft {
            kind: WindowKind::Freeze,
            name: WindowName::parse("Launch freeze").expect("name"),
            reason: "Marketing launch".into(),
            environments: Scope::Only(vec![prod]),
            products: Scope::All,
            exempt_types: Vec::new(),
            schedule: WindowSchedule::OneOff {
                start: f.at(1, 0, 0),
                end: f.at(3, 0, 0),
                zone: utc,
            },
            capacity: None,
        },
    )
    .await;
    let r1 = release(owner, tenant, product, "1.0.0", "planned").await;
    let d1 = deployment(owner, tenant, r1, prod, None).await;
    deployment(
        owner,
        tenant,
        r1,
        staging,
        Some((f.at(10, 10, 0), f.at(10, 11, 0))),
    )
    .await;
    let r2 = release(owner, tenant, product, "0.9.0", "scheduled").await;
    let d2 = deployment(
        owner,
        tenant,
        r2,
        prod,
        Some((f.at(4, 22, 0), f.at(4, 23, 0))),
    )
    .await;
    Fixture {
        release: r1,
        deployment: d1,
        other: r2,
        other_deployment: d2,
        ..f
    }
}

/// (planned start, planned end, override reason, revision) of a deployment.
async fn stored(
    owner: &PgPool,
    id: Uuid,
) -> (
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<String>,
    i32,
) {
    sqlx::query_as(
        "SELECT planned_start, planned_end, override_reason, revision FROM deployments WHERE id = $1",
    )
    .bind(id)
    .fetch_one(owner)
    .await
    .expect("deployment")
}

async fn schedule(
    b: &Browser,
    f: &Fixture,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    revision: i32,
    reason: &str,
) -> reqwest::Response {
    let (start, end, revision) = (param(start), param(end), revision.to_string());
    b.post(
        "/acme/releases",
        &f.pick(),
        &[
            ("start", start.as_str()),
            ("end", end.as_str()),
            ("revision", revision.as_str()),
            ("override_reason", reason),
        ],
    )
    .await
}

/// The part of the pick page listing the next free slots.
fn free_section(html: &str) -> &str {
    let from = html.find("Next free slots").expect("free slots section");
    let to = html
        .find("Window occurrences for")
        .expect("occurrences section");
    &html[from..to]
}

#[sqlx::test(migrations = false)]
async fn next_free_slots_avoid_freezes_and_full_occurrences(owner: PgPool) {
    let app = spawn_app(owner).await;
    let f = fixture(&app.owner).await;
    let rm = app.signed_in("rm@acme.test").await;
    let (status, html) = rm.get_text(&f.pick()).await;
    assert_eq!(status, StatusCode::OK);
    let free = free_section(&html);
    let slot = |n| format!("start={}", param(f.at(n, 22, 0)));
    for n in [1, 2] {
        assert!(!free.contains(&slot(n)), "day {n} is frozen: {free}");
    }
    assert!(!free.contains(&slot(4)), "day 4 is full");
    for n in [3, 5, 6] {
        assert!(free.contains(&slot(n)), "day {n} is free");
    }
    assert_eq!(free.matches("start=").count(), 10, "ten free slots");
    // The occurrences list says why the others are not free.
    let occurrences = &html[html.find("Window occurrences for").expect("section")..];
    assert!(occurrences.contains("Inside the freeze “Launch freeze”"));
    assert!(occurrences.contains("is over capacity: 2 deployments for 1 place."));
    assert!(occurrences.contains("Overlaps SCPAY 0.9.0 on sc-production (not shared)."));
    assert!(occurrences.contains("0 places left"), "day 4 is taken");
    assert!(occurrences.contains("1 place left"));
    // Viewers see the page but no choices.
    let exec = app.signed_in("exec@acme.test").await;
    let (status, html) = exec.get_text(&f.pick()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("/schedule/confirm?"), "no Choose links");
    assert!(!html.contains("Explicit times"));
}

#[sqlx::test(migrations = false)]
async fn a_free_occurrence_is_confirmed_then_saved_and_audited(owner: PgPool) {
    let app = spawn_app(owner).await;
    let f = fixture(&app.owner).await;
    let rm = app.signed_in("rm@acme.test").await;
    let (start, end) = (f.at(3, 22, 0), f.at(4, 0, 0));
    let (status, html) = rm.get_text(&f.confirm_slot(start, end)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No conflicts"), "{html}");
    assert_eq!(
        stored(&app.owner, f.deployment).await.0,
        None,
        "nothing saved yet"
    );
    let revision = stored(&app.owner, f.deployment).await.3;
    let r = schedule(&rm, &f, start, end, revision, "").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/acme/releases/{}", f.release));
    let (planned_start, planned_end, reason, _) = stored(&app.owner, f.deployment).await;
    assert_eq!((planned_start, planned_end), (Some(start), Some(end)));
    assert_eq!(reason, None);
    assert_eq!(audit_count(&app.owner, "deployment.scheduled").await, 1);
    assert_eq!(audit_count(&app.owner, "deployment.break_glass").await, 0);
    let (_, html) = rm.get_text(&format!("/acme/releases/{}", f.release)).await;
    assert!(html.contains("Deployment of SCPAY 1.0.0 to sc-production scheduled"));
    // The occurrence is full now: it is no longer a free slot for the other release.
    let pick_other = format!(
        "/acme/releases/{}/deployments/{}/schedule",
        f.other, f.other_deployment
    );
    let (_, html) = rm.get_text(&pick_other).await;
    assert!(!free_section(&html).contains(&format!("start={}", param(start))));
}

#[sqlx::test(migrations = false)]
async fn explicit_times_are_read_in_the_viewers_zone_and_warnings_accepted(owner: PgPool) {
    let app = spawn_app(owner).await;
    let f = fixture(&app.owner).await;
    sqlx::query("UPDATE users SET time_zone = 'America/New_York' WHERE email = 'rm@acme.test'")
        .execute(&app.owner)
        .await
        .expect("zone");
    let rm = app.signed_in("rm@acme.test").await;
    let day = f.today + Duration::days(6);
    let ny = chrono_tz::America::New_York;
    let local = |h| {
        ny.from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(h, 0, 0).expect("time")))
            .single()
            .expect("instant")
            .with_timezone(&Utc)
    };
    let input = |h: u32| format!("{day}T{h:02}:00");
    // End before start: 422, nothing saved.
    let bad = format!(
        "{}/confirm?planned_start={}&planned_end={}",
        f.pick(),
        input(12),
        input(11)
    );
    let (status, html) = rm.get_text(&bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("the planned end must be after the planned start"));
    assert!(html.contains(&input(11)), "input kept");
    let (status, html) = rm
        .get_text(&format!("{}/confirm?planned_start=soon", f.pick()))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("enter a date and time"));
    // Noon in New York is outside the window: a warning, shown before saving.
    let good = format!(
        "{}/confirm?planned_start={}&planned_end={}",
        f.pick(),
        input(12),
        input(13)
    );
    let (status, html) = rm.get_text(&good).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(
        "Outside every occurrence of a release window for sc-production, which requires one."
    ));
    assert!(html.contains("accepting 1 warning"));
    assert!(
        !html.contains("Break-glass reason"),
        "warnings need no reason"
    );
    assert!(
        html.contains(&param(local(12))),
        "the instant of noon in New York"
    );
    assert_eq!(stored(&app.owner, f.deployment).await.0, None);
    let revision = stored(&app.owner, f.deployment).await.3;
    let r = schedule(&rm, &f, local(12), local(13), revision, "").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored(&app.owner, f.deployment).await.0, Some(local(12)));
    let (_, html) = rm.get_text(&format!("/acme/releases/{}", f.release)).await;
    assert!(html.contains("1 warning accepted"));
    assert!(
        html.contains("Outside every occurrence of a release window for sc-production"),
        "the release page lists the deployment's conflicts"
    );
    assert!(
        html.contains(" EST") || html.contains(" EDT"),
        "times in the viewer's zone"
    );
}

#[sqlx::test(migrations = false)]
async fn blocking_conflicts_need_a_reason_and_a_release_manager(owner: PgPool) {
    let app = spawn_app(owner).await;
    let f = fixture(&app.owner).await;
    let (start, end) = (f.at(1, 22, 0), f.at(2, 0, 0));
    let rm = app.signed_in("rm@acme.test").await;
    let (status, html) = rm.get_text(&f.confirm_slot(start, end)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Inside the freeze “Launch freeze”"), "{html}");
    assert!(html.contains("Break-glass reason"));
    let revision = stored(&app.owner, f.deployment).await.3;

    // Without a reason: 422, nothing saved.
    let r = schedule(&rm, &f, start, end, revision, "   ").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(html.contains("only be overridden with a written reason"));
    assert_eq!(stored(&app.owner, f.deployment).await.0, None);
    let r = schedule(&rm, &f, start, end, revision, &"x".repeat(1001)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Approvers and viewers may not, reason or not.
    for email in ["cab@acme.test", "exec@acme.test"] {
        let b = app.signed_in(email).await;
        let r = schedule(&b, &f, start, end, revision, "We must").await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{email}");
    }
    assert_eq!(stored(&app.owner, f.deployment).await.0, None);
    assert_eq!(audit_count(&app.owner, "deployment.scheduled").await, 0);

    // A release manager with a reason: saved, audited, shown.
    let r = schedule(&rm, &f, start, end, revision, "Regulator deadline").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (planned_start, _, reason, _) = stored(&app.owner, f.deployment).await;
    assert_eq!(planned_start, Some(start));
    assert_eq!(reason.as_deref(), Some("Regulator deadline"));
    assert_eq!(audit_count(&app.owner, "deployment.scheduled").await, 1);
    assert_eq!(audit_count(&app.owner, "deployment.break_glass").await, 1);
    let (_, html) = rm.get_text(&format!("/acme/releases/{}", f.release)).await;
    assert!(html.contains("Break-glass over 1 blocking conflict"));
    assert!(
        html.contains("Regulator deadline"),
        "the reason is on the release page"
    );
    assert!(html.contains("overridden (break-glass)"));
    assert!(html.contains("Inside the freeze “Launch freeze”"));
    let exec = app.signed_in("exec@acme.test").await;
    let (_, html) = exec
        .get_text(&format!("/acme/releases/{}", f.release))
        .await;
    assert!(html.contains("Regulator deadline"), "viewers see it too");
}

#[sqlx::test(migrations = false)]
async fn a_stale_choice_answers_409_and_saves_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let f = fixture(&app.owner).await;
    let rm = app.signed_in("rm@acme.test").await;
    let revision = stored(&app.owner, f.deployment).await.3;
    sqlx::query("UPDATE deployments SET revision = revision + 1 WHERE id = $1")
        .bind(f.deployment)
        .execute(&app.owner)
        .await
        .expect("bump");
    let r = schedule(&rm, &f, f.at(3, 22, 0), f.at(4, 0, 0), revision, "").await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(html.contains("Someone else changed this deployment"));
    assert!(html.contains(&format!("name=\"revision\" value=\"{}\"", revision + 1)));
    assert_eq!(stored(&app.owner, f.deployment).await.0, None);
    assert_eq!(audit_count(&app.owner, "deployment.scheduled").await, 0);
}

#[sqlx::test(migrations = false)]
async fn moving_a_go_live_offers_to_shift_the_milestones(owner: PgPool) {
    let app = spawn_app(owner).await;
    let f = fixture(&app.owner).await;
    sqlx::query(
        "INSERT INTO milestones (tenant_id, id, release_id, name, due_at) VALUES ($1, $2, $3, 'Code freeze', $4)",
    )
    .bind(f.tenant)
    .bind(Uuid::now_v7())
    .bind(f.other)
    .bind(f.at(2, 17, 0))
    .execute(&app.owner)
    .await
    .expect("milestone");
    let rm = app.signed_in("rm@acme.test").await;
    let revision = stored(&app.owner, f.other_deployment).await.3;
    let pick = format!(
        "/acme/releases/{}/deployments/{}/schedule",
        f.other, f.other_deployment
    );
    let (start, end) = (f.at(5, 22, 0), f.at(5, 23, 0));
    let confirm = format!("{pick}/confirm?start={}&end={}", param(start), param(end));
    let (_, html) = rm.get_text(&confirm).await;
    assert!(
        html.contains("shift the 1 milestone not done yet"),
        "{html}"
    );
    let (s, e, rv) = (param(start), param(end), revision.to_string());
    let r = rm
        .post(
            "/acme/releases",
            &pick,
            &[("start", &s), ("end", &e), ("revision", &rv)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        format!("/acme/releases/{}/milestones/shift?by=86400", f.other)
    );
    // Going live before the code freeze is warned about.
    let early = format!(
        "{pick}/confirm?start={}&end={}",
        param(f.at(0, 1, 0)),
        param(f.at(0, 2, 0))
    );
    let (_, html) = rm.get_text(&early).await;
    assert!(
        !html.contains("Go-live is before the code freeze"),
        "the milestone moves along"
    );
}

#[sqlx::test(migrations = false)]
async fn the_calendar_entry_lists_deployments_without_times(owner: PgPool) {
    let app = spawn_app(owner).await;
    let f = fixture(&app.owner).await;
    let rm = app.signed_in("rm@acme.test").await;
    let day = f.today + Duration::days(3);
    let (status, html) = rm
        .get_text(&format!(
            "/acme/releases/schedule?environment={}&date={day}",
            f.prod
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("1.0.0"));
    assert!(html.contains(&format!("{}?date={day}", f.pick())));
    assert!(
        !html.contains("0.9.0"),
        "planned deployments are not listed"
    );
    let (_, html) = rm
        .get_text(&format!(
            "/acme/releases/schedule?environment={}",
            f.staging
        ))
        .await;
    assert!(html.contains("Every deployment to this environment has planned times"));
    // The pick page looks from that day on.
    let (_, html) = rm.get_text(&format!("{}?date={day}", f.pick())).await;
    let free = free_section(&html);
    assert!(!free.contains(&format!("start={}", param(f.at(0, 22, 0)))));
    assert!(free.contains(&format!("start={}", param(f.at(3, 22, 0)))));
}

#[sqlx::test(migrations = false)]
async fn another_tenants_ids_are_not_found(owner: PgPool) {
    let app = spawn_app(owner).await;
    let f = fixture(&app.owner).await;
    let globex = app.signed_in("rm@globex.test").await;
    let theirs = f.pick().replacen("/acme/", "/globex/", 1);
    assert_eq!(globex.get(&theirs).await.status(), StatusCode::NOT_FOUND);
    let confirm = f
        .confirm_slot(f.at(3, 22, 0), f.at(4, 0, 0))
        .replacen("/acme/", "/globex/", 1);
    assert_eq!(globex.get(&confirm).await.status(), StatusCode::NOT_FOUND);
    let (s, e) = (param(f.at(3, 22, 0)), param(f.at(4, 0, 0)));
    let r = globex
        .post(
            "/globex/releases",
            &theirs,
            &[("start", &s), ("end", &e), ("revision", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(stored(&app.owner, f.deployment).await.0, None);
    // The acme URL itself is not theirs either.
    assert_eq!(globex.get(&f.pick()).await.status(), StatusCode::NOT_FOUND);
    // A deployment of another release of the right tenant is not found either.
    let mixed = format!(
        "/acme/releases/{}/deployments/{}/schedule",
        f.release, f.other_deployment
    );
    let rm = app.signed_in("rm@acme.test").await;
    assert_eq!(rm.get(&mixed).await.status(), StatusCode::NOT_FOUND);
}
