//! Org units on the device: adding one, and the flags leaders set on villages
//! (沿黄渗漏区, 重点村) that the ledger's breakdowns and filters read.

use crate::edit::{Edit, Edited};
use crate::{Result, Store};
use tally_core::schema::flag_field;
use tally_core::*;

impl Store {
    /// Add an org unit (device-side; the server is the usual source), with its flags.
    pub fn add_unit(&mut self, unit: &OrgUnit) -> Result<Edited> {
        let mut edit = Edit::new(Table::OrgUnit)
            .row(RowId::natural(NaturalKey::OrgUnit { code: &unit.code }))
            .unit(&unit.code)
            .set("code", &unit.code)
            .set("name", &unit.name)
            .set("level", unit.level)
            .set("parent", &unit.parent);
        for flag in VillageFlag::ALL.iter().filter(|f| unit.has(**f)) {
            edit = edit.set(flag_field(*flag), true);
        }
        self.edit(edit)
    }

    /// Set or clear a flag of a village (leaders and admins, as for every org-unit
    /// change; a unit of another level is refused by validation). Setting it as it is
    /// changes nothing.
    pub fn flag_village(&mut self, code: &str, flag: VillageFlag, on: bool) -> Result<Edited> {
        let unit = self.unit(code)?;
        if unit.has(flag) == on {
            return Ok(Edited::Unchanged(RowId::natural(NaturalKey::OrgUnit {
                code,
            })));
        }
        self.edit(
            Edit::new(Table::OrgUnit)
                .row(RowId::natural(NaturalKey::OrgUnit { code }))
                .unit(code)
                .set(flag_field(flag), on),
        )
    }
}
