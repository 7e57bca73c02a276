// Cleanup loads: saved with the text as typed, several in a row (the session's total from
// what the store read), the store's plain Chinese message beside the field — gone once the
// field is changed — and an unusual load saved only once confirmed.
import { describe, expect, it } from "vitest";
import CleanupForm from "../forms/CleanupForm.vue";
import { fakeBackend, flushPromises, mountView } from "../../test/mount";
import { units } from "../../test/fixtures";
import { loadUnits } from "../../composables/units";

/** Element Plus shows a form item's error after a short debounce. */
const errorsShown = () => new Promise((r) => setTimeout(r, 200));

async function typeAndSave(wrapper: Awaited<ReturnType<typeof mountView>>["wrapper"], tonnes: string) {
  const input = wrapper.find("[data-test=cleanup-tonnes] input");
  await input.setValue(tonnes);
  await wrapper.find("[data-test=cleanup-save]").trigger("click");
  await flushPromises();
  await errorsShown();
  return input;
}

const fieldErrors = (wrapper: Awaited<ReturnType<typeof mountView>>["wrapper"]) =>
  wrapper.findAll(".el-form-item__error").map((e) => e.text());

describe("CleanupForm", () => {
  it("sends the tonnes as typed, saves loads one after another and keeps village, kind and date", async () => {
    let n = 0;
    const calls = fakeBackend({
      unit_list: units,
      status_get: {},
      cleanup_save: (a: Record<string, unknown>) => ({
        id: `row-${++n}`,
        tonnes: (a.input as { tonnes: string }).tonnes === "３．５" ? 3.5 : 2,
      }),
    });
    await loadUnits();
    const { wrapper } = await mountView(CleanupForm);
    expect(wrapper.find("[data-test=cleanup-tonnes]").text()).toContain("吨");
    let tonnes = await typeAndSave(wrapper, "３．５");
    tonnes = await typeAndSave(wrapper, "2");
    const saves = calls.filter((c) => c.cmd === "cleanup_save").map((c) => c.args.input as Record<string, unknown>);
    expect(saves).toHaveLength(2);
    expect(saves[0]).toMatchObject({ unit: "150622100201", kind: "manure", tonnes: "３．５", piles: "1", confirmed: false });
    expect(saves[1]).toMatchObject({ unit: "150622100201", kind: "manure", tonnes: "2" });
    expect(saves[0].date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(wrapper.find("[data-test=cleanup-session]").text()).toContain("本次已录入 2 车，共 5.5 吨");
    expect((tonnes.element as HTMLInputElement).value).toBe("");
  });

  it("keeps what was typed, shows the store's message beside the field, and clears it once the field changes", async () => {
    const calls = fakeBackend({
      unit_list: units,
      status_get: {},
      cleanup_save: () => {
        throw {
          kind: "invalid",
          code: "invalid_value",
          message: 'Tonnes: type a number only, like 12.5, without a unit (you typed "12.5吨")',
          message_zh: '吨数请只填数字，例如 12.5，不带单位（填的是 "12.5吨"）',
          field: "tonnes",
        };
      },
    });
    await loadUnits();
    const { wrapper } = await mountView(CleanupForm);
    const tonnes = await typeAndSave(wrapper, "12.5吨");
    expect(fieldErrors(wrapper)).toEqual(['吨数请只填数字，例如 12.5，不带单位（填的是 "12.5吨"）']);
    expect((tonnes.element as HTMLInputElement).value).toBe("12.5吨");
    expect(calls.filter((c) => c.cmd === "cleanup_save")).toHaveLength(1);
    await tonnes.setValue("12.5");
    await flushPromises();
    await errorsShown();
    expect(fieldErrors(wrapper)).toEqual([]);
  });

  it("says a blank tonnes is missing in the store's words, not its own", async () => {
    fakeBackend({
      unit_list: units,
      status_get: {},
      cleanup_save: () => {
        throw { kind: "invalid", code: "missing_field", message: "Tonnes is required", message_zh: "请填写吨数", field: "tonnes" };
      },
    });
    await loadUnits();
    const { wrapper } = await mountView(CleanupForm);
    await typeAndSave(wrapper, "");
    expect(fieldErrors(wrapper)).toEqual(["请填写吨数"]);
  });

  it("saves an unusual load only once the cadre confirms it", async () => {
    const calls = fakeBackend({
      unit_list: units,
      status_get: {},
      cleanup_save: (a: Record<string, unknown>) => {
        if (!(a.input as { confirmed: boolean }).confirmed) {
          throw {
            kind: "invalid",
            code: "unusual_value",
            message: "Tonnes 150 t is more than usual",
            message_zh: "吨数 150 吨比一般多（通常不超过 50 吨），请核对；确实无误请确认保存",
            field: "tonnes",
          };
        }
        return { id: "row-1", tonnes: 150 };
      },
    });
    await loadUnits();
    const { wrapper } = await mountView(CleanupForm);
    const input = wrapper.find("[data-test=cleanup-tonnes] input");
    await input.setValue("150");
    await wrapper.find("[data-test=cleanup-save]").trigger("click");
    await flushPromises();
    await errorsShown();
    const box = document.querySelector(".el-message-box");
    expect(box?.textContent).toContain("通常不超过 50 吨");
    (document.querySelector(".el-message-box__btns .el-button--primary") as HTMLElement).click();
    await flushPromises();
    await errorsShown();
    const sent = calls.filter((c) => c.cmd === "cleanup_save").map((c) => (c.args.input as { confirmed: boolean }).confirmed);
    expect(sent).toEqual([false, true]);
    expect(wrapper.find("[data-test=cleanup-session]").text()).toContain("共 150 吨");
  });
});
