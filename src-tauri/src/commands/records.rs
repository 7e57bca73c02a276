//! Commands that read and record field data: units, the ledger, households, visits,
//! renovation, demolitions, cleanup loads, works, targets and today's entries. Each one
//! runs its store work on a blocking thread.

use crate::describe::{entry_view, Names};
use crate::dto::*;
use crate::error::{IpcError, IpcResult};
use crate::state::{with_store, AppState};
use crate::typed::Typed;
use chrono::{Days, NaiveDate};
use std::sync::Arc;
use tally_core::*;
use tally_store::{HouseholdDetail, HouseholdFilter, NewProgress, Store, WorksAbout, WorksUpdate};
use tauri::State;

type AppS<'a> = State<'a, Arc<AppState>>;

#[tauri::command]
pub async fn unit_list(state: AppS<'_>) -> IpcResult<Vec<UnitView>> {
    with_store(&state, |s| {
        let scope = s.write_scope()?;
        Ok(s.units()?
            .into_iter()
            .map(|unit| UnitView {
                writable: scope
                    .as_ref()
                    .is_none_or(|(sc, _)| sc.can_write(&unit.code)),
                unit,
            })
            .collect())
    })
    .await
}

/// Set or clear a village's flag (沿黄渗漏区, 重点村); the unit as it now stands.
#[tauri::command]
pub async fn unit_flag(
    state: AppS<'_>,
    code: String,
    flag: VillageFlag,
    on: bool,
) -> IpcResult<OrgUnit> {
    with_store(&state, move |s| {
        s.flag_village(&code, flag, on)?;
        Ok(s.unit(&code)?)
    })
    .await
}

#[tauri::command]
pub async fn ledger_get(
    state: AppS<'_>,
    unit: String,
    only: Option<VillageFlag>,
) -> IpcResult<LedgerView> {
    with_store(&state, move |s| {
        let ledger = s.ledger_of(&unit, None, only)?;
        Ok(LedgerView {
            unit_name: s.unit(&unit)?.name,
            unit: ledger.unit,
            as_of: ledger.as_of,
            only: ledger.only,
            groups: ledger.groups,
            rows: ledger
                .rows
                .into_iter()
                .map(|row| LedgerLine {
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
        Some(code) => Some(Some(code.parse::<RenovationStatus>().map_err(|_| {
            IpcError::from(tally_store::StoreError::Invalid(ValidationError::Value {
                field: "renovation".into(),
                value: code.into(),
                why: Invalid::Code {
                    allowed: RenovationStatus::codes(),
                },
            }))
        })?)),
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

#[tauri::command]
pub async fn household_get(state: AppS<'_>, id: RowId) -> IpcResult<HouseholdDetail> {
    with_store(&state, move |s| Ok(s.household_page(id)?)).await
}

/// Create a household, or write the fields of an existing one that changed.
pub fn save_household(s: &mut Store, h: HouseholdInput) -> IpcResult<RowId> {
    let typed = form(s, Table::Household, None, h.confirmed);
    let n = HouseholdNumbers {
        members: typed.count("members", &h.members)?,
        pension: typed.count("pension", &h.pension)?,
        medical: typed.count("medical", &h.medical)?,
    };
    Ok(match h.id {
        None => s.add_household(&h.into_new(n))?,
        Some(id) => s.edit_household(id, &h.changes(n))?.row(),
    })
}

/// The reader of a form's typed numbers, on this device's day.
fn form<'a>(s: &Store, table: Table, kind: Option<&'a str>, confirmed: bool) -> Typed<'a> {
    Typed {
        table,
        kind,
        confirmed,
        today: s.today(),
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
        let area =
            form(s, Table::Demolition, None, input.confirmed).number("area_m2", &input.area_m2)?;
        Ok(s.add_demolition(&input.unit, input.household, area, input.date)?)
    })
    .await
}

#[tauri::command]
pub async fn cleanup_save(state: AppS<'_>, input: CleanupInput) -> IpcResult<SavedLoad> {
    with_store(&state, move |s| {
        let typed = form(s, Table::Cleanup, None, input.confirmed);
        let tonnes = typed.required("tonnes", &input.tonnes)?;
        let piles = typed.count("piles", &input.piles)?;
        let id = s.add_cleanup(&input.unit, input.kind, tonnes, piles, input.date)?;
        Ok(SavedLoad { id, tonnes })
    })
    .await
}

#[tauri::command]
pub async fn works_list(state: AppS<'_>, unit: Option<String>) -> IpcResult<Vec<WorksItem>> {
    with_store(&state, move |s| {
        Ok(s.works(unit.as_deref())?
            .into_iter()
            .map(|works| WorksItem {
                done: works.done(),
                works,
            })
            .collect())
    })
    .await
}

/// Append a progress entry to a works item; returns the entry's id.
#[tauri::command]
pub async fn works_progress(state: AppS<'_>, input: ProgressInput) -> IpcResult<String> {
    with_store(&state, move |s| {
        let kind = s
            .row(Table::Works, input.works)?
            .and_then(|r| r.str("kind").map(str::to_string));
        let quantity = form(s, Table::Works, kind.as_deref(), input.confirmed)
            .required("quantity", &input.quantity)?;
        let p = NewProgress {
            quantity,
            date: input.date,
            note: Some(input.note),
        };
        Ok(s.add_progress(input.works, &p)?.to_string())
    })
    .await
}

/// Add a works item, or move one on (status and figures as one change).
pub fn save_works(s: &mut Store, w: WorksInput) -> IpcResult<RowId> {
    let typed = form(s, Table::Works, Some(w.kind.code()), w.confirmed);
    let quantity = typed.required("quantity", &w.quantity)?;
    let people = typed.count("people", &w.people)?;
    let about = WorksAbout {
        name: Some(w.name.clone()),
        location: Some(w.location.clone()),
        note: Some(w.note.clone()),
        lat: typed.number("lat", &w.lat)?,
        lon: typed.number("lon", &w.lon)?,
    };
    Ok(match w.id {
        None => s.add_works_with(&w.unit, w.kind, quantity, people, w.status, w.date, &about)?,
        Some(id) => {
            let update = WorksUpdate {
                quantity: Some(quantity),
                people: Some(people),
                about: Some(about),
                ..WorksUpdate::status(w.status, w.date, w.correction)
            };
            s.update_works(id, &update)?.row()
        }
    })
}

#[tauri::command]
pub async fn works_save(state: AppS<'_>, input: WorksInput) -> IpcResult<RowId> {
    with_store(&state, move |s| save_works(s, input)).await
}

#[tauri::command]
pub async fn target_save(state: AppS<'_>, input: TargetInput) -> IpcResult<()> {
    with_store(&state, move |s| {
        // A target is a plan, not a field entry: no usual size to confirm.
        let typed = form(s, Table::Target, Some(input.metric.code()), true);
        let quantity = typed.required("quantity", &input.quantity)?;
        let missing = |field: &str| {
            IpcError::from(tally_store::StoreError::Invalid(ValidationError::Missing {
                field: field.into(),
            }))
        };
        let deadline = input.deadline.ok_or_else(|| missing("deadline"))?;
        let mut milestones = Vec::with_capacity(input.milestones.len());
        for m in &input.milestones {
            // Said beside the milestones, whichever part of one is wrong.
            let quantity = typed.required("quantity", &m.quantity).map_err(|mut e| {
                e.field = Some("milestones".into());
                e
            })?;
            let date = m.date.ok_or_else(|| missing("milestones"))?;
            milestones.push(Milestone { date, quantity });
        }
        let plan = tally_store::TargetPlan {
            unit: input.unit,
            metric: input.metric,
            pile: input.pile,
            quantity,
            deadline,
            from: input.from,
            milestones,
        };
        s.set_target_plan(&plan)?;
        Ok(())
    })
    .await
}

/// Whether an entry's record (or its progress entry) is withdrawn now.
pub(crate) fn withdrawn(s: &Store, e: &EntryView) -> IpcResult<bool> {
    let Some(row) = s.row(e.table, e.row)? else {
        return Ok(false);
    };
    Ok(match &e.summary {
        EntrySummary::Progress { entry, .. } => {
            let field = uuid::Uuid::parse_str(entry).map(schema::progress_field);
            field
                .ok()
                .and_then(|f| row.value(&f).cloned())
                .is_some_and(|v| v.get("withdrawn").is_some_and(|w| !w.is_null()))
        }
        _ => row.deleted(),
    })
}

/// Withdraw a record or a works item's progress entry, saying why.
#[tauri::command]
pub async fn record_withdraw(
    state: AppS<'_>,
    id: String,
    reason: String,
) -> IpcResult<tally_store::Withdrawal> {
    with_store(&state, move |s| {
        let id = uuid::Uuid::parse_str(id.trim()).map_err(|_| {
            IpcError::from(tally_store::StoreError::NotFound {
                what: "record",
                id: id.clone(),
            })
        })?;
        Ok(s.withdraw_record(id, &reason)?)
    })
    .await
}

/// Correct an entry — a visit, cleanup load, demolition or a works item's progress entry —
/// from what was typed in its fields (numbers read by the field's type and range, dates
/// and codes as given, blank clearing an optional field). Only the fields given change.
#[tauri::command]
pub async fn record_correct(state: AppS<'_>, input: CorrectInput) -> IpcResult<()> {
    with_store(&state, move |s| correct_record(s, &input)).await
}

/// `record_correct` on a store.
pub fn correct_record(s: &mut Store, input: &CorrectInput) -> IpcResult<()> {
    {
        let id = uuid::Uuid::parse_str(input.id.trim()).map_err(|_| {
            IpcError::from(tally_store::StoreError::NotFound {
                what: "record",
                id: input.id.clone(),
            })
        })?;
        let Some(table) = s.table_of(id)? else {
            return correct_progress(s, id, input);
        };
        let kind = s
            .row(table, RowId(id))?
            .and_then(|r| r.str("kind").map(str::to_string));
        let typed = form(s, table, kind.as_deref(), input.confirmed);
        let mut wanted: Vec<(&str, Option<serde_json::Value>)> = Vec::new();
        for (name, text) in &input.fields {
            let spec = schema::field(table, name).ok_or_else(|| {
                IpcError::from(tally_store::StoreError::Invalid(
                    ValidationError::UnknownField {
                        table: table.code(),
                        field: name.clone(),
                    },
                ))
            })?;
            wanted.push((spec.name, Some(typed.value(spec, text)?)));
        }
        s.correct(table, RowId(id), &wanted)?;
        Ok(())
    }
}

/// A progress entry's correction (quantity, date, note).
fn correct_progress(s: &mut Store, entry: uuid::Uuid, input: &CorrectInput) -> IpcResult<()> {
    let typed = form(s, Table::Works, None, input.confirmed);
    let mut p = tally_store::ProgressChanges::default();
    for (name, text) in &input.fields {
        match name.as_str() {
            "quantity" => p.quantity = Some(typed.required("quantity", text)?),
            "date" => p.date = typed.date("date", text)?,
            "note" => p.note = Some(text.trim().to_string()),
            other => {
                return Err(
                    tally_store::StoreError::Invalid(ValidationError::UnknownField {
                        table: "progress",
                        field: other.to_string(),
                    })
                    .into(),
                )
            }
        }
    }
    s.correct_progress(entry, &p)?;
    Ok(())
}

/// Withdraw a target (leaders), with the reason: the ledger stops counting it.
#[tauri::command]
pub async fn target_withdraw(state: AppS<'_>, key: TargetKey, reason: String) -> IpcResult<()> {
    with_store(&state, move |s| {
        let id = RowId::natural(NaturalKey::Target {
            unit: &key.unit,
            metric: key.metric,
            pile: key.pile,
            from: key.from,
        });
        s.withdraw_record(id.0, &reason)?;
        Ok(())
    })
    .await
}

/// Withdraw the last entry made on this device (`None`: nothing left to undo).
#[tauri::command]
pub async fn record_undo(state: AppS<'_>) -> IpcResult<Option<tally_store::Withdrawal>> {
    with_store(&state, |s| Ok(s.undo()?)).await
}

/// The entries recorded on this device on a day (today if none), newest first.
#[tauri::command]
pub async fn entry_list(state: AppS<'_>, day: Option<NaiveDate>) -> IpcResult<Vec<EntryView>> {
    with_store(&state, move |s| {
        let day = day.unwrap_or_else(|| s.today());
        let names = Names::new(s);
        let mut out = Vec::new();
        for e in s.outbox_on(day)? {
            if e.change.table == Table::OrgUnit {
                continue;
            }
            let mut view = entry_view(e, &names);
            view.withdrawn = withdrawn(s, &view)?;
            out.push(view);
        }
        Ok(out)
    })
    .await
}

/// A roster (花名册) of households, the bytes of an .xlsx workbook or a CSV file the person
/// chose: imported whole, or its problems listed line by line with nothing imported.
#[tauri::command]
pub async fn roster_import(state: AppS<'_>, bytes: Vec<u8>) -> IpcResult<RosterOutcome> {
    with_store(&state, move |s| match s.import_roster(&bytes) {
        Ok(done) => Ok(RosterOutcome {
            imported: Some(done),
            problems: Vec::new(),
        }),
        Err(tally_store::RosterError::Lines(problems)) => Ok(RosterOutcome {
            imported: None,
            problems,
        }),
        Err(tally_store::RosterError::File { zh, en }) => {
            Err(IpcError::new(crate::error::ErrorKind::Invalid, en, zh))
        }
        Err(tally_store::RosterError::Store(e)) => Err(e.into()),
    })
    .await
}

/// Likely duplicate households within a unit (all when none).
#[tauri::command]
pub async fn household_duplicates(
    state: AppS<'_>,
    unit: Option<String>,
) -> IpcResult<Vec<tally_store::DuplicateGroup>> {
    with_store(
        &state,
        move |s| Ok(s.duplicate_households(unit.as_deref())?),
    )
    .await
}

/// Merge a duplicate household into the one kept.
#[tauri::command]
pub async fn household_merge(
    state: AppS<'_>,
    keep: RowId,
    duplicate: RowId,
) -> IpcResult<tally_store::MergeResult> {
    with_store(&state, move |s| Ok(s.merge_households(keep, duplicate)?)).await
}
