// The org units known on this device (each marked whether this account may record and
// plan in it), and the villages records can be entered for.
import { computed, ref } from "vue";
import { unitList } from "../api";
import type { UnitView } from "../api/generated/UnitView";

export const units = ref<UnitView[]>([]);
/** Whether the list has come: until it has, no screen may say there are no units. */
export const unitsState = ref<"loading" | "ready" | "failed">("loading");

export async function loadUnits(): Promise<UnitView[]> {
  try {
    units.value = await unitList();
    unitsState.value = "ready";
  } catch {
    units.value = [];
    unitsState.value = "failed";
  }
  return units.value;
}

/** The villages and hamlets this account may record in (its scope from the login). */
export const villages = computed(() =>
  units.value.filter((u) => u.writable && (u.level === "village" || u.level === "hamlet")),
);

/** Whether this account may record and plan in the unit. */
export function writable(code: string): boolean {
  return units.value.some((u) => u.code === code && u.writable);
}

const DEPTH = { banner: 0, township: 1, village: 2, hamlet: 3 } as const;
/** Where screens start: the widest unit the account works in (a leader's township, a
 * cadre's village), else the first unit known. */
export function homeUnit(): string {
  const mine = units.value.filter((u) => u.writable).sort((a, b) => DEPTH[a.level] - DEPTH[b.level]);
  return (mine[0] ?? units.value[0])?.code ?? "";
}

export function unitName(code: string): string {
  return units.value.find((u) => u.code === code)?.name ?? code;
}

/** The village entry forms start with: the last one used, else the first. */
const LAST = "tally.lastVillage";
export function lastVillage(): string {
  const saved = localStorage.getItem(LAST);
  if (saved && villages.value.some((v) => v.code === saved)) return saved;
  return villages.value[0]?.code ?? "";
}
export function rememberVillage(code: string) {
  if (code) localStorage.setItem(LAST, code);
}
