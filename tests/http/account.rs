//! A person's own pages: organisations, profile, password.

use crate::helpers::{DEMO_PASSWORD, audit_count, csrf_in, location, spawn_app};
use reqwest::StatusCode;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn profile_zone_changes_the_zone_pages_show(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let (_, html) = b.get_text("/profile").await;
    assert!(html.contains("rm@acme.test"));
    let r = b
        .post(
            "/profile",
            "/profile",
            &[
                ("display_name", "Rami R."),
                ("time_zone", "Asia/Tokyo"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get_text("/acme/").await;
    assert!(html.contains("Times in Asia/Tokyo") && html.contains("Rami R."));
    assert_eq!(audit_count(&app.owner, "profile.updated").await, 1);
}

#[sqlx::test(migrations = false)]
async fn invalid_profile_is_refused_per_field_and_saves_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let r = b
        .post(
            "/profile",
            "/profile",
            &[
                ("display_name", "  "),
                ("time_zone", "Mars/Olympus"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(html.contains("enter a name") && html.contains("IANA time zone"));
    let (_, html) = b.get_text("/acme/").await;
    assert!(html.contains("Times in America/New_York"), "nothing saved");
}

#[sqlx::test(migrations = false)]
async fn stale_profile_edit_answers_409_and_keeps_the_input(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let ok = b
        .post(
            "/profile",
            "/profile",
            &[
                ("display_name", "First"),
                ("time_zone", ""),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    let r = b
        .post(
            "/profile",
            "/profile",
            &[
                ("display_name", "Second"),
                ("time_zone", ""),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(html.contains("value=\"Second\""), "input kept");
    assert!(
        html.contains("name=\"version\" value=\"2\""),
        "current version offered"
    );
}

#[sqlx::test(migrations = false)]
async fn password_change_needs_the_current_one_and_ends_other_sessions(owner: PgPool) {
    let app = spawn_app(owner).await;
    let laptop = app.signed_in("qa@acme.test").await;
    let phone = app.signed_in("qa@acme.test").await;
    let r = laptop
        .post(
            "/profile/password",
            "/profile/password",
            &[
                ("current", "wrong"),
                ("new", "a much better secret"),
                ("confirm", "a much better secret"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("not your current password")
    );
    let r = laptop
        .post(
            "/profile/password",
            "/profile/password",
            &[
                ("current", DEMO_PASSWORD),
                ("new", "short"),
                ("confirm", "short"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("at least 12 characters")
    );
    let r = laptop
        .post(
            "/profile/password",
            "/profile/password",
            &[
                ("current", DEMO_PASSWORD),
                ("new", "a much better secret"),
                ("confirm", "a much better secret"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        laptop.get("/acme/").await.status(),
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        phone.get("/acme/").await.status(),
        StatusCode::SEE_OTHER,
        "the other one ended"
    );
    let fresh = app.browser();
    assert_eq!(
        fresh.login("qa@acme.test", DEMO_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        fresh
            .login("qa@acme.test", "a much better secret")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(audit_count(&app.owner, "password.changed").await, 1);
}

#[sqlx::test(migrations = false)]
async fn one_time_password_must_be_changed_at_first_sign_in(owner: PgPool) {
    let app = spawn_app(owner).await;
    let admin = app.signed_in("owner@acme.test").await;
    let r = admin
        .post(
            "/acme/settings/members",
            "/acme/settings/members",
            &[
                ("email", "new.person@acme.test"),
                ("display_name", ""),
                ("role", "approver"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("body");
    let marker = "<p class=\"secret\">";
    let start = html.find(marker).expect("one-time password shown") + marker.len();
    let password = html[start..start + 19].to_owned();
    // Shown once: the members page does not show it again.
    let (_, again) = admin.get_text("/acme/settings/members").await;
    assert!(!again.contains(&password));

    let newbie = app.browser();
    let r = newbie.login("new.person@acme.test", &password).await;
    assert_eq!(location(&r), "/profile/password");
    let r = newbie.get("/acme/").await;
    assert_eq!(
        location(&r),
        "/profile/password",
        "every page leads to the password change"
    );
    let (_, html) = newbie.get_text("/profile/password").await;
    assert!(html.contains("one-time password"));
    let token = csrf_in(&html);
    let r = newbie
        .post_raw(
            "/profile/password",
            &[
                ("_csrf", &token),
                ("current", &password),
                ("new", "my own long secret"),
                ("confirm", "my own long secret"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, html) = newbie.get_text("/acme/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Approver"));
}

#[sqlx::test(migrations = false)]
async fn home_lists_every_organisation_of_a_person_in_two(owner: PgPool) {
    let app = spawn_app(owner).await;
    let admin = app.signed_in("owner@acme.test").await;
    // rm@globex.test joins acme too.
    let r = admin
        .post(
            "/acme/settings/members",
            "/acme/settings/members",
            &[("email", "rm@globex.test"), ("role", "viewer")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "existing account: no password shown"
    );
    let b = app.signed_in("rm@globex.test").await;
    let (status, html) = b.get_text("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("/acme/") && html.contains("/globex/"));
    let (_, html) = b.get_text("/globex/").await;
    assert!(
        html.contains("tenant-switcher") && html.contains("Acme Financial"),
        "switcher lists both"
    );
}
