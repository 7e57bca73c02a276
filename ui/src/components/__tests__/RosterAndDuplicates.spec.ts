// A roster chosen in the window goes to the store as its bytes; its problems are listed
// by line and column. Likely duplicates are shown by group and merged into the one kept.
import { describe, expect, it } from "vitest";
import { flushPromises } from "@vue/test-utils";
import RosterImport from "../RosterImport.vue";
import DuplicatesDialog from "../DuplicatesDialog.vue";
import { fakeBackend, mountView } from "../../test/mount";
import type { HouseholdSummary } from "../../api/generated/HouseholdSummary";

const household = (id: string, over: Partial<HouseholdSummary> = {}): HouseholdSummary => ({
  id,
  unit: "150622100201",
  head: "张三",
  members: 3,
  phone: null,
  id_number: null,
  categories: [],
  seepage: false,
  rating: null,
  renovation: null,
  planned_on: null,
  started_on: null,
  completed_on: null,
  accepted_on: null,
  cadre: null,
  pension: null,
  medical: null,
  deleted: false,
  unit_name: "阿斯尔嘎查",
  last_visit: null,
  ...over,
});

async function choose(wrapper: Awaited<ReturnType<typeof mountView>>["wrapper"], text: string) {
  const input = wrapper.find("[data-test=roster-file]");
  const file = new File([text], "花名册.csv", { type: "text/csv" });
  Object.defineProperty(input.element, "files", { value: [file] });
  await input.trigger("change");
  await new Promise((r) => setTimeout(r, 30));
  await flushPromises();
}

describe("RosterImport", () => {
  it("sends the file's bytes and lists every problem by line and column", async () => {
    const calls = fakeBackend({
      roster_import: {
        imported: null,
        problems: [
          { line: 3, column: 3, header_zh: "人口", header_en: "members", zh: "人口应为整数", en: "members must be a whole number" },
          { line: 5, column: null, header_zh: null, header_en: null, zh: "无法读取", en: "cannot read" },
        ],
      },
    });
    const { wrapper } = await mountView(RosterImport);
    await choose(wrapper, "村,户主\n");
    const sent = calls.find((c) => c.cmd === "roster_import")?.args.bytes as number[];
    expect(new TextDecoder().decode(new Uint8Array(sent))).toBe("村,户主\n");
    const dialog = document.querySelector("[data-test=roster-problems]")?.textContent ?? "";
    expect(dialog).toContain("文件中有 2 处错误，未导入任何农户");
    expect(dialog).toContain("第 3 行 第 3 列（人口）");
    expect(dialog).toContain("人口应为整数");
    expect(wrapper.emitted("imported")).toBeUndefined();
    wrapper.unmount();
  });

  it("says how many were added and updated", async () => {
    fakeBackend({ roster_import: { imported: { added: 2, updated: 1, ignored_columns: ["序号"] }, problems: [] } });
    const { wrapper } = await mountView(RosterImport);
    await choose(wrapper, "村,户主,序号\n");
    expect(document.body.textContent).toContain("已导入 3 户（新增 2 户，更新 1 户）；忽略未知的列 序号");
    expect(wrapper.emitted("imported")).toHaveLength(1);
    wrapper.unmount();
  });
});

describe("DuplicatesDialog", () => {
  it("shows each group's reason and merges the others into the one chosen", async () => {
    const a = household("a", { phone: "13900000001" });
    const b = household("b", { last_visit: "2026-11-20" });
    const calls = fakeBackend({
      household_duplicates: [{ reason: "same-head", households: [a, b] }],
      household_merge: { kept: "b", withdrawn: "a", moved: 2, filled: ["phone"] },
    });
    const { wrapper } = await mountView(DuplicatesDialog, { modelValue: true });
    const text = document.querySelector("[data-test=duplicates-dialog]")?.textContent ?? "";
    expect(text).toContain("同村户主同名");
    expect(text).toContain("最近走访 2026-11-20");
    (document.querySelector("[data-test=duplicate-group] [data-id=b] input") as HTMLInputElement).click();
    await flushPromises();
    (document.querySelector("[data-test=duplicate-merge]") as HTMLElement).click();
    await new Promise((r) => setTimeout(r, 50));
    const ok = [...document.querySelectorAll(".el-message-box__btns button")].find((x) => x.textContent?.includes("合并")) as HTMLElement;
    expect(document.querySelector(".el-message-box")?.textContent).toContain("保留“张三”");
    ok.click();
    await new Promise((r) => setTimeout(r, 50));
    await flushPromises();
    expect(calls.find((c) => c.cmd === "household_merge")?.args).toEqual({ keep: "b", duplicate: "a" });
    expect(wrapper.emitted("merged")).toHaveLength(1);
    wrapper.unmount();
  });
});
