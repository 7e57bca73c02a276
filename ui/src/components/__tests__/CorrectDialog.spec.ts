// An entry corrected in place: the fields of its kind, opened on what it says, and only
// what the person changed sent (a progress entry by its own id).
import { describe, expect, it } from "vitest";
import { flushPromises } from "@vue/test-utils";
import CorrectDialog from "../CorrectDialog.vue";
import { fakeBackend, mountView } from "../../test/mount";
import { entryView } from "../../test/fixtures";
import type { EntryView } from "../../api/generated/EntryView";
import { correctionOf, timelineCorrection } from "../../composables/retract";
import type { TimelineItem } from "../../api/generated/TimelineItem";

const entry = (summary: EntryView["summary"]): EntryView =>
  entryView({ summary, table: summary.kind === "progress" ? "works" : "cleanup", row: "row-1" });

describe("CorrectDialog", () => {
  it("sends only the changed tonnes of a load", async () => {
    const calls = fakeBackend({ record_correct: null });
    const { wrapper } = await mountView(CorrectDialog, { subject: correctionOf(entry({ kind: "cleanup", pile: "manure", tonnes: 150, piles: 1, date: "2026-11-30" })) });
    const tonnes = document.querySelector("[data-test=correct-tonnes] input") as HTMLInputElement;
    expect(tonnes.value).toBe("150");
    tonnes.value = "15";
    tonnes.dispatchEvent(new Event("input"));
    await flushPromises();
    (document.querySelector("[data-test=correct-save]") as HTMLElement).click();
    await flushPromises();
    expect(calls.find((c) => c.cmd === "record_correct")?.args).toEqual({ input: { id: "row-1", fields: { tonnes: "15" }, confirmed: false } });
    expect(wrapper.emitted("saved")).toHaveLength(1);
    wrapper.unmount();
  });

  it("corrects a progress entry by its own id", async () => {
    const calls = fakeBackend({ record_correct: null });
    const { wrapper } = await mountView(CorrectDialog, {
      subject: correctionOf(entry({ kind: "progress", entry: "e-7", quantity: 1.2, date: "2026-11-30", note: null, withdrawn: null })),
    });
    await new Promise((r) => setTimeout(r, 30));
    const note = document.querySelector("textarea[data-test=correct-note]") as HTMLTextAreaElement;
    note.value = "东段";
    note.dispatchEvent(new Event("input"));
    await flushPromises();
    (document.querySelector("[data-test=correct-save]") as HTMLElement).click();
    await flushPromises();
    expect(calls.find((c) => c.cmd === "record_correct")?.args).toEqual({ input: { id: "e-7", fields: { note: "东段" }, confirmed: false } });
    wrapper.unmount();
  });

  it("corrects a visit of the timeline, and nothing withdrawn or of the renovation", async () => {
    const visit: TimelineItem = { id: "v-1", kind: "visit", date: "2026-11-20", status: null, note: "墙体裂缝", area_m2: null, withdrawn: null };
    expect(timelineCorrection({ ...visit, withdrawn: "录重了" })).toBeNull();
    expect(timelineCorrection({ ...visit, kind: "renovation" })).toBeNull();
    const calls = fakeBackend({ record_correct: null });
    const { wrapper } = await mountView(CorrectDialog, { subject: timelineCorrection(visit) });
    const note = document.querySelector("textarea[data-test=correct-note]") as HTMLTextAreaElement;
    expect(note.value).toBe("墙体裂缝");
    note.value = "墙体裂缝已修";
    note.dispatchEvent(new Event("input"));
    await flushPromises();
    (document.querySelector("[data-test=correct-save]") as HTMLElement).click();
    await flushPromises();
    expect(calls.find((c) => c.cmd === "record_correct")?.args).toEqual({ input: { id: "v-1", fields: { note: "墙体裂缝已修" }, confirmed: false } });
    wrapper.unmount();
  });
});
