//! Request middleware: CSRF and same-origin checks, flash messages.

use crate::auth::{
    ANON_COOKIE, FLASH_COOKIE, RequestFacts, SESSION_COOKIE, cookie_value, csrf_for, new_token,
    set_cookie,
};
use crate::error::AppError;
use crate::layout::Flash;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use subtle::ConstantTimeEq;

/// Forms are small; anything larger is not a form of ours.
const MAX_FORM_BYTES: usize = 256 * 1024;

/// Establishes the CSRF token of the request and refuses state-changing
/// requests that do not carry it or that come from another origin.
///
/// Safe methods pass; a visitor with neither a session nor an anonymous
/// cookie gets an anonymous one. For POST/PUT/PATCH/DELETE: `Sec-Fetch-Site`
/// must be `same-origin` or `none` when present, `Origin` must match `Host`
/// when present, and the token must arrive in the `X-CSRF-Token` header or the
/// `_csrf` form field. Requests authenticated by an `Authorization` header
/// (API tokens, later) carry no ambient credentials and are left to their
/// own checks.
pub async fn csrf(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let response_path = request.uri().path().to_owned();
    let headers = request.headers();
    let session = cookie_value(headers, SESSION_COOKIE);
    let anon = cookie_value(headers, ANON_COOKIE);
    let mut new_anon = None;
    let seed = match session.or(anon) {
        Some(seed) => seed,
        None => {
            let token = new_token();
            new_anon = Some(token.clone());
            token
        }
    };
    let expected = csrf_for(&seed);
    let flash = cookie_value(headers, FLASH_COOKIE).and_then(|v| decode_flash(&v));
    let had_flash = flash.is_some();

    let is_unsafe = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let mut request = request;
    if is_unsafe && !request.headers().contains_key(header::AUTHORIZATION) {
        if !same_origin(request.headers()) {
            return AppError::Forbidden(
                "This request came from another site and was refused.".to_owned(),
            )
            .into_response();
        }
        let (checked, ok) = match check_token(request, &expected).await {
            Ok(pair) => pair,
            Err(response) => return response,
        };
        if !ok {
            return AppError::Csrf.into_response();
        }
        request = checked;
    }

    request.extensions_mut().insert(RequestFacts {
        csrf: expected,
        flash,
    });
    let mut response = next.run(request).await;
    let secure = state.config.secure_cookies;
    // Calendar clients and API callers hold no forms: no cookie for them.
    let path = response_path.as_str();
    if let Some(token) = new_anon.filter(|_| !path.ends_with(".ics") && !path.starts_with("/api/"))
    {
        append_cookie(
            &mut response,
            &set_cookie(ANON_COOKIE, &token, secure, None),
        );
    }
    // A flash is shown once: drop it with the first page that rendered it.
    if had_flash && !response.headers().contains_key(header::LOCATION) {
        append_cookie(
            &mut response,
            &set_cookie(FLASH_COOKIE, "", secure, Some(0)),
        );
    }
    response
}

/// Reads the token from the header or the form body, giving the request back
/// with its body intact.
async fn check_token(request: Request, expected: &str) -> Result<(Request, bool), Response> {
    if let Some(token) = request
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        let ok = token_eq(token, expected);
        return Ok((request, ok));
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((request, false));
    }
    let (parts, body) = request.into_parts();
    let bytes = match http_body_util::Limited::new(body, MAX_FORM_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return Err(AppError::BadRequest("The form is too large.".to_owned()).into_response());
        }
    };
    let ok = url::form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "_csrf")
        .is_some_and(|(_, v)| token_eq(&v, expected));
    Ok((Request::from_parts(parts, Body::from(bytes)), ok))
}

fn token_eq(given: &str, expected: &str) -> bool {
    given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// Browsers say where a request comes from; refuse anything cross-site.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some("null"), _) => false,
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)),
        (Some(_), None) => false,
        (None, _) => true,
    }
}

fn append_cookie(response: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// A Set-Cookie header carrying a flash message for the next page.
#[must_use]
pub fn flash_cookie(flash: &Flash, secure: bool) -> String {
    let value = format!("{}:{}", flash.kind, flash.message);
    set_cookie(FLASH_COOKIE, &value, secure, None)
}

fn decode_flash(value: &str) -> Option<Flash> {
    let (kind, message) = value.split_once(':')?;
    let message: String = message.chars().take(300).collect();
    match kind {
        "success" => Some(Flash::success(message)),
        "error" => Some(Flash::error(message)),
        "info" => Some(Flash::info(message)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_rules() {
        let cases = [
            (vec![], true),
            (
                vec![("host", "app.test"), ("origin", "https://app.test")],
                true,
            ),
            (
                vec![("host", "app.test"), ("origin", "https://evil.test")],
                false,
            ),
            (vec![("host", "app.test"), ("origin", "null")], false),
            (vec![("sec-fetch-site", "same-origin")], true),
            (vec![("sec-fetch-site", "none")], true),
            (vec![("sec-fetch-site", "cross-site")], false),
            (vec![("sec-fetch-site", "same-site")], false),
        ];
        for (pairs, want) in cases {
            assert_eq!(same_origin(&headers(&pairs)), want, "{pairs:?}");
        }
    }

    #[test]
    fn flash_round_trips_and_rejects_unknown_kinds() {
        let cookie = flash_cookie(&Flash::success("Saved: all good"), false);
        let value = cookie
            .split(';')
            .next()
            .and_then(|kv| kv.split_once('='))
            .map(|(_, v)| v);
        let decoded = value
            .map(|v| {
                cookie::Cookie::parse_encoded(format!("x={v}"))
                    .expect("cookie")
                    .value()
                    .to_owned()
            })
            .and_then(|v| decode_flash(&v));
        assert_eq!(decoded, Some(Flash::success("Saved: all good")));
        assert_eq!(decode_flash("evil:<script>"), None);
    }
}
