//! The PostgreSQL backend's account queries: users, devices and tokens, failed logins.

use super::PgDb;
use crate::db::{
    parse_device, parse_role, to_i64, to_u64, Accounts, DeviceAuth, DeviceRow, NewDevice,
    UserListing, UserRecord,
};
use crate::error::DbError;
use crate::limits;
use tally_core::DeviceId;
use tally_protocol::Role;
use tokio_postgres::GenericClient;

#[async_trait::async_trait]
impl Accounts for PgDb {
    async fn user_by_name(&self, name: &str) -> Result<Option<UserRecord>, DbError> {
        let c = self.pool.get().await?;
        let Some(row) = c
            .query_opt(
                "SELECT id, name, role, password_hash, disabled FROM users WHERE name = $1",
                &[&name],
            )
            .await?
        else {
            return Ok(None);
        };
        let id: i64 = row.get(0);
        Ok(Some(UserRecord {
            id,
            name: row.get(1),
            role: parse_role(row.get(2))?,
            password_hash: row.get(3),
            disabled: row.get(4),
            units: user_units(&**c, id).await?,
        }))
    }

    async fn add_user(
        &self,
        name: &str,
        role: Role,
        password_hash: &str,
        units: &[String],
        now_ms: u64,
    ) -> Result<Option<i64>, DbError> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let Some(row) = tx
            .query_opt(
                "INSERT INTO users (name, role, password_hash, created_ms) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO NOTHING RETURNING id",
                &[&name, &role.code(), &password_hash, &to_i64(now_ms)],
            )
            .await?
        else {
            return Ok(None);
        };
        let id: i64 = row.get(0);
        tx.execute(
            "INSERT INTO user_units (user_id, unit) SELECT $1, u FROM unnest($2::text[]) AS u
             ON CONFLICT DO NOTHING",
            &[&id, &units],
        )
        .await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    async fn set_user_disabled(&self, name: &str, disabled: bool) -> Result<bool, DbError> {
        let c = self.pool.get().await?;
        let n = c
            .execute(
                "UPDATE users SET disabled = $1 WHERE name = $2",
                &[&disabled, &name],
            )
            .await?;
        Ok(n > 0)
    }

    async fn list_users(&self) -> Result<Vec<UserListing>, DbError> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                "SELECT u.id, u.name, u.role, u.disabled, u.created_ms,
                        (SELECT count(*) FROM devices d WHERE d.user_id = u.id AND d.revoked_ms IS NULL)
                   FROM users u ORDER BY u.name",
                &[],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.get(0);
            out.push(UserListing {
                name: r.get(1),
                role: parse_role(r.get(2))?,
                units: user_units(&**c, id).await?,
                disabled: r.get(3),
                created_ms: to_u64(r.get(4)),
                devices: to_u64(r.get(5)),
            });
        }
        Ok(out)
    }

    async fn update_user(
        &self,
        name: &str,
        role: Option<Role>,
        units: Option<&[String]>,
    ) -> Result<bool, DbError> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let Some(row) = tx
            .query_opt("SELECT id FROM users WHERE name = $1 FOR UPDATE", &[&name])
            .await?
        else {
            return Ok(false);
        };
        let id: i64 = row.get(0);
        if let Some(role) = role {
            tx.execute(
                "UPDATE users SET role = $1 WHERE id = $2",
                &[&role.code(), &id],
            )
            .await?;
        }
        if let Some(units) = units {
            tx.execute("DELETE FROM user_units WHERE user_id = $1", &[&id])
                .await?;
            tx.execute(
                "INSERT INTO user_units (user_id, unit) SELECT $1, u FROM unnest($2::text[]) AS u
                 ON CONFLICT DO NOTHING",
                &[&id, &units],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn set_password(
        &self,
        name: &str,
        password_hash: &str,
        revoke_at: Option<u64>,
    ) -> Result<bool, DbError> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let n = tx
            .execute(
                "UPDATE users SET password_hash = $1 WHERE name = $2",
                &[&password_hash, &name],
            )
            .await?;
        if n == 0 {
            return Ok(false);
        }
        if let Some(at) = revoke_at {
            tx.execute(
                "UPDATE devices SET revoked_ms = $1
                  WHERE revoked_ms IS NULL AND user_id = (SELECT id FROM users WHERE name = $2)",
                &[&to_i64(at), &name],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn device_by_token(&self, token_hash: &str) -> Result<Option<DeviceAuth>, DbError> {
        let c = self.pool.get().await?;
        Ok(device_where(&c, "d.token_hash", token_hash)
            .await?
            .map(|(d, _)| d))
    }

    async fn device_by_id(&self, id: DeviceId) -> Result<Option<(DeviceAuth, String)>, DbError> {
        let c = self.pool.get().await?;
        device_where(&c, "d.id", &id.to_string()).await
    }

    async fn touch_device(&self, id: DeviceId, now_ms: u64) -> Result<(), DbError> {
        let c = self.pool.get().await?;
        c.execute(
            "UPDATE devices SET last_seen_ms = $1 WHERE id = $2",
            &[&to_i64(now_ms), &id.to_string()],
        )
        .await?;
        Ok(())
    }

    async fn add_device(&self, d: NewDevice) -> Result<bool, DbError> {
        let c = self.pool.get().await?;
        let n = c
            .execute(
                "INSERT INTO devices (id, user_id, name, token_hash, created_ms)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, name = excluded.name,
               token_hash = excluded.token_hash, revoked_ms = NULL
             WHERE devices.user_id = excluded.user_id",
                &[
                    &d.id.to_string(),
                    &d.user_id,
                    &d.name,
                    &d.token_hash,
                    &to_i64(d.created_ms),
                ],
            )
            .await?;
        Ok(n == 1)
    }

    async fn list_devices(&self) -> Result<Vec<DeviceRow>, DbError> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                "SELECT d.id, u.name, d.name, d.created_ms, d.last_seen_ms,
                        d.revoked_ms IS NOT NULL
                 FROM devices d JOIN users u ON u.id = d.user_id
                 ORDER BY d.created_ms, d.id",
                &[],
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(DeviceRow {
                    id: parse_device(r.get(0))?,
                    user: r.get(1),
                    name: r.get(2),
                    created_ms: to_u64(r.get(3)),
                    last_seen_ms: r.get::<_, Option<i64>>(4).map(to_u64),
                    revoked: r.get(5),
                })
            })
            .collect()
    }

    async fn revoke_device(&self, id: DeviceId, now_ms: u64) -> Result<bool, DbError> {
        let c = self.pool.get().await?;
        let id = id.to_string();
        c.execute(
            "UPDATE devices SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL",
            &[&to_i64(now_ms), &id],
        )
        .await?;
        let exists: bool = c
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM devices WHERE id = $1)",
                &[&id],
            )
            .await?
            .get(0);
        Ok(exists)
    }

    async fn begin_login_attempt(
        &self,
        user: &str,
        source: &str,
        now_ms: u64,
    ) -> Result<Result<(), u64>, DbError> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        // Both counts include the source: one lock per source makes count-and-insert atomic.
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('login ' || $1, 0))",
            &[&source],
        )
        .await?;
        tx.execute(
            "DELETE FROM login_failures WHERE at_ms <= $1",
            &[&to_i64(now_ms.saturating_sub(limits::WINDOW_MS))],
        )
        .await?;
        let account: Vec<u64> = tx
            .query(
                "SELECT at_ms FROM login_failures WHERE user_name = $1 AND source = $2",
                &[&user, &source],
            )
            .await?
            .iter()
            .map(|r| to_u64(r.get(0)))
            .collect();
        let from_source: Vec<u64> = tx
            .query(
                "SELECT at_ms FROM login_failures WHERE source = $1",
                &[&source],
            )
            .await?
            .iter()
            .map(|r| to_u64(r.get(0)))
            .collect();
        if let Err(wait) = limits::verdict(&account, &from_source, now_ms) {
            return Ok(Err(wait));
        }
        tx.execute(
            "INSERT INTO login_failures (user_name, source, at_ms) VALUES ($1, $2, $3)",
            &[&user, &source, &to_i64(now_ms)],
        )
        .await?;
        tx.execute(
            "DELETE FROM login_failures WHERE ctid IN (
                 SELECT ctid FROM login_failures ORDER BY at_ms DESC OFFSET $1)",
            &[&(limits::MAX_ROWS as i64)],
        )
        .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    async fn login_succeeded(&self, user: &str, source: &str) -> Result<(), DbError> {
        let c = self.pool.get().await?;
        c.execute(
            "DELETE FROM login_failures WHERE user_name = $1 AND source = $2",
            &[&user, &source],
        )
        .await?;
        Ok(())
    }
}

async fn user_units(c: &impl GenericClient, user_id: i64) -> Result<Vec<String>, DbError> {
    let rows = c
        .query(
            "SELECT unit FROM user_units WHERE user_id = $1 ORDER BY unit",
            &[&user_id],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// The device (and its token hash) whose `column` is `value`.
async fn device_where(
    c: &deadpool_postgres::Object,
    column: &str,
    value: &str,
) -> Result<Option<(DeviceAuth, String)>, DbError> {
    let Some(row) = c
        .query_opt(
            &format!(
                "SELECT d.id, u.id, u.name, u.role, d.revoked_ms IS NOT NULL, u.disabled,
                        d.last_seen_ms, d.token_hash
                 FROM devices d JOIN users u ON u.id = d.user_id
                 WHERE {column} = $1"
            ),
            &[&value],
        )
        .await?
    else {
        return Ok(None);
    };
    let user_id: i64 = row.get(1);
    Ok(Some((
        DeviceAuth {
            device: parse_device(row.get(0))?,
            user: row.get(2),
            role: parse_role(row.get(3))?,
            units: user_units(&***c, user_id).await?,
            revoked: row.get(4),
            disabled: row.get(5),
            last_seen_ms: row.get::<_, Option<i64>>(6).map(to_u64),
        },
        row.get(7),
    )))
}
