//! The field-level merge, run identically by every device and by the server.
//!
//! Per field, the winner is the edit with the greatest key (correction epoch, forward
//! rank, HLC, device). An edit that loses and that no editor had seen (it is nobody's
//! base and nobody settled it) is kept as a loser: a conflict for a leader to review.
//! The result depends only on the set of changes applied, not on their order or on
//! duplicates, which is what lets devices and server converge.

use crate::change::{Change, FieldEdit, FieldState, Loser, Row, Version};
use crate::ids::{ChangeId, RowId};
use crate::model::Table;
use crate::schema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The row after a merge, and whether anything in it changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Merged {
    pub row: Row,
    pub changed: bool,
}

/// An open conflict: a value that lost to a concurrent edit nobody has reviewed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Conflict {
    pub table: Table,
    pub row: RowId,
    pub unit: String,
    pub field: String,
    pub winner_value: Value,
    pub winner_at: Version,
    pub winner_author: String,
    pub winner_change: ChangeId,
    pub loser: Loser,
}

type Key = (u32, u8, Version);

fn key(table: Table, field: &str, value: &Value, epoch: u32, at: Version) -> Key {
    (epoch, schema::rank(table, field, value), at)
}

/// Whether the change claims a version (HLC + device) that a field of the row already
/// holds from another change. Such a change must be refused, never merged: the merge
/// would take it for a repeat of what it already applied, and drop its values unseen.
pub fn version_taken(current: Option<&Row>, change: &Change) -> bool {
    let at = change.version();
    current.is_some_and(|row| {
        row.fields.values().any(|s| {
            (s.at == at && s.change != change.id)
                || s.losers.iter().any(|l| l.at == at && l.change != change.id)
        })
    })
}

/// Apply one change to the current state of its row (`None` if the row is new here).
pub fn merge(current: Option<&Row>, change: &Change) -> Merged {
    let mut row = current.cloned().unwrap_or_else(|| Row {
        table: change.table,
        id: change.row,
        unit: change.unit.clone(),
        fields: Default::default(),
    });
    let at = change.version();
    let mut changed = current.is_none();
    for (name, edit) in &change.fields {
        let incoming = Loser {
            value: edit.value.clone(),
            at,
            epoch: edit.epoch,
            author: change.author.clone(),
            change: change.id,
        };
        match row.fields.get_mut(name) {
            None => {
                let mut state = FieldState {
                    value: incoming.value,
                    at,
                    epoch: edit.epoch,
                    author: incoming.author,
                    change: change.id,
                    seen: Default::default(),
                    losers: Vec::new(),
                };
                note_seen(&mut state, edit);
                row.fields.insert(name.clone(), state);
                changed = true;
            }
            Some(state) => changed |= merge_field(change.table, name, state, edit, incoming),
        }
    }
    Merged { row, changed }
}

fn note_seen(state: &mut FieldState, edit: &FieldEdit) {
    state.seen.extend(edit.base);
    state.seen.extend(edit.saw.iter().copied());
}

fn merge_field(
    table: Table,
    name: &str,
    state: &mut FieldState,
    edit: &FieldEdit,
    incoming: Loser,
) -> bool {
    if state.at == incoming.at || state.losers.iter().any(|l| l.at == incoming.at) {
        return false; // already applied
    }
    let seen_before = state.seen.len();
    note_seen(state, edit);
    let k_in = key(table, name, &incoming.value, incoming.epoch, incoming.at);
    let k_cur = key(table, name, &state.value, state.epoch, state.at);
    let won = k_in > k_cur;
    let at = incoming.at;
    if won {
        let old = Loser {
            value: std::mem::replace(&mut state.value, incoming.value),
            at: std::mem::replace(&mut state.at, incoming.at),
            epoch: std::mem::replace(&mut state.epoch, incoming.epoch),
            author: std::mem::replace(&mut state.author, incoming.author),
            change: std::mem::replace(&mut state.change, incoming.change),
        };
        state.losers.push(old);
    } else {
        state.losers.push(incoming);
    }
    let seen = &state.seen;
    state.losers.retain(|l| !seen.contains(&l.at));
    state.losers.sort_by_key(|l| l.at);
    // A version that lost and was already seen (a pruned loser arriving again, as a
    // retried pull does) leaves the field as it was.
    won || state.seen.len() != seen_before || !state.seen.contains(&at)
}

impl Row {
    /// The open conflicts of this row: losers whose value differs from the winner's,
    /// except a forward-only status overtaken in the same correction epoch (that is the
    /// forward-only rule working, not a disagreement).
    pub fn conflicts(&self) -> Vec<Conflict> {
        let mut out = Vec::new();
        for (name, state) in &self.fields {
            for loser in &state.losers {
                if loser.value == state.value {
                    continue;
                }
                if schema::is_forward_only(self.table, name) && loser.epoch == state.epoch {
                    continue;
                }
                out.push(Conflict {
                    table: self.table,
                    row: self.id,
                    unit: self.unit.clone(),
                    field: name.clone(),
                    winner_value: state.value.clone(),
                    winner_at: state.at,
                    winner_author: state.author.clone(),
                    winner_change: state.change,
                    loser: loser.clone(),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hlc::Hlc;
    use crate::ids::DeviceId;
    use serde_json::json;

    const ROW: RowId = RowId(uuid::Uuid::from_u128(7));

    fn v(ms: u64, device: u128) -> Version {
        Version {
            hlc: Hlc::new(ms, 0),
            device: DeviceId(uuid::Uuid::from_u128(device)),
        }
    }

    fn set(value: Value) -> FieldEdit {
        FieldEdit::new(value)
    }

    trait EditExt {
        fn on(self, base: Version) -> Self;
        fn saw(self, v: Version) -> Self;
        fn epoch(self, epoch: u32) -> Self;
    }

    impl EditExt for FieldEdit {
        fn on(mut self, base: Version) -> Self {
            self.base = Some(base);
            self
        }
        fn saw(mut self, v: Version) -> Self {
            self.saw.push(v);
            self
        }
        fn epoch(mut self, epoch: u32) -> Self {
            self.epoch = epoch;
            self
        }
    }

    /// A household change made at `at`, by author `a<device>`.
    fn change(at: Version, fields: Vec<(&str, FieldEdit)>) -> Change {
        let correction = fields.iter().any(|(_, e)| e.epoch > 0);
        Change {
            id: ChangeId(uuid::Uuid::from_u128(
                u128::from(at.hlc.ms) << 8 | at.device.0.as_u128(),
            )),
            table: Table::Household,
            row: ROW,
            unit: "150101".into(),
            fields: fields
                .into_iter()
                .map(|(k, e)| (k.to_string(), e))
                .collect(),
            hlc: at.hlc,
            device: at.device,
            author: format!("a{}", at.device.0.as_u128()),
            correction,
        }
    }

    fn apply<'a>(changes: impl IntoIterator<Item = &'a Change>) -> Row {
        let mut row: Option<Row> = None;
        for c in changes {
            row = Some(merge(row.as_ref(), c).row);
        }
        row.expect("at least one change")
    }

    /// Applies `changes` in order and in reverse; in both, `field` must end as `winner`
    /// and the open conflicts must be exactly `conflicts` as (winner, loser) values.
    fn check(
        what: &str,
        changes: &[Change],
        field: &str,
        winner: Value,
        conflicts: &[(Value, Value)],
    ) {
        for row in [apply(changes), apply(changes.iter().rev())] {
            assert_eq!(row.fields[field].value, winner, "{what}");
            let got: Vec<(Value, Value)> = row
                .conflicts()
                .into_iter()
                .map(|c| {
                    assert_eq!(c.field, field, "{what}");
                    assert_eq!((c.row, c.unit.as_str()), (ROW, "150101"), "{what}");
                    (c.winner_value, c.loser.value)
                })
                .collect();
            assert_eq!(got, conflicts, "{what}");
        }
    }

    /// What, the changes, the field, its winning value, its conflicts (winner, loser).
    type Case = (
        &'static str,
        Vec<Change>,
        &'static str,
        Value,
        Vec<(Value, Value)>,
    );

    #[test]
    fn field_merges() {
        let (a, b, c, d) = (v(10, 1), v(20, 2), v(30, 3), v(40, 1));
        let head = |at, e: FieldEdit| change(at, vec![("head", e)]);
        let reno = |at, e: FieldEdit| change(at, vec![("renovation", e)]);
        let cases: Vec<Case> = vec![
            (
                // An edit says the record stays (deleted: false, on the version it saw);
                // a withdrawal it never saw disagrees on that field: the edit's side is
                // kept for a leader, whichever order the changes arrive in.
                "a withdrawal concurrent with an edit keeps the edit as a conflict",
                vec![
                    change(a, vec![("head", set(json!("张三")))]),
                    change(
                        b,
                        vec![("members", set(json!(4))), ("deleted", set(json!(false)))],
                    ),
                    change(
                        c,
                        vec![
                            ("deleted", set(json!(true))),
                            ("deleted_reason", set(json!("录重了"))),
                        ],
                    ),
                ],
                "deleted",
                json!(true),
                vec![(json!(true), json!(false))],
            ),
            (
                "a withdrawal made after seeing the edit is no conflict",
                vec![
                    change(a, vec![("head", set(json!("张三")))]),
                    change(b, vec![("deleted", set(json!(false)))]),
                    change(c, vec![("deleted", set(json!(true)).on(b))]),
                ],
                "deleted",
                json!(true),
                vec![],
            ),
            (
                "sequential edits: the last writer wins, nothing to review",
                vec![
                    head(a, set(json!("张三"))),
                    head(b, set(json!("张山")).on(a)),
                    head(c, set(json!("章三")).on(b)),
                ],
                "head",
                json!("章三"),
                vec![],
            ),
            (
                "concurrent edits of one field: one conflict holding both values",
                vec![
                    head(a, set(json!("张三"))),
                    head(b, set(json!("张山")).on(a)),
                    head(c, set(json!("章三")).on(a)),
                ],
                "head",
                json!("章三"),
                vec![(json!("章三"), json!("张山"))],
            ),
            (
                "concurrent creations of one field conflict too",
                vec![head(a, set(json!("张三"))), head(b, set(json!("李四")))],
                "head",
                json!("李四"),
                vec![(json!("李四"), json!("张三"))],
            ),
            (
                "concurrent edits to the same value do not conflict",
                vec![
                    head(a, set(json!("张三"))),
                    head(b, set(json!("张山")).on(a)),
                    head(c, set(json!("张山")).on(a)),
                ],
                "head",
                json!("张山"),
                vec![],
            ),
            (
                "an equal hlc is ordered by device",
                vec![
                    head(v(10, 2), set(json!("二"))),
                    head(v(10, 1), set(json!("一"))),
                ],
                "head",
                json!("二"),
                vec![(json!("二"), json!("一"))],
            ),
            (
                "saw settles a conflict",
                vec![
                    head(a, set(json!("张三"))),
                    head(b, set(json!("张山")).on(a)),
                    head(c, set(json!("章三")).on(a)),
                    head(d, set(json!("张山")).on(c).saw(b)),
                ],
                "head",
                json!("张山"),
                vec![],
            ),
            (
                "forward only: the furthest status wins over a later hlc, no conflict",
                vec![
                    reno(a, set(json!("planned"))),
                    reno(b, set(json!("completed")).on(a)),
                    reno(c, set(json!("started")).on(a)),
                    reno(d, set(json!("planned")).on(a)),
                ],
                "renovation",
                json!("completed"),
                vec![],
            ),
            (
                "a correction wins; a forward edit it did not see becomes a conflict",
                vec![
                    reno(a, set(json!("completed"))),
                    reno(b, set(json!("accepted")).on(a)),
                    reno(c, set(json!("started")).on(a).epoch(1)),
                ],
                "renovation",
                json!("started"),
                vec![(json!("started"), json!("accepted"))],
            ),
            (
                "a correction that saw the forward edit settles it",
                vec![
                    reno(a, set(json!("completed"))),
                    reno(b, set(json!("accepted")).on(a)),
                    reno(c, set(json!("started")).on(b).epoch(1)),
                ],
                "renovation",
                json!("started"),
                vec![],
            ),
            (
                "after a correction, edits in its epoch move forward again",
                vec![
                    reno(a, set(json!("completed"))),
                    reno(b, set(json!("started")).on(a).epoch(1)),
                    reno(c, set(json!("completed")).on(b).epoch(1)),
                ],
                "renovation",
                json!("completed"),
                vec![],
            ),
        ];
        for (what, changes, field, winner, conflicts) in cases {
            check(what, &changes, field, winner, &conflicts);
        }
    }

    /// A second change claiming a version the row holds (as winner or as a conflict's
    /// loser) is taken, whatever field it edits; a repeat of the same change is not, nor
    /// a change whose version an editor saw before it arrived.
    #[test]
    fn a_version_held_by_another_change_is_taken() {
        let a = change(v(10, 1), vec![("head", set(json!("张三")))]);
        let b = change(v(11, 2), vec![("head", set(json!("李四")))]);
        let row = apply([&a, &b]);
        let impostor = |of: &Change, field: &str| {
            let mut c = change(of.version(), vec![(field, set(json!("王五")))]);
            c.id = ChangeId(uuid::Uuid::from_u128(99));
            c
        };
        assert!(
            version_taken(Some(&row), &impostor(&b, "head")),
            "the winner's"
        );
        assert!(
            version_taken(Some(&row), &impostor(&a, "head")),
            "the loser's"
        );
        assert!(
            version_taken(Some(&row), &impostor(&b, "phone")),
            "another field"
        );
        assert!(
            !version_taken(Some(&row), &b),
            "a repeat is merged (as a no-op)"
        );
        assert!(!version_taken(None, &impostor(&b, "head")));
        let late = change(v(5, 3), vec![("head", set(json!("赵六")))]);
        let based = change(
            v(20, 4),
            vec![("head", set(json!("钱七")).on(late.version()))],
        );
        assert!(
            !version_taken(Some(&apply([&based])), &late),
            "seen, not held"
        );
    }

    #[test]
    fn the_loser_in_a_conflict_keeps_its_author_and_change() {
        let a = change(v(10, 1), vec![("head", set(json!("张三")))]);
        let b = change(v(20, 2), vec![("head", set(json!("李四")))]);
        let conflicts = apply([&a, &b]).conflicts();
        assert_eq!(conflicts.len(), 1);
        let c = &conflicts[0];
        assert_eq!(
            (c.winner_at, c.winner_author.as_str(), c.winner_change),
            (b.version(), "a2", b.id)
        );
        assert_eq!(
            (c.loser.at, c.loser.author.as_str(), c.loser.change),
            (a.version(), "a1", a.id)
        );
    }

    #[test]
    fn fields_of_one_change_merge_independently() {
        let a = change(
            v(10, 1),
            vec![("head", set(json!("张三"))), ("members", set(json!(3)))],
        );
        let b = change(v(20, 2), vec![("members", set(json!(4)).on(a.version()))]);
        let c = change(v(5, 3), vec![("rating", set(json!("C")))]);
        let row = apply([&a, &b, &c]);
        assert_eq!(row.str("head"), Some("张三"));
        assert_eq!(row.u32("members"), Some(4));
        assert_eq!(row.str("rating"), Some("C"));
        assert_eq!(row.updated(), Some(b.version()));
        assert!(row.conflicts().is_empty());
    }

    #[test]
    fn duplicates_are_no_ops() {
        let a = change(v(10, 1), vec![("head", set(json!("张三")))]);
        let b = change(v(20, 2), vec![("head", set(json!("张山")).on(a.version()))]);
        let c = change(v(30, 3), vec![("head", set(json!("章三")).on(a.version()))]);
        let row = apply([&a, &b, &c]);
        for dup in [&a, &b, &c] {
            let again = merge(Some(&row), dup);
            assert_eq!(again.row, row, "{:?}", dup.version());
            assert!(!again.changed, "{:?} changed the row again", dup.version());
        }
        let first = merge(None, &a);
        assert!(first.changed);
        assert!(merge(Some(&first.row), &b).changed);
    }
}
