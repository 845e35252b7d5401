//! Go/no-go reviews over HTTP: opening a round with a policy, voting
//! (incl. changes, refusals and many voters at once), closing with and
//! against the votes, the release statuses that follow, the board, and the
//! calendar's rule 6.

use crate::helpers::{TestApp, audit_count, location, spawn_app, tenant_id};
use reqwest::StatusCode;
use sqlx::PgPool;
use uuid::Uuid;

async fn demo_app(owner: PgPool) -> TestApp {
    let app = spawn_app(owner).await;
    almanac::demo::load(&app.owner).await.expect("demo");
    app
}

/// A scheduled acme release with a future go-live and no review yet, owned
/// by rm@acme.test (so approvers may vote on it).
async fn scheduled_release(owner: &PgPool) -> (Uuid, String) {
    let (id, label): (Uuid, String) = sqlx::query_as(
        "SELECT r.id, p.key || ' ' || r.version
           FROM releases r
           JOIN tenants t ON t.id = r.tenant_id
           JOIN products p ON p.tenant_id = r.tenant_id AND p.id = r.product_id
           JOIN deployments d ON d.tenant_id = r.tenant_id AND d.release_id = r.id
           JOIN environments e ON e.tenant_id = d.tenant_id AND e.id = d.environment_id
          WHERE t.slug = 'acme' AND r.status = 'scheduled' AND e.is_production
            AND d.planned_start > now() + interval '3 days'
            AND NOT EXISTS (SELECT 1 FROM reviews v WHERE v.release_id = r.id)
          ORDER BY d.planned_start LIMIT 1",
    )
    .fetch_one(owner)
    .await
    .expect("a scheduled demo release");
    sqlx::query(
        "UPDATE releases SET owner_id = (SELECT id FROM users WHERE email = 'rm@acme.test')
          WHERE id = $1",
    )
    .bind(id)
    .execute(owner)
    .await
    .expect("owner");
    (id, label)
}

async fn release_status(owner: &PgPool, id: Uuid) -> String {
    sqlx::query_scalar("SELECT status FROM releases WHERE id = $1")
        .bind(id)
        .fetch_one(owner)
        .await
        .expect("status")
}

async fn outbox(owner: &PgPool, topic: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE topic = $1")
        .bind(topic)
        .fetch_one(owner)
        .await
        .expect("outbox")
}

/// The votes on `release`'s rounds (the demo's own rounds have votes too).
async fn vote_rows(owner: &PgPool, release: Uuid) -> Vec<(String, String, String)> {
    sqlx::query_as(
        "SELECT u.email, v.choice, v.comment FROM votes v JOIN users u ON u.id = v.voter_id
           JOIN reviews r ON r.tenant_id = v.tenant_id AND r.id = v.review_id
          WHERE r.release_id = $1
          ORDER BY u.email",
    )
    .bind(release)
    .fetch_all(owner)
    .await
    .expect("votes")
}

const CAB_POLICY: &str =
    "Stage: CAB\n  CAB chair: required 1 of cab@acme.test\n  optional 1 of qa@acme.test";

/// Opens a round on `release` as rm@acme.test with a written policy;
/// returns the review page's path.
async fn open(app: &TestApp, release: Uuid, policy: &str) -> String {
    let rm = app.signed_in("rm@acme.test").await;
    let new = format!("/acme/releases/{release}/reviews/new");
    let r = rm
        .post(
            &new,
            &format!("/acme/releases/{release}/reviews"),
            &[
                ("kind", "go_no_go"),
                ("meeting", "2030-01-07T10:00"),
                ("preset", ""),
                ("policy_name", "Test CAB"),
                ("policy", policy),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "review opened");
    location(&r)
}

async fn vote(
    b: &crate::helpers::Browser,
    review: &str,
    choice: &str,
    comment: &str,
) -> reqwest::Response {
    b.post(
        review,
        &format!("{review}/vote"),
        &[("choice", choice), ("comment", comment)],
    )
    .await
}

#[sqlx::test(migrations = false)]
async fn a_review_is_opened_voted_on_and_closed_go_which_approves_the_release(owner: PgPool) {
    let app = demo_app(owner).await;
    let (release, label) = scheduled_release(&app.owner).await;
    let review = open(&app, release, CAB_POLICY).await;
    assert_eq!(review, format!("/acme/releases/{release}/reviews/1"));
    assert_eq!(outbox(&app.owner, "review.opened").await, 1);

    let cab = app.signed_in("cab@acme.test").await;
    let (status, html) = cab.get_text(&review).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&label) && html.contains("Test CAB"));
    assert!(html.contains("Pending"), "no votes yet");
    assert!(html.contains("Waiting for:"), "who has not voted");
    assert!(html.contains("Cast vote"), "cab may vote");

    let r = vote(&cab, &review, "go", "Ready.").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = cab.get_text(&review).await;
    assert!(html.contains("Decision: <span class=\"badge badge-green\">Go</span>"));

    // The optional rule's no-go needs a comment, then decides nothing.
    let qa = app.signed_in("qa@acme.test").await;
    let r = vote(&qa, &review, "no_go", "  ").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(html.contains("A no-go vote needs a comment"));
    assert_eq!(
        vote_rows(&app.owner, release).await.len(),
        1,
        "nothing saved"
    );
    let r = vote(&qa, &review, "no_go", "Smoke tests flaky").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = qa.get_text(&review).await;
    assert!(html.contains("Decision: <span class=\"badge badge-green\">Go</span>"));
    assert!(html.contains("Smoke tests flaky"));

    // Closing as the votes say: approved, audited, in the outbox.
    let rm = app.signed_in("rm@acme.test").await;
    let r = rm
        .post(
            &review,
            &format!("{review}/close"),
            &[("decision", "go"), ("reason", ""), ("revision", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "closed");
    assert_eq!(release_status(&app.owner, release).await, "approved");
    assert_eq!(audit_count(&app.owner, "review.closed").await, 1);
    assert_eq!(outbox(&app.owner, "review.decided").await, 1);
    assert_eq!(outbox(&app.owner, "review.vote_cast").await, 2);
    let (_, html) = rm.get_text(&format!("/acme/releases/{release}")).await;
    assert!(html.contains("Round 1") && html.contains("decided"));

    // The board: gone from the open reviews, kept among the decided ones.
    let (_, board) = cab.get_text("/acme/board").await;
    assert!(!board.contains(&label), "no longer open");
    let (_, board) = cab.get_text("/acme/board?decided=1").await;
    assert!(board.contains("Decided in the last 7 days") && board.contains(&label));
    // The print view: the record without forms, with the policy as opened.
    let (status, print) = cab.get_text(&format!("{review}?print=1")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(print.contains("Policy as opened") && print.contains("required 1 of cab@acme.test"));
    assert!(!print.contains("Cast vote") && print.contains("Ready."));
    assert!(print.contains("vote cast"), "the history of the round");

    // A closed review takes no more votes.
    let r = vote(&cab, &review, "no_go", "Changed my mind").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        vote_rows(&app.owner, release).await[0].1,
        "go",
        "the closed review's votes stand"
    );
}

#[sqlx::test(migrations = false)]
async fn a_vote_can_change_until_closing_and_the_same_vote_twice_changes_nothing(owner: PgPool) {
    let app = demo_app(owner).await;
    let (release, _) = scheduled_release(&app.owner).await;
    let review = open(&app, release, CAB_POLICY).await;
    let cab = app.signed_in("cab@acme.test").await;
    assert_eq!(
        vote(&cab, &review, "go", "").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        vote(&cab, &review, "go", "").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(audit_count(&app.owner, "vote.cast").await, 1, "idempotent");
    assert_eq!(audit_count(&app.owner, "vote.changed").await, 0);
    assert_eq!(
        vote(&cab, &review, "no_go", "Rollback plan missing")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(audit_count(&app.owner, "vote.changed").await, 1);
    let votes = vote_rows(&app.owner, release).await;
    assert_eq!(votes.len(), 1, "one row per voter");
    assert_eq!(votes[0].1, "no_go", "the latest counts");
    let (_, html) = cab.get_text(&review).await;
    assert!(html.contains("Decision: <span class=\"badge badge-red\">No-go</span>"));
    assert!(html.contains("changed once"));
}

#[sqlx::test(migrations = false)]
async fn closing_against_the_votes_needs_a_written_reason(owner: PgPool) {
    let app = demo_app(owner).await;
    let (release, _) = scheduled_release(&app.owner).await;
    let review = open(&app, release, CAB_POLICY).await;
    let rm = app.signed_in("rm@acme.test").await;
    let close = format!("{review}/close");
    let r = rm
        .post(
            &review,
            &close,
            &[("decision", "go"), ("reason", " "), ("revision", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "pending → go");
    assert!(r.text().await.expect("body").contains("write the reason"));
    assert_eq!(release_status(&app.owner, release).await, "scheduled");

    let r = rm
        .post(
            &review,
            &close,
            &[
                ("decision", "no_go"),
                ("reason", "Vendor outage on go-live night"),
                ("revision", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(release_status(&app.owner, release).await, "rejected");
    let (_, html) = rm.get_text(&review).await;
    assert!(html.contains("Override reason:") && html.contains("Vendor outage on go-live night"));
    assert!(html.contains("closed against them"));

    // A stale close (the form of before) is refused with 409.
    let r = rm
        .post(
            &review,
            &close,
            &[("decision", "go"), ("reason", "again"), ("revision", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // Rejected → rescheduled → a second round → approved.
    let r = rm
        .post(
            &format!("/acme/releases/{release}"),
            &format!("/acme/releases/{release}/status"),
            &[
                ("action", "reschedule"),
                ("revision", &revision(&app.owner, release).await),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(release_status(&app.owner, release).await, "scheduled");
    let second = open(&app, release, CAB_POLICY).await;
    assert_eq!(second, format!("/acme/releases/{release}/reviews/2"));
    let cab = app.signed_in("cab@acme.test").await;
    vote(&cab, &second, "go", "").await;
    let r = rm
        .post(
            &second,
            &format!("{second}/close"),
            &[("decision", "go"), ("reason", ""), ("revision", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(release_status(&app.owner, release).await, "approved");
    let (status, html) = rm.get_text(&review).await;
    assert_eq!(status, StatusCode::OK, "round 1 is kept");
    assert!(
        html.contains("round <a"),
        "round 1 links to the round after it"
    );
}

async fn revision(owner: &PgPool, id: Uuid) -> String {
    let r: i32 = sqlx::query_scalar("SELECT revision FROM releases WHERE id = $1")
        .bind(id)
        .fetch_one(owner)
        .await
        .expect("revision");
    r.to_string()
}

#[sqlx::test(migrations = false)]
async fn votes_and_closings_by_the_wrong_people_are_refused_and_change_nothing(owner: PgPool) {
    let app = demo_app(owner).await;
    let (release, _) = scheduled_release(&app.owner).await;
    let review = open(&app, release, CAB_POLICY).await;

    // A viewer, and the opener (separation of duties), may not vote.
    let exec = app.signed_in("exec@acme.test").await;
    assert_eq!(
        vote(&exec, &review, "go", "").await.status(),
        StatusCode::FORBIDDEN
    );
    let rm = app.signed_in("rm@acme.test").await;
    let r = vote(&rm, &review, "go", "").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.expect("body").contains("You are not asked"));
    // An approver may not close.
    let cab = app.signed_in("cab@acme.test").await;
    let r = cab
        .post(
            &review,
            &format!("{review}/close"),
            &[("decision", "go"), ("reason", "x"), ("revision", "1")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Another tenant's member: not found.
    let globex = app.signed_in("rm@globex.test").await;
    assert_eq!(globex.get(&review).await.status(), StatusCode::NOT_FOUND);
    let r = globex
        .post(
            "/globex/",
            &format!("{}/vote", review.replace("/acme/", "/globex/")),
            &[("choice", "go")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(
        vote_rows(&app.owner, release).await.is_empty(),
        "no vote saved"
    );
    assert_eq!(release_status(&app.owner, release).await, "scheduled");
}

#[sqlx::test(migrations = false)]
async fn separation_of_duties_refuses_a_review_that_could_never_be_decided(owner: PgPool) {
    let app = demo_app(owner).await;
    let (release, _) = scheduled_release(&app.owner).await;
    // cab owns the release and is the only voter of the required rule.
    sqlx::query(
        "UPDATE releases SET owner_id = (SELECT id FROM users WHERE email = 'cab@acme.test')
          WHERE id = $1",
    )
    .bind(release)
    .execute(&app.owner)
    .await
    .expect("owner");
    let rm = app.signed_in("rm@acme.test").await;
    let new = format!("/acme/releases/{release}/reviews/new");
    let form = [
        ("kind", "go_no_go"),
        ("meeting", ""),
        ("preset", ""),
        ("policy_name", ""),
        ("policy", CAB_POLICY),
    ];
    let r = rm
        .post(&new, &format!("/acme/releases/{release}/reviews"), &form)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(html.contains("could never be decided"), "{html}");
    assert!(html.contains("CAB chair") && html.contains("owns the release"));
    let opened: i64 = sqlx::query_scalar("SELECT count(*) FROM reviews WHERE release_id = $1")
        .bind(release)
        .fetch_one(&app.owner)
        .await
        .expect("count");
    assert_eq!(opened, 0);

    // With self-approval allowed, the owner may vote.
    sqlx::query("UPDATE tenants SET allow_self_approval = true WHERE slug = 'acme'")
        .execute(&app.owner)
        .await
        .expect("setting");
    let review = open(&app, release, CAB_POLICY).await;
    let cab = app.signed_in("cab@acme.test").await;
    assert_eq!(
        vote(&cab, &review, "go", "").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[sqlx::test(migrations = false)]
async fn fifty_voters_at_once_give_an_exact_tally(owner: PgPool) {
    let app = demo_app(owner).await;
    let tenant = tenant_id(&app.owner, "acme").await;
    let mut voters = Vec::new();
    for i in 0..50 {
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO users (id, email, display_name, password_hash)
             SELECT $1, $2, $3, password_hash FROM users WHERE email = 'cab@acme.test'",
        )
        .bind(id)
        .bind(format!("voter{i}@acme.test"))
        .bind(format!("Voter {i}"))
        .execute(&app.owner)
        .await
        .expect("user");
        sqlx::query(
            "INSERT INTO memberships (tenant_id, user_id, role) VALUES ($1, $2, 'approver')",
        )
        .bind(tenant)
        .bind(id)
        .execute(&app.owner)
        .await
        .expect("membership");
        voters.push(id);
    }
    let (release, _) = scheduled_release(&app.owner).await;
    let review = open(
        &app,
        release,
        "Stage: Everyone\n  required all of approvers",
    )
    .await;
    let mut browsers = Vec::new();
    for id in &voters {
        browsers.push(app.session_for(*id).await);
    }
    let tasks: Vec<_> = browsers
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let review = review.clone();
            tokio::spawn(async move {
                let choice = if i % 5 == 0 { "abstain" } else { "go" };
                vote(&b, &review, choice, "").await.status()
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.expect("task"), StatusCode::SEE_OTHER);
    }
    let votes = vote_rows(&app.owner, release).await;
    assert_eq!(votes.len(), 50, "one row per voter, none lost");
    assert_eq!(votes.iter().filter(|v| v.1 == "go").count(), 40);
    let cab = app.signed_in("cab@acme.test").await;
    let (_, html) = cab.get_text(&review).await;
    assert!(
        html.contains("40 go · 0 no-go · 10 abstain · 2 not voted"),
        "cab and qa have not voted"
    );
    assert_eq!(outbox(&app.owner, "review.vote_cast").await, 50);
}

#[sqlx::test(migrations = false)]
async fn the_board_shows_open_reviews_with_the_voters_own_buttons_and_filters(owner: PgPool) {
    let app = demo_app(owner).await;
    let (release, label) = scheduled_release(&app.owner).await;
    let review = open(&app, release, CAB_POLICY).await;
    let cab = app.signed_in("cab@acme.test").await;
    let (status, html) = cab.get_text("/acme/board").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&label));
    assert!(html.contains("Your vote is wanted."));
    assert!(
        html.contains("Meeting on 2030-01-07"),
        "grouped by meeting day"
    );
    let (_, mine) = cab.get_text("/acme/board?mine=1").await;
    assert!(mine.contains(&label), "waiting for cab");
    let (_, dashboard) = cab.get_text("/acme/").await;
    assert!(dashboard.contains("Waiting for your vote") && dashboard.contains(&label));

    // Voting from the card comes back to the board.
    let r = cab
        .post(
            "/acme/board",
            &format!("{review}/vote"),
            &[("choice", "go"), ("next", "board")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/acme/board");
    let (_, mine) = cab.get_text("/acme/board?mine=1").await;
    assert!(!mine.contains(&label), "no longer waiting for cab");

    // Viewers see the board without buttons; another product filters it out.
    let exec = app.signed_in("exec@acme.test").await;
    let (_, html) = exec.get_text("/acme/board").await;
    assert!(html.contains(&label) && !html.contains("Your vote is wanted."));
    let other: Uuid = sqlx::query_scalar(
        "SELECT p.id FROM products p JOIN tenants t ON t.id = p.tenant_id
          WHERE t.slug = 'acme' AND p.id <> (SELECT product_id FROM releases WHERE id = $1)
          LIMIT 1",
    )
    .bind(release)
    .fetch_one(&app.owner)
    .await
    .expect("another product");
    let (_, html) = exec.get_text(&format!("/acme/board?product={other}")).await;
    assert!(!html.contains(&label));
    let (line, other_line): (Uuid, Uuid) = sqlx::query_as(
        "SELECT p.product_line_id,
                (SELECT l.id FROM product_lines l
                  WHERE l.tenant_id = p.tenant_id AND l.id <> p.product_line_id LIMIT 1)
           FROM releases r JOIN products p ON p.id = r.product_id WHERE r.id = $1",
    )
    .bind(release)
    .fetch_one(&app.owner)
    .await
    .expect("lines");
    let (_, html) = exec.get_text(&format!("/acme/board?line={line}")).await;
    assert!(html.contains(&label), "its own product line");
    let (_, html) = exec
        .get_text(&format!("/acme/board?line={other_line}"))
        .await;
    assert!(!html.contains(&label), "another product line");
}

#[sqlx::test(migrations = false)]
async fn the_calendar_warns_about_a_go_live_within_48_hours_until_it_is_approved(owner: PgPool) {
    let app = demo_app(owner).await;
    let (release, label) = scheduled_release(&app.owner).await;
    // Its production deployment moves to tomorrow.
    sqlx::query(
        "UPDATE deployments d SET planned_start = now() + interval '1 day',
                planned_end = now() + interval '1 day 2 hours'
           FROM environments e
          WHERE d.release_id = $1 AND e.id = d.environment_id AND e.is_production",
    )
    .bind(release)
    .execute(&app.owner)
    .await
    .expect("move");
    let rm = app.signed_in("rm@acme.test").await;
    let warning = "Go-live within 48 hours without an approved go/no-go decision.";
    let (_, html) = rm.get_text(&format!("/acme/releases/{release}")).await;
    assert!(html.contains(warning), "on the release page");
    let (_, cal) = rm.get_text("/acme/calendar?view=week").await;
    assert!(
        cal.contains(warning) && cal.contains(&label),
        "in the calendar"
    );

    let review = open(&app, release, CAB_POLICY).await;
    let cab = app.signed_in("cab@acme.test").await;
    vote(&cab, &review, "go", "").await;
    rm.post(
        &review,
        &format!("{review}/close"),
        &[("decision", "go"), ("reason", ""), ("revision", "1")],
    )
    .await;
    assert_eq!(release_status(&app.owner, release).await, "approved");
    let (_, html) = rm.get_text(&format!("/acme/releases/{release}")).await;
    assert!(!html.contains(warning), "approved: no warning");
}

#[sqlx::test(migrations = false)]
async fn a_planned_release_cannot_be_reviewed_yet(owner: PgPool) {
    let app = demo_app(owner).await;
    let release: Uuid = sqlx::query_scalar(
        "SELECT r.id FROM releases r JOIN tenants t ON t.id = r.tenant_id
          WHERE t.slug = 'acme' AND r.status = 'planned' LIMIT 1",
    )
    .fetch_one(&app.owner)
    .await
    .expect("a planned release");
    let rm = app.signed_in("rm@acme.test").await;
    let new = format!("/acme/releases/{release}/reviews/new");
    let (status, html) = rm.get_text(&new).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Schedule the release first"));
    let r = rm
        .post(
            &new,
            &format!("/acme/releases/{release}/reviews"),
            &[("kind", "go_no_go"), ("policy", CAB_POLICY)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
