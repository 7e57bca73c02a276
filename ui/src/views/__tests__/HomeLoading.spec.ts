// The home screen while its data loads: it says it is loading, and never claims that the
// device has no org units before the answer has come (a leader would think the data gone).
import { describe, expect, it } from "vitest";
import HomeView from "../HomeView.vue";
import { fakeBackend, flushPromises, mountView } from "../../test/mount";
import { appStatus } from "../../test/fixtures";

describe("HomeView while loading", () => {
  it("shows loading, not 'no org units', until the units have come", async () => {
    fakeBackend({
      unit_list: () => new Promise(() => {}), // never answers in this test
      status_get: appStatus(),
      entry_list: [],
    });
    const { wrapper } = await mountView(HomeView);
    expect(wrapper.find("[data-test=home-loading]").text()).toContain("加载中");
    expect(wrapper.find("[data-test=home-no-units]").exists()).toBe(false);
    expect(wrapper.text()).not.toContain("本机还没有组织单位");
  });

  it("says the units could not be read when reading them failed, not that there are none", async () => {
    fakeBackend({
      unit_list: () => {
        throw { kind: "internal", code: "database", message: "disk I/O error", message_zh: "本机数据库出错" };
      },
      status_get: appStatus(),
      entry_list: [],
    });
    const { wrapper } = await mountView(HomeView);
    await flushPromises();
    expect(wrapper.find("[data-test=home-units-failed]").exists()).toBe(true);
    expect(wrapper.find("[data-test=home-no-units]").exists()).toBe(false);
  });

  it("says there are no units once the answer is an empty list", async () => {
    fakeBackend({ unit_list: [], status_get: appStatus(), entry_list: [] });
    const { wrapper } = await mountView(HomeView);
    await flushPromises();
    expect(wrapper.find("[data-test=home-loading]").exists()).toBe(false);
    expect(wrapper.find("[data-test=home-no-units]").text()).toContain("本机还没有组织单位");
  });
});
