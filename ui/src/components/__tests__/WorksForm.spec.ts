// Works progress: after a road is saved as started the form shows it as started; moving
// it on is the cadre's choice, so a second 保存 does not complete it.
import { describe, expect, it } from "vitest";
import WorksForm from "../forms/WorksForm.vue";
import { fakeBackend, flushPromises, mountView } from "../../test/mount";
import { units } from "../../test/fixtures";
import { loadUnits } from "../../composables/units";
import type { WorksItem } from "../../api/generated/WorksItem";

describe("WorksForm", () => {
  it("never pre-selects the next status of a works item", async () => {
    const stored: WorksItem[] = [];
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
          status: input.status as WorksItem["status"],
          started_on: "2026-11-30",
          completed_on: null,
          accepted_on: null,
          lat: null,
          lon: null,
          progress: [],
          deleted: false,
          done: 0,
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

  it("records progress on the selected item and shows how much is done", async () => {
    const road: WorksItem = {
      id: "w-1",
      unit: "150622100201",
      kind: "road",
      name: "村东主街",
      location: "一组至三组",
      note: null,
      quantity: 5,
      people: null,
      status: "started",
      started_on: "2026-11-20",
      completed_on: null,
      accepted_on: null,
      lat: 40.21,
      lon: null,
      progress: [],
      deleted: false,
      done: 2,
    };
    const calls = fakeBackend({
      unit_list: units,
      status_get: {},
      works_list: () => [{ ...road }], // fresh from the store each time, as over IPC
      works_progress: (a: Record<string, unknown>) => {
        const input = a.input as Record<string, unknown>;
        road.done += Number(input.quantity);
        return "e-1";
      },
    });
    await loadUnits();
    const { wrapper } = await mountView(WorksForm);
    const item = wrapper
      .findAllComponents({ name: "ElSelect" })
      .find((c) => c.attributes("data-test") === "works-item");
    await item!.vm.$emit("update:modelValue", "w-1");
    await flushPromises();
    expect(wrapper.find("[data-test=works-done]").text()).toContain("已完成 2 / 5 公里");
    // An el-input carries data-test on its <input>; a NumberInput on its wrapper.
    const input = (name: string) => {
      const found = wrapper.find(`[data-test=${name}]`);
      return found.element.tagName === "INPUT" ? found : found.find("input");
    };
    expect((input("works-name").element as HTMLInputElement).value).toBe("村东主街");
    expect((input("works-lat").element as HTMLInputElement).value).toBe("40.21");
    const q = wrapper.find("[data-test=progress-quantity] input");
    await q.setValue("1.2");
    await q.trigger("change");
    await input("progress-note").setValue("东段");
    await wrapper.find("[data-test=progress-save]").trigger("click");
    await flushPromises();
    const sent = calls.filter((c) => c.cmd === "works_progress").map((c) => c.args.input as Record<string, unknown>);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ works: "w-1", quantity: "1.2", note: "东段" });
    expect(wrapper.find("[data-test=works-done]").text()).toContain("已完成 3.2 / 5 公里");
  });
});
