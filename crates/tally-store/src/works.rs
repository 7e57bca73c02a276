//! The works use-cases both edges call: the list of a unit's works items, and moving
//! one on (status, quantity, people served) as one change, so it lands whole or not at all.

use crate::{Edit, Edited, Result, Store, StoreError};
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
}

impl WorksUpdate {
    pub fn status(status: WorksStatus, date: Option<NaiveDate>, correction: bool) -> Self {
        WorksUpdate {
            status,
            date,
            correction,
            quantity: None,
            people: None,
        }
    }
}

impl Store {
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
        let current = self
            .row(Table::Works, works)?
            .ok_or_else(|| StoreError::NotFound {
                what: "works",
                id: works.to_string(),
            })?;
        let mut e = Edit::new(Table::Works).row(works).set("status", u.status);
        e.correction = u.correction;
        if u.status >= WorksStatus::Started && current.value("started_on").is_none() {
            e = e.set("started_on", date);
        }
        if u.status >= WorksStatus::Completed && current.value("completed_on").is_none() {
            e = e.set("completed_on", date);
        }
        let figures = [
            ("quantity", u.quantity.map(|q| json!(q))),
            ("people", u.people.map(|p| json!(p))),
        ];
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
