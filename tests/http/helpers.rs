//! `spawn_app()` and friends: a migrated database with the demo data, the
//! app on 127.0.0.1:0, and browser-like clients with their own cookie jars.

use almanac_db::migrate::ServingRole;
use almanac_web::{AppState, WebConfig, build_app};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use tokio::task::JoinHandle;

pub const DEMO_PASSWORD: &str = "almanac-demo";

/// The serving role of the test cluster (from ALMANAC_APP_DATABASE_URL).
pub fn serving_role() -> ServingRole {
    let url = std::env::var("ALMANAC_APP_DATABASE_URL")
        .expect("ALMANAC_APP_DATABASE_URL must be set (scripts/test sets it)");
    almanac::config::serving_role(&url).expect("valid serving URL")
}

/// Connection options of the serving role for the database `owner` uses.
pub fn app_options(owner: &PgPool) -> PgConnectOptions {
    let url = std::env::var("ALMANAC_APP_DATABASE_URL").expect("ALMANAC_APP_DATABASE_URL");
    let database = owner
        .connect_options()
        .get_database()
        .expect("test database name")
        .to_owned();
    PgConnectOptions::from_str(&url)
        .expect("valid URL")
        .database(&database)
}

/// Migrates the test database (as `almanac migrate` does) and loads the demo.
pub async fn prepare_database(owner: &PgPool) {
    almanac_db::migrate::run(owner, &serving_role())
        .await
        .expect("migrate");
    almanac::demo::load_accounts(owner)
        .await
        .expect("demo logins");
}

pub fn web_config() -> WebConfig {
    WebConfig {
        secure_cookies: false,
        static_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../static")),
        ..WebConfig::default()
    }
}

/// A running app.
pub struct TestApp {
    pub addr: SocketAddr,
    pub owner: PgPool,
    pub state: AppState,
    server: JoinHandle<()>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Migrated database + demo data + a running app.
pub async fn spawn_app(owner: PgPool) -> TestApp {
    prepare_database(&owner).await;
    serve(owner, app_options_for_pool).await
}

fn app_options_for_pool(owner: &PgPool) -> PgConnectOptions {
    app_options(owner)
}

/// Serves a new app instance on the same database (`options` picks the pool).
pub async fn serve(owner: PgPool, options: fn(&PgPool) -> PgConnectOptions) -> TestApp {
    let state = almanac::serve::prepare(options(&owner), web_config())
        .await
        .expect("app state");
    serve_state(owner, state).await
}

pub async fn serve_state(owner: PgPool, state: AppState) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = build_app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("serve");
    });
    TestApp {
        addr,
        owner,
        state,
        server,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A new browser: its own cookie jar, no redirect following.
    pub fn browser(&self) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .expect("client"),
            base: self.url(""),
        }
    }

    /// A browser signed in as `email` with the demo password.
    pub async fn signed_in(&self, email: &str) -> Browser {
        let b = self.browser();
        let r = b.login(email, DEMO_PASSWORD).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
        b
    }

    /// A browser signed in as `user` through a session made directly in
    /// the database (no password hashing: for tests that need many people).
    pub async fn session_for(&self, user: uuid::Uuid) -> Browser {
        // Unguessable enough for a test database: time-ordered ids with
        // their random bits.
        let token = format!(
            "{}{}",
            uuid::Uuid::now_v7().simple(),
            uuid::Uuid::now_v7().simple()
        );
        // The app stores the SHA-256 of the cookie's token.
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, expires_at)
             VALUES (sha256(convert_to($1, 'UTF8')), $2, now() + interval '1 day')",
        )
        .bind(&token)
        .bind(user)
        .execute(&self.owner)
        .await
        .expect("session");
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let url: reqwest::Url = self.url("/").parse().expect("url");
        jar.add_cookie_str(&format!("almanac_session={token}; Path=/"), &url);
        Browser {
            client: reqwest::Client::builder()
                .cookie_provider(jar)
                .redirect(Policy::none())
                .build()
                .expect("client"),
            base: self.url(""),
        }
    }

    /// Stops serving (the database stays).
    pub fn stop(&self) {
        self.server.abort();
    }
}

pub struct Browser {
    pub client: reqwest::Client,
    base: String,
}

/// The `_csrf` value of the first form in `html`.
pub fn csrf_in(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    let end = html[start..].find('"').expect("closing quote") + start;
    html[start..end].to_owned()
}

impl Browser {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("GET")
    }

    pub async fn get_text(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        let status = r.status();
        (status, r.text().await.expect("body"))
    }

    /// The CSRF token a page at `path` hands out.
    pub async fn csrf(&self, path: &str) -> String {
        let (_, html) = self.get_text(path).await;
        csrf_in(&html)
    }

    /// POSTs a form as-is (no token added).
    pub async fn post_raw(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// POSTs a form with the CSRF token of the page at `from`.
    pub async fn post(&self, from: &str, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf(from).await;
        let mut fields = vec![("_csrf", token.as_str())];
        fields.extend_from_slice(form);
        self.post_raw(path, &fields).await
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The id of a tenant by slug (owner pool).
pub async fn tenant_id(owner: &PgPool, slug: &str) -> uuid::Uuid {
    sqlx::query_scalar("SELECT id FROM tenants WHERE slug = $1")
        .bind(slug)
        .fetch_one(owner)
        .await
        .expect("tenant")
}

/// The id of a user by email (owner pool).
pub async fn user_id(owner: &PgPool, email: &str) -> uuid::Uuid {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(owner)
        .await
        .expect("user")
}

/// Number of audit events with `action` (owner pool, all tenants).
pub async fn audit_count(owner: &PgPool, action: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = $1")
        .bind(action)
        .fetch_one(owner)
        .await
        .expect("count")
}
