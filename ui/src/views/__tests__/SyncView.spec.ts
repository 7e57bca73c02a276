// The sync screen: counts, each entry's state with its receipt or reason, re-sending a
// rejected entry, and a sync with progress.
import { describe, expect, it } from "vitest";
import SyncView from "../SyncView.vue";
import { fakeBackend, flushPromises, mountView } from "../../test/mount";
import { appStatus, entryView, units } from "../../test/fixtures";
import { refreshStatus } from "../../composables/status";

const entry = entryView;

const outbox = [
  entry({ change_id: "c-1" }),
  entry({ change_id: "c-2", table: "visit", summary: { kind: "visit", household: "张三", date: "2026-11-27", note: "" }, state: "accepted", receipt: 42 }),
  entry({ change_id: "c-3", state: "rejected", reject_code: "out_of_scope", reject_reason: "out of scope", reject_reason_zh: "不在您负责的范围内" }),
];

describe("SyncView", () => {
  it("shows what waits and each entry's state", async () => {
    fakeBackend({ status_get: appStatus(), outbox_list: outbox, unit_list: units });
    await refreshStatus();
    const { wrapper } = await mountView(SyncView);
    expect(wrapper.find("[data-test=sync-pending]").text()).toBe("2");
    expect(wrapper.find("[data-test=sync-rejected]").text()).toBe("1");
    const states = wrapper.findAll(".entry-state").map((e) => e.text());
    expect(states).toEqual(["待同步", "已同步", "被拒绝"]);
    expect(wrapper.find("[data-test=receipt]").text()).toBe("回执号 42");
    expect(wrapper.find(".reject-reason").text()).toContain("不在您负责的范围内");
    expect(wrapper.findAll(".entry-summary").map((e) => e.text())).toEqual([
      "清理 粪堆 3.5 吨，2 堆（2026-11-27）",
      "走访 张三（2026-11-27）",
      "清理 粪堆 3.5 吨，2 堆（2026-11-27）",
    ]);
  });

  it("sends a rejected entry again", async () => {
    const calls = fakeBackend({ status_get: appStatus(), outbox_list: outbox, outbox_resend: null, unit_list: units });
    await refreshStatus();
    const { wrapper } = await mountView(SyncView);
    await wrapper.find("[data-test=resend]").trigger("click");
    await flushPromises();
    expect(calls.find((c) => c.cmd === "outbox_resend")?.args).toEqual({ changeId: "c-3" });
  });

  it("withdraws a rejected entry once the cadre confirms, naming it and the server's reason", async () => {
    const calls = fakeBackend({ status_get: appStatus(), outbox_list: outbox, outbox_withdraw: null, unit_list: units });
    await refreshStatus();
    const { wrapper } = await mountView(SyncView);
    await wrapper.find("[data-test=withdraw]").trigger("click");
    await flushPromises();
    const box = document.querySelector(".el-message-box");
    expect(box?.textContent).toContain("清理 粪堆 3.5 吨");
    expect(box?.textContent).toContain("不在您负责的范围内");
    expect(calls.some((c) => c.cmd === "outbox_withdraw")).toBe(false);
    (document.querySelector(".el-message-box__btns .el-button--primary") as HTMLElement).click();
    await flushPromises();
    await new Promise((r) => setTimeout(r, 50));
    expect(calls.find((c) => c.cmd === "outbox_withdraw")?.args).toEqual({ changeId: "c-3" });
  });

  it("opens a refused target where it is put right: the home screen of its unit", async () => {
    const target = entry({ change_id: "c-9", table: "target", unit: "150622", state: "rejected", reject_reason_zh: "不在您负责的范围内" });
    fakeBackend({ status_get: appStatus(), outbox_list: [target], unit_list: units });
    await refreshStatus();
    const { wrapper, router } = await mountView(SyncView);
    await wrapper.find("[data-test=correct]").trigger("click");
    await flushPromises();
    expect(router.currentRoute.value.path).toBe("/");
    expect(router.currentRoute.value.query).toEqual({ unit: "150622", target: "1" });
  });

  it("syncs and reports what happened", async () => {
    const calls = fakeBackend({
      status_get: appStatus(),
      outbox_list: [],
      unit_list: units,
      sync_run: { sent: 2, accepted: 2, rejected: 0, received: 5, conflicts: 0, clock_offset_ms: 30, finished_at: "2026-11-27T05:00:00Z", automatic: false },
    });
    await refreshStatus();
    const { wrapper } = await mountView(SyncView);
    await wrapper.find("[data-test=sync-now]").trigger("click");
    await flushPromises();
    expect(calls.some((c) => c.cmd === "sync_run")).toBe(true);
    expect(wrapper.find("[data-test=sync-message]").text()).toBe("同步完成：上传 2 条，被拒 0 条，下载 5 条");
  });

  it("says why a sync failed, in Chinese", async () => {
    fakeBackend({
      status_get: appStatus(),
      outbox_list: [],
      unit_list: units,
      sync_run: () => {
        throw { kind: "offline", code: "offline", message: "cannot reach the server", message_zh: "连不上服务器，录入的内容已保存在本机" };
      },
    });
    await refreshStatus();
    const { wrapper } = await mountView(SyncView);
    await wrapper.find("[data-test=sync-now]").trigger("click");
    await flushPromises();
    expect(wrapper.find("[data-test=sync-message]").text()).toBe("连不上服务器，录入的内容已保存在本机");
  });

  it("shows the last real outcome: an automatic sync's success replaces an old error", async () => {
    let now = appStatus();
    fakeBackend({
      status_get: () => now,
      outbox_list: [],
      unit_list: units,
      sync_run: () => {
        throw { kind: "offline", code: "offline", message: "cannot reach the server", message_zh: "连不上服务器，录入的内容已保存在本机" };
      },
    });
    await refreshStatus();
    const { wrapper } = await mountView(SyncView);
    await wrapper.find("[data-test=sync-now]").trigger("click");
    await flushPromises();
    expect(wrapper.find("[data-test=sync-message]").text()).toBe("连不上服务器，录入的内容已保存在本机");
    // The background task syncs once the server is back.
    now = appStatus({
      online: true,
      last_result: { sent: 2, accepted: 2, rejected: 0, received: 1, conflicts: 0, clock_offset_ms: 0, finished_at: "2026-11-27T05:00:00Z", automatic: true },
    });
    await refreshStatus();
    await flushPromises();
    expect(wrapper.find("[data-test=sync-message]").text()).toBe("同步完成：上传 2 条，被拒 0 条，下载 1 条");
  });
});
