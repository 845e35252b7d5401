//! Release templates: `/{tenant}/settings/templates`.

use crate::helpers::{audit_count, location, spawn_app};
use reqwest::StatusCode;
use sqlx::PgPool;
use uuid::Uuid;

const LIST: &str = "/acme/settings/templates";
const NEW: &str = "/acme/settings/templates/new";

const MILESTONES: &str = "Code freeze: \u{2212}7d 17:00\nQA sign-off: -2d 12:00\nGo-live: 0d";
const STEPS: &str = "Announce the freeze\nBack up the ledger\nDeploy";

fn form<'a>(name: &'a str, milestones: &'a str, revision: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("description", "Our usual minor release"),
        ("milestones", milestones),
        ("checklist", STEPS),
        ("revision", revision),
        ("action", "save"),
    ]
}

async fn template_count(owner: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM release_templates")
        .fetch_one(owner)
        .await
        .expect("count")
}

/// (name, offset_days, at_time as text) of a template's milestones.
async fn lines_of(owner: &PgPool, template: Uuid) -> Vec<(String, i32, Option<String>)> {
    sqlx::query_as(
        "SELECT name, offset_days, to_char(at_time, 'HH24:MI') FROM template_milestones
          WHERE template_id = $1 ORDER BY position",
    )
    .bind(template)
    .fetch_all(owner)
    .await
    .expect("lines")
}

fn id_in(location: &str) -> Uuid {
    location
        .rsplit('/')
        .next()
        .and_then(|s| Uuid::parse_str(s).ok())
        .expect("template id in the location")
}

#[sqlx::test(migrations = false)]
async fn templates_are_created_viewed_edited_and_deleted(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let (status, html) = b.get_text(LIST).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No release templates yet."));
    assert!(html.contains("New template"));

    let r = b
        .post(NEW, LIST, &form("Standard release", MILESTONES, "0"))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = id_in(&location(&r));
    assert_eq!(
        lines_of(&app.owner, id).await,
        vec![
            ("Code freeze".to_owned(), -7, Some("17:00".to_owned())),
            ("QA sign-off".to_owned(), -2, Some("12:00".to_owned())),
            ("Go-live".to_owned(), 0, None),
        ]
    );
    assert_eq!(audit_count(&app.owner, "template.created").await, 1);

    // The record page: offsets in words, the checklist, the history.
    let show = format!("{LIST}/{id}");
    let (status, html) = b.get_text(&show).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Template “Standard release” created."),
        "flash"
    );
    assert!(html.contains("7 days before go-live at 17:00"));
    assert!(html.contains("at go-live"));
    assert!(html.contains("Back up the ledger"));
    assert!(html.contains("template created"), "history panel");
    // The list counts milestones and steps.
    let (_, html) = b.get_text(LIST).await;
    assert!(html.contains("Standard release"));
    assert!(html.contains("<td class=\"num\">3</td>"));

    // The edit form holds the lines in editor form.
    let edit = format!("{LIST}/{id}/edit");
    let (status, html) = b.get_text(&edit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Code freeze: -7d 17:00\nQA sign-off: -2d 12:00\nGo-live: 0d\n"));
    let r = b
        .post(
            &edit,
            &edit,
            &form(
                "Standard release",
                "Code freeze: -8d 16:00\nGo-live: 0d",
                "1",
            ),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        lines_of(&app.owner, id).await,
        vec![
            ("Code freeze".to_owned(), -8, Some("16:00".to_owned())),
            ("Go-live".to_owned(), 0, None),
        ]
    );
    assert_eq!(audit_count(&app.owner, "template.updated").await, 1);
    let (_, html) = b.get_text(&show).await;
    assert!(html.contains("Code freeze: -7d 17:00") && html.contains("Code freeze: -8d 16:00"));

    // Delete after confirmation.
    let delete = format!("{LIST}/{id}/delete");
    let (status, html) = b.get_text(&delete).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Delete the template “Standard release”?"));
    let r = b.post(&delete, &delete, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), LIST);
    assert_eq!(template_count(&app.owner).await, 0);
    assert_eq!(audit_count(&app.owner, "template.deleted").await, 1);
    let (status, _) = b.get_text(&show).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[sqlx::test(migrations = false)]
async fn bad_lines_answer_422_with_the_line_number_and_save_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let bad = "Code freeze: -7d 17:00\n\nQA sign-off -2d";
    let r = b.post(NEW, LIST, &form("Standard release", bad, "0")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(
        html.contains("line 3: write the milestone as Name: offset"),
        "{html}"
    );
    assert!(html.contains("QA sign-off -2d"), "the input is kept");
    // Each kind of problem, one at a time.
    let long_steps = format!("ok\n\n{}", "x".repeat(201));
    let cases: [(Vec<(&str, &str)>, &str); 4] = [
        (
            form("", MILESTONES, "0"),
            "enter a name of 1 to 100 characters",
        ),
        (
            form("T", "A: -1d\nB: -400d", "0"),
            "line 2: keep the offset within 365 days of go-live",
        ),
        (
            form("T", "A: -1d 24:00", "0"),
            "line 1: write the time as HH:MM",
        ),
        (
            vec![
                ("name", "T"),
                ("checklist", &long_steps),
                ("action", "save"),
            ],
            "line 3: enter a step of 1 to 200 characters",
        ),
    ];
    for (fields, message) in &cases {
        let r = b.post(NEW, LIST, fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert!(r.text().await.expect("body").contains(message), "{message}");
    }
    assert_eq!(template_count(&app.owner).await, 0);
    assert_eq!(audit_count(&app.owner, "template.created").await, 0);

    // A duplicate name is a field error too.
    b.post(NEW, LIST, &form("Standard release", MILESTONES, "0"))
        .await;
    let r = b.post(NEW, LIST, &form("Standard release", "", "0")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("another template has this name")
    );
    assert_eq!(template_count(&app.owner).await, 1);
}

#[sqlx::test(migrations = false)]
async fn preview_shows_offsets_in_words_and_saves_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let mut fields = form("Standard release", MILESTONES, "0");
    fields.retain(|(k, _)| *k != "action");
    fields.push(("action", "preview"));
    let r = b.post(NEW, LIST, &fields).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("body");
    assert!(html.contains("2 days before go-live at 12:00"));
    assert!(html.contains("value=\"Standard release\""));
    assert_eq!(template_count(&app.owner).await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_stale_template_edit_answers_409_and_loses_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let r = b
        .post(NEW, LIST, &form("Standard release", MILESTONES, "0"))
        .await;
    let id = id_in(&location(&r));
    let edit = format!("{LIST}/{id}/edit");
    let first = b
        .post(&edit, &edit, &form("First edit", MILESTONES, "1"))
        .await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let r = b
        .post(&edit, &edit, &form("Second edit", "Go-live: 0d 09:00", "1"))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(html.contains("value=\"Second edit\""), "the input is kept");
    assert!(html.contains("Go-live: 0d 09:00"), "the lines are kept");
    assert!(html.contains("First edit"), "the current record is shown");
    assert!(html.contains("name=\"revision\" value=\"2\""));
    assert_eq!(audit_count(&app.owner, "template.updated").await, 1);
    let name: String = sqlx::query_scalar("SELECT name FROM release_templates WHERE id = $1")
        .bind(id)
        .fetch_one(&app.owner)
        .await
        .expect("name");
    assert_eq!(name, "First edit");
}

#[sqlx::test(migrations = false)]
async fn members_read_templates_but_only_planners_change_them(owner: PgPool) {
    let app = spawn_app(owner).await;
    let rm = app.signed_in("rm@acme.test").await;
    let r = rm
        .post(NEW, LIST, &form("Standard release", MILESTONES, "0"))
        .await;
    let id = id_in(&location(&r));
    let show = format!("{LIST}/{id}");
    for email in ["exec@acme.test", "qa@acme.test"] {
        let b = app.signed_in(email).await;
        let (status, html) = b.get_text(LIST).await;
        assert_eq!(status, StatusCode::OK, "{email}");
        assert!(html.contains("Standard release") && !html.contains("New template"));
        let (status, html) = b.get_text(&show).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!html.contains("Edit template"), "no edit controls");
        let (status, _) = b.get_text(NEW).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        for (path, fields) in [
            (LIST.to_owned(), form("Mine", MILESTONES, "0")),
            (format!("{show}/edit"), form("Mine", MILESTONES, "1")),
            (format!("{show}/delete"), vec![]),
        ] {
            let r = b.post(LIST, &path, &fields).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{email} {path}");
        }
    }
    assert_eq!(template_count(&app.owner).await, 1);
    assert_eq!(audit_count(&app.owner, "template.updated").await, 0);
}

#[sqlx::test(migrations = false)]
async fn another_tenants_template_answers_404(owner: PgPool) {
    let app = spawn_app(owner).await;
    let rm = app.signed_in("rm@acme.test").await;
    let r = rm
        .post(NEW, LIST, &form("Standard release", MILESTONES, "0"))
        .await;
    let id = id_in(&location(&r));
    let globex = app.signed_in("rm@globex.test").await;
    let base = format!("/globex/settings/templates/{id}");
    for path in [
        base.clone(),
        format!("{base}/edit"),
        format!("{base}/delete"),
    ] {
        let (status, _) = globex.get_text(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let r = globex
        .post(
            "/globex/settings/templates",
            &format!("{base}/edit"),
            &form("Stolen", "", "1"),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = globex
        .post("/globex/settings/templates", &format!("{base}/delete"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (status, _) = globex
        .get_text("/globex/settings/templates/not-a-uuid")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(template_count(&app.owner).await, 1);
    let (_, html) = globex.get_text("/globex/settings/templates").await;
    assert!(!html.contains("Standard release"), "lists are per tenant");
}
