// The device's status, shared by every screen: polled every 5 s (every second while a
// sync runs), refreshed at once after an entry is saved.
import { ref } from "vue";
import { statusGet } from "../api";
import type { AppStatus } from "../api/generated/AppStatus";

export const status = ref<AppStatus | null>(null);
let timer: ReturnType<typeof setTimeout> | undefined;

export async function refreshStatus(): Promise<AppStatus | null> {
  try {
    status.value = await statusGet();
  } catch {
    // Keep the last status; the next poll tries again.
  }
  return status.value;
}

/** Start polling (idempotent). */
export function watchStatus() {
  if (timer !== undefined) return;
  const tick = async () => {
    const s = await refreshStatus();
    timer = setTimeout(tick, s?.syncing ? 1000 : 5000);
  };
  void tick();
}

export function stopWatchingStatus() {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
}
