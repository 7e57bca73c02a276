//! Writing a merged row: its JSON state, its typed projection (for search and the
//! ledger) and its open conflicts.

use crate::{Result, StoreError};
use rusqlite::{Connection, ToSql};
use tally_core::*;

/// Whether a row being written had a state in this database before: a new one has no
/// projection and no conflicts to clear (org units excepted: their projection is keyed
/// by code, which another row could carry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Written {
    New,
    Before,
}

impl Written {
    pub(crate) fn of(existing: Option<&Row>) -> Written {
        match existing {
            None => Written::New,
            Some(_) => Written::Before,
        }
    }

    fn may_have_old(self, row: &Row) -> bool {
        self == Written::Before || row.table == Table::OrgUnit
    }
}

pub(crate) fn write_row(conn: &Connection, row: &Row, written: Written) -> Result<()> {
    let state =
        serde_json::to_string(&row.fields).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    conn.prepare_cached(
        "INSERT OR REPLACE INTO row_state (tbl, id, unit, state) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute((row.table.code(), row.id.to_string(), &row.unit, state))?;
    if written.may_have_old(row) {
        conn.prepare_cached("DELETE FROM conflict WHERE tbl = ?1 AND row_id = ?2")?
            .execute((row.table.code(), row.id.to_string()))?;
    }
    for c in row.conflicts() {
        let body = serde_json::to_string(&c).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        conn.prepare_cached(
            "INSERT OR REPLACE INTO conflict (tbl, row_id, unit, field, loser_at, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute((
            row.table.code(),
            row.id.to_string(),
            &row.unit,
            &c.field,
            format!("{}/{}", c.loser.at.hlc, c.loser.at.device),
            body,
        ))?;
    }
    Ok(())
}

/// Pinyin initials and full spelling of a name: 张三 → ("zs", "zhangsan").
pub fn pinyin_keys(name: &str) -> (String, String) {
    use pinyin::ToPinyin;
    let mut initials = String::new();
    let mut spelled = String::new();
    for (ch, p) in name.chars().zip(name.to_pinyin()) {
        match p {
            Some(p) => {
                initials.push_str(p.first_letter());
                spelled.push_str(p.plain());
            }
            None if ch.is_alphanumeric() => {
                let lower = ch.to_lowercase().to_string();
                initials.push_str(&lower);
                spelled.push_str(&lower);
            }
            None => {}
        }
    }
    (initials, spelled)
}

fn replace(conn: &Connection, sql: &str, params: &[&dyn ToSql]) -> Result<()> {
    conn.prepare_cached(sql)?.execute(params)?;
    Ok(())
}

fn date(d: Option<chrono::NaiveDate>) -> Option<String> {
    d.map(|d| d.to_string())
}

/// Rebuild the typed projection of a row, whose state was `old` before (`None`: new),
/// and add the difference of its ledger facts to the per-day sums. A row that does not
/// read as its type yet (only a tombstone arrived) is removed from the projection.
pub(crate) fn project(conn: &Connection, row: &Row, old: Option<&Row>) -> Result<()> {
    let mut sums = tally_core::ledger::DaySums::default();
    sums.write(old, row);
    crate::sums::add(conn, &sums)?;
    let written = Written::of(old);
    let id = row.id.to_string();
    let table = row.table.code();
    let key = if row.table == Table::OrgUnit {
        "code"
    } else {
        "id"
    };
    let key_value = if row.table == Table::OrgUnit {
        row.unit.clone()
    } else {
        id.clone()
    };
    if written.may_have_old(row) {
        conn.prepare_cached(&format!("DELETE FROM {table} WHERE {key} = ?1"))?
            .execute([&key_value])?;
    }
    let deleted = row.deleted();
    match row.table {
        Table::OrgUnit => {
            if let Some(u) = OrgUnit::from_row(row) {
                replace(
                    conn,
                    "INSERT INTO org_unit (code, name, level, parent, deleted, seepage, key_village)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    &[
                        &u.code,
                        &u.name,
                        &u.level.code(),
                        &u.parent,
                        &deleted,
                        &u.seepage,
                        &u.key_village,
                    ],
                )?;
            }
        }
        Table::Household => {
            if let Some(h) = Household::from_row(row) {
                let (initials, spelled) = pinyin_keys(&h.head);
                let cats = h
                    .categories
                    .iter()
                    .map(|c| c.code())
                    .collect::<Vec<_>>()
                    .join(",");
                replace(
                    conn,
                    "INSERT INTO household (id, unit, head, initials, spelled, members, phone, categories, seepage,
                       rating, renovation, planned_on, started_on, completed_on, accepted_on, cadre, deleted,
                       pension, medical, id_number)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
                    &[
                        &id,
                        &h.unit,
                        &h.head,
                        &initials,
                        &spelled,
                        &h.members,
                        &h.phone,
                        &cats,
                        &h.seepage,
                        &h.rating.map(|r| r.code()),
                        &h.renovation.map(|r| r.code()),
                        &date(h.planned_on),
                        &date(h.started_on),
                        &date(h.completed_on),
                        &date(h.accepted_on),
                        &h.cadre,
                        &deleted,
                        &h.pension,
                        &h.medical,
                        &h.id_number,
                    ],
                )?;
            }
        }
        Table::Visit => {
            if let Some(v) = Visit::from_row(row) {
                replace(
                    conn,
                    "INSERT INTO visit (id, unit, household, date, note, deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    &[&id, &v.unit, &v.household.to_string(), &v.date.to_string(), &v.note, &deleted],
                )?;
            }
        }
        Table::Demolition => {
            if let Some(d) = Demolition::from_row(row) {
                replace(
                    conn,
                    "INSERT INTO demolition (id, unit, household, area_m2, date, deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    &[&id, &d.unit, &d.household.map(|h| h.to_string()), &d.area_m2, &d.date.to_string(), &deleted],
                )?;
            }
        }
        Table::Cleanup => {
            if let Some(c) = Cleanup::from_row(row) {
                replace(
                    conn,
                    "INSERT INTO cleanup (id, unit, kind, tonnes, piles, date, deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    &[&id, &c.unit, &c.kind.code(), &c.tonnes, &c.piles, &c.date.to_string(), &deleted],
                )?;
            }
        }
        Table::Works => {
            if let Some(w) = Works::from_row(row) {
                replace(
                    conn,
                    "INSERT INTO works (id, unit, kind, quantity, people, status, started_on, completed_on, deleted)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    &[
                        &id,
                        &w.unit,
                        &w.kind.code(),
                        &w.quantity,
                        &w.people,
                        &w.status.code(),
                        &date(w.started_on),
                        &date(w.completed_on),
                        &deleted,
                    ],
                )?;
            }
        }
        Table::Target => {
            if let Some(t) = Target::from_row(row) {
                replace(
                    conn,
                    "INSERT INTO target (id, unit, metric, quantity, deadline, deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    &[&id, &t.unit, &t.metric.code(), &t.quantity, &t.deadline.to_string(), &deleted],
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::pinyin_keys;

    #[test]
    fn pinyin_keys_of_chinese_and_mixed_names() {
        let check = |name: &str, initials: &str, spelled: &str| {
            assert_eq!(
                pinyin_keys(name),
                (initials.to_string(), spelled.to_string()),
                "{name}"
            );
        };
        check("张三", "zs", "zhangsan");
        check("王小明", "wxm", "wangxiaoming");
        check("巴特尔", "bte", "bateer");
        check("Li 四", "lis", "lisi");
    }
}
