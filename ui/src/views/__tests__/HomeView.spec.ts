// The home screen: the ledger with its pace warning, and today's entries.
import { describe, expect, it } from "vitest";
import HomeView from "../HomeView.vue";
import { fakeBackend, mountView } from "../../test/mount";
import { appStatus, entryView, units } from "../../test/fixtures";
import { CAPABILITIES } from "../../api/generated/roles";
import type { UnitView } from "../../api/generated/UnitView";
import { refreshStatus } from "../../composables/status";
import type { LedgerLine } from "../../api/generated/LedgerLine";
import type { GroupRow } from "../../api/generated/GroupRow";

const line = (over: Partial<LedgerLine>): LedgerLine => ({
  key: { metric: "renovation", pile: null },
  target: 100,
  started: 60,
  completed: 40,
  percent: 40,
  remaining: 60,
  required_per_day: 2,
  last_7_days_per_day: 0.5,
  deadline: "2026-12-31",
  behind_pace: true,
  milestones: [],
  ...over,
});

const ledger = (rows: LedgerLine[], groups: GroupRow[] = []) => ({ unit: "150622100", unit_name: "锡尼镇", as_of: "2026-11-27", only: null, rows, groups });

describe("HomeView", () => {
  it("warns about items behind the pace their deadline needs", async () => {
    fakeBackend({
      unit_list: units,
      status_get: appStatus(),
      entry_list: [],
      ledger_get: ledger([
        line({}),
        line({ key: { metric: "cleanup-tonnes", pile: null }, target: null, percent: null, required_per_day: null, behind_pace: false, completed: 12.5 }),
      ]),
    });
    const { wrapper } = await mountView(HomeView);
    expect(wrapper.find("[data-test=pace-warning]").text()).toContain("1 项进度落后于截止日期要求");
    expect(wrapper.findAll(".behind").map((b) => b.text())).toEqual(["进度滞后"]);
    expect(wrapper.find("[data-metric=cleanup-tonnes]").text()).toBe("12.5");
  });

  it("shows each milestone with where it stands", async () => {
    fakeBackend({
      unit_list: units,
      status_get: appStatus(),
      entry_list: [],
      ledger_get: ledger([
        line({
          from: "2016-01-01",
          milestones: [
            { date: "2016-06-30", quantity: 5, completed: 1, state: "missed", required_per_day: null },
            { date: "2016-12-31", quantity: 20, completed: 1, state: "at-risk", required_per_day: 0.109 },
          ],
        }),
      ]),
    });
    const { wrapper } = await mountView(HomeView);
    const tags = wrapper.findAll(".milestone");
    expect(tags.map((t) => [t.attributes("data-state"), t.text()])).toEqual([
      ["missed", "06-30 1/5"],
      ["at-risk", "12-31 1/20"],
    ]);
  });

  it("shows no warning when every item is on pace", async () => {
    fakeBackend({
      unit_list: units,
      status_get: appStatus(),
      entry_list: [],
      ledger_get: ledger([line({ behind_pace: false })]),
    });
    const { wrapper } = await mountView(HomeView);
    expect(wrapper.find("[data-test=pace-warning]").exists()).toBe(false);
  });
});

describe("HomeView in English", () => {
  it("labels ledger rows from their keys and words today's entries: no Chinese but names", async () => {
    fakeBackend({
      unit_list: units,
      status_get: appStatus({ device_name: "desk-1" }),
      entry_list: [entryView()],
      ledger_get: ledger([
        line({}),
        line({ key: { metric: "cleanup-tonnes", pile: "firewood" }, target: null, percent: null, required_per_day: null, behind_pace: false }),
      ]),
    });
    const { wrapper } = await mountView(HomeView, {}, "en");
    const table = wrapper.find("[data-test=ledger-table]").text();
    expect(table).toContain("Renovation (households)");
    expect(table).toContain("Cleanup (t)·Firewood");
    expect(wrapper.text()).toContain("Cleanup Manure 3.5 t, 2 piles (2026-11-27)");
    const names = ["锡尼镇", "阿斯尔嘎查"];
    const shown = names.reduce((s, n) => s.split(n).join(""), wrapper.text());
    expect(shown).not.toMatch(/[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]/);
  });
});

describe("HomeView for a leader", () => {
  it("starts a leader on the township they lead and offers targets only within it, naming the unit", async () => {
    const leaderUnits: UnitView[] = [
      { code: "150622", name: "杭锦旗", level: "banner", parent: null, seepage: false, key_village: false, writable: false },
      { ...units[0], writable: true },
      { ...units[1], writable: true },
    ];
    const asked: string[] = [];
    fakeBackend({
      unit_list: leaderUnits,
      status_get: appStatus({ role: "leader", can: CAPABILITIES.leader }),
      entry_list: [],
      ledger_get: (a: Record<string, unknown>) => {
        asked.push(a.unit as string);
        return { ...ledger([line({ behind_pace: false })]), unit: a.unit as string };
      },
    });
    localStorage.clear();
    await refreshStatus();
    const { wrapper } = await mountView(HomeView);
    expect(asked[0]).toBe("150622100");
    await wrapper.find("[data-test=set-target]").trigger("click");
    await new Promise((r) => setTimeout(r, 50));
    expect(document.querySelector("[data-test=target-dialog] .el-dialog__title")?.textContent).toBe("设定指标：锡尼镇");
    expect(document.querySelector("[data-test=target-quantity]")?.textContent).toContain("户");
    // A period's start and its milestones go with the target.
    expect(document.querySelector("[data-test=target-from]")?.textContent).toContain("起始日期");
    (document.querySelector("[data-test=add-milestone]") as HTMLElement).click();
    await new Promise((r) => setTimeout(r, 50));
    expect(document.querySelectorAll(".milestone-row")).toHaveLength(1);
  });

  it("offers no target on a unit outside the leader's scope", async () => {
    fakeBackend({
      unit_list: [{ code: "150622", name: "杭锦旗", level: "banner", parent: null, seepage: false, key_village: false, writable: false }, { ...units[0], writable: true }],
      status_get: appStatus({ role: "leader", can: CAPABILITIES.leader }),
      entry_list: [],
      ledger_get: ledger([line({ behind_pace: false })]),
    });
    localStorage.setItem("tally.homeUnit.zhangsan", "150622");
    await refreshStatus();
    const { wrapper } = await mountView(HomeView);
    expect(wrapper.find("[data-test=set-target]").exists()).toBe(false);
    localStorage.clear();
  });
});

describe("HomeView breakdowns and village flags", () => {
  const groups: GroupRow[] = [
    { group: "all", households: 40, renovated: 12, backlog: 9 },
    { group: "five-guarantee", households: 6, renovated: 2, backlog: 3 },
    { group: "seepage", households: 15, renovated: 4, backlog: 5 },
  ];

  it("shows the households by group and asks for the flagged villages only", async () => {
    const calls = fakeBackend({
      unit_list: units,
      status_get: appStatus(),
      entry_list: [],
      ledger_get: (a: Record<string, unknown>) => ({ ...ledger([line({ behind_pace: false })], groups), only: a.only }),
    });
    localStorage.setItem("tally.homeUnit.zhangsan", units[1].code);
    await refreshStatus();
    const { wrapper } = await mountView(HomeView);
    const table = wrapper.find("[data-test=ledger-groups]").text();
    for (const label of ["分类", "户数", "已改造", "待改造", "全部农户", "五保户", "沿黄渗漏区"]) expect(table).toContain(label);
    expect(wrapper.find("[data-group=five-guarantee].backlog").text()).toBe("3");
    const only = wrapper.find("[data-test=ledger-only]");
    expect(only.text()).toBe("全部村沿黄渗漏区重点村");
    await only.findAll("input")[2].setValue(true);
    await new Promise((r) => setTimeout(r, 20));
    const asked = calls.filter((c) => c.cmd === "ledger_get").map((c) => c.args.only);
    expect(asked[0]).toBeNull();
    expect(asked.at(-1)).toBe("key-village");
    // No flags to set for a cadre, even on a village they record in.
    expect(wrapper.find("[data-test=village-flags]").exists()).toBe(false);
    localStorage.clear();
  });

  it("lets a leader flag the village on screen, and says so", async () => {
    const village: UnitView = { ...units[1], writable: true };
    let flagged = false;
    const calls = fakeBackend({
      unit_list: () => [{ ...units[0], writable: true }, { ...village, seepage: flagged }],
      status_get: appStatus({ role: "leader", can: CAPABILITIES.leader }),
      entry_list: [],
      ledger_get: ledger([line({ behind_pace: false })], groups),
      unit_flag: (a: Record<string, unknown>) => {
        flagged = a.on as boolean;
        return { ...village, seepage: flagged };
      },
    });
    localStorage.setItem("tally.homeUnit.zhangsan", village.code);
    await refreshStatus();
    const { wrapper } = await mountView(HomeView);
    const box = wrapper.find("[data-test=village-flags] [data-flag=seepage] input");
    expect((box.element as HTMLInputElement).checked).toBe(false);
    await box.setValue(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(calls.find((c) => c.cmd === "unit_flag")?.args).toEqual({ code: village.code, flag: "seepage", on: true });
    expect(document.body.textContent).toContain("已更新阿斯尔嘎查的标记");
    expect((wrapper.find("[data-test=village-flags] [data-flag=seepage] input").element as HTMLInputElement).checked).toBe(true);
    localStorage.clear();
  });
});

describe("HomeView breakdowns in English", () => {
  it("labels the groups and the flags in English", async () => {
    fakeBackend({
      unit_list: units,
      status_get: appStatus(),
      entry_list: [],
      ledger_get: ledger([line({})], [{ group: "key-village", households: 3, renovated: 1, backlog: 1 }]),
    });
    const { wrapper } = await mountView(HomeView, {}, "en");
    const table = wrapper.find("[data-test=ledger-groups]").text();
    expect(table).toContain("Key villages");
    expect(table).toContain("Still to renovate");
    expect(wrapper.find("[data-test=ledger-only]").text()).toBe("All villagesYellow River seepage zoneKey village");
  });
});

describe("HomeView target of a unit", () => {
  it("opens the dialog on the unit's own target and withdraws it with a reason", async () => {
    const calls = fakeBackend({
      unit_list: [{ ...units[0], writable: true }],
      status_get: appStatus({ role: "leader", can: CAPABILITIES.leader }),
      entry_list: [],
      ledger_get: ledger([
        line({
          target: 120,
          deadline: "2026-12-31",
          from: "2026-01-01",
          milestones: [{ date: "2026-06-30", quantity: 50, completed: 40, state: "missed", required_per_day: null }],
        }),
      ]),
      target_withdraw: null,
    });
    localStorage.clear();
    await refreshStatus();
    const { wrapper } = await mountView(HomeView);
    await wrapper.find("[data-test=set-target]").trigger("click");
    await new Promise((r) => setTimeout(r, 50));
    // Dialogs of the tests above stay in the page: this one is the last.
    const last = <T extends Element>(css: string) => [...document.querySelectorAll<T>(css)].at(-1) as T;
    expect(last<HTMLInputElement>("[data-test=target-quantity] input").value).toBe("120");
    expect(last("[data-test=target-milestones]").querySelectorAll(".milestone-row")).toHaveLength(1);
    last<HTMLElement>("[data-test=target-withdraw]").click();
    await new Promise((r) => setTimeout(r, 50));
    const input = document.querySelector(".el-message-box input") as HTMLInputElement;
    input.value = "指标调整";
    input.dispatchEvent(new Event("input"));
    await new Promise((r) => setTimeout(r, 20));
    const ok = [...document.querySelectorAll(".el-message-box__btns button")].find((b) => b.textContent?.includes("撤销")) as HTMLElement;
    ok.click();
    await new Promise((r) => setTimeout(r, 80));
    expect(calls.find((c) => c.cmd === "target_withdraw")?.args).toEqual({
      key: { unit: "150622100", metric: "renovation", from: "2026-01-01" },
      reason: "指标调整",
    });
    wrapper.unmount();
  });
});
