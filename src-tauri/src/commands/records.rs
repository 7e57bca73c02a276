//! Commands that read and record field data: units, the ledger, households, visits,
//! renovation, demolitions, cleanup loads, works, targets and today's entries. Each one
//! runs its store work on a blocking thread.

use crate::describe::{entry_view, Names};
use crate::dto::*;
use crate::error::{IpcError, IpcResult};
use crate::state::{with_store, AppState};
use chrono::{Days, NaiveDate};
use std::sync::Arc;
use tally_core::*;
use tally_store::{Edit, HouseholdFilter, NewHousehold, Store, StoreError};
use tauri::State;

type AppS<'a> = State<'a, Arc<AppState>>;

#[tauri::command]
pub async fn unit_list(state: AppS<'_>) -> IpcResult<Vec<OrgUnit>> {
    with_store(&state, |s| Ok(s.units()?)).await
}

#[tauri::command]
pub async fn ledger_get(state: AppS<'_>, unit: String) -> IpcResult<LedgerView> {
    with_store(&state, move |s| {
        let ledger = s.ledger(&unit, None)?;
        Ok(LedgerView {
            unit_name: s.unit(&unit)?.name,
            unit: ledger.unit,
            as_of: ledger.as_of,
            rows: ledger
                .rows
                .into_iter()
                .map(|row| LedgerLine {
                    label: tally_export::metric_zh(&row.metric),
                    behind_pace: row.behind_pace(),
                    row,
                })
                .collect(),
        })
    })
    .await
}

fn filter(s: &Store, q: HouseholdQuery) -> IpcResult<HouseholdFilter> {
    let renovation = match q.renovation.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("none") => Some(None),
        Some(code) => {
            Some(Some(code.parse::<RenovationStatus>().map_err(|e| {
                IpcError::invalid("renovation", e, "改造状态不对")
            })?))
        }
    };
    Ok(HouseholdFilter {
        unit: q.unit.filter(|u| !u.is_empty()),
        search: q.search,
        category: q.category,
        rating: q.rating,
        renovation,
        not_visited_since: q
            .not_visited_days
            .map(|d| s.today() - Days::new(u64::from(d))),
        no_cadre: q.no_cadre.unwrap_or(false),
        limit: q.limit.map(|n| n as usize),
    })
}

#[tauri::command]
pub async fn household_list(state: AppS<'_>, query: HouseholdQuery) -> IpcResult<HouseholdPage> {
    with_store(&state, move |s| {
        let started = std::time::Instant::now();
        let f = filter(s, query)?;
        let rows = s.households(&f)?;
        Ok(HouseholdPage {
            rows,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    })
    .await
}

fn not_found(id: RowId) -> IpcError {
    StoreError::NotFound {
        what: "household",
        id: id.to_string(),
    }
    .into()
}

/// The household with its timeline, newest first.
pub fn household_detail(s: &Store, id: RowId) -> IpcResult<HouseholdDetail> {
    let row = s
        .row(Table::Household, id)?
        .filter(|r| !r.deleted())
        .ok_or_else(|| not_found(id))?;
    let household = Household::from_row(&row).ok_or_else(|| not_found(id))?;
    let visits = s.visits(id)?;
    let unit_name = s.unit(&household.unit).ok().map(|u| u.name);
    let mut timeline = Vec::new();
    for v in &visits {
        timeline.push(TimelineItem {
            date: v.date,
            kind: TimelineKind::Visit,
            title: "走访".into(),
            detail: v.note.clone(),
        });
    }
    for (status, date) in [
        (RenovationStatus::Planned, household.planned_on),
        (RenovationStatus::Started, household.started_on),
        (RenovationStatus::Completed, household.completed_on),
        (RenovationStatus::Accepted, household.accepted_on),
    ] {
        if let Some(date) = date {
            timeline.push(TimelineItem {
                date,
                kind: TimelineKind::Renovation,
                title: format!("危房改造：{}", status.zh()),
                detail: String::new(),
            });
        }
    }
    for d in s
        .rows(Table::Demolition)?
        .iter()
        .filter_map(Demolition::from_row)
        .filter(|d| !d.deleted && d.household == Some(id))
    {
        timeline.push(TimelineItem {
            date: d.date,
            kind: TimelineKind::Demolition,
            title: "拆除".into(),
            detail: d.area_m2.map(|a| format!("{a} 平方米")).unwrap_or_default(),
        });
    }
    // Newest first; on one day renovation steps in their order, after visits.
    timeline.sort_by_key(|item| std::cmp::Reverse(item.date));
    let last_visit = visits.iter().map(|v| v.date).max();
    Ok(HouseholdDetail {
        summary: tally_store::HouseholdSummary {
            household,
            unit_name,
            last_visit,
        },
        timeline,
    })
}

#[tauri::command]
pub async fn household_get(state: AppS<'_>, id: RowId) -> IpcResult<HouseholdDetail> {
    with_store(&state, move |s| household_detail(s, id)).await
}

/// Create a household, or write the fields of an existing one that changed.
pub fn save_household(s: &mut Store, h: HouseholdInput) -> IpcResult<RowId> {
    let phone = h
        .phone
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty());
    let cadre = h
        .cadre
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty());
    let Some(id) = h.id else {
        return Ok(s.add_household(&NewHousehold {
            village: h.unit,
            head: h.head,
            members: h.members,
            phone,
            categories: h.categories,
            seepage: h.seepage,
            rating: h.rating,
            cadre,
        })?);
    };
    let current = s.row(Table::Household, id)?.ok_or_else(|| not_found(id))?;
    let wanted = [
        ("head", serde_json::json!(h.head.trim())),
        ("members", serde_json::json!(h.members.unwrap_or(1))),
        ("phone", serde_json::json!(phone)),
        ("categories", serde_json::json!(h.categories)),
        ("seepage", serde_json::json!(h.seepage)),
        ("rating", serde_json::json!(h.rating)),
        ("cadre", serde_json::json!(cadre)),
    ];
    // Only what changed: a field never set and one set to nothing are the same.
    let mut edit = Edit::new(Table::Household).row(id);
    for (field, value) in wanted {
        if current.value(field).unwrap_or(&serde_json::Value::Null) != &value {
            edit = edit.set(field, value);
        }
    }
    if edit.fields.is_empty() {
        return Ok(id);
    }
    match s.edit(edit) {
        Ok(_) | Err(StoreError::NoChange) => Ok(id),
        Err(e) => Err(e.into()),
    }
}

#[tauri::command]
pub async fn household_save(state: AppS<'_>, input: HouseholdInput) -> IpcResult<RowId> {
    with_store(&state, move |s| save_household(s, input)).await
}

#[tauri::command]
pub async fn visit_save(state: AppS<'_>, input: VisitInput) -> IpcResult<RowId> {
    with_store(&state, move |s| {
        Ok(s.add_visit(input.household, input.date, input.note.trim())?)
    })
    .await
}

#[tauri::command]
pub async fn renovation_save(state: AppS<'_>, input: RenovationInput) -> IpcResult<()> {
    with_store(&state, move |s| {
        s.set_renovation(input.household, input.status, input.date, input.correction)?;
        Ok(())
    })
    .await
}

#[tauri::command]
pub async fn demolition_save(state: AppS<'_>, input: DemolitionInput) -> IpcResult<RowId> {
    with_store(&state, move |s| {
        Ok(s.add_demolition(&input.unit, input.household, input.area_m2, input.date)?)
    })
    .await
}

#[tauri::command]
pub async fn cleanup_save(state: AppS<'_>, input: CleanupInput) -> IpcResult<RowId> {
    with_store(&state, move |s| {
        Ok(s.add_cleanup(
            &input.unit,
            input.kind,
            input.tonnes,
            input.piles,
            input.date,
        )?)
    })
    .await
}

#[tauri::command]
pub async fn works_list(state: AppS<'_>, unit: Option<String>) -> IpcResult<Vec<Works>> {
    with_store(&state, move |s| {
        let scope = match &unit {
            Some(u) => Some(s.subtree(u)?),
            None => None,
        };
        let mut works: Vec<Works> = s
            .rows(Table::Works)?
            .iter()
            .filter_map(Works::from_row)
            .filter(|w| !w.deleted && scope.as_ref().is_none_or(|sc| sc.contains(&w.unit)))
            .collect();
        works.sort_by(|a, b| (&a.unit, a.kind).cmp(&(&b.unit, b.kind)));
        Ok(works)
    })
    .await
}

#[tauri::command]
pub async fn works_save(state: AppS<'_>, input: WorksInput) -> IpcResult<RowId> {
    with_store(&state, move |s| match input.id {
        None => Ok(s.add_works(
            &input.unit,
            input.kind,
            input.quantity,
            input.people,
            input.status,
            input.date,
        )?),
        Some(id) => {
            match s.set_works_status(id, input.status, input.date, false) {
                Ok(_) | Err(StoreError::NoChange) => {}
                Err(e) => return Err(e.into()),
            }
            let edit = Edit::new(Table::Works)
                .row(id)
                .set("quantity", input.quantity)
                .set("people", input.people);
            match s.edit(edit) {
                Ok(_) | Err(StoreError::NoChange) => Ok(id),
                Err(e) => Err(e.into()),
            }
        }
    })
    .await
}

#[tauri::command]
pub async fn target_save(state: AppS<'_>, input: TargetInput) -> IpcResult<()> {
    with_store(&state, move |s| {
        match s.set_target(&input.unit, input.metric, input.quantity, input.deadline) {
            Ok(_) | Err(StoreError::NoChange) => Ok(()),
            Err(e) => Err(e.into()),
        }
    })
    .await
}

/// The entries recorded on this device on a day (today if none), newest first.
#[tauri::command]
pub async fn entry_list(state: AppS<'_>, day: Option<NaiveDate>) -> IpcResult<Vec<EntryView>> {
    with_store(&state, move |s| {
        let day = day.unwrap_or_else(|| s.today());
        let names = Names::new(s);
        Ok(s.outbox_on(day)?
            .into_iter()
            .filter(|e| e.change.table != Table::OrgUnit)
            .map(|e| entry_view(e, &names))
            .collect())
    })
    .await
}
