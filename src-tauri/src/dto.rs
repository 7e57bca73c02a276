//! The shapes the UI sends and receives that are not domain types: inputs of the entry
//! forms, views built for a screen, the app's status. Their TypeScript twins are
//! generated into ui/src/api/generated/ (see `bindings`).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use tally_core::ledger::GroupRow;
use tally_core::*;
use tally_store::{HouseholdChanges, HouseholdSummary, NewHousehold, OutboxState};
use ts_rs::TS;

use crate::error::IpcError;

/// An org unit known on this device, and whether the logged-in account may record and
/// plan in it (entry forms offer only those; a leader reads the whole banner).
#[derive(Clone, Debug, Serialize, TS)]
pub struct UnitView {
    #[serde(flatten)]
    #[ts(flatten)]
    pub unit: OrgUnit,
    pub writable: bool,
}

/// Household list filters (all optional, combined with AND).
#[derive(Clone, Debug, Default, Deserialize, TS)]
#[serde(default)]
pub struct HouseholdQuery {
    /// This unit and everything below it.
    #[ts(optional)]
    pub unit: Option<String>,
    /// Part of the head's name, or pinyin initials / spelling.
    #[ts(optional)]
    pub search: Option<String>,
    #[ts(optional)]
    pub category: Option<Category>,
    #[ts(optional)]
    pub rating: Option<Rating>,
    /// A renovation status code, or `none` for "no renovation recorded".
    #[ts(optional)]
    pub renovation: Option<String>,
    /// Not visited in this many days (never visited included).
    #[ts(optional)]
    pub not_visited_days: Option<u32>,
    #[ts(optional)]
    pub no_cadre: Option<bool>,
    #[ts(optional)]
    pub limit: Option<u32>,
}

/// One page of the household list and how long the search took.
#[derive(Clone, Debug, Serialize, TS)]
pub struct HouseholdPage {
    pub rows: Vec<HouseholdSummary>,
    pub elapsed_ms: f64,
}

/// A new household (no `id`) or changes to one.
#[derive(Clone, Debug, Deserialize, TS)]
pub struct HouseholdInput {
    #[ts(optional)]
    pub id: Option<RowId>,
    pub unit: String,
    pub head: String,
    /// As typed (see `typed`); blank: not given.
    #[serde(default)]
    pub members: String,
    #[ts(optional)]
    pub phone: Option<String>,
    /// The head's identity card number (身份证号); blank: none.
    #[ts(optional)]
    pub id_number: Option<String>,
    #[serde(default)]
    pub categories: Vec<Category>,
    #[serde(default)]
    pub seepage: bool,
    #[ts(optional)]
    pub rating: Option<Rating>,
    #[ts(optional)]
    pub cadre: Option<String>,
    /// Members with pension insurance, as typed; blank: not recorded.
    #[serde(default)]
    pub pension: String,
    /// Members with medical insurance, as typed; blank: not recorded.
    #[serde(default)]
    pub medical: String,
    /// The person confirmed the unusual values (`unusual_value`).
    #[serde(default)]
    pub confirmed: bool,
}

impl HouseholdInput {
    /// The form as a new household with its numbers as read (blank text is no value:
    /// the store decides).
    pub fn into_new(self, n: HouseholdNumbers) -> NewHousehold {
        NewHousehold {
            village: self.unit,
            head: self.head,
            members: n.members,
            phone: self.phone,
            id_number: self.id_number,
            categories: self.categories,
            seepage: self.seepage,
            rating: self.rating,
            cadre: self.cadre,
            pension: n.pension,
            medical: n.medical,
        }
    }

    /// The form as changes to a stored household: every field it shows.
    pub fn changes(&self, n: HouseholdNumbers) -> HouseholdChanges {
        HouseholdChanges {
            head: Some(self.head.clone()),
            members: Some(n.members.unwrap_or(1)),
            phone: Some(self.phone.clone().unwrap_or_default()),
            id_number: Some(self.id_number.clone().unwrap_or_default()),
            categories: Some(self.categories.clone()),
            seepage: Some(self.seepage),
            rating: Some(self.rating),
            cadre: Some(self.cadre.clone().unwrap_or_default()),
            pension: Some(n.pension),
            medical: Some(n.medical),
        }
    }
}

/// The numbers of a household form, as read from what was typed.
#[derive(Clone, Copy, Debug, Default)]
pub struct HouseholdNumbers {
    pub members: Option<u32>,
    pub pension: Option<u32>,
    pub medical: Option<u32>,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct VisitInput {
    pub household: RowId,
    #[ts(optional)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub note: String,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct RenovationInput {
    pub household: RowId,
    pub status: RenovationStatus,
    #[ts(optional)]
    pub date: Option<NaiveDate>,
    /// A leader's correction: the status may move backwards.
    #[serde(default)]
    pub correction: bool,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct DemolitionInput {
    pub unit: String,
    #[ts(optional)]
    pub household: Option<RowId>,
    /// As typed; blank: not given.
    #[serde(default)]
    pub area_m2: String,
    #[ts(optional)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub confirmed: bool,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct CleanupInput {
    pub unit: String,
    pub kind: PileKind,
    /// As typed.
    pub tonnes: String,
    /// As typed; blank: not given.
    #[serde(default)]
    pub piles: String,
    #[ts(optional)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub confirmed: bool,
}

/// A cleanup load as saved: its row and the tonnes as the store read them (the form's
/// running total of the session adds these, never its own reading of the text).
#[derive(Clone, Debug, Serialize, TS)]
pub struct SavedLoad {
    pub id: RowId,
    pub tonnes: f64,
}

/// A new works item (no `id`), or a new status of an existing one.
#[derive(Clone, Debug, Deserialize, TS)]
pub struct WorksInput {
    #[ts(optional)]
    pub id: Option<RowId>,
    pub unit: String,
    pub kind: WorksKind,
    /// As typed, in the kind's unit (km of street, sites of water …).
    pub quantity: String,
    /// As typed; blank: not given.
    #[serde(default)]
    pub people: String,
    pub status: WorksStatus,
    #[ts(optional)]
    pub date: Option<NaiveDate>,
    /// What people call it; blank: none.
    #[serde(default)]
    pub name: String,
    /// Where it is, in words; blank: none.
    #[serde(default)]
    pub location: String,
    #[serde(default)]
    pub note: String,
    /// Latitude and longitude in degrees, as typed; blank: not measured.
    #[serde(default)]
    pub lat: String,
    #[serde(default)]
    pub lon: String,
    #[serde(default)]
    pub confirmed: bool,
    /// A leader's correction: the status may move backwards.
    #[serde(default)]
    pub correction: bool,
}

/// A works item as its list shows it: the record and how much of it is done
/// (`Works::done`).
#[derive(Clone, Debug, Serialize, TS)]
pub struct WorksItem {
    #[serde(flatten)]
    #[ts(flatten)]
    pub works: Works,
    pub done: f64,
}

/// A progress entry to append to a works item.
#[derive(Clone, Debug, Deserialize, TS)]
pub struct ProgressInput {
    pub works: RowId,
    /// As typed, in the kind's unit.
    pub quantity: String,
    #[ts(optional)]
    pub date: Option<NaiveDate>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub confirmed: bool,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct TargetInput {
    pub unit: String,
    pub metric: Metric,
    /// A cleanup target of one pile kind.
    #[ts(optional)]
    pub pile: Option<PileKind>,
    /// As typed, in the metric's unit.
    pub quantity: String,
    /// Required: missing is said beside the field.
    #[ts(optional)]
    pub deadline: Option<NaiveDate>,
    /// The first day of its period (none: from the beginning).
    #[ts(optional)]
    pub from: Option<NaiveDate>,
    #[serde(default)]
    pub milestones: Vec<MilestoneInput>,
}

/// A milestone as typed: a day and a quantity (as typed, in the metric's unit).
#[derive(Clone, Debug, Deserialize, TS)]
pub struct MilestoneInput {
    #[ts(optional)]
    pub date: Option<NaiveDate>,
    pub quantity: String,
}

/// One local entry and where it stands in sync.
#[derive(Clone, Debug, Serialize, TS)]
pub struct EntryView {
    pub change_id: ChangeId,
    pub table: Table,
    pub row: RowId,
    pub unit: String,
    pub unit_name: String,
    /// The household the entry is about, if any (for "open / correct").
    pub household: Option<RowId>,
    /// What it records, as codes and values the UI words in its language.
    pub summary: EntrySummary,
    pub state: OutboxState,
    /// The server's sequence number: the receipt.
    #[ts(type = "number | null")]
    pub receipt: Option<i64>,
    /// Why the server refused it: its code and its reason in English and in Chinese.
    pub reject_code: Option<String>,
    pub reject_reason: Option<String>,
    pub reject_reason_zh: Option<String>,
    /// When it was recorded, RFC 3339 UTC.
    pub recorded_at: String,
    /// Its record (or progress entry) has since been withdrawn: nothing left to take back.
    pub withdrawn: bool,
}

/// An open conflict with what a leader needs to decide it (the UI words the table,
/// the field and the values from their codes).
#[derive(Clone, Debug, Serialize, TS)]
pub struct ConflictView {
    pub conflict: Conflict,
    /// The household's head, when the row is a household.
    pub household: Option<String>,
    pub unit_name: String,
    /// When each was written (RFC 3339 UTC, from the HLC).
    pub winner_time: String,
    pub loser_time: String,
}

/// Where a running sync is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "phase", rename_all = "kebab-case")]
pub enum SyncProgress {
    Checking,
    Pushing { sent: u32, total: u32 },
    Pulling { received: u32 },
}

/// What one sync did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, TS)]
pub struct SyncResult {
    pub sent: u32,
    pub accepted: u32,
    pub rejected: u32,
    pub received: u32,
    pub conflicts: u32,
    #[ts(type = "number")]
    pub clock_offset_ms: i64,
    /// When it finished, RFC 3339 UTC.
    pub finished_at: String,
    /// Started by the background task when the server became reachable.
    pub automatic: bool,
}

/// The result of logging in (enrolling this device).
#[derive(Clone, Debug, Serialize, TS)]
pub struct LoginResult {
    pub user: String,
    pub role: Role,
    pub units: Vec<String>,
}

/// Everything the header, the home screen and the sync screen show about this device.
#[derive(Clone, Debug, Serialize, TS)]
pub struct AppStatus {
    /// No key for the device database (no keyring, no TALLY_DB_KEY): the window asks for
    /// the passphrase before anything else.
    pub locked: bool,
    /// Locked and no database yet: the passphrase is chosen now (typed twice).
    pub new_database: bool,
    pub device_name: String,
    pub device_id: String,
    pub author: String,
    pub server: Option<String>,
    pub user: Option<String>,
    pub role: Option<Role>,
    /// What the logged-in role may do (not logged in: a cadre's, nothing privileged).
    pub can: Capabilities,
    pub last_sync: Option<String>,
    pub pending: u32,
    pub rejected: u32,
    pub conflicts: u32,
    /// Whether the server answered the last health check (`null`: not checked yet).
    pub online: Option<bool>,
    pub syncing: bool,
    pub progress: Option<SyncProgress>,
    pub last_result: Option<SyncResult>,
    pub last_error: Option<IpcError>,
    /// Server clock minus device clock at the last sync.
    #[ts(type = "number")]
    pub clock_offset_ms: i64,
    /// |offset| is more than 2 minutes.
    pub clock_warning: bool,
    pub today: NaiveDate,
    pub db_path: String,
}

impl AppStatus {
    /// A locked device: nothing is known until the passphrase opens the database.
    pub fn locked(new_database: bool, today: NaiveDate) -> AppStatus {
        AppStatus {
            locked: true,
            new_database,
            device_name: String::new(),
            device_id: String::new(),
            author: String::new(),
            server: None,
            user: None,
            role: None,
            can: Role::Cadre.capabilities(),
            last_sync: None,
            pending: 0,
            rejected: 0,
            conflicts: 0,
            online: None,
            syncing: false,
            progress: None,
            last_result: None,
            last_error: None,
            clock_offset_ms: 0,
            clock_warning: false,
            today,
            db_path: String::new(),
        }
    }
}

/// Kept between runs in the config folder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, TS)]
pub struct Settings {
    /// `zh-CN` (default) or `en`.
    pub language: String,
    /// The folder holding tally.db; `null` means the default (shared with the CLI).
    pub data_dir: Option<String>,
    /// The folder exports go to; `null` means Documents/Tally导出.
    pub export_dir: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            language: "zh-CN".into(),
            data_dir: None,
            export_dir: None,
        }
    }
}

/// One daily backup of the device database (the newest seven are kept).
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct BackupEntry {
    /// The file's name in the backups folder, e.g. `tally-2026-11-30.db`.
    pub name: String,
    /// The local day it was written.
    pub day: String,
    pub size_bytes: u64,
}

/// A backup put in place of the device database.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct RestoreResult {
    pub day: String,
    /// Changes the restored database holds.
    pub changes: i64,
    /// Where the database restored over was kept.
    pub kept_as: String,
}

/// A folder a bundle can be written to (a USB stick, or the export folder).
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct BundlePlace {
    pub path: String,
    /// The stick's name, or the export folder's path.
    pub name: String,
    pub removable: bool,
}

/// A bundle written for the server.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct BundleWritten {
    pub path: String,
    /// Pending entries it carries.
    pub changes: u32,
}

/// A receipts file for this device, found in a place.
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct ReceiptsFile {
    pub path: String,
    pub name: String,
    /// The place's name (see [`BundlePlace`]).
    pub place: String,
    /// When the file was written, local time.
    pub modified: String,
}

/// What importing receipts did (see `tally_sync::bundle::ReceiptsImported`).
#[derive(Clone, Debug, PartialEq, Serialize, TS)]
pub struct ReceiptsResult {
    pub accepted: u32,
    pub rejected: u32,
    pub changed_since: u32,
    pub restamped: u32,
    pub received: u32,
    pub pull_skipped: bool,
    pub more: bool,
}

impl From<tally_sync::bundle::ReceiptsImported> for ReceiptsResult {
    fn from(r: tally_sync::bundle::ReceiptsImported) -> Self {
        let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        ReceiptsResult {
            accepted: n(r.accepted),
            rejected: n(r.rejected),
            changed_since: n(r.changed_since),
            restamped: n(r.restamped),
            received: n(r.received),
            pull_skipped: r.pull_skipped,
            more: r.more,
        }
    }
}

/// What settings screen shows beside the saved settings.
#[derive(Clone, Debug, Serialize, TS)]
pub struct SettingsView {
    pub settings: Settings,
    pub data_dir: String,
    pub export_dir: String,
    /// Set by TALLY_DATA_DIR: the data folder cannot be changed here.
    pub data_dir_fixed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Xlsx,
    Csv,
}

#[derive(Clone, Debug, Deserialize, TS)]
pub struct ExportInput {
    pub unit: String,
    pub format: ExportFormat,
    #[ts(optional)]
    pub as_of: Option<NaiveDate>,
}

#[derive(Clone, Debug, Serialize, TS)]
pub struct ExportResult {
    pub files: Vec<String>,
}

/// One line of the ledger with the pace warning (the UI labels it from its key).
#[derive(Clone, Debug, Serialize, TS)]
pub struct LedgerLine {
    #[serde(flatten)]
    #[ts(flatten)]
    pub row: LedgerRow,
    /// Completing less per day than the deadline needs (`LedgerRow::behind_pace`).
    pub behind_pace: bool,
}

/// Which target: its unit, metric, pile kind and period start (as the ledger row shows).
#[derive(Clone, Debug, Deserialize, TS)]
pub struct TargetKey {
    pub unit: String,
    pub metric: Metric,
    #[ts(optional)]
    pub pile: Option<PileKind>,
    #[ts(optional)]
    pub from: Option<NaiveDate>,
}

/// Corrections to one entry (a record's id, or a works progress entry's), each field as
/// typed.
#[derive(Clone, Debug, Deserialize, TS)]
pub struct CorrectInput {
    pub id: String,
    pub fields: std::collections::BTreeMap<String, String>,
    /// The person confirmed the unusual values (`unusual_value`).
    #[serde(default)]
    pub confirmed: bool,
}

/// What importing a roster did: the households added and updated, or the problems of its
/// lines (then nothing was imported).
#[derive(Clone, Debug, Serialize, TS)]
pub struct RosterOutcome {
    pub imported: Option<tally_store::RosterImport>,
    pub problems: Vec<tally_store::LineProblem>,
}

/// The ledger of a unit's subtree, as the home screen shows it.
#[derive(Clone, Debug, Serialize, TS)]
pub struct LedgerView {
    pub unit: String,
    pub unit_name: String,
    pub as_of: NaiveDate,
    /// Only the villages with this flag were counted.
    pub only: Option<VillageFlag>,
    pub rows: Vec<LedgerLine>,
    /// The households by group (分类统计).
    pub groups: Vec<GroupRow>,
}
