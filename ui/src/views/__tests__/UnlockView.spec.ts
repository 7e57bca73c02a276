// The passphrase screen of a device with no keyring: a new database's passphrase typed
// twice (a mismatch is caught before anything is sent), a wrong passphrase said beside
// the field in Chinese, and the right one opening the app.
import { describe, expect, it } from "vitest";
import UnlockView from "../UnlockView.vue";
import { fakeBackend, flushPromises, mountView } from "../../test/mount";
import { appStatus } from "../../test/fixtures";
import { status } from "../../composables/status";

const errorsShown = () => new Promise((r) => setTimeout(r, 200));
const fieldErrors = (w: Awaited<ReturnType<typeof mountView>>["wrapper"]) =>
  w.findAll(".el-form-item__error").map((e) => e.text());

describe("UnlockView", () => {
  it("chooses a new passphrase typed twice alike", async () => {
    const calls = fakeBackend({ db_unlock: appStatus() });
    const { wrapper } = await mountView(UnlockView, { newDatabase: true });
    expect(wrapper.text()).toContain("设置本机数据库口令");
    await wrapper.find("[data-test=unlock-passphrase]").setValue("草原上的口令很长很长");
    await wrapper.find("[data-test=unlock-again]").setValue("草原上的口令很长很长2");
    await wrapper.find("[data-test=unlock-open]").trigger("click");
    await flushPromises();
    await errorsShown();
    expect(fieldErrors(wrapper)).toEqual(["两次输入的口令不一样"]);
    expect(calls.filter((c) => c.cmd === "db_unlock")).toEqual([]);
    await wrapper.find("[data-test=unlock-again]").setValue("草原上的口令很长很长");
    await wrapper.find("[data-test=unlock-open]").trigger("click");
    await flushPromises();
    expect(calls.filter((c) => c.cmd === "db_unlock").map((c) => c.args)).toEqual([{ passphrase: "草原上的口令很长很长" }]);
    expect(status.value?.locked).toBe(false);
  });

  it("says beside the field that a passphrase is wrong, and opens with the right one", async () => {
    status.value = appStatus({ locked: true });
    let tries = 0;
    fakeBackend({
      db_unlock: ({ passphrase }: Record<string, unknown>) => {
        tries += 1;
        if (passphrase !== "correct horse") {
          throw { kind: "invalid", code: "wrong_key", message: "the key does not open it", message_zh: "密钥或口令不对，打不开本机数据（或者这不是 Tally 的数据文件）", field: "passphrase" };
        }
        return appStatus();
      },
    });
    const { wrapper } = await mountView(UnlockView, { newDatabase: false });
    expect(wrapper.find("[data-test=unlock-again]").exists()).toBe(false);
    await wrapper.find("[data-test=unlock-passphrase]").setValue("wrong guess");
    await wrapper.find("[data-test=unlock-open]").trigger("click");
    await flushPromises();
    await errorsShown();
    expect(fieldErrors(wrapper)).toEqual(["密钥或口令不对，打不开本机数据（或者这不是 Tally 的数据文件）"]);
    expect(status.value?.locked).toBe(true);
    await wrapper.find("[data-test=unlock-passphrase]").setValue("correct horse");
    await wrapper.find("[data-test=unlock-open]").trigger("click");
    await flushPromises();
    expect(tries).toBe(2);
    expect(status.value?.locked).toBe(false);
  });
});
