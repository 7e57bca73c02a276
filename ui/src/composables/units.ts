// The org units known on this device, and the villages (where records belong).
import { computed, ref } from "vue";
import { unitList } from "../api";
import type { OrgUnit } from "../api/generated/OrgUnit";

export const units = ref<OrgUnit[]>([]);
/** Whether the list has come: until it has, no screen may say there are no units. */
export const unitsState = ref<"loading" | "ready" | "failed">("loading");

export async function loadUnits(): Promise<OrgUnit[]> {
  try {
    units.value = await unitList();
    unitsState.value = "ready";
  } catch {
    units.value = [];
    unitsState.value = "failed";
  }
  return units.value;
}

export const villages = computed(() =>
  units.value.filter((u) => u.level === "village" || u.level === "hamlet"),
);

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
