//! The SQLite backend's account queries: users, devices and tokens, failed logins.

use super::SqliteDb;
use crate::db::{
    parse_device, parse_role, to_i64, to_u64, Accounts, DeviceAuth, DeviceRow, NewDevice,
    UserListing, UserRecord,
};
use crate::error::DbError;
use crate::limits;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use tally_core::DeviceId;
use tally_protocol::Role;

#[async_trait::async_trait]
impl Accounts for SqliteDb {
    async fn user_by_name(&self, name: &str) -> Result<Option<UserRecord>, DbError> {
        let name = name.to_string();
        self.read(move |c| {
            let user = c
                .query_row(
                    "SELECT id, name, role, password_hash, disabled FROM users WHERE name = ?1",
                    [&name],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, bool>(4)?,
                        ))
                    },
                )
                .optional()?;
            let Some((id, name, role, password_hash, disabled)) = user else {
                return Ok(None);
            };
            Ok(Some(UserRecord {
                id,
                name,
                role: parse_role(&role)?,
                password_hash,
                disabled,
                units: user_units(c, id)?,
            }))
        })
        .await
    }

    async fn add_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        units: &[String],
        now_ms: u64,
    ) -> Result<Option<i64>, DbError> {
        let (name, hash, units) = (name.to_string(), password_hash.to_string(), units.to_vec());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let inserted = tx.execute(
                "INSERT INTO users (name, role, password_hash, created_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (name) DO NOTHING",
                params![name, role.code(), hash, to_i64(now_ms)],
            )?;
            if inserted == 0 {
                return Ok(None);
            }
            let id = tx.last_insert_rowid();
            for unit in &units {
                tx.execute(
                    "INSERT OR IGNORE INTO user_units (user_id, unit) VALUES (?1, ?2)",
                    params![id, unit],
                )?;
            }
            tx.commit()?;
            Ok(Some(id))
        })
        .await
    }

    async fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<bool, DbError> {
        let name = name.to_string();
        self.write(move |c| {
            let n = c.execute(
                "UPDATE users SET disabled = ?1 WHERE name = ?2",
                params![disabled, name],
            )?;
            Ok(n > 0)
        })
        .await
    }

    async fn list_users(&self) -> Result<Vec<UserListing>, DbError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT u.id, u.name, u.role, u.disabled, u.created_ms,
                        (SELECT count(*) FROM devices d WHERE d.user_id = u.id AND d.revoked_ms IS NULL)
                   FROM users u ORDER BY u.name",
            )?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, bool>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, i64>(5)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            let mut out = Vec::with_capacity(rows.len());
            for (id, name, role, disabled, created, devices) in rows {
                out.push(UserListing {
                    name,
                    role: parse_role(&role)?,
                    units: user_units(c, id)?,
                    disabled,
                    created_ms: to_u64(created),
                    devices: to_u64(devices),
                });
            }
            Ok(out)
        })
        .await
    }

    async fn update_user(
        &self,
        name: &str,
        role: Option<Role>,
        units: Option<&[String]>,
    ) -> Result<bool, DbError> {
        let (name, units) = (name.to_string(), units.map(<[String]>::to_vec));
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let Some(id) = tx
                .query_row("SELECT id FROM users WHERE name = ?1", [&name], |r| {
                    r.get::<_, i64>(0)
                })
                .optional()?
            else {
                return Ok(false);
            };
            if let Some(role) = role {
                tx.execute(
                    "UPDATE users SET role = ?1 WHERE id = ?2",
                    params![role.code(), id],
                )?;
            }
            if let Some(units) = &units {
                tx.execute("DELETE FROM user_units WHERE user_id = ?1", [id])?;
                for unit in units {
                    tx.execute(
                        "INSERT OR IGNORE INTO user_units (user_id, unit) VALUES (?1, ?2)",
                        params![id, unit],
                    )?;
                }
            }
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn set_password(
        &self,
        name: &str,
        password_hash: &str,
        revoke_at: Option<u64>,
    ) -> Result<bool, DbError> {
        let (name, hash) = (name.to_string(), password_hash.to_string());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let n = tx.execute(
                "UPDATE users SET password_hash = ?1 WHERE name = ?2",
                params![hash, name],
            )?;
            if n == 0 {
                return Ok(false);
            }
            if let Some(at) = revoke_at {
                tx.execute(
                    "UPDATE devices SET revoked_ms = ?1
                      WHERE revoked_ms IS NULL AND user_id = (SELECT id FROM users WHERE name = ?2)",
                    params![to_i64(at), name],
                )?;
            }
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<DeviceAuth>, DbError> {
        let token_hash = token_hash.to_string();
        self.read(move |c| Ok(device_where(c, "d.token_hash", &token_hash)?.map(|(d, _)| d)))
            .await
    }

    async fn device_by_id(&self, id: DeviceId) -> Result<Option<(DeviceAuth, String)>, DbError> {
        self.read(move |c| device_where(c, "d.id", &id.to_string()))
            .await
    }

    async fn touch_device(&self, id: DeviceId, now_ms: u64) -> Result<(), DbError> {
        super::group::write(&self.inner, move |c| {
            c.execute(
                "UPDATE devices SET last_seen_ms = ?1 WHERE id = ?2",
                params![to_i64(now_ms), id.to_string()],
            )?;
            Ok(((), super::group::Keep::Yes))
        })
        .await
    }

    async fn add_device(&self, d: NewDevice) -> Result<bool, DbError> {
        self.write(move |c| {
            let n = c.execute(
                "INSERT INTO devices (id, user_id, name, token_hash, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, name = excluded.name,
                   token_hash = excluded.token_hash, revoked_ms = NULL
                 WHERE devices.user_id = excluded.user_id",
                params![
                    d.id.to_string(),
                    d.user_id,
                    d.name,
                    d.token_hash,
                    to_i64(d.created_ms)
                ],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn list_devices(&self) -> Result<Vec<DeviceRow>, DbError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT d.id, u.name, d.name, d.created_ms, d.last_seen_ms,
                        d.revoked_ms IS NOT NULL
                 FROM devices d JOIN users u ON u.id = d.user_id
                 ORDER BY d.created_ms, d.id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<i64>>(4)?,
                    r.get::<_, bool>(5)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, user, name, created, seen, revoked) = row?;
                out.push(DeviceRow {
                    id: parse_device(&id)?,
                    user,
                    name,
                    created_ms: to_u64(created),
                    last_seen_ms: seen.map(to_u64),
                    revoked,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn revoke_device(&self, id: DeviceId, now_ms: u64) -> Result<bool, DbError> {
        self.write(move |c| {
            c.execute(
                "UPDATE devices SET revoked_ms = ?1 WHERE id = ?2 AND revoked_ms IS NULL",
                params![to_i64(now_ms), id.to_string()],
            )?;
            let exists: bool = c.query_row(
                "SELECT EXISTS (SELECT 1 FROM devices WHERE id = ?1)",
                [id.to_string()],
                |r| r.get(0),
            )?;
            Ok(exists)
        })
        .await
    }

    async fn begin_login_attempt(
        &self,
        user: &str,
        source: &str,
        now_ms: u64,
    ) -> Result<Result<(), u64>, DbError> {
        let (user, source) = (user.to_string(), source.to_string());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                "DELETE FROM login_failures WHERE at_ms <= ?1",
                [to_i64(now_ms.saturating_sub(limits::WINDOW_MS))],
            )?;
            let times = |sql: &str, args: &[&dyn rusqlite::ToSql]| -> Result<Vec<u64>, DbError> {
                let mut stmt = tx.prepare_cached(sql)?;
                let rows = stmt.query_map(args, |r| r.get::<_, i64>(0))?;
                rows.map(|r| r.map(to_u64).map_err(DbError::from)).collect()
            };
            let account = times(
                "SELECT at_ms FROM login_failures WHERE user_name = ?1 AND source = ?2",
                &[&user, &source],
            )?;
            let from_source = times(
                "SELECT at_ms FROM login_failures WHERE source = ?1",
                &[&source],
            )?;
            if let Err(wait) = limits::verdict(&account, &from_source, now_ms) {
                return Ok(Err(wait));
            }
            tx.execute(
                "INSERT INTO login_failures (user_name, source, at_ms) VALUES (?1, ?2, ?3)",
                params![user, source, to_i64(now_ms)],
            )?;
            tx.execute(
                "DELETE FROM login_failures WHERE rowid IN (
                     SELECT rowid FROM login_failures ORDER BY at_ms DESC LIMIT -1 OFFSET ?1)",
                [limits::MAX_ROWS as i64],
            )?;
            tx.commit()?;
            Ok(Ok(()))
        })
        .await
    }

    async fn login_succeeded(&self, user: &str, source: &str) -> Result<(), DbError> {
        let (user, source) = (user.to_string(), source.to_string());
        self.write(move |c| {
            c.execute(
                "DELETE FROM login_failures WHERE user_name = ?1 AND source = ?2",
                params![user, source],
            )?;
            Ok(())
        })
        .await
    }
}

fn user_units(c: &Connection, user_id: i64) -> Result<Vec<String>, DbError> {
    let mut stmt =
        c.prepare_cached("SELECT unit FROM user_units WHERE user_id = ?1 ORDER BY unit")?;
    let rows = stmt.query_map([user_id], |r| r.get::<_, String>(0))?;
    rows.map(|r| r.map_err(DbError::from)).collect()
}

/// The device (and its token hash) whose `column` is `value`.
fn device_where(
    c: &Connection,
    column: &str,
    value: &str,
) -> Result<Option<(DeviceAuth, String)>, DbError> {
    let found = c
        .query_row(
            &format!(
                "SELECT d.id, u.id, u.name, u.role, d.revoked_ms IS NOT NULL, u.disabled,
                        d.last_seen_ms, d.token_hash
                 FROM devices d JOIN users u ON u.id = d.user_id
                 WHERE {column} = ?1"
            ),
            [value],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, bool>(4)?,
                    r.get::<_, bool>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                    r.get::<_, String>(7)?,
                ))
            },
        )
        .optional()?;
    let Some((device, user_id, user, role, revoked, disabled, seen, hash)) = found else {
        return Ok(None);
    };
    Ok(Some((
        DeviceAuth {
            device: parse_device(&device)?,
            user,
            role: parse_role(&role)?,
            units: user_units(c, user_id)?,
            revoked,
            disabled,
            last_seen_ms: seen.map(to_u64),
        },
        hash,
    )))
}
