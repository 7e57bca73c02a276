//! The decision on each pushed change, shared by both storage backends: given what the
//! transaction loaded (known change ids, current rows, the org-unit tree), decide per
//! change replay / store / reject, and merge the stored ones with the same
//! `tally_core::merge` the devices run. Pure: the backend does the reading and writing.

use crate::scope::{OutOfScope, Scope, UnitInfo, UnitTree};
use chrono::{DateTime, NaiveDate};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use tally_core::ledger::DaySums;
use tally_core::schema::{validate_change, Context};
use tally_core::Explain;
use tally_core::Role;
use tally_core::{merge, Change, ChangeId, DeviceId, Level, OrgUnit, Row, RowId, Table, Version};
use tally_protocol::{codes, PushResult, Rejection, MAX_CLOCK_AHEAD_MS};

/// Who is pushing: the token's device and user.
#[derive(Clone, Debug)]
pub struct Author {
    pub device: DeviceId,
    pub user: String,
    pub role: Role,
    /// The assigned org-unit codes.
    pub units: Vec<String>,
}

/// What the transaction read before deciding.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// The batch's change ids that are already stored: their seq and the change as
    /// stored (a replay must be the same change).
    pub known: HashMap<ChangeId, (i64, Change)>,
    /// The stored changes that hold the batch's versions (HLC + device), by version: a
    /// version belongs to one change id (the database's unique index says so too).
    pub versions: HashMap<Version, ChangeId>,
    /// Current state of the batch's rows.
    pub rows: HashMap<RowId, Row>,
    /// Who entered each of the batch's existing rows (the author of its first change).
    pub creators: HashMap<RowId, String>,
    /// Shared with the backend's cache; copied only if the batch changes it.
    pub tree: Arc<UnitTree>,
}

/// The decision on one change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Stored by an earlier push: answer with its seq.
    Replay(i64),
    /// The same change id appeared earlier in this batch and is stored there.
    SameAs(usize),
    /// Store it (seq assigned by the backend).
    Store,
    Reject {
        code: String,
        reason: String,
        reason_zh: String,
    },
}

/// The decisions on a batch and what storing them writes.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub outcomes: Vec<Outcome>,
    /// The final merged state of every row a stored change touched.
    pub rows: BTreeMap<RowId, Row>,
    /// The org units stored changes created or edited.
    pub units: Vec<UnitInfo>,
    /// Rows that did not exist before this batch (nothing of theirs to clear).
    pub fresh: BTreeSet<RowId>,
    /// What the stored changes add to the ledger's per-day sums.
    pub sums: DaySums,
}

impl Plan {
    /// Nothing to write.
    pub fn stores_nothing(&self) -> bool {
        !self.outcomes.contains(&Outcome::Store)
    }

    /// Every change is out of the author's scope (and there is at least one).
    pub fn all_out_of_scope(&self) -> bool {
        !self.outcomes.is_empty()
            && self
                .outcomes
                .iter()
                .all(|o| matches!(o, Outcome::Reject { code, .. } if code == codes::OUT_OF_SCOPE))
    }

    pub fn any_rejected(&self) -> bool {
        self.outcomes
            .iter()
            .any(|o| matches!(o, Outcome::Reject { .. }))
    }

    /// The answers, given the seqs the backend assigned to the `Store` outcomes in order.
    pub fn results(&self, changes: &[Change], stored_seqs: &[i64]) -> Vec<PushResult> {
        let mut seqs = stored_seqs.iter();
        let mut by_index: Vec<Option<i64>> = Vec::with_capacity(changes.len());
        let mut out = Vec::with_capacity(changes.len());
        for (change, outcome) in changes.iter().zip(&self.outcomes) {
            let change_id = change.id;
            let seq = match outcome {
                Outcome::Replay(seq) => Some(*seq),
                Outcome::SameAs(i) => by_index.get(*i).copied().flatten(),
                Outcome::Store => seqs.next().copied(),
                Outcome::Reject { .. } => None,
            };
            by_index.push(seq);
            out.push(match (outcome, seq) {
                (
                    Outcome::Reject {
                        code,
                        reason,
                        reason_zh,
                    },
                    _,
                ) => PushResult::Rejected {
                    change_id,
                    code: code.clone(),
                    reason: reason.clone(),
                    reason_zh: reason_zh.clone(),
                },
                (_, Some(seq)) => PushResult::Accepted { change_id, seq },
                (_, None) => Rejection::BatchRejected.result(change_id),
            });
        }
        out
    }
}

/// Validation context on the server: today from the server clock (UTC date; event dates
/// up to one day ahead are allowed, which covers China's UTC+8), unit levels
/// from the server's tree (deleted units unknown, as on the devices).
struct ServerContext<'a> {
    today: NaiveDate,
    tree: &'a UnitTree,
    /// The batch's rows and the rows its changes reference, as loaded and merged so far.
    rows: &'a HashMap<RowId, Row>,
}

impl Context for ServerContext<'_> {
    fn latest_event_day(&self) -> NaiveDate {
        self.today
            .checked_add_days(chrono::Days::new(1))
            .unwrap_or(self.today)
    }
    fn unit_level(&self, code: &str) -> Option<Level> {
        self.tree.live_level(code)
    }
    fn unit_parent(&self, code: &str) -> Option<String> {
        self.tree.get(code).and_then(|u| u.parent.clone())
    }
    fn household_unit(&self, id: RowId) -> Option<String> {
        self.rows
            .get(&id)
            .filter(|r| r.table == Table::Household)
            .map(|r| r.unit.clone())
    }
}

fn today(now_ms: u64) -> NaiveDate {
    let ms = i64::try_from(now_ms).unwrap_or(i64::MAX);
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.date_naive())
        .unwrap_or_default()
}

fn reject(why: Rejection) -> Outcome {
    Outcome::Reject {
        code: why.code().to_string(),
        reason: why.en(),
        reason_zh: why.zh(),
    }
}

fn out_of_scope(unit: &str) -> Outcome {
    reject(Rejection::OutOfScope { unit: unit.into() })
}

/// Decide on every change of a batch, in order; later changes see earlier ones merged.
pub fn plan(changes: &[Change], who: &Author, loaded: &mut Loaded, now_ms: u64) -> Plan {
    let mut plan = Plan::default();
    let mut scope = Scope::of(who.role, &who.units, &loaded.tree);
    let mut stored_at: HashMap<ChangeId, usize> = HashMap::new();
    let today = today(now_ms);
    for (i, change) in changes.iter().enumerate() {
        // A repeat is answered only to the device that made the change (anyone else is
        // told what any such change would be told: it is not theirs), and only when it
        // is the same change: other content under a known id is refused, never dropped.
        if let Some((seq, stored)) = loaded.known.get(&change.id) {
            if stored.device == who.device {
                plan.outcomes.push(if stored == change {
                    Outcome::Replay(*seq)
                } else {
                    reject(Rejection::ReplayMismatch { id: change.id })
                });
                continue;
            }
        }
        if let Some(&first) = stored_at.get(&change.id) {
            plan.outcomes.push(if &changes[first] == change {
                Outcome::SameAs(first)
            } else {
                reject(Rejection::ReplayMismatch { id: change.id })
            });
            continue;
        }
        let existing = loaded.rows.get(&change.row);
        // Another change (stored, or earlier in this batch) holding this version: the
        // row alone cannot tell, once that change's value was superseded and pruned.
        let taken = loaded
            .versions
            .get(&change.version())
            .is_some_and(|holder| *holder != change.id);
        let outcome = match decide(change, existing, who, &scope, loaded, today, now_ms) {
            Outcome::Store if taken => reject(Rejection::VersionTaken {
                hlc: change.hlc,
                device: change.device,
            }),
            outcome => outcome,
        };
        if outcome == Outcome::Store {
            let merged = merge(existing, change);
            plan.sums.write(existing, &merged.row);
            if change.table == Table::OrgUnit {
                if let Some(unit) = OrgUnit::from_row(&merged.row) {
                    let info = UnitInfo::of(unit, merged.row.deleted());
                    Arc::make_mut(&mut loaded.tree).insert(info.clone());
                    plan.units.retain(|u| u.code != info.code);
                    plan.units.push(info);
                    scope = Scope::of(who.role, &who.units, &loaded.tree);
                }
            }
            if existing.is_none() {
                plan.fresh.insert(change.row);
                loaded.creators.insert(change.row, who.user.clone());
            }
            plan.rows.insert(change.row, merged.row.clone());
            loaded.rows.insert(change.row, merged.row);
            stored_at.insert(change.id, i);
            loaded.versions.insert(change.version(), change.id);
        }
        plan.outcomes.push(outcome);
    }
    plan
}

fn decide(
    change: &Change,
    existing: Option<&Row>,
    who: &Author,
    scope: &Scope,
    loaded: &Loaded,
    today: NaiveDate,
    now_ms: u64,
) -> Outcome {
    let tree = &loaded.tree;
    if let Err(o) = check_scope(change, existing, scope, tree) {
        return o;
    }
    if let Some(row) = existing.filter(|r| r.table != change.table) {
        return reject(Rejection::TableMismatch {
            row: row.id,
            is: row.table,
            edited_as: change.table,
        });
    }
    let ctx = ServerContext {
        today,
        tree,
        rows: &loaded.rows,
    };
    if let Err(e) = validate_change(change, existing, &ctx) {
        return reject(Rejection::Invalid(e));
    }
    if change.device != who.device {
        return reject(Rejection::WrongDevice {
            made_on: change.device,
            pushing: who.device,
        });
    }
    if change.hlc.ms > now_ms.saturating_add(MAX_CLOCK_AHEAD_MS) {
        return reject(Rejection::ClockAhead {
            ahead_s: (change.hlc.ms - now_ms) / 1000,
        });
    }
    if !change.hlc.is_sane() {
        return reject(Rejection::BadClock { hlc: change.hlc });
    }
    if tally_core::version_taken(existing, change) {
        return reject(Rejection::VersionTaken {
            hlc: change.hlc,
            device: change.device,
        });
    }
    if change.author != who.user {
        return reject(Rejection::WrongAuthor {
            claimed: change.author.clone(),
            account: who.user.clone(),
        });
    }
    if change.correction && !scope.role.may_correct() {
        return reject(Rejection::CorrectionForbidden);
    }
    if existing.is_some() {
        let creator = loaded.creators.get(&change.row).map(String::as_str);
        if !tally_core::scope::may_retouch(scope.role, &who.user, creator, change) {
            return reject(Rejection::NotTheAuthor {
                author: creator.unwrap_or_default().to_string(),
            });
        }
    }
    let settles = change.fields.values().any(|e| !e.saw.is_empty());
    if settles && !scope.role.may_resolve_conflicts() {
        return reject(Rejection::ResolutionForbidden);
    }
    Outcome::Store
}

/// The change's unit (and the row's current unit, and for an org unit its parent)
/// must be writable by the author; targets and org units only by leaders and admins.
/// A unit the server does not know is left to validation (`unknown_unit`).
fn check_scope(
    change: &Change,
    existing: Option<&Row>,
    scope: &Scope,
    tree: &UnitTree,
) -> Result<(), Outcome> {
    scope
        .check(change, existing, tree)
        .map_err(|why| match why {
            OutOfScope::Unit(unit) => out_of_scope(&unit),
            OutOfScope::Planning(table) => reject(Rejection::PlanningForbidden { table }),
        })
}

#[cfg(test)]
mod tests;
