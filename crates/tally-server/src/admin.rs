//! The admin commands on the database: org units (stored as ordinary `org_unit`
//! changes authored by the server, so they replicate to devices through pull), users,
//! and devices. All-or-nothing: a bad line of an import stores nothing.

use crate::db::{Db, DeviceRow, PushMode};
use crate::error::DbError;
use crate::push::Author;
use crate::{auth, WallClock};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use tally_core::{Change, ChangeId, FieldEdit, Level, RowId, Table};
use tally_protocol::{PushResult, Role};
use thiserror::Error;

/// The author name of the server's own changes.
pub const SERVER_AUTHOR: &str = "server";
/// Shortest password accepted for a new user.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// Why an admin command did nothing.
#[derive(Debug, Error)]
pub enum AdminError {
    #[error("{0}")]
    Invalid(String),
    #[error("line {line}: {message}")]
    Line { line: usize, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Exists(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// An org unit to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUnit {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent: Option<String>,
}

/// Create one org unit.
pub async fn add_unit(db: &Db, clock: &dyn WallClock, unit: NewUnit) -> Result<(), AdminError> {
    let n = store_units(db, clock, vec![(1, unit)])
        .await
        .map_err(|e| match e {
            AdminError::Line { message, .. } => AdminError::Invalid(message),
            other => other,
        })?;
    if n == 0 {
        return Err(AdminError::Exists(
            "the org unit already exists with these values".into(),
        ));
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
            message: e.to_string(),
        })?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(c_code), Some(c_name), Some(c_level)) = (col("code"), col("name"), col("level"))
    else {
        return Err(AdminError::Line {
            line: 1,
            message: format!(
                "the header must name the columns code,name,level,parent, got {:?}",
                headers.iter().collect::<Vec<_>>().join(",")
            ),
        });
    };
    let c_parent = col("parent");
    let mut units = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| AdminError::Line {
            line: e.position().map_or(0, |p| p.line() as usize),
            message: e.to_string(),
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let field = |i: usize| record.get(i).unwrap_or("").to_string();
        let bad = |message: String| AdminError::Line { line, message };
        let code = field(c_code);
        if code.is_empty() {
            return Err(bad("code is empty".into()));
        }
        if let Some(first) = seen.insert(code.clone(), line) {
            return Err(bad(format!("code {code} is also on line {first}")));
        }
        let level: Level = field(c_level).parse().map_err(bad)?;
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
                    message: format!(
                        "org unit {} already exists as {:?} ({}, parent {})",
                        unit.code,
                        have.name,
                        have.level,
                        have.parent.as_deref().unwrap_or("none")
                    ),
                })
            }
        }
    }
    if fresh.is_empty() {
        return Ok(0);
    }
    let now = clock.now_ms();
    let device = db.server_device().await?;
    let hlcs = db.tick_server_hlc(now, fresh.len()).await?;
    let changes: Vec<Change> = fresh
        .iter()
        .zip(hlcs)
        .map(|((_, u), hlc)| {
            let mut fields = BTreeMap::new();
            let mut put = |k: &str, v: Value| fields.insert(k.to_string(), FieldEdit::new(v));
            put("code", u.code.clone().into());
            put("name", u.name.clone().into());
            put("level", u.level.code().into());
            if let Some(p) = &u.parent {
                put("parent", p.clone().into());
            }
            Change {
                id: ChangeId(uuid::Uuid::now_v7()),
                table: Table::OrgUnit,
                row: RowId::natural(tally_core::NaturalKey::OrgUnit { code: &u.code }),
                unit: u.code.clone(),
                fields,
                hlc,
                device,
                author: SERVER_AUTHOR.into(),
                correction: false,
            }
        })
        .collect();
    let author = Author {
        device,
        user: SERVER_AUTHOR.into(),
        role: Role::Admin,
        units: Vec::new(),
    };
    let pushed = db
        .push(changes, author, now, PushMode::AllOrNothing)
        .await?;
    let first_rejection = fresh
        .iter()
        .zip(&pushed.results)
        .find_map(|((line, u), r)| match r {
            PushResult::Rejected { code, reason, .. }
                if code != tally_protocol::codes::BATCH_REJECTED =>
            {
                Some(AdminError::Line {
                    line: *line,
                    message: format!("org unit {}: {reason}", u.code),
                })
            }
            _ => None,
        });
    if let Some(e) = first_rejection {
        return Err(e);
    }
    if !pushed.stored {
        return Err(AdminError::Invalid("nothing was stored".into()));
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
    if n == 0 || n > 40 {
        return Err(AdminError::Invalid(format!(
            "the user name must have 1 to 40 characters, got {n}"
        )));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AdminError::Invalid(format!(
            "the password must have at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    if units.is_empty() && role.needs_units() {
        return Err(AdminError::Invalid(format!(
            "a {role} needs at least one --unit"
        )));
    }
    let tree = db.unit_tree().await?;
    if let Some(unknown) = units.iter().find(|u| tree.get(u).is_none()) {
        return Err(AdminError::NotFound(format!(
            "unknown org unit {unknown:?}: add it first with `tally-server unit add`"
        )));
    }
    let password = password.to_string();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(DbError::from)?
        .map_err(|e| AdminError::Invalid(format!("cannot hash the password: {e}")))?;
    db.add_user(name, role, &hash, units, clock.now_ms())
        .await?
        .ok_or_else(|| AdminError::Exists(format!("user {name:?} already exists")))?;
    tracing::info!(user = name, %role, ?units, "user added");
    Ok(())
}

/// Disable a user: its devices' tokens stop working at once.
pub async fn disable_user(db: &Db, name: &str) -> Result<(), AdminError> {
    if db.set_user_disabled(name, true).await? {
        Ok(())
    } else {
        Err(AdminError::NotFound(format!("no user {name:?}")))
    }
}

pub async fn list_devices(db: &Db) -> Result<Vec<DeviceRow>, AdminError> {
    Ok(db.list_devices().await?)
}

/// Revoke a device's token.
pub async fn revoke_device(db: &Db, clock: &dyn WallClock, id: &str) -> Result<(), AdminError> {
    let device = id
        .parse()
        .map_err(|_| AdminError::Invalid(format!("not a device id: {id:?}")))?;
    if db.revoke_device(device, clock.now_ms()).await? {
        Ok(())
    } else {
        Err(AdminError::NotFound(format!("no device {id}")))
    }
}
