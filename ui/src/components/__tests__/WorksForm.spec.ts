// Works progress: after a road is saved as started the form shows it as started; moving
// it on is the cadre's choice, so a second 保存 does not complete it.
import { describe, expect, it } from "vitest";
import WorksForm from "../forms/WorksForm.vue";
import { fakeBackend, flushPromises, mountView } from "../../test/mount";
import { units } from "../../test/fixtures";
import { loadUnits } from "../../composables/units";
import type { Works } from "../../api/generated/Works";

describe("WorksForm", () => {
  it("never pre-selects the next status of a works item", async () => {
    const stored: Works[] = [];
    const calls = fakeBackend({
      unit_list: units,
      status_get: {},
      works_list: () => stored,
      works_save: (a: Record<string, unknown>) => {
        const input = a.input as Record<string, unknown>;
        stored.splice(0, stored.length, {
          id: "w-1",
          unit: input.unit as string,
          kind: "road",
          name: (input.name as string) || null,
          location: null,
          note: null,
          quantity: Number(input.quantity),
          people: null,
          status: input.status as Works["status"],
          started_on: "2026-11-30",
          completed_on: null,
          deleted: false,
        });
        return "w-1";
      },
    });
    await loadUnits();
    const { wrapper } = await mountView(WorksForm);
    const quantity = wrapper.find("[data-test=works-quantity] input");
    await quantity.setValue("5");
    await quantity.trigger("change");
    await wrapper.find("[data-test=works-save]").trigger("click");
    await flushPromises();
    const checked = () => wrapper.find("[data-test=works-status] .is-active").text();
    expect(checked()).toBe("已开工");
    await wrapper.find("[data-test=works-save]").trigger("click");
    await flushPromises();
    const saves = calls.filter((c) => c.cmd === "works_save").map((c) => (c.args.input as Record<string, unknown>).status);
    expect(saves).toEqual(["started", "started"]);
  });

  it("shows each quantity with the unit of its kind", async () => {
    fakeBackend({ unit_list: units, status_get: {}, works_list: [] });
    await loadUnits();
    const { wrapper } = await mountView(WorksForm);
    expect(wrapper.find("[data-test=works-quantity]").text()).toBe("公里");
    const water = wrapper.findAll(".el-radio-button").find((b) => b.text() === "安全饮水");
    await water!.find("input").setValue(true);
    await flushPromises();
    expect(wrapper.find("[data-test=works-quantity]").text()).toBe("处");
    expect(wrapper.find("[data-test=works-people]").text()).toBe("人");
  });
});
