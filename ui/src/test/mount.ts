// Mount a component the way the app does: i18n (Chinese), Element Plus, a router.
import { mount, flushPromises } from "@vue/test-utils";
import type { Component } from "vue";
import ElementPlus from "element-plus";
import { createMemoryHistory, createRouter } from "vue-router";
import { mockIPC } from "@tauri-apps/api/mocks";
import { makeI18n, type Locale } from "../i18n";
import { routes } from "../router";

export type Call = { cmd: string; args: Record<string, unknown> };

/** Answer IPC calls from `answers` (a value, or a function of the args that may throw)
 * and record every call. Unknown commands fail the way Tauri does. */
export function fakeBackend(answers: Record<string, unknown>): Call[] {
  const calls: Call[] = [];
  mockIPC((cmd, args) => {
    const a = (args ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: a });
    if (!(cmd in answers)) throw new Error(`command ${cmd} not found`);
    const answer = answers[cmd];
    return typeof answer === "function" ? (answer as (x: Record<string, unknown>) => unknown)(a) : answer;
  });
  return calls;
}

export async function mountView(component: Component, props: Record<string, unknown> = {}, locale: Locale = "zh-CN") {
  const router = createRouter({ history: createMemoryHistory(), routes });
  await router.push("/");
  await router.isReady();
  const wrapper = mount(component, {
    props,
    attachTo: document.body,
    global: {
      plugins: [makeI18n(locale), ElementPlus, router],
      stubs: { LedgerChart: true, transition: false, "transition-group": false },
    },
  });
  await flushPromises();
  return { wrapper, router };
}

export { flushPromises };
