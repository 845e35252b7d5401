//! Shared application state: one `Arc`, cloned into every handler.

use crate::cache::PlanCache;
use crate::handlers::calendar::{CalendarKey, Prepared};
use crate::handlers::feed::FeedKey;
use almanac_db::Db;
use tokio::sync::Semaphore;

/// Feeds rendered at the same time; more wait (a large feed holds several
/// megabytes while it is built).
const FEEDS_AT_ONCE: usize = 2;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;

/// Settings of the web layer, read by the binary from the environment.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (set when serving behind TLS).
    pub secure_cookies: bool,
    /// Directory served under /static.
    pub static_dir: PathBuf,
    /// Bytes kept of what pages computed from plans ([`crate::cache`]):
    /// two thirds for calendar views, one third for feeds; 0 keeps nothing.
    pub plan_cache_bytes: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            static_dir: PathBuf::from("static"),
            plan_cache_bytes: 48 * 1024 * 1024,
        }
    }
}

#[derive(Debug)]
pub struct App {
    pub db: Db,
    pub config: WebConfig,
    /// Calendar views computed from a plan version.
    pub(crate) calendars: PlanCache<CalendarKey, Prepared>,
    /// Rendered feeds, by plan version.
    pub(crate) feeds: PlanCache<FeedKey, axum::body::Bytes>,
    /// The dashboard's health horizon (open releases, blocking conflicts),
    /// by plan version.
    pub(crate) horizons: PlanCache<
        crate::handlers::dashboard::health::HorizonKey,
        crate::handlers::dashboard::health::Horizon,
    >,
    /// The dashboard's shipped releases and production deployments of a
    /// period, by plan version.
    pub(crate) periods:
        PlanCache<crate::handlers::dashboard::PeriodKey, crate::handlers::dashboard::PeriodPlan>,
    /// Feeds rendered at once (each holds a whole feed in memory).
    pub(crate) feed_permits: Semaphore,
}

/// The state every handler receives.
#[derive(Debug, Clone)]
pub struct AppState(Arc<App>);

impl AppState {
    #[must_use]
    pub fn new(db: Db, config: WebConfig) -> Self {
        let budget = config.plan_cache_bytes;
        Self(Arc::new(App {
            db,
            calendars: PlanCache::new(budget / 16 * 9),
            feeds: PlanCache::new(budget / 16 * 5),
            horizons: PlanCache::new(budget / 16),
            periods: PlanCache::new(budget / 16),
            feed_permits: Semaphore::new(FEEDS_AT_ONCE),
            config,
        }))
    }
}

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}
