//! Tenant settings (owner only).

use crate::helpers::{audit_count, spawn_app};
use reqwest::StatusCode;
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn owner_changes_settings_with_an_audit_event(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("owner@acme.test").await;
    let r = b
        .post(
            "/acme/settings",
            "/acme/settings",
            &[
                ("name", "Acme Financial Group"),
                ("time_zone", "Europe/London"),
                ("week_start", "7"),
                ("fiscal_year_start", "4"),
                ("allow_self_approval", "true"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = b.get_text("/acme/settings").await;
    assert!(html.contains("Settings saved."));
    assert!(html.contains("value=\"Acme Financial Group\""));
    let row: (String, i16, i16, bool) = sqlx::query_as(
        "SELECT time_zone, week_start, fiscal_year_start, allow_self_approval FROM tenants WHERE slug = 'acme'",
    )
    .fetch_one(&app.owner)
    .await
    .expect("row");
    assert_eq!(row, ("Europe/London".to_owned(), 7, 4, true));
    assert_eq!(audit_count(&app.owner, "tenant.settings_changed").await, 1);
    assert!(
        html.contains("Acme Financial → Acme Financial Group"),
        "the history panel shows what changed"
    );
    let (_, dash) = b.get_text("/acme/").await;
    assert!(dash.contains("Sunday") && dash.contains("April"));
}

#[sqlx::test(migrations = false)]
async fn invalid_settings_answer_422_and_save_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let b = app.signed_in("owner@acme.test").await;
    let r = b
        .post(
            "/acme/settings",
            "/acme/settings",
            &[
                ("name", ""),
                ("time_zone", "Nowhere/Land"),
                ("week_start", "9"),
                ("fiscal_year_start", "0"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("body");
    assert!(
        html.contains("Please correct 4 fields"),
        "every field reported"
    );
    assert_eq!(audit_count(&app.owner, "tenant.settings_changed").await, 0);
}

#[sqlx::test(migrations = false)]
async fn a_stale_settings_edit_answers_409_and_loses_nothing(owner: PgPool) {
    let app = spawn_app(owner).await;
    let alice = app.signed_in("owner@acme.test").await;
    let form = |name: &'static str| {
        [
            ("name", name),
            ("time_zone", "America/New_York"),
            ("week_start", "1"),
            ("fiscal_year_start", "1"),
            ("version", "1"),
        ]
    };
    assert_eq!(
        alice
            .post("/acme/settings", "/acme/settings", &form("First edit"))
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let r = alice
        .post("/acme/settings", "/acme/settings", &form("Second edit"))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("body");
    assert!(html.contains("value=\"Second edit\""), "the input is kept");
    assert!(html.contains("First edit"), "the current record is shown");
    assert!(html.contains("name=\"version\" value=\"2\""));
}
