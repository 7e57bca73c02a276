//! Who may write and read which org units. A user's write scope is the assigned units
//! and all their descendants (admin: everything; inspector: nothing); the read scope is
//! the write scope (inspector: the whole banner of each assigned unit), plus the
//! org-unit rows of every ancestor, so a device knows its township and banner.

use crate::change::{Change, Row};
use crate::model::{Level, OrgUnit, Role, Table};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// Deeper than any real tree (banner → township → village → hamlet); bounds every walk.
const MAX_DEPTH: usize = 16;

/// One org unit as the server knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitInfo {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent: Option<String>,
    /// Deleted units keep their place in the tree (their rows stay readable and in
    /// scope) but take no new rows: see [`UnitTree::live_level`].
    pub deleted: bool,
    /// The flags a leader set (`OrgUnit::seepage`, `OrgUnit::key_village`).
    pub seepage: bool,
    pub key_village: bool,
}

impl UnitInfo {
    /// A unit as merged, withdrawn or not.
    pub fn of(unit: OrgUnit, deleted: bool) -> UnitInfo {
        UnitInfo {
            code: unit.code,
            name: unit.name,
            level: unit.level,
            parent: unit.parent,
            deleted,
            seepage: unit.seepage,
            key_village: unit.key_village,
        }
    }
}

/// The org-unit tree.
#[derive(Clone, Debug, Default)]
pub struct UnitTree {
    units: HashMap<String, UnitInfo>,
    children: HashMap<String, BTreeSet<String>>,
}

impl UnitTree {
    pub fn new(units: impl IntoIterator<Item = UnitInfo>) -> Self {
        let mut tree = UnitTree::default();
        for u in units {
            tree.insert(u);
        }
        tree
    }

    /// Add or replace a unit (its parent may have changed).
    pub fn insert(&mut self, unit: UnitInfo) {
        if let Some(old) = self.units.get(&unit.code) {
            if let Some(p) = &old.parent {
                if let Some(set) = self.children.get_mut(p) {
                    set.remove(&unit.code);
                }
            }
        }
        if let Some(p) = &unit.parent {
            self.children
                .entry(p.clone())
                .or_default()
                .insert(unit.code.clone());
        }
        self.units.insert(unit.code.clone(), unit);
    }

    /// The units not deleted, as the ledger rolls them up.
    pub fn live_units(&self) -> Vec<OrgUnit> {
        self.units
            .values()
            .filter(|u| !u.deleted)
            .map(|u| OrgUnit {
                code: u.code.clone(),
                name: u.name.clone(),
                level: u.level,
                parent: u.parent.clone(),
                seepage: u.seepage,
                key_village: u.key_village,
            })
            .collect()
    }

    pub fn get(&self, code: &str) -> Option<&UnitInfo> {
        self.units.get(code)
    }

    pub fn level(&self, code: &str) -> Option<Level> {
        self.get(code).map(|u| u.level)
    }

    /// The level of a unit that is not deleted (what validation knows of).
    pub fn live_level(&self, code: &str) -> Option<Level> {
        self.get(code).filter(|u| !u.deleted).map(|u| u.level)
    }

    pub fn len(&self) -> usize {
        self.units.len()
    }

    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The unit and all its descendants (empty if the unit is unknown).
    pub fn subtree(&self, code: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        if !self.units.contains_key(code) {
            return out;
        }
        let mut frontier = vec![code.to_string()];
        for _ in 0..MAX_DEPTH {
            let mut next = Vec::new();
            for c in frontier {
                if out.insert(c.clone()) {
                    next.extend(self.children.get(&c).into_iter().flatten().cloned());
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        out
    }

    /// The parent, grandparent … of a unit, nearest first (the unit itself excluded).
    pub fn ancestors(&self, code: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut at = self.get(code).and_then(|u| u.parent.clone());
        while let Some(p) = at {
            if out.len() >= MAX_DEPTH || out.contains(&p) || p == code {
                break;
            }
            at = self.get(&p).and_then(|u| u.parent.clone());
            out.push(p);
        }
        out
    }

    /// The top of the unit's tree (normally its banner); the unit itself for a root.
    pub fn root(&self, code: &str) -> String {
        self.ancestors(code)
            .pop()
            .unwrap_or_else(|| code.to_string())
    }
}

/// A set of org units, or all of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Units {
    All,
    Some(BTreeSet<String>),
}

impl Units {
    pub fn contains(&self, code: &str) -> bool {
        match self {
            Units::All => true,
            Units::Some(set) => set.contains(code),
        }
    }
}

/// What the storage layer filters a pull or a conflict listing by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadFilter {
    /// Every change of these units; `None`: of all units.
    pub units: Option<Vec<String>>,
    /// Additionally the `org_unit` changes of these units (the ancestors).
    pub org_units: Vec<String>,
}

/// What one user may write and read, computed from the role, the assigned units and
/// the current tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub role: Role,
    pub write: Units,
    pub read: Units,
    /// Ancestors whose org-unit rows are readable though the units are not.
    pub ancestors: BTreeSet<String>,
}

impl Scope {
    pub fn of(role: Role, assigned: &[String], tree: &UnitTree) -> Scope {
        let subtrees = |codes: &mut dyn Iterator<Item = String>| -> BTreeSet<String> {
            codes.flat_map(|c| tree.subtree(&c)).collect()
        };
        let (write, read) = if role.needs_units() {
            let own = subtrees(&mut assigned.iter().cloned());
            let read = if role.reads_whole_banner() {
                subtrees(&mut assigned.iter().map(|c| tree.root(c)))
            } else {
                own.clone()
            };
            let write = if role.may_write_records() {
                own
            } else {
                BTreeSet::new()
            };
            (Units::Some(write), Units::Some(read))
        } else {
            (Units::All, Units::All)
        };
        let ancestors = match &read {
            Units::All => BTreeSet::new(),
            Units::Some(set) => assigned
                .iter()
                .flat_map(|c| tree.ancestors(c))
                .filter(|c| !set.contains(c))
                .collect(),
        };
        Scope {
            role,
            write,
            read,
            ancestors,
        }
    }

    pub fn can_write(&self, code: &str) -> bool {
        self.write.contains(code)
    }

    pub fn can_read(&self, code: &str) -> bool {
        self.read.contains(code)
    }

    /// Whether this user may make `change` (`existing`: the row as it is): its unit, the
    /// row's current unit and an org unit's parent within the write scope; targets and
    /// org units only for planners; a new top-level unit only for an admin. A unit the
    /// tree does not know is left to validation (`unknown_unit`).
    pub fn check(
        &self,
        change: &Change,
        existing: Option<&Row>,
        tree: &UnitTree,
    ) -> Result<(), OutOfScope> {
        let known = |code: &str| tree.get(code).is_some();
        let writable = |code: &str| !known(code) || self.can_write(code);
        let outside = |code: &str| OutOfScope::Unit(code.to_string());
        if !self.role.may_write_records() || !writable(&change.unit) {
            return Err(outside(&change.unit));
        }
        if let Some(row) = existing {
            if !self.can_write(&row.unit) {
                return Err(outside(&row.unit));
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
                    return Err(outside(p));
                }
            }
            // A new root (banner) has no parent to be in anyone's scope: only an admin.
            let is_new = existing.is_none() && !known(&change.unit);
            if is_new && parent.is_none() && !self.role.may_create_root_units() {
                return Err(outside(&change.unit));
            }
        }
        if matches!(change.table, Table::Target | Table::OrgUnit) && !self.role.may_plan() {
            return Err(OutOfScope::Planning(change.table));
        }
        Ok(())
    }

    /// The pull filter of the whole read scope.
    pub fn read_filter(&self) -> ReadFilter {
        ReadFilter {
            units: match &self.read {
                Units::All => None,
                Units::Some(set) => Some(set.iter().cloned().collect()),
            },
            org_units: self.ancestors.iter().cloned().collect(),
        }
    }

    /// The pull filter of one unit's subtree, with the org-unit rows of its ancestors;
    /// `None` if the unit is not readable.
    pub fn narrowed(&self, unit: &str, tree: &UnitTree) -> Option<ReadFilter> {
        if !self.can_read(unit) || tree.get(unit).is_none() {
            return None;
        }
        let units = tree
            .subtree(unit)
            .into_iter()
            .filter(|c| self.can_read(c))
            .collect();
        Some(ReadFilter {
            units: Some(units),
            org_units: tree.ancestors(unit),
        })
    }
}

/// Why a user may not make a change.
/// Whether `user`, of `role`, may make `change` to an existing record that `creator`
/// entered: withdrawing a record, or correcting an event (a visit, a cleanup load, a
/// demolition), is for the one who entered it and for leaders; what a village keeps
/// together (a household's data and renovation, a works item and its progress) every
/// writer of the unit keeps. `None` creator: not known (entered before it was kept).
pub fn may_retouch(role: Role, user: &str, creator: Option<&str>, change: &Change) -> bool {
    if role.may_correct() || creator.is_none_or(|c| c == user) {
        return true;
    }
    let withdraws = change
        .fields
        .get("deleted")
        .is_some_and(|e| e.value == Value::Bool(true));
    let event = matches!(
        change.table,
        Table::Visit | Table::Cleanup | Table::Demolition
    );
    !(withdraws || event)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutOfScope {
    /// The unit (the change's, the row's or a parent) is not in the write scope.
    Unit(String),
    /// Targets and org units are for leaders and admins.
    Planning(Table),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, level: Level, parent: Option<&str>) -> UnitInfo {
        UnitInfo {
            code: code.into(),
            name: code.into(),
            level,
            parent: parent.map(Into::into),
            deleted: false,
            seepage: false,
            key_village: false,
        }
    }

    fn tree() -> UnitTree {
        UnitTree::new([
            unit("B", Level::Banner, None),
            unit("T1", Level::Township, Some("B")),
            unit("T2", Level::Township, Some("B")),
            unit("V1", Level::Village, Some("T1")),
            unit("V2", Level::Village, Some("T1")),
            unit("V3", Level::Village, Some("T2")),
            unit("H1", Level::Hamlet, Some("V1")),
        ])
    }

    fn set(codes: &[&str]) -> Units {
        Units::Some(codes.iter().map(|c| c.to_string()).collect())
    }

    #[test]
    fn scopes_by_role() {
        let t = tree();
        let cadre = Scope::of(Role::Cadre, &["V1".into()], &t);
        assert_eq!(cadre.write, set(&["V1", "H1"]));
        assert_eq!(cadre.read, set(&["V1", "H1"]));
        assert_eq!(cadre.read_filter().org_units, vec!["B", "T1"]);

        let leader = Scope::of(Role::Leader, &["T1".into()], &t);
        assert_eq!(leader.write, set(&["T1", "V1", "V2", "H1"]));
        assert_eq!(leader.read_filter().org_units, vec!["B"]);

        let inspector = Scope::of(Role::Inspector, &["T2".into()], &t);
        assert_eq!(inspector.write, set(&[]));
        assert_eq!(
            inspector.read,
            set(&["B", "T1", "T2", "V1", "V2", "V3", "H1"])
        );

        let admin = Scope::of(Role::Admin, &[], &t);
        assert!(admin.can_write("V3") && admin.read_filter().units.is_none());
    }

    #[test]
    fn narrowing_needs_a_readable_unit() {
        let t = tree();
        let cadre = Scope::of(Role::Cadre, &["V1".into()], &t);
        assert!(cadre.narrowed("V2", &t).is_none());
        assert!(cadre.narrowed("nowhere", &t).is_none());
        let f = cadre.narrowed("H1", &t).unwrap();
        assert_eq!(f.units, Some(vec!["H1".to_string()]));
        assert_eq!(f.org_units, vec!["V1", "T1", "B"]);
    }

    #[test]
    fn moving_a_unit_moves_its_subtree_and_cycles_end() {
        let mut t = tree();
        t.insert(unit("V1", Level::Village, Some("T2")));
        assert!(!t.subtree("T1").contains("H1"));
        assert!(t.subtree("T2").contains("H1"));
        t.insert(unit("B", Level::Banner, Some("H1")));
        assert!(t.ancestors("H1").len() <= MAX_DEPTH);
        assert!(t.subtree("B").len() <= 7);
    }
}
