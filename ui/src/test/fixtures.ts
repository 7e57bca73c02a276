// Values shaped like the Rust types (the generated TypeScript types check them).
import type { AppStatus } from "../api/generated/AppStatus";
import type { EntryView } from "../api/generated/EntryView";
import { CAPABILITIES } from "../api/generated/roles";
import type { UnitView } from "../api/generated/UnitView";

/** A cadre's units: the township above (readable) and the village (the scope). */
export const units: UnitView[] = [
  { code: "150622100", name: "锡尼镇", level: "township", parent: "150622", seepage: false, key_village: false, writable: false },
  { code: "150622100201", name: "阿斯尔嘎查", level: "village", parent: "150622100", seepage: false, key_village: false, writable: true },
];

export function appStatus(over: Partial<AppStatus> = {}): AppStatus {
  return {
    locked: false,
    new_database: false,
    device_name: "桌面-测试",
    device_id: "0190a1b2-0000-7000-8000-000000000001",
    author: "zhangsan",
    server: "http://127.0.0.1:8080",
    user: "zhangsan",
    role: "cadre",
    can: CAPABILITIES.cadre,
    last_sync: null,
    pending: 2,
    rejected: 1,
    conflicts: 0,
    online: false,
    syncing: false,
    progress: null,
    last_result: null,
    last_error: null,
    clock_offset_ms: 0,
    clock_warning: false,
    today: "2026-11-27",
    db_path: "/tmp/tally.db",
    ...over,
  };
}

/** A local entry: a cleanup load recorded today, pending. */
export function entryView(over: Partial<EntryView> = {}): EntryView {
  return {
    change_id: "c-1",
    table: "cleanup",
    row: "r-1",
    unit: "150622100201",
    unit_name: "阿斯尔嘎查",
    household: null,
    summary: { kind: "cleanup", pile: "manure", tonnes: 3.5, piles: 2, date: "2026-11-27" },
    state: "pending",
    receipt: null,
    reject_code: null,
    reject_reason: null,
    reject_reason_zh: null,
    recorded_at: "2026-11-27T04:00:00.000Z",
    withdrawn: false,
    ...over,
  };
}
