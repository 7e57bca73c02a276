// The IPC boundary: every Rust command has exactly one wrapper here, and nothing outside
// ui/src/api calls `invoke`.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { COMMANDS } from "./generated/commands";
import { isIpcError, toIpcError } from "./errors";

const SRC = join(__dirname, "..");

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === "generated" ? [] : files(p);
    return /\.(ts|vue)$/.test(name) && !name.endsWith(".spec.ts") ? [p] : [];
  });
}

describe("the IPC boundary", () => {
  it("has exactly one wrapper per command", () => {
    const api = files(join(SRC, "api")).map((f) => readFileSync(f, "utf8")).join("\n");
    for (const cmd of COMMANDS) {
      const uses = api.match(new RegExp(`invoke<[^(]*>\\("${cmd}"|invoke\\("${cmd}"`, "g")) ?? [];
      expect(uses.length, cmd).toBe(1);
    }
    const invoked = [...api.matchAll(/invoke(?:<[^(]*>)?\("([a-z_]+)"/g)].map((m) => m[1]);
    expect(invoked.sort()).toEqual([...COMMANDS].sort());
  });

  it("is the only caller of invoke", () => {
    const outside = files(SRC).filter(
      (f) => !f.includes(`${join(SRC, "api")}`) && !f.includes(join(SRC, "test")),
    );
    for (const f of outside) {
      const text = readFileSync(f, "utf8");
      expect(text.includes("@tauri-apps/api/core"), f).toBe(false);
    }
  });

  it("turns anything thrown into an IpcError", () => {
    const e = { kind: "invalid", code: "invalid_value", message: "m", message_zh: "中", field: "tonnes" };
    expect(isIpcError(e)).toBe(true);
    expect(toIpcError(e)).toBe(e);
    expect(toIpcError("command x not found")).toEqual({
      kind: "internal",
      code: "ipc",
      message: "command x not found",
      message_zh: "command x not found",
    });
  });
});
