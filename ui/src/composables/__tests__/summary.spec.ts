// Entries, timeline items and stored values worded in each language from the codes the
// backend sends: in English no Chinese appears but what users typed, and vice versa.
import { describe, expect, it } from "vitest";
import { defineComponent, h } from "vue";
import { mount } from "@vue/test-utils";
import { makeI18n, type Locale } from "../../i18n";
import { useSummary } from "../summary";
import { useCodes } from "../codes";
import type { EntrySummary } from "../../api/generated/EntrySummary";
import type { TimelineItem } from "../../api/generated/TimelineItem";

/** The composables as a component of the app would have them, in `locale`. */
function inLocale(locale: Locale) {
  let out: { summary: ReturnType<typeof useSummary>; codes: ReturnType<typeof useCodes> } | undefined;
  mount(
    defineComponent({
      setup() {
        out = { summary: useSummary(), codes: useCodes() };
        return () => h("div");
      },
    }),
    { global: { plugins: [makeI18n(locale)] } },
  );
  if (!out) throw new Error("not mounted");
  return out;
}

// What the desktop sends for the entries of src-tauri's command test
// `entries_carry_codes_values_and_what_was_typed`, newest first.
const entries: EntrySummary[] = [
  { kind: "household-edit", head: "王五", fields: [{ field: "renovation", value: "started" }, { field: "started_on", value: "2026-11-27" }] },
  { kind: "cleanup", pile: "manure", tonnes: 3.5, piles: 2, date: "2026-11-27" },
  { kind: "visit", household: "王五", date: "2026-11-27", note: "已加固" },
  { kind: "new-household", head: "王五" },
];

const more: EntrySummary[] = [
  { kind: "demolition", household: "李四", area_m2: 60, date: "2026-11-25" },
  { kind: "works", works_kind: "road", quantity: 2.5, status: "completed" },
  { kind: "works", works_kind: null, quantity: null, status: "started" },
  { kind: "target", metric: "cleanup-tonnes", quantity: 100, deadline: "2026-12-31" },
  { kind: "household-edit", head: null, fields: [{ field: "categories", value: ["five-guarantee", "subsistence"] }, { field: "seepage", value: true }, { field: "cadre", value: null }] },
  { kind: "org-unit", name: "阿斯尔嘎查" },
  { kind: "withdrawal", table: "cleanup", reason: "录重了" },
  { kind: "progress", entry: "e-1", quantity: 1.2, date: "2026-11-20", note: "东段", withdrawn: null },
  { kind: "progress", entry: "e-2", quantity: 3, date: "2026-11-21", note: null, withdrawn: "录错了" },
];

const timeline: TimelineItem[] = [
  { date: "2026-11-25", kind: "demolition", id: "d-1", withdrawn: null, status: null, note: null, area_m2: 60 },
  { date: "2026-11-22", kind: "renovation", id: null, withdrawn: null, status: "started", note: null, area_m2: null },
  { date: "2026-11-20", kind: "visit", id: "v-1", withdrawn: "录重了", status: null, note: "墙体裂缝", area_m2: null },
];

const CJK = /[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]/;
/** What users typed in the fixtures above (names, notes, unit names). */
const typed = ["王五", "已加固", "李四", "墙体裂缝", "阿斯尔嘎查", "录重了", "东段", "录错了"];
const withoutTyped = (s: string) => typed.reduce((acc, t) => acc.split(t).join(""), s);

describe("entry summaries", () => {
  it("read as the one Chinese line each they always did", () => {
    const { summary } = inLocale("zh-CN");
    expect(entries.map(summary.entry)).toEqual([
      "农户 王五：改造状态→已开工，开工日期→2026-11-27",
      "清理 粪堆 3.5 吨，2 堆（2026-11-27）",
      "走访 王五（2026-11-27）：已加固",
      "新增农户 王五",
    ]);
    expect(more.map(summary.entry)).toEqual([
      "拆除 李四 60 平方米（2026-11-25）",
      "工程 街巷硬化 2.5 已竣工",
      "工程 已开工",
      "指标 清理(吨) 100，截止 2026-12-31",
      "农户 （未知农户）：户类别→五保户、低保户，沿黄渗漏区→是，包户干部→（空）",
      "组织单位 阿斯尔嘎查",
      "撤销清理：录重了",
      "工程进度 完成 1.2（2026-11-20）：东段",
      "撤销 工程进度 完成 3（2026-11-21）：录错了",
    ]);
  });

  it("read in English with no Chinese but what users typed", () => {
    const { summary } = inLocale("en");
    const lines = [...entries, ...more].map(summary.entry);
    expect(lines.slice(0, 4)).toEqual([
      "Household 王五: Renovation → Started, Started on → 2026-11-27",
      "Cleanup Manure 3.5 t, 2 piles (2026-11-27)",
      "Visit to 王五 (2026-11-27): 已加固",
      "New household 王五",
    ]);
    expect(summary.entry({ kind: "cleanup", pile: "hay", tonnes: 1, piles: 1, date: null })).toBe("Cleanup Hay 1 t, 1 pile");
    expect(lines[8]).toBe("Household (unknown household): Categories → Five-guarantee, Subsistence allowance, Seepage zone → yes, Cadre → (empty)");
    for (const line of lines) expect(withoutTyped(line)).not.toMatch(CJK);
  });
});

describe("timeline items", () => {
  it("are titled in the reader's language; notes stay as typed", () => {
    const zh = inLocale("zh-CN").summary;
    expect(timeline.map((i) => [zh.timelineTitle(i), zh.timelineDetail(i)])).toEqual([
      ["拆除", "60 平方米"],
      ["危房改造：已开工", ""],
      ["走访", "墙体裂缝"],
    ]);
    const en = inLocale("en").summary;
    expect(timeline.map((i) => [en.timelineTitle(i), en.timelineDetail(i)])).toEqual([
      ["Demolition", "60 m²"],
      ["Renovation: Started", ""],
      ["Visit", "墙体裂缝"],
    ]);
  });
});

describe("ledger rows and stored values", () => {
  it("are labelled from their structured key and codes", () => {
    const zh = inLocale("zh-CN").codes;
    expect(zh.metric({ metric: "cleanup-tonnes", pile: "firewood" })).toBe("清理(吨)·柴堆");
    expect(zh.metric({ metric: "renovation", pile: null })).toBe("危房改造(户)");
    expect(zh.value("works", "kind", "road")).toBe("街巷硬化");
    expect(zh.value("cleanup", "kind", "hay")).toBe("草堆");
    expect(zh.value("household", "categories", [])).toBe("（无）");
    const en = inLocale("en").codes;
    expect(en.metric({ metric: "cleanup-tonnes", pile: "firewood" })).toBe("Cleanup (t)·Firewood");
    expect(en.value("household", "rating", "D")).toBe("D");
    expect(en.field("members")).toBe("Members");
    expect(en.table("household")).toBe("Household");
  });
});
