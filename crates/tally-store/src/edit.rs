//! Local edits: each one validates, merges and writes the row, its projection, its
//! conflicts and its change in one transaction.

use crate::project::{project, write_row, Written};
use crate::{time, Result, Store, StoreError};
use chrono::NaiveDate;
use rusqlite::{Connection, OptionalExtension};
use serde_json::Value;
use std::collections::BTreeMap;
use tally_core::schema::{self, Context};
use tally_core::*;

/// One edit of one row, before it becomes a change.
#[derive(Clone, Debug, Default)]
pub struct Edit {
    pub table: Option<Table>,
    /// The row; `None` creates a new row with a fresh id.
    pub row: Option<RowId>,
    /// The owning unit; required for a new row, must match for an existing one.
    pub unit: Option<String>,
    pub fields: Vec<(String, Value)>,
    /// A leader's correction: a forward-only status may move backwards.
    pub correction: bool,
    /// Conflicting versions the editor reviewed; settles them.
    pub saw: Vec<Version>,
}

impl Edit {
    pub fn new(table: Table) -> Edit {
        Edit {
            table: Some(table),
            ..Edit::default()
        }
    }

    pub fn row(mut self, id: RowId) -> Edit {
        self.row = Some(id);
        self
    }

    pub fn unit(mut self, unit: &str) -> Edit {
        self.unit = Some(unit.to_string());
        self
    }

    /// Set a field (serialisable value; `None` stores null).
    pub fn set(mut self, field: &str, value: impl serde::Serialize) -> Edit {
        self.fields.push((
            field.to_string(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        ));
        self
    }
}

/// What an edit did: the change it wrote, or nothing because every value it sets is
/// already stored (running the same command twice is fine, not an error).
#[derive(Clone, Debug, PartialEq)]
pub enum Edited {
    Changed(Change),
    Unchanged(RowId),
}

impl Edited {
    /// The row edited.
    pub fn row(&self) -> RowId {
        match self {
            Edited::Changed(c) => c.row,
            Edited::Unchanged(row) => *row,
        }
    }

    /// The change written, if one was.
    pub fn change(&self) -> Option<&Change> {
        match self {
            Edited::Changed(c) => Some(c),
            Edited::Unchanged(_) => None,
        }
    }

    pub fn into_change(self) -> Option<Change> {
        match self {
            Edited::Changed(c) => Some(c),
            Edited::Unchanged(_) => None,
        }
    }
}

/// The fields of a new household.
#[derive(Clone, Debug, Default)]
pub struct NewHousehold {
    pub village: String,
    pub head: String,
    pub members: Option<u32>,
    pub phone: Option<String>,
    /// The head's identity card number (身份证号).
    pub id_number: Option<String>,
    pub categories: Vec<Category>,
    pub seepage: bool,
    pub rating: Option<Rating>,
    pub cadre: Option<String>,
    /// Members with pension insurance, if known.
    pub pension: Option<u32>,
    /// Members with medical insurance, if known.
    pub medical: Option<u32>,
}

/// A target as a leader plans it.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetPlan {
    pub unit: String,
    pub metric: Metric,
    /// A cleanup target of one pile kind.
    pub pile: Option<PileKind>,
    pub quantity: f64,
    pub deadline: NaiveDate,
    /// The first day of its period (none: from the beginning).
    pub from: Option<NaiveDate>,
    pub milestones: Vec<Milestone>,
}

impl Default for TargetPlan {
    fn default() -> Self {
        TargetPlan {
            unit: String::new(),
            metric: Metric::Renovation,
            pile: None,
            quantity: 0.0,
            deadline: NaiveDate::MIN,
            from: None,
            milestones: Vec::new(),
        }
    }
}

/// What a works item is called, where it is (in words, and on the map if measured),
/// and a note (blank: none).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WorksAbout {
    pub name: Option<String>,
    pub location: Option<String>,
    pub note: Option<String>,
    /// Latitude and longitude (WGS-84 degrees).
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// Validation context over an open transaction.
pub(crate) struct TxContext<'a> {
    pub tx: &'a Connection,
    pub today: NaiveDate,
}

impl Context for TxContext<'_> {
    /// The device knows its local day: nothing after it happened yet.
    fn latest_event_day(&self) -> NaiveDate {
        self.today
    }

    fn unit_level(&self, code: &str) -> Option<Level> {
        self.tx
            .prepare_cached("SELECT level FROM org_unit WHERE code = ?1 AND deleted = 0")
            .and_then(|mut s| s.query_row([code], |r| r.get::<_, String>(0)).optional())
            .ok()
            .flatten()
            .and_then(|l| l.parse().ok())
    }

    fn unit_parent(&self, code: &str) -> Option<String> {
        self.tx
            .prepare_cached("SELECT parent FROM org_unit WHERE code = ?1")
            .and_then(|mut s| {
                s.query_row([code], |r| r.get::<_, Option<String>>(0))
                    .optional()
            })
            .ok()
            .flatten()
            .flatten()
    }

    fn household_unit(&self, id: RowId) -> Option<String> {
        self.tx
            .prepare_cached("SELECT unit FROM row_state WHERE tbl = 'household' AND id = ?1")
            .and_then(|mut s| s.query_row([id.to_string()], |r| r.get(0)).optional())
            .ok()
            .flatten()
    }
}

pub(crate) fn load_row(conn: &Connection, table: Table, id: RowId) -> Result<Option<Row>> {
    let state: Option<(String, String)> = conn
        .prepare_cached("SELECT unit, state FROM row_state WHERE tbl = ?1 AND id = ?2")?
        .query_row((table.code(), id.to_string()), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    state
        .map(|(unit, s)| {
            let fields = serde_json::from_str(&s)
                .map_err(|e| StoreError::Corrupt(format!("row {id}: {e}")))?;
            Ok(Row {
                table,
                id,
                unit,
                fields,
            })
        })
        .transpose()
}

impl Store {
    /// Record one edit: returns the change written, or `Unchanged` if every value is
    /// already stored.
    #[tracing::instrument(skip_all, err)]
    pub fn edit(&mut self, edit: Edit) -> Result<Edited> {
        let device = self.device()?.clone();
        let table = edit
            .table
            .ok_or_else(|| ValidationError::Other("an edit needs a table".into()))?;
        let now_ms = self.corrected_ms();
        let offset = self.time.utc_offset_min();
        let today = self.today();
        let scope = self.write_scope()?;
        let new_id = RowId(self.new_uuid());
        let change_id = ChangeId(self.new_uuid());
        let mut clock = self.clock;
        let tx = self.conn.savepoint()?;
        let row_id = edit.row.unwrap_or(new_id);
        let existing = load_row(&tx, table, row_id)?;
        if edit.row.is_some() && existing.is_none() && edit.unit.is_none() {
            return Err(StoreError::NotFound {
                what: table.code(),
                id: row_id.to_string(),
            });
        }
        let unit = match (&existing, edit.unit) {
            (Some(row), _) => row.unit.clone(),
            (None, Some(u)) => u,
            (None, None) => {
                return Err(ValidationError::Missing {
                    field: "unit".into(),
                }
                .into())
            }
        };
        let mut fields = BTreeMap::new();
        for (name, value) in edit.fields {
            let current = existing.as_ref().and_then(|r| r.fields.get(&name));
            // The losing versions this edit settles: those it names that are still open.
            let saw: Vec<Version> = current
                .map(|c| {
                    c.losers
                        .iter()
                        .filter(|l| edit.saw.contains(&l.at))
                        .map(|l| l.at)
                        .collect()
                })
                .unwrap_or_default();
            if current.is_some_and(|c| c.value == value) && !edit.correction && saw.is_empty() {
                continue;
            }
            let forward = schema::is_forward_only(table, &name);
            let base_epoch = current.map_or(0, |c| c.epoch);
            let epoch = if edit.correction && forward {
                base_epoch + 1
            } else {
                base_epoch
            };
            fields.insert(
                name,
                FieldEdit {
                    value,
                    base: current.map(|c| c.at),
                    saw,
                    epoch,
                },
            );
        }
        if fields.is_empty() {
            return Ok(Edited::Unchanged(row_id));
        }
        // An edit of a record says it stays (`deleted: false`, on the version of that
        // field this device has): an edit and a withdrawal neither saw then disagree on
        // one field, and the merge keeps the loser as a conflict for a leader, whichever
        // wins. Nothing typed disappears behind a withdrawal.
        if let Some(row) = existing.as_ref().filter(|r| !r.deleted()) {
            if !fields.contains_key("deleted") {
                let current = row.fields.get("deleted");
                fields.insert(
                    "deleted".to_string(),
                    FieldEdit {
                        value: Value::Bool(false),
                        base: current.map(|c| c.at),
                        saw: Vec::new(),
                        epoch: current.map_or(0, |c| c.epoch),
                    },
                );
            }
        }
        let change = Change {
            id: change_id,
            table,
            row: row_id,
            unit,
            fields,
            hlc: clock.tick(now_ms),
            device: device.id,
            author: device.author.clone(),
            correction: edit.correction,
        };
        schema::validate_change(&change, existing.as_ref(), &TxContext { tx: &tx, today })?;
        if let Some((scope, tree)) = &scope {
            scope
                .check(&change, existing.as_ref(), tree)
                .map_err(|why| crate::scope::refusal(why, tree))?;
            if existing.is_some() {
                // Who entered it: the author of the row's first change here.
                let first: Option<String> = tx
                    .prepare_cached(
                        "SELECT body FROM change_log WHERE tbl = ?1 AND row_id = ?2
                         ORDER BY seq LIMIT 1",
                    )?
                    .query_row((table.code(), row_id.to_string()), |r| r.get(0))
                    .optional()?;
                let first: Option<Change> = first
                    .map(|b| serde_json::from_str(&b))
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(format!("change of row {row_id}: {e}")))?;
                let creator = first.as_ref().map(|c| c.author.as_str());
                if !tally_core::scope::may_retouch(scope.role, &change.author, creator, &change) {
                    return Err(StoreError::NotTheAuthor {
                        author: creator.unwrap_or_default().to_string(),
                    });
                }
            }
        }
        let merged = merge(existing.as_ref(), &change);
        let written = Written::of(existing.as_ref());
        write_row(&tx, &merged.row, written)?;
        project(&tx, &merged.row, existing.as_ref())?;
        tx.prepare_cached(
            "INSERT INTO change_log (id, tbl, row_id, unit, body, origin, state, recorded_at, utc_offset_min)
             VALUES (?1, ?2, ?3, ?4, ?5, 'local', 'pending', ?6, ?7)",
        )?
        .execute((
            change.id.to_string(),
            table.code(),
            row_id.to_string(),
            &change.unit,
            serde_json::to_string(&change).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            time::utc_rfc3339(now_ms),
            offset,
        ))?;
        tx.prepare_cached("INSERT OR REPLACE INTO meta (key, value) VALUES ('hlc', ?1)")?
            .execute([clock.last.to_string()])?;
        tx.commit()?;
        self.clock = clock;
        Ok(Edited::Changed(change))
    }

    /// Add a household; returns its id.
    pub fn add_household(&mut self, h: &NewHousehold) -> Result<RowId> {
        let mut e = Edit::new(Table::Household)
            .unit(&h.village)
            .set("head", h.head.trim())
            .set("members", h.members.unwrap_or(1))
            .set("categories", &h.categories)
            .set("seepage", h.seepage);
        if let Some(p) = h.phone.as_deref().and_then(crate::household::blank_is_none) {
            e = e.set("phone", p);
        }
        if let Some(n) = h
            .id_number
            .as_deref()
            .and_then(crate::household::id_number_text)
        {
            e = e.set("id_number", n);
        }
        if let Some(r) = h.rating {
            e = e.set("rating", r);
        }
        if let Some(c) = h.cadre.as_deref().and_then(crate::household::blank_is_none) {
            e = e.set("cadre", c);
        }
        for (field, n) in [("pension", h.pension), ("medical", h.medical)] {
            if let Some(n) = n {
                e = e.set(field, n);
            }
        }
        Ok(self.edit(e)?.row())
    }

    /// Move a household's renovation to `status` on `date` (today if `None`). Moving
    /// backwards needs `correction`.
    pub fn set_renovation(
        &mut self,
        household: RowId,
        status: RenovationStatus,
        date: Option<NaiveDate>,
        correction: bool,
    ) -> Result<Edited> {
        let date = date.unwrap_or_else(|| self.today());
        let mut e = Edit::new(Table::Household)
            .row(household)
            .set("renovation", status);
        e.correction = correction;
        let field = match status {
            RenovationStatus::Planned => "planned_on",
            RenovationStatus::Started => "started_on",
            RenovationStatus::Completed => "completed_on",
            RenovationStatus::Accepted => "accepted_on",
        };
        let current = self.row(Table::Household, household)?;
        let missing = |f: &str| current.as_ref().is_none_or(|r| r.value(f).is_none());
        e = e.set(field, date);
        // Reaching a later step implies the earlier ones: date them if undated.
        for (step, f) in [
            (RenovationStatus::Started, "started_on"),
            (RenovationStatus::Completed, "completed_on"),
        ] {
            if status > step && missing(f) {
                e = e.set(f, date);
            }
        }
        self.edit(e)
    }

    /// Record a visit to a household.
    pub fn add_visit(
        &mut self,
        household: RowId,
        date: Option<NaiveDate>,
        note: &str,
    ) -> Result<RowId> {
        let unit = self.household_unit(household)?;
        let date = date.unwrap_or_else(|| self.today());
        let e = Edit::new(Table::Visit)
            .unit(&unit)
            .set("household", household)
            .set("date", date)
            .set("note", note);
        Ok(self.edit(e)?.row())
    }

    /// Record a demolition.
    pub fn add_demolition(
        &mut self,
        village: &str,
        household: Option<RowId>,
        area_m2: Option<f64>,
        date: Option<NaiveDate>,
    ) -> Result<RowId> {
        if let Some(h) = household {
            let unit = self.household_unit(h)?;
            if unit != village {
                return Err(ValidationError::Other(format!(
                    "household {h} belongs to {unit}, not {village}"
                ))
                .into());
            }
        }
        let date = date.unwrap_or_else(|| self.today());
        let e = Edit::new(Table::Demolition)
            .unit(village)
            .set("household", household)
            .set("area_m2", area_m2)
            .set("date", date);
        Ok(self.edit(e)?.row())
    }

    /// Record a cleanup load.
    pub fn add_cleanup(
        &mut self,
        village: &str,
        kind: PileKind,
        tonnes: f64,
        piles: Option<u32>,
        date: Option<NaiveDate>,
    ) -> Result<RowId> {
        let date = date.unwrap_or_else(|| self.today());
        let e = Edit::new(Table::Cleanup)
            .unit(village)
            .set("kind", kind)
            .set("tonnes", tonnes)
            .set("piles", piles.unwrap_or(1))
            .set("date", date);
        Ok(self.edit(e)?.row())
    }

    /// Add a works item (without name, place or note: [`Store::add_works_with`]).
    pub fn add_works(
        &mut self,
        village: &str,
        kind: WorksKind,
        quantity: f64,
        people: Option<u32>,
        status: WorksStatus,
        date: Option<NaiveDate>,
    ) -> Result<RowId> {
        let about = WorksAbout::default();
        self.add_works_with(village, kind, quantity, people, status, date, &about)
    }

    /// Add a works item with its name, place and note.
    #[allow(clippy::too_many_arguments)]
    pub fn add_works_with(
        &mut self,
        village: &str,
        kind: WorksKind,
        quantity: f64,
        people: Option<u32>,
        status: WorksStatus,
        date: Option<NaiveDate>,
        about: &WorksAbout,
    ) -> Result<RowId> {
        let date = date.unwrap_or_else(|| self.today());
        let mut e = Edit::new(Table::Works)
            .unit(village)
            .set("kind", kind)
            .set("quantity", quantity)
            .set("people", people)
            .set("status", status);
        for (field, text) in [
            ("name", &about.name),
            ("location", &about.location),
            ("note", &about.note),
        ] {
            if let Some(t) = text.as_deref().and_then(crate::household::blank_is_none) {
                e = e.set(field, t);
            }
        }
        for (field, x) in [("lat", about.lat), ("lon", about.lon)] {
            if let Some(x) = x {
                e = e.set(field, x);
            }
        }
        for (step, field) in crate::works::STEP_DATES {
            if status >= step {
                e = e.set(field, date);
            }
        }
        Ok(self.edit(e)?.row())
    }

    /// Set the target of a unit for a metric, with no period, pile kind or milestones.
    pub fn set_target(
        &mut self,
        unit: &str,
        metric: Metric,
        quantity: f64,
        deadline: NaiveDate,
    ) -> Result<Edited> {
        self.set_target_plan(&TargetPlan {
            unit: unit.to_string(),
            metric,
            quantity,
            deadline,
            ..TargetPlan::default()
        })
    }

    /// Set (or replace) a target: one row per unit, metric, pile kind and period start,
    /// so each year's target of a unit stands beside the others.
    pub fn set_target_plan(&mut self, t: &TargetPlan) -> Result<Edited> {
        let id = RowId::natural(NaturalKey::Target {
            unit: &t.unit,
            metric: t.metric,
            pile: t.pile,
            from: t.from,
        });
        let mut milestones = t.milestones.clone();
        milestones.sort_by_key(|m| m.date);
        let mut e = Edit::new(Table::Target)
            .row(id)
            .unit(&t.unit)
            .set("metric", t.metric)
            .set("quantity", t.quantity)
            .set("deadline", t.deadline)
            .set("deleted", false);
        // Written only when given, so a plain target keeps the fields it was made with.
        if let Some(p) = t.pile {
            e = e.set("pile", p);
        }
        if let Some(f) = t.from {
            e = e.set("from", f);
        }
        if !milestones.is_empty()
            || self
                .row(Table::Target, id)?
                .is_some_and(|r| r.value("milestones").is_some())
        {
            e = e.set("milestones", &milestones);
        }
        self.edit(e)
    }

    /// Correct a record: write the given fields whose value differs from the stored one
    /// (`None`: leave it), as one change. The record must be there: an unknown id is not
    /// found; a withdrawn one cannot be edited.
    pub fn correct(
        &mut self,
        table: Table,
        id: RowId,
        wanted: &[(&str, Option<Value>)],
    ) -> Result<Edited> {
        let current = self.row(table, id)?.ok_or_else(|| StoreError::NotFound {
            what: table.code(),
            id: id.to_string(),
        })?;
        if current.deleted() {
            return Err(ValidationError::Withdrawn.into());
        }
        let mut edit = Edit::new(table).row(id);
        for (field, value) in wanted {
            let Some(value) = value else { continue };
            if current.value(field).unwrap_or(&Value::Null) != value {
                edit = edit.set(field, value);
            }
        }
        self.edit(edit)
    }

    fn household_unit(&self, household: RowId) -> Result<String> {
        self.row(Table::Household, household)?
            .filter(|r| !r.deleted())
            .map(|r| r.unit)
            .ok_or_else(|| StoreError::NotFound {
                what: "household",
                id: household.to_string(),
            })
    }

    /// The merged state of one row.
    pub fn row(&self, table: Table, id: RowId) -> Result<Option<Row>> {
        load_row(&self.conn, table, id)
    }
}
