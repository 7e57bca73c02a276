//! `tally-server`: serve protocol v1, or administer the server's database (org units,
//! users, devices).

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Read};
use std::net::SocketAddr;
use tally_core::Level;
use tally_protocol::Role;
use tally_server::admin::{self, NewUnit};
use tally_server::{AppState, Db, SystemClock};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "tally-server", version, about = "Tally's central sync server")]
struct Cli {
    /// The database: sqlite:PATH or postgres://USER@HOST:PORT/DB.
    #[arg(
        long,
        global = true,
        env = "TALLY_SERVER_DB",
        default_value = "sqlite:tally-server.db"
    )]
    db: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the sync API.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
    },
    /// Org units (banner, township, village, hamlet).
    #[command(subcommand)]
    Unit(UnitCommand),
    /// User accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Enrolled devices.
    #[command(subcommand)]
    Device(DeviceCommand),
}

#[derive(Subcommand)]
enum UnitCommand {
    /// Add one org unit.
    Add {
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// banner, township, village or hamlet.
        #[arg(long)]
        level: Level,
        /// The code of the unit one level up (not for a banner).
        #[arg(long)]
        parent: Option<String>,
    },
    /// Import org units from a UTF-8 CSV file with columns code,name,level,parent.
    Import { file: std::path::PathBuf },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        #[arg(long)]
        name: String,
        /// cadre, leader, inspector or admin.
        #[arg(long)]
        role: Role,
        /// An assigned org unit (repeat for several).
        #[arg(long = "unit")]
        units: Vec<String>,
        /// Read the password from standard input (required: never on the command line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user: the user's devices stop syncing at once.
    Disable { name: String },
}

#[derive(Subcommand)]
enum DeviceCommand {
    /// List enrolled devices.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a device's token.
    Revoke { id: String },
}

fn read_password() -> anyhow::Result<String> {
    let mut input = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut input)
        .context("reading the password from standard input")?;
    let password = input.lines().next().unwrap_or("").to_string();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

fn format_ms(ms: Option<u64>) -> String {
    ms.and_then(|ms| chrono::DateTime::from_timestamp_millis(i64::try_from(ms).ok()?))
        .map_or_else(
            || "-".to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        )
}

async fn serve(db: Db, listen: SocketAddr) -> anyhow::Result<()> {
    let backend = db.backend();
    let app = tally_server::router(AppState::new(db));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    tracing::info!(%listen, backend, "tally-server listening");
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down");
        })
        .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    let db = Db::open(&cli.db)
        .await
        .with_context(|| format!("opening the database {}", cli.db))?;
    let clock = SystemClock;
    match cli.command {
        Command::Serve { listen } => serve(db, listen).await?,
        Command::Unit(UnitCommand::Add {
            code,
            name,
            level,
            parent,
        }) => {
            let unit = NewUnit {
                code: code.clone(),
                name,
                level,
                parent,
            };
            admin::add_unit(&db, &clock, unit).await?;
            println!("added org unit {code}");
        }
        Command::Unit(UnitCommand::Import { file }) => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let n = admin::import_units(&db, &clock, &bytes)
                .await
                .with_context(|| format!("importing {}", file.display()))?;
            println!("imported {n} new org units from {}", file.display());
        }
        Command::User(UserCommand::Add {
            name,
            role,
            units,
            password_stdin,
        }) => {
            if !password_stdin {
                bail!("pass the password on standard input with --password-stdin");
            }
            let password = read_password()?;
            admin::add_user(&db, &clock, &name, role, &units, &password).await?;
            println!("added {role} {name}");
        }
        Command::User(UserCommand::Disable { name }) => {
            admin::disable_user(&db, &name).await?;
            println!("disabled user {name}");
        }
        Command::Device(DeviceCommand::List { json }) => {
            let devices = admin::list_devices(&db).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&devices)?);
            } else {
                println!(
                    "{:<36}  {:<16}  {:<20}  {:<23}  {:<23}  status",
                    "id", "user", "name", "enrolled", "last seen"
                );
                for d in devices {
                    println!(
                        "{:<36}  {:<16}  {:<20}  {:<23}  {:<23}  {}",
                        d.id,
                        d.user,
                        d.name,
                        format_ms(Some(d.created_ms)),
                        format_ms(d.last_seen_ms),
                        if d.revoked { "revoked" } else { "active" }
                    );
                }
            }
        }
        Command::Device(DeviceCommand::Revoke { id }) => {
            admin::revoke_device(&db, &clock, &id).await?;
            println!("revoked device {id}");
        }
    }
    Ok(())
}
