//! Environments: create, edit, reorder, delete or archive; one production;
//! validation, stale edits, roles, tenancy. Names start with zz- so they
//! never meet the demo's environments.

use crate::helpers::{Browser, audit_count, location, spawn_app};
use reqwest::StatusCode;
use sqlx::PgPool;
use uuid::Uuid;

const LIST: &str = "/acme/environments";
const NEW: &str = "/acme/environments/new";

async fn create(b: &Browser, form: &[(&str, &str)]) -> reqwest::Response {
    b.post(LIST, NEW, form).await
}

/// (id, shared, requires_window, is_production, archived, revision) of `name`.
async fn row(owner: &PgPool, name: &str) -> Option<(Uuid, bool, bool, bool, bool, i32)> {
    sqlx::query_as(
        "SELECT id, shared, requires_window, is_production, archived, revision
           FROM environments WHERE name = $1",
    )
    .bind(name)
    .fetch_optional(owner)
    .await
    .expect("query")
}

async fn id_of(owner: &PgPool, name: &str) -> Uuid {
    row(owner, name).await.expect("environment").0
}

/// Names of acme's active environments in their order.
async fn order(owner: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT e.name FROM environments e JOIN tenants t ON t.id = e.tenant_id
          WHERE t.slug = 'acme' AND NOT e.archived ORDER BY e.position, lower(e.name)",
    )
    .fetch_all(owner)
    .await
    .expect("order")
}

#[sqlx::test(migrations = false)]
async fn a_planner_creates_edits_and_deletes_an_environment(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let r = create(&b, &[("name", " zz-qa "), ("shared", "true")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), LIST);
    let (id, shared, requires_window, production, archived, _) =
        row(&app.owner, "zz-qa").await.expect("created, trimmed");
    assert_eq!(
        (shared, requires_window, production, archived),
        (true, false, false, false)
    );
    assert_eq!(
        order(&app.owner).await.last().map(String::as_str),
        Some("zz-qa"),
        "added last"
    );
    assert_eq!(audit_count(&app.owner, "environment.created").await, 1);
    let (status, list) = b.get_text(LIST).await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("Environment zz-qa created.") && list.contains("zz-qa"));

    let edit = format!("/acme/environments/{id}/edit");
    let r = b
        .post(
            &edit,
            &edit,
            &[
                ("name", "zz-uat"),
                ("requires_window", "true"),
                ("revision", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (same, shared, requires_window, ..) = row(&app.owner, "zz-uat").await.expect("renamed");
    assert_eq!((same, shared, requires_window), (id, false, true));
    assert_eq!(audit_count(&app.owner, "environment.updated").await, 1);
    let (_, page) = b.get_text(&edit).await;
    assert!(page.contains("environment updated") && page.contains("environment created"));

    let delete = format!("/acme/environments/{id}/delete");
    let (status, confirm) = b.get_text(&delete).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Delete the environment zz-uat"));
    let r = b.post(&delete, &delete, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(row(&app.owner, "zz-uat").await.is_none());
    assert_eq!(audit_count(&app.owner, "environment.deleted").await, 1);
}

#[sqlx::test(migrations = false)]
async fn invalid_environments_answer_422_and_save_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    create(&b, &[("name", "zz-taken")]).await;
    let long = format!("zz-{}", "x".repeat(60));
    for (name, message) in [
        ("", "enter a name"),
        (long.as_str(), "at most 60 characters"),
        ("zz-taken", "an environment with this name exists"),
    ] {
        let r = create(&b, &[("name", name), ("shared", "true")]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        let html = r.text().await.expect("body");
        assert!(html.contains(message), "{name:?}");
        assert!(html.contains(&format!("value=\"{name}\"")), "input kept");
    }
    assert!(row(&app.owner, &long).await.is_none());
    assert_eq!(audit_count(&app.owner, "environment.created").await, 1);
    // Renaming onto a taken name is refused too.
    create(&b, &[("name", "zz-other")]).await;
    let other = id_of(&app.owner, "zz-other").await;
    let edit = format!("/acme/environments/{other}/edit");
    let r = b
        .post(&edit, &edit, &[("name", "zz-taken"), ("revision", "1")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(row(&app.owner, "zz-other").await.is_some());
}

#[sqlx::test(migrations = false)]
async fn a_stale_environment_edit_answers_409_and_loses_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    create(&b, &[("name", "zz-stale")]).await;
    let id = id_of(&app.owner, "zz-stale").await;
    let edit = format!("/acme/environments/{id}/edit");
    let r = b
        .post(&edit, &edit, &[("name", "zz-first"), ("revision", "1")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = b
        .post(
            &edit,
            &edit,
            &[("name", "zz-second"), ("shared", "true"), ("revision", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(html.contains("value=\"zz-second\""), "input kept");
    assert!(html.contains("zz-first"), "current record shown");
    assert!(html.contains("name=\"revision\" value=\"2\""));
    assert!(row(&app.owner, "zz-second").await.is_none());
    assert_eq!(audit_count(&app.owner, "environment.updated").await, 1);
}

#[sqlx::test(migrations = false)]
async fn only_one_environment_is_production(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    create(&b, &[("name", "zz-prod-a"), ("is_production", "true")]).await;
    let r = create(&b, &[("name", "zz-prod-b"), ("is_production", "true")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = b.get_text(LIST).await;
    assert!(list.contains("now the production environment (instead of zz-prod-a)"));
    let production = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT e.name FROM environments e JOIN tenants t ON t.id = e.tenant_id
              WHERE t.slug = 'acme' AND e.is_production",
        )
        .fetch_all(&app.owner)
        .await
        .expect("production")
    };
    assert_eq!(production().await, vec!["zz-prod-b".to_owned()]);
    // Taking the mark back through an edit.
    let a = row(&app.owner, "zz-prod-a").await.expect("a");
    let edit = format!("/acme/environments/{}/edit", a.0);
    let revision = a.5.to_string();
    let r = b
        .post(
            &edit,
            &edit,
            &[
                ("name", "zz-prod-a"),
                ("is_production", "true"),
                ("revision", &revision),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(production().await, vec!["zz-prod-a".to_owned()]);
    // Each loss of the mark is in the loser's history.
    assert_eq!(audit_count(&app.owner, "environment.updated").await, 3);
}

#[sqlx::test(migrations = false)]
async fn environments_move_up_and_down(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    for name in ["zz-x", "zz-y", "zz-z"] {
        create(&b, &[("name", name)]).await;
    }
    let mine = |all: Vec<String>| -> Vec<String> {
        all.into_iter().filter(|n| n.starts_with("zz-")).collect()
    };
    assert_eq!(mine(order(&app.owner).await), ["zz-x", "zz-y", "zz-z"]);
    let move_path = |id: Uuid| format!("/acme/environments/{id}/move");
    let (x, z) = (
        id_of(&app.owner, "zz-x").await,
        id_of(&app.owner, "zz-z").await,
    );
    let r = b.post(LIST, &move_path(z), &[("direction", "up")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(mine(order(&app.owner).await), ["zz-x", "zz-z", "zz-y"]);
    let r = b.post(LIST, &move_path(x), &[("direction", "down")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(mine(order(&app.owner).await), ["zz-z", "zz-x", "zz-y"]);
    // The last one cannot move further down.
    let y = id_of(&app.owner, "zz-y").await;
    b.post(LIST, &move_path(y), &[("direction", "down")]).await;
    let (_, list) = b.get_text(LIST).await;
    assert!(list.contains("zz-y already is last."));
    assert_eq!(mine(order(&app.owner).await), ["zz-z", "zz-x", "zz-y"]);
    assert_eq!(audit_count(&app.owner, "environment.moved").await, 2);
    let r = b
        .post(LIST, &move_path(y), &[("direction", "sideways")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // The page lists them in that order.
    let at = |n: &str| list.find(&format!(">{n}<")).expect(n);
    assert!(at("zz-z") < at("zz-x") && at("zz-x") < at("zz-y"));
}

#[sqlx::test(migrations = false)]
async fn an_environment_with_deployments_is_archived_not_deleted(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    create(&b, &[("name", "zz-used")]).await;
    let env = id_of(&app.owner, "zz-used").await;
    b.post(
        "/acme/products",
        "/acme/products/new",
        &[("key", "ZENV"), ("name", "Zeta Env")],
    )
    .await;
    sqlx::query(
        "WITH r AS (
             INSERT INTO releases (tenant_id, id, product_id, version, type)
             SELECT tenant_id, gen_random_uuid(), id, '1.0', 'patch' FROM products WHERE key = 'ZENV'
             RETURNING tenant_id, id)
         INSERT INTO deployments (tenant_id, id, release_id, environment_id)
         SELECT tenant_id, gen_random_uuid(), id, $1 FROM r",
    )
    .bind(env)
    .execute(&app.owner)
    .await
    .expect("deployment");
    let delete = format!("/acme/environments/{env}/delete");
    let (_, confirm) = b.get_text(&delete).await;
    assert!(confirm.contains("Archive the environment zz-used"));
    let r = b.post(&delete, &delete, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (.., archived, _) = row(&app.owner, "zz-used").await.expect("kept");
    assert!(archived);
    assert_eq!(audit_count(&app.owner, "environment.deleted").await, 0);
    assert_eq!(audit_count(&app.owner, "environment.archived").await, 1);
    assert!(!order(&app.owner).await.contains(&"zz-used".to_owned()));
    let (_, list) = b.get_text(LIST).await;
    assert!(list.contains("archived instead of deleted") && list.contains("Archived"));

    let r = b
        .post(LIST, &format!("/acme/environments/{env}/restore"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        order(&app.owner).await.last().map(String::as_str),
        Some("zz-used"),
        "restored last"
    );
    assert_eq!(audit_count(&app.owner, "environment.restored").await, 1);
}

#[sqlx::test(migrations = false)]
async fn viewers_and_approvers_see_no_controls_and_cannot_change_environments(owner: PgPool) {
    let app = spawn_app(owner).await;
    let rm = app.signed_in("rm@acme.test").await;
    create(&rm, &[("name", "zz-readonly")]).await;
    let id = id_of(&app.owner, "zz-readonly").await;
    for email in ["exec@acme.test", "qa@acme.test"] {
        let b = app.signed_in(email).await;
        let (status, list) = b.get_text(LIST).await;
        assert_eq!(status, StatusCode::OK);
        assert!(list.contains("zz-readonly"));
        assert!(!list.contains("New environment") && !list.contains("Move up"));
        let (status, page) = b.get_text(&format!("/acme/environments/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{email} reads the environment");
        assert!(page.contains("environment created"), "history panel");
        assert!(!page.contains("Edit environment") && !page.contains("Delete…"));
        for path in [
            NEW.to_owned(),
            format!("/acme/environments/{id}/edit"),
            format!("/acme/environments/{id}/delete"),
        ] {
            assert_eq!(
                b.get(&path).await.status(),
                StatusCode::FORBIDDEN,
                "{email} GET {path}"
            );
        }
        for (path, form) in [
            (NEW.to_owned(), vec![("name", "zz-nope")]),
            (
                format!("/acme/environments/{id}/edit"),
                vec![("name", "zz-nope"), ("revision", "1")],
            ),
            (
                format!("/acme/environments/{id}/move"),
                vec![("direction", "up")],
            ),
            (format!("/acme/environments/{id}/delete"), vec![]),
            (format!("/acme/environments/{id}/restore"), vec![]),
        ] {
            let r = b.post(LIST, &path, &form).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{email} POST {path}");
        }
    }
    assert!(row(&app.owner, "zz-nope").await.is_none());
    assert!(row(&app.owner, "zz-readonly").await.is_some());
    assert_eq!(audit_count(&app.owner, "environment.updated").await, 0);
}

#[sqlx::test(migrations = false)]
async fn another_tenants_environment_is_not_found(owner: PgPool) {
    let app = spawn_app(owner).await;
    let rm = app.signed_in("rm@acme.test").await;
    create(&rm, &[("name", "zz-acme-only")]).await;
    let id = id_of(&app.owner, "zz-acme-only").await;
    let globex = app.signed_in("rm@globex.test").await;
    for path in [
        format!("/globex/environments/{id}"),
        format!("/globex/environments/{id}/edit"),
        format!("/globex/environments/{id}/delete"),
        format!("/acme/environments/{id}/edit"),
        "/acme/environments".to_owned(),
        "/globex/environments/not-a-uuid/edit".to_owned(),
    ] {
        assert_eq!(
            globex.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "GET {path}"
        );
    }
    for (path, form) in [
        (
            format!("/globex/environments/{id}/edit"),
            vec![("name", "zz-taken-over"), ("revision", "1")],
        ),
        (
            format!("/globex/environments/{id}/move"),
            vec![("direction", "up")],
        ),
        (format!("/globex/environments/{id}/delete"), vec![]),
        (format!("/globex/environments/{id}/restore"), vec![]),
    ] {
        let r = globex.post("/globex/environments", &path, &form).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "POST {path}");
    }
    assert!(row(&app.owner, "zz-acme-only").await.is_some());
    assert!(row(&app.owner, "zz-taken-over").await.is_none());
}
