// Sync by USB stick: the places offered (a stick first), exporting to the one chosen,
// this device's receipts found there, importing one and saying what it did.
import { describe, expect, it } from "vitest";
import BundleCard from "../BundleCard.vue";
import { fakeBackend, flushPromises, mountView } from "../../test/mount";

const places = [
  { path: "/media/batu/KINGSTON", name: "KINGSTON", removable: true },
  { path: "/home/batu/Documents/Tally导出", name: "/home/batu/Documents/Tally导出", removable: false },
];
const receipts = [
  { path: "/media/batu/KINGSTON/a-receipts.tally", name: "a-receipts.tally", place: "KINGSTON", modified: "2026-11-30 15:20" },
];

describe("BundleCard", () => {
  it("exports to the stick, then imports this device's receipts found on it", async () => {
    const calls = fakeBackend({
      bundle_places: places,
      bundle_receipts: receipts,
      bundle_export: { path: "/media/batu/KINGSTON/tally-甲机-20261130-152000.tally", changes: 3 },
      bundle_import: { accepted: 3, rejected: 0, changed_since: 0, restamped: 0, received: 12, pull_skipped: false, more: false },
    });
    const { wrapper } = await mountView(BundleCard, { loggedIn: true });
    expect(wrapper.find("[data-test=bundle-place]").text()).toContain("U盘 KINGSTON");
    await wrapper.find("[data-test=bundle-export]").trigger("click");
    await flushPromises();
    expect(calls.find((c) => c.cmd === "bundle_export")?.args).toEqual({ dir: "/media/batu/KINGSTON" });
    expect(wrapper.find("[data-test=bundle-message]").text()).toBe(
      "已导出 3 条待同步的记录到 /media/batu/KINGSTON/tally-甲机-20261130-152000.tally",
    );
    expect(wrapper.find("[data-test=bundle-receipts]").text()).toContain("a-receipts.tally");
    await wrapper.find("[data-test=bundle-import]").trigger("click");
    await flushPromises();
    expect(calls.find((c) => c.cmd === "bundle_import")?.args).toEqual({ path: "/media/batu/KINGSTON/a-receipts.tally" });
    expect(wrapper.find("[data-test=bundle-message]").text()).toBe("回执已导入：已同步 3 条，被拒 0 条，收到 12 条");
    expect(wrapper.emitted("changed")).toHaveLength(1);
  });

  it("says why there is nothing to import, and does not export before a login", async () => {
    fakeBackend({ bundle_places: places.slice(1), bundle_receipts: [] });
    const { wrapper } = await mountView(BundleCard, { loggedIn: false });
    expect(wrapper.find("[data-test=bundle-no-receipts]").text()).toContain("没有找到本机的回执文件");
    expect(wrapper.find("[data-test=bundle-export]").attributes("disabled")).toBeDefined();
    expect(wrapper.text()).toContain("本机要先登录过一次服务器才能导出");
  });

  it("shows the server's refusal of a damaged file in the cadre's words", async () => {
    fakeBackend({
      bundle_places: places,
      bundle_receipts: receipts,
      bundle_import: () => {
        throw { kind: "invalid", code: "bundle_tampered", message: "the file's seal does not match", message_zh: "文件校验不符：导出后被改动过", field: null };
      },
    });
    const { wrapper } = await mountView(BundleCard, { loggedIn: true });
    await wrapper.find("[data-test=bundle-import]").trigger("click");
    await flushPromises();
    expect(wrapper.find("[data-test=bundle-message]").text()).toBe("文件校验不符：导出后被改动过");
  });
});
