// Taking back an entry from a list: 撤销 on what can still be withdrawn, and the id it
// withdraws (a works item's progress entry, not the whole item).
import { describe, expect, it } from "vitest";
import EntryTable from "../EntryTable.vue";
import { mountView } from "../../test/mount";
import { retractId } from "../../composables/retract";
import type { EntryView } from "../../api/generated/EntryView";

const entry = (summary: EntryView["summary"], state: EntryView["state"] = "pending"): EntryView => ({
  change_id: `c-${summary.kind}-${state}`,
  table: summary.kind === "progress" ? "works" : "cleanup",
  row: "row-1",
  unit: "150622100201",
  unit_name: "巴音嘎查",
  household: null,
  summary,
  state,
  receipt: null,
  reject_code: null,
  reject_reason: null,
  reject_reason_zh: null,
  recorded_at: "2026-11-30T08:00:00Z",
  withdrawn: false,
});

describe("EntryTable", () => {
  it("offers 撤销 on entries that can still be withdrawn and says which", async () => {
    const load = entry({ kind: "cleanup", pile: "manure", tonnes: 150, piles: 1, date: "2026-11-30" });
    const progress = entry({ kind: "progress", entry: "e-7", quantity: 1.2, date: "2026-11-30", note: null, withdrawn: null });
    const withdrawal = entry({ kind: "withdrawal", table: "cleanup", reason: "录重了" });
    const refused = entry({ kind: "cleanup", pile: "hay", tonnes: 1, piles: 1, date: null }, "rejected");
    const since = { ...entry({ kind: "visit", household: "张三", date: null, note: "" }), withdrawn: true };
    const { wrapper } = await mountView(EntryTable, { entries: [load, progress, withdrawal, refused, since], retract: true });
    const buttons = wrapper.findAll("[data-test=retract]");
    expect(buttons).toHaveLength(2);
    expect(buttons[0].text()).toBe("撤销");
    await buttons[1].trigger("click");
    const emitted = wrapper.emitted("retract") as EntryView[][];
    expect(emitted[0][0].change_id).toBe(progress.change_id);
    expect(retractId(progress)).toBe("e-7");
    expect(retractId(load)).toBe("row-1");
  });

  it("shows no 撤销 where a list does not ask for it", async () => {
    const load = entry({ kind: "cleanup", pile: "manure", tonnes: 15, piles: 1, date: null });
    const { wrapper } = await mountView(EntryTable, { entries: [load] });
    expect(wrapper.find("[data-test=retract]").exists()).toBe(false);
  });
});
