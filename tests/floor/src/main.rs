//! `almanac-floor`: the benchmark floor of `scripts/bench` (not part of the
//! product).
//!
//! A Fortunes-style page on Almanac's stack (axum 0.8, sqlx 0.8, askama 0.16)
//! against the same database, with a pool of the same size as `almanac
//! serve`'s: one query reads N rows, one row is added in memory, the rows are
//! sorted by message and rendered as an HTML table. Nothing a real page can
//! leave out is left in, so it is the best any page that reads and renders N
//! rows can do on this stack and machine.
//!
//! - `GET /fortunes` — the classic 12-row Fortunes (`floor_fortunes_classic`).
//! - `GET /fortunes?n=N` — N rows of `floor_fortunes` (filled by the bench's
//!   seeding step), N ≤ 100 000.
//! - `&pad=K` — renders each row's message in K cells (K ≤ 100), so a floor
//!   of N rows can produce a page as large as the measured page's (whose
//!   items are richer HTML than a Fortunes row): same row work, similar
//!   bytes to escape and send.
//! - `GET /healthz` — `ok`, for the bench to wait on.
//!
//! Environment: `FLOOR_DATABASE_URL` (required), `FLOOR_ADDR` (default
//! 127.0.0.1:18090), `FLOOR_POOL` (default 16, the app's pool size).

use anyhow::{Context, Result};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, serve};
use serde::Deserialize;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::time::Duration;

/// The same allocator as `almanac serve`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The most rows one request may ask for.
const MAX_ROWS: i64 = 100_000;
/// The most cells a row may be rendered in.
const MAX_PAD: usize = 100;

#[derive(sqlx::FromRow)]
struct Fortune {
    id: i32,
    message: String,
}

#[derive(Template)]
#[template(path = "fortunes.html")]
struct FortunesPage {
    fortunes: Vec<Fortune>,
    /// Extra cells repeating each message (0 = the classic two columns).
    pad: Vec<()>,
}

#[derive(Deserialize)]
struct Params {
    n: Option<i64>,
    pad: Option<usize>,
}

async fn fortunes(State(pool): State<PgPool>, Query(params): Query<Params>) -> Response {
    match page(&pool, params.n, params.pad.unwrap_or(1)).await {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}\n")).into_response(),
    }
}

async fn page(pool: &PgPool, n: Option<i64>, pad: usize) -> Result<String> {
    let mut fortunes: Vec<Fortune> = match n {
        None => {
            sqlx::query_as("SELECT id, message FROM floor_fortunes_classic")
                .fetch_all(pool)
                .await?
        }
        Some(n) => {
            sqlx::query_as("SELECT id, message FROM floor_fortunes ORDER BY id LIMIT $1")
                .bind(n.clamp(0, MAX_ROWS))
                .fetch_all(pool)
                .await?
        }
    };
    fortunes.push(Fortune {
        id: 0,
        message: "Additional fortune added at request time.".to_owned(),
    });
    fortunes.sort_unstable_by(|a, b| a.message.cmp(&b.message));
    let pad = vec![(); pad.clamp(1, MAX_PAD) - 1];
    Ok(FortunesPage { fortunes, pad }.render()?)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[tokio::main]
async fn main() -> Result<()> {
    let url = env("FLOOR_DATABASE_URL").context("FLOOR_DATABASE_URL is not set")?;
    let addr = env("FLOOR_ADDR").unwrap_or_else(|| "127.0.0.1:18090".to_owned());
    let size: u32 = env("FLOOR_POOL")
        .map(|s| s.parse())
        .transpose()
        .context("FLOOR_POOL is not a number")?
        .unwrap_or(16);
    // As the app's pool: lazy, no ping when a connection is acquired.
    let pool = PgPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire(false)
        .connect_lazy(&url)
        .context("FLOOR_DATABASE_URL is not a valid PostgreSQL URL")?;
    let app = Router::new()
        .route("/fortunes", get(fortunes))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    serve(listener, app).await?;
    Ok(())
}
