//! The works use-cases both edges call: the list of a unit's works items, moving one on
//! (status, quantity, people served) as one change, so it lands whole or not at all, and
//! its progress entries (appended, each its own field: `tally_core::Progress`).

use crate::{Edit, Edited, Result, Store, StoreError, WorksAbout};
use chrono::NaiveDate;
use serde_json::{json, Value};
use tally_core::*;

/// A new status of a works item and, optionally, new figures.
#[derive(Clone, Debug, PartialEq)]
pub struct WorksUpdate {
    pub status: WorksStatus,
    /// The day the status was reached (today if `None`).
    pub date: Option<NaiveDate>,
    /// A leader's correction: the status may move backwards.
    pub correction: bool,
    pub quantity: Option<f64>,
    /// `Some(None)` clears the people served.
    pub people: Option<Option<u32>>,
    /// New name, place, map position and note (each as given: blank or `None` clears it).
    pub about: Option<WorksAbout>,
}

impl WorksUpdate {
    pub fn status(status: WorksStatus, date: Option<NaiveDate>, correction: bool) -> Self {
        WorksUpdate {
            status,
            date,
            correction,
            quantity: None,
            people: None,
            about: None,
        }
    }
}

/// The day each status is reached is kept in: reaching a status dates it and every
/// earlier one not dated yet.
pub(crate) const STEP_DATES: [(WorksStatus, &str); 3] = [
    (WorksStatus::Started, "started_on"),
    (WorksStatus::Completed, "completed_on"),
    (WorksStatus::Accepted, "accepted_on"),
];

/// New figures of a progress entry (`None`: unchanged).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProgressChanges {
    pub quantity: Option<f64>,
    pub date: Option<NaiveDate>,
    pub note: Option<String>,
}

/// A progress entry to append: on a day (today if `None`), this much more was done.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewProgress {
    pub quantity: f64,
    pub date: Option<NaiveDate>,
    pub note: Option<String>,
}

impl Store {
    /// Append a progress entry to a works item (a planned item starts with it, on the
    /// entry's day); returns the entry's id.
    pub fn add_progress(&mut self, works: RowId, p: &NewProgress) -> Result<uuid::Uuid> {
        let date = p.date.unwrap_or_else(|| self.today());
        let current = self.live_works(works)?;
        let entry = self.new_uuid();
        let mut value = json!({"date": date, "quantity": p.quantity});
        if let Some(note) = p.note.as_deref().and_then(crate::household::blank_is_none) {
            value["note"] = json!(note);
        }
        let mut e = Edit::new(Table::Works)
            .row(works)
            .set(&tally_core::schema::progress_field(entry), value);
        if current.parsed::<WorksStatus>("status") == Some(WorksStatus::Planned) {
            e = e.set("status", WorksStatus::Started);
        }
        if current.value("started_on").is_none() {
            e = e.set("started_on", date);
        }
        self.edit(e)?;
        Ok(entry)
    }

    /// Correct a progress entry: its quantity, day or note (`None`: leave it; a blank
    /// note clears it). A withdrawn entry, or one of a withdrawn item, cannot be edited.
    pub fn correct_progress(&mut self, entry: uuid::Uuid, p: &ProgressChanges) -> Result<Edited> {
        let field = tally_core::schema::progress_field(entry);
        let works = self
            .works_with_entry(&field)?
            .ok_or_else(|| StoreError::NotFound {
                what: "progress entry",
                id: entry.to_string(),
            })?;
        let current = self.live_works(works)?;
        let mut value = current.value(&field).cloned().unwrap_or(Value::Null);
        if value.get("withdrawn").is_some_and(|w| !w.is_null()) {
            return Err(ValidationError::Withdrawn.into());
        }
        let was = value.clone();
        if let Some(q) = p.quantity {
            value["quantity"] = json!(q);
        }
        if let Some(d) = p.date {
            value["date"] = json!(d);
        }
        if let Some(note) = &p.note {
            match crate::household::blank_is_none(note) {
                Some(n) => value["note"] = json!(n),
                None => {
                    if let Some(o) = value.as_object_mut() {
                        o.remove("note");
                    }
                }
            }
        }
        if value == was {
            return Ok(Edited::Unchanged(works));
        }
        self.edit(Edit::new(Table::Works).row(works).set(&field, value))
    }

    /// A works item that is there (not withdrawn), as stored.
    fn live_works(&self, works: RowId) -> Result<Row> {
        let row = self
            .row(Table::Works, works)?
            .ok_or_else(|| StoreError::NotFound {
                what: "works",
                id: works.to_string(),
            })?;
        if row.deleted() {
            return Err(ValidationError::Withdrawn.into());
        }
        Ok(row)
    }

    /// The works items of a unit's subtree (all if `None`), by unit and kind.
    pub fn works(&self, unit: Option<&str>) -> Result<Vec<Works>> {
        let scope = unit.map(|u| self.subtree(u)).transpose()?;
        let mut works: Vec<Works> = self
            .rows(Table::Works)?
            .iter()
            .filter_map(Works::from_row)
            .filter(|w| !w.deleted && scope.as_ref().is_none_or(|sc| sc.contains(&w.unit)))
            .collect();
        works.sort_by(|a, b| (&a.unit, a.kind).cmp(&(&b.unit, b.kind)));
        Ok(works)
    }

    /// Move a works item to a status (dating the steps reached, today if no date) and
    /// write the figures that differ from the stored ones, as one change.
    pub fn update_works(&mut self, works: RowId, u: &WorksUpdate) -> Result<Edited> {
        let date = u.date.unwrap_or_else(|| self.today());
        let current = self.live_works(works)?;
        let mut e = Edit::new(Table::Works).row(works).set("status", u.status);
        e.correction = u.correction;
        for (step, field) in STEP_DATES {
            if u.status >= step && current.value(field).is_none() {
                e = e.set(field, date);
            }
        }
        let mut figures = vec![
            ("quantity", u.quantity.map(|q| json!(q))),
            ("people", u.people.map(|p| json!(p))),
        ];
        if let Some(a) = &u.about {
            let text =
                |t: &Option<String>| json!(t.as_deref().and_then(crate::household::blank_is_none));
            figures.extend([
                ("name", Some(text(&a.name))),
                ("location", Some(text(&a.location))),
                ("note", Some(text(&a.note))),
                ("lat", Some(json!(a.lat))),
                ("lon", Some(json!(a.lon))),
            ]);
        }
        for (field, value) in figures {
            let Some(value) = value else { continue };
            if current.value(field).unwrap_or(&Value::Null) != &value {
                e = e.set(field, value);
            }
        }
        self.edit(e)
    }

    /// Move a works item to a status (dated today if `None`).
    pub fn set_works_status(
        &mut self,
        works: RowId,
        status: WorksStatus,
        date: Option<NaiveDate>,
        correction: bool,
    ) -> Result<Edited> {
        self.update_works(works, &WorksUpdate::status(status, date, correction))
    }
}
