// Taking back what was entered: withdraw a record (or a works item's progress entry)
// with the reason the person gives, or undo the last entry made on this device. The
// store keeps the record and its reason; the ledger stops counting it.
import { ElMessage, ElMessageBox } from "element-plus";
import { useI18n } from "vue-i18n";
import { recordUndo, recordWithdraw } from "../api";
import type { EntryView } from "../api/generated/EntryView";
import type { Table } from "../api/generated/Table";
import type { TimelineItem } from "../api/generated/TimelineItem";
import { useFieldErrors } from "./errors";
import { refreshStatus } from "./status";

/** The id `record_withdraw` takes for an entry: its progress entry, else its record. */
export function retractId(e: EntryView): string {
  return e.summary.kind === "progress" ? e.summary.entry : e.row;
}

/** Whether an entry can still be taken back from a list (its record not withdrawn since,
 *  not a withdrawal itself, not refused by the server: that one is withdrawn on the sync
 *  screen). */
export function retractable(e: EntryView): boolean {
  return !e.withdrawn && e.summary.kind !== "withdrawal" && e.summary.kind !== "merged" && !(e.summary.kind === "progress" && e.summary.withdrawn) && e.state !== "rejected";
}

/** What a correction dialog edits: the id `record_correct` takes, the table whose units
 *  its numbers are in, and each correctable field with its value now, as text. */
export interface Correction {
  id: string;
  table: Table;
  values: Record<string, string>;
}

const text = (v: number | string | null | undefined) => (v === null || v === undefined ? "" : String(v));

/** An entry as a correction: a visit, load, demolition or progress entry that can still
 *  be taken back (else null). */
export function correctionOf(e: EntryView): Correction | null {
  if (!retractable(e)) return null;
  const s = e.summary;
  const id = retractId(e);
  switch (s.kind) {
    case "visit":
      return { id, table: "visit", values: { date: text(s.date), note: s.note } };
    case "cleanup":
      return { id, table: "cleanup", values: { kind: text(s.pile), tonnes: text(s.tonnes), piles: text(s.piles), date: text(s.date) } };
    case "demolition":
      return { id, table: "demolition", values: { area_m2: text(s.area_m2), date: text(s.date) } };
    case "progress":
      return { id, table: "works", values: { quantity: text(s.quantity), date: text(s.date), note: text(s.note) } };
    default:
      return null;
  }
}

/** A visit or demolition of a household's timeline as a correction (else null). */
export function timelineCorrection(item: TimelineItem): Correction | null {
  if (!item.id || item.withdrawn) return null;
  if (item.kind === "visit") return { id: item.id, table: "visit", values: { date: text(item.date), note: text(item.note) } };
  if (item.kind === "demolition") return { id: item.id, table: "demolition", values: { area_m2: text(item.area_m2), date: text(item.date) } };
  return null;
}

/** Whether an entry can be corrected in place. */
export const correctable = (e: EntryView): boolean => correctionOf(e) !== null;

export function useRetract() {
  const { t } = useI18n();
  const { show } = useFieldErrors();

  /** Ask why, then withdraw `id` (described as `what`) with `withdraw` (a record or a
   *  progress entry by its id, unless told otherwise); true once withdrawn. */
  async function retract(
    id: string,
    what: string,
    withdraw: (id: string, reason: string) => Promise<unknown> = recordWithdraw,
  ): Promise<boolean> {
    let reason: string;
    try {
      const answer = await ElMessageBox.prompt(t("entry.retractAsk", { entry: what }), t("entry.retractTitle"), {
        confirmButtonText: t("entry.retract"),
        cancelButtonText: t("common.cancel"),
        inputPlaceholder: t("entry.retractReason"),
        inputValidator: (v: string) => (v && v.trim() ? true : t("entry.reasonRequired")),
        type: "warning",
      });
      reason = (answer as { value: string }).value;
    } catch {
      return false;
    }
    try {
      await withdraw(id, reason);
    } catch (e) {
      show(e);
      return false;
    }
    ElMessage.success(t("entry.retracted"));
    void refreshStatus();
    return true;
  }

  /** Undo the last entry made on this device, after asking; true if one was undone. */
  async function undo(): Promise<boolean> {
    try {
      await ElMessageBox.confirm(t("entry.undoAsk"), t("entry.undo"), {
        confirmButtonText: t("entry.undo"),
        cancelButtonText: t("common.cancel"),
        type: "warning",
      });
    } catch {
      return false;
    }
    try {
      const done = await recordUndo();
      if (!done) {
        ElMessage.info(t("entry.nothingToUndo"));
        return false;
      }
    } catch (e) {
      show(e);
      return false;
    }
    ElMessage.success(t("entry.retracted"));
    void refreshStatus();
    return true;
  }

  return { retract, undo };
}
