//! Laws of the merge, checked on random inputs: the rows and their conflicts depend
//! only on the set of changes applied, not on their order or on duplicates, and they
//! are what merge.rs says they are.

use proptest::collection::vec as many;
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use tally_core::schema::rank;
use tally_core::*;
use uuid::Uuid;

// ---------------------------------------------------------------------------------
// Merge

/// Two plain last-writer-wins fields and the forward-only renovation status.
const FIELDS: [&str; 3] = ["head", "rating", "renovation"];

fn values(field: &str) -> Vec<Value> {
    match field {
        "head" => vec![json!("张三"), json!("李四"), json!("王五")],
        "rating" => vec![Value::Null, json!("C"), json!("D")],
        _ => vec![
            Value::Null,
            json!("planned"),
            json!("started"),
            json!("completed"),
            json!("accepted"),
        ],
    }
}

/// One field edit, with picks among the earlier edits of the same field of the same row.
#[derive(Clone, Debug)]
struct EditSpec {
    field: usize,
    value: usize,
    base: Option<Index>,
    saw: Vec<Index>,
    correction: bool,
}

#[derive(Clone, Debug)]
struct ChangeSpec {
    row: u128,
    device: u128,
    ms: u64,
    edits: Vec<EditSpec>,
}

fn edit_spec() -> impl Strategy<Value = EditSpec> {
    (
        0..FIELDS.len(),
        0..5usize,
        prop::option::weighted(0.7, any::<Index>()),
        many(any::<Index>(), 0..2),
        prop::bool::weighted(0.15),
    )
        .prop_map(|(field, value, base, saw, correction)| EditSpec {
            field,
            value,
            base,
            saw,
            correction,
        })
}

fn change_spec() -> impl Strategy<Value = ChangeSpec> {
    (0..2u128, 1..4u128, 0..8u64, many(edit_spec(), 1..3)).prop_map(|(row, device, ms, edits)| {
        ChangeSpec {
            row,
            device,
            ms,
            edits,
        }
    })
}

/// Turn specs into changes. The `i`th change has HLC count `i`, so versions are unique;
/// bases and settled versions are earlier edits of the same field, and an edit's epoch
/// is its base's, one more for a correction of the forward-only field (as the store does).
fn build(specs: &[ChangeSpec]) -> Vec<Change> {
    let mut earlier: BTreeMap<(u128, &str), Vec<(Version, u32)>> = BTreeMap::new();
    let mut out = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let version = Version {
            hlc: Hlc::new(spec.ms, i as u32),
            device: DeviceId(Uuid::from_u128(spec.device)),
        };
        let mut fields = BTreeMap::new();
        let mut correction = false;
        for e in &spec.edits {
            let name = FIELDS[e.field];
            let before = earlier.get(&(spec.row, name)).cloned().unwrap_or_default();
            let pick = |ix: &Index| before[ix.index(before.len())];
            let base = e.base.as_ref().filter(|_| !before.is_empty()).map(pick);
            let bump = e.correction && name == "renovation";
            correction |= bump;
            let edit = FieldEdit {
                value: values(name)[e.value % values(name).len()].clone(),
                base: base.map(|b| b.0),
                saw: if before.is_empty() {
                    vec![]
                } else {
                    e.saw.iter().map(|ix| pick(ix).0).collect()
                },
                epoch: base.map_or(0, |b| b.1) + u32::from(bump),
            };
            fields.insert(name.to_string(), edit);
        }
        for (name, edit) in &fields {
            let name = FIELDS.iter().find(|f| *f == name).expect("known field");
            earlier
                .entry((spec.row, name))
                .or_default()
                .push((version, edit.epoch));
        }
        out.push(Change {
            id: ChangeId(Uuid::from_u128(1_000 + i as u128)),
            table: Table::Household,
            row: RowId(Uuid::from_u128(spec.row)),
            unit: "150101".into(),
            fields,
            hlc: version.hlc,
            device: version.device,
            author: format!("cadre{}", spec.device),
            correction,
        });
    }
    out
}

type Rows = BTreeMap<RowId, Row>;

fn apply<'a>(changes: impl IntoIterator<Item = &'a Change>) -> Rows {
    let mut rows = Rows::new();
    for c in changes {
        let merged = merge(rows.get(&c.row), c);
        rows.insert(c.row, merged.row);
    }
    rows
}

fn conflicts(rows: &Rows) -> Vec<Conflict> {
    rows.values().flat_map(Row::conflicts).collect()
}

/// The changes in one order, with some of them repeated at random places.
fn arrange(changes: &[Change], order: &[usize], dups: &[(Index, Index)]) -> Vec<Change> {
    let mut out: Vec<Change> = order.iter().map(|&i| changes[i].clone()).collect();
    for (which, at) in dups {
        let c = changes[which.index(changes.len())].clone();
        out.insert(at.index(out.len() + 1), c);
    }
    out
}

/// The changes, and two orders of them with duplicates (which change, where).
type Scenario = (
    Vec<Change>,
    (Vec<usize>, Vec<(Index, Index)>),
    (Vec<usize>, Vec<(Index, Index)>),
);

fn scenario() -> impl Strategy<Value = Scenario> {
    many(change_spec(), 1..24).prop_flat_map(|specs| {
        let changes = build(&specs);
        let order: Vec<usize> = (0..changes.len()).collect();
        let dups = || many(any::<(Index, Index)>(), 0..6);
        (
            Just(changes),
            (Just(order.clone()).prop_shuffle(), dups()),
            (Just(order).prop_shuffle(), dups()),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn merge_depends_only_on_the_set_of_changes((changes, p, q) in scenario()) {
        let once = apply(&changes);
        let a = apply(&arrange(&changes, &p.0, &p.1));
        let b = apply(&arrange(&changes, &q.0, &q.1));
        prop_assert_eq!(&a, &once);
        prop_assert_eq!(&b, &once);
        prop_assert_eq!(conflicts(&a), conflicts(&once));
        prop_assert_eq!(conflicts(&b), conflicts(&once));
    }

    #[test]
    fn applying_a_change_twice_is_applying_it_once((changes, p, _) in scenario()) {
        let mut rows = Rows::new();
        for c in arrange(&changes, &p.0, &[]) {
            let merged = merge(rows.get(&c.row), &c);
            let again = merge(Some(&merged.row), &c);
            prop_assert_eq!(&again.row, &merged.row);
            prop_assert!(!again.changed, "{:?} changed its row twice", c.version());
            rows.insert(c.row, merged.row);
        }
        // And again once everything else has arrived.
        for c in &changes {
            let again = merge(rows.get(&c.row), c);
            prop_assert_eq!(Some(&again.row), rows.get(&c.row));
            prop_assert!(!again.changed, "{:?} changed its row at the end", c.version());
        }
    }

    #[test]
    fn merge_is_what_its_doc_says((changes, p, _) in scenario()) {
        let rows = apply(&arrange(&changes, &p.0, &p.1));
        for (id, row) in &rows {
            for name in FIELDS {
                let edits: Vec<(&Change, &FieldEdit)> = changes
                    .iter()
                    .filter(|c| c.row == *id)
                    .filter_map(|c| c.fields.get(name).map(|e| (c, e)))
                    .collect();
                let Some(state) = row.fields.get(name) else {
                    prop_assert!(edits.is_empty());
                    continue;
                };
                let key = |(c, e): &(&Change, &FieldEdit)| {
                    (e.epoch, rank(Table::Household, name, &e.value), c.version())
                };
                let (wc, we) = edits.iter().max_by_key(|x| key(x)).expect("an edit");
                prop_assert_eq!(&state.value, &we.value);
                prop_assert_eq!((state.at, state.epoch, state.change), (wc.version(), we.epoch, wc.id));
                let seen: BTreeSet<Version> = edits
                    .iter()
                    .flat_map(|(_, e)| e.base.iter().chain(&e.saw).copied())
                    .collect();
                prop_assert_eq!(&state.seen, &seen);
                let mut losers: Vec<Version> = edits
                    .iter()
                    .map(|(c, _)| c.version())
                    .filter(|v| *v != wc.version() && !seen.contains(v))
                    .collect();
                losers.sort();
                let got: Vec<Version> = state.losers.iter().map(|l| l.at).collect();
                prop_assert_eq!(got, losers);
            }
            for c in row.conflicts() {
                prop_assert!(c.loser.value != c.winner_value);
                prop_assert!(c.field != "renovation" || c.loser.epoch < row.fields[&c.field].epoch);
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Versions claimed twice

/// What the server keeps besides the rows: which change holds each version. A change
/// whose version another change id holds is refused (`version_taken`), as is one the
/// row shows holding it; everything else is merged.
#[derive(Default)]
struct Gate {
    holders: BTreeMap<Version, ChangeId>,
    rows: Rows,
}

impl Gate {
    fn offer(&mut self, c: &Change) -> bool {
        let claimed = self.holders.get(&c.version()).is_some_and(|h| *h != c.id);
        if claimed || version_taken(self.rows.get(&c.row), c) {
            return false;
        }
        self.holders.insert(c.version(), c.id);
        let merged = merge(self.rows.get(&c.row), c);
        self.rows.insert(c.row, merged.row);
        true
    }
}

/// The changes, plus impostors: copies of some of them under a new id with another
/// value (the same version), inserted at random places.
fn with_impostors() -> impl Strategy<Value = (Vec<Change>, Vec<Change>)> {
    scenario().prop_flat_map(|(changes, (order, _), _)| {
        let n = changes.len();
        let arranged: Vec<Change> = order.iter().map(|&i| changes[i].clone()).collect();
        (
            Just(arranged),
            many((any::<Index>(), 0..5usize, any::<Index>()), 1..6),
        )
            .prop_map(move |(mut arranged, fakes)| {
                let originals = arranged.clone();
                for (k, (which, value, at)) in fakes.into_iter().enumerate() {
                    let mut fake = originals[which.index(n)].clone();
                    fake.id = ChangeId(Uuid::from_u128(900_000 + k as u128));
                    for (name, edit) in fake.fields.iter_mut() {
                        edit.value = values(name)[value % values(name).len()].clone();
                    }
                    arranged.insert(at.index(arranged.len() + 1), fake);
                }
                (originals, arranged)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// For any changes, including second changes claiming a version: every change let
    /// in keeps each of its values as the winner, as a listed loser (a conflict when
    /// it differs), or seen by an editor who superseded it; every change refused had
    /// its version held by another change id. No value disappears unseen.
    #[test]
    fn no_value_is_lost_without_being_the_winner_or_a_conflict(
        (originals, arranged) in with_impostors()
    ) {
        let mut gate = Gate::default();
        let mut admitted = Vec::new();
        for c in &arranged {
            if gate.offer(c) {
                admitted.push(c.clone());
            } else {
                let holder = gate.holders.get(&c.version());
                prop_assert!(holder.is_some_and(|h| *h != c.id), "{:?} refused unclaimed", c.id);
            }
        }
        let mut ids: Vec<ChangeId> = admitted.iter().map(|c| c.id).collect();
        ids.sort();
        ids.dedup();
        let versions: BTreeSet<Version> = admitted.iter().map(Change::version).collect();
        prop_assert_eq!(ids.len(), versions.len(), "one change per version");
        for c in &admitted {
            let row = &gate.rows[&c.row];
            for (name, edit) in &c.fields {
                let state = &row.fields[name];
                let kept = (state.change == c.id && state.value == edit.value)
                    || state.losers.iter().any(|l| l.change == c.id && l.value == edit.value)
                    || state.seen.contains(&c.version());
                prop_assert!(kept, "{}'s {} = {} of {:?} vanished", name, edit.value, c.id, c.version());
            }
        }
        // Without impostors the gate lets everything in (nothing else is refused).
        let mut plain = Gate::default();
        for c in &originals {
            prop_assert!(plain.offer(c));
        }
    }
}
