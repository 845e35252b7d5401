//! Signing in and out, sessions, throttling.

use crate::helpers::{DEMO_PASSWORD, location, serve, spawn_app};
use reqwest::StatusCode;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn sign_in_with_the_right_password_opens_the_dashboard(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.browser();
    let r = b.login("rm@acme.test", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(cookie.starts_with("almanac_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // The only tenant: / goes straight to it.
    let r = b.get("/").await;
    assert_eq!(location(&r), "/acme/");
    let (status, html) = b.get_text("/acme/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Acme Financial") && html.contains("Times in America/New_York"));
    assert!(html.contains("Rami Release"), "signed-in user shown");
}

#[sqlx::test(migrations = false)]
async fn wrong_password_and_unknown_account_are_refused_alike(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.browser();
    for (email, password) in [
        ("rm@acme.test", "not-the-password"),
        ("nobody@acme.test", DEMO_PASSWORD),
    ] {
        let r = b.login(email, password).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{email}");
        assert!(
            r.headers()
                .get("set-cookie")
                .is_none_or(|c| !c.to_str().unwrap_or("").contains("almanac_session="))
        );
        let html = r.text().await.expect("body");
        assert!(html.contains("The email address or password is not right."));
        assert!(
            html.contains(&format!("value=\"{email}\"")),
            "email kept in the form"
        );
    }
    let r = b.get("/acme/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login?next=%2Facme%2F");
}

#[sqlx::test(migrations = false)]
async fn sign_in_returns_to_the_page_asked_for_but_never_off_site(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.browser();
    let r = b
        .post(
            "/login",
            "/login",
            &[
                ("email", "owner@acme.test"),
                ("password", DEMO_PASSWORD),
                ("next", "/acme/settings"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/acme/settings");
    let b = app.browser();
    let r = b
        .post(
            "/login",
            "/login",
            &[
                ("email", "owner@acme.test"),
                ("password", DEMO_PASSWORD),
                ("next", "//evil.test/"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/");
}

#[sqlx::test(migrations = false)]
async fn sign_out_ends_the_session(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let sessions = |pool: PgPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sessions")
            .fetch_one(&pool)
            .await
            .expect("count")
    };
    assert_eq!(sessions(app.owner.clone()).await, 1);
    let r = b.post("/acme/", "/logout", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login");
    assert_eq!(sessions(app.owner.clone()).await, 0);
    let r = b.get("/acme/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed out");
    let (_, html) = b.get_text("/login").await;
    assert!(html.contains("You have signed out."), "flash shown once");
    let (_, html) = b.get_text("/login").await;
    assert!(!html.contains("You have signed out."), "and only once");
}

#[sqlx::test(migrations = false)]
async fn session_id_rotates_at_sign_in(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("rm@acme.test").await;
    let first: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_one(&app.owner)
        .await
        .expect("one");
    let r = b.login("rm@acme.test", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let all: Vec<Vec<u8>> = sqlx::query_scalar("SELECT token_hash FROM sessions")
        .fetch_all(&app.owner)
        .await
        .expect("rows");
    assert_eq!(all.len(), 1, "the old session ended");
    assert_ne!(all[0], first, "a new id");
}

#[sqlx::test(migrations = false)]
async fn a_session_survives_a_server_restart(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("exec@acme.test").await;
    assert_eq!(b.get("/acme/").await.status(), StatusCode::OK);
    app.stop();
    let restarted = serve(app.owner.clone(), crate::helpers::app_options).await;
    let cookie_jar_browser = b; // same cookies, new server
    let r = cookie_jar_browser
        .client
        .get(restarted.url("/acme/"))
        .send()
        .await
        .expect("GET");
    // Cookies are per host, and both servers listen on 127.0.0.1.
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "still signed in after the restart"
    );
}

#[sqlx::test(migrations = false)]
async fn repeated_failures_lock_the_account_with_429(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.browser();
    for _ in 0..5 {
        assert_eq!(
            b.login("cab@acme.test", "wrong-password-x").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Even the right password is refused while the account is throttled.
    let r = b.login("cab@acme.test", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=900).contains(&retry), "{retry}");
    let html = r.text().await.expect("body");
    assert!(
        html.contains("Too many failed sign-in attempts"),
        "says why"
    );
    // Another account from the same address is still fine (below its limit).
    assert_eq!(
        b.login("qa@acme.test", DEMO_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[sqlx::test(migrations = false)]
async fn many_failures_from_one_address_throttle_every_account(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.browser();
    for i in 0..20 {
        let email = format!("guess{i}@acme.test");
        assert_eq!(
            b.login(&email, "wrong-password-x").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let r = b.login("rm@acme.test", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // The counters live in PostgreSQL: a second server sees them too.
    let other = serve(app.owner.clone(), crate::helpers::app_options).await;
    let r = other.browser().login("rm@acme.test", DEMO_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}
