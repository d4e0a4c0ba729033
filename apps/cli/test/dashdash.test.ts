/**
 * `--` ends the options everywhere: a positional that starts with `-` (a file named `-night`, an
 * object path `-x`, a negative µs time) is taken as a positional, never as an unknown option.
 * Covers the gen2, lh5, filedb, load and time groups (docs/runs/rawhdf5 are tested by their owners).
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const SHARED = join(import.meta.dirname, "../../../../shared");
const TESTDATA = join(SHARED, "testdata");
const RAW = join(TESTDATA, "lh5/prod-ref-l200/generated/tier/raw/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_raw.lh5");
const FLOW = join(TESTDATA, "lh5/configs/pygama-flow");
const DATA_DIR = join(TESTDATA, "lh5/prod-ref-l200/generated/tier");
const M = 2n ** 36n * 500n;

let tmp: string;
let cwd: string;

// The positionals must be relative names starting with "-": run inside a temporary directory.
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "cli-dashdash-"));
  const r = spawnSync(
    "python3",
    [join(SHARED, "tools/gen2_make.py"), join(tmp, "-night"), "--photons", "2000", "--seconds", "2", "--quiet"],
    {
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  copyFileSync(join(TESTDATA, "gen2-bin/extremes.bin"), join(tmp, "-x.bin"));
  copyFileSync(join(TESTDATA, "gen2-bin/binney_test_packet.bin"), join(tmp, "-p.bin"));
  copyFileSync(RAW, join(tmp, "-raw.lh5"));
  copyFileSync(join(FLOW, "filedb-config.json"), join(tmp, "-filedb.json"));
  copyFileSync(join(FLOW, "data-loader-config.json"), join(tmp, "-loader.json"));
  cwd = process.cwd();
  process.chdir(tmp);
});
afterAll(() => {
  process.chdir(cwd);
  rmSync(tmp, { recursive: true, force: true });
});

async function json(...args: string[]): Promise<Record<string, unknown>> {
  const r = await daqkit("--json", ...args);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe("-- before positionals", () => {
  it("time: negative µs after --, also after a repeated --inside (one value per use)", async () => {
    expect(await json("time", "range", "--", "-5", "10")).toMatchObject({ startUs: Number(M - 5n), stopUs: 10, wraps: true });
    const r = await json("time", "range", "--inside", "3", "--inside", "-2", "--", "-5", "10");
    expect(r).toMatchObject({
      startUs: Number(M - 5n),
      stopUs: 10,
      inside: [
        { tUs: 3, inside: true },
        { tUs: -2, inside: true },
      ],
    });
    expect(await json("time", "key", "--", "1657976683")).toMatchObject({ key: "20220716T130443Z" });
  });

  it("gen2: info, convert-all, round-trip and read on names starting with -", async () => {
    expect(await json("gen2", "info", "--year", "2020", "--", "-x.bin")).toMatchObject({ files: 1, photons: 5, widePhotons: 1 });
    expect(await json("gen2", "info", "--", "-night")).toMatchObject({ files: 2, photons: 2000 });
    const conv = await json("gen2", "convert-all", "--workers", "0", "--", "-night", "-pq");
    expect(conv).toMatchObject({ files: 2, converted: 2, photons: 2000 });
    expect(existsSync(join(tmp, "-pq"))).toBe(true);
    expect(await json("gen2", "round-trip", "--out", join(tmp, "rt"), "--", "-p.bin")).toMatchObject({ photons: 5 });
    const read = await json(
      "gen2",
      "read",
      "--from",
      "0",
      "--to",
      String(2n ** 36n * 500n - 1n),
      "--cache",
      join(tmp, "-pq"),
      "--out",
      join(tmp, "r.arrow"),
      "--",
      "-night",
    );
    expect(read).toMatchObject({ photons: 2000 });
  });

  it("lh5: ls, show and export with a file and an object path starting with -", async () => {
    expect(await json("lh5", "ls", "--", "-raw.lh5")).toBeTruthy();
    const show = await daqkit("lh5", "show", "--", "-raw.lh5", "-x");
    expect(show.code).toBe(4); // parsed as the object path "-x", which the file does not have
    expect(show.stderr).toMatch(/^daqkit: LH5_OBJECT_NOT_FOUND: .*-x/);
    const ls = await daqkit("lh5", "ls", "--", "-raw.lh5", "-x");
    expect(ls.stderr).toMatch(/^daqkit: LH5_OBJECT_NOT_FOUND: .*-x/);
    const exp = await json("lh5", "export", "--out", join(tmp, "e.parquet"), "--columns", "timestamp", "--", "-raw.lh5", "ch1084803/raw");
    expect(exp).toBeTruthy();
    expect(existsSync(join(tmp, "e.parquet"))).toBe(true);
  });

  it("filedb and load: configs named -filedb.json / -loader.json", async () => {
    expect(await json("filedb", "scan", "--data-dir", DATA_DIR, "--out", join(tmp, "db.lh5"), "--", "-filedb.json")).toMatchObject({
      cycles: 4,
    });
    expect(await json("filedb", "show", "--data-dir", DATA_DIR, "--", "-filedb.json")).toMatchObject({ rows: [0, 1, 2, 3] });
    const load = await json(
      "load",
      "--data-dir",
      DATA_DIR,
      "--files",
      "all",
      "--cut",
      "hit:trapEmax > 5000",
      "--columns",
      "trapEmax",
      "--",
      "-loader.json",
      "-filedb.json",
    );
    expect(load.rows).toBeGreaterThan(0);
  });
});
