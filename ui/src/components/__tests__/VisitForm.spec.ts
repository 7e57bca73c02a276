// A visit's note is sent as typed, however long: a note over the limit is refused with
// the store's message beside the field, never cut short without a word.
import { describe, expect, it } from "vitest";
import VisitForm from "../forms/VisitForm.vue";
import { fakeBackend, flushPromises, mountView } from "../../test/mount";
import type { HouseholdSummary } from "../../api/generated/HouseholdSummary";

const errorsShown = () => new Promise((r) => setTimeout(r, 200));

const household = {
  id: "hh-1",
  unit: "150622100201",
  unit_name: "阿斯尔嘎查",
  head: "张三",
} as unknown as HouseholdSummary;

describe("VisitForm", () => {
  it("sends a long note whole and shows why it is refused beside the note", async () => {
    const calls = fakeBackend({
      status_get: {},
      visit_save: () => {
        throw {
          kind: "invalid",
          code: "invalid_value",
          message: "note must have 0 to 2000 characters, got 3000",
          message_zh: "备注：3000 个字，最多 2000 个字",
          field: "note",
        };
      },
    });
    const { wrapper } = await mountView(VisitForm, { household });
    // The browser cuts what is typed or pasted at a maxlength without a word: none here.
    expect(wrapper.find("textarea").attributes("maxlength")).toBeUndefined();
    const typed = "墙".repeat(3000);
    await wrapper.find("textarea").setValue(typed);
    await wrapper.find("[data-test=visit-save]").trigger("click");
    await flushPromises();
    await errorsShown();
    const sent = calls.find((c) => c.cmd === "visit_save")?.args.input as Record<string, unknown>;
    expect((sent.note as string).length).toBe(3000);
    expect(wrapper.findAll(".el-form-item__error").map((e) => e.text())).toEqual(["备注：3000 个字，最多 2000 个字"]);
    expect((wrapper.find("textarea").element as HTMLTextAreaElement).value).toBe(typed);
  });

  it("does not offer days after today in its date picker", async () => {
    fakeBackend({ status_get: {} });
    const { wrapper } = await mountView(VisitForm, { household });
    const disabled = wrapper.findComponent({ name: "ElDatePicker" }).props("disabledDate") as (d: Date) => boolean;
    const day = (offset: number) => {
      const d = new Date();
      d.setDate(d.getDate() + offset);
      return d;
    };
    expect([disabled(day(-30)), disabled(day(0)), disabled(day(1)), disabled(day(365))]).toEqual([false, false, true, true]);
  });
});
