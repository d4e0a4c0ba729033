import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { blosclzWasm, blosclzWasmBytes } from "../src/blosclz-wasm.js";

const watPath = fileURLToPath(new URL("../wasm/blosclz.wat", import.meta.url));
const buildScript = fileURLToPath(new URL("../wasm/build.mjs", import.meta.url));

/** wabt (a devDependency), or null when it is not installed: a skip locally, a failure under CI=true. */
async function loadWabt() {
  try {
    const init = (await import("wabt")).default;
    return await init();
  } catch (error) {
    if (process.env.CI === "true") throw new Error(`wabt is missing under CI=true: ${String(error)}`);
    console.warn(`skipping: the wabt devDependency is not installed (${String(error)})`);
    return null;
  }
}

describe("blosclz WebAssembly build", () => {
  it("the checked-in module is the wat2wasm build of wasm/blosclz.wat, byte for byte", async (ctx) => {
    const wabt = await loadWabt();
    if (!wabt) return ctx.skip();
    const module = wabt.parseWat("blosclz.wat", readFileSync(watPath, "utf8"), { bulk_memory: true });
    let built: Uint8Array;
    try {
      module.validate();
      built = new Uint8Array(module.toBinary({ log: false, write_debug_names: false, canonicalize_lebs: true }).buffer);
    } finally {
      module.destroy();
    }
    expect(Buffer.from(blosclzWasmBytes()).equals(Buffer.from(built))).toBe(true);
    expect(blosclzWasm()).not.toBeNull();
  });

  it("the build script's --check passes on the checked-in src/blosclz-wasm-bytes.ts", async (ctx) => {
    if (!(await loadWabt())) return ctx.skip();
    const out = execFileSync(process.execPath, [buildScript, "--check"], { encoding: "utf8" });
    expect(out).toMatch(/matches/);
  });
});
