// Labels of the domain codes, tables and fields in the UI's language (generated from
// core into the `codes` messages), stored values as a person reads them, and the code
// lists forms offer.
import { useI18n } from "vue-i18n";
import { LABELS } from "../api/generated/labels";
import type { Category } from "../api/generated/Category";
import type { Metric } from "../api/generated/Metric";
import type { JsonValue } from "../api/generated/serde_json/JsonValue";
import type { PileKind } from "../api/generated/PileKind";
import type { Rating } from "../api/generated/Rating";
import type { RenovationStatus } from "../api/generated/RenovationStatus";
import type { RowKey } from "../api/generated/RowKey";
import type { Table } from "../api/generated/Table";
import type { WorksKind } from "../api/generated/WorksKind";
import type { WorksStatus } from "../api/generated/WorksStatus";
import type { VillageFlag } from "../api/generated/VillageFlag";

/** The codes of a group, in core's order (the generated labels list every code). */
const codesOf = <T extends string>(group: string): T[] => Object.keys(LABELS["zh-CN"][group] ?? {}) as T[];

export const CATEGORIES = codesOf<Category>("category");
export const RATINGS = codesOf<Rating>("rating");
export const RENOVATION = codesOf<RenovationStatus>("renovation");
export const PILES = codesOf<PileKind>("pile");
export const WORKS_KINDS = codesOf<WorksKind>("worksKind");
export const WORKS_STATUS = codesOf<WorksStatus>("worksStatus");
export const METRICS = codesOf<Metric>("metric");
export const VILLAGE_FLAGS = codesOf<VillageFlag>("villageFlag");

/** Which code group a field of a table holds (as core's `labels::code`). */
function codeGroup(table: Table, field: string): string | null {
  const groups: Record<string, string> = {
    "household/rating": "rating",
    "household/renovation": "renovation",
    "household/categories": "category",
    "org_unit/level": "level",
    "cleanup/kind": "pile",
    "works/kind": "worksKind",
    "works/status": "worksStatus",
    "target/metric": "metric",
    "target/pile": "pile",
  };
  return groups[`${table}/${field}`] ?? null;
}

/** A number without needless decimals: 3, 2.5, 0.333. */
export const num = (x: number) => String(Math.round(x * 1000) / 1000);

export function useCodes() {
  const { t, te } = useI18n();
  const label = (group: string, code: string | null | undefined) =>
    code == null ? "" : te(`codes.${group}.${code}`) ? t(`codes.${group}.${code}`) : code;
  /** A stored value: codes by their label, lists joined, yes/no, empty. */
  const value = (table: Table, field: string, v: JsonValue | undefined): string => {
    if (v === null || v === undefined) return t("values.empty");
    if (typeof v === "boolean") return t(v ? "values.yes" : "values.no");
    if (typeof v === "number") return num(v);
    if (Array.isArray(v)) return v.length ? v.map((i) => value(table, field, i)).join(t("values.sep")) : t("values.none");
    if (typeof v === "string") {
      const group = codeGroup(table, field);
      return group ? label(group, v) : v;
    }
    return JSON.stringify(v);
  };
  return {
    category: (c: string) => label("category", c),
    rating: (c: string | null) => label("rating", c),
    renovation: (c: string | null) => label("renovation", c),
    pile: (c: string | null) => label("pile", c),
    worksKind: (c: string | null) => label("worksKind", c),
    worksStatus: (c: string | null) => label("worksStatus", c),
    level: (c: string) => label("level", c),
    villageFlag: (c: string) => label("villageFlag", c),
    group: (c: string) => label("group", c),
    duplicateReason: (c: string) => label("duplicateReason", c),
    table: (c: string) => label("table", c),
    field: (name: string) => label("field", name),
    role: (c: string | null | undefined) => (c && te(`sync.roles.${c}`) ? t(`sync.roles.${c}`) : (c ?? "")),
    /** A ledger row: the metric, or `清理(吨)·柴堆` for a pile kind; a metric code alone too. */
    metric: (key: RowKey | string) => {
      if (typeof key === "string") return label("metric", key);
      const base = label("metric", key.metric);
      return key.pile ? `${base}·${label("pile", key.pile)}` : base;
    },
    /** The unit a number field is counted in (`kind`: works kind or target metric), or "". */
    unit: (table: Table, field: string, kind?: string | null) => {
      for (const key of [kind ? `${table}/${field}/${kind}` : null, `${table}/${field}`]) {
        if (key && te(`codes.unit.${key}`)) return t(`codes.unit.${key}`);
      }
      return "";
    },
    value,
  };
}
