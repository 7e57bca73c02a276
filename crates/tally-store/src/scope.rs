//! The login's scope on the device: which units this account may record and plan in
//! (core's rule, `tally_core::scope`, the one the server applies at sync), so a write the
//! server would refuse is refused here, while the cadre can still fix it.

use crate::{Result, Store, StoreError};
use tally_core::scope::{OutOfScope, Scope, UnitInfo, UnitTree};
use tally_core::{Level, Role};

impl Store {
    /// The unit tree as this device has it (deleted units keep their place).
    pub fn unit_tree(&self) -> Result<UnitTree> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT code, name, level, parent, deleted FROM org_unit")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, bool>(4)?,
            ))
        })?;
        let mut units = Vec::new();
        for row in rows {
            let (code, name, level, parent, deleted) = row?;
            let level = level.parse::<Level>().map_err(StoreError::Corrupt)?;
            units.push(UnitInfo {
                code,
                name,
                level,
                parent,
                deleted,
                // Scope reads no flags.
                seepage: false,
                key_village: false,
            });
        }
        Ok(UnitTree::new(units))
    }

    /// What the logged-in account may write, with the tree it was computed on; `None`
    /// before a login that recorded the account's units (the server still decides).
    pub fn write_scope(&self) -> Result<Option<(Scope, UnitTree)>> {
        let (Some(role), Some(units)) = (self.meta("role")?, self.meta("units")?) else {
            return Ok(None);
        };
        let role = role.parse::<Role>().map_err(StoreError::Corrupt)?;
        let units: Vec<String> =
            serde_json::from_str(&units).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let tree = self.unit_tree()?;
        Ok(Some((Scope::of(role, &units, &tree), tree)))
    }
}

/// Why a change is outside the account's scope, naming the unit as people know it.
pub(crate) fn refusal(why: OutOfScope, tree: &UnitTree) -> StoreError {
    match why {
        OutOfScope::Unit(unit) => StoreError::OutOfScope {
            name: tree
                .get(&unit)
                .map_or_else(|| unit.clone(), |u| u.name.clone()),
            unit,
        },
        OutOfScope::Planning(table) => StoreError::PlanningForbidden(table),
    }
}
