//! The glossary as types: org units, households, visits, demolitions, cleanup loads,
//! works, targets, and the small enums they are made of.

use crate::ids::RowId;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Declares a closed set of codes with their wire name and their Chinese and English
/// labels (the only place a code's label is written; the UI's are generated from here).
macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($variant:ident = $code:literal / $zh:literal / $en:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        pub enum $name { $(#[cfg_attr(feature = "ts", ts(rename = $code))] $variant),+ }

        /// Serialised as its code.
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        /// Only the exact code is accepted on the wire.
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
                $(if s == $code { return Ok($name::$variant); })+
                Err(serde::de::Error::custom(format!("{} must be one of {}, got {:?}", $what, Self::codes(), s)))
            }
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The code used on the wire, in the CLI and in the database.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            /// The Chinese label shown to users.
            pub fn zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }
            /// The English label shown to users.
            pub fn en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }
            /// The label in a language.
            pub fn label(self, lang: crate::labels::Lang) -> &'static str {
                match lang {
                    crate::labels::Lang::Zh => self.zh(),
                    crate::labels::Lang::En => self.en(),
                }
            }
            /// The codes as a comma-separated list, for error messages.
            pub fn codes() -> String {
                [$($code),+].join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl FromStr for $name {
            type Err = String;
            /// Accepts the code or the Chinese label.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let t = s.trim();
                $(if t.eq_ignore_ascii_case($code) || t == $zh { return Ok($name::$variant); })+
                Err(format!("{} must be one of {}, got {:?}", $what, Self::codes(), s))
            }
        }
    };
}

code_enum!(
    /// The level of an org unit, from the banner (county) down to the hamlet.
    Level, "level" {
        Banner = "banner" / "旗" / "Banner",
        Township = "township" / "苏木镇" / "Township",
        Village = "village" / "嘎查村" / "Village",
        Hamlet = "hamlet" / "自然村" / "Hamlet",
    }
);

code_enum!(
    /// Priority categories of a household.
    Category, "category" {
        FiveGuarantee = "five-guarantee" / "五保户" / "Five-guarantee",
        Subsistence = "subsistence" / "低保户" / "Subsistence allowance",
        DisabledPoor = "disabled-poor" / "残疾人贫困户" / "Disabled poor",
    }
);

code_enum!(
    /// A flag a leader sets on a village: it lies in the Yellow River seepage zone (沿黄渗漏区),
    /// or it is a key village (重点村) of the campaign.
    VillageFlag, "village flag" {
        Seepage = "seepage" / "沿黄渗漏区" / "Yellow River seepage zone",
        KeyVillage = "key-village" / "重点村" / "Key village",
    }
);

code_enum!(
    /// A breakdown of a ledger's households (分类统计): all of them, a priority category,
    /// or those of the seepage zone (in a flagged village, or flagged themselves) and of
    /// the key villages.
    Group, "group" {
        All = "all" / "全部农户" / "All households",
        FiveGuarantee = "five-guarantee" / "五保户" / "Five-guarantee",
        Subsistence = "subsistence" / "低保户" / "Subsistence allowance",
        DisabledPoor = "disabled-poor" / "残疾人贫困户" / "Disabled poor",
        Seepage = "seepage" / "沿黄渗漏区" / "Yellow River seepage zone",
        KeyVillage = "key-village" / "重点村" / "Key villages",
    }
);

code_enum!(
    /// Why two households look like one family entered twice.
    DuplicateReason, "duplicate reason" {
        SameIdNumber = "same-id-number" / "身份证号相同" / "Same ID number",
        SameHeadAndPhone = "same-head-phone" / "同村户主同名、电话相同" / "Same village, head and phone",
        SameHead = "same-head" / "同村户主同名" / "Same village and head",
    }
);

code_enum!(
    /// Rating of a house: A sound … D dangerous; C and D need renovation.
    Rating, "rating" {
        A = "A" / "A级" / "A",
        B = "B" / "B级" / "B",
        C = "C" / "C级" / "C",
        D = "D" / "D级" / "D",
    }
);

code_enum!(
    /// Renovation status; moves forward only, unless a leader corrects it.
    RenovationStatus, "renovation status" {
        Planned = "planned" / "计划" / "Planned",
        Started = "started" / "已开工" / "Started",
        Completed = "completed" / "已竣工" / "Completed",
        Accepted = "accepted" / "已验收" / "Accepted",
    }
);

code_enum!(
    /// The kind of pile a cleanup load cleared.
    PileKind, "pile kind" {
        Firewood = "firewood" / "柴堆" / "Firewood",
        Hay = "hay" / "草堆" / "Hay",
        Manure = "manure" / "粪堆" / "Manure",
        Dirt = "dirt" / "土堆" / "Dirt",
        Garbage = "garbage" / "垃圾堆" / "Garbage",
    }
);

code_enum!(
    /// Kinds of public works (what each counts in the ledger: `crate::metrics`).
    WorksKind, "works kind" {
        Road = "road" / "街巷硬化" / "Street hardening",
        Water = "water" / "安全饮水" / "Safe water",
        Power = "power" / "通电" / "Power",
        Broadcast = "broadcast" / "广播电视通信" / "Broadcast & telecom",
        School = "school" / "校舍" / "School buildings",
        Clinic = "clinic" / "卫生室" / "Clinic",
        CultureRoom = "culture-room" / "文化室" / "Culture room",
        Shop = "shop" / "便民超市" / "Shop",
        Greening = "greening" / "植树绿化" / "Greening",
    }
);

code_enum!(
    /// What a quantity is counted in (the metrics' and the works kinds' units).
    Measure, "measure" {
        Households = "households" / "户" / "households",
        Km = "km" / "公里" / "km",
        Sites = "sites" / "处" / "sites",
        People = "people" / "人" / "people",
        Hamlets = "hamlets" / "个自然村" / "hamlets",
        SquareMetres = "m2" / "平方米" / "m²",
        Tonnes = "t" / "吨" / "t",
        Trees = "trees" / "株" / "trees",
        Degrees = "degrees" / "度" / "°",
    }
);

code_enum!(
    /// Social insurance a household's members may have (养老 / 医疗).
    Scheme, "insurance scheme" {
        Pension = "pension" / "养老保险" / "Pension insurance",
        Medical = "medical" / "医疗保险" / "Medical insurance",
    }
);

code_enum!(
    /// Status of a works item; moves forward only, unless a leader corrects it.
    WorksStatus, "works status" {
        Planned = "planned" / "计划" / "Planned",
        Started = "started" / "已开工" / "Started",
        Completed = "completed" / "已竣工" / "Completed",
        Accepted = "accepted" / "已验收" / "Accepted",
    }
);

code_enum!(
    /// The metrics of the progress ledger: 十个全覆盖, demolition and cleanup. What each
    /// counts and in what unit: `Metric::def` (`crate::metrics`).
    Metric, "metric" {
        Renovation = "renovation" / "危房改造(户)" / "Renovation (households)",
        RoadKm = "road-km" / "街巷硬化(公里)" / "Streets (km)",
        WaterSites = "water-sites" / "安全饮水(处)" / "Safe water (sites)",
        WaterPeople = "water-people" / "安全饮水(人)" / "Safe water (people)",
        Power = "power" / "通电(个自然村)" / "Power (hamlets)",
        Broadcast = "broadcast" / "广播电视通信(个自然村)" / "Broadcast & telecom (hamlets)",
        School = "school" / "校舍(平方米)" / "School buildings (m²)",
        Clinic = "clinic" / "卫生室(处)" / "Clinics (sites)",
        CultureRoom = "culture-room" / "文化室(处)" / "Culture rooms (sites)",
        Shop = "shop" / "便民超市(处)" / "Shops (sites)",
        Pension = "pension" / "养老保险(人)" / "Pension insurance (people)",
        Medical = "medical" / "医疗保险(人)" / "Medical insurance (people)",
        Demolition = "demolition" / "拆除(户)" / "Demolition (households)",
        CleanupTonnes = "cleanup-tonnes" / "清理(吨)" / "Cleanup (t)",
        Greening = "greening" / "植树绿化(株)" / "Greening (trees)",
    }
);

code_enum!(
    /// The synced tables.
    Table, "table" {
        OrgUnit = "org_unit" / "组织单位" / "Org unit",
        Household = "household" / "农户" / "Household",
        Visit = "visit" / "走访" / "Visit",
        Demolition = "demolition" / "拆除" / "Demolition",
        Cleanup = "cleanup" / "清理" / "Cleanup",
        Works = "works" / "工程" / "Works",
        Target = "target" / "指标" / "Target",
    }
);

code_enum!(
    /// What a user may do; bound to org units. What each role may do is decided here
    /// (the capability methods), for the server's scope checks, the desktop and the UI.
    Role, "role" {
        Cadre = "cadre" / "驻村干部" / "Cadre",
        Leader = "leader" / "工作队长" / "Team leader",
        Inspector = "inspector" / "督查组" / "Inspector",
        Admin = "admin" / "管理员" / "Admin",
    }
);

impl Role {
    /// Writes records (households, visits, cleanup …) in its units. Inspectors only read.
    pub fn may_write_records(self) -> bool {
        !matches!(self, Role::Inspector)
    }

    /// Sets targets and creates or edits org units (planning) in its units.
    pub fn may_plan(self) -> bool {
        matches!(self, Role::Leader | Role::Admin)
    }

    /// Makes a correction: moves a forward-only status back, outranking what it corrects.
    pub fn may_correct(self) -> bool {
        matches!(self, Role::Leader | Role::Admin)
    }

    /// Reviews the open conflicts of its read scope (leaders, inspectors, admins).
    pub fn may_review_conflicts(self) -> bool {
        !matches!(self, Role::Cadre)
    }

    /// Resolves a conflict: an edit that names the losing value it saw.
    pub fn may_resolve_conflicts(self) -> bool {
        matches!(self, Role::Leader | Role::Admin)
    }

    /// Records inspection findings (督查问题) and re-checks them.
    pub fn may_write_findings(self) -> bool {
        matches!(self, Role::Inspector | Role::Leader | Role::Admin)
    }

    /// Carries another device's sneakernet bundle to the server from its own logged-in
    /// device (a township leader with a network, for a cadre without one).
    pub fn may_forward_bundles(self) -> bool {
        matches!(self, Role::Leader | Role::Admin)
    }

    /// Creates a new top-level unit (a banner), which is in nobody's scope yet.
    pub fn may_create_root_units(self) -> bool {
        matches!(self, Role::Admin)
    }

    /// Reads the whole banner of its assigned units, not only their subtrees.
    pub fn reads_whole_banner(self) -> bool {
        matches!(self, Role::Inspector)
    }

    /// Everything this role may do, as data for the desktop and the UI.
    pub fn capabilities(self) -> Capabilities {
        Capabilities {
            write_records: self.may_write_records(),
            plan: self.may_plan(),
            correct: self.may_correct(),
            review_conflicts: self.may_review_conflicts(),
            resolve_conflicts: self.may_resolve_conflicts(),
            write_findings: self.may_write_findings(),
            works_in_villages: self.works_in_villages(),
        }
    }

    /// Works in its villages day to day (the home screen opens on a village, not on
    /// the widest unit).
    pub fn works_in_villages(self) -> bool {
        matches!(self, Role::Cadre)
    }

    /// Works in assigned org units; only an admin is everywhere and needs none.
    pub fn needs_units(self) -> bool {
        !matches!(self, Role::Admin)
    }
}

/// What a role may do (the [`Role`] methods, as one value the UI reads).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Capabilities {
    pub write_records: bool,
    pub plan: bool,
    pub correct: bool,
    pub review_conflicts: bool,
    pub resolve_conflicts: bool,
    pub write_findings: bool,
    pub works_in_villages: bool,
}

impl RenovationStatus {
    /// The position in the forward-only order.
    pub fn rank(self) -> u8 {
        self as u8
    }
}

impl WorksStatus {
    pub fn rank(self) -> u8 {
        self as u8
    }
}

impl Level {
    /// The level a child of this level has, if any.
    pub fn child(self) -> Option<Level> {
        match self {
            Level::Banner => Some(Level::Township),
            Level::Township => Some(Level::Village),
            Level::Village => Some(Level::Hamlet),
            Level::Hamlet => None,
        }
    }
}

/// An org unit: banner, township, village or hamlet, with its official code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OrgUnit {
    pub code: String,
    pub name: String,
    pub level: Level,
    pub parent: Option<String>,
    /// In the Yellow River seepage zone (沿黄渗漏区); set by leaders on villages.
    #[serde(default)]
    pub seepage: bool,
    /// A key village (重点村); set by leaders.
    #[serde(default)]
    pub key_village: bool,
}

impl OrgUnit {
    /// A unit with no flags set.
    pub fn new(code: &str, name: &str, level: Level, parent: Option<&str>) -> OrgUnit {
        OrgUnit {
            code: code.to_string(),
            name: name.to_string(),
            level,
            parent: parent.map(str::to_string),
            seepage: false,
            key_village: false,
        }
    }

    /// Whether the unit carries a flag.
    pub fn has(&self, flag: VillageFlag) -> bool {
        match flag {
            VillageFlag::Seepage => self.seepage,
            VillageFlag::KeyVillage => self.key_village,
        }
    }
}

/// A household and the state of its house.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Household {
    pub id: RowId,
    /// The village (or hamlet) the household belongs to.
    pub unit: String,
    pub head: String,
    pub members: u32,
    pub phone: Option<String>,
    /// The head's resident identity card number (身份证号), if recorded.
    #[serde(default)]
    pub id_number: Option<String>,
    pub categories: Vec<Category>,
    pub seepage: bool,
    pub rating: Option<Rating>,
    pub renovation: Option<RenovationStatus>,
    pub planned_on: Option<NaiveDate>,
    pub started_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    /// The responsible cadre.
    pub cadre: Option<String>,
    /// Members with pension insurance (养老保险), if recorded.
    pub pension: Option<u32>,
    /// Members with medical insurance (医疗保险), if recorded.
    pub medical: Option<u32>,
    pub deleted: bool,
}

/// A visit to (inspection of) one household.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Visit {
    pub id: RowId,
    pub unit: String,
    pub household: RowId,
    pub date: NaiveDate,
    pub note: String,
    pub deleted: bool,
}

/// An abandoned house demolished.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Demolition {
    pub id: RowId,
    pub unit: String,
    pub household: Option<RowId>,
    pub area_m2: Option<f64>,
    pub date: NaiveDate,
    pub deleted: bool,
}

/// A cleanup load: tonnes of one pile kind cleared on one day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Cleanup {
    pub id: RowId,
    pub unit: String,
    pub kind: PileKind,
    pub tonnes: f64,
    pub piles: u32,
    pub date: NaiveDate,
    pub deleted: bool,
}

/// A public works item: a road (km), a water site (with people served), a room.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Works {
    pub id: RowId,
    pub unit: String,
    pub kind: WorksKind,
    /// What people call it: 村东主街, 二组饮水井.
    pub name: Option<String>,
    /// Where it is, in words.
    pub location: Option<String>,
    pub note: Option<String>,
    pub quantity: f64,
    pub people: Option<u32>,
    pub status: WorksStatus,
    pub started_on: Option<NaiveDate>,
    pub completed_on: Option<NaiveDate>,
    pub accepted_on: Option<NaiveDate>,
    /// Where it is on the map (WGS-84 degrees), if someone measured it.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// What was done, entry by entry, in date order (withdrawn entries included).
    pub progress: Vec<Progress>,
    pub deleted: bool,
}

/// One progress entry of a works item: on a day, this much more was done (3.2 km of a
/// 5 km road). Entries are appended, never overwritten by another entry: each is its own
/// field of the works row (`progress:<id>`), so entries made on two devices both arrive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Progress {
    /// The entry's id (a UUID; the field is `progress:<id>`).
    pub id: String,
    pub date: NaiveDate,
    /// Done that day, in the works kind's unit.
    pub quantity: f64,
    pub note: Option<String>,
    /// Why it was withdrawn, if it was: a withdrawn entry counts nothing.
    pub withdrawn: Option<String>,
}

impl Works {
    /// Done so far, in the kind's unit: all of it once completed, else what its progress
    /// entries that count (not withdrawn) add up to, at most the planned quantity. (The
    /// ledger's completed figure is this, dated entry by entry.)
    pub fn done(&self) -> f64 {
        if self.status >= WorksStatus::Completed {
            return self.quantity;
        }
        let entries: f64 = self
            .progress
            .iter()
            .filter(|p| p.withdrawn.is_none())
            .map(|p| p.quantity)
            .sum();
        entries.min(self.quantity)
    }
}

/// A quota: how much of a metric a unit must reach by a deadline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Target {
    pub id: RowId,
    pub unit: String,
    pub metric: Metric,
    /// A cleanup target of one pile kind (its breakdown row), else none.
    pub pile: Option<PileKind>,
    pub quantity: f64,
    pub deadline: NaiveDate,
    /// The first day of its period (none: from the beginning). The ledger on a day uses
    /// the target whose period holds it and counts the records dated in that period.
    pub from: Option<NaiveDate>,
    /// Dated intermediate quantities (节点), in date order.
    pub milestones: Vec<Milestone>,
    pub deleted: bool,
}

/// A milestone of a target: this much completed by this day (counted from the period's
/// start).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Milestone {
    pub date: NaiveDate,
    pub quantity: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_wire_form_and_labels_parse_from_the_command_line() {
        assert_eq!(
            serde_json::to_string(&Table::OrgUnit).unwrap(),
            r#""org_unit""#
        );
        assert_eq!(serde_json::to_string(&Rating::A).unwrap(), r#""A""#);
        assert_eq!(
            serde_json::from_str::<Category>(r#""five-guarantee""#).unwrap(),
            Category::FiveGuarantee
        );
        assert!(
            serde_json::from_str::<Rating>(r#""a""#).is_err(),
            "the wire takes exact codes only"
        );
        assert!(serde_json::from_str::<Table>(r#""nope""#)
            .unwrap_err()
            .to_string()
            .contains("table must be one of"));
        assert_eq!(
            "五保户".parse::<Category>().unwrap(),
            Category::FiveGuarantee
        );
        assert_eq!("d".parse::<Rating>().unwrap(), Rating::D);
        assert!("E".parse::<Rating>().unwrap_err().contains("got \"E\""));
    }
}
