// Conflicts: both values with who and when; keeping one is an edit that saw the loser.
import { describe, expect, it } from "vitest";
import ConflictsView from "../ConflictsView.vue";
import { fakeBackend, flushPromises, mountView } from "../../test/mount";
import { appStatus } from "../../test/fixtures";
import { CAPABILITIES } from "../../api/generated/roles";
import type { ConflictView } from "../../api/generated/ConflictView";
import { refreshStatus } from "../../composables/status";

const device = "0190a1b2-0000-7000-8000-000000000009";
const conflict: ConflictView = {
  conflict: {
    table: "household",
    row: "row-1",
    unit: "150622100201",
    field: "cadre",
    winner_value: "王五",
    winner_at: { hlc: { ms: 1764218400000, count: 0 }, device },
    winner_author: "wangwu",
    winner_change: "ch-w",
    loser: { value: "李四", at: { hlc: { ms: 1764218300000, count: 1 }, device }, author: "lisi", change: "ch-l" },
  },
  household: "张三",
  unit_name: "阿斯尔嘎查",
  winner_time: "2026-11-27T04:40:00Z",
  loser_time: "2026-11-27T04:38:20Z",
};

describe("ConflictsView", () => {
  it("keeps the other value as an edit that saw it", async () => {
    const calls = fakeBackend({ status_get: appStatus({ role: "leader", can: CAPABILITIES.leader }), conflict_list: [conflict], conflict_resolve: null });
    await refreshStatus();
    const { wrapper } = await mountView(ConflictsView);
    expect(wrapper.find("[data-test=winner]").text()).toBe("王五");
    expect(wrapper.find("[data-test=loser]").text()).toBe("李四");
    expect(wrapper.text()).toContain("lisi 于");
    expect(wrapper.find(".conflict").text()).toContain("农户 张三 · 包户干部");
    await wrapper.find("[data-test=keep-loser]").trigger("click");
    await flushPromises();
    const input = calls.find((c) => c.cmd === "conflict_resolve")?.args.input;
    expect(input).toEqual({ table: "household", row: "row-1", field: "cadre", value: "李四", saw: [conflict.conflict.loser.at] });
  });

  it("lets a cadre look but not decide", async () => {
    fakeBackend({ status_get: appStatus({ role: "cadre", can: CAPABILITIES.cadre }), conflict_list: [conflict] });
    await refreshStatus();
    const { wrapper } = await mountView(ConflictsView);
    expect(wrapper.text()).toContain("冲突由工作队长裁定");
    expect(wrapper.find("[data-test=keep-loser]").attributes("disabled")).toBeDefined();
  });
});

describe("ConflictsView in English", () => {
  it("words the record, the field and the values from their codes", async () => {
    const coded: ConflictView = {
      ...conflict,
      conflict: { ...conflict.conflict, field: "renovation", winner_value: "started", loser: { ...conflict.conflict.loser, value: "completed" } },
    };
    fakeBackend({ status_get: appStatus({ role: "leader", can: CAPABILITIES.leader }), conflict_list: [coded] });
    await refreshStatus();
    const { wrapper } = await mountView(ConflictsView, {}, "en");
    expect(wrapper.find(".conflict").text()).toContain("Household 张三 · Renovation");
    expect(wrapper.find("[data-test=winner]").text()).toBe("Started");
    expect(wrapper.find("[data-test=loser]").text()).toBe("Completed");
  });
});
