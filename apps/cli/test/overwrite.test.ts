import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

/** `--overwrite` is a flag with one meaning in every command; messages name the flag, not the API option. */
const tmp = mkdtempSync(join(tmpdir(), "daqkit-overwrite-"));
const store = join(tmp, "store");
const peaks = join(tmp, "peaks.arrow");
const later = join(tmp, "later.arrow");
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => {
  const write = (path: string, t0: bigint) => {
    const time = BigInt64Array.of(t0, t0 + 10n, t0 + 20n);
    writeFileSync(path, tableToIPC(tableFromArrays({ time, endtime: BigInt64Array.from(time, (x) => x + 5n) }), "file"));
  };
  write(peaks, 0n);
  write(later, 10_000_000_000n);
});

describe("--overwrite", () => {
  it("runs put: a flag (not a policy); existing data is refused naming --overwrite; --never-overwrite contradicts it", async () => {
    expect((await daqkit("runs", "put", store, "7", "peaks", peaks)).code).toBe(0);
    const again = await daqkit("runs", "put", store, "7", "peaks", peaks);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/^daqkit: RUNS_DATA_EXISTS: .*\(use --overwrite to replace it\)\n$/);
    expect(again.stderr).not.toMatch(/"always"|pass overwrite/);
    // The flag takes no value: the positional after it stays a positional.
    const replaced = await daqkit("--json", "runs", "put", "--overwrite", store, "7", "peaks", peaks);
    expect(replaced.code).toBe(0);
    expect(JSON.parse(replaced.stdout)).toMatchObject({ run: "7", dataType: "peaks", rows: 3 });
    const both = await daqkit("runs", "put", store, "7", "peaks", peaks, "--overwrite", "--never-overwrite");
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--overwrite and --never-overwrite");
    expect((await daqkit("runs", "put", store, "7", "peaks", peaks, "--never-overwrite")).code).toBe(3);
  });

  it("runs define and write-superrun: the redefine hint names --overwrite", async () => {
    expect((await daqkit("runs", "put", store, "8", "peaks", later)).code).toBe(0);
    expect((await daqkit("runs", "define", store, "_both", "7", "8")).code).toBe(0);
    const again = await daqkit("runs", "define", store, "_both", "7", "8");
    expect(again.code).toBe(3);
    expect(again.stderr).toContain("use --overwrite to redefine it");
    expect((await daqkit("runs", "write-superrun", store, "_both", "peaks")).code).toBe(0);
    const twice = await daqkit("runs", "write-superrun", store, "_both", "peaks");
    expect(twice.code).toBe(3);
    expect(twice.stderr).toContain("(use --overwrite to replace it)");
    expect((await daqkit("runs", "write-superrun", store, "_both", "peaks", "--overwrite")).code).toBe(0);
  });
});
