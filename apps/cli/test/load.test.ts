import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
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

  it("--no-merge: one table per cycle; --out sel.parquet → sel.<row>.parquet, .lh5 → one table per cycle", async () => {
    const base = ["load", FLOW, "--data-dir", DATA_DIR, "--files", "all", "--columns", "energy_in_pe,timestamp", "--no-merge"];
    let r = await daqkit("--json", ...base, "--head", "2");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rows).toBe(180);
    expect(out.files.map((f: { file: number; rows: number }) => `${f.file}:${f.rows}`)).toEqual(["0:30", "1:30", "2:60", "3:60"]);
    // a column only the phy cycles have is left out of the cal cycles' tables (as pygama's per-file output)
    expect(out.files[0].columns.map((c: { name: string }) => c.name)).toEqual(["hit_table", "hit_idx", "timestamp"]);
    expect(out.files[2].columns.map((c: { name: string }) => c.name)).toEqual(["hit_table", "hit_idx", "energy_in_pe", "timestamp"]);
    expect(out.files[2].preview).toHaveLength(2);
    const sub = mkdtempSync(join(dir, "nomerge-"));
    r = await daqkit(...base, "--out", join(sub, "sel.parquet"));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^180 rows in 4 per-cycle tables/);
    expect(r.stdout).toMatch(/file 2: 60 rows × 4 columns → .*sel\.2\.parquet/);
    expect(readdirSync(sub).sort()).toEqual(["sel.0.parquet", "sel.1.parquet", "sel.2.parquet", "sel.3.parquet"]);
    r = await daqkit(...base, "--out", join(sub, "sel.lh5"));
    expect(r.code).toBe(0);
    const { listLh5 } = await import("@daqkit/lh5/node");
    expect(
      (await listLh5(join(sub, "sel.lh5")))
        .filter((o) => o.depth === 1)
        .map((o) => o.name)
        .sort(),
    ).toEqual(["0", "1", "2", "3"]);
    // entry lists per cycle too
    r = await daqkit("--json", "load", FLOW, "--data-dir", DATA_DIR, "--files", "type == 'cal'", "--no-merge");
    expect(JSON.parse(r.stdout).files.map((f: { rows: number }) => f.rows)).toEqual([30, 30]);
  });

  it("--tcm-table picks the TCM table; one the TCM tier lacks is LOADER_TABLE_MISSING", async () => {
    const base = [
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
    ];
    const plain = await daqkit(...base, "--mode", "any");
    let r = await daqkit(...base, "--mode", "any", "--tcm-table", "0");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).rows).toBe(6);
    expect(JSON.parse(r.stdout).preview).toEqual(JSON.parse(plain.stdout).preview);
    r = await daqkit(...base, "--tcm-table", "7");
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^daqkit: LOADER_TABLE_MISSING: .*TCM table 7/);
    r = await daqkit(...base, "--tcm-table", " ");
    expect(r.code).toBe(2);
  });

  it("--save-output-columns: the entry list with the cut columns among --columns", async () => {
    const base = ["--json", "load", FLOW, "--data-dir", DATA_DIR, "--files", "all", "--channels", "1084803,1084804,1121600"];
    let r = await daqkit(
      ...base,
      "--cut",
      "hit:trapEmax > 5000",
      "--columns",
      "trapEmax,is_valid_cal",
      "--save-output-columns",
      "--head",
      "20",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rows).toBe(14);
    expect(out.columns.map((c: { name: string }) => c.name)).toEqual(["hit_table", "hit_idx", "file", "trapEmax"]);
    expect(out.preview.reduce((a: number, row: { trapEmax: number }) => a + row.trapEmax, 0)).toBeCloseTo(128747.8408, 2);
    r = await daqkit(...base, "--save-output-columns");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--save-output-columns needs --columns/);
    r = await daqkit(...base, "--columns", "trapEmax", "--save-output-columns", "--orientation", "evt");
    expect(r.code).toBe(2);
  });
});
