//! Sessions and CSRF tokens.
//!
//! The session cookie holds a random 256-bit token; the database keeps only
//! its SHA-256. A visitor without a session gets an anonymous `almanac_csrf`
//! cookie instead. The CSRF token put in forms is derived from whichever of
//! the two the browser holds — SHA-256 over a fixed label and the cookie
//! value — so it needs no storage, changes when the session rotates at
//! sign-in, and cannot be computed by a page that cannot read the cookie.

use crate::error::AppError;
use crate::layout::Flash;
use crate::state::AppState;
use almanac_db::scope::Entry;
use almanac_db::{Tx, Visit};
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cookie::{Cookie, SameSite};
use futures::future::BoxFuture;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const SESSION_COOKIE: &str = "almanac_session";
pub const ANON_COOKIE: &str = "almanac_csrf";
pub const FLASH_COOKIE: &str = "almanac_flash";

/// A new random token (session or anonymous CSRF seed).
#[must_use]
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database stores for a session token.
#[must_use]
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The CSRF token that forms must echo for a cookie value.
#[must_use]
pub fn csrf_for(seed: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"almanac-csrf\0");
    h.update(seed.as_bytes());
    URL_SAFE_NO_PAD.encode(h.finalize())
}

/// The value of cookie `name` in the request headers.
#[must_use]
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse_encoded)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// A Set-Cookie value with the app's attributes (HttpOnly, SameSite=Lax,
/// Path=/, Secure when configured). `max_age_days = 0` deletes the cookie.
#[must_use]
pub fn set_cookie(
    name: &'static str,
    value: &str,
    secure: bool,
    max_age_days: Option<i64>,
) -> String {
    let mut c = Cookie::build((name, value.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure);
    if let Some(days) = max_age_days {
        c = c.max_age(cookie::time::Duration::days(days));
    }
    c.build().encoded().to_string()
}

/// Per-request facts the middleware establishes (see `middleware::csrf`).
#[derive(Debug, Clone)]
pub struct RequestFacts {
    pub csrf: String,
    pub flash: Option<Flash>,
}

/// Everything a page handler needs about the browser: its session (if
/// any), the CSRF token for forms, a pending flash message, and the path
/// (to come back to after signing in).
#[derive(Debug, Clone)]
pub struct Ctx {
    pub session: Option<String>,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub path_and_query: String,
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let facts = parts
            .extensions
            .get::<RequestFacts>()
            .cloned()
            .ok_or_else(|| {
                AppError::internal("request facts missing: csrf middleware not installed")
            })?;
        Ok(Self {
            session: cookie_value(&parts.headers, SESSION_COOKIE),
            csrf: facts.csrf,
            flash: facts.flash,
            path_and_query: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        })
    }
}

impl Ctx {
    /// Runs `work` in the visitor's tenant-scoped transaction (see
    /// [`almanac_db::Db::enter`]). `slug` is the tenant of the URL, if any.
    pub async fn enter<T, F>(
        &self,
        state: &AppState,
        slug: Option<&str>,
        work: F,
    ) -> Result<(Visit, T), AppError>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut Tx, &'t Visit) -> BoxFuture<'t, Result<T, AppError>>
            + Send
            + 'static,
    {
        self.enter_with(state, slug, false, work).await
    }

    /// [`Ctx::enter`] that also lets in a person who still has to replace a
    /// one-time password (the password page itself, sign-out).
    pub async fn enter_with<T, F>(
        &self,
        state: &AppState,
        slug: Option<&str>,
        allow_pending_password: bool,
        work: F,
    ) -> Result<(Visit, T), AppError>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut Tx, &'t Visit) -> BoxFuture<'t, Result<T, AppError>>
            + Send
            + 'static,
    {
        let Some(token) = &self.session else {
            return Err(AppError::Unauthenticated {
                next: self.path_and_query.clone(),
            });
        };
        let entry = Entry {
            token_hash: token_hash(token),
            slug: slug.map(str::to_owned),
            allow_pending_password,
        };
        state.db.enter(entry, work).await.map_err(|e| match e {
            AppError::Unauthenticated { .. } => AppError::Unauthenticated {
                next: self.path_and_query.clone(),
            },
            other => other,
        })
    }

    /// Signed-in visit with no extra work (pages that only need the layout).
    pub async fn visit(&self, state: &AppState, slug: Option<&str>) -> Result<Visit, AppError> {
        self.enter(state, slug, |_, _| Box::pin(async { Ok(()) }))
            .await
            .map(|(visit, ())| visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_csrf_is_derived() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "32 bytes, base64url without padding");
        assert_eq!(csrf_for(&a), csrf_for(&a));
        assert_ne!(csrf_for(&a), csrf_for(&b));
        assert_ne!(csrf_for(&a), a, "the token does not reveal the cookie");
        assert_eq!(token_hash(&a).len(), 32);
    }

    #[test]
    fn cookies_parse_and_build() {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            "other=1; almanac_session=abc-DEF_123"
                .parse()
                .expect("header"),
        );
        assert_eq!(
            cookie_value(&headers, SESSION_COOKIE).as_deref(),
            Some("abc-DEF_123")
        );
        assert_eq!(cookie_value(&headers, ANON_COOKIE), None);
        let set = set_cookie(SESSION_COOKIE, "v", true, None);
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Secure"));
        assert!(!set_cookie(SESSION_COOKIE, "v", false, None).contains("Secure"));
    }
}
