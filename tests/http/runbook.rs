//! Milestones and checklist of a release (the runbook), the shift offered
//! when go-live moves, and templates applied to releases.

use crate::helpers::{audit_count, location, spawn_app, tenant_id, user_id};
use almanac_domain::TenantId;
use reqwest::StatusCode;
use sqlx::PgPool;
use sqlx::types::chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("valid instant")
}

/// A release of a product `key` in tenant `slug`, with a production
/// deployment starting at `go_live` when given. Raw SQL on the owner pool
/// (a superuser, so RLS does not apply): the releases pages are built by
/// another area at the same time.
pub(crate) async fn insert_release(
    owner: &PgPool,
    slug: &str,
    key: &str,
    go_live: Option<DateTime<Utc>>,
    template: Option<Uuid>,
) -> Uuid {
    let tenant = tenant_id(owner, slug).await;
    let product: Uuid = sqlx::query_scalar(
        "INSERT INTO products (tenant_id, id, key, name) VALUES ($1, $2, $3, $3)
         ON CONFLICT (tenant_id, key) DO UPDATE SET name = EXCLUDED.name RETURNING id",
    )
    .bind(tenant)
    .bind(Uuid::now_v7())
    .bind(key)
    .fetch_one(owner)
    .await
    .expect("product");
    let existing: Option<Uuid> = sqlx::query_scalar(
        "SELECT id FROM environments WHERE tenant_id = $1 AND is_production AND NOT archived",
    )
    .bind(tenant)
    .fetch_optional(owner)
    .await
    .expect("environment");
    let production = match existing {
        Some(id) => id,
        None => sqlx::query_scalar(
            "INSERT INTO environments (tenant_id, id, name, position, is_production)
             VALUES ($1, $2, 'runbook-production', 99, true) RETURNING id",
        )
        .bind(tenant)
        .bind(Uuid::now_v7())
        .fetch_one(owner)
        .await
        .expect("production environment"),
    };
    let release = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO releases (tenant_id, id, product_id, version, type, template_id)
         VALUES ($1, $2, $3, $4, 'minor', $5)",
    )
    .bind(tenant)
    .bind(release)
    .bind(product)
    .bind(format!("1.{}", release.simple()))
    .bind(template)
    .execute(owner)
    .await
    .expect("release");
    if let Some(start) = go_live {
        sqlx::query(
            "INSERT INTO deployments (tenant_id, id, release_id, environment_id, planned_start, planned_end)
             VALUES ($1, $2, $3, $4, $5, $5 + interval '2 hours')",
        )
        .bind(tenant)
        .bind(Uuid::now_v7())
        .bind(release)
        .bind(production)
        .bind(start)
        .execute(owner)
        .await
        .expect("deployment");
    }
    release
}

/// (name, due, done) of a release's milestones by due.
async fn milestones_of(owner: &PgPool, release: Uuid) -> Vec<(String, DateTime<Utc>, bool)> {
    sqlx::query_as(
        "SELECT name, due_at, done_at IS NOT NULL FROM milestones WHERE release_id = $1 ORDER BY due_at, name",
    )
    .bind(release)
    .fetch_all(owner)
    .await
    .expect("milestones")
}

/// (id, title, done by) of a release's steps in runbook order.
async fn steps_of(owner: &PgPool, release: Uuid) -> Vec<(Uuid, String, Option<Uuid>)> {
    sqlx::query_as(
        "SELECT id, title, done_by FROM checklist_items WHERE release_id = $1 ORDER BY position, id",
    )
    .bind(release)
    .fetch_all(owner)
    .await
    .expect("steps")
}

async fn milestone_id(owner: &PgPool, release: Uuid, name: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM milestones WHERE release_id = $1 AND name = $2")
        .bind(release)
        .bind(name)
        .fetch_one(owner)
        .await
        .expect("milestone id")
}

#[sqlx::test(migrations = false)]
async fn milestones_are_added_edited_done_undone_and_deleted(owner: PgPool) {
    let app = spawn_app(owner).await;
    let release = insert_release(&app.owner, "acme", "RBK", None, None).await;
    let b = app.signed_in("rm@acme.test").await;
    let base = format!("/acme/releases/{release}/milestones");
    let new = format!("{base}/new");
    let (status, html) = b.get_text(&new).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("your time zone, America/New_York"),
        "the zone is said"
    );
    let rami = user_id(&app.owner, "rm@acme.test").await.to_string();

    // Add: the datetime-local is read in the viewer's zone (acme: New York).
    let r = b
        .post(
            &new,
            &base,
            &[
                ("name", "Code freeze"),
                ("due", "2026-07-01T17:00"),
                ("owner", &rami),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/acme/releases/{release}#milestones"));
    assert_eq!(
        milestones_of(&app.owner, release).await,
        vec![("Code freeze".to_owned(), utc(2026, 7, 1, 21, 0), false)]
    );
    assert_eq!(audit_count(&app.owner, "milestone.added").await, 1);
    let id = milestone_id(&app.owner, release, "Code freeze").await;

    // Edit with the current revision.
    let edit = format!("{base}/{id}/edit");
    let (status, html) = b.get_text(&edit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"2026-07-01T17:00\""));
    let form = |name: &'static str| {
        [
            ("name", name),
            ("due", "2026-07-02T09:30"),
            ("owner", ""),
            ("revision", "1"),
        ]
    };
    let r = b.post(&edit, &edit, &form("Code freeze (all repos)")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        milestones_of(&app.owner, release).await,
        vec![(
            "Code freeze (all repos)".to_owned(),
            utc(2026, 7, 2, 13, 30),
            false
        )]
    );
    assert_eq!(audit_count(&app.owner, "milestone.updated").await, 1);

    // The same revision again is stale: 409, input kept, current shown.
    let r = b.post(&edit, &edit, &form("Freeze, second try")).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(
        html.contains("value=\"Freeze, second try\""),
        "the input is kept"
    );
    assert!(
        html.contains("Code freeze (all repos)"),
        "the current record is shown"
    );
    assert!(html.contains("name=\"revision\" value=\"2\""));
    assert_eq!(audit_count(&app.owner, "milestone.updated").await, 1);

    // Done, then undone, each audited.
    let r = b.post(&edit, &format!("{base}/{id}/done"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(milestones_of(&app.owner, release).await[0].2, "done");
    let r = b.post(&edit, &format!("{base}/{id}/done"), &[]).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "marking twice is harmless"
    );
    assert_eq!(audit_count(&app.owner, "milestone.done").await, 1);
    b.post(&edit, &format!("{base}/{id}/undo"), &[]).await;
    assert!(!milestones_of(&app.owner, release).await[0].2, "not done");
    assert_eq!(audit_count(&app.owner, "milestone.reopened").await, 1);

    // Delete after a confirmation page.
    let delete = format!("{base}/{id}/delete");
    let (status, html) = b.get_text(&delete).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Delete the milestone “Code freeze (all repos)”"));
    let r = b.post(&delete, &delete, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(milestones_of(&app.owner, release).await.is_empty());
    assert_eq!(audit_count(&app.owner, "milestone.deleted").await, 1);
    let (status, _) = b.get_text(&edit).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a deleted milestone is gone");

    // Every change is in the release's history, naming the milestone.
    let named: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE entity_type = 'release' AND entity_id = $1
            AND action LIKE 'milestone.%'",
    )
    .bind(release.to_string())
    .fetch_one(&app.owner)
    .await
    .expect("count");
    assert_eq!(named, 5);
}

#[sqlx::test(migrations = false)]
async fn invalid_milestones_answer_422_and_save_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let release = insert_release(&app.owner, "acme", "RBK", None, None).await;
    let b = app.signed_in("rm@acme.test").await;
    let base = format!("/acme/releases/{release}/milestones");
    let new = format!("{base}/new");
    let globex_member = user_id(&app.owner, "rm@globex.test").await.to_string();
    // (form, field message expected)
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("name", ""), ("due", "2026-07-01T17:00")],
            "enter a milestone name of 1 to 100 characters",
        ),
        (
            &[("name", "Freeze"), ("due", "next week")],
            "enter a date and time like 2026-03-29 22:00",
        ),
        // 02:30 on 2026-03-08 does not exist in New York.
        (
            &[("name", "Freeze"), ("due", "2026-03-08T02:30")],
            "this time does not exist in America/New_York",
        ),
        (
            &[
                ("name", "Freeze"),
                ("due", "2026-07-01T17:00"),
                ("owner", &globex_member),
            ],
            "choose one of the organisation&#39;s members",
        ),
    ];
    for (form, message) in cases {
        let r = b.post(&new, &base, form).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
        let html = r.text().await.expect("body");
        assert!(
            html.contains(message) || html.contains(&message.replace("&#39;", "'")),
            "{message}: {html}"
        );
        if let Some((_, name)) = form.iter().find(|(k, _)| *k == "name") {
            assert!(html.contains(&format!("value=\"{name}\"")), "input kept");
        }
    }
    assert!(milestones_of(&app.owner, release).await.is_empty());
    assert_eq!(audit_count(&app.owner, "milestone.added").await, 0);
}

#[sqlx::test(migrations = false)]
async fn checklist_steps_are_ticked_by_someone_moved_and_deleted(owner: PgPool) {
    let app = spawn_app(owner).await;
    let release = insert_release(&app.owner, "acme", "RBK", None, None).await;
    let b = app.signed_in("rm@acme.test").await;
    let base = format!("/acme/releases/{release}/checklist");
    let new = format!("{base}/new");
    for title in ["Announce", "Back up", "Deploy"] {
        let r = b
            .post(&new, &base, &[("title", title), ("notes", "")])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), format!("/acme/releases/{release}#checklist"));
    }
    assert_eq!(audit_count(&app.owner, "checklist_item.added").await, 3);
    let steps = steps_of(&app.owner, release).await;
    let titles: Vec<&str> = steps.iter().map(|s| s.1.as_str()).collect();
    assert_eq!(titles, ["Announce", "Back up", "Deploy"]);
    let (announce, backup, deploy) = (steps[0].0, steps[1].0, steps[2].0);

    // An empty title: 422, nothing saved.
    let r = b
        .post(&new, &base, &[("title", "  "), ("notes", "x")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("enter a step of 1 to 200 characters")
    );
    assert_eq!(steps_of(&app.owner, release).await.len(), 3);

    // Tick: who and when are recorded.
    let before = Utc::now();
    let r = b.post(&new, &format!("{base}/{backup}/tick"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (by, at): (Option<Uuid>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT done_by, done_at FROM checklist_items WHERE id = $1")
            .bind(backup)
            .fetch_one(&app.owner)
            .await
            .expect("step");
    assert_eq!(by, Some(user_id(&app.owner, "rm@acme.test").await));
    assert!(at.is_some_and(|at| at.timestamp() >= before.timestamp() - 1));
    // A second tick by someone else keeps the first one's name and time.
    let owner_b = app.signed_in("owner@acme.test").await;
    owner_b
        .post(&new, &format!("{base}/{backup}/tick"), &[])
        .await;
    assert_eq!(
        steps_of(&app.owner, release).await[1].2,
        Some(user_id(&app.owner, "rm@acme.test").await)
    );
    assert_eq!(audit_count(&app.owner, "checklist_item.ticked").await, 1);
    b.post(&new, &format!("{base}/{backup}/untick"), &[]).await;
    assert_eq!(steps_of(&app.owner, release).await[1].2, None);
    assert_eq!(audit_count(&app.owner, "checklist_item.unticked").await, 1);

    // Move: Deploy up, Announce down, Back up up; the first cannot go up.
    b.post(&new, &format!("{base}/{deploy}/up"), &[]).await;
    b.post(&new, &format!("{base}/{announce}/down"), &[]).await;
    let r = b.post(&new, &format!("{base}/{backup}/up"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let order = || async {
        steps_of(&app.owner, release)
            .await
            .iter()
            .map(|s| s.0)
            .collect::<Vec<Uuid>>()
    };
    assert_eq!(order().await, [deploy, backup, announce]);
    b.post(&new, &format!("{base}/{deploy}/up"), &[]).await;
    assert_eq!(order().await, [deploy, backup, announce]);
    assert_eq!(audit_count(&app.owner, "checklist_item.moved").await, 3);

    // Edit title and notes; a stale edit answers 409 and keeps the input.
    let edit = format!("{base}/{deploy}/edit");
    let r = b
        .post(
            &edit,
            &edit,
            &[
                ("title", "Deploy to production"),
                ("notes", "Use the blue pipeline"),
                ("revision", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = b
        .post(
            &edit,
            &edit,
            &[
                ("title", "Deploy (stale)"),
                ("notes", ""),
                ("revision", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(html.contains("value=\"Deploy (stale)\"") && html.contains("Use the blue pipeline"));
    assert_eq!(audit_count(&app.owner, "checklist_item.updated").await, 1);

    // Delete after confirmation.
    let delete = format!("{base}/{announce}/delete");
    let (status, html) = b.get_text(&delete).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Delete the checklist step “Announce”"));
    b.post(&delete, &delete, &[]).await;
    let titles: Vec<String> = steps_of(&app.owner, release)
        .await
        .into_iter()
        .map(|s| s.1)
        .collect();
    assert_eq!(titles, ["Deploy to production", "Back up"]);
    assert_eq!(audit_count(&app.owner, "checklist_item.deleted").await, 1);
}

#[sqlx::test(migrations = false)]
async fn viewers_read_but_their_runbook_posts_answer_403(owner: PgPool) {
    let app = spawn_app(owner).await;
    let release = insert_release(&app.owner, "acme", "RBK", None, None).await;
    let rm = app.signed_in("rm@acme.test").await;
    let base = format!("/acme/releases/{release}");
    rm.post(
        &format!("{base}/checklist/new"),
        &format!("{base}/checklist"),
        &[("title", "Announce")],
    )
    .await;
    rm.post(
        &format!("{base}/milestones/new"),
        &format!("{base}/milestones"),
        &[("name", "Freeze"), ("due", "2026-07-01T17:00")],
    )
    .await;
    let step = steps_of(&app.owner, release).await[0].0;
    let milestone = milestone_id(&app.owner, release, "Freeze").await;
    for email in ["exec@acme.test", "cab@acme.test"] {
        let b = app.signed_in(email).await;
        let (status, _) = b.get_text(&format!("{base}/milestones/new")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{email}");
        for (path, form) in [
            (
                format!("{base}/milestones"),
                vec![("name", "X"), ("due", "2026-07-01T17:00")],
            ),
            (format!("{base}/milestones/{milestone}/done"), vec![]),
            (format!("{base}/milestones/{milestone}/delete"), vec![]),
            (format!("{base}/milestones/shift"), vec![("by", "86400")]),
            (format!("{base}/checklist"), vec![("title", "X")]),
            (format!("{base}/checklist/{step}/tick"), vec![]),
            (format!("{base}/checklist/{step}/up"), vec![]),
            (format!("{base}/checklist/{step}/delete"), vec![]),
        ] {
            let r = b.post("/acme/", &path, &form).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{email} {path}");
        }
    }
    assert_eq!(milestones_of(&app.owner, release).await.len(), 1);
    assert!(!milestones_of(&app.owner, release).await[0].2);
    assert_eq!(steps_of(&app.owner, release).await.len(), 1);
    assert_eq!(steps_of(&app.owner, release).await[0].2, None);
}

#[sqlx::test(migrations = false)]
async fn another_tenants_release_answers_404(owner: PgPool) {
    let app = spawn_app(owner).await;
    let acme = insert_release(&app.owner, "acme", "RBK", None, None).await;
    let globex = app.signed_in("rm@globex.test").await;
    // The acme release under globex's own slug is not there.
    let base = format!("/globex/releases/{acme}");
    let (status, _) = globex.get_text(&format!("{base}/milestones/new")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (path, form) in [
        (
            format!("{base}/milestones"),
            vec![("name", "X"), ("due", "2026-07-01T17:00")],
        ),
        (format!("{base}/checklist"), vec![("title", "X")]),
        (format!("{base}/milestones/shift"), vec![("by", "86400")]),
        (format!("{base}/milestones/place"), vec![]),
    ] {
        let r = globex.post("/globex/", &path, &form).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // Under acme's slug globex's manager is no member: 404 too.
    let r = globex
        .post(
            "/globex/",
            &format!("/acme/releases/{acme}/checklist"),
            &[("title", "X")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A step of one release addressed through another release is not found.
    let rm = app.signed_in("rm@acme.test").await;
    let other = insert_release(&app.owner, "acme", "RBL", None, None).await;
    rm.post(
        "/acme/",
        &format!("/acme/releases/{acme}/checklist"),
        &[("title", "Mine")],
    )
    .await;
    let step = steps_of(&app.owner, acme).await[0].0;
    let r = rm
        .post(
            "/acme/",
            &format!("/acme/releases/{other}/checklist/{step}/tick"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (status, _) = rm
        .get_text("/acme/releases/not-a-uuid/milestones/new")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(milestones_of(&app.owner, acme).await.is_empty());
    assert_eq!(steps_of(&app.owner, acme).await[0].2, None);
}

#[sqlx::test(migrations = false)]
async fn shifting_moves_only_milestones_not_done_and_is_audited(owner: PgPool) {
    let app = spawn_app(owner).await;
    let release = insert_release(&app.owner, "acme", "RBK", None, None).await;
    let b = app.signed_in("rm@acme.test").await;
    let base = format!("/acme/releases/{release}/milestones");
    let new = format!("{base}/new");
    for (name, due) in [
        ("Code freeze", "2026-07-01T17:00"),
        ("QA sign-off", "2026-07-03T12:00"),
        ("Go/no-go", "2026-07-06T15:00"),
    ] {
        b.post(&new, &base, &[("name", name), ("due", due)]).await;
    }
    let freeze = milestone_id(&app.owner, release, "Code freeze").await;
    b.post(&new, &format!("{base}/{freeze}/done"), &[]).await;

    // +2 days 3 hours
    let shift = format!("{base}/shift?by=183600");
    let (status, html) = b.get_text(&shift).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Go-live moved by +2 days 3 hours."), "{html}");
    assert!(html.contains("Shift the 2 milestones that are not done yet by the same amount?"));
    assert!(html.contains("2026-07-03 12:00 EDT") && html.contains("2026-07-05 15:00 EDT"));
    assert!(html.contains("Keep them"));
    assert!(
        !html.contains("<td>Code freeze</td>"),
        "done milestones are not offered"
    );

    let r = b
        .post(&shift, &format!("{base}/shift"), &[("by", "183600")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        milestones_of(&app.owner, release).await,
        vec![
            ("Code freeze".to_owned(), utc(2026, 7, 1, 21, 0), true),
            ("QA sign-off".to_owned(), utc(2026, 7, 5, 19, 0), false),
            ("Go/no-go".to_owned(), utc(2026, 7, 8, 22, 0), false),
        ]
    );
    assert_eq!(audit_count(&app.owner, "milestones.shifted").await, 1);
    let (status, _) = b.get_text(&format!("{base}/shift?by=soon")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Creates the template "Standard" in acme with `milestones` and two steps.
async fn standard_template(owner: &PgPool, milestones: &str) -> Uuid {
    use almanac_domain::template::{
        TemplateDescription, TemplateName, parse_checklist_lines, parse_milestone_lines,
    };
    let draft = almanac_db::templates::Draft {
        name: TemplateName::parse("Standard").expect("name"),
        description: TemplateDescription::default(),
        milestones: parse_milestone_lines(milestones).expect("milestones"),
        steps: parse_checklist_lines("Announce\nDeploy").expect("steps"),
    };
    let tenant = TenantId(tenant_id(owner, "acme").await);
    almanac_db::scope::in_tenant_on(owner.clone(), tenant, None, move |tx| {
        Box::pin(async move { almanac_db::templates::create(tx, tenant, &draft).await })
    })
    .await
    .expect("template")
}

#[sqlx::test(migrations = false)]
async fn applying_a_template_places_milestones_on_the_wall_clock_across_dst(owner: PgPool) {
    let app = spawn_app(owner).await;
    let template = standard_template(
        &app.owner,
        "Code freeze: -7d 17:00\nSmoke test: -2d 02:15\nReadiness: -3d\nGo-live: 0d",
    )
    .await;
    // Go-live Tuesday 2026-03-10 10:00 EDT; New York springs forward on
    // Sunday 2026-03-08 at 02:00.
    let go_live = utc(2026, 3, 10, 14, 0);
    let release = insert_release(&app.owner, "acme", "RBK", Some(go_live), Some(template)).await;
    let tenant = TenantId(tenant_id(&app.owner, "acme").await);
    almanac_db::scope::in_tenant_on(app.owner.clone(), tenant, None, move |tx| {
        Box::pin(async move {
            almanac_db::templates::apply(
                tx,
                tenant,
                release,
                template,
                Some(go_live),
                "America/New_York",
            )
            .await
        })
    })
    .await
    .expect("apply");
    assert_eq!(
        milestones_of(&app.owner, release).await,
        vec![
            // 17:00 EST, a week before
            ("Code freeze".to_owned(), utc(2026, 3, 3, 22, 0), false),
            // go-live's time of day (10:00) on the Saturday, still EST
            ("Readiness".to_owned(), utc(2026, 3, 7, 15, 0), false),
            // 02:15 does not exist that night: 03:00 EDT
            ("Smoke test".to_owned(), utc(2026, 3, 8, 7, 0), false),
            ("Go-live".to_owned(), go_live, false),
        ]
    );
    let titles: Vec<String> = steps_of(&app.owner, release)
        .await
        .into_iter()
        .map(|s| s.1)
        .collect();
    assert_eq!(titles, ["Announce", "Deploy"]);

    // Without a go-live only the checklist is copied; another tenant's
    // template is not found.
    let later = insert_release(&app.owner, "acme", "RBL", None, Some(template)).await;
    let globex = TenantId(tenant_id(&app.owner, "globex").await);
    let refused = almanac_db::scope::in_tenant_on(app.owner.clone(), globex, None, move |tx| {
        Box::pin(async move {
            almanac_db::templates::apply(tx, globex, later, template, None, "Europe/Berlin").await
        })
    })
    .await;
    assert!(matches!(refused, Err(almanac_db::DbError::NotFound)));
    almanac_db::scope::in_tenant_on(app.owner.clone(), tenant, None, move |tx| {
        Box::pin(async move {
            almanac_db::templates::apply(tx, tenant, later, template, None, "America/New_York")
                .await
        })
    })
    .await
    .expect("apply without go-live");
    assert!(milestones_of(&app.owner, later).await.is_empty());
    assert_eq!(steps_of(&app.owner, later).await.len(), 2);
}

#[sqlx::test(migrations = false)]
async fn milestones_are_placed_from_the_template_once_go_live_is_known(owner: PgPool) {
    let app = spawn_app(owner).await;
    let template = standard_template(&app.owner, "Code freeze: -7d 17:00\nGo-live: 0d").await;
    let go_live = utc(2026, 7, 14, 2, 0); // 22:00 EDT on the 13th
    let release = insert_release(&app.owner, "acme", "RBK", Some(go_live), Some(template)).await;
    let b = app.signed_in("rm@acme.test").await;
    let place = format!("/acme/releases/{release}/milestones/place");
    let r = b.post("/acme/", &place, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        milestones_of(&app.owner, release).await,
        vec![
            ("Code freeze".to_owned(), utc(2026, 7, 6, 21, 0), false),
            ("Go-live".to_owned(), go_live, false),
        ]
    );
    assert_eq!(audit_count(&app.owner, "milestones.placed").await, 1);
    // Placing again does not duplicate them.
    b.post("/acme/", &place, &[]).await;
    assert_eq!(milestones_of(&app.owner, release).await.len(), 2);
    assert_eq!(audit_count(&app.owner, "milestones.placed").await, 1);
}

#[sqlx::test(migrations = false)]
async fn the_release_page_shows_the_runbook_with_controls_for_planners_only(owner: PgPool) {
    let app = spawn_app(owner).await;
    let release = insert_release(&app.owner, "acme", "RBK", None, None).await;
    let rm = app.signed_in("rm@acme.test").await;
    let base = format!("/acme/releases/{release}");
    rm.post(
        "/acme/",
        &format!("{base}/milestones"),
        &[("name", "Code freeze"), ("due", "2020-01-10T17:00")],
    )
    .await;
    rm.post(
        "/acme/",
        &format!("{base}/checklist"),
        &[("title", "Back up the ledger"), ("notes", "")],
    )
    .await;
    let step = steps_of(&app.owner, release).await[0].0;
    rm.post("/acme/", &format!("{base}/checklist/{step}/tick"), &[])
        .await;

    let (status, html) = rm.get_text(&base).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("milestones done 0/1") && html.contains("checklist 1/1"));
    assert!(
        html.contains("2020-01-10 17:00 EST"),
        "due in the viewer's zone"
    );
    assert!(
        html.contains("badge-red\">overdue"),
        "a past milestone not done is overdue"
    );
    assert!(html.contains("by Rami Release at"), "who ticked the step");
    assert!(html.contains("Mark done") && html.contains("Add milestone"));

    let exec = app.signed_in("exec@acme.test").await;
    let (status, html) = exec.get_text(&base).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Code freeze") && html.contains("Back up the ledger"));
    assert!(!html.contains("Mark done") && !html.contains("Add milestone"));
    assert!(
        !html.contains("/checklist/"),
        "no runbook forms for viewers"
    );
}
