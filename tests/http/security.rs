//! CSRF, same-origin, cross-tenant isolation, roles, headers.

use crate::helpers::{location, spawn_app, user_id};
use reqwest::StatusCode;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn post_without_or_with_a_wrong_csrf_token_is_refused(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("owner@acme.test").await;
    let form = [
        ("name", "Hijacked"),
        ("time_zone", "UTC"),
        ("week_start", "1"),
        ("fiscal_year_start", "1"),
        ("version", "1"),
    ];
    let r = b.post_raw("/acme/settings", &form).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("This form has expired")
    );
    let mut wrong = vec![("_csrf", "x".repeat(43))];
    wrong.extend(form.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        b.post_raw("/acme/settings", &wrong).await.status(),
        StatusCode::FORBIDDEN
    );
    // Sign-in itself needs the token too.
    let fresh = app.browser();
    let r = fresh
        .post_raw(
            "/login",
            &[("email", "owner@acme.test"), ("password", "almanac-demo")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let name: String = sqlx::query_scalar("SELECT name FROM tenants WHERE slug = 'acme'")
        .fetch_one(&app.owner)
        .await
        .expect("name");
    assert_eq!(name, "Acme Financial", "nothing changed");
}

#[sqlx::test(migrations = false)]
async fn cross_site_posts_are_refused_even_with_a_token(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("owner@acme.test").await;
    let token = b.csrf("/acme/settings").await;
    let form = [
        ("_csrf", token.as_str()),
        ("name", "Hijacked"),
        ("time_zone", "UTC"),
        ("week_start", "1"),
        ("fiscal_year_start", "1"),
        ("version", "1"),
    ];
    for (header, value) in [
        ("origin", "https://evil.test"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let r = b
            .client
            .post(app.url("/acme/settings"))
            .header(header, value)
            .form(&form)
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{header}: {value}");
    }
    let same = format!("http://{}", app.addr);
    let r = b
        .client
        .post(app.url("/acme/settings"))
        .header("origin", same)
        .form(&form)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "same origin is fine");
}

#[sqlx::test(migrations = false)]
async fn another_tenants_urls_answer_404(owner: PgPool) {
    let app = spawn_app(owner).await;
    let globex = app.signed_in("rm@globex.test").await;
    let acme_owner = user_id(&app.owner, "owner@acme.test").await;
    for path in [
        "/acme/",
        "/acme/settings",
        "/acme/settings/members",
        "/no-such-tenant/",
    ] {
        let (status, html) = globex.get_text(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!html.contains("Acme Financial"), "{path} leaks nothing");
    }
    let path = format!("/acme/settings/members/{acme_owner}/remove");
    assert_eq!(
        globex.post("/globex/", &path, &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    let members: i64 = sqlx::query_scalar("SELECT count(*) FROM memberships m JOIN tenants t ON t.id = m.tenant_id WHERE t.slug = 'acme'")
        .fetch_one(&app.owner)
        .await
        .expect("count");
    assert_eq!(members, 5, "nothing removed");
}

#[sqlx::test(migrations = false)]
async fn roles_are_enforced_on_every_handler(owner: PgPool) {
    let app = spawn_app(owner).await;
    let settings_form = [
        ("name", "Renamed"),
        ("time_zone", "UTC"),
        ("week_start", "1"),
        ("fiscal_year_start", "1"),
        ("version", "1"),
    ];
    for email in ["exec@acme.test", "rm@acme.test", "cab@acme.test"] {
        let b = app.signed_in(email).await;
        assert_eq!(
            b.get("/acme/").await.status(),
            StatusCode::OK,
            "{email} reads the dashboard"
        );
        assert_eq!(
            b.get("/acme/settings").await.status(),
            StatusCode::FORBIDDEN,
            "{email}"
        );
        assert_eq!(
            b.get("/acme/settings/members").await.status(),
            StatusCode::FORBIDDEN,
            "{email}"
        );
        let r = b.post("/acme/", "/acme/settings", &settings_form).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{email}");
        let r = b
            .post(
                "/acme/",
                "/acme/settings/members",
                &[("email", "x@acme.test"), ("role", "owner")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{email}");
        let (_, html) = b.get_text("/acme/").await;
        assert!(
            !html.contains("/acme/settings\""),
            "{email} sees no Settings link"
        );
    }
    let name: String = sqlx::query_scalar("SELECT name FROM tenants WHERE slug = 'acme'")
        .fetch_one(&app.owner)
        .await
        .expect("name");
    assert_eq!(name, "Acme Financial");
    let owner = app.signed_in("owner@acme.test").await;
    assert_eq!(owner.get("/acme/settings").await.status(), StatusCode::OK);
}

#[sqlx::test(migrations = false)]
async fn pages_carry_security_headers_and_errors_are_styled(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.browser();
    let r = b.get("/login").await;
    let h = r.headers();
    let csp = h
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(
        h.get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff")
    );
    assert!(h.get("referrer-policy").is_some());
    assert!(h.get("x-request-id").is_some());
    let (status, html) = b.get_text("/definitely/not/here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found") && html.contains("/static/app.css"));
    let r = b.get("/api/v1/nothing").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let problem: serde_json::Value = r.json().await.expect("json");
    assert_eq!(problem["status"], 404);
    assert!(!html.contains(" style="), "no inline styles (CSP)");
}

#[sqlx::test(migrations = false)]
async fn signed_out_visitors_are_sent_to_sign_in(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.browser();
    for path in ["/", "/acme/", "/acme/settings", "/profile"] {
        let r = b.get(path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&r).starts_with("/login"), "{path}");
    }
}
