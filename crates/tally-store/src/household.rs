//! The household use-cases both edges (CLI and desktop) call: its page (the household
//! with its visits, renovation steps and demolitions as one timeline) and saving it
//! (blank text is no value, only the fields that differ from the stored row are written).

use crate::{Edited, HouseholdSummary, Result, Store, StoreError};
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::json;
use tally_core::*;

/// A household's page: the household, and its visits, renovation steps and demolitions
/// as one timeline, newest first.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HouseholdDetail {
    pub summary: HouseholdSummary,
    pub timeline: Vec<TimelineItem>,
    /// Why the household was withdrawn, if it was (its page and history stay readable).
    pub withdrawn: Option<String>,
    /// The head of the household it was merged into, if it was a duplicate merged.
    pub merged_into: Option<String>,
}

/// What a timeline item records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "kebab-case")]
pub enum TimelineKind {
    Visit,
    Renovation,
    Demolition,
}

/// One dated event of a household, as data: the UI and the CLI word it. Withdrawn
/// visits and demolitions stay in it, marked, with the reason.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TimelineItem {
    pub date: NaiveDate,
    pub kind: TimelineKind,
    /// The visit or demolition (to correct or withdraw it); none for renovation steps.
    pub id: Option<RowId>,
    /// Why it was withdrawn, if it was.
    pub withdrawn: Option<String>,
    /// The renovation step reached (renovation items).
    pub status: Option<RenovationStatus>,
    /// What the cadre wrote (visits), as typed.
    pub note: Option<String>,
    /// The floor area demolished (demolitions), if known.
    pub area_m2: Option<f64>,
}

impl TimelineItem {
    fn new(date: NaiveDate, kind: TimelineKind) -> TimelineItem {
        TimelineItem {
            date,
            kind,
            id: None,
            withdrawn: None,
            status: None,
            note: None,
            area_m2: None,
        }
    }
}

/// Changes to a household; `None` leaves a field as it is. Blank text (phone, cadre)
/// clears the field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HouseholdChanges {
    pub head: Option<String>,
    pub members: Option<u32>,
    pub phone: Option<String>,
    /// The identity card number (blank: none).
    pub id_number: Option<String>,
    pub categories: Option<Vec<Category>>,
    pub seepage: Option<bool>,
    pub rating: Option<Option<Rating>>,
    pub cadre: Option<String>,
    /// Members with pension insurance (`Some(None)`: no longer recorded).
    pub pension: Option<Option<u32>>,
    /// Members with medical insurance (`Some(None)`: no longer recorded).
    pub medical: Option<Option<u32>>,
}

/// Text as stored: trimmed, and blank is no value.
pub(crate) fn blank_is_none(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

/// An identity card number as stored: trimmed, its check letter upper-case.
pub(crate) fn id_number_text(s: &str) -> Option<String> {
    blank_is_none(s).map(|s| s.to_ascii_uppercase())
}

fn not_found(id: RowId) -> StoreError {
    StoreError::NotFound {
        what: "household",
        id: id.to_string(),
    }
}

impl Store {
    /// Why a record was withdrawn (`None` if it was not).
    fn withdrawn_because(&self, table: Table, id: RowId, deleted: bool) -> Result<Option<String>> {
        if !deleted {
            return Ok(None);
        }
        let reason = self
            .row(table, id)?
            .and_then(|r| r.str("deleted_reason").map(str::to_string));
        // Withdrawn before reasons were kept: still marked.
        Ok(Some(reason.unwrap_or_default()))
    }

    /// The household with its timeline, newest first.
    pub fn household_page(&self, id: RowId) -> Result<HouseholdDetail> {
        let household = self
            .row(Table::Household, id)?
            .as_ref()
            .and_then(Household::from_row)
            .ok_or_else(|| not_found(id))?;
        let withdrawn = self.withdrawn_because(Table::Household, id, household.deleted)?;
        let merged_into = self
            .row(Table::Household, id)?
            .and_then(|r| r.str("merged_into").and_then(|m| m.parse::<RowId>().ok()))
            .and_then(|m| self.row(Table::Household, m).ok().flatten())
            .and_then(|r| r.str("head").map(str::to_string));
        let visits = self.visits_of(id, true)?;
        let mut timeline = Vec::new();
        for v in &visits {
            timeline.push(TimelineItem {
                note: Some(v.note.clone()).filter(|n| !n.is_empty()),
                id: Some(v.id),
                withdrawn: self.withdrawn_because(Table::Visit, v.id, v.deleted)?,
                ..TimelineItem::new(v.date, TimelineKind::Visit)
            });
        }
        let visits: Vec<&Visit> = visits.iter().filter(|v| !v.deleted).collect();
        for (status, date) in [
            (RenovationStatus::Planned, household.planned_on),
            (RenovationStatus::Started, household.started_on),
            (RenovationStatus::Completed, household.completed_on),
            (RenovationStatus::Accepted, household.accepted_on),
        ] {
            if let Some(date) = date {
                timeline.push(TimelineItem {
                    status: Some(status),
                    ..TimelineItem::new(date, TimelineKind::Renovation)
                });
            }
        }
        for d in self
            .rows(Table::Demolition)?
            .iter()
            .filter_map(Demolition::from_row)
            .filter(|d| d.household == Some(id))
        {
            timeline.push(TimelineItem {
                area_m2: d.area_m2,
                id: Some(d.id),
                withdrawn: self.withdrawn_because(Table::Demolition, d.id, d.deleted)?,
                ..TimelineItem::new(d.date, TimelineKind::Demolition)
            });
        }
        // Newest first; on one day visits, then renovation steps in their order.
        timeline.sort_by_key(|item| std::cmp::Reverse(item.date));
        Ok(HouseholdDetail {
            summary: HouseholdSummary {
                unit_name: self.unit(&household.unit).ok().map(|u| u.name),
                last_visit: visits.iter().map(|v| v.date).max(),
                household,
            },
            timeline,
            withdrawn,
            merged_into,
        })
    }

    /// Write the changes to a household that differ from what is stored (a field never
    /// set and one set to nothing are the same); `Unchanged` if none does.
    pub fn edit_household(&mut self, id: RowId, changes: &HouseholdChanges) -> Result<Edited> {
        let c = changes;
        let wanted = [
            ("head", c.head.as_ref().map(|h| json!(h.trim()))),
            ("members", c.members.map(|m| json!(m))),
            ("phone", c.phone.as_ref().map(|p| json!(blank_is_none(p)))),
            (
                "id_number",
                c.id_number.as_ref().map(|n| json!(id_number_text(n))),
            ),
            ("categories", c.categories.as_ref().map(|v| json!(v))),
            ("seepage", c.seepage.map(|s| json!(s))),
            ("rating", c.rating.map(|r| json!(r))),
            ("cadre", c.cadre.as_ref().map(|p| json!(blank_is_none(p)))),
            ("pension", c.pension.map(|n| json!(n))),
            ("medical", c.medical.map(|n| json!(n))),
        ];
        self.correct(Table::Household, id, &wanted)
    }
}
