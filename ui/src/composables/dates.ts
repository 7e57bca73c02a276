// Dates as the store wants them (YYYY-MM-DD, local) and times as people read them.
export function localDay(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

export function shortTime(rfc3339: string | null | undefined): string {
  if (!rfc3339) return "";
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${localDay(d)} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/**
 * For the date pickers of things that happened (visits, loads, renovation steps): days
 * after today (on this device's calendar) are not offered, nor taken when typed.
 */
export function afterToday(d: Date): boolean {
  return localDay(d) > localDay();
}
