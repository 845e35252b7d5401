//! Configuration from environment variables (see the README's table).

use almanac_db::migrate::ServingRole;
use anyhow::{Context, Result, bail};
use sqlx::postgres::PgConnectOptions;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

/// Where the database is.
#[derive(Debug, Clone)]
pub enum Database {
    /// Connection strings given (`DATABASE_URL`, `ALMANAC_APP_DATABASE_URL`).
    External {
        owner_url: Option<String>,
        app_url: Option<String>,
    },
    /// Neither set: a private cluster under this directory.
    Embedded { data_dir: PathBuf },
}

/// What `ALMANAC_PLAN_CACHE_MB` defaults to.
pub const DEFAULT_PLAN_CACHE_MB: usize = 48;

#[derive(Debug, Clone)]
pub struct Config {
    pub database: Database,
    pub addr: SocketAddr,
    pub secure_cookies: bool,
    pub static_dir: PathBuf,
    pub json_logs: bool,
    /// Megabytes kept of what pages computed from plans (0: none).
    pub plan_cache_mb: usize,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    pub fn from_env() -> Result<Self> {
        let owner_url = env("DATABASE_URL");
        let app_url = env("ALMANAC_APP_DATABASE_URL");
        let database = if owner_url.is_none() && app_url.is_none() {
            Database::Embedded {
                data_dir: PathBuf::from(
                    env("ALMANAC_DATA_DIR").unwrap_or_else(|| "data".to_owned()),
                ),
            }
        } else {
            Database::External { owner_url, app_url }
        };
        let addr = env("ALMANAC_ADDR").unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let addr = SocketAddr::from_str(&addr).with_context(|| {
            format!("ALMANAC_ADDR={addr:?} is not an address like 127.0.0.1:8080")
        })?;
        let secure_cookies = match env("ALMANAC_SECURE_COOKIES").as_deref() {
            None | Some("false" | "0" | "no") => false,
            Some("true" | "1" | "yes") => true,
            Some(other) => bail!("ALMANAC_SECURE_COOKIES={other:?}: use true or false"),
        };
        let json_logs = match env("ALMANAC_LOG_FORMAT").as_deref() {
            None | Some("pretty") => false,
            Some("json") => true,
            Some(other) => bail!("ALMANAC_LOG_FORMAT={other:?}: use json or pretty"),
        };
        let static_dir = env("ALMANAC_STATIC_DIR").map_or_else(default_static_dir, PathBuf::from);
        let plan_cache_mb = match env("ALMANAC_PLAN_CACHE_MB") {
            None => DEFAULT_PLAN_CACHE_MB,
            Some(v) => v
                .trim()
                .parse()
                .ok()
                .filter(|mb| *mb <= 4096)
                .with_context(|| {
                    format!("ALMANAC_PLAN_CACHE_MB={v:?}: use a number of megabytes from 0 to 4096")
                })?,
        };
        Ok(Self {
            database,
            addr,
            secure_cookies,
            static_dir,
            json_logs,
            plan_cache_mb,
        })
    }
}

/// `static/` next to the working directory, else the source tree's.
fn default_static_dir() -> PathBuf {
    let local = PathBuf::from("static");
    if local.is_dir() {
        return local;
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../static"))
}

/// Parses a postgres:// URL into connection options.
pub fn connect_options(url: &str, variable: &str) -> Result<PgConnectOptions> {
    PgConnectOptions::from_str(url)
        .with_context(|| format!("{variable} is not a valid PostgreSQL URL"))
}

/// The serving role named by ALMANAC_APP_DATABASE_URL (user and password).
pub fn serving_role(app_url: &str) -> Result<ServingRole> {
    let parsed = url::Url::parse(app_url).context("ALMANAC_APP_DATABASE_URL is not a valid URL")?;
    let name = percent_decode(parsed.username());
    if name.is_empty() {
        bail!(
            "ALMANAC_APP_DATABASE_URL must name its user, e.g. postgres://almanac_app:secret@host/almanac"
        );
    }
    Ok(ServingRole {
        name,
        password: parsed.password().map(percent_decode),
    })
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serving_role_from_url() {
        let role = serving_role("postgres://almanac_app:s%40cret@db:5432/almanac").expect("valid");
        assert_eq!(role.name, "almanac_app");
        assert_eq!(role.password.as_deref(), Some("s@cret"));
        assert!(serving_role("postgres://db/almanac").is_err());
    }
}
