// Entries and timeline items as one line in the UI's language, from the codes and
// values the backend sends (core's EntrySummary, the store's TimelineItem). What users
// typed (names, notes) is shown as typed.
import { useI18n } from "vue-i18n";
import type { EntrySummary } from "../api/generated/EntrySummary";
import type { TimelineItem } from "../api/generated/TimelineItem";
import { num, useCodes } from "./codes";

export function useSummary() {
  const { t } = useI18n();
  const codes = useCodes();
  const who = (name: string | null) => name ?? t("summary.unknownHousehold");
  const on = (date: string | null) => (date ? t("summary.on", { date }) : "");

  /** One line describing an entry, e.g. `清理 粪堆 3.5 吨，2 堆（2026-11-27）`. */
  function entry(s: EntrySummary): string {
    switch (s.kind) {
      case "new-household":
        return t("summary.newHousehold", { head: s.head });
      case "household-edit": {
        const fields = s.fields
          .map((f) => t("summary.fieldValue", { field: codes.field(f.field), value: codes.value("household", f.field, f.value) }))
          .join(t("summary.fieldSep"));
        return t("summary.householdEdit", { head: who(s.head), fields });
      }
      case "visit": {
        const line = t("summary.visit", { household: who(s.household), date: on(s.date) });
        return s.note ? line + t("summary.note", { note: s.note }) : line;
      }
      case "cleanup":
        return t("summary.cleanup", {
          pile: codes.pile(s.pile),
          tonnes: s.tonnes === null ? "" : num(s.tonnes),
          piles: s.piles,
          date: on(s.date),
        }, s.piles);
      case "demolition":
        return t("summary.demolition", {
          household: s.household ?? "",
          area: s.area_m2 === null ? "" : t("summary.area", { area: num(s.area_m2) }),
          date: on(s.date),
        });
      case "works":
        return t("summary.works", {
          kind: codes.worksKind(s.works_kind),
          quantity: s.quantity === null ? "" : num(s.quantity),
          status: codes.worksStatus(s.status),
        })
          .replace(/\s+/g, " ")
          .trim();
      case "target":
        return t("summary.target", {
          metric: s.metric ? codes.metric(s.metric) : "",
          quantity: s.quantity === null ? "" : num(s.quantity),
          deadline: s.deadline ?? "",
        });
      case "org-unit":
        return t("summary.orgUnit", { name: s.name ?? "" });
      case "merged":
        return t("summary.merged", { household: s.household ?? "", into: s.into ?? "" });
      case "withdrawal":
        return t("summary.withdrawal", { table: codes.table(s.table), reason: s.reason ?? "" });
      case "progress": {
        const line = t("summary.progress", { quantity: s.quantity === null ? "" : num(s.quantity), date: on(s.date) });
        const noted = s.note ? line + t("summary.note", { note: s.note }) : line;
        return s.withdrawn ? t("summary.progressWithdrawn", { entry: noted, reason: s.withdrawn }) : noted;
      }
    }
  }

  /** The title of a timeline item, e.g. `危房改造：已开工`. */
  function timelineTitle(item: TimelineItem): string {
    if (item.kind === "renovation") return t("timeline.renovation", { status: codes.renovation(item.status) });
    return t(`timeline.${item.kind}`);
  }

  /** What a timeline item adds: the visit's note as typed, the area demolished. */
  function timelineDetail(item: TimelineItem): string {
    if (item.note) return item.note;
    if (item.area_m2 !== null) return t("summary.areaAlone", { area: num(item.area_m2) });
    return "";
  }

  return { entry, timelineTitle, timelineDetail };
}
