//! `almanac serve`: the web server.

use crate::admin::Resolved;
use crate::config::Config;
use almanac_db::Db;
use almanac_web::{AppState, WebConfig, build_app};
use anyhow::{Context, Result};
use sqlx::postgres::PgConnectOptions;
use std::net::SocketAddr;
use std::time::Duration;

/// Builds the serving state on a pool logged in as `app`, refusing a role
/// that is a superuser or may bypass row-level security.
pub async fn prepare(app: PgConnectOptions, web: WebConfig) -> Result<AppState> {
    let db = Db::connect_lazy(app, 16);
    let mut attempt = 0;
    loop {
        match db.check_serving_role().await {
            Ok(()) => break,
            Err(almanac_db::DbError::Config(why)) => anyhow::bail!("refusing to serve: {why}"),
            Err(e) if attempt < 10 => {
                attempt += 1;
                tracing::warn!(error = %e, attempt, "database not reachable yet; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => return Err(e).context("cannot reach the database"),
        }
    }
    Ok(AppState::new(db, web))
}

pub async fn run(config: Config, addr: Option<SocketAddr>) -> Result<()> {
    let started = std::time::Instant::now();
    let resolved = Resolved::from_config(&config).await?;
    if resolved.embedded.is_some() {
        resolved.migrate().await?;
    }
    let result = serve(&config, &resolved, addr.unwrap_or(config.addr), started).await;
    resolved.shutdown().await;
    result
}

async fn serve(
    config: &Config,
    resolved: &Resolved,
    addr: SocketAddr,
    started: std::time::Instant,
) -> Result<()> {
    let app_options = resolved.app.clone().context(
        "ALMANAC_APP_DATABASE_URL is not set: the server's pool must log in as its own role, \
         which cannot bypass row-level security (`almanac migrate` creates it)",
    )?;
    let state = prepare(
        app_options,
        WebConfig {
            secure_cookies: config.secure_cookies,
            static_dir: config.static_dir.clone(),
            plan_cache_bytes: config.plan_cache_mb * 1024 * 1024,
        },
    )
    .await?;
    spawn_session_sweeper(state.clone());
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(
        address = %format!("http://{}", listener.local_addr()?),
        startup_ms = started.elapsed().as_millis(),
        "Almanac is listening"
    );
    axum::serve(
        listener,
        build_app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("server stopped");
    Ok(())
}

/// Deletes expired sessions every hour.
fn spawn_session_sweeper(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            if let Ok(mut conn) = state.db.pool().acquire().await {
                match almanac_db::sessions::purge_expired(&mut conn).await {
                    Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "session sweep failed"),
                }
            }
        }
    });
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
