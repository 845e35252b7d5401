//! Signing in and out.

use crate::auth::{Ctx, SESSION_COOKIE, new_token, set_cookie, token_hash};
use crate::error::{AppError, wait_words};
use crate::handlers::with_status;
use crate::layout::{Flash, Layout};
use crate::password::verify_password;
use crate::state::AppState;
use almanac_db::{login_attempts, sessions, users};
use almanac_domain::Email;
use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::net::SocketAddr;

#[derive(Template, WebTemplate)]
#[template(path = "session/login.html")]
pub struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    error: String,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
}

pub async fn login_form(ctx: Ctx, Query(q): Query<LoginQuery>) -> LoginPage {
    LoginPage {
        layout: Layout::anonymous("Sign in", ctx.csrf, ctx.flash),
        email: String::new(),
        next: safe_next(&q.next).to_owned(),
        error: String::new(),
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// The client's IP address (from the TCP connection), for throttling.
pub struct ClientAddr(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |ConnectInfo(a)| a.ip().to_string()),
        ))
    }
}

/// Only local paths are followed after sign-in (no open redirect).
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

pub async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddr(address): ClientAddr,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let page = |status: StatusCode, error: String| {
        with_status(
            status,
            LoginPage {
                layout: Layout::anonymous("Sign in", ctx.csrf.clone(), None),
                email: form.email.clone(),
                next: safe_next(&form.next).to_owned(),
                error,
            },
        )
    };
    let Ok(email) = Email::parse(&form.email) else {
        return Ok(page(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter the email address of your account.".to_owned(),
        ));
    };
    let pool = state.db.pool();
    let mut conn = pool.acquire().await.map_err(almanac_db::DbError::from)?;

    if let Some(wait) = login_attempts::retry_after(&mut conn, email.as_str(), &address).await? {
        let mut response = page(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed sign-in attempts. For your security, sign-in is paused: try again in {}.",
                wait_words(wait)
            ),
        );
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(response);
    }

    let credentials = users::credentials(&mut conn, &email).await?;
    let hash = credentials.as_ref().map(|c| c.password_hash.clone());
    if !verify_password(form.password.clone(), hash).await {
        login_attempts::record_failure(&mut conn, email.as_str(), &address).await?;
        tracing::info!(%address, "failed sign-in");
        return Ok(page(
            StatusCode::UNAUTHORIZED,
            "The email address or password is not right.".to_owned(),
        ));
    }
    let Some(credentials) = credentials else {
        return Err(AppError::internal("verified a password without an account"));
    };

    // A new session id at every sign-in; the old one (if any) ends.
    login_attempts::clear_account(&mut conn, email.as_str()).await?;
    if let Some(old) = &ctx.session {
        sessions::delete(&mut conn, &token_hash(old)).await?;
    }
    let token = new_token();
    sessions::create(&mut conn, &token_hash(&token), credentials.id).await?;
    tracing::info!(user = %credentials.id, "signed in");

    let target = if credentials.must_change_password {
        "/profile/password"
    } else {
        safe_next(&form.next)
    };
    let mut response = Redirect::to(target).into_response();
    let cookie = set_cookie(SESSION_COOKIE, &token, state.config.secure_cookies, None);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

pub async fn logout(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    if let Some(token) = &ctx.session {
        let mut conn = state
            .db
            .pool()
            .acquire()
            .await
            .map_err(almanac_db::DbError::from)?;
        sessions::delete(&mut conn, &token_hash(token)).await?;
    }
    let mut response = crate::handlers::redirect_with_flash(
        &state,
        "/login",
        &Flash::info("You have signed out."),
    );
    let expired = set_cookie(SESSION_COOKIE, "", state.config.secure_cookies, Some(0));
    if let Ok(v) = HeaderValue::from_str(&expired) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_local_only() {
        assert_eq!(safe_next("/acme/"), "/acme/");
        assert_eq!(safe_next("//evil.test/"), "/");
        assert_eq!(safe_next("/\\evil.test"), "/");
        assert_eq!(safe_next("https://evil.test/"), "/");
        assert_eq!(safe_next(""), "/");
    }
}
