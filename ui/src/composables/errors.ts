// Validation messages beside the field at fault (cleared once that field is changed);
// other errors as a message box; unusual values confirmed before they are saved.
import { reactive, ref, watch } from "vue";
import { ElMessage, ElMessageBox } from "element-plus";
import { useI18n } from "vue-i18n";
import { errorText, toIpcError } from "../api";
import type { IpcError } from "../api";
import { refreshStatus } from "./status";

/**
 * An error as a person reads it, in the UI's language. An error of the IPC itself (a
 * fault of the program, never of the person) is a plain sentence; its text goes to the
 * console for whoever fixes it.
 */
export function useErrorText() {
  const { t, locale } = useI18n();
  return (err: IpcError): string => {
    if (err.code === "ipc") {
      console.error(err.message);
      return t("errors.ipc");
    }
    return errorText(err, locale.value);
  };
}

export function useFieldErrors() {
  const text = useErrorText();
  const fields = reactive<Record<string, string>>({});

  function clear() {
    for (const k of Object.keys(fields)) delete fields[k];
  }

  /** Show an error: beside its field if it names one that is on the form. */
  function show(e: unknown, onForm: string[] = []): IpcError {
    const err = toIpcError(e);
    const message = text(err);
    if (err.field && onForm.includes(err.field)) {
      fields[err.field] = message;
    } else {
      ElMessage.error({ message, duration: 6000 });
    }
    return err;
  }

  return { fields, clear, show, text };
}

/**
 * A form that saves one entry: errors beside the fields of `onForm` (each cleared as soon
 * as `form`'s value of that name — or of a name whose `aliases` it is — changes), the
 * saving flag, the confirmation of unusual values, the "saved" message and the status
 * bar's refresh, written once for every form.
 */
export function useEntryForm(
  onForm: string[],
  form?: Record<string, unknown>,
  aliases: Record<string, string[]> = {},
) {
  const { t } = useI18n();
  const { fields, clear, show, text } = useFieldErrors();
  const saving = ref(false);

  if (form) {
    const snapshot = () => Object.fromEntries(Object.entries(form).map(([k, v]) => [k, JSON.stringify(v)]));
    watch(snapshot, (now, before) => {
      for (const k of Object.keys(now)) {
        if (now[k] === before[k]) continue;
        for (const f of [k, ...(aliases[k] ?? [])]) delete fields[f];
      }
    });
  }

  /** Whether a choice (a household picked, …) is made; if not, asks for it beside `field`. */
  function chosen(field: string, value: unknown, label: string): boolean {
    const there = value !== undefined && value !== null && value !== "";
    if (!there) fields[field] = t("common.choose", { field: t(label) });
    return there;
  }

  /** Whether the person confirms an unusual value (the store's message says which). */
  async function confirmUnusual(err: IpcError): Promise<boolean> {
    try {
      await ElMessageBox.confirm(text(err), t("entry.unusualTitle"), {
        confirmButtonText: t("entry.unusualSave"),
        cancelButtonText: t("entry.unusualCheck"),
        type: "warning",
      });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Save with `save(confirmed)`: on success say so (`savedKey`) and refresh the status
   * bar, and return `{ value }`; a value the store finds unusual is confirmed by the
   * person and saved again with `confirmed`; on failure show the error beside its field
   * and return null.
   */
  async function submit<T>(
    save: (confirmed: boolean) => Promise<T>,
    savedKey = "entry.savedLocal",
  ): Promise<{ value: T } | null> {
    saving.value = true;
    try {
      let value: T;
      try {
        value = await save(false);
      } catch (e) {
        const err = toIpcError(e);
        if (err.code !== "unusual_value" || !(await confirmUnusual(err))) throw e;
        value = await save(true);
      }
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

  return { fields, clear, show, saving, chosen, submit };
}
