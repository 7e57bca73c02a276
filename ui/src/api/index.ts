// The only place that calls `invoke`: one wrapper per Tauri command (noun_verb in Rust,
// camelCase here). The types come from Rust (./generated, by ts-rs).
import { Channel, invoke } from "@tauri-apps/api/core";
import type { BackupEntry } from "./generated/BackupEntry";
import type { BundlePlace } from "./generated/BundlePlace";
import type { BundleWritten } from "./generated/BundleWritten";
import type { ReceiptsFile } from "./generated/ReceiptsFile";
import type { ReceiptsResult } from "./generated/ReceiptsResult";
import type { RestoreResult } from "./generated/RestoreResult";
import type { AppStatus } from "./generated/AppStatus";
import type { ChangeId } from "./generated/ChangeId";
import type { CleanupInput } from "./generated/CleanupInput";
import type { SavedLoad } from "./generated/SavedLoad";
import type { ConflictView } from "./generated/ConflictView";
import type { DemolitionInput } from "./generated/DemolitionInput";
import type { EntryView } from "./generated/EntryView";
import type { ExportInput } from "./generated/ExportInput";
import type { ExportResult } from "./generated/ExportResult";
import type { HouseholdDetail } from "./generated/HouseholdDetail";
import type { HouseholdInput } from "./generated/HouseholdInput";
import type { HouseholdPage } from "./generated/HouseholdPage";
import type { HouseholdQuery } from "./generated/HouseholdQuery";
import type { LedgerView } from "./generated/LedgerView";
import type { OrgUnit } from "./generated/OrgUnit";
import type { CorrectInput } from "./generated/CorrectInput";
import type { TargetKey } from "./generated/TargetKey";
import type { RosterOutcome } from "./generated/RosterOutcome";
import type { DuplicateGroup } from "./generated/DuplicateGroup";
import type { MergeResult } from "./generated/MergeResult";
import type { VillageFlag } from "./generated/VillageFlag";
import type { LoginResult } from "./generated/LoginResult";
import type { UnitView } from "./generated/UnitView";
import type { OutboxState } from "./generated/OutboxState";
import type { Resolution } from "./generated/Resolution";
import type { RenovationInput } from "./generated/RenovationInput";
import type { RowId } from "./generated/RowId";
import type { Settings } from "./generated/Settings";
import type { SettingsView } from "./generated/SettingsView";
import type { SyncProgress } from "./generated/SyncProgress";
import type { SyncResult } from "./generated/SyncResult";
import type { TargetInput } from "./generated/TargetInput";
import type { VisitInput } from "./generated/VisitInput";
import type { ProgressInput } from "./generated/ProgressInput";
import type { WorksInput } from "./generated/WorksInput";
import type { WorksItem } from "./generated/WorksItem";
import type { Withdrawal } from "./generated/Withdrawal";

export * from "./errors";

export const statusGet = () => invoke<AppStatus>("status_get");

export const unitList = () => invoke<UnitView[]>("unit_list");

export const ledgerGet = (unit: string, only?: VillageFlag) =>
  invoke<LedgerView>("ledger_get", { unit, only: only ?? null });
export const rosterImport = (bytes: number[]) => invoke<RosterOutcome>("roster_import", { bytes });
export const householdDuplicates = (unit?: string) => invoke<DuplicateGroup[]>("household_duplicates", { unit: unit ?? null });
export const householdMerge = (keep: string, duplicate: string) => invoke<MergeResult>("household_merge", { keep, duplicate });
export const unitFlag = (code: string, flag: VillageFlag, on: boolean) =>
  invoke<OrgUnit>("unit_flag", { code, flag, on });

export const householdList = (query: HouseholdQuery) =>
  invoke<HouseholdPage>("household_list", { query });

export const householdGet = (id: RowId) => invoke<HouseholdDetail>("household_get", { id });

export const householdSave = (input: HouseholdInput) => invoke<RowId>("household_save", { input });

export const visitSave = (input: VisitInput) => invoke<RowId>("visit_save", { input });

export const renovationSave = (input: RenovationInput) => invoke<null>("renovation_save", { input });

export const demolitionSave = (input: DemolitionInput) => invoke<RowId>("demolition_save", { input });

export const cleanupSave = (input: CleanupInput) => invoke<SavedLoad>("cleanup_save", { input });

export const worksList = (unit?: string) => invoke<WorksItem[]>("works_list", { unit: unit ?? null });

export const worksSave = (input: WorksInput) => invoke<RowId>("works_save", { input });
export const worksProgress = (input: ProgressInput) =>
  invoke<string>("works_progress", { input });
export const recordWithdraw = (id: string, reason: string) =>
  invoke<Withdrawal>("record_withdraw", { id, reason });
export const recordCorrect = (input: CorrectInput) => invoke<null>("record_correct", { input });
export const targetWithdraw = (key: TargetKey, reason: string) => invoke<null>("target_withdraw", { key, reason });
export const recordUndo = () => invoke<Withdrawal | null>("record_undo");

export const targetSave = (input: TargetInput) => invoke<null>("target_save", { input });

/** Entries recorded on this device on a day (today when omitted), newest first. */
export const entryList = (day?: string) => invoke<EntryView[]>("entry_list", { day: day ?? null });

export const accountPassword = (current: string, next: string) => invoke<null>("account_password", { current, new: next });
export const syncLogin = (server: string, user: string, password: string) =>
  invoke<LoginResult>("sync_login", { server, user, password });

/** Push and pull now; `onProgress` hears each step. */
export function syncRun(onProgress?: (p: SyncProgress) => void): Promise<SyncResult> {
  const channel = new Channel<SyncProgress>();
  if (onProgress) channel.onmessage = onProgress;
  return invoke<SyncResult>("sync_run", { onProgress: channel });
}

export const outboxList = (only?: OutboxState, limit?: number) =>
  invoke<EntryView[]>("outbox_list", { only: only ?? null, limit: limit ?? null });

export const outboxResend = (changeId: ChangeId) => invoke<null>("outbox_resend", { changeId });
export const outboxWithdraw = (changeId: ChangeId) => invoke<null>("outbox_withdraw", { changeId });

export const conflictList = () => invoke<ConflictView[]>("conflict_list");

export const conflictResolve = (input: Resolution) =>
  invoke<null>("conflict_resolve", { input });

export const exportWrite = (input: ExportInput) => invoke<ExportResult>("export_write", { input });

export const settingsGet = () => invoke<SettingsView>("settings_get");

export const settingsSave = (settings: Settings) => invoke<SettingsView>("settings_save", { settings });

export const backupList = () => invoke<BackupEntry[]>("backup_list");

export const dbUnlock = (passphrase: string) => invoke<AppStatus>("db_unlock", { passphrase });

export const backupRestore = (name: string) => invoke<RestoreResult>("backup_restore", { name });

export const bundlePlaces = () => invoke<BundlePlace[]>("bundle_places");

export const bundleExport = (dir: string) => invoke<BundleWritten>("bundle_export", { dir });

export const bundleReceipts = () => invoke<ReceiptsFile[]>("bundle_receipts");

export const bundleImport = (path: string) => invoke<ReceiptsResult>("bundle_import", { path });
