//! `tally-server`: serve protocol v1, or administer the server's database (org units,
//! users, devices). Every error is printed as one line, Chinese then English, with exit
//! code 2 for a usage error (clap's own, a missing `--password-stdin`, a bad `--db` or
//! device id) and 1 for anything else.

use clap::{Parser, Subcommand};
use std::io::{IsTerminal, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use tally_core::{Explain, Level};
use tally_protocol::Role;
use tally_server::admin::{self, AdminError, NewUnit};
use tally_server::bundle::{self, ImportError};
use tally_server::serve::{self, TlsError};
use tally_server::{AppState, Db, DbError, SystemClock, WallClock};
use thiserror::Error;
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
        /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
        #[arg(long, requires = "tls_key", value_name = "PEM")]
        tls_cert: Option<PathBuf>,
        /// The certificate's private key (PEM).
        #[arg(long, requires = "tls_cert", value_name = "PEM")]
        tls_key: Option<PathBuf>,
        /// Open connections at most; at the cap the quietest is closed for a new one.
        #[arg(long, default_value_t = tally_server::serve::MAX_CONNECTIONS,
              value_parser = clap::value_parser!(u16).range(8..))]
        max_connections: u16,
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
    /// Sneakernet: bundles carried on a USB stick from devices with no network.
    #[command(subcommand)]
    Bundle(BundleCommand),
}

#[derive(Subcommand)]
enum BundleCommand {
    /// Store a device's bundle as its push would, and write the receipts to carry back.
    Import {
        /// The bundle (`tally bundle export`).
        file: PathBuf,
        /// Where to write the receipts (`tally bundle import-receipts` reads them).
        #[arg(long, value_name = "FILE")]
        receipts: PathBuf,
        /// Put the changes the device should receive into the receipts as well.
        #[arg(long)]
        with_changes: bool,
    },
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
    /// List the accounts (never their passwords): name, role, units, enabled, devices.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Change a user's role and/or units (the --unit flags given replace the old units).
    Edit {
        #[arg(long)]
        name: String,
        /// cadre, leader, inspector or admin.
        #[arg(long)]
        role: Option<Role>,
        /// An assigned org unit (repeat for several).
        #[arg(long = "unit")]
        units: Vec<String>,
    },
    /// Enable a disabled user again.
    Enable {
        #[arg(long)]
        name: String,
    },
    /// Set a new password (read from standard input); the user's devices must log in again.
    ResetPassword {
        #[arg(long)]
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
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

/// What the command line itself refuses or fails at (the admin commands' refusals are
/// [`AdminError`]s).
#[derive(Debug, Error)]
enum CliError {
    #[error("pass the password on standard input with --password-stdin")]
    PasswordStdinRequired,
    #[error("no password on standard input")]
    NoPassword,
    #[error("say what changes: --role and/or --unit")]
    NothingToEdit,
    #[error("cannot read standard input: {0}")]
    Stdin(std::io::Error),
    #[error("cannot read {}: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on {listen}: {source}")]
    Listen {
        listen: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
    #[error("HTTPS: {0}")]
    Tls(#[from] tally_server::serve::TlsError),
}

impl CliError {
    /// A bad or missing argument: exit 2, like clap's own usage errors.
    fn is_usage(&self) -> bool {
        matches!(
            self,
            CliError::PasswordStdinRequired | CliError::NoPassword | CliError::NothingToEdit
        )
    }
}

impl Explain for CliError {
    fn code(&self) -> &'static str {
        match self {
            CliError::PasswordStdinRequired => "password_stdin_required",
            CliError::NoPassword => "no_password",
            CliError::NothingToEdit => "nothing_to_edit",
            CliError::Stdin(_) => "stdin_failed",
            CliError::Read { .. } => "read_failed",
            CliError::Write { .. } => "write_failed",
            CliError::Listen { .. } => "listen_failed",
            CliError::Serve(_) => "serve_failed",
            CliError::Tls(_) => "tls_failed",
        }
    }

    fn zh(&self) -> String {
        match self {
            CliError::PasswordStdinRequired => {
                "请加 --password-stdin，从标准输入传入密码（不要写在命令行上）".into()
            }
            CliError::NoPassword => "标准输入中没有密码".into(),
            CliError::NothingToEdit => "请写明要修改什么：--role 和/或 --unit".into(),
            CliError::Stdin(_) => "无法读取标准输入".into(),
            CliError::Read { path, .. } => format!("无法读取文件 {}", path.display()),
            CliError::Write { path, .. } => format!("无法写入文件 {}", path.display()),
            CliError::Listen { listen, .. } => {
                format!("无法监听 {listen}（端口被占用或无权限）")
            }
            CliError::Serve(_) => "服务异常停止".into(),
            CliError::Tls(e) => match e {
                TlsError::Read { path, .. } => format!("无法读取 HTTPS 证书或私钥文件 {path}"),
                TlsError::NoCertificate { path } => {
                    format!("{path} 里没有证书（应为 PEM 格式，含 BEGIN CERTIFICATE）")
                }
                TlsError::Config(_) => "HTTPS 证书和私钥不匹配或格式不对".into(),
            },
        }
    }
}

fn read_password() -> Result<String, CliError> {
    let mut input = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut input)
        .map_err(CliError::Stdin)?;
    let password = input.lines().next().unwrap_or("").to_string();
    if password.is_empty() {
        return Err(CliError::NoPassword);
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

async fn serve(db: Db, listen: SocketAddr, options: serve::Options) -> Result<(), CliError> {
    let backend = db.backend();
    let app = tally_server::router(AppState::new(db));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| CliError::Listen { listen, source })?;
    let scheme = if options.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(%listen, backend, scheme, max_connections = options.max_connections,
                   "tally-server listening");
    serve::serve(listener, app, options, async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
    .await
    .map_err(CliError::Serve)
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse(); // usage errors exit 2 here
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let (zh, en, code) = describe(&e);
            eprintln!("错误: {zh} / error: {en}");
            ExitCode::from(code)
        }
    }
}

/// Why a command failed: the command line's, the admin commands' or the database's.
#[derive(Debug, Error)]
enum Failure {
    #[error(transparent)]
    Cli(#[from] CliError),
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Bundle(#[from] ImportError),
    #[error("cannot write the device list: {0}")]
    Json(#[from] serde_json::Error),
}

impl Failure {
    /// A bad argument value: exit 2, like clap's own usage errors.
    fn is_usage(&self) -> bool {
        match self {
            Failure::Cli(e) => e.is_usage(),
            Failure::Db(e) | Failure::Admin(AdminError::Db(e)) => matches!(e, DbError::Url(_)),
            Failure::Admin(e) => matches!(e, AdminError::NotADeviceId { .. }),
            Failure::Bundle(_) | Failure::Json(_) => false,
        }
    }

    fn explained(&self) -> Option<&dyn Explain> {
        match self {
            Failure::Cli(e) => Some(e),
            Failure::Admin(e) => Some(e),
            Failure::Db(e) => Some(e),
            Failure::Bundle(e) => Some(e),
            Failure::Json(_) => None,
        }
    }
}

impl Explain for Failure {
    fn code(&self) -> &'static str {
        self.explained().map_or("output_failed", |e| e.code())
    }

    fn zh(&self) -> String {
        self.explained()
            .map_or_else(|| "无法输出设备列表".into(), |e| e.zh())
    }
}

/// The Chinese and English message and the exit code of a failure.
fn describe(e: &Failure) -> (String, String, u8) {
    (e.zh(), e.en(), if e.is_usage() { 2 } else { 1 })
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let db = Db::open(&cli.db).await?;
    let clock = SystemClock;
    match cli.command {
        Command::Serve {
            listen,
            tls_cert,
            tls_key,
            max_connections,
        } => {
            let tls = match (tls_cert, tls_key) {
                (Some(cert), Some(key)) => {
                    Some(serve::tls_config(&cert, &key).map_err(CliError::Tls)?)
                }
                _ => None,
            };
            let options = serve::Options {
                max_connections: usize::from(max_connections),
                tls,
                ..serve::Options::default()
            };
            serve(db, listen, options).await?
        }
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
            let bytes = std::fs::read(&file).map_err(|source| CliError::Read {
                path: file.clone(),
                source,
            })?;
            let n = admin::import_units(&db, &clock, &bytes).await?;
            println!("imported {n} new org units from {}", file.display());
        }
        Command::User(UserCommand::Add {
            name,
            role,
            units,
            password_stdin,
        }) => {
            if !password_stdin {
                return Err(CliError::PasswordStdinRequired.into());
            }
            let password = read_password()?;
            admin::add_user(&db, &clock, &name, role, &units, &password).await?;
            println!("added {role} {name}");
        }
        Command::User(UserCommand::Disable { name }) => {
            admin::disable_user(&db, &name).await?;
            println!("disabled user {name}");
        }
        Command::User(UserCommand::List { json }) => {
            let users = admin::list_users(&db).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                println!(
                    "{:<20}  {:<10}  {:<8}  {:>7}  units",
                    "name", "role", "status", "devices"
                );
                for u in users {
                    println!(
                        "{:<20}  {:<10}  {:<8}  {:>7}  {}",
                        u.name,
                        u.role.code(),
                        if u.disabled { "disabled" } else { "enabled" },
                        u.devices,
                        u.units.join(",")
                    );
                }
            }
        }
        Command::User(UserCommand::Edit { name, role, units }) => {
            let units = (!units.is_empty()).then_some(units);
            if role.is_none() && units.is_none() {
                return Err(CliError::NothingToEdit.into());
            }
            admin::edit_user(&db, &name, role, units.as_deref()).await?;
            println!("edited user {name}");
        }
        Command::User(UserCommand::Enable { name }) => {
            admin::enable_user(&db, &name).await?;
            println!("enabled user {name}");
        }
        Command::User(UserCommand::ResetPassword {
            name,
            password_stdin,
        }) => {
            if !password_stdin {
                return Err(CliError::PasswordStdinRequired.into());
            }
            let password = read_password()?;
            admin::reset_password(&db, &clock, &name, &password).await?;
            println!("reset the password of {name}: its devices must log in again");
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
        Command::Bundle(BundleCommand::Import {
            file,
            receipts,
            with_changes,
        }) => {
            let bytes = std::fs::read(&file).map_err(|source| CliError::Read {
                path: file.clone(),
                source,
            })?;
            let done = bundle::import(&db, &bytes, clock.now_ms(), with_changes, None).await?;
            tally_protocol::bundle::write_file(&receipts, &done.receipts).map_err(|source| {
                CliError::Write {
                    path: receipts.clone(),
                    source,
                }
            })?;
            println!(
                "已导入同步包 / bundle imported: {} ({}): {} 条 / changes, 接收 / accepted {}, 拒收 / rejected {}",
                done.device, done.user, done.changes, done.accepted, done.rejected
            );
            let more = if done.more {
                "（未完，其余下次带回 / more to come）"
            } else {
                ""
            };
            println!(
                "回执 / receipts: {} (下发 / changes for the device: {}{more})",
                receipts.display(),
                done.pulled
            );
        }
        Command::Device(DeviceCommand::Revoke { id }) => {
            admin::revoke_device(&db, &clock, &id).await?;
            println!("revoked device {id}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kind of failure reads in both languages with the exit code it deserves.
    #[test]
    fn failures_read_in_both_languages_with_their_exit_code() {
        let cases: [(Failure, &str, &str, u8); 7] = [
            (
                CliError::PasswordStdinRequired.into(),
                "--password-stdin",
                "--password-stdin",
                2,
            ),
            (CliError::NoPassword.into(), "没有密码", "no password", 2),
            (
                CliError::NothingToEdit.into(),
                "请写明要修改什么",
                "--role and/or --unit",
                2,
            ),
            (
                AdminError::NotADeviceId { id: "abc".into() }.into(),
                "\"abc\" 不是设备编号",
                "not a device id: \"abc\"",
                2,
            ),
            (
                DbError::Url("mysql://x".into()).into(),
                "不支持的数据库地址",
                "unsupported database",
                2,
            ),
            (
                AdminError::NoSuchUser {
                    name: "ghost".into(),
                }
                .into(),
                "没有用户 \"ghost\"",
                "no user \"ghost\"",
                1,
            ),
            (
                AdminError::Db(DbError::Corrupt("x".into())).into(),
                "损坏",
                "inconsistent",
                1,
            ),
        ];
        for (failure, zh, en, exit) in cases {
            let (got_zh, got_en, got_exit) = describe(&failure);
            assert!(got_zh.contains(zh), "{got_zh}");
            assert!(got_en.contains(en), "{got_en}");
            assert_eq!(got_exit, exit, "{failure}");
        }
    }
}
