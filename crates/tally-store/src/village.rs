//! Finding the village or hamlet a person means by what they typed — its code, or its
//! name as this device knows it — for a form's field or every line of an imported file.
//! The device's units are read once into an index, so a file of 20 000 lines naming the
//! same village costs one read of the units and 20 000 map lookups.

use crate::{Result, Store, StoreError};
use serde::Serialize;
use std::collections::HashMap;
use tally_core::{Level, OrgUnit};

/// One of the units a name could mean: its code, its name and its parent's name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Candidate {
    pub code: String,
    pub name: String,
    pub parent_name: Option<String>,
}

impl Candidate {
    /// `150625100201 阿斯尔嘎查（锡尼镇）`
    pub fn zh(&self) -> String {
        match &self.parent_name {
            Some(p) => format!("{} {}（{p}）", self.code, self.name),
            None => format!("{} {}", self.code, self.name),
        }
    }

    /// `150625100201 阿斯尔嘎查 (锡尼镇)`
    pub fn en(&self) -> String {
        match &self.parent_name {
            Some(p) => format!("{} {} ({p})", self.code, self.name),
            None => format!("{} {}", self.code, self.name),
        }
    }
}

/// The units of a device indexed by code and by name, to find villages and hamlets.
#[derive(Clone, Debug, Default)]
pub struct Villages {
    units: Vec<OrgUnit>,
    by_code: HashMap<String, usize>,
    by_name: HashMap<String, Vec<usize>>,
}

fn is_village(u: &OrgUnit) -> bool {
    matches!(u.level, Level::Village | Level::Hamlet)
}

impl Villages {
    /// Index these units (every level: a parent's name and a township typed by mistake
    /// are found too).
    pub fn new(units: Vec<OrgUnit>) -> Villages {
        let mut by_code = HashMap::with_capacity(units.len());
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, u) in units.iter().enumerate() {
            by_code.insert(u.code.clone(), i);
            by_name
                .entry(u.name.trim().to_string())
                .or_default()
                .push(i);
        }
        Villages {
            units,
            by_code,
            by_name,
        }
    }

    /// The village or hamlet meant by `typed` (surrounding spaces ignored): the unit with
    /// that code, else the one village or hamlet with exactly that name. A blank, a code or
    /// name nobody has, a unit above village level and a name several villages or hamlets
    /// share are errors saying which.
    pub fn find(&self, typed: &str) -> Result<&OrgUnit> {
        let typed = typed.trim();
        if typed.is_empty() {
            return Err(StoreError::UnknownVillage(String::new()));
        }
        if let Some(&i) = self.by_code.get(typed) {
            return self.village(typed, &self.units[i]);
        }
        let named: &[usize] = self.by_name.get(typed).map_or(&[], Vec::as_slice);
        let villages: Vec<&OrgUnit> = named
            .iter()
            .map(|&i| &self.units[i])
            .filter(|u| is_village(u))
            .collect();
        match (villages.as_slice(), named) {
            ([one], _) => Ok(one),
            ([], [i]) => self.village(typed, &self.units[*i]),
            ([], _) => Err(StoreError::UnknownVillage(typed.to_string())),
            (several, _) => {
                let mut candidates: Vec<Candidate> =
                    several.iter().map(|u| self.candidate(u)).collect();
                candidates.sort_by(|a, b| a.code.cmp(&b.code));
                Err(StoreError::AmbiguousVillage {
                    name: typed.to_string(),
                    candidates,
                })
            }
        }
    }

    /// `unit` if it is a village or hamlet, else why not.
    fn village<'a>(&self, typed: &str, unit: &'a OrgUnit) -> Result<&'a OrgUnit> {
        if is_village(unit) {
            return Ok(unit);
        }
        Err(StoreError::NotAVillage {
            typed: typed.to_string(),
            unit: self.candidate(unit),
            level: unit.level,
        })
    }

    fn candidate(&self, u: &OrgUnit) -> Candidate {
        let parent = u.parent.as_ref().and_then(|p| self.by_code.get(p));
        Candidate {
            code: u.code.clone(),
            name: u.name.clone(),
            parent_name: parent.map(|&i| self.units[i].name.clone()),
        }
    }
}

impl Store {
    /// The device's units indexed to find villages and hamlets by code or name; build
    /// it once for a whole file.
    pub fn villages(&self) -> Result<Villages> {
        Ok(Villages::new(self.units()?))
    }

    /// The village or hamlet meant by what a person typed: its code or its name (see
    /// [`Villages::find`]).
    pub fn find_village(&self, typed: &str) -> Result<OrgUnit> {
        self.villages()?.find(typed).cloned()
    }
}
