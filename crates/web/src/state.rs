//! Shared application state: one `Arc`, cloned into every handler.

use almanac_db::Db;
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
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            static_dir: PathBuf::from("static"),
        }
    }
}

#[derive(Debug)]
pub struct App {
    pub db: Db,
    pub config: WebConfig,
}

/// The state every handler receives.
#[derive(Debug, Clone)]
pub struct AppState(Arc<App>);

impl AppState {
    #[must_use]
    pub fn new(db: Db, config: WebConfig) -> Self {
        Self(Arc::new(App { db, config }))
    }
}

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}
