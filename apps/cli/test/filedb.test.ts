import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata");
const CONFIG = join(TESTDATA, "lh5/configs/pygama-flow/filedb-config.json");
const DATA_DIR = join(TESTDATA, "lh5/prod-ref-l200/generated/tier");
const tmp = mkdtempSync(join(tmpdir(), "cli-filedb-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("daqkit filedb", () => {
  const db = join(tmp, "db.lh5");

  it("scan: scans a config and saves the database with tables", async () => {
    const r = await daqkit("filedb", "scan", CONFIG, "--data-dir", DATA_DIR, "--tables", "--out", db);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("saved 4 cycles to");
    expect(r.stdout).toContain("6 distinct column lists");
    expect(r.stdout).toMatch(/3\s+l200\s+p03\s+r001\s+20230322T170202Z\s+phy\s+30 \(0b11110\)/);
  });

  it("scan --json without --out; partial scan with --dirs", async () => {
    const r = await daqkit("--json", "filedb", "scan", CONFIG, "--data-dir", DATA_DIR, "--dirs", "cal/p03/r001");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ cycles: 2, fileStatus: { "30": 2 }, out: null, tiers: ["raw", "dsp", "hit", "tcm", "evt"] });
  });

  it("show --query selects the cycles pygama's DataFrame.query selects", async () => {
    const r = await daqkit("--json", "filedb", "show", db, "--query", "type == 'phy' and file_status == 30");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rows).toEqual([2, 3]);
    expect(out.cycles.map((c: { timestamp: string }) => c.timestamp)).toEqual(["20230322T160139Z", "20230322T170202Z"]);
    expect(out.cycles[0].dsp_col_idx).toEqual([2, 2, 2, 1, 1, 1]);
    const keys = await daqkit("filedb", "show", db, "--query", "timestamp in ['20230318T012228Z'] or raw_size < 0", "--columns");
    expect(keys.code).toBe(0);
    expect(keys.stdout).toContain("cycles   1 of 4; 6 distinct column lists");
    expect(keys.stdout).toContain("[5] (3) array_id, array_idx, cumulative_length");
  });

  it("show works on a config directly", async () => {
    const r = await daqkit("filedb", "show", CONFIG, "--data-dir", DATA_DIR, "--query", "run == 'r001' and type in ['cal']");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("cycles   2 of 4");
  });

  it("errors: bad query (3), unknown tier (3), existing output (3), missing file (4)", async () => {
    const bad = await daqkit("filedb", "show", db, "--query", "type == ");
    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/^daqkit: FILEDB_BAD_EXPRESSION: .*position 8/);
    const tier = await daqkit("filedb", "show", db, "--query", "blah_file == 'x'");
    expect(tier.code).toBe(3);
    expect(tier.stderr).toContain("FILEDB_UNKNOWN_TIER");
    const exists = await daqkit("filedb", "scan", CONFIG, "--data-dir", DATA_DIR, "--out", db);
    expect(exists.code).toBe(3);
    expect(exists.stderr).toContain("FILEDB_EXISTS");
    const missing = await daqkit("filedb", "show", join(tmp, "missing.json"));
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain("FILEDB_NOT_FOUND");
    const noDir = await daqkit("filedb", "scan", CONFIG, "--data-dir", join(tmp, "nope"));
    expect(noDir.code).toBe(4);
    expect(noDir.stderr).toContain("FILEDB_DIR_NOT_FOUND");
  });
});
