//! Go/no-go policies: `/{tenant}/settings/policies`, the named presets the
//! "Open a review" form offers.

use crate::helpers::{audit_count, location, spawn_app};
use crate::runbook::insert_release;
use reqwest::StatusCode;
use sqlx::PgPool;
use uuid::Uuid;

const LIST: &str = "/acme/settings/policies";
const NEW: &str = "/acme/settings/policies/new";

const CAB: &str = "Stage: QA\n  QA lead: required 1 of qa@acme.test\nStage: Business\n  required 2 of approvers\n  optional all of cab@acme.test, owner@acme.test";

fn form<'a>(name: &'a str, policy: &'a str, revision: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("description", "Our usual change board"),
        ("policy", policy),
        ("revision", revision),
    ]
}

async fn policy_count(owner: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM review_policies")
        .fetch_one(owner)
        .await
        .expect("count")
}

/// (name, revision) of every stored policy, by name.
async fn stored(owner: &PgPool) -> Vec<(String, i32)> {
    sqlx::query_as("SELECT name, revision FROM review_policies ORDER BY name")
        .fetch_all(owner)
        .await
        .expect("policies")
}

async fn id_of(owner: &PgPool, name: &str) -> Uuid {
    sqlx::query_scalar("SELECT id FROM review_policies WHERE name = $1")
        .bind(name)
        .fetch_one(owner)
        .await
        .expect("policy id")
}

#[sqlx::test(migrations = false)]
async fn policies_are_created_listed_offered_edited_and_deleted(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let (status, html) = b.get_text(LIST).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("No go/no-go policies yet."));
    assert!(html.contains("New policy"));

    // The form explains the format and lists who can vote.
    let (status, html) = b.get_text(NEW).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("One “Stage: name” line per stage"), "hint");
    assert!(html.contains("cab@acme.test (Cora Cab, approver)"));
    assert!(html.contains("rm@acme.test (Rami Release, release manager)"));
    assert!(!html.contains("exec@acme.test ("), "viewers never vote");

    let r = b.post(NEW, NEW, &form("Standard CAB", CAB, "0")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), LIST);
    assert_eq!(
        stored(&app.owner).await,
        vec![("Standard CAB".to_owned(), 1)]
    );
    assert_eq!(audit_count(&app.owner, "review_policy.created").await, 1);
    let id = id_of(&app.owner, "Standard CAB").await;

    // Listed in words and as written.
    let (_, html) = b.get_text(LIST).await;
    assert!(html.contains("Policy “Standard CAB” created."), "flash");
    assert!(html.contains("Our usual change board"));
    assert!(html.contains("QA lead: 1 of Quinn QA"), "{html}");
    assert!(html.contains("2 of the approvers"));
    assert!(html.contains("all of Cora Cab, Olivia Owner"));
    assert!(html.contains("  QA lead: required 1 of qa@acme.test\n"));
    assert!(html.contains(&format!("{LIST}/{id}/edit")));

    // Offered by the "Open a review" form.
    let release = insert_release(&app.owner, "acme", "PAY", None, None).await;
    let (status, html) = b
        .get_text(&format!("/acme/releases/{release}/reviews/new"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!(
        "<option value=\"{id}\" selected>Standard CAB</option>"
    )));

    // The edit form holds the policy as written, with its history.
    let edit = format!("{LIST}/{id}/edit");
    let (status, html) = b.get_text(&edit).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(
        "Stage: QA\n  QA lead: required 1 of qa@acme.test\nStage: Business\n  required 2 of approvers\n"
    ));
    assert!(html.contains("name=\"revision\" value=\"1\""));
    assert!(html.contains("review policy created"), "history panel");
    let r = b
        .post(
            &edit,
            &edit,
            &form(
                "Standard CAB",
                "Stage: CAB\n  required 1 of cab@acme.test",
                "1",
            ),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), LIST);
    assert_eq!(
        stored(&app.owner).await,
        vec![("Standard CAB".to_owned(), 2)]
    );
    assert_eq!(audit_count(&app.owner, "review_policy.updated").await, 1);
    let (_, html) = b.get_text(LIST).await;
    assert!(html.contains("Policy “Standard CAB” saved."));
    assert!(html.contains("1 of Cora Cab") && !html.contains("Quinn QA"));
    let (_, html) = b.get_text(&edit).await;
    assert!(html.contains("review policy updated"));
    assert!(
        html.contains("Stage: CAB, required 1 of cab@acme.test"),
        "the change"
    );

    // Delete after confirmation.
    let delete = format!("{LIST}/{id}/delete");
    let (status, html) = b.get_text(&delete).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Delete the policy “Standard CAB”?"));
    assert!(html.contains("name=\"revision\" value=\"2\""));
    let r = b.post(&delete, &delete, &[("revision", "2")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), LIST);
    assert_eq!(policy_count(&app.owner).await, 0);
    assert_eq!(audit_count(&app.owner, "review_policy.deleted").await, 1);
    let (_, html) = b.get_text(LIST).await;
    assert!(html.contains("Policy “Standard CAB” deleted."));
    let (status, _) = b.get_text(&edit).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, html) = b
        .get_text(&format!("/acme/releases/{release}/reviews/new"))
        .await;
    assert!(!html.contains("Standard CAB"), "no longer offered");
}

#[sqlx::test(migrations = false)]
async fn the_settings_page_links_the_policies(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("owner@acme.test").await;
    let (status, html) = b.get_text("/acme/settings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("href=\"/acme/settings/policies\">Go/no-go policies</a>"));
}

#[sqlx::test(migrations = false)]
async fn invalid_policies_answer_422_keep_the_input_and_save_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let long_name = "x".repeat(101);
    let too_many_stages = (1..=11)
        .map(|n| format!("Stage: S{n}\n  required 1 of approvers\n"))
        .collect::<String>();
    let cases: [(Vec<(&str, &str)>, &str); 7] = [
        (form("", CAB, "0"), "enter a name of 1 to 100 characters"),
        (
            form(&long_name, CAB, "0"),
            "enter a name of 1 to 100 characters",
        ),
        (
            form("T", "", "0"),
            "line 1: write at least one stage with a required rule",
        ),
        (
            form("T", "Stage: QA\n\n  required 1 of nobody@acme.test", "0"),
            "line 3: nobody@acme.test is not a member of this organisation",
        ),
        (
            form("T", "Stage: QA\n  required 1 of exec@acme.test", "0"),
            "line 2: exec@acme.test is a viewer and cannot vote",
        ),
        (
            form("T", "Stage: QA\n  optional 1 of approvers", "0"),
            "line 1: stage “QA” needs at least one required rule",
        ),
        (
            form("T", &too_many_stages, "0"),
            "line 21: at most 10 stages",
        ),
    ];
    for (fields, message) in &cases {
        let r = b.post(NEW, NEW, fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        let html = r.text().await.expect("body");
        assert!(html.contains(message), "{message}: {html}");
        assert!(html.contains("Our usual change board"), "the input is kept");
    }
    let r = b
        .post(
            NEW,
            NEW,
            &form("T", "Stage: QA\n  required 1 of nobody@acme.test", "0"),
        )
        .await;
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("required 1 of nobody@acme.test</textarea>"),
        "the lines are kept"
    );
    assert_eq!(policy_count(&app.owner).await, 0);
    assert_eq!(audit_count(&app.owner, "review_policy.created").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_name_in_use_answers_422_on_create_and_on_edit(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    for name in ["Standard CAB", "Hotfix"] {
        let r = b.post(NEW, NEW, &form(name, CAB, "0")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let r = b.post(NEW, NEW, &form("Standard CAB", CAB, "0")).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("another policy has this name")
    );
    let edit = format!("{LIST}/{}/edit", id_of(&app.owner, "Hotfix").await);
    let r = b
        .post(&edit, &edit, &form(" Standard CAB ", CAB, "1"))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(html.contains("another policy has this name"));
    assert!(html.contains("review policy created"), "the history panel");
    assert_eq!(
        stored(&app.owner).await,
        vec![("Hotfix".to_owned(), 1), ("Standard CAB".to_owned(), 1)]
    );
    assert_eq!(audit_count(&app.owner, "review_policy.created").await, 2);
    assert_eq!(audit_count(&app.owner, "review_policy.updated").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_stale_edit_or_delete_answers_409_and_loses_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    b.post(NEW, NEW, &form("Standard CAB", CAB, "0")).await;
    let id = id_of(&app.owner, "Standard CAB").await;
    let edit = format!("{LIST}/{id}/edit");
    let first = b.post(&edit, &edit, &form("First edit", CAB, "1")).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let r = b
        .post(
            &edit,
            &edit,
            &form(
                "Second edit",
                "Stage: Late\n  required 1 of cab@acme.test",
                "1",
            ),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(html.contains("value=\"Second edit\""), "the input is kept");
    assert!(html.contains("Stage: Late"), "the lines are kept");
    assert!(html.contains("First edit"), "the current record is shown");
    assert!(html.contains("Someone else changed this policy"));
    assert!(html.contains("name=\"revision\" value=\"2\""));
    assert_eq!(stored(&app.owner).await, vec![("First edit".to_owned(), 2)]);
    assert_eq!(audit_count(&app.owner, "review_policy.updated").await, 1);

    // Deleting what was confirmed at revision 1 shows the current one again.
    let delete = format!("{LIST}/{id}/delete");
    let r = b.post(&delete, &delete, &[("revision", "1")]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(html.contains("Delete the policy “First edit”?"));
    assert!(html.contains("name=\"revision\" value=\"2\""));
    assert_eq!(policy_count(&app.owner).await, 1);
    assert_eq!(audit_count(&app.owner, "review_policy.deleted").await, 0);
}

#[sqlx::test(migrations = false)]
async fn members_read_policies_but_only_planners_change_them(owner: PgPool) {
    let app = spawn_app(owner).await;
    let rm = app.signed_in("rm@acme.test").await;
    rm.post(NEW, NEW, &form("Standard CAB", CAB, "0")).await;
    let id = id_of(&app.owner, "Standard CAB").await;
    let base = format!("{LIST}/{id}");
    for email in ["exec@acme.test", "cab@acme.test"] {
        let b = app.signed_in(email).await;
        let (status, html) = b.get_text(LIST).await;
        assert_eq!(status, StatusCode::OK, "{email}");
        assert!(html.contains("Standard CAB") && html.contains("2 of the approvers"));
        assert!(!html.contains("New policy"), "{email}: no create button");
        assert!(
            !html.contains("/edit") && !html.contains("/delete"),
            "no edit controls"
        );
        for path in [
            NEW.to_owned(),
            format!("{base}/edit"),
            format!("{base}/delete"),
        ] {
            let (status, _) = b.get_text(&path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{email} GET {path}");
        }
        for (path, fields) in [
            (NEW.to_owned(), form("Mine", CAB, "0")),
            (format!("{base}/edit"), form("Mine", CAB, "1")),
            (format!("{base}/delete"), vec![("revision", "1")]),
        ] {
            let r = b.post(LIST, &path, &fields).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{email} POST {path}");
        }
    }
    assert_eq!(
        stored(&app.owner).await,
        vec![("Standard CAB".to_owned(), 1)]
    );
    assert_eq!(audit_count(&app.owner, "review_policy.created").await, 1);
    assert_eq!(audit_count(&app.owner, "review_policy.updated").await, 0);
    assert_eq!(audit_count(&app.owner, "review_policy.deleted").await, 0);
}

#[sqlx::test(migrations = false)]
async fn another_tenants_policy_answers_404(owner: PgPool) {
    let app = spawn_app(owner).await;
    let rm = app.signed_in("rm@acme.test").await;
    rm.post(NEW, NEW, &form("Standard CAB", CAB, "0")).await;
    let id = id_of(&app.owner, "Standard CAB").await;
    let globex = app.signed_in("rm@globex.test").await;
    let list = "/globex/settings/policies";
    let base = format!("{list}/{id}");
    for path in [format!("{base}/edit"), format!("{base}/delete")] {
        let (status, _) = globex.get_text(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let r = globex
        .post(list, &format!("{base}/edit"), &form("Stolen", "", "1"))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = globex
        .post(list, &format!("{base}/delete"), &[("revision", "1")])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (status, _) = globex.get_text(&format!("{list}/not-a-uuid/edit")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, html) = globex.get_text(list).await;
    assert!(!html.contains("Standard CAB"), "lists are per tenant");
    assert_eq!(
        stored(&app.owner).await,
        vec![("Standard CAB".to_owned(), 1)]
    );
}

#[sqlx::test(migrations = false)]
async fn a_policy_todays_members_cannot_decide_is_kept_with_a_warning(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    // Two approvers today; a third may join before the policy is used.
    let policy = "Stage: Board\n  required 3 of approvers";
    let r = b.post(NEW, NEW, &form("Big board", policy, "0")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get_text(LIST).await;
    assert!(html.contains("this policy could never be decided"));
    assert!(html.contains(
        "Stage “Board”, rule “3 of the approvers”: needs 3 go votes but only 2 people may vote"
    ));
}
