/**
 * Kill test of `daqkit gen2 convert-all` (issue 14): SIGKILL the built CLI at seeded points of a
 * conversion; afterwards every Parquet file under its final name in the cache equals the one of an
 * uninterrupted run (never torn, never reused when incomplete), and re-running gives exactly the
 * uninterrupted cache.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE_SEED, scaled } from "../../../test/support/fault.js";
import { cliBuilt, killSeries, runCli, snapshot } from "../../../test/support/kill-cli.js";
import { gen2Make, tempDir } from "./helpers.js";

const built = cliBuilt();
let tmp: ReturnType<typeof tempDir>;
let night: string;

beforeAll(() => {
  tmp = tempDir("gen2-kill-");
  night = join(tmp.path, "night");
  gen2Make(night, "--photons", "300000", "--seconds", "4", "--split-frame");
});
afterAll(() => tmp?.cleanup());

describe.skipIf(!built)("gen2 convert-all killed with SIGKILL", () => {
  it("leaves only complete cache files, and a re-run gives the uninterrupted cache", async () => {
    const ref = join(tmp.path, "ref");
    const referenceMs = runCli(["gen2", "convert-all", night, ref, "--workers", "0", "-q"]);
    const reference = snapshot(ref);
    expect(reference.size).toBe(4);
    const out = join(tmp.path, "killed");
    const reports = await killSeries({
      args: ["gen2", "convert-all", night, out, "--workers", "0", "-q"],
      outDir: out,
      reference,
      referenceMs,
      count: scaled(1),
      seed: BASE_SEED + 1,
      prepare: () => {
        rmSync(out, { recursive: true, force: true });
        mkdirSync(out);
      },
    });
    console.log(
      `gen2 convert-all kills: ${JSON.stringify(reports.map((r) => ({ delayMs: r.delayMs, killed: r.killed, complete: r.complete, leftovers: r.leftovers.length })))}`,
    );
    expect(reports.flatMap((r) => r.bad)).toEqual([]);
    expect(reports.flatMap((r) => r.rerunBad)).toEqual([]);
  });
});
