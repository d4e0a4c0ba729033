import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata");
const CONFIGS = join(TESTDATA, "lh5/configs");
const FLOW = join(CONFIGS, "pygama-flow/data-loader-config.json");
const EVT = join(CONFIGS, "variants/data-loader-config-evt_synthetic.json");
const DATA_DIR = join(TESTDATA, "lh5/prod-ref-l200/generated/tier");

describe("daqkit load", () => {
  const dir = mkdtempSync(join(tmpdir(), "daqkit-load-cli-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("seed example: files, channels, a hit cut and columns (R9 cut: 14 rows)", async () => {
    const r = await daqkit(
      "--json",
      "load",
      FLOW,
      "--data-dir",
      DATA_DIR,
      "--files",
      "all",
      "--channels",
      "1084803,1084804,1121600",
      "--cut",
      "hit:trapEmax > 5000",
      "--columns",
      "trapEmax,is_valid_cal",
      "--head",
      "20",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rows).toBe(14);
    expect(out.columns.map((c: { name: string }) => c.name)).toEqual(["hit_table", "hit_idx", "file", "trapEmax", "is_valid_cal"]);
    const sum = out.preview.reduce((a: number, row: { trapEmax: number }) => a + row.trapEmax, 0);
    expect(sum).toBeCloseTo(128747.8408, 2);
  });

  it("advanced seed example: TCM mode any, entry list only (test_any_mode: 6 rows)", async () => {
    const r = await daqkit(
      "--json",
      "load",
      FLOW,
      "--data-dir",
      DATA_DIR,
      "--files",
      "type == 'phy'",
      "--cut",
      "hit:daqenergy == 10221",
      "--tcm",
      "tcm",
      "--mode",
      "any",
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rows).toBe(6);
    expect(out.columns.map((c: { name: string }) => c.name)).toEqual(["hit_table", "hit_idx", "evt_idx", "file"]);
  });

  it("event orientation with an event cut, human output, written to parquet, arrow and lh5", async () => {
    for (const ext of ["parquet", "arrow", "lh5"]) {
      const out = join(dir, `evt.${ext}`);
      const r = await daqkit(
        "load",
        EVT,
        "--data-dir",
        DATA_DIR,
        "--files",
        "20230318T012144Z",
        "--cut",
        "evt:multiplicity > 1",
        "--orientation",
        "evt",
        "--columns",
        "trapEmax,multiplicity",
        "--out",
        out,
      );
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^7 rows × 6 columns from 1 cycle/);
      expect(existsSync(out)).toBe(true);
    }
  });

  it("bad input: a cut on an unknown level, an unknown column, a bad mode, a missing config", async () => {
    const base = ["load", FLOW, "--data-dir", DATA_DIR, "--files", "all"];
    let r = await daqkit(...base, "--cut", "hit:trapEmax >", "--columns", "trapEmax");
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^daqkit: LOADER_BAD_CUT: /);
    r = await daqkit(...base, "--cut", "dsp:trapEmax > 1", "--columns", "trapEmax");
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^daqkit: LOADER_UNKNOWN_LEVEL: /);
    r = await daqkit(...base, "--columns", "no_such_column");
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/LOADER_UNKNOWN_COLUMN/);
    r = await daqkit(...base, "--files", "nope == 1", "--columns", "trapEmax");
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/FILEDB_UNKNOWN_COLUMN/);
    r = await daqkit(...base, "--mode", "some");
    expect(r.code).toBe(2);
    r = await daqkit(...base, "--cut", "evt:multiplicity > 1");
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/LOADER_FILE_MISSING/);
    r = await daqkit("load", join(dir, "missing.json"), "--files", "all");
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/LOADER_CONFIG_NOT_FOUND/);
  });
});
