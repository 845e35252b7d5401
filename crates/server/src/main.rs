//! `almanac`: serve, migrate, demo, tenant and user administration.

use almanac::admin::{Resolved, UserSpec, create_tenant, upsert_user};
use almanac::config::Config;
use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::io::Read;
use std::net::SocketAddr;
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "almanac", version, about = "Enterprise release calendars")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server.
    Serve {
        /// Address to listen on (default: ALMANAC_ADDR or 127.0.0.1:8080).
        #[arg(long)]
        addr: Option<SocketAddr>,
    },
    /// Apply database migrations and create the serving role.
    Migrate,
    /// Create or refresh the demo organisations and logins, and give each
    /// demo tenant without planning records a portfolio dated around today.
    Demo {
        /// Delete the demo tenants' planning records and build them afresh.
        #[arg(long)]
        reset: bool,
    },
    /// Manage tenants.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Create a tenant: `almanac tenant create acme "Acme Financial" --tz America/New_York`.
    Create {
        slug: String,
        name: String,
        /// IANA time zone of the tenant.
        #[arg(long = "tz", default_value = "UTC")]
        time_zone: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user (or reset their password) and make them a member.
    /// The password is read from standard input.
    Create {
        email: String,
        #[arg(long)]
        tenant: String,
        /// owner, release_manager, approver or viewer.
        #[arg(long)]
        role: String,
        /// Display name (default: the email's local part).
        #[arg(long)]
        name: Option<String>,
        /// Make the person choose a new password at first sign-in.
        #[arg(long)]
        one_time: bool,
    },
}

fn init_logging(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let config = Config::from_env()?;
    init_logging(config.json_logs);
    match cli.command {
        Command::Serve { addr } => almanac::serve::run(config, addr).await,
        Command::Migrate => with_database(&config, |_| async { Ok(()) }).await,
        Command::Demo { reset } => with_database(&config, |pool| async move {
            let outcome = if reset {
                almanac::demo::reset(&pool).await?
            } else {
                almanac::demo::load(&pool).await?
            };
            let verb = if reset { "rebuilt" } else { "built" };
            for (slug, built) in outcome {
                match built {
                    Some(releases) => println!("{slug}: portfolio {verb} ({releases} releases)."),
                    None => println!(
                        "{slug}: has planning records, left as it is (`almanac demo --reset` rebuilds it)."
                    ),
                }
            }
            println!(
                "Demo data ready: sign in with any demo login and the password `{}`.",
                almanac::demo::PASSWORD
            );
            Ok(())
        })
        .await,
        Command::Tenant {
            command:
                TenantCommand::Create {
                    slug,
                    name,
                    time_zone,
                },
        } => {
            with_database(&config, |pool| async move {
                let id = create_tenant(&pool, &slug, &name, &time_zone, "cli").await?;
                println!("Created tenant {slug} ({id}).");
                Ok(())
            })
            .await
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    tenant,
                    role,
                    name,
                    one_time,
                },
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']).to_owned();
            with_database(&config, |pool| async move {
                let id = upsert_user(
                    &pool,
                    UserSpec {
                        email: &email,
                        display_name: name.as_deref(),
                        password: &password,
                        tenant: &tenant,
                        role: &role,
                        must_change_password: one_time,
                        actor_label: "cli",
                    },
                )
                .await?;
                println!("{email} ({id}) is {role} of {tenant}.");
                Ok(())
            })
            .await
        }
    }
}

/// Migrates (so every command finds the schema it expects), runs `work` on
/// an owner pool, and stops an embedded database this command started.
async fn with_database<F, Fut>(config: &Config, work: F) -> Result<()>
where
    F: FnOnce(sqlx::PgPool) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let resolved = Resolved::from_config(config).await?;
    let result = async {
        resolved.migrate().await?;
        let pool = resolved.owner_pool().await?;
        work(pool.clone()).await?;
        pool.close().await;
        Ok(())
    }
    .await;
    resolved.shutdown().await;
    result
}
