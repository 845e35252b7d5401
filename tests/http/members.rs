//! Members page: add, change role, remove; the last owner stays.

use crate::helpers::{audit_count, location, spawn_app, user_id};
use reqwest::StatusCode;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn removing_a_member_ends_their_sessions_and_access(owner: PgPool) {
    let app = spawn_app(owner).await;
    let admin = app.signed_in("owner@acme.test").await;
    let qa = app.signed_in("qa@acme.test").await;
    assert_eq!(qa.get("/acme/").await.status(), StatusCode::OK);
    let qa_id = user_id(&app.owner, "qa@acme.test").await;
    let page = format!("/acme/settings/members/{qa_id}/remove");
    let (status, html) = admin.get_text(&page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Remove Quinn QA"),
        "asks for confirmation first"
    );
    let r = admin.post(&page, &page, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = qa.get("/acme/").await;
    assert!(location(&r).starts_with("/login"), "their session ended");
    // Signing in again works (the account stays) but acme is gone.
    let qa = app.signed_in("qa@acme.test").await;
    assert_eq!(qa.get("/acme/").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(audit_count(&app.owner, "member.removed").await, 1);
}

#[sqlx::test(migrations = false)]
async fn the_last_owner_can_be_neither_removed_nor_demoted(owner: PgPool) {
    let app = spawn_app(owner).await;
    let admin = app.signed_in("owner@acme.test").await;
    let me = user_id(&app.owner, "owner@acme.test").await;
    let r = admin
        .post(
            "/acme/settings/members",
            &format!("/acme/settings/members/{me}/remove"),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = admin.get_text("/acme/settings/members").await;
    assert!(html.contains("The last owner cannot be removed"));
    let r = admin
        .post(
            "/acme/settings/members",
            &format!("/acme/settings/members/{me}/role"),
            &[("role", "viewer")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html) = admin.get_text("/acme/settings/members").await;
    assert_eq!(status, StatusCode::OK, "still owner");
    assert!(html.contains("at least one owner"));
    // With a second owner, the first may step down.
    let rm = user_id(&app.owner, "rm@acme.test").await;
    admin
        .post(
            "/acme/settings/members",
            &format!("/acme/settings/members/{rm}/role"),
            &[("role", "owner")],
        )
        .await;
    admin
        .post(
            "/acme/settings/members",
            &format!("/acme/settings/members/{me}/role"),
            &[("role", "viewer")],
        )
        .await;
    assert_eq!(
        admin.get("/acme/settings/members").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(audit_count(&app.owner, "member.role_changed").await, 2);
}

#[sqlx::test(migrations = false)]
async fn adding_a_member_validates_each_field(owner: PgPool) {
    let app = spawn_app(owner).await;
    let admin = app.signed_in("owner@acme.test").await;
    let r = admin
        .post(
            "/acme/settings/members",
            "/acme/settings/members",
            &[("email", "not an email"), ("role", "superhero")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(html.contains("name@example.com") && html.contains("choose one of"));
    assert!(html.contains("value=\"not an email\""), "input kept");
    let r = admin
        .post(
            "/acme/settings/members",
            "/acme/settings/members",
            &[("email", "rm@acme.test"), ("role", "viewer")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("already a member"));
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.owner)
        .await
        .expect("count");
    assert_eq!(users, 6, "nothing created");
}
