// The IPC error as the UI receives it, and the helpers the screens use to show it.
import type { IpcError } from "./generated/IpcError";

export type { IpcError };

export function isIpcError(e: unknown): e is IpcError {
  return (
    typeof e === "object" &&
    e !== null &&
    "kind" in e &&
    "message" in e &&
    "message_zh" in e
  );
}

/**
 * Any thrown value as an IpcError. A plain string or Error is a fault of the IPC itself
 * (e.g. arguments the command could not read): code `ipc`, which no person is shown raw.
 */
export function toIpcError(e: unknown): IpcError {
  if (isIpcError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return { kind: "internal", code: "ipc", message, message_zh: message };
}

/** The message in the UI's language. */
export function errorText(e: IpcError, locale: string): string {
  return locale.startsWith("zh") ? e.message_zh : e.message;
}
