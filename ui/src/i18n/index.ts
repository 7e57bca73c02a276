// vue-i18n: Chinese first (the default), English second.
import { createI18n } from "vue-i18n";
import zhCN from "./zh-CN";
import en from "./en";

export type Locale = "zh-CN" | "en";

export function makeI18n(locale: Locale = "zh-CN") {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: "zh-CN",
    messages: { "zh-CN": zhCN, en },
  });
}

export const i18n = makeI18n();
