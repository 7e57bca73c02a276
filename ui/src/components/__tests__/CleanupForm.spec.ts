// Cleanup loads: saved with the right arguments, several in a row, and the store's
// validation message shown beside the field in Chinese.
import { describe, expect, it } from "vitest";
import CleanupForm from "../forms/CleanupForm.vue";
import { fakeBackend, flushPromises, mountView } from "../../test/mount";
import { units } from "../../test/fixtures";
import { loadUnits } from "../../composables/units";

/** Element Plus shows a form item's error after a short debounce. */
const errorsShown = () => new Promise((r) => setTimeout(r, 200));

describe("CleanupForm", () => {
  it("saves loads one after another and keeps village, kind and date", async () => {
    let n = 0;
    const calls = fakeBackend({
      unit_list: units,
      status_get: {},
      cleanup_save: () => `row-${++n}`,
    });
    await loadUnits();
    const { wrapper } = await mountView(CleanupForm);
    const tonnes = wrapper.find("[data-test=cleanup-tonnes] input");
    for (const value of ["3.5", "2"]) {
      await tonnes.setValue(value);
      await tonnes.trigger("change");
      await wrapper.find("[data-test=cleanup-save]").trigger("click");
      await flushPromises();
    }
    const saves = calls.filter((c) => c.cmd === "cleanup_save").map((c) => c.args.input as Record<string, unknown>);
    expect(saves).toHaveLength(2);
    expect(saves[0]).toMatchObject({ unit: "150622100201", kind: "manure", tonnes: 3.5, piles: 1 });
    expect(saves[1]).toMatchObject({ unit: "150622100201", kind: "manure", tonnes: 2 });
    expect(saves[0].date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(wrapper.find("[data-test=cleanup-session]").text()).toContain("本次已录入 2 车，共 5.50 吨");
    expect((tonnes.element as HTMLInputElement).value).toBe("");
  });

  it("shows the store's Chinese message beside the field at fault", async () => {
    fakeBackend({
      unit_list: units,
      status_get: {},
      cleanup_save: () => {
        throw {
          kind: "invalid",
          code: "invalid_value",
          message: "tonnes must be between 0 and 200, got 500",
          message_zh: "吨数：500 超出范围（between 0 and 200）",
          field: "tonnes",
        };
      },
    });
    await loadUnits();
    const { wrapper } = await mountView(CleanupForm);
    const tonnes = wrapper.find("[data-test=cleanup-tonnes] input");
    await tonnes.setValue("500");
    await tonnes.trigger("change");
    await wrapper.find("[data-test=cleanup-save]").trigger("click");
    await flushPromises();
    await errorsShown();
    const errors = wrapper.findAll(".el-form-item__error").map((e) => e.text());
    expect(errors).toEqual(["吨数：500 超出范围（between 0 and 200）"]);
    expect((tonnes.element as HTMLInputElement).value).toBe("500.00");
  });

  it("asks for tonnes before calling the store", async () => {
    const calls = fakeBackend({ unit_list: units, status_get: {} });
    await loadUnits();
    const { wrapper } = await mountView(CleanupForm);
    await wrapper.find("[data-test=cleanup-save]").trigger("click");
    await flushPromises();
    await errorsShown();
    expect(wrapper.find(".el-form-item__error").text()).toBe("吨数必须填写");
    expect(calls.some((c) => c.cmd === "cleanup_save")).toBe(false);
  });
});
