/**
 * Two `gen2 convert-all` into the same cache at once (issue 14): both succeed and the cache holds
 * exactly the files of a single uninterrupted run (one wins cleanly or both write identical files;
 * never interleaved bytes).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, cliBuilt, runCli, snapshot } from "../../../test/support/kill-cli.js";
import { gen2Make, tempDir } from "./helpers.js";

const built = cliBuilt();
let tmp: ReturnType<typeof tempDir>;
let night: string;

beforeAll(() => {
  tmp = tempDir("gen2-concurrent-");
  night = join(tmp.path, "night");
  gen2Make(night, "--photons", "200000", "--seconds", "4", "--split-frame");
});
afterAll(() => tmp?.cleanup());

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe.skipIf(!built)("two gen2 convert-all into one cache", () => {
  it("both succeed and the cache equals a single run's", async () => {
    const ref = join(tmp.path, "ref");
    runCli(["gen2", "convert-all", night, ref, "--workers", "0", "-q"]);
    const reference = snapshot(ref);
    for (const [round, extra] of [
      [0, []],
      [1, ["--overwrite"]],
    ] as const) {
      const cache = join(tmp.path, `shared-${round}`);
      const args = ["gen2", "convert-all", night, cache, "--workers", "0", "-q", ...extra];
      const [a, b] = await Promise.all([run(args), run(args)]);
      expect([a.code, a.stderr, b.code, b.stderr]).toEqual([0, "", 0, ""]);
      const got = snapshot(cache);
      expect([...got.keys()].sort()).toEqual([...reference.keys()].sort());
      for (const [name, bytes] of got) expect([name, bytes.equals(reference.get(name)!)]).toEqual([name, true]);
    }
  });
});
