//! The router: every route, and the layers around them.

use crate::error::{AppError, render_errors};
use crate::handlers::{
    account, calendar, dashboard, environments, feed, health, members, policies, products,
    releases, reviews, runbook, scheduling, session, settings, templates, windows,
};
use crate::middleware;
use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::routing::{get, post};
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{
    MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

const CSP: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
                   form-action 'self'; frame-ancestors 'none'";

/// Builds the whole application. Used by `almanac serve` and by the tests.
pub fn build_app(state: AppState) -> Router {
    let x_request_id = HeaderName::from_static("x-request-id");
    let static_files = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        ))
        .service(ServeDir::new(&state.config.static_dir));

    let pages = Router::new()
        .route("/", get(account::home))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route(
            "/profile",
            get(account::profile).post(account::save_profile),
        )
        .route(
            "/profile/password",
            get(account::password_form).post(account::change_password),
        )
        .route("/{tenant}", get(dashboard::redirect_to_slash))
        .route("/{tenant}/", get(dashboard::show))
        .route("/{tenant}/metrics.csv", get(dashboard::metrics_csv))
        .route(
            "/{tenant}/settings",
            get(settings::show).post(settings::save),
        )
        .route(
            "/{tenant}/settings/members",
            get(members::list).post(members::add),
        )
        .route(
            "/{tenant}/settings/members/{user}/role",
            post(members::change_role),
        )
        .route(
            "/{tenant}/settings/members/{user}/remove",
            get(members::confirm_remove).post(members::remove),
        )
        .merge(products::routes())
        .merge(environments::routes())
        .merge(windows::routes())
        .merge(releases::routes())
        .merge(runbook::routes())
        .merge(reviews::routes())
        .merge(calendar::routes())
        .merge(scheduling::routes())
        .merge(feed::routes())
        .merge(templates::routes())
        .merge(policies::routes())
        .route("/api/v1/{*rest}", get(api_not_found).post(api_not_found))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::csrf,
        ));

    Router::new()
        .merge(pages)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .nest_service("/static", static_files)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(x_request_id.clone(), MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|req: &Request<_>| {
                            let id = req
                                .extensions()
                                .get::<RequestId>()
                                .and_then(|id| id.header_value().to_str().ok())
                                .unwrap_or("-")
                                .to_owned();
                            // The path only: query strings may carry secrets
                            // (feed tokens) and never reach the logs.
                            tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
                        })
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(PropagateRequestIdLayer::new(x_request_id))
                .layer(CatchPanicLayer::new())
                .layer(axum::middleware::from_fn(render_errors))
                .layer(security_header(header::CONTENT_SECURITY_POLICY, CSP))
                .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .layer(security_header(header::REFERRER_POLICY, "same-origin"))
                .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
                .layer(CompressionLayer::new())
                .layer(TimeoutLayer::with_status_code(
                    axum::http::StatusCode::REQUEST_TIMEOUT,
                    Duration::from_secs(30),
                )),
        )
        .with_state(state)
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

async fn not_found() -> AppError {
    AppError::NotFound
}

async fn api_not_found() -> AppError {
    AppError::NotFound
}
