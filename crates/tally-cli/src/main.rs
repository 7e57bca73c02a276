//! `tally`: the command-line client of Tally (驻村台账). It parses the command line,
//! runs one command against the device store, and turns every error into a plain
//! sentence on stderr (Chinese, then English) and an exit code: 0 success, 2 usage
//! error, 1 anything else.

mod commands;
mod demo;
mod import;
mod output;
mod parse;

use clap::{Parser, Subcommand};
use commands::{household, ledger, records, unit, Ctx};
use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;
use tally_core::Explain;
use tally_store::StoreError;

/// 驻村台账 Tally — record household visits, renovations, demolitions, cleanup and works
/// offline; see the progress ledger against targets.
#[derive(Parser)]
#[command(name = "tally", version, arg_required_else_help = true)]
struct Cli {
    /// Database file [default: tally.db in the user's data directory]
    #[arg(long, global = true, env = "TALLY_DB", value_name = "PATH")]
    db: Option<PathBuf>,
    /// Print JSON (lists, the ledger; an edit prints its id as JSON)
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Set this device up (once): 初始化本设备
    Init {
        /// A name for this device, e.g. 张三的电脑
        #[arg(long, value_name = "NAME")]
        device_name: String,
    },
    /// Org units: banner, township, village, hamlet (组织单位)
    #[command(subcommand)]
    Unit(unit::UnitCmd),
    /// Households (农户)
    #[command(subcommand)]
    Household(household::HouseholdCmd),
    /// Dilapidated-house renovation (危房改造)
    #[command(subcommand)]
    Renovation(records::RenovationCmd),
    /// Visits to households (走访)
    #[command(subcommand)]
    Visit(records::VisitCmd),
    /// Demolished abandoned houses (拆除)
    #[command(subcommand)]
    Demolition(records::DemolitionCmd),
    /// Cleanup loads of firewood, hay, manure, dirt and garbage piles (清理)
    #[command(subcommand)]
    Cleanup(records::CleanupCmd),
    /// Public works: roads, water, culture rooms, clinics, shops (工程)
    #[command(subcommand)]
    Works(records::WorksCmd),
    /// Progress entries of works items (工程进度): correct one
    #[command(subcommand)]
    Progress(records::ProgressCmd),
    /// Withdraw a record or progress entry, saying why (撤销): it stays in the history and
    /// counts nothing, on every device once synced
    Delete {
        /// The id of the visit, load, demolition, works item, progress entry, household
        /// or target
        #[arg(value_parser = parse::uuid)]
        id: uuid::Uuid,
        /// Why (撤销原因), e.g. 录重了
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// Withdraw the last entry made on this device (撤销上一条)
    Undo,
    /// Targets (指标): a quantity of a metric by a deadline
    #[command(subcommand)]
    Target(records::TargetCmd),
    /// The progress ledger of a unit's whole subtree (对账销号)
    Ledger(ledger::LedgerArgs),
    /// Import from files (导入)
    #[command(subcommand)]
    Import(import::ImportCmd),
    /// Fill an empty database with a realistic demo banner (演示数据)
    Demo {
        /// The same seed on the same day gives the same demo
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Open conflicts for a team leader to review, and their resolution (冲突)
    Conflicts {
        #[command(subcommand)]
        cmd: Option<commands::conflicts::ConflictsCmd>,
    },
    /// Enrol this device with a server (登录服务器)
    Login(commands::sync::LoginArgs),
    /// Change this account's password on the server (修改密码): the current password
    /// on the first line of standard input, the new one on the second
    Passwd {
        /// Read both passwords from standard input (required: never on the command line)
        #[arg(long)]
        password_stdin: bool,
    },
    /// Send pending entries and receive others' (同步)
    Sync,
    /// Pending entries, last sync, rejections, clock offset (同步状态)
    Status,
    /// Queue a rejected change to be sent again (重新发送)
    Resend {
        /// The change id shown by `tally status`
        change: String,
    },
    /// Write an encrypted copy of this device's database to FILE, a new file (备份)
    Backup {
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
    },
    /// Put a backup of this device in place of its database (恢复备份)
    Restore {
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
        /// The backup was made on another computer: read that computer's key (as `tally
        /// key show` printed it) from standard input
        #[arg(long)]
        backup_key_stdin: bool,
    },
    /// This device database's key, to keep apart from the laptop (数据库密钥)
    #[command(subcommand)]
    Key(KeyCmd),
    /// Sync by USB stick, with no network at all (离线同步包)
    #[command(subcommand)]
    Bundle(commands::bundle::BundleCmd),
}

#[derive(Subcommand)]
enum KeyCmd {
    /// Print the key: a backup restored on another computer needs it (显示密钥)
    Show,
}

/// An error the CLI itself reports, in both languages.
#[derive(Debug)]
pub struct Failure {
    zh: String,
    en: String,
    /// A bad argument value: exit 2, like clap's own usage errors.
    usage: bool,
}

impl Failure {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Failure {
        Failure {
            zh: zh.into(),
            en: en.into(),
            usage: false,
        }
    }

    pub fn usage(zh: impl Into<String>, en: impl Into<String>) -> Failure {
        Failure {
            usage: true,
            ..Failure::new(zh, en)
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

impl std::error::Error for Failure {}

fn main() -> ExitCode {
    let cli = Cli::parse(); // usage errors exit 2 here
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e),
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = Ctx {
        db: db_path(cli.db)?,
        json: cli.json,
    };
    match cli.command {
        Command::Init { device_name } => commands::init(&ctx, &device_name),
        Command::Unit(cmd) => unit::run(&ctx, cmd),
        Command::Household(cmd) => household::run(&ctx, cmd),
        Command::Renovation(cmd) => records::renovation(&ctx, cmd),
        Command::Visit(cmd) => records::visit(&ctx, cmd),
        Command::Demolition(cmd) => records::demolition(&ctx, cmd),
        Command::Cleanup(cmd) => records::cleanup(&ctx, cmd),
        Command::Works(cmd) => records::works(&ctx, cmd),
        Command::Target(cmd) => records::target(&ctx, cmd),
        Command::Progress(cmd) => records::progress(&ctx, cmd),
        Command::Delete { id, reason } => records::delete(&ctx, id, &reason),
        Command::Undo => records::undo(&ctx),
        Command::Ledger(args) => ledger::run(&ctx, args),
        Command::Import(cmd) => import::run(&ctx, cmd),
        Command::Demo { seed } => demo::run(&ctx, seed),
        Command::Conflicts { cmd } => commands::conflicts::run(&ctx, cmd),
        Command::Login(args) => commands::sync::login(&ctx, args),
        Command::Sync => commands::sync::sync(&ctx),
        Command::Passwd { password_stdin } => commands::sync::passwd(&ctx, password_stdin),
        Command::Status => commands::sync::status(&ctx),
        Command::Resend { change } => commands::sync::resend(&ctx, &change),
        Command::Backup { file } => commands::backup::backup(&ctx, &file),
        Command::Restore {
            file,
            backup_key_stdin,
        } => commands::backup::restore(&ctx, &file, backup_key_stdin),
        Command::Key(KeyCmd::Show) => commands::backup::show_key(&ctx),
        Command::Bundle(cmd) => commands::bundle::run(&ctx, cmd),
    }
}

/// `--db`, `TALLY_DB`, or tally.db in the user's data directory.
fn db_path(given: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p);
    }
    let dirs = directories::ProjectDirs::from("", "", "tally").ok_or_else(|| {
        Failure::new(
            "找不到用户数据目录，请用 --db 指定数据库文件",
            "cannot find the user's data directory: pass --db PATH",
        )
    })?;
    Ok(dirs.data_dir().join("tally.db"))
}

/// Print the error for a person and choose the exit code.
fn report(e: &anyhow::Error) -> ExitCode {
    let broken_pipe = e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitCode::SUCCESS; // `tally household list | head`
    }
    let (zh, en, code) = describe(e);
    eprintln!("错误: {zh} / error: {en}");
    ExitCode::from(code)
}

/// The Chinese and English reason and the exit code of an error: the CLI's own usage
/// failures, else the texts every library error carries (`tally_core::Explain`).
fn describe(e: &anyhow::Error) -> (String, String, u8) {
    if let Some(f) = e.downcast_ref::<Failure>() {
        return (f.zh.clone(), f.en.clone(), if f.usage { 2 } else { 1 });
    }
    let explained: Option<&dyn Explain> = e
        .downcast_ref::<tally_sync::SyncError>()
        .map(|s| s as &dyn Explain)
        .or_else(|| e.downcast_ref::<StoreError>().map(|s| s as &dyn Explain));
    match explained {
        Some(x) => (x.zh(), x.en(), 1),
        None => ("操作失败".into(), format!("{e:#}"), 1),
    }
}
