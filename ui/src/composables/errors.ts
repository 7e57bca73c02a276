// Validation messages beside the field at fault; other errors as a message box.
import { reactive, ref } from "vue";
import { ElMessage } from "element-plus";
import { useI18n } from "vue-i18n";
import { errorText, toIpcError } from "../api";
import type { IpcError } from "../api";
import { refreshStatus } from "./status";

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

/**
 * A form that saves one entry: errors beside the fields of `onForm`, the saving flag,
 * the "saved" message and the status bar's refresh, written once for every form.
 */
export function useEntryForm(onForm: string[]) {
  const { t } = useI18n();
  const { fields, clear, show } = useFieldErrors();
  const saving = ref(false);

  /** Whether `value` is there; if not, says so beside `field` (labelled by `label`). */
  function required(field: string, value: unknown, label: string): boolean {
    const there = value !== undefined && value !== null && value !== "";
    if (!there) fields[field] = t("common.required", { field: t(label) });
    return there;
  }

  /**
   * Save with `save`: on success say so (`savedKey`) and refresh the status bar, and
   * return `{ value }`; on failure show the error beside its field and return null.
   */
  async function submit<T>(save: () => Promise<T>, savedKey = "entry.savedLocal"): Promise<{ value: T } | null> {
    saving.value = true;
    try {
      const value = await save();
      ElMessage.success(t(savedKey));
      void refreshStatus();
      return { value };
    } catch (e) {
      show(e, onForm);
      return null;
    } finally {
      saving.value = false;
    }
  }

  return { fields, clear, show, saving, required, submit };
}
