//! The embedded default database: a private PostgreSQL cluster under the
//! data directory, used when no connection string is configured.
//!
//! It is created with the machine's PostgreSQL binaries on first use, listens
//! only on a Unix socket inside a private directory (no TCP), is started on
//! demand and stopped when the command that started it ends. PostgreSQL
//! refuses to run as root, so as root its programs run as the `postgres`
//! user, which must own the cluster directory and be able to reach it.

use anyhow::{Context, Result, bail};
use sqlx::postgres::PgConnectOptions;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::process::Command;

/// Owner (bootstrap superuser) and serving role of the embedded cluster.
pub const OWNER_ROLE: &str = "almanac";
pub const APP_ROLE: &str = "almanac_app";
pub const DATABASE: &str = "almanac";
/// Only names the socket file (`.s.PGSQL.5432`): the cluster has no TCP.
const PORT: u16 = 5432;
/// sun_path is 108 bytes on Linux (104 on macOS), including the NUL.
const MAX_SOCKET_PATH: usize = 100;

#[derive(Debug)]
pub struct Embedded {
    bin_dir: PathBuf,
    cluster_dir: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    /// Run PostgreSQL's programs as this user (when we are root).
    run_as: Option<nix::unistd::User>,
    /// True when this process started the server (and so stops it).
    started_here: bool,
}

impl Embedded {
    /// Finds the PostgreSQL binaries and lays out the directories.
    pub fn locate(data_dir: &Path) -> Result<Self> {
        let bin_dir = find_bin_dir()?;
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        let mut data_dir = data_dir
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", data_dir.display()))?;
        let run_as = if nix::unistd::geteuid().is_root() {
            let user = nix::unistd::User::from_name("postgres")
                .ok()
                .flatten()
                .context(
                    "running as root, PostgreSQL must run as the `postgres` user, which does not exist; \
                     install the postgresql package (it creates the user) or run almanac as a normal user",
                )?;
            if !reachable_by(&user, &data_dir) {
                let fallback = PathBuf::from("/var/lib/almanac").join(sanitize(&data_dir));
                tracing::warn!(
                    data_dir = %data_dir.display(),
                    fallback = %fallback.display(),
                    "the postgres user cannot reach the data directory (PostgreSQL refuses to run as root, \
                     and a directory under /root is private); keeping the database in the fallback directory"
                );
                std::fs::create_dir_all(&fallback)?;
                std::fs::set_permissions(
                    "/var/lib/almanac",
                    std::fs::Permissions::from_mode(0o755),
                )?;
                data_dir = fallback;
            }
            Some(user)
        } else {
            None
        };
        let cluster_dir = data_dir.join("postgres");
        let mut socket_dir = data_dir.join("run");
        if socket_dir
            .join(format!(".s.PGSQL.{PORT}"))
            .as_os_str()
            .len()
            > MAX_SOCKET_PATH
        {
            socket_dir = std::env::temp_dir().join(format!("almanac-{}", short_hash(&data_dir)));
        }
        Ok(Self {
            bin_dir,
            log_file: data_dir.join("postgres.log"),
            cluster_dir,
            socket_dir,
            run_as,
            started_here: false,
        })
    }

    /// Initialises the cluster on first use, starts it unless it already
    /// runs, and creates the application database.
    pub async fn start(&mut self) -> Result<()> {
        self.prepare_dirs()?;
        if !self.cluster_dir.join("PG_VERSION").exists() {
            let started = std::time::Instant::now();
            tracing::info!(dir = %self.cluster_dir.display(), "initialising the embedded PostgreSQL cluster");
            self.run(
                "initdb",
                &[
                    "-D",
                    &self.cluster_dir.to_string_lossy(),
                    "-U",
                    OWNER_ROLE,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-locale",
                    "--no-instructions",
                ],
            )
            .await?;
            std::fs::write(
                self.cluster_dir.join("postgresql.conf"),
                format!(
                    "{}\ninclude_if_exists = 'almanac.conf'\n",
                    std::fs::read_to_string(self.cluster_dir.join("postgresql.conf"))?
                ),
            )?;
            tracing::info!(
                elapsed_ms = started.elapsed().as_millis(),
                "cluster initialised"
            );
        }
        // Rewritten every start: the socket directory may move with the data dir.
        self.write_owned(
            &self.cluster_dir.join("almanac.conf"),
            &format!(
                "# Written by almanac at every start.\nlisten_addresses = ''\n\
                 unix_socket_directories = '{}'\nunix_socket_permissions = 0700\n\
                 port = {PORT}\nmax_connections = 100\n",
                self.socket_dir.display()
            ),
        )?;
        if self.is_running().await {
            tracing::info!("the embedded PostgreSQL is already running; using it");
        } else {
            self.run(
                "pg_ctl",
                &[
                    "-D",
                    &self.cluster_dir.to_string_lossy(),
                    "-l",
                    &self.log_file.to_string_lossy(),
                    "-w",
                    "-t",
                    "60",
                    "-s",
                    "start",
                ],
            )
            .await
            .with_context(|| {
                format!("PostgreSQL did not start; see {}", self.log_file.display())
            })?;
            self.started_here = true;
        }
        self.create_database().await
    }

    /// Stops the server if this process started it.
    pub async fn stop(&mut self) {
        if !self.started_here {
            return;
        }
        match self
            .run(
                "pg_ctl",
                &[
                    "-D",
                    &self.cluster_dir.to_string_lossy(),
                    "-m",
                    "fast",
                    "-s",
                    "-w",
                    "stop",
                ],
            )
            .await
        {
            Ok(()) => tracing::info!("stopped the embedded PostgreSQL"),
            Err(e) => tracing::warn!(error = %e, "could not stop the embedded PostgreSQL"),
        }
        self.started_here = false;
    }

    /// Connection options of the owner role.
    #[must_use]
    pub fn owner_options(&self) -> PgConnectOptions {
        self.options(OWNER_ROLE)
    }

    /// Connection options of the serving role (created by migrate).
    #[must_use]
    pub fn app_options(&self) -> PgConnectOptions {
        self.options(APP_ROLE)
    }

    fn options(&self, user: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(PORT)
            .username(user)
            .database(DATABASE)
    }

    fn prepare_dirs(&self) -> Result<()> {
        for dir in [&self.cluster_dir, &self.socket_dir] {
            std::fs::create_dir_all(dir)?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
            self.chown(dir)?;
        }
        if !self.log_file.exists() {
            std::fs::write(&self.log_file, "")?;
        }
        self.chown(&self.log_file)
    }

    fn write_owned(&self, path: &Path, contents: &str) -> Result<()> {
        std::fs::write(path, contents)?;
        self.chown(path)
    }

    fn chown(&self, path: &Path) -> Result<()> {
        if let Some(user) = &self.run_as {
            std::os::unix::fs::chown(path, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
                .with_context(|| format!("cannot hand {} to the postgres user", path.display()))?;
        }
        Ok(())
    }

    async fn is_running(&self) -> bool {
        self.command(
            "pg_ctl",
            &["-D", &self.cluster_dir.to_string_lossy(), "status"],
        )
        .output()
        .await
        .is_ok_and(|o| o.status.success())
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let exe = self.bin_dir.join(program);
        let mut cmd = if let Some(user) = &self.run_as {
            let mut c = Command::new("runuser");
            c.arg("-u").arg(&user.name).arg("--").arg(exe);
            c
        } else {
            Command::new(exe)
        };
        // The postgres user may not be able to read our working directory.
        cmd.args(args).current_dir("/").kill_on_drop(false);
        cmd
    }

    async fn run(&self, program: &str, args: &[&str]) -> Result<()> {
        let output = self
            .command(program, args)
            .output()
            .await
            .with_context(|| format!("cannot run {program}"))?;
        if !output.status.success() {
            bail!(
                "{program} failed ({}): {}{}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim(),
                String::from_utf8_lossy(&output.stdout).trim()
            );
        }
        Ok(())
    }

    async fn create_database(&self) -> Result<()> {
        use sqlx::Connection;
        let mut conn = connect_retrying(self.options(OWNER_ROLE).database("postgres")).await?;
        almanac_db::pool::create_database_if_missing(&mut conn, DATABASE).await?;
        conn.close().await?;
        Ok(())
    }
}

async fn connect_retrying(options: PgConnectOptions) -> Result<sqlx::PgConnection> {
    use sqlx::Connection;
    let mut last = None;
    for _ in 0..50 {
        match sqlx::PgConnection::connect_with(&options).await {
            Ok(c) => return Ok(c),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(last.map_or_else(|| anyhow::anyhow!("cannot connect"), anyhow::Error::from))
        .context("cannot connect to the embedded PostgreSQL")
}

/// PostgreSQL's server programs: `pg_config --bindir`, the Debian/Ubuntu
/// layout, common macOS and RHEL locations, then PATH.
fn find_bin_dir() -> Result<PathBuf> {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Ok(out) = std::process::Command::new("pg_config")
        .arg("--bindir")
        .output()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && has_initdb(&dir) {
            return Ok(dir);
        }
    }
    let mut debian: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, dir)| has_initdb(dir))
        .collect();
    debian.sort();
    if let Some((_, dir)) = debian.pop() {
        return Ok(dir);
    }
    let mut candidates: Vec<PathBuf> = [
        "/opt/homebrew/bin",
        "/usr/local/bin",
        "/usr/pgsql-16/bin",
        "/usr/pgsql-15/bin",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    candidates.into_iter().find(|d| has_initdb(d)).context(
        "no PostgreSQL server binaries (initdb, pg_ctl) were found. Install them: \
         on Debian/Ubuntu `sudo apt-get install postgresql`, on macOS `brew install postgresql@16`; \
         or set DATABASE_URL and ALMANAC_APP_DATABASE_URL to use an existing server",
    )
}

/// Can `user` search (traverse) `dir`? Asks the system, as that user.
fn reachable_by(user: &nix::unistd::User, dir: &Path) -> bool {
    std::process::Command::new("runuser")
        .arg("-u")
        .arg(&user.name)
        .arg("--")
        .arg("test")
        .arg("-x")
        .arg(dir)
        .current_dir("/")
        .status()
        .is_ok_and(|s| s.success())
}

fn sanitize(path: &Path) -> String {
    let s: String = path
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!(
        "{}-{}",
        s.trim_matches('-')
            .chars()
            .rev()
            .take(40)
            .collect::<String>()
            .chars()
            .rev()
            .collect::<String>(),
        short_hash(path)
    )
}

fn short_hash(path: &Path) -> String {
    // FNV-1a: stable across runs and platforms (std's hasher is not).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in path.as_os_str().as_encoded_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:08x}", h >> 32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_short() {
        let p = Path::new("/root/work/almanac/data");
        assert_eq!(short_hash(p), short_hash(p));
        assert_ne!(short_hash(p), short_hash(Path::new("/root/other/data")));
        let s = sanitize(p);
        assert!(
            s.len() <= 50 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
            "{s}"
        );
    }
}
