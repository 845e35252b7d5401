//! The one error type of the web layer.
//!
//! Handlers return `Result<_, AppError>` and use `?` everywhere. An error
//! becomes a response in two steps: [`AppError::into_response`] picks the
//! status and the words (logging internal errors once, with their cause
//! chain, and never showing them), and [`render_errors`] — which knows the
//! request path — writes them as a styled HTML page, or as RFC 9457 problem
//! JSON under `/api/`.
//!
//! Form validation problems are not errors: a handler re-renders its form
//! with messages per field and status 422.

use crate::layout::Layout;
use almanac_db::DbError;
use askama::Template;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("not signed in")]
    Unauthenticated { next: String },
    #[error("password change required")]
    PasswordChangeRequired,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("csrf check failed")]
    Csrf,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("stale version")]
    Conflict,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: i64 },
    #[error("internal error: {0}")]
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn internal(message: &str) -> Self {
        Self::Internal(message.to_owned().into())
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unauthenticated => Self::Unauthenticated {
                next: "/".to_owned(),
            },
            DbError::NotFound => Self::NotFound,
            DbError::PasswordChangeRequired => Self::PasswordChangeRequired,
            DbError::StaleVersion => Self::Conflict,
            other => Self::Internal(Box::new(other)),
        }
    }
}

impl From<crate::password::HashError> for AppError {
    fn from(e: crate::password::HashError) -> Self {
        Self::Internal(Box::new(e))
    }
}

/// The words of an error response, attached to it for [`render_errors`].
#[derive(Debug, Clone)]
pub struct ErrorBody {
    pub status: StatusCode,
    pub heading: &'static str,
    pub message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, heading, message) = match self {
            AppError::Unauthenticated { next } => {
                let target = if next.starts_with('/') && !next.starts_with("//") && next != "/" {
                    format!("/login?next={}", urlencode(&next))
                } else {
                    "/login".to_owned()
                };
                return Redirect::to(&target).into_response();
            }
            AppError::PasswordChangeRequired => {
                return Redirect::to("/profile/password").into_response();
            }
            AppError::NotFound => (
                StatusCode::NOT_FOUND,
                "Page not found",
                "There is nothing here, or you do not have access to it.".to_owned(),
            ),
            AppError::Forbidden(why) => (StatusCode::FORBIDDEN, "Not allowed", why),
            AppError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "For your security the form could not be sent. Go back, reload the page and try again."
                    .to_owned(),
            ),
            AppError::BadRequest(why) => (StatusCode::BAD_REQUEST, "Bad request", why),
            AppError::Conflict => (
                StatusCode::CONFLICT,
                "Changed by someone else",
                "This record was changed since you opened it. Reload to see the current version."
                    .to_owned(),
            ),
            AppError::TooManyRequests { retry_after_secs } => {
                let mut response = error_response(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many requests",
                    format!("Please wait {} and try again.", wait_words(retry_after_secs)),
                );
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, v);
                }
                return response;
            }
            AppError::Internal(cause) => {
                tracing::error!(error = %cause, cause = ?cause, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The error has been logged. Please try again in a moment.".to_owned(),
                )
            }
        };
        error_response(status, heading, message)
    }
}

fn error_response(status: StatusCode, heading: &'static str, message: String) -> Response {
    let mut response = status.into_response();
    response.extensions_mut().insert(ErrorBody {
        status,
        heading,
        message,
    });
    response
}

/// "3 minutes", "1 minute", "40 seconds".
#[must_use]
pub fn wait_words(secs: i64) -> String {
    if secs >= 90 {
        let mins = (secs + 59) / 60;
        format!("{mins} minutes")
    } else if secs >= 60 {
        "1 minute".to_owned()
    } else {
        format!("{secs} seconds")
    }
}

pub fn urlencode(s: &str) -> String {
    url_escape(s)
}

fn url_escape(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|pair| pair.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    heading: String,
    message: String,
}

/// Middleware: fills the body of every error response, as problem JSON for
/// `/api/` paths and as the styled error page elsewhere.
pub async fn render_errors(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let Some(body) = response.extensions().get::<ErrorBody>().cloned() else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    if is_api {
        let problem = serde_json::json!({
            "type": "about:blank",
            "title": body.heading,
            "status": body.status.as_u16(),
            "detail": body.message,
        });
        parts.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        return Response::from_parts(parts, axum::body::Body::from(problem.to_string()));
    }
    let page = ErrorPage {
        layout: Layout::anonymous(body.heading, String::new(), None),
        status: body.status.as_u16(),
        heading: body.heading.to_owned(),
        message: body.message.clone(),
    };
    match page.render() {
        Ok(html) => {
            let rendered = Html(html).into_response();
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            Response::from_parts(parts, rendered.into_body())
        }
        Err(e) => {
            tracing::error!(error = %e, "error page failed to render");
            Response::from_parts(parts, axum::body::Body::from(body.message))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_words_read_naturally() {
        assert_eq!(wait_words(30), "30 seconds");
        assert_eq!(wait_words(60), "1 minute");
        assert_eq!(wait_words(600), "10 minutes");
    }

    #[test]
    fn urlencode_escapes_queries() {
        assert_eq!(urlencode("/acme/?a=1&b=2"), "%2Facme%2F%3Fa%3D1%26b%3D2");
    }
}
