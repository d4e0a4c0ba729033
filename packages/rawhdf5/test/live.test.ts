import { spawn } from "node:child_process";
import { copyFileSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { build as esbuildBuild } from "esbuild";
import { afterAll, beforeAll, expect, test } from "vitest";
import { fromRawfile } from "../src/node.js";
import { messageFor } from "./live/message-for.js";
import { hex, TESTDATA, tempDir } from "./helpers.js";

// Children are plain Node processes: bundle the TypeScript child (with our sources and h5wasm)
// into one ESM file with esbuild (a root devDependency).

let dir: string;
let cleanup: () => void;
let bundle: string;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  bundle = join(dir, "live-child.mjs");
  await esbuildBuild({
    entryPoints: [join(import.meta.dirname, "live/live-child.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: bundle,
    conditions: ["@daqkit/source"],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: "error",
  });
});
afterAll(() => cleanup());

function run(args: string[], timeoutMs: number, onReady?: () => void, stderr?: (text: string) => void): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bundle, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, LIVE_WARMUP_FILE: join(TESTDATA, "raw_v0_0_empty.h5") },
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (onReady && out.startsWith("ready\n")) {
        onReady();
        onReady = undefined;
      }
    });
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      stderr?.(err);
      if (code !== 0) reject(new Error(`child ${args.join(" ")} exited ${code}: ${err}`));
      else resolve(JSON.parse(out.trim().split("\n").pop()!));
    });
  });
}

test.each([
  ["kept open (SWMR writer)", "live.h5", "kept-open", ["whole", "incremental", "follow"]],
  ["open/append/close per batch", "live-per-batch.h5", "per-batch", ["whole", "follow"]],
])(
  "one writer process (%s), several reader processes: no reader ever sees a wrong byte",
  async (_label, file, writerMode, modes) => {
    const path = join(dir, file);
    const batches = 24;
    const batchSize = 400;
    const total = batches * batchSize;
    let ready = 0;
    let allReady: () => void = () => {};
    const readersReady = new Promise<void>((r) => (allReady = r));
    const onReady = (): void => {
      if (++ready === modes.length) allReady();
    };
    const readers = modes.map((mode) => run(["reader", path, String(total), "40000", mode], 60_000, onReady));
    await Promise.race([readersReady, Promise.all(readers)]); // the writer starts once every reader polls
    const writer = run(["writer", path, String(batches), String(batchSize), "40", writerMode], 60_000);
    const [w, ...r] = await Promise.all([writer, ...readers]);
    expect(w).toEqual({ written: total });
    for (const stats of r) {
      expect(stats["mismatches"]).toBe(0);
      expect(stats["lastLength"]).toBe(total);
      expect(stats["checked"] as number).toBeGreaterThanOrEqual(total);
      expect(stats["reads"] as number).toBeGreaterThanOrEqual(2); // saw the file grow, not just the end state
    }
    const data = await fromRawfile(path, { start: -3 });
    expect(data.msgs!.map(hex)).toEqual([total - 3, total - 2, total - 1].map((i) => hex(messageFor(i))));
  },
  90_000,
);

test("HDF5's error stack never reaches the terminal (fd 2) when reading a damaged file", async () => {
  const path = join(dir, "truncated.h5");
  copyFileSync(join(TESTDATA, "raw_v0_0_two_iogroups.h5"), path);
  truncateSync(path, 3000);
  let stderr = "(not collected)";
  const out = await run(["quiet", path], 60_000, undefined, (text) => {
    stderr = text;
  });
  expect(out).toEqual({ codes: ["RAWHDF5_TRUNCATED", "RAWHDF5_TRUNCATED"] });
  expect(stderr).toBe("");
}, 90_000);
