// Validation messages beside the field at fault; other errors as a message box.
import { reactive } from "vue";
import { ElMessage } from "element-plus";
import { useI18n } from "vue-i18n";
import { errorText, toIpcError } from "../api";
import type { IpcError } from "../api";

export function useFieldErrors() {
  const { locale } = useI18n();
  const fields = reactive<Record<string, string>>({});

  function clear() {
    for (const k of Object.keys(fields)) delete fields[k];
  }

  /** Show an error: beside its field if it names one that is on the form. */
  function show(e: unknown, onForm: string[] = []): IpcError {
    const err = toIpcError(e);
    const text = errorText(err, locale.value);
    if (err.field && onForm.includes(err.field)) {
      fields[err.field] = text;
    } else {
      ElMessage.error({ message: text, duration: 6000 });
    }
    return err;
  }

  return { fields, clear, show };
}
