//! Releases, deployments, release trains and status moves, through the
//! pages. The demo has no planning records, so each test builds a small
//! portfolio first (products and environments straight into the database:
//! their own pages are another area's).

use crate::helpers::{Browser, TestApp, location, spawn_app, tenant_id};
use almanac_db::DbError;
use almanac_db::releases;
use almanac_db::scope::in_tenant_on;
use almanac_domain::TenantId;
use almanac_domain::release::ReleaseStatus;
use reqwest::StatusCode;
use sqlx::PgPool;
use uuid::Uuid;

/// Products and environments of one tenant for a test.
struct Portfolio {
    tenant: Uuid,
    pay: Uuid,
    mob: Uuid,
    qa: Uuid,
    staging: Uuid,
    prod: Uuid,
}

/// Two products (RLPAY, RLMOB) and qa / staging / production in `slug`
/// (reusing the tenant's production environment if it has one).
async fn portfolio(owner: &PgPool, slug: &str) -> Portfolio {
    let tenant = tenant_id(owner, slug).await;
    let product = |key: &'static str, name: &'static str| async move {
        sqlx::query_scalar::<_, Uuid>(
            "INSERT INTO products (tenant_id, id, key, name, colour) VALUES ($1, $2, $3, $4, '#1d6b34')
             RETURNING id",
        )
        .bind(tenant)
        .bind(Uuid::now_v7())
        .bind(key)
        .bind(name)
        .fetch_one(owner)
        .await
        .expect("product")
    };
    let environment = |name: &'static str, position: i32| async move {
        sqlx::query_scalar::<_, Uuid>(
            "INSERT INTO environments (tenant_id, id, name, position) VALUES ($1, $2, $3, $4)
             RETURNING id",
        )
        .bind(tenant)
        .bind(Uuid::now_v7())
        .bind(name)
        .bind(position)
        .fetch_one(owner)
        .await
        .expect("environment")
    };
    let existing: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM environments WHERE tenant_id = $1 AND is_production AND NOT archived",
    )
    .bind(tenant)
    .fetch_optional(owner)
    .await
    .expect("production");
    let prod = match existing {
        Some(id) => id,
        None => sqlx::query_scalar(
            "INSERT INTO environments (tenant_id, id, name, position, is_production)
             VALUES ($1, $2, 'rl-production', 30, true) RETURNING id",
        )
        .bind(tenant)
        .bind(Uuid::now_v7())
        .fetch_one(owner)
        .await
        .expect("production"),
    };
    Portfolio {
        tenant,
        pay: product("RLPAY", "Release payments").await,
        mob: product("RLMOB", "Release mobile").await,
        qa: environment("rl-qa", 10).await,
        staging: environment("rl-staging", 20).await,
        prod,
    }
}

/// A form as (name, value) pairs.
type Form = Vec<(String, String)>;

fn pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The new-release form for `product` and `version`, passing through qa
/// and production with the given production times (America/New_York).
fn release_form(
    p: &Portfolio,
    product: Uuid,
    version: &str,
    prod_times: Option<(&str, &str)>,
) -> Vec<(String, String)> {
    let mut f = vec![
        ("product".to_owned(), product.to_string()),
        ("version".to_owned(), version.to_owned()),
        ("title".to_owned(), "Faster settlements".to_owned()),
        ("type".to_owned(), "minor".to_owned()),
        ("risk".to_owned(), "high".to_owned()),
        ("owner".to_owned(), String::new()),
        ("train".to_owned(), String::new()),
        ("template".to_owned(), String::new()),
        ("notes".to_owned(), "Ships the new ledger API.".to_owned()),
        ("env".to_owned(), p.qa.to_string()),
        (format!("start_{}", p.qa), "2027-03-01T09:00".to_owned()),
        (format!("end_{}", p.qa), "2027-03-01T11:00".to_owned()),
        ("env".to_owned(), p.prod.to_string()),
    ];
    if let Some((start, end)) = prod_times {
        f.push((format!("start_{}", p.prod), start.to_owned()));
        f.push((format!("end_{}", p.prod), end.to_owned()));
    }
    f
}

/// Creates a release through the page; returns its id.
async fn create(b: &Browser, form: &[(String, String)]) -> Uuid {
    let r = b
        .post("/acme/releases/new", "/acme/releases/new", &pairs(form))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "release created");
    let to = location(&r);
    to.rsplit('/')
        .next()
        .and_then(|id| Uuid::parse_str(id).ok())
        .unwrap_or_else(|| panic!("redirect to the release page, got {to}"))
}

async fn release_count(owner: &PgPool, tenant: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM releases WHERE tenant_id = $1")
        .bind(tenant)
        .fetch_one(owner)
        .await
        .expect("count")
}

async fn status_of(owner: &PgPool, id: Uuid) -> (String, i32) {
    sqlx::query_as("SELECT status, revision FROM releases WHERE id = $1")
        .bind(id)
        .fetch_one(owner)
        .await
        .expect("release")
}

/// Events with `action` about release (or train) `id`.
async fn events(owner: &PgPool, action: &str, id: Uuid) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = $1 AND entity_id = $2")
        .bind(action)
        .bind(id.to_string())
        .fetch_one(owner)
        .await
        .expect("count")
}

/// Sets a release's status through the db layer, as closing a go/no-go
/// review will (no page may set approved or rejected).
async fn decide(app: &TestApp, tenant: Uuid, id: Uuid, status: ReleaseStatus) {
    in_tenant_on(app.owner.clone(), TenantId(tenant), None, move |tx| {
        Box::pin(async move {
            let r = releases::get(tx, TenantId(tenant), id)
                .await?
                .ok_or(DbError::NotFound)?;
            releases::set_status(tx, TenantId(tenant), id, r.revision, status, None).await?;
            Ok::<_, DbError>(())
        })
    })
    .await
    .expect("decided");
}

/// Posts a status move with the release's current revision.
async fn move_status(
    app: &TestApp,
    b: &Browser,
    id: Uuid,
    action: &str,
    result: &str,
) -> reqwest::Response {
    let (_, revision) = status_of(&app.owner, id).await;
    let page = format!("/acme/releases/{id}");
    b.post(
        &page,
        &format!("{page}/status"),
        &[
            ("action", action),
            ("result", result),
            ("revision", &revision.to_string()),
        ],
    )
    .await
}

async fn production_deployment(owner: &PgPool, p: &Portfolio, id: Uuid) -> (Uuid, i32) {
    sqlx::query_as(
        "SELECT id, revision FROM deployments WHERE release_id = $1 AND environment_id = $2",
    )
    .bind(id)
    .bind(p.prod)
    .fetch_one(owner)
    .await
    .expect("production deployment")
}

#[sqlx::test(migrations = false)]
async fn a_release_is_created_with_its_deployments_and_listed(owner: PgPool) {
    let app = spawn_app(owner).await;
    let p = portfolio(&app.owner, "acme").await;
    let b = app.signed_in("rm@acme.test").await;
    assert_eq!(b.get("/acme/releases").await.status(), StatusCode::OK);
    let (status, form) = b.get_text("/acme/releases/new").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("rl-qa") && form.contains("rl-production"));
    assert!(form.contains("milestones are placed when the production deployment has a time"));

    let id = create(
        &b,
        &release_form(
            &p,
            p.pay,
            "2.4.0",
            Some(("2027-03-10T22:00", "2027-03-11T01:00")),
        ),
    )
    .await;
    let (status, html) = b.get_text(&format!("/acme/releases/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Release RLPAY 2.4.0 created."));
    assert!(html.contains("Faster settlements") && html.contains("Ships the new ledger API."));
    assert!(
        html.contains("2027-03-10 22:00 EST"),
        "go-live in the viewer's zone"
    );
    assert!(html.contains("rl-qa") && html.contains("2027-03-01 09:00 EST"));
    assert!(html.contains("release created"), "history panel");
    let deployments: i64 =
        sqlx::query_scalar("SELECT count(*) FROM deployments WHERE release_id = $1")
            .bind(id)
            .fetch_one(&app.owner)
            .await
            .expect("count");
    assert_eq!(deployments, 2);
    assert_eq!(events(&app.owner, "release.created", id).await, 1);

    create(&b, &release_form(&p, p.mob, "1.0.0", None)).await;
    let (_, list) = b.get_text("/acme/releases").await;
    assert!(list.contains("RLPAY") && list.contains("RLMOB"));
    let pay_at = list.find(">2.4.0<").expect("listed");
    let mob_at = list.find(">1.0.0<").expect("listed");
    assert!(pay_at < mob_at, "ordered by go-live, none last");
    create(
        &b,
        &release_form(
            &p,
            p.mob,
            "0.9.0",
            Some(("2025-01-07T22:00", "2025-01-07T23:00")),
        ),
    )
    .await;
    let (_, list) = b.get_text("/acme/releases").await;
    let past_at = list.find(">0.9.0<").expect("listed");
    let mob_at = list.find(">1.0.0<").expect("listed");
    assert!(
        mob_at < past_at,
        "past releases after upcoming and unscheduled ones"
    );
    let (_, filtered) = b
        .get_text(&format!("/acme/releases?product={}", p.mob))
        .await;
    assert!(filtered.contains(">1.0.0<") && !filtered.contains(">2.4.0<"));
    let (_, searched) = b.get_text("/acme/releases?q=2.4").await;
    assert!(searched.contains(">2.4.0<") && !searched.contains(">1.0.0<"));
    let (_, by_status) = b
        .get_text("/acme/releases?status=released&type=minor")
        .await;
    assert!(by_status.contains("No releases match these filters"));

    // Production moves to a new environment: a go-live on the archived one
    // still counts, in go-live order with the new one's.
    sqlx::query("UPDATE environments SET archived = true WHERE id = $1")
        .bind(p.prod)
        .execute(&app.owner)
        .await
        .expect("archive production");
    let new_prod: Uuid = sqlx::query_scalar(
        "INSERT INTO environments (tenant_id, id, name, position, is_production)
         VALUES ($1, $2, 'rl-production-2', 40, true) RETURNING id",
    )
    .bind(p.tenant)
    .bind(Uuid::now_v7())
    .fetch_one(&app.owner)
    .await
    .expect("new production");
    let moved = Portfolio {
        prod: new_prod,
        ..p
    };
    create(
        &b,
        &release_form(
            &moved,
            moved.pay,
            "3.0.0",
            Some(("2027-03-05T22:00", "2027-03-05T23:00")),
        ),
    )
    .await;
    let (_, list) = b.get_text("/acme/releases").await;
    let order: Vec<usize> = [">3.0.0<", ">2.4.0<", ">1.0.0<", ">0.9.0<"]
        .iter()
        .map(|v| list.find(v).unwrap_or_else(|| panic!("{v} listed")))
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] < w[1]),
        "upcoming by go-live (new and archived production), unscheduled, past: {order:?}"
    );
}

#[sqlx::test(migrations = false)]
async fn invalid_release_forms_answer_422_and_save_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let p = portfolio(&app.owner, "acme").await;
    let b = app.signed_in("rm@acme.test").await;
    create(&b, &release_form(&p, p.pay, "2.4.0", None)).await;
    let before = release_count(&app.owner, p.tenant).await;

    let with = |key: &str, value: &str| {
        let mut f = release_form(&p, p.pay, "3.0.0", None);
        for (k, v) in &mut f {
            if k == key {
                *v = value.to_owned();
            }
        }
        f
    };
    let mut end_before_start = release_form(&p, p.pay, "3.0.0", None);
    end_before_start.push((format!("start_{}", p.prod), "2027-03-10T22:00".to_owned()));
    end_before_start.push((format!("end_{}", p.prod), "2027-03-10T21:00".to_owned()));
    let globex = portfolio(&app.owner, "globex").await;
    let cases: Vec<(&str, Form, &str)> = vec![
        ("empty version", with("version", "  "), "enter a version"),
        (
            "duplicate version",
            with("version", "2.4.0"),
            "RLPAY already has a release 2.4.0",
        ),
        (
            "end before start",
            end_before_start,
            "the planned end must be after the planned start",
        ),
        (
            "unknown product",
            with("product", &Uuid::now_v7().to_string()),
            "choose one of the listed products",
        ),
        (
            "another tenant's product",
            with("product", &globex.pay.to_string()),
            "choose one of the listed products",
        ),
        (
            "version with spaces",
            with("version", "3.0 beta"),
            "a version has no spaces",
        ),
        (
            "unknown type",
            with("type", "urgent"),
            "choose major, minor, patch, hotfix or emergency",
        ),
    ];
    for (case, form, message) in cases {
        let r = b
            .post("/acme/releases/new", "/acme/releases/new", &pairs(&form))
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{case}");
        let html = r.text().await.expect("body");
        assert!(html.contains(message), "{case}: {message}");
        assert!(html.contains("Faster settlements"), "{case}: input kept");
        assert_eq!(
            release_count(&app.owner, p.tenant).await,
            before,
            "{case}: nothing saved"
        );
    }
}

#[sqlx::test(migrations = false)]
async fn a_release_is_edited_and_a_stale_edit_answers_409(owner: PgPool) {
    let app = spawn_app(owner).await;
    let p = portfolio(&app.owner, "acme").await;
    let b = app.signed_in("rm@acme.test").await;
    let id = create(&b, &release_form(&p, p.pay, "2.4.0", None)).await;
    let page = format!("/acme/releases/{id}/edit");
    let (status, html) = b.get_text(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"2.4.0\""));
    let form = |title: &'static str, revision: &'static str| {
        vec![
            ("product".to_owned(), p.pay.to_string()),
            ("version".to_owned(), "2.4.1".to_owned()),
            ("title".to_owned(), title.to_owned()),
            ("type".to_owned(), "patch".to_owned()),
            ("risk".to_owned(), "low".to_owned()),
            ("owner".to_owned(), String::new()),
            ("train".to_owned(), String::new()),
            ("notes".to_owned(), String::new()),
            ("revision".to_owned(), revision.to_owned()),
        ]
    };
    let r = b.post(&page, &page, &pairs(&form("First edit", "1"))).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get_text(&format!("/acme/releases/{id}")).await;
    assert!(html.contains("RLPAY 2.4.1") && html.contains("First edit"));
    assert!(html.contains("release updated") && html.contains("2.4.0 → 2.4.1"));
    assert_eq!(events(&app.owner, "release.updated", id).await, 1);

    let r = b
        .post(&page, &page, &pairs(&form("Second edit", "1")))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(html.contains("value=\"Second edit\""), "the input is kept");
    assert!(html.contains("First edit"), "the current record is shown");
    assert!(html.contains("name=\"revision\" value=\"2\""));
    assert_eq!(events(&app.owner, "release.updated", id).await, 1);

    // A duplicate version on edit is a field error too.
    let other = create(&b, &release_form(&p, p.pay, "2.5.0", None)).await;
    let other_page = format!("/acme/releases/{other}/edit");
    let mut dup = form("Clash", "1");
    dup[1].1 = "2.4.1".to_owned();
    let r = b.post(&other_page, &other_page, &pairs(&dup)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("RLPAY already has a release 2.4.1")
    );
}

#[sqlx::test(migrations = false)]
async fn planned_releases_are_deleted_and_others_only_cancelled(owner: PgPool) {
    let app = spawn_app(owner).await;
    let p = portfolio(&app.owner, "acme").await;
    let b = app.signed_in("rm@acme.test").await;
    let id = create(&b, &release_form(&p, p.pay, "2.4.0", None)).await;
    let page = format!("/acme/releases/{id}/delete");
    let (status, html) = b.get_text(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Delete release RLPAY 2.4.0?"), "asks first");
    let r = b.post(&page, &page, &[("revision", "1")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/acme/releases");
    assert_eq!(release_count(&app.owner, p.tenant).await, 0);
    assert_eq!(events(&app.owner, "release.deleted", id).await, 1);
    assert_eq!(
        b.get(&format!("/acme/releases/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );

    let id = create(
        &b,
        &release_form(
            &p,
            p.pay,
            "2.5.0",
            Some(("2027-03-10T22:00", "2027-03-11T01:00")),
        ),
    )
    .await;
    assert_eq!(
        move_status(&app, &b, id, "schedule", "").await.status(),
        StatusCode::SEE_OTHER
    );
    let page = format!("/acme/releases/{id}/delete");
    let (_, html) = b.get_text(&page).await;
    assert!(html.contains("cannot be deleted") && html.contains("Cancel release"));
    let (_, revision) = status_of(&app.owner, id).await;
    let r = b
        .post(&page, &page, &[("revision", &revision.to_string())])
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.expect("body").contains("Cancel it instead"));
    assert_eq!(release_count(&app.owner, p.tenant).await, 1);
    assert_eq!(events(&app.owner, "release.deleted", id).await, 0);
}

#[sqlx::test(migrations = false)]
async fn viewers_see_releases_but_cannot_change_them(owner: PgPool) {
    let app = spawn_app(owner).await;
    let p = portfolio(&app.owner, "acme").await;
    let rm = app.signed_in("rm@acme.test").await;
    let id = create(
        &rm,
        &release_form(
            &p,
            p.pay,
            "2.4.0",
            Some(("2027-03-10T22:00", "2027-03-11T01:00")),
        ),
    )
    .await;
    let (dep, _) = production_deployment(&app.owner, &p, id).await;
    for who in ["exec@acme.test", "cab@acme.test"] {
        let b = app.signed_in(who).await;
        let (status, html) = b.get_text(&format!("/acme/releases/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{who} reads the release");
        assert!(
            !html.contains("Edit release") && !html.contains(">Schedule<"),
            "{who}: no controls"
        );
        let (status, list) = b.get_text("/acme/releases").await;
        assert_eq!(status, StatusCode::OK);
        assert!(!list.contains("New release"));
        assert_eq!(
            b.get("/acme/releases/new").await.status(),
            StatusCode::FORBIDDEN
        );
        let posts = [
            "/acme/releases/new".to_owned(),
            format!("/acme/releases/{id}/edit"),
            format!("/acme/releases/{id}/delete"),
            format!("/acme/releases/{id}/status"),
            format!("/acme/releases/{id}/deployments/new"),
            format!("/acme/releases/{id}/deployments/{dep}/edit"),
            format!("/acme/releases/{id}/deployments/{dep}/remove"),
            "/acme/releases/trains/new".to_owned(),
        ];
        for path in posts {
            let r = b
                .post(
                    "/acme/releases",
                    &path,
                    &[
                        ("action", "schedule"),
                        ("revision", "1"),
                        ("version", "9.9.9"),
                    ],
                )
                .await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who} POST {path}");
        }
    }
    assert_eq!(status_of(&app.owner, id).await, ("planned".to_owned(), 1));
}

#[sqlx::test(migrations = false)]
async fn another_tenants_release_is_not_found(owner: PgPool) {
    let app = spawn_app(owner).await;
    let p = portfolio(&app.owner, "acme").await;
    let rm = app.signed_in("rm@acme.test").await;
    let id = create(&rm, &release_form(&p, p.pay, "2.4.0", None)).await;
    let (dep, _) = sqlx::query_as::<_, (Uuid, i32)>(
        "SELECT id, revision FROM deployments WHERE release_id = $1 LIMIT 1",
    )
    .bind(id)
    .fetch_one(&app.owner)
    .await
    .expect("deployment");
    let g = app.signed_in("rm@globex.test").await;
    for path in [
        format!("/globex/releases/{id}"),
        format!("/globex/releases/{id}/edit"),
        format!("/globex/releases/{id}/deployments/{dep}/edit"),
        format!("/acme/releases/{id}"),
        "/globex/releases/not-a-uuid".to_owned(),
    ] {
        assert_eq!(
            g.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "GET {path}"
        );
    }
    for path in [
        format!("/globex/releases/{id}/edit"),
        format!("/globex/releases/{id}/status"),
        format!("/globex/releases/{id}/delete"),
        format!("/globex/releases/{id}/deployments/{dep}/remove"),
    ] {
        let r = g
            .post(
                "/globex/releases",
                &path,
                &[("action", "cancel"), ("revision", "1")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "POST {path}");
    }
    assert_eq!(status_of(&app.owner, id).await, ("planned".to_owned(), 1));
}

#[sqlx::test(migrations = false)]
async fn every_status_move_is_allowed_or_refused_as_the_table_says(owner: PgPool) {
    let app = spawn_app(owner).await;
    let p = portfolio(&app.owner, "acme").await;
    let b = app.signed_in("rm@acme.test").await;
    let id = create(&b, &release_form(&p, p.pay, "2.4.0", None)).await;
    let expect = |r: reqwest::Response, code: StatusCode, what: &'static str| async move {
        assert_eq!(r.status(), code, "{what}");
        r.text().await.expect("body")
    };

    // planned: no go-live yet → schedule refused with the reason.
    let html = expect(
        move_status(&app, &b, id, "schedule", "").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "schedule without go-live",
    )
    .await;
    assert!(html.contains("Give the production deployment a planned start"));
    assert_eq!(status_of(&app.owner, id).await, ("planned".to_owned(), 1));
    // Nothing a page offers sets approved.
    expect(
        move_status(&app, &b, id, "approve", "").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "approve",
    )
    .await;
    for (action, result) in [
        ("start", ""),
        ("finish", "succeeded"),
        ("roll_back", ""),
        ("reschedule", ""),
    ] {
        let r = move_status(&app, &b, id, action, result).await;
        assert_eq!(r.status(), StatusCode::CONFLICT, "{action} from planned");
    }
    assert_eq!(
        status_of(&app.owner, id).await,
        ("planned".to_owned(), 1),
        "nothing changed"
    );

    // Give the production deployment times, then schedule.
    let (dep, rev) = production_deployment(&app.owner, &p, id).await;
    let dep_page = format!("/acme/releases/{id}/deployments/{dep}/edit");
    let r = b
        .post(
            &dep_page,
            &dep_page,
            &[
                ("planned_start", "2027-03-10T22:00"),
                ("planned_end", "2027-03-11T01:00"),
                ("revision", &rev.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    expect(
        move_status(&app, &b, id, "schedule", "").await,
        StatusCode::SEE_OTHER,
        "schedule",
    )
    .await;
    assert_eq!(status_of(&app.owner, id).await.0, "scheduled");
    let baseline: Option<String> =
        sqlx::query_scalar("SELECT to_char(baseline_go_live AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM releases WHERE id = $1")
            .bind(id)
            .fetch_one(&app.owner)
            .await
            .expect("baseline");
    assert_eq!(
        baseline.as_deref(),
        Some("2027-03-11 03:00"),
        "baseline set on first scheduling"
    );
    let (_, page) = b.get_text(&format!("/acme/releases/{id}")).await;
    assert!(
        page.contains("is now scheduled")
            && page.contains("Approval comes from closing a go/no-go review")
    );

    // scheduled: only a review moves it on, or cancel.
    for (action, result) in [
        ("schedule", ""),
        ("reschedule", ""),
        ("start", ""),
        ("finish", "succeeded"),
        ("roll_back", ""),
    ] {
        let r = move_status(&app, &b, id, action, result).await;
        assert_eq!(r.status(), StatusCode::CONFLICT, "{action} from scheduled");
    }
    let r = move_status(&app, &b, id, "start", "").await;
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("only once the release is approved")
    );

    // approved (a review closed go): start records the production start.
    decide(&app, p.tenant, id, ReleaseStatus::Approved).await;
    for action in ["schedule", "reschedule", "roll_back"] {
        assert_eq!(
            move_status(&app, &b, id, action, "").await.status(),
            StatusCode::CONFLICT,
            "{action} from approved"
        );
    }
    assert_eq!(
        move_status(&app, &b, id, "finish", "succeeded")
            .await
            .status(),
        StatusCode::CONFLICT
    );
    expect(
        move_status(&app, &b, id, "start", "").await,
        StatusCode::SEE_OTHER,
        "start",
    )
    .await;
    assert_eq!(status_of(&app.owner, id).await.0, "in_progress");
    let started: bool =
        sqlx::query_scalar("SELECT actual_start IS NOT NULL FROM deployments WHERE id = $1")
            .bind(dep)
            .fetch_one(&app.owner)
            .await
            .expect("deployment");
    assert!(
        started,
        "the production deployment's actual start is recorded"
    );

    // in_progress: finish needs a result.
    expect(
        move_status(&app, &b, id, "finish", "").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "finish without result",
    )
    .await;
    for action in ["schedule", "reschedule", "start", "roll_back"] {
        assert_eq!(
            move_status(&app, &b, id, action, "").await.status(),
            StatusCode::CONFLICT,
            "{action} from in_progress"
        );
    }
    expect(
        move_status(&app, &b, id, "finish", "succeeded").await,
        StatusCode::SEE_OTHER,
        "finish",
    )
    .await;
    assert_eq!(status_of(&app.owner, id).await.0, "released");
    let (_, page) = b.get_text(&format!("/acme/releases/{id}")).await;
    assert!(page.contains("Went live") && page.contains("Slip"));

    // released: only roll back (after confirmation).
    for (action, result) in [
        ("cancel", ""),
        ("schedule", ""),
        ("start", ""),
        ("finish", "failed"),
    ] {
        assert_eq!(
            move_status(&app, &b, id, action, result).await.status(),
            StatusCode::CONFLICT,
            "{action} from released"
        );
    }
    let (status, confirm) = b
        .get_text(&format!("/acme/releases/{id}/status?action=roll_back"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Roll back release RLPAY 2.4.0?"));
    expect(
        move_status(&app, &b, id, "roll_back", "").await,
        StatusCode::SEE_OTHER,
        "roll back",
    )
    .await;
    assert_eq!(status_of(&app.owner, id).await.0, "rolled_back");
    let result: Option<String> = sqlx::query_scalar("SELECT result FROM deployments WHERE id = $1")
        .bind(dep)
        .fetch_one(&app.owner)
        .await
        .expect("deployment");
    assert_eq!(result.as_deref(), Some("rolled_back"));

    // rolled_back: nothing more.
    for (action, result) in [
        ("cancel", ""),
        ("schedule", ""),
        ("reschedule", ""),
        ("start", ""),
        ("finish", "succeeded"),
        ("roll_back", ""),
    ] {
        assert_eq!(
            move_status(&app, &b, id, action, result).await.status(),
            StatusCode::CONFLICT,
            "{action} from rolled_back"
        );
    }
    assert_eq!(events(&app.owner, "release.status_changed", id).await, 4);

    // A stale status move changes nothing.
    let other = create(&b, &release_form(&p, p.mob, "1.0.0", None)).await;
    let page = format!("/acme/releases/{other}");
    let r = b
        .post(
            &page,
            &format!("{page}/status"),
            &[("action", "cancel"), ("revision", "7")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("Someone else changed this release")
    );
    assert_eq!(status_of(&app.owner, other).await.0, "planned");
}

#[sqlx::test(migrations = false)]
async fn cancelling_is_confirmed_and_allowed_from_every_open_status(owner: PgPool) {
    let app = spawn_app(owner).await;
    let p = portfolio(&app.owner, "acme").await;
    let b = app.signed_in("rm@acme.test").await;
    let statuses = [
        ReleaseStatus::Planned,
        ReleaseStatus::Scheduled,
        ReleaseStatus::Approved,
        ReleaseStatus::Rejected,
        ReleaseStatus::InProgress,
    ];
    for (i, status) in statuses.into_iter().enumerate() {
        let id = create(&b, &release_form(&p, p.pay, &format!("5.{i}.0"), None)).await;
        if status != ReleaseStatus::Planned {
            decide(&app, p.tenant, id, status).await;
        }
        let (code, html) = b
            .get_text(&format!("/acme/releases/{id}/status?action=cancel"))
            .await;
        assert_eq!(code, StatusCode::OK);
        assert!(html.contains("Cancel release RLPAY 5."), "asks first");
        let r = move_status(&app, &b, id, "cancel", "").await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "cancel from {status}");
        assert_eq!(status_of(&app.owner, id).await.0, "cancelled");
        let r = move_status(&app, &b, id, "cancel", "").await;
        assert_eq!(r.status(), StatusCode::CONFLICT, "cancel twice");
    }
}

#[sqlx::test(migrations = false)]
async fn the_baseline_is_kept_when_a_rejected_release_is_rescheduled(owner: PgPool) {
    let app = spawn_app(owner).await;
    let p = portfolio(&app.owner, "acme").await;
    let b = app.signed_in("rm@acme.test").await;
    let id = create(
        &b,
        &release_form(
            &p,
            p.pay,
            "2.4.0",
            Some(("2027-03-10T22:00", "2027-03-11T01:00")),
        ),
    )
    .await;
    assert_eq!(
        move_status(&app, &b, id, "schedule", "").await.status(),
        StatusCode::SEE_OTHER
    );
    decide(&app, p.tenant, id, ReleaseStatus::Rejected).await;
    assert_eq!(
        move_status(&app, &b, id, "schedule", "").await.status(),
        StatusCode::CONFLICT
    );
    let (dep, rev) = production_deployment(&app.owner, &p, id).await;
    let dep_page = format!("/acme/releases/{id}/deployments/{dep}/edit");
    let r = b
        .post(
            &dep_page,
            &dep_page,
            &[
                ("planned_start", "2027-03-17T22:00"),
                ("planned_end", "2027-03-18T01:00"),
                ("revision", &rev.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        move_status(&app, &b, id, "reschedule", "").await.status(),
        StatusCode::SEE_OTHER
    );
    let (status, baseline): (String, Option<String>) =
        sqlx::query_as("SELECT status, to_char(baseline_go_live AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM releases WHERE id = $1")
            .bind(id)
            .fetch_one(&app.owner)
            .await
            .expect("release");
    assert_eq!(status, "scheduled");
    assert_eq!(
        baseline.as_deref(),
        Some("2027-03-11 03:00"),
        "the first baseline stays"
    );
    let (_, html) = b.get_text(&format!("/acme/releases/{id}")).await;
    assert!(html.contains("2027-03-17 22:00 EDT") && html.contains("2027-03-10 22:00 EST"));
}

#[sqlx::test(migrations = false)]
async fn the_production_deployment_drives_the_release(owner: PgPool) {
    let app = spawn_app(owner).await;
    let p = portfolio(&app.owner, "acme").await;
    let b = app.signed_in("rm@acme.test").await;
    let id = create(
        &b,
        &release_form(
            &p,
            p.pay,
            "2.4.0",
            Some(("2027-03-10T22:00", "2027-03-11T01:00")),
        ),
    )
    .await;
    assert_eq!(
        move_status(&app, &b, id, "schedule", "").await.status(),
        StatusCode::SEE_OTHER
    );
    let (dep, rev) = production_deployment(&app.owner, &p, id).await;
    let dep_page = format!("/acme/releases/{id}/deployments/{dep}/edit");
    let times = |actual_start: &'static str, result: &'static str, rev: i32| {
        vec![
            ("planned_start".to_owned(), "2027-03-10T22:00".to_owned()),
            ("planned_end".to_owned(), "2027-03-11T01:00".to_owned()),
            ("actual_start".to_owned(), actual_start.to_owned()),
            ("result".to_owned(), result.to_owned()),
            ("revision".to_owned(), rev.to_string()),
        ]
    };
    // Not approved yet: the production deployment cannot start.
    let r = b
        .post(
            &dep_page,
            &dep_page,
            &pairs(&times("2027-03-10T22:05", "", rev)),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("only once the release is approved")
    );
    assert_eq!(
        production_deployment(&app.owner, &p, id).await.1,
        rev,
        "nothing saved"
    );

    decide(&app, p.tenant, id, ReleaseStatus::Approved).await;
    let r = b
        .post(
            &dep_page,
            &dep_page,
            &pairs(&times("2027-03-10T22:05", "", rev)),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app.owner, id).await.0, "in_progress");
    let rev = production_deployment(&app.owner, &p, id).await.1;
    let r = b
        .post(
            &dep_page,
            &dep_page,
            &pairs(&times("2027-03-10T22:05", "failed", rev)),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app.owner, id).await.0, "rolled_back");
    let rev = production_deployment(&app.owner, &p, id).await.1;
    let r = b
        .post(
            &dep_page,
            &dep_page,
            &pairs(&times("2027-03-10T22:05", "succeeded", rev)),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "rolled back cannot become released"
    );
    assert_eq!(status_of(&app.owner, id).await.0, "rolled_back");
    let (_, html) = b.get_text(&format!("/acme/releases/{id}")).await;
    assert!(html.contains("5m late"), "slip = actual go-live − baseline");
}

#[sqlx::test(migrations = false)]
async fn deployments_are_added_edited_and_removed(owner: PgPool) {
    let app = spawn_app(owner).await;
    let p = portfolio(&app.owner, "acme").await;
    let b = app.signed_in("rm@acme.test").await;
    let id = create(&b, &release_form(&p, p.pay, "2.4.0", None)).await;
    let new_page = format!("/acme/releases/{id}/deployments/new");
    let (status, html) = b.get_text(&new_page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("rl-staging") && !html.contains(">rl-qa<"),
        "only environments it has no deployment to"
    );

    // Validation: end before start, and an environment it already has.
    let r = b
        .post(
            &new_page,
            &new_page,
            &[
                ("environment", &p.staging.to_string()),
                ("planned_start", "2027-03-05T10:00"),
                ("planned_end", "2027-03-05T09:00"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("the planned end must be after the planned start")
    );
    let r = b
        .post(&new_page, &new_page, &[("environment", &p.qa.to_string())])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = b
        .post(
            &new_page,
            &new_page,
            &[
                ("environment", &p.staging.to_string()),
                ("actual_end", "2027-03-05T09:00"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("enter the actual start too")
    );
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM deployments WHERE release_id = $1")
            .bind(id)
            .fetch_one(&app.owner)
            .await
            .expect("count")
    };
    assert_eq!(count().await, 2, "nothing saved");

    let r = b
        .post(
            &new_page,
            &new_page,
            &[
                ("environment", &p.staging.to_string()),
                ("planned_start", "2027-03-05T10:00"),
                ("planned_end", "2027-03-05T12:00"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(count().await, 3);
    assert_eq!(events(&app.owner, "deployment.added", id).await, 1);
    let (dep, rev): (Uuid, i32) = sqlx::query_as(
        "SELECT id, revision FROM deployments WHERE release_id = $1 AND environment_id = $2",
    )
    .bind(id)
    .bind(p.staging)
    .fetch_one(&app.owner)
    .await
    .expect("deployment");

    let edit = format!("/acme/releases/{id}/deployments/{dep}/edit");
    let (status, html) = b.get_text(&edit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("value=\"2027-03-05T10:00\""),
        "times in the viewer's zone"
    );
    let r = b
        .post(
            &edit,
            &edit,
            &[
                ("planned_start", "2027-03-06T10:00"),
                ("planned_end", "2027-03-06T12:00"),
                ("revision", &rev.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = b
        .post(
            &edit,
            &edit,
            &[
                ("planned_start", "2027-03-07T10:00"),
                ("planned_end", "2027-03-07T12:00"),
                ("revision", &rev.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "stale");
    let html = r.text().await.expect("body");
    assert!(html.contains("value=\"2027-03-07T10:00\""), "input kept");
    assert!(html.contains("2027-03-06 10:00 EST"), "current shown");
    assert_eq!(events(&app.owner, "deployment.updated", id).await, 1);

    let remove = format!("/acme/releases/{id}/deployments/{dep}/remove");
    let (status, html) = b.get_text(&remove).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Remove the deployment of RLPAY 2.4.0 to rl-staging?"));
    let r = b
        .post(&remove, &remove, &[("revision", &(rev + 1).to_string())])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(count().await, 2);
    assert_eq!(events(&app.owner, "deployment.removed", id).await, 1);
    let (_, html) = b.get_text(&format!("/acme/releases/{id}")).await;
    assert!(
        html.contains("deployment removed"),
        "history of the release"
    );
}

#[sqlx::test(migrations = false)]
async fn moving_the_go_live_with_open_milestones_offers_to_shift_them(owner: PgPool) {
    let app = spawn_app(owner).await;
    let p = portfolio(&app.owner, "acme").await;
    let b = app.signed_in("rm@acme.test").await;
    let id = create(
        &b,
        &release_form(
            &p,
            p.pay,
            "2.4.0",
            Some(("2027-03-10T22:00", "2027-03-11T01:00")),
        ),
    )
    .await;
    let (dep, rev) = production_deployment(&app.owner, &p, id).await;
    let edit = format!("/acme/releases/{id}/deployments/{dep}/edit");
    // Without milestones, moving the go-live just saves.
    let r = b
        .post(
            &edit,
            &edit,
            &[
                ("planned_start", "2027-03-11T22:00"),
                ("planned_end", "2027-03-12T01:00"),
                ("revision", &rev.to_string()),
            ],
        )
        .await;
    assert_eq!(location(&r), format!("/acme/releases/{id}"));
    sqlx::query("INSERT INTO milestones (tenant_id, id, release_id, name, due_at) VALUES ($1, $2, $3, 'Code freeze', '2027-03-04 22:00Z')")
        .bind(p.tenant)
        .bind(Uuid::now_v7())
        .bind(id)
        .execute(&app.owner)
        .await
        .expect("milestone");
    let r = b
        .post(
            &edit,
            &edit,
            &[
                ("planned_start", "2027-03-12T22:00"),
                ("planned_end", "2027-03-13T01:00"),
                ("revision", &(rev + 1).to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&r),
        format!("/acme/releases/{id}/milestones/shift?by=86400")
    );
    let (status, html) = b.get_text(&location(&r)).await;
    assert_eq!(status, StatusCode::OK, "the runbook's shift confirmation");
    assert!(html.contains("Code freeze"));
}

#[sqlx::test(migrations = false)]
async fn a_template_gives_a_new_release_its_checklist_and_milestones(owner: PgPool) {
    let app = spawn_app(owner).await;
    let p = portfolio(&app.owner, "acme").await;
    let template = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO release_templates (tenant_id, id, name) VALUES ($1, $2, 'Standard release')",
    )
    .bind(p.tenant)
    .bind(template)
    .execute(&app.owner)
    .await
    .expect("template");
    sqlx::query("INSERT INTO template_milestones (tenant_id, id, template_id, position, name, offset_days, at_time) VALUES ($1, $2, $3, 1, 'Code freeze', -7, '17:00')")
        .bind(p.tenant)
        .bind(Uuid::now_v7())
        .bind(template)
        .execute(&app.owner)
        .await
        .expect("milestone");
    sqlx::query("INSERT INTO template_checklist_items (tenant_id, id, template_id, position, title) VALUES ($1, $2, $3, 1, 'Announce the change window')")
        .bind(p.tenant)
        .bind(Uuid::now_v7())
        .bind(template)
        .execute(&app.owner)
        .await
        .expect("step");
    let b = app.signed_in("rm@acme.test").await;
    let (_, form) = b.get_text("/acme/releases/new").await;
    assert!(form.contains("Standard release"));
    let count = |table: &'static str, id: Uuid| {
        let owner = app.owner.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!(
                "SELECT count(*) FROM {table} WHERE release_id = $1"
            ))
            .bind(id)
            .fetch_one(&owner)
            .await
            .expect("count")
        }
    };
    let mut with_go_live = release_form(
        &p,
        p.pay,
        "2.4.0",
        Some(("2027-03-10T22:00", "2027-03-11T01:00")),
    );
    with_go_live.retain(|(k, _)| k != "template");
    with_go_live.push(("template".to_owned(), template.to_string()));
    let id = create(&b, &with_go_live).await;
    assert_eq!(
        (
            count("milestones", id).await,
            count("checklist_items", id).await
        ),
        (1, 1)
    );
    let (_, html) = b.get_text(&format!("/acme/releases/{id}")).await;
    assert!(html.contains("Code freeze") && html.contains("Announce the change window"));

    let mut without = release_form(&p, p.pay, "2.5.0", None);
    without.retain(|(k, _)| k != "template");
    without.push(("template".to_owned(), template.to_string()));
    let id = create(&b, &without).await;
    assert_eq!(
        (
            count("milestones", id).await,
            count("checklist_items", id).await
        ),
        (0, 1),
        "the checklist is copied; milestones wait for a go-live"
    );
}

#[sqlx::test(migrations = false)]
async fn release_trains_are_created_renamed_listed_and_deleted(owner: PgPool) {
    let app = spawn_app(owner).await;
    let p = portfolio(&app.owner, "acme").await;
    let b = app.signed_in("rm@acme.test").await;
    let (status, html) = b.get_text("/acme/releases/trains").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No release trains yet"));
    let r = b
        .post(
            "/acme/releases/trains/new",
            "/acme/releases/trains/new",
            &[("name", "  ")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = b
        .post(
            "/acme/releases/trains/new",
            "/acme/releases/trains/new",
            &[("name", "March train"), ("description", "Ships together")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let train: Uuid =
        sqlx::query_scalar("SELECT id FROM release_trains WHERE name = 'March train'")
            .fetch_one(&app.owner)
            .await
            .expect("train");
    assert_eq!(events(&app.owner, "train.created", train).await, 1);
    let r = b
        .post(
            "/acme/releases/trains/new",
            "/acme/releases/trains/new",
            &[("name", "March train")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "duplicate name"
    );
    assert!(r.text().await.expect("body").contains("already exists"));

    // Releases of two products on the train.
    for (product, version) in [(p.pay, "2.4.0"), (p.mob, "7.1.0")] {
        let mut f = release_form(&p, product, version, None);
        f.retain(|(k, _)| k != "train");
        f.push(("train".to_owned(), train.to_string()));
        create(&b, &f).await;
    }
    let (_, html) = b.get_text(&format!("/acme/releases/trains/{train}")).await;
    assert!(html.contains("RLPAY") && html.contains("RLMOB") && html.contains("7.1.0"));
    let (_, list) = b.get_text("/acme/releases/trains").await;
    assert!(list.contains("March train") && list.contains(">2<"));
    let (_, filtered) = b.get_text(&format!("/acme/releases?train={train}")).await;
    assert!(filtered.contains("7.1.0"));

    let edit = format!("/acme/releases/trains/{train}/edit");
    let r = b
        .post(&edit, &edit, &[("name", "Spring train"), ("revision", "1")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = b
        .post(&edit, &edit, &[("name", "Stale train"), ("revision", "1")])
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(html.contains("value=\"Stale train\"") && html.contains("Spring train"));
    assert_eq!(events(&app.owner, "train.updated", train).await, 1);

    let delete = format!("/acme/releases/trains/{train}/delete");
    let (_, html) = b.get_text(&delete).await;
    assert!(
        html.contains("Delete release train Spring train?") && html.contains("Its 2 releases stay")
    );
    let r = b.post(&delete, &delete, &[("revision", "2")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(events(&app.owner, "train.deleted", train).await, 1);
    assert_eq!(
        release_count(&app.owner, p.tenant).await,
        2,
        "its releases stay"
    );
    let viewer = app.signed_in("exec@acme.test").await;
    assert_eq!(
        viewer.get("/acme/releases/trains").await.status(),
        StatusCode::OK
    );
    let r = viewer
        .post(
            "/acme/releases/trains",
            "/acme/releases/trains/new",
            &[("name", "Nope")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let g = app.signed_in("rm@globex.test").await;
    assert_eq!(
        g.get(&format!("/globex/releases/trains/{train}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}
