//! The admin commands on the database: org units (stored as ordinary `org_unit`
//! changes authored by the server, so they replicate to devices through pull), users,
//! and devices. All-or-nothing: a bad line of an import stores nothing.

use crate::db::{Db, DeviceRow, PushMode, Pushed, UserListing};
use crate::error::DbError;
use crate::push::Author;
use crate::{auth, WallClock};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use tally_core::{Change, ChangeId, Explain, FieldEdit, Level, RowId, Table};
use tally_protocol::{PushResult, Role};
use thiserror::Error;

/// The author name of the server's own changes.
pub const SERVER_AUTHOR: &str = "server";
/// Shortest password accepted for a new user.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest user name.
pub const MAX_USER_NAME_CHARS: usize = 40;

/// Why an admin command did nothing: each refusal carries what was wrong, has a stable
/// code, and reads in Chinese (the township's IT person reads it first) and English.
#[derive(Debug, Error)]
pub enum AdminError {
    /// One line of an org-unit import is refused (line 1 is the header).
    #[error("line {line}: {refusal}")]
    Line { line: usize, refusal: UnitRefusal },
    /// The org unit given to `unit add` is refused.
    #[error(transparent)]
    Unit(UnitRefusal),
    #[error("the org unit {code} already exists with these values")]
    UnitExists { code: String },
    #[error("the user name must have 1 to {MAX_USER_NAME_CHARS} characters, got {chars}")]
    UserNameLength { chars: usize },
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters, got {chars}")]
    PasswordTooShort { chars: usize },
    #[error("a {role} needs at least one --unit")]
    UnitsRequired { role: Role },
    #[error("unknown org unit {code:?}: add it first with `tally-server unit add`")]
    UnknownUnit { code: String },
    #[error("user {name:?} already exists")]
    UserExists { name: String },
    #[error("no user {name:?}")]
    NoSuchUser { name: String },
    #[error("not a device id: {id:?}")]
    NotADeviceId { id: String },
    #[error("no device {id}")]
    NoSuchDevice { id: String },
    #[error("cannot hash the password: {0}")]
    PasswordHash(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Why an org unit (added alone, or one line of an import) is refused.
#[derive(Debug, Error)]
pub enum UnitRefusal {
    /// The CSV cannot be read here (not UTF-8, a wrong number of fields, …).
    #[error("{message}")]
    Unreadable { message: String },
    #[error("the header must name the columns code,name,level,parent, got {got:?}")]
    Header { got: String },
    #[error("code is empty")]
    EmptyCode,
    #[error("code {code} is also on line {first_line}")]
    DuplicateCode { code: String, first_line: usize },
    #[error("level must be one of {}, got {got:?}", Level::codes())]
    Level { got: String },
    #[error("org unit {code} already exists as {name:?} ({level}, parent {})", .parent.as_deref().unwrap_or("none"))]
    Differs {
        code: String,
        name: String,
        level: Level,
        parent: Option<String>,
    },
    /// The server's own push refused it (its parent is unknown, a value is out of
    /// bounds, …): the rejection's code and messages as push gave them.
    #[error("org unit {code}: {reason}")]
    Rejected {
        code: String,
        rejection: String,
        reason: String,
        reason_zh: String,
    },
}

impl Explain for UnitRefusal {
    fn code(&self) -> &'static str {
        match self {
            UnitRefusal::Unreadable { .. } => "csv_unreadable",
            UnitRefusal::Header { .. } => "csv_header",
            UnitRefusal::EmptyCode => "unit_code_empty",
            UnitRefusal::DuplicateCode { .. } => "unit_code_duplicate",
            UnitRefusal::Level { .. } => "unit_level",
            UnitRefusal::Differs { .. } => "unit_differs",
            UnitRefusal::Rejected { .. } => "unit_rejected",
        }
    }

    fn zh(&self) -> String {
        match self {
            UnitRefusal::Unreadable { .. } => {
                "无法读取（文件须为 UTF-8 编码的 CSV，每行 4 列）".into()
            }
            UnitRefusal::Header { got } => {
                format!("表头须包含 code,name,level,parent 四列，实际为 {got:?}")
            }
            UnitRefusal::EmptyCode => "代码为空".into(),
            UnitRefusal::DuplicateCode { code, first_line } => {
                format!("代码 {code} 与第 {first_line} 行重复")
            }
            UnitRefusal::Level { got } => format!(
                "级别须为 {}（或 {}）之一，实际为 {got:?}",
                Level::codes(),
                Level::ALL
                    .iter()
                    .map(|l| l.zh())
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            UnitRefusal::Differs {
                code,
                name,
                level,
                parent,
            } => format!(
                "组织单位 {code} 已存在，名称 {name}，级别 {}，上级 {}",
                level.zh(),
                parent.as_deref().unwrap_or("无")
            ),
            UnitRefusal::Rejected {
                code, reason_zh, ..
            } => format!("组织单位 {code}：{reason_zh}"),
        }
    }
}

impl Explain for AdminError {
    fn code(&self) -> &'static str {
        match self {
            AdminError::Line { refusal, .. } | AdminError::Unit(refusal) => refusal.code(),
            AdminError::UnitExists { .. } => "unit_exists",
            AdminError::UserNameLength { .. } => "user_name_length",
            AdminError::PasswordTooShort { .. } => "password_too_short",
            AdminError::UnitsRequired { .. } => "units_required",
            AdminError::UnknownUnit { .. } => "unknown_unit",
            AdminError::UserExists { .. } => "user_exists",
            AdminError::NoSuchUser { .. } => "no_such_user",
            AdminError::NotADeviceId { .. } => "not_a_device_id",
            AdminError::NoSuchDevice { .. } => "no_such_device",
            AdminError::PasswordHash(_) => "password_hash",
            AdminError::Db(e) => e.code(),
        }
    }

    fn zh(&self) -> String {
        match self {
            AdminError::Line { line, refusal } => format!("第 {line} 行：{}", refusal.zh()),
            AdminError::Unit(refusal) => refusal.zh(),
            AdminError::UnitExists { code } => {
                format!("组织单位 {code} 已存在，各项相同，未做修改")
            }
            AdminError::UserNameLength { chars } => {
                format!("用户名须为 1 到 {MAX_USER_NAME_CHARS} 个字符，实际为 {chars} 个")
            }
            AdminError::PasswordTooShort { chars } => {
                format!("密码至少需要 {MIN_PASSWORD_CHARS} 个字符，实际为 {chars} 个")
            }
            AdminError::UnitsRequired { role } => {
                format!("{}至少需要一个负责单位（--unit）", role.zh())
            }
            AdminError::UnknownUnit { code } => {
                format!("没有组织单位 {code:?}，请先用 tally-server unit add 添加")
            }
            AdminError::UserExists { name } => format!("用户 {name:?} 已存在"),
            AdminError::NoSuchUser { name } => format!("没有用户 {name:?}"),
            AdminError::NotADeviceId { id } => format!("{id:?} 不是设备编号"),
            AdminError::NoSuchDevice { id } => format!("没有设备 {id}"),
            AdminError::PasswordHash(_) => "无法生成密码摘要".into(),
            AdminError::Db(e) => e.zh(),
        }
    }
}

/// An org unit to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUnit {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent: Option<String>,
}

/// A row the server itself writes (org units; a benchmark's seeded households).
pub struct ServerRow {
    pub table: Table,
    pub row: RowId,
    pub unit: String,
    pub fields: BTreeMap<String, FieldEdit>,
}

/// Store `rows` as the server's own changes (its device, its clock, author
/// [`SERVER_AUTHOR`], an admin's rights), all or nothing, through the same push.
pub async fn push_as_server(db: &Db, now: u64, rows: Vec<ServerRow>) -> Result<Pushed, DbError> {
    let device = db.server_device().await?;
    let hlcs = db.tick_server_hlc(now, rows.len()).await?;
    let changes: Vec<Change> = rows
        .into_iter()
        .zip(hlcs)
        .map(|(r, hlc)| Change {
            id: ChangeId(uuid::Uuid::now_v7()),
            table: r.table,
            row: r.row,
            unit: r.unit,
            fields: r.fields,
            hlc,
            device,
            author: SERVER_AUTHOR.into(),
            correction: false,
        })
        .collect();
    let author = Author {
        device,
        user: SERVER_AUTHOR.into(),
        role: Role::Admin,
        units: Vec::new(),
    };
    db.push(changes, author, now, PushMode::AllOrNothing).await
}

/// Create one org unit.
pub async fn add_unit(db: &Db, clock: &dyn WallClock, unit: NewUnit) -> Result<(), AdminError> {
    let code = unit.code.clone();
    let n = store_units(db, clock, vec![(1, unit)])
        .await
        .map_err(|e| match e {
            AdminError::Line { refusal, .. } => AdminError::Unit(refusal),
            other => other,
        })?;
    if n == 0 {
        return Err(AdminError::UnitExists { code });
    }
    Ok(())
}

/// Import org units from CSV (UTF-8, header `code,name,level,parent`), all or nothing.
/// Units already stored with the same values are skipped; returns how many were new.
pub async fn import_units(
    db: &Db,
    clock: &dyn WallClock,
    csv_bytes: &[u8],
) -> Result<usize, AdminError> {
    let bytes = csv_bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(csv_bytes);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| AdminError::Line {
            line: 1,
            refusal: UnitRefusal::Unreadable {
                message: e.to_string(),
            },
        })?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(c_code), Some(c_name), Some(c_level)) = (col("code"), col("name"), col("level"))
    else {
        return Err(AdminError::Line {
            line: 1,
            refusal: UnitRefusal::Header {
                got: headers.iter().collect::<Vec<_>>().join(","),
            },
        });
    };
    let c_parent = col("parent");
    let mut units = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| AdminError::Line {
            line: e.position().map_or(0, |p| p.line() as usize),
            refusal: UnitRefusal::Unreadable {
                message: e.to_string(),
            },
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let field = |i: usize| record.get(i).unwrap_or("").to_string();
        let bad = |refusal| AdminError::Line { line, refusal };
        let code = field(c_code);
        if code.is_empty() {
            return Err(bad(UnitRefusal::EmptyCode));
        }
        if let Some(first_line) = seen.insert(code.clone(), line) {
            return Err(bad(UnitRefusal::DuplicateCode { code, first_line }));
        }
        let got = field(c_level);
        let level: Level = got.parse().map_err(|_| bad(UnitRefusal::Level { got }))?;
        let parent = c_parent.map(field).filter(|p| !p.is_empty());
        units.push((
            line,
            NewUnit {
                code,
                name: field(c_name),
                level,
                parent,
            },
        ));
    }
    store_units(db, clock, units).await
}

/// Store units as server-authored changes in one all-or-nothing push; parents first.
async fn store_units(
    db: &Db,
    clock: &dyn WallClock,
    mut units: Vec<(usize, NewUnit)>,
) -> Result<usize, AdminError> {
    units.sort_by_key(|(line, u)| (u.level, *line));
    let tree = db.unit_tree().await?;
    let mut fresh = Vec::new();
    for (line, unit) in units {
        match tree.get(&unit.code) {
            None => fresh.push((line, unit)),
            Some(have)
                if have.name == unit.name
                    && have.level == unit.level
                    && have.parent == unit.parent => {}
            Some(have) => {
                return Err(AdminError::Line {
                    line,
                    refusal: UnitRefusal::Differs {
                        code: unit.code,
                        name: have.name.clone(),
                        level: have.level,
                        parent: have.parent.clone(),
                    },
                })
            }
        }
    }
    if fresh.is_empty() {
        return Ok(0);
    }
    let rows = fresh
        .iter()
        .map(|(_, u)| {
            let mut fields = BTreeMap::new();
            let mut put = |k: &str, v: Value| fields.insert(k.to_string(), FieldEdit::new(v));
            put("code", u.code.clone().into());
            put("name", u.name.clone().into());
            put("level", u.level.code().into());
            if let Some(p) = &u.parent {
                put("parent", p.clone().into());
            }
            ServerRow {
                table: Table::OrgUnit,
                row: RowId::natural(tally_core::NaturalKey::OrgUnit { code: &u.code }),
                unit: u.code.clone(),
                fields,
            }
        })
        .collect();
    let pushed = push_as_server(db, clock.now_ms(), rows).await?;
    let first_rejection = fresh
        .iter()
        .zip(&pushed.results)
        .find_map(|((line, u), r)| match r {
            PushResult::Rejected {
                code,
                reason,
                reason_zh,
                ..
            } if code != tally_protocol::codes::BATCH_REJECTED => Some(AdminError::Line {
                line: *line,
                refusal: UnitRefusal::Rejected {
                    code: u.code.clone(),
                    rejection: code.clone(),
                    reason: reason.clone(),
                    reason_zh: reason_zh.clone(),
                },
            }),
            _ => None,
        });
    if let Some(e) = first_rejection {
        return Err(e);
    }
    if !pushed.stored {
        return Err(
            DbError::Corrupt("an admin push with no rejection stored nothing".into()).into(),
        );
    }
    tracing::info!(n = fresh.len(), "org units stored");
    Ok(fresh.len())
}

/// Create a user with Argon2id-hashed password, bound to existing org units.
pub async fn add_user(
    db: &Db,
    clock: &dyn WallClock,
    name: &str,
    role: Role,
    units: &[String],
    password: &str,
) -> Result<(), AdminError> {
    let name = name.trim();
    let n = name.chars().count();
    if n == 0 || n > MAX_USER_NAME_CHARS {
        return Err(AdminError::UserNameLength { chars: n });
    }
    let hash = password_hash(password).await?;
    check_units(db, role, units).await?;
    db.add_user(name, role, &hash, units, clock.now_ms())
        .await?
        .ok_or_else(|| AdminError::UserExists { name: name.into() })?;
    tracing::info!(user = name, %role, ?units, "user added");
    Ok(())
}

/// A new password checked for length and hashed (Argon2id, off the async threads).
pub async fn password_hash(password: &str) -> Result<String, AdminError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AdminError::PasswordTooShort { chars });
    }
    let password = password.to_string();
    tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(DbError::from)?
        .map_err(|e| AdminError::PasswordHash(e.to_string()))
}

/// A role's units: known org units, at least one where the role needs them.
async fn check_units(db: &Db, role: Role, units: &[String]) -> Result<(), AdminError> {
    if units.is_empty() && role.needs_units() {
        return Err(AdminError::UnitsRequired { role });
    }
    let tree = db.unit_tree().await?;
    if let Some(unknown) = units.iter().find(|u| tree.get(u).is_none()) {
        return Err(AdminError::UnknownUnit {
            code: unknown.clone(),
        });
    }
    Ok(())
}

/// Every account, without secrets.
pub async fn list_users(db: &Db) -> Result<Vec<UserListing>, AdminError> {
    Ok(db.list_users().await?)
}

/// Change a user's role and/or units (the units given replace the old ones).
pub async fn edit_user(
    db: &Db,
    name: &str,
    role: Option<Role>,
    units: Option<&[String]>,
) -> Result<(), AdminError> {
    let user = db
        .user_by_name(name)
        .await?
        .ok_or_else(|| AdminError::NoSuchUser { name: name.into() })?;
    let role_after = role.unwrap_or(user.role);
    check_units(db, role_after, units.unwrap_or(&user.units)).await?;
    if !db.update_user(name, role, units).await? {
        return Err(AdminError::NoSuchUser { name: name.into() });
    }
    tracing::info!(user = name, ?role, ?units, "user edited");
    Ok(())
}

/// Enable a disabled user again.
pub async fn enable_user(db: &Db, name: &str) -> Result<(), AdminError> {
    if db.set_user_disabled(name, false).await? {
        Ok(())
    } else {
        Err(AdminError::NoSuchUser { name: name.into() })
    }
}

/// Give a user a new password; every device of the user must log in again.
pub async fn reset_password(
    db: &Db,
    clock: &dyn WallClock,
    name: &str,
    password: &str,
) -> Result<(), AdminError> {
    let hash = password_hash(password).await?;
    if db.set_password(name, &hash, Some(clock.now_ms())).await? {
        tracing::info!(user = name, "password reset, devices revoked");
        Ok(())
    } else {
        Err(AdminError::NoSuchUser { name: name.into() })
    }
}

/// Disable a user: its devices' tokens stop working at once.
pub async fn disable_user(db: &Db, name: &str) -> Result<(), AdminError> {
    if db.set_user_disabled(name, true).await? {
        Ok(())
    } else {
        Err(AdminError::NoSuchUser { name: name.into() })
    }
}

pub async fn list_devices(db: &Db) -> Result<Vec<DeviceRow>, AdminError> {
    Ok(db.list_devices().await?)
}

/// Revoke a device's token.
pub async fn revoke_device(db: &Db, clock: &dyn WallClock, id: &str) -> Result<(), AdminError> {
    let device = id
        .parse()
        .map_err(|_| AdminError::NotADeviceId { id: id.into() })?;
    if db.revoke_device(device, clock.now_ms()).await? {
        Ok(())
    } else {
        Err(AdminError::NoSuchDevice { id: id.into() })
    }
}
