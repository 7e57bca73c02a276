//! The decision on each pushed change, shared by both storage backends: given what the
//! transaction loaded (known change ids, current rows, the org-unit tree), decide per
//! change replay / store / reject, and merge the stored ones with the same
//! `tally_core::merge` the devices run. Pure: the backend does the reading and writing.

use crate::scope::{Scope, UnitInfo, UnitTree};
use chrono::{DateTime, NaiveDate};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use tally_core::ledger::DaySums;
use tally_core::schema::{validate_change, Context};
use tally_core::Explain;
use tally_core::Role;
use tally_core::{merge, Change, ChangeId, DeviceId, Level, OrgUnit, Row, RowId, Table};
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
    /// Seqs of the batch's change ids that are already stored.
    pub known: HashMap<ChangeId, i64>,
    /// Current state of the batch's rows.
    pub rows: HashMap<RowId, Row>,
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

/// Validation context on the server: today from the server clock (UTC date; the core
/// allows event dates up to one day ahead, which covers China's UTC+8), unit levels
/// from the server's tree (deleted units unknown, as on the devices).
struct ServerContext<'a> {
    today: NaiveDate,
    tree: &'a UnitTree,
}

impl Context for ServerContext<'_> {
    fn today(&self) -> NaiveDate {
        self.today
    }
    fn unit_level(&self, code: &str) -> Option<Level> {
        self.tree.live_level(code)
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
        if let Some(seq) = loaded.known.get(&change.id) {
            plan.outcomes.push(Outcome::Replay(*seq));
            continue;
        }
        if let Some(first) = stored_at.get(&change.id) {
            plan.outcomes.push(Outcome::SameAs(*first));
            continue;
        }
        let existing = loaded.rows.get(&change.row);
        let outcome = decide(change, existing, who, &scope, &loaded.tree, today, now_ms);
        if outcome == Outcome::Store {
            let merged = merge(existing, change);
            plan.sums.write(existing, &merged.row);
            if change.table == Table::OrgUnit {
                if let Some(unit) = OrgUnit::from_row(&merged.row) {
                    let info = UnitInfo {
                        code: unit.code,
                        name: unit.name,
                        level: unit.level,
                        parent: unit.parent,
                        deleted: merged.row.deleted(),
                    };
                    Arc::make_mut(&mut loaded.tree).insert(info.clone());
                    plan.units.retain(|u| u.code != info.code);
                    plan.units.push(info);
                    scope = Scope::of(who.role, &who.units, &loaded.tree);
                }
            }
            if existing.is_none() {
                plan.fresh.insert(change.row);
            }
            plan.rows.insert(change.row, merged.row.clone());
            loaded.rows.insert(change.row, merged.row);
            stored_at.insert(change.id, i);
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
    tree: &UnitTree,
    today: NaiveDate,
    now_ms: u64,
) -> Outcome {
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
    let ctx = ServerContext { today, tree };
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
    if change.correction && !scope.role.may_correct() {
        return reject(Rejection::CorrectionForbidden);
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
    let known = |code: &str| tree.get(code).is_some();
    let writable = |code: &str| !known(code) || scope.can_write(code);
    if !scope.role.may_write_records() {
        return Err(out_of_scope(&change.unit));
    }
    if !writable(&change.unit) {
        return Err(out_of_scope(&change.unit));
    }
    if let Some(row) = existing {
        if !scope.can_write(&row.unit) {
            return Err(out_of_scope(&row.unit));
        }
    }
    if change.table == Table::OrgUnit {
        let parent = change
            .fields
            .get("parent")
            .map(|e| &e.value)
            .and_then(Value::as_str);
        if let Some(p) = parent {
            if !writable(p) {
                return Err(out_of_scope(p));
            }
        }
        // A new root (banner) has no parent to be in anyone's scope: only an admin.
        let is_new = existing.is_none() && !known(&change.unit);
        if is_new && parent.is_none() && !scope.role.may_create_root_units() {
            return Err(out_of_scope(&change.unit));
        }
    }
    if matches!(change.table, Table::Target | Table::OrgUnit) && !scope.role.may_plan() {
        return Err(reject(Rejection::PlanningForbidden {
            table: change.table,
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! `plan` as a table: each row is a batch pushed by someone onto what the
    //! transaction loaded, and the outcome it must get per change.

    use super::*;
    use serde_json::json;
    use tally_core::{FieldEdit, Hlc};

    /// 2025-06-01T00:00:00Z, the server clock.
    const NOW: u64 = 1_748_736_000_000;
    const BANNER: &str = "150621";
    const TOWN_A: &str = "150621100";
    const TOWN_B: &str = "150621101";
    const VILLAGE_A1: &str = "150621100001";
    const VILLAGE_A2: &str = "150621100002";
    const VILLAGE_B1: &str = "150621101001";

    fn device(n: u128) -> DeviceId {
        DeviceId(uuid::Uuid::from_u128(n))
    }

    fn tree() -> UnitTree {
        let unit = |code: &str, level, parent: Option<&str>| UnitInfo {
            code: code.into(),
            name: format!("unit {code}"),
            level,
            parent: parent.map(Into::into),
            deleted: false,
        };
        UnitTree::new([
            unit(BANNER, Level::Banner, None),
            unit(TOWN_A, Level::Township, Some(BANNER)),
            unit(TOWN_B, Level::Township, Some(BANNER)),
            unit(VILLAGE_A1, Level::Village, Some(TOWN_A)),
            unit(VILLAGE_A2, Level::Village, Some(TOWN_A)),
            unit(VILLAGE_B1, Level::Village, Some(TOWN_B)),
        ])
    }

    /// Device 1 of a user with `role` assigned to `units`.
    fn who(role: Role, units: &[&str]) -> Author {
        Author {
            device: device(1),
            user: format!("{role:?}").to_lowercase(),
            role,
            units: units.iter().map(|u| u.to_string()).collect(),
        }
    }

    fn cadre() -> Author {
        who(Role::Cadre, &[VILLAGE_A1])
    }

    fn leader() -> Author {
        who(Role::Leader, &[TOWN_A])
    }

    /// A change by device 1 at the server's time; `n` makes its id and (unless
    /// given) its row.
    fn change(n: u128, table: Table, row: RowId, unit: &str, fields: Value) -> Change {
        Change {
            id: ChangeId(uuid::Uuid::from_u128(1000 + n)),
            table,
            row,
            unit: unit.into(),
            fields: fields
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), FieldEdit::new(v.clone())))
                .collect(),
            hlc: Hlc::new(NOW, 0),
            device: device(1),
            author: "someone".into(),
            correction: false,
        }
    }

    fn row(n: u128) -> RowId {
        RowId(uuid::Uuid::from_u128(n))
    }

    fn household(n: u128, unit: &str) -> Change {
        change(n, Table::Household, row(n), unit, json!({"head": "张三"}))
    }

    fn target(n: u128, unit: &str) -> Change {
        let row = RowId::natural(tally_core::NaturalKey::Target {
            unit,
            metric: tally_core::Metric::Renovation,
        });
        let fields = json!({"metric": "renovation", "quantity": 40, "deadline": "2025-10-31"});
        change(n, Table::Target, row, unit, fields)
    }

    fn org_unit(n: u128, code: &str, level: &str, parent: Option<&str>) -> Change {
        let mut fields = json!({"code": code, "name": "小营子", "level": level});
        if let Some(p) = parent {
            fields["parent"] = json!(p);
        }
        change(
            n,
            Table::OrgUnit,
            RowId::natural(tally_core::NaturalKey::OrgUnit { code }),
            code,
            fields,
        )
    }

    /// What `loaded` holds: the tree, known change ids with their seqs, current rows.
    fn loaded(known: &[(&Change, i64)], rows: &[&Change]) -> Loaded {
        Loaded {
            known: known.iter().map(|(c, seq)| (c.id, *seq)).collect(),
            rows: rows.iter().map(|c| (c.row, merge(None, c).row)).collect(),
            tree: Arc::new(tree()),
        }
    }

    fn short(o: &Outcome) -> String {
        match o {
            Outcome::Replay(seq) => format!("replay {seq}"),
            Outcome::SameAs(i) => format!("same as {i}"),
            Outcome::Store => "store".into(),
            Outcome::Reject { code, .. } => code.clone(),
        }
    }

    /// Plan `changes` pushed by `who` onto `loaded`; each outcome must be `want`'s.
    #[track_caller]
    fn check(name: &str, who: Author, mut loaded: Loaded, changes: &[Change], want: &[&str]) {
        let plan = plan(changes, &who, &mut loaded, NOW);
        let got: Vec<String> = plan.outcomes.iter().map(short).collect();
        assert_eq!(got, want, "{name}");
        assert_eq!(
            plan.stores_nothing(),
            plan.rows.is_empty(),
            "{name}: rows are written exactly when a change is stored"
        );
    }

    #[test]
    fn replays_and_duplicates_are_stored_once() {
        let h = household(1, VILLAGE_A1);
        check(
            "replay of a stored id",
            cadre(),
            loaded(&[(&h, 7)], &[]),
            std::slice::from_ref(&h),
            &["replay 7"],
        );
        check(
            "the same id twice in a batch",
            cadre(),
            loaded(&[], &[]),
            &[h.clone(), h.clone()],
            &["store", "same as 0"],
        );
        let other = household(2, VILLAGE_A1);
        check(
            "a replay next to a new change",
            cadre(),
            loaded(&[(&h, 3)], &[&h]),
            &[h.clone(), other],
            &["replay 3", "store"],
        );
    }

    #[test]
    fn scope_decides_who_writes_where() {
        let fresh = || loaded(&[], &[]);
        check(
            "own village",
            cadre(),
            fresh(),
            &[household(1, VILLAGE_A1)],
            &["store"],
        );
        check(
            "another village",
            cadre(),
            fresh(),
            &[household(1, VILLAGE_A2)],
            &["out_of_scope"],
        );
        check(
            "a leader's township",
            leader(),
            fresh(),
            &[household(1, VILLAGE_A2)],
            &["store"],
        );
        check(
            "another township",
            leader(),
            fresh(),
            &[household(1, VILLAGE_B1)],
            &["out_of_scope"],
        );
        let inspector = who(Role::Inspector, &[BANNER]);
        check(
            "an inspector writes",
            inspector,
            fresh(),
            &[household(1, VILLAGE_A1)],
            &["out_of_scope"],
        );

        // The row lives in A2; a change claiming A1 may not move it out of there.
        let theirs = household(1, VILLAGE_A2);
        let mut moved = household(2, VILLAGE_A1);
        moved.row = theirs.row;
        check(
            "existing row's unit",
            cadre(),
            loaded(&[], &[&theirs]),
            &[moved],
            &["out_of_scope"],
        );

        let hamlet = format!("{VILLAGE_B1}01");
        check(
            "org unit under a parent out of scope",
            leader(),
            fresh(),
            &[org_unit(1, &hamlet, "hamlet", Some(VILLAGE_B1))],
            &["out_of_scope"],
        );
        check(
            "a new root unit by a leader",
            leader(),
            fresh(),
            &[org_unit(1, "150622", "banner", None)],
            &["out_of_scope"],
        );
        check(
            "a new root unit by an admin",
            who(Role::Admin, &[]),
            fresh(),
            &[org_unit(1, "150622", "banner", None)],
            &["store"],
        );
    }

    #[test]
    fn roles_decide_what_is_written() {
        let fresh = || loaded(&[], &[]);
        let hamlet = format!("{VILLAGE_A1}01");
        let new_hamlet = || org_unit(1, &hamlet, "hamlet", Some(VILLAGE_A1));
        check(
            "a cadre sets a target",
            cadre(),
            fresh(),
            &[target(1, VILLAGE_A1)],
            &["forbidden"],
        );
        check(
            "a cadre adds an org unit",
            cadre(),
            fresh(),
            &[new_hamlet()],
            &["forbidden"],
        );
        check(
            "a leader sets a target",
            leader(),
            fresh(),
            &[target(1, TOWN_A)],
            &["store"],
        );
        check(
            "a leader adds an org unit",
            leader(),
            fresh(),
            &[new_hamlet()],
            &["store"],
        );

        let h = household(1, VILLAGE_A1);
        let mut fix = change(
            2,
            Table::Household,
            h.row,
            VILLAGE_A1,
            json!({"head": "李四"}),
        );
        fix.correction = true;
        let rows = || loaded(&[], &[&h]);
        check(
            "a cadre's correction",
            cadre(),
            rows(),
            &[fix.clone()],
            &["forbidden"],
        );
        check(
            "a leader's correction",
            leader(),
            rows(),
            &[fix],
            &["store"],
        );
    }

    #[test]
    fn device_clock_table_and_fields_are_checked() {
        let fresh = || loaded(&[], &[]);
        let mut elsewhere = household(1, VILLAGE_A1);
        elsewhere.device = device(2);
        check(
            "made on another device",
            cadre(),
            fresh(),
            &[elsewhere],
            &["wrong_device"],
        );

        let mut ahead = household(1, VILLAGE_A1);
        ahead.hlc = Hlc::new(NOW + MAX_CLOCK_AHEAD_MS + 1, 0);
        check("clock ahead", cadre(), fresh(), &[ahead], &["clock_ahead"]);
        let mut at_limit = household(1, VILLAGE_A1);
        at_limit.hlc = Hlc::new(NOW + MAX_CLOCK_AHEAD_MS, 0);
        check(
            "clock at the limit",
            cadre(),
            fresh(),
            &[at_limit],
            &["store"],
        );

        let h = household(1, VILLAGE_A1);
        let as_cleanup = change(2, Table::Cleanup, h.row, VILLAGE_A1, json!({"tonnes": 1}));
        check(
            "table mismatch",
            cadre(),
            loaded(&[], &[&h]),
            &[as_cleanup],
            &["table_mismatch"],
        );

        let no_head = change(
            1,
            Table::Household,
            row(1),
            VILLAGE_A1,
            json!({"members": 3}),
        );
        let too_many = change(
            2,
            Table::Household,
            row(2),
            VILLAGE_A1,
            json!({"head": "张三", "members": 51}),
        );
        let unknown = household(3, "150621100009");
        check(
            "validation",
            cadre(),
            fresh(),
            &[no_head, too_many, unknown],
            &["missing_field", "invalid_value", "unknown_unit"],
        );
    }

    #[test]
    fn later_changes_see_earlier_merged_ones() {
        let fresh = || loaded(&[], &[]);
        let village = format!("{TOWN_A}003");
        let new_village = org_unit(1, &village, "village", Some(TOWN_A));
        let there = household(2, &village);
        check(
            "a household in a village not yet made",
            leader(),
            fresh(),
            std::slice::from_ref(&there),
            &["unknown_unit"],
        );
        check(
            "a village, then a household in it",
            leader(),
            fresh(),
            &[new_village, there],
            &["store", "store"],
        );

        let h = household(1, VILLAGE_A1);
        let as_cleanup = change(2, Table::Cleanup, h.row, VILLAGE_A1, json!({"tonnes": 1}));
        check(
            "a row made earlier in the batch",
            cadre(),
            fresh(),
            &[h, as_cleanup],
            &["store", "table_mismatch"],
        );
    }
}
