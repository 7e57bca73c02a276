//! `tally login`, `tally sync`, `tally status`, `tally resend`: the device's side of
//! sync from the command line.

use super::Ctx;
use crate::{output, Failure};
use anyhow::Result;
use clap::Args;
use serde::Serialize;
use std::io::{BufRead, IsTerminal, Write};
use tally_core::ChangeId;
use tally_core::Explain;
use tally_store::OutboxState;
use tally_sync::{Client, HttpTransport, Progress, SyncOptions};

/// A clock further off than this is flagged.
const CLOCK_WARN_MS: i64 = 2 * 60 * 1000;

#[derive(Args)]
pub struct LoginArgs {
    /// The server, e.g. http://192.168.1.10:8080
    #[arg(long, value_name = "URL")]
    server: String,
    #[arg(long, value_name = "NAME")]
    user: String,
    /// Read the password from the first line of standard input
    #[arg(long, required = true)]
    password_stdin: bool,
}

pub(crate) fn transport(server: &str) -> Result<HttpTransport> {
    HttpTransport::new(server).map_err(|e| Failure::usage(e.zh(), e.en()).into())
}

/// `tally login`: enrol this device with the server and keep its token.
pub fn login(ctx: &Ctx, args: LoginArgs) -> Result<()> {
    let mut store = ctx.open()?;
    // The address first: a refused one never has a password typed for it.
    let mut t = transport(&args.server)?;
    let mut password = String::new();
    std::io::stdin().lock().read_line(&mut password)?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err(Failure::usage("标准输入中没有密码", "no password on standard input").into());
    }
    let enrolled = Client::new(&mut t, SyncOptions::default()).login(
        &mut store,
        &args.server,
        &args.user,
        password,
    )?;
    if ctx.json {
        return output::json(&serde_json::json!({
            "user": enrolled.user, "role": enrolled.role, "units": enrolled.units, "device_id": enrolled.device_id,
        }));
    }
    output::lines([
        format!(
            "已登录 / logged in: {} ({} {})",
            enrolled.user,
            enrolled.role.zh(),
            enrolled.role
        ),
        format!("负责单位 / units: {}", enrolled.units.join(", ")),
        "下一步 / next: tally sync".to_string(),
    ])
}

/// `tally passwd --password-stdin`: the current password, then the new one, one per line;
/// the server checks the current one. The device stays logged in.
pub fn passwd(ctx: &Ctx, password_stdin: bool) -> Result<()> {
    if !password_stdin {
        return Err(Failure::usage(
            "请加 --password-stdin，从标准输入传入当前密码和新密码（各占一行）",
            "pass the current and the new password on standard input (one per line) with --password-stdin",
        )
        .into());
    }
    let store = ctx.open()?;
    let server = store.sync_meta()?.server.ok_or_else(|| {
        Failure::new(
            "本设备还没有登录服务器：请先运行 tally login",
            "not logged in: run `tally login` first",
        )
    })?;
    let mut lines = std::io::stdin().lock().lines();
    let mut next = || -> Result<String> {
        Ok(lines
            .next()
            .transpose()?
            .unwrap_or_default()
            .trim_end_matches('\r')
            .to_string())
    };
    let (current, new) = (next()?, next()?);
    if current.is_empty() || new.is_empty() {
        return Err(Failure::usage(
            "标准输入应有两行：第一行当前密码，第二行新密码",
            "standard input must have two lines: the current password, then the new one",
        )
        .into());
    }
    let mut t = transport(&server)?;
    Client::new(&mut t, SyncOptions::default()).change_password(&store, &current, &new)?;
    output::lines(["密码已修改 / password changed"])
}

/// `tally sync`: push, then pull until up to date.
pub fn sync(ctx: &Ctx) -> Result<()> {
    let mut store = ctx.open()?;
    let meta = store.sync_meta()?;
    let server = meta.server.ok_or_else(|| {
        Failure::new(
            "本设备还没有登录服务器：请先运行 tally login",
            "not logged in: run `tally login` first",
        )
    })?;
    let mut t = transport(&server)?;
    let show = std::io::stderr().is_terminal() && !ctx.json;
    let mut progress = |p: Progress| {
        if show {
            let line = match p {
                Progress::Pushing { sent, total } => format!("上传 / pushing {sent}/{total}"),
                Progress::Pulling { received } => format!("下载 / pulling {received}"),
            };
            let _ = write!(std::io::stderr(), "\r{line:<40}");
        }
    };
    let report = Client::new(&mut t, SyncOptions::default()).sync(&mut store, &mut progress);
    if show {
        eprint!("\r{:<40}\r", "");
    }
    let report = report?;
    if ctx.json {
        return output::json(&report);
    }
    let mut lines = vec![
        format!(
            "已发送 sent {} · 已接收 accepted {} · 被拒绝 rejected {} · 收到 received {} · 冲突 conflicts {}",
            report.sent, report.accepted, report.rejected, report.received, report.conflicts
        ),
    ];
    if report.rejected > 0 {
        lines.push(
            "有被拒绝的记录，原因见 tally status / some changes were rejected: see `tally status`"
                .into(),
        );
    }
    if report.clock_offset_ms.abs() > CLOCK_WARN_MS {
        lines.push(clock_warning(report.clock_offset_ms));
    }
    output::lines(lines)
}

fn clock_warning(offset_ms: i64) -> String {
    let hours = offset_ms as f64 / 3_600_000.0;
    format!(
        "⚠ 本机时钟与服务器相差 {:.1} 小时，已按服务器时间校正 / the device clock is {:.1} h off the server's; corrected",
        hours.abs(),
        hours.abs()
    )
}

#[derive(Serialize)]
struct Rejected {
    change_id: ChangeId,
    table: &'static str,
    row: String,
    code: Option<String>,
    reason: Option<String>,
    reason_zh: Option<String>,
}

#[derive(Serialize)]
struct Status {
    server: Option<String>,
    user: Option<String>,
    pending: u32,
    /// Open conflicts (the desktop's status bar shows the same counts).
    conflicts: u32,
    last_sync: Option<String>,
    rejected: Vec<Rejected>,
    clock_offset_ms: i64,
    clock_off: bool,
}

/// `tally status`: pending changes, the last sync, rejections, the clock offset.
pub fn status(ctx: &Ctx) -> Result<()> {
    let store = ctx.open()?;
    let meta = store.sync_meta()?;
    let counts = store.counts()?;
    let rejected: Vec<Rejected> = store
        .outbox(Some(OutboxState::Rejected), 10_000)?
        .into_iter()
        .map(|e| Rejected {
            change_id: e.change.id,
            table: e.change.table.code(),
            row: e.change.row.to_string(),
            code: e.reject_code,
            reason: e.reject_reason,
            reason_zh: e.reject_reason_zh,
        })
        .collect();
    let status = Status {
        server: meta.server,
        user: meta.user,
        pending: counts.pending,
        conflicts: counts.conflicts,
        last_sync: meta.last_sync,
        rejected,
        clock_offset_ms: meta.clock_offset_ms,
        clock_off: meta.clock_offset_ms.abs() > CLOCK_WARN_MS,
    };
    if ctx.json {
        return output::json(&status);
    }
    let mut lines = vec![
        format!(
            "服务器 / server: {}",
            status
                .server
                .as_deref()
                .unwrap_or("（未登录 / not logged in）")
        ),
        format!("待同步 / pending: {}", status.pending),
        format!("冲突 / conflicts: {}", status.conflicts),
        format!(
            "上次同步 / last sync: {}",
            status
                .last_sync
                .as_deref()
                .map_or("从未 / never".to_string(), |t| output::local_time(
                    t,
                    local_offset()
                ))
        ),
        format!(
            "时钟偏差 / clock offset: {:+.1} s",
            status.clock_offset_ms as f64 / 1000.0
        ),
    ];
    if status.clock_off {
        lines.push(clock_warning(status.clock_offset_ms));
    }
    lines.push(format!("被拒绝 / rejected: {}", status.rejected.len()));
    for r in &status.rejected {
        lines.push(format!(
            "  {} {} {}: {} / {}",
            r.change_id,
            r.table,
            r.row,
            r.reason_zh.as_deref().unwrap_or(""),
            r.reason.as_deref().unwrap_or("")
        ));
    }
    output::lines(lines)
}

fn local_offset() -> i32 {
    chrono::Local::now().offset().local_minus_utc() / 60
}

/// `tally resend CHANGE_ID`: queue a rejected change again after its cause was fixed.
pub fn resend(ctx: &Ctx, change: &str) -> Result<()> {
    let id: ChangeId = change.parse().map_err(|_| {
        Failure::usage(
            format!("不是有效的变更编号：{change}"),
            format!("not a change id: {change:?}"),
        )
    })?;
    let mut store = ctx.open()?;
    store.resend(id)?;
    output::lines(["已重新排队，下次同步时发送 / queued to be sent at the next sync".to_string()])
}
