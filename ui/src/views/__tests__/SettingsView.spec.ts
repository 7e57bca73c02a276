// 修改密码 on the settings screen: the new password typed twice, the server's refusal shown
// in words, the fields cleared once it changed.
import { describe, expect, it } from "vitest";
import { flushPromises } from "@vue/test-utils";
import SettingsView from "../SettingsView.vue";
import { fakeBackend, mountView } from "../../test/mount";
import { appStatus } from "../../test/fixtures";
import { refreshStatus } from "../../composables/status";

const settings = { settings: { language: "zh-CN", data_dir: null, export_dir: null }, data_dir: "/data", export_dir: "/export", data_dir_fixed: false };

async function typeInto(css: string, value: string) {
  const el = document.querySelector(css) as HTMLElement;
  const input = (el.tagName === "INPUT" ? el : el.querySelector("input")) as HTMLInputElement;
  input.value = value;
  input.dispatchEvent(new Event("input"));
  await flushPromises();
}

describe("SettingsView password", () => {
  it("asks for the new password twice, shows the server's refusal, then changes it", async () => {
    let answer: unknown = { kind: "invalid", code: "wrong_password", message: "the current password is wrong", message_zh: "当前密码不对，密码没有修改" };
    const calls = fakeBackend({
      status_get: appStatus(),
      settings_get: settings,
      backup_list: [],
      account_password: () => {
        if (answer) throw answer;
        return null;
      },
    });
    await refreshStatus();
    const { wrapper } = await mountView(SettingsView);
    await typeInto("[data-test=password-current]", "old-password");
    await typeInto("[data-test=password-new]", "new-password-1");
    await typeInto("[data-test=password-again]", "new-password-2");
    await wrapper.find("[data-test=password-save]").trigger("click");
    await flushPromises();
    await new Promise((r) => setTimeout(r, 200)); // the message's transition
    expect(wrapper.find("[data-test=password-form]").text()).toContain("两次输入的新密码不一样");
    expect(calls.some((c) => c.cmd === "account_password")).toBe(false);

    await typeInto("[data-test=password-again]", "new-password-1");
    await wrapper.find("[data-test=password-save]").trigger("click");
    await flushPromises();
    expect(document.body.textContent).toContain("当前密码不对，密码没有修改");
    expect(calls.find((c) => c.cmd === "account_password")?.args).toEqual({ current: "old-password", new: "new-password-1" });

    answer = null;
    await wrapper.find("[data-test=password-save]").trigger("click");
    await flushPromises();
    expect(document.body.textContent).toContain("密码已修改，本机仍保持登录");
    expect((document.querySelector("input[data-test=password-current]") as HTMLInputElement).value).toBe("");
    wrapper.unmount();
  });
});
