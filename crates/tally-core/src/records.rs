//! Typed records read from merged rows.

use crate::change::Row;
use crate::model::*;

impl OrgUnit {
    pub fn from_row(row: &Row) -> Option<OrgUnit> {
        Some(OrgUnit {
            code: row.str("code").unwrap_or(&row.unit).to_string(),
            name: row.str("name")?.to_string(),
            level: row.parsed("level")?,
            parent: row.str("parent").map(str::to_string),
            seepage: row.bool("seepage"),
            key_village: row.bool("key_village"),
        })
    }
}

impl Household {
    pub fn from_row(row: &Row) -> Option<Household> {
        Some(Household {
            id: row.id,
            unit: row.unit.clone(),
            head: row.str("head")?.to_string(),
            members: row.u32("members").unwrap_or(1),
            phone: row.str("phone").map(str::to_string),
            id_number: row.str("id_number").map(str::to_string),
            categories: row
                .value("categories")
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|c| c.as_str()?.parse().ok()).collect())
                .unwrap_or_default(),
            seepage: row.bool("seepage"),
            rating: row.parsed("rating"),
            renovation: row.parsed("renovation"),
            planned_on: row.date("planned_on"),
            started_on: row.date("started_on"),
            completed_on: row.date("completed_on"),
            accepted_on: row.date("accepted_on"),
            cadre: row.str("cadre").map(str::to_string),
            pension: row.u32("pension"),
            medical: row.u32("medical"),
            deleted: row.deleted(),
        })
    }
}

impl Visit {
    pub fn from_row(row: &Row) -> Option<Visit> {
        Some(Visit {
            id: row.id,
            unit: row.unit.clone(),
            household: row.row_id("household")?,
            date: row.date("date")?,
            note: row.str("note").unwrap_or_default().to_string(),
            deleted: row.deleted(),
        })
    }
}

impl Demolition {
    pub fn from_row(row: &Row) -> Option<Demolition> {
        Some(Demolition {
            id: row.id,
            unit: row.unit.clone(),
            household: row.row_id("household"),
            area_m2: row.f64("area_m2"),
            date: row.date("date")?,
            deleted: row.deleted(),
        })
    }
}

impl Cleanup {
    pub fn from_row(row: &Row) -> Option<Cleanup> {
        Some(Cleanup {
            id: row.id,
            unit: row.unit.clone(),
            kind: row.parsed("kind")?,
            tonnes: row.f64("tonnes")?,
            piles: row.u32("piles").unwrap_or(1),
            date: row.date("date")?,
            deleted: row.deleted(),
        })
    }
}

impl Works {
    pub fn from_row(row: &Row) -> Option<Works> {
        Some(Works {
            id: row.id,
            unit: row.unit.clone(),
            kind: row.parsed("kind")?,
            name: row.str("name").map(str::to_string),
            location: row.str("location").map(str::to_string),
            note: row.str("note").map(str::to_string),
            quantity: row.f64("quantity")?,
            people: row.u32("people"),
            status: row.parsed("status")?,
            started_on: row.date("started_on"),
            completed_on: row.date("completed_on"),
            accepted_on: row.date("accepted_on"),
            lat: row.f64("lat"),
            lon: row.f64("lon"),
            progress: progress_of(row),
            deleted: row.deleted(),
        })
    }
}

/// The progress entries of a works row, in date order (then entry order: ids are
/// UUIDv7, so by the time they were made).
fn progress_of(row: &Row) -> Vec<Progress> {
    let mut out: Vec<Progress> = row
        .fields
        .iter()
        .filter_map(|(name, state)| {
            let id = crate::schema::progress_entry(name)?;
            let v = &state.value;
            let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
            Some(Progress {
                id: id.to_string(),
                date: v.get("date")?.as_str()?.parse().ok()?,
                quantity: v.get("quantity")?.as_f64()?,
                note: text("note"),
                withdrawn: text("withdrawn"),
            })
        })
        .collect();
    out.sort_by(|a, b| (a.date, &a.id).cmp(&(b.date, &b.id)));
    out
}

impl Target {
    pub fn from_row(row: &Row) -> Option<Target> {
        Some(Target {
            id: row.id,
            unit: row.unit.clone(),
            metric: row.parsed("metric")?,
            pile: row.parsed("pile"),
            quantity: row.f64("quantity")?,
            deadline: row.date("deadline")?,
            from: row.date("from"),
            milestones: {
                let mut m: Vec<Milestone> = row
                    .value("milestones")
                    .and_then(|v| serde_json::from_value(v.clone()).ok())
                    .unwrap_or_default();
                m.sort_by_key(|m| m.date);
                m
            },
            deleted: row.deleted(),
        })
    }
}

/// Every record the ledger is computed from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Records {
    pub units: Vec<OrgUnit>,
    pub households: Vec<Household>,
    pub demolitions: Vec<Demolition>,
    pub cleanups: Vec<Cleanup>,
    pub works: Vec<Works>,
    pub targets: Vec<Target>,
}

impl Records {
    /// Sort merged rows into typed records; rows that do not read as their type (a
    /// tombstone created before its row arrived) are left out.
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a Row>) -> Records {
        let mut r = Records::default();
        for row in rows {
            match row.table {
                Table::OrgUnit if !row.deleted() => r.units.extend(OrgUnit::from_row(row)),
                Table::OrgUnit => {}
                Table::Household => r.households.extend(Household::from_row(row)),
                Table::Demolition => r.demolitions.extend(Demolition::from_row(row)),
                Table::Cleanup => r.cleanups.extend(Cleanup::from_row(row)),
                Table::Works => r.works.extend(Works::from_row(row)),
                Table::Target => r.targets.extend(Target::from_row(row)),
                Table::Visit => {}
            }
        }
        r
    }
}
