//! `/{tenant}/calendar.ics?token=...`: the iCalendar feed a person's
//! calendar client subscribes to, with the calendar's filters as query
//! parameters (`line`, `product`, `environment`, `status`). Authenticated
//! by the feed token alone: no session, no CSRF (it only reads), never a
//! sign-in redirect. Unknown, revoked and foreign tokens all answer 404.
//! The token stays out of the logs: the router's request span records the
//! path only.
//!
//! The profile page's "Calendar feeds" section creates and revokes the
//! tokens ([`tokens`]).

pub mod tokens;

use crate::auth::token_hash;
use crate::cache::Lookup;
use crate::error::AppError;
use crate::state::AppState;
use almanac_db::feed::{self, Catalog};
use almanac_db::feed_tokens::FeedVisit;
use almanac_db::{tenants, windows};
use almanac_domain::TimeZone;
use almanac_domain::ical::{self, DeploymentItem, Feed, FeedFilter, MilestoneItem, WindowItem};
use almanac_domain::window::Window;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// The routes of this area; merged by `router::build_app`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/{tenant}/calendar.ics", get(calendar))
        .route("/profile/feeds", post(tokens::create))
        .route(
            "/profile/feeds/{tenant}/{id}/revoke",
            get(tokens::confirm_revoke).post(tokens::revoke),
        )
}

/// Calendar clients poll; a few minutes of staleness is fine, and the feed
/// is personal (its URL is a secret), so no shared cache may keep it.
const CACHE_CONTROL: &str = "private, max-age=300";

/// `https://almanac.example`: the address the browser or calendar client
/// used, for links that must be absolute (feed URLs, links in events).
pub(crate) fn origin(headers: &HeaderMap, secure: bool) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    let forwarded = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .filter(|p| matches!(*p, "http" | "https"));
    let scheme = forwarded.unwrap_or(if secure { "https" } else { "http" });
    format!("{scheme}://{host}")
}

#[derive(Deserialize, Default)]
pub struct FeedQuery {
    #[serde(default)]
    token: String,
    #[serde(default)]
    line: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    environment: String,
    #[serde(default)]
    status: String,
}

impl FeedQuery {
    /// The filter; a value that names nothing is refused (a subscription
    /// silently showing everything would mislead).
    fn filter(&self, catalog: &Catalog) -> Result<FeedFilter, AppError> {
        fn pick(
            value: &str,
            entries: &[feed::Entry],
            by_name: fn(&feed::Entry, &str) -> bool,
            what: &str,
        ) -> Result<Option<Uuid>, AppError> {
            let value = value.trim();
            if value.is_empty() {
                return Ok(None);
            }
            let id = Uuid::parse_str(value).ok();
            entries
                .iter()
                .find(|e| Some(e.id) == id || by_name(e, value))
                .map(|e| Some(e.id))
                .ok_or_else(|| {
                    AppError::BadRequest(format!("The feed's {what} filter names nothing."))
                })
        }
        let status = match self.status.trim() {
            "" => None,
            s => Some(s.parse().map_err(|_| {
                AppError::BadRequest("The feed's status filter names no release status.".into())
            })?),
        };
        Ok(FeedFilter {
            line: pick(
                &self.line,
                &catalog.lines,
                |e, v| e.name == v,
                "product line",
            )?,
            product: pick(
                &self.product,
                &catalog.products,
                |e, v| e.key.as_deref().is_some_and(|k| k.eq_ignore_ascii_case(v)),
                "product",
            )?,
            environment: pick(
                &self.environment,
                &catalog.environments,
                |e, v| e.name.eq_ignore_ascii_case(v),
                "environment",
            )?,
            status,
        })
    }
}

/// What one feed request read, in its one transaction.
struct FeedData {
    catalog: Catalog,
    filter: FeedFilter,
    windows: Vec<Window>,
    stamps: HashMap<Uuid, DateTime<Utc>>,
    deployments: Vec<DeploymentItem>,
    milestones: Vec<MilestoneItem>,
}

/// What identifies a rendered feed: the tenant (its slug and name are in
/// the text), the filter as asked, the subscriber's zone, the address it
/// was asked at (links). The cache stamps it with its minute (the feed's
/// period moves with it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FeedKey {
    tenant: Uuid,
    slug: String,
    name: String,
    zone: String,
    origin: String,
    filter: [String; 4],
}

/// Read in the feed's transaction: the text rendered under the current plan
/// version, or the data to render it.
enum Found {
    Cached(Arc<Bytes>),
    Loaded(Box<(Option<(FeedKey, i64)>, FeedData)>),
}

pub async fn calendar(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    Query(query): Query<FeedQuery>,
) -> Result<Response, AppError> {
    if query.token.is_empty() || query.token.len() > 200 {
        return Err(AppError::NotFound);
    }
    // A feed is built whole in memory: only a few at a time, the others
    // wait (and then usually find it rendered).
    let _permit = state
        .feed_permits
        .acquire()
        .await
        .map_err(|e| AppError::Internal(Box::new(e)))?;
    let now = Utc::now();
    let minute = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now);
    let stamp = minute.timestamp() / 60;
    let (from, to) = ical::bounds(minute);
    let hash = token_hash(&query.token);
    let origin = origin(&headers, state.config.secure_cookies);
    let app = state.clone();
    let key_origin = origin.clone();
    let (visit, found) = state
        .db
        .enter_feed::<_, AppError, _>(hash, slug, move |tx, visit| {
            Box::pin(async move {
                let tenant = visit.tenant;
                let key = if app.config.plan_cache_bytes > 0 {
                    let version = tenants::plan_version(tx, tenant).await?;
                    let key = FeedKey {
                        tenant: tenant.0,
                        slug: visit.slug.clone(),
                        name: visit.name.clone(),
                        zone: visit.time_zone.clone(),
                        origin: key_origin,
                        filter: [
                            query.line.trim().to_owned(),
                            query.product.trim().to_owned(),
                            query.environment.trim().to_owned(),
                            query.status.trim().to_owned(),
                        ],
                    };
                    match app.feeds.get(&key, version, stamp) {
                        Lookup::Fresh(hit) | Lookup::Stale(hit) => {
                            return Ok(Found::Cached(hit));
                        }
                        Lookup::Miss => Some((key, version)),
                    }
                } else {
                    None
                };
                let catalog = feed::catalog(tx, tenant).await?;
                let filter = query.filter(&catalog)?;
                let db_filter = feed::Filter {
                    line: filter.line,
                    product: filter.product,
                    environment: filter.environment,
                    status: filter.status,
                };
                let windows = windows::overlapping(tx, tenant, from, to).await?;
                let ids: Vec<Uuid> = windows.iter().map(|w| w.id.0).collect();
                let data = FeedData {
                    stamps: feed::window_stamps(tx, tenant, &ids).await?,
                    deployments: feed::deployments(tx, tenant, from, to, minute, &db_filter)
                        .await?,
                    milestones: feed::milestones(tx, tenant, from, to, minute, &db_filter).await?,
                    catalog,
                    filter,
                    windows,
                };
                Ok(Found::Loaded(Box::new((key, data))))
            })
        })
        .await?;
    let body = match found {
        Found::Cached(body) => body,
        Found::Loaded(loaded) => {
            let (key, data) = *loaded;
            let feed = compose(&visit, data, origin, minute);
            // Large portfolios make large feeds: render off the async workers.
            let body = Arc::new(Bytes::from(
                tokio::task::spawn_blocking(move || feed.render())
                    .await
                    .map_err(|e| AppError::Internal(Box::new(e)))?,
            ));
            if let Some((key, version)) = key {
                let bytes = body.len();
                state
                    .feeds
                    .insert(key, version, stamp, Arc::clone(&body), bytes);
            }
            body
        }
    };
    // The cached text is shared, not copied.
    let body = Bytes::clone(&body);
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{}.ics\"", visit.slug)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// The feed of what was read: windows the filter shows, named scope.
fn compose(visit: &FeedVisit, data: FeedData, origin: String, now: DateTime<Utc>) -> Feed {
    let names = data.catalog.names();
    let line_products = data
        .filter
        .line
        .map(|l| data.catalog.products_of(l))
        .unwrap_or_default();
    let windows = data
        .windows
        .into_iter()
        .filter(|w| data.filter.shows_window(w, &line_products))
        .map(|window| WindowItem {
            stamp: data.stamps.get(&window.id.0).copied().unwrap_or(now),
            environments: ical::names_of(&window.environments, &names),
            products: ical::names_of(&window.products, &names),
            window,
        })
        .collect();
    Feed {
        name: format!("{} — releases", visit.name),
        zone: TimeZone::parse(&visit.time_zone).unwrap_or(TimeZone::UTC),
        base_url: format!("{origin}/{}", visit.slug),
        now,
        windows,
        deployments: data.deployments,
        milestones: data.milestones,
    }
}
