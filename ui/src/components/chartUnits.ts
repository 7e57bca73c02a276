// Which units the ledger's amounts chart offers: one unit at a time, so households,
// kilometres and people never share an axis.
import type { LedgerLine } from "../api/generated/LedgerLine";

/** The units of the whole-metric rows that have something to show (a target or an amount),
 * in the ledger's order; all rows' units when none has. */
export function chartUnits(rows: LedgerLine[], unitOf: (r: LedgerLine) => string): string[] {
  const whole = rows.filter((r) => r.key.pile === null);
  const shown = whole.filter((r) => r.target !== null || r.started > 0 || r.completed > 0);
  return [...new Set((shown.length ? shown : whole).map(unitOf))];
}

/** The rows of one unit, whole metrics only. */
export function rowsOfUnit(rows: LedgerLine[], unit: string, unitOf: (r: LedgerLine) => string): LedgerLine[] {
  return rows.filter((r) => r.key.pile === null && unitOf(r) === unit);
}
