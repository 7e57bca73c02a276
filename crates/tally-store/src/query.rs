//! Reading the device database: household search, a row's history, org units, the
//! ledger, conflicts.

use crate::{Result, Store, StoreError};
use chrono::NaiveDate;
use rusqlite::types::Value as Sql;
use rusqlite::Row as SqlRow;
use serde::Serialize;
use tally_core::ledger::{self, Fact};
use tally_core::*;

/// Filters of the household list; all optional, combined with AND.
#[derive(Clone, Debug, Default)]
pub struct HouseholdFilter {
    /// Only this unit and the units below it.
    pub unit: Option<String>,
    /// A substring of the head's name, or pinyin initials / spelling (`zs`, `zhang`).
    pub search: Option<String>,
    pub category: Option<Category>,
    pub rating: Option<Rating>,
    /// Renovation status; `Some(None)` means "no renovation recorded".
    pub renovation: Option<Option<RenovationStatus>>,
    /// Not visited on or after this date (never visited included).
    pub not_visited_since: Option<NaiveDate>,
    /// Only households with no responsible cadre.
    pub no_cadre: bool,
    pub limit: Option<usize>,
}

/// One line of the household list.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HouseholdSummary {
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(flatten))]
    pub household: Household,
    pub unit_name: Option<String>,
    pub last_visit: Option<NaiveDate>,
}

/// One change in a row's history.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HistoryEntry {
    pub change: Change,
    /// pending / accepted / rejected / remote
    pub state: String,
    pub receipt: Option<i64>,
    /// The server's reason for a rejection, in English and in Chinese.
    pub reject_reason: Option<String>,
    pub reject_reason_zh: Option<String>,
    pub recorded_at: String,
    pub utc_offset_min: i32,
}

fn parse<T: std::str::FromStr>(s: Option<String>) -> Option<T> {
    s.and_then(|s| s.parse().ok())
}

fn household_from_sql(r: &SqlRow) -> rusqlite::Result<HouseholdSummary> {
    let id: String = r.get("id")?;
    let cats: String = r.get("categories")?;
    Ok(HouseholdSummary {
        household: Household {
            id: id.parse().unwrap_or(RowId(uuid::Uuid::nil())),
            unit: r.get("unit")?,
            head: r.get("head")?,
            members: r.get("members")?,
            phone: r.get("phone")?,
            id_number: r.get("id_number")?,
            categories: cats.split(',').filter_map(|c| c.parse().ok()).collect(),
            seepage: r.get("seepage")?,
            rating: parse(r.get("rating")?),
            renovation: parse(r.get("renovation")?),
            planned_on: parse(r.get("planned_on")?),
            started_on: parse(r.get("started_on")?),
            completed_on: parse(r.get("completed_on")?),
            accepted_on: parse(r.get("accepted_on")?),
            cadre: r.get("cadre")?,
            pension: r.get("pension")?,
            medical: r.get("medical")?,
            deleted: r.get("deleted")?,
        },
        unit_name: r.get("unit_name")?,
        last_visit: parse(r.get("last_visit")?),
    })
}

/// Escape `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

impl Store {
    /// The org units this device knows, parents before children where possible.
    pub fn units(&self) -> Result<Vec<OrgUnit>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT code, name, level, parent, seepage, key_village FROM org_unit WHERE deleted = 0
             ORDER BY CASE level WHEN 'banner' THEN 0 WHEN 'township' THEN 1 WHEN 'village' THEN 2 ELSE 3 END, code",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, bool>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (code, name, level, parent, seepage, key_village) = row?;
            let level = level.parse().map_err(StoreError::Corrupt)?;
            out.push(OrgUnit {
                code,
                name,
                level,
                parent,
                seepage,
                key_village,
            });
        }
        Ok(out)
    }

    /// One unit by code.
    pub fn unit(&self, code: &str) -> Result<OrgUnit> {
        self.units()?
            .into_iter()
            .find(|u| u.code == code)
            .ok_or_else(|| StoreError::NotFound {
                what: "org unit",
                id: code.to_string(),
            })
    }

    /// The codes of `root` and every unit below it.
    pub fn subtree(&self, root: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached(
            "WITH RECURSIVE t(code) AS (SELECT ?1 UNION SELECT o.code FROM org_unit o JOIN t ON o.parent = t.code)
             SELECT code FROM t",
        )?;
        let codes = stmt
            .query_map([root], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(codes)
    }

    /// Search households. Results are ordered by unit, then the head's pinyin.
    pub fn households(&self, f: &HouseholdFilter) -> Result<Vec<HouseholdSummary>> {
        // Two steps: the households that match, read from the search index in list order
        // (no row is read but the ones shown), then those rows with their village's name
        // and last visit.
        let mut sql = String::from("WITH hit AS (SELECT h.id FROM household h WHERE h.deleted = 0");
        let mut params: Vec<Sql> = Vec::new();
        let mut arg = |sql: &mut String, clause: &str, v: Sql| {
            params.push(v);
            sql.push_str(&clause.replace('?', &format!("?{}", params.len())));
        };
        if let Some(unit) = &f.unit {
            self.unit(unit)?;
            arg(
                &mut sql,
                " AND h.unit IN (WITH RECURSIVE t(code) AS (SELECT ? UNION SELECT o2.code FROM org_unit o2 JOIN t ON o2.parent = t.code) SELECT code FROM t)",
                Sql::Text(unit.clone()),
            );
        }
        if let Some(text) = f.search.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            let escaped = like_escape(&text.to_lowercase());
            let pattern = format!("%{escaped}%");
            if text.chars().all(|c| c.is_ascii_alphabetic()) {
                arg(
                    &mut sql,
                    " AND (h.initials LIKE ? ESCAPE '\\'",
                    Sql::Text(format!("{escaped}%")),
                );
                arg(
                    &mut sql,
                    " OR h.spelled LIKE ? ESCAPE '\\'",
                    Sql::Text(pattern.clone()),
                );
                arg(
                    &mut sql,
                    " OR lower(h.head) LIKE ? ESCAPE '\\')",
                    Sql::Text(pattern),
                );
            } else {
                arg(
                    &mut sql,
                    " AND h.head LIKE ? ESCAPE '\\'",
                    Sql::Text(pattern),
                );
            }
        }
        if let Some(c) = f.category {
            arg(
                &mut sql,
                " AND (',' || h.categories || ',') LIKE ?",
                Sql::Text(format!("%,{},%", c.code())),
            );
        }
        if let Some(r) = f.rating {
            arg(&mut sql, " AND h.rating = ?", Sql::Text(r.code().into()));
        }
        match f.renovation {
            Some(Some(s)) => arg(
                &mut sql,
                " AND h.renovation = ?",
                Sql::Text(s.code().into()),
            ),
            Some(None) => sql.push_str(" AND h.renovation IS NULL"),
            None => {}
        }
        if let Some(d) = f.not_visited_since {
            arg(
                &mut sql,
                " AND NOT EXISTS (SELECT 1 FROM visit v WHERE v.household = h.id AND v.deleted = 0 AND v.date >= ?)",
                Sql::Text(d.to_string()),
            );
        }
        if f.no_cadre {
            sql.push_str(" AND (h.cadre IS NULL OR trim(h.cadre) = '')");
        }
        sql.push_str(" ORDER BY h.unit, h.spelled, h.id");
        if let Some(n) = f.limit {
            sql.push_str(&format!(" LIMIT {n}"));
        }
        sql.push_str(
            ") SELECT h.*, o.name AS unit_name,
                      (SELECT max(v.date) FROM visit v WHERE v.household = h.id AND v.deleted = 0) AS last_visit
               FROM hit JOIN household h ON h.id = hit.id LEFT JOIN org_unit o ON o.code = h.unit
               ORDER BY h.unit, h.spelled, h.id",
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(params), household_from_sql)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every change of one row, oldest first.
    pub fn history(&self, table: Table, id: RowId) -> Result<Vec<HistoryEntry>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT body, state, receipt, reject_reason, reject_reason_zh, recorded_at, utc_offset_min
             FROM change_log
             WHERE tbl = ?1 AND row_id = ?2 ORDER BY seq",
        )?;
        let rows = stmt.query_map((table.code(), id.to_string()), |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (
                body,
                state,
                receipt,
                reject_reason,
                reject_reason_zh,
                recorded_at,
                utc_offset_min,
            ) = row?;
            let change = serde_json::from_str(&body)
                .map_err(|e| StoreError::Corrupt(format!("change: {e}")))?;
            out.push(HistoryEntry {
                change,
                state,
                receipt,
                reject_reason,
                reject_reason_zh,
                recorded_at,
                utc_offset_min,
            });
        }
        let mut out: Vec<HistoryEntry> = out;
        out.sort_by_key(|e| e.change.hlc);
        Ok(out)
    }

    /// Visits of a household, newest first.
    pub fn visits(&self, household: RowId) -> Result<Vec<Visit>> {
        self.visits_of(household, false)
    }

    /// A household's visits, newest first; withdrawn ones too if `withdrawn`.
    pub(crate) fn visits_of(&self, household: RowId, withdrawn: bool) -> Result<Vec<Visit>> {
        let ids: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT id FROM visit WHERE household = ?1 AND (?2 OR deleted = 0)
                 ORDER BY date DESC, id",
            )?
            .query_map((household.to_string(), withdrawn), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut out = Vec::new();
        for id in ids {
            let id = id
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("visit id {id}")))?;
            out.extend(
                self.row(Table::Visit, id)?
                    .as_ref()
                    .and_then(Visit::from_row),
            );
        }
        Ok(out)
    }

    /// All merged rows of a table (tests, exports).
    pub fn rows(&self, table: Table) -> Result<Vec<Row>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, unit, state FROM row_state WHERE tbl = ?1 ORDER BY id")?;
        let rows = stmt.query_map([table.code()], |r| {
            Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, String>(2)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, unit, state) = row?;
            let id = id
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("row id {id}")))?;
            let fields = serde_json::from_str(&state)
                .map_err(|e| StoreError::Corrupt(format!("row {id}: {e}")))?;
            out.push(Row {
                table,
                id,
                unit,
                fields,
            });
        }
        Ok(out)
    }

    /// Every record, typed (tests and exports; the ledger reads the per-day sums).
    pub fn records(&self) -> Result<Records> {
        let mut rows = Vec::new();
        for t in Table::ALL {
            rows.extend(self.rows(*t)?);
        }
        Ok(Records::from_rows(&rows))
    }

    /// Ledger facts of `unit`'s ledger as of a day, from the per-day sums: facts that give
    /// the ledger the same figures as `ledger::facts` of every record would.
    pub fn facts(&self, unit: &str, as_of: NaiveDate) -> Result<Vec<Fact>> {
        self.facts_of(unit, as_of, None)
    }

    /// The facts a ledger counting only the villages flagged `only` reads.
    fn facts_of(
        &self,
        unit: &str,
        as_of: NaiveDate,
        only: Option<VillageFlag>,
    ) -> Result<Vec<Fact>> {
        let window = ledger::window_of(&self.units()?, &self.targets()?, unit, as_of, only);
        Ok(ledger::facts_of_totals(
            &crate::sums::totals(&self.conn, as_of, &window)?,
            as_of,
            &window,
        ))
    }

    /// Whether the stored per-day sums are what the rows make now (a consistency check).
    pub fn day_sums_consistent(&self) -> Result<bool> {
        Ok(crate::sums::stored(&self.conn)? == crate::sums::from_rows(&self.conn)?)
    }

    /// Targets not deleted.
    pub fn targets(&self) -> Result<Vec<Target>> {
        Ok(self
            .rows(Table::Target)?
            .iter()
            .filter_map(Target::from_row)
            .filter(|t| !t.deleted)
            .collect())
    }

    /// The ledger of a unit's subtree as of a day (today if `None`).
    pub fn ledger(&self, unit: &str, as_of: Option<NaiveDate>) -> Result<Ledger> {
        self.ledger_of(unit, as_of, None)
    }

    /// The ledger of a unit's subtree counting only the villages flagged `only` (all
    /// when `None`), as of a day (today if `None`).
    pub fn ledger_of(
        &self,
        unit: &str,
        as_of: Option<NaiveDate>,
        only: Option<VillageFlag>,
    ) -> Result<Ledger> {
        let as_of = as_of.unwrap_or_else(|| self.today());
        let units = self.units()?;
        let facts = self.facts_of(unit, as_of, only)?;
        ledger::ledger_of(&units, &self.targets()?, &facts, unit, as_of, only).ok_or_else(|| {
            StoreError::NotFound {
                what: "org unit",
                id: unit.to_string(),
            }
        })
    }

    /// Open conflicts, optionally within a unit's subtree.
    pub fn conflicts(&self) -> Result<Vec<Conflict>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT body FROM conflict ORDER BY unit, tbl, row_id, field, loser_at",
        )?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for body in rows {
            out.push(
                serde_json::from_str(&body?)
                    .map_err(|e| StoreError::Corrupt(format!("conflict: {e}")))?,
            );
        }
        Ok(out)
    }
}
