import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileDb, FileDbError } from "../src/node.js";
import { loadConfig, PROD_REF } from "./helpers.js";
import { havePython } from "../../../test/support/readers.js";

const EXPECTED: string[][] = JSON.parse(readFileSync(join(import.meta.dirname, "prod-ref-columns.json"), "utf8"));
const tmp = mkdtempSync(join(tmpdir(), "filedb-tables-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function rejection(p: Promise<unknown>): Promise<FileDbError> {
  try {
    await p;
  } catch (e) {
    if (FileDbError.isInstance(e)) return e;
    throw e;
  }
  throw new Error("expected a FileDbError");
}

const H5PY = havePython(["h5py"]);

describe("pygama test_scan_tables_columns", () => {
  let db: FileDb;
  beforeAll(async () => {
    db = FileDb.fromConfig(loadConfig("pygama-flow/filedb-config.json"));
    const report = await db.scanTablesColumns();
    expect(report.filesOpened).toBe(16);
  });

  it("adds the 10 table columns and finds the 6 column lists of Appendix A", () => {
    expect(db.columnNames.slice(16)).toEqual([
      "raw_tables",
      "raw_col_idx",
      "dsp_tables",
      "dsp_col_idx",
      "hit_tables",
      "hit_col_idx",
      "tcm_tables",
      "tcm_col_idx",
      "evt_tables",
      "evt_col_idx",
    ]);
    expect(db.table.numCols).toBe(26);
    expect(db.columns).toEqual(EXPECTED);
  });

  it("has pygama's tables and column indices per row", () => {
    const phy = db.record(2);
    expect(phy.dsp_tables).toEqual([1057600, 1059201, 1062405, 1084803, 1084804, 1121600]);
    expect(phy.dsp_col_idx).toEqual([2, 2, 2, 1, 1, 1]);
    expect(phy.hit_col_idx).toEqual([4, 4, 4, 3, 3, 3]);
    expect(phy.tcm_tables).toEqual([0]);
    expect(phy.tcm_col_idx).toEqual([5]);
    expect(phy.evt_tables).toBeNull();
    expect(phy.evt_col_idx).toBeNull();
    expect(db.record(0).raw_tables).toEqual([1084803, 1084804, 1121600]);
    const tables = db.table.getChild("dsp_tables")!;
    expect(Array.from(tables.get(2)!.toArray() as BigInt64Array)).toEqual([1057600n, 1059201n, 1062405n, 1084803n, 1084804n, 1121600n]);
    expect(db.table.getChild("evt_tables")!.get(0)).toBeNull();
  });

  it("pygama test_get_table_columns", () => {
    expect(db.getTableColumns(1084803, "dsp")).toEqual(EXPECTED[1]);
    expect(db.getTableColumns(1057600, "hit", 3)).toEqual(EXPECTED[4]);
    expect(db.getTableColumns(0, "evt")).toEqual([]);
    expect(() => db.getTableColumns(1, "blah")).toThrow(expect.objectContaining({ code: "FILEDB_UNKNOWN_TIER" }));
    expect(() => db.getTableColumns(9999, "raw")).toThrow(expect.objectContaining({ code: "FILEDB_UNKNOWN_TABLE" }));
  });

  it("keeps existing columns unless override", async () => {
    expect((await db.scanTablesColumns()).skipped).toBe(true);
    const again = await db.scanTablesColumns({ override: true, dirFilesConform: true });
    expect(again.filesOpened).toBe(8);
    expect(db.columns).toEqual(EXPECTED);
  });

  it("rows: scans only those rows (one shard's), the same tables for them, none for the others", async () => {
    const part = FileDb.fromConfig(loadConfig("pygama-flow/filedb-config.json"));
    const report = await part.scanTablesColumns({ rows: [2] });
    expect(report.filesOpened).toBeLessThan(16);
    expect(report.filesOpened).toBe([...part.tiers].filter((t) => part.fileExists(2, t)).length);
    for (const tier of part.tiers) {
      expect(part.getTables(2, tier)).toEqual(db.getTables(2, tier));
      if (part.getTables(2, tier) !== null) {
        for (const id of part.getTables(2, tier)!) expect(part.getTableColumns(id, tier, 2)).toEqual(db.getTableColumns(id, tier, 2));
      }
      for (let row = 0; row < part.length; row++) if (row !== 2) expect(part.getTables(row, tier)).toBeNull();
    }
  });
});

describe("scanTablesColumns on l200-truncated and the new TCM", () => {
  it("finds 58/49 tables and the new-format TCM columns", async () => {
    const db = FileDb.fromConfig(loadConfig("variants/filedb-config-l200-truncated.json"));
    await db.scanTablesColumns();
    expect(db.getTables(0, "dsp")).toHaveLength(58);
    expect(db.getTables(1, "dsp")).toHaveLength(49);
    expect(db.getTables(0, "hit")).toHaveLength(58);
    expect(db.getTableColumns(0, "tcm")).toEqual(["row_in_table", "table_key"]);
    expect(db.getTables(0, "evt")).toEqual([0]);
    expect(db.getTableColumns(0, "evt")).toEqual(["spms", "trigger"]);
  });

  it("new TCM layout in tcm_v2", async () => {
    const db = FileDb.fromConfig(loadConfig("variants/filedb-config-tcm_v2.json"));
    await db.scanTablesColumns();
    expect(db.getTableColumns(0, "tcm", 3)).toEqual(["row_in_table", "table_key"]);
  });
});

describe("the seed's example table format ch{ch:03d}", () => {
  it("finds the 7-digit channels (pygama's parse cannot)", async () => {
    const config = loadConfig("pygama-flow/filedb-config.json");
    const db = FileDb.fromConfig({
      ...config,
      table_format: { ...config.table_format, raw: "ch{ch:03d}/raw", dsp: "ch{ch:03d}/dsp", hit: "ch{ch:03d}/hit" },
    });
    await db.scanTablesColumns();
    expect(db.getTables(0, "raw")).toEqual([1084803, 1084804, 1121600]);
    expect(db.getTableName("raw", 42)).toBe("ch042/raw");
    expect(db.getTableName("raw", 1084803)).toBe("ch1084803/raw");
    expect(db.columns).toEqual(EXPECTED);
  });
});

describe("built-in link reader vs @daqkit/lh5", () => {
  for (const config of [
    "pygama-flow/filedb-config.json",
    "variants/filedb-config-l200-truncated.json",
    "variants/filedb-config-tcm_v2.json",
  ]) {
    it(`gives identical tables and columns for ${config}`, async () => {
      const fast = FileDb.fromConfig(loadConfig(config));
      await fast.scanTablesColumns();
      const slow = FileDb.fromConfig(loadConfig(config));
      await slow.scanTablesColumns({ fastLinks: false });
      expect(fast.columns).toEqual(slow.columns);
      expect(fast.records()).toEqual(slow.records());
    });
  }
});

describe("scanTablesColumns: bad input", () => {
  function tree(name: string): FileDb {
    const root = join(tmp, name);
    mkdirSync(join(root, "raw/cal"), { recursive: true });
    cpSync(
      join(PROD_REF, "raw/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_raw.lh5"),
      join(root, "raw/cal/20230318T012144Z-raw.lh5"),
    );
    return FileDb.fromConfig({
      data_dir: root,
      tier_dirs: { raw: "/raw", dsp: "/dsp" },
      file_format: { raw: "/{type}/{timestamp}-raw.lh5", dsp: "/{type}/{timestamp}-dsp.lh5" },
      table_format: { raw: "ch{ch:07d}/raw", dsp: "ch{ch:07d}/dsp" },
    });
  }

  it("an unreadable LH5 file → FILEDB_UNREADABLE", async () => {
    const db = tree("unreadable");
    mkdirSync(join(tmp, "unreadable/dsp/cal"), { recursive: true });
    writeFileSync(join(tmp, "unreadable/dsp/cal/20230318T012144Z-dsp.lh5"), "this is not HDF5");
    db.updateFileStatus();
    const e = await rejection(db.scanTablesColumns());
    expect(e.code).toBe("FILEDB_UNREADABLE");
    expect(e.tier).toBe("dsp");
    expect(e.path).toContain("20230318T012144Z-dsp.lh5");
  });

  it.skipIf(!H5PY)("a group that matches the glob but not the template → FILEDB_BAD_TABLE (B14), or skipped", async () => {
    const db = tree("badgroup");
    const path = join(tmp, "badgroup/dsp/cal/20230318T012144Z-dsp.lh5");
    mkdirSync(join(tmp, "badgroup/dsp/cal"), { recursive: true });
    const script = `
import h5py, numpy as np, sys
with h5py.File(sys.argv[1], "w") as f:
    for g in ["ch0000042/dsp", "chXYZ/dsp"]:
        grp = f.create_group(g)
        grp.attrs["datatype"] = "table{b,a}"
        grp["a"] = np.arange(3.0); grp["a"].attrs["datatype"] = "array<1>{real}"
        grp["b"] = np.arange(3.0); grp["b"].attrs["datatype"] = "array<1>{real}"
`;
    const r = spawnSync("/usr/bin/python3", ["-c", script, path]);
    expect(r.status, r.stderr.toString()).toBe(0);
    db.updateFileStatus();
    const e = await rejection(db.scanTablesColumns());
    expect(e.code).toBe("FILEDB_BAD_TABLE");
    const report = await db.scanTablesColumns({ strict: false });
    expect(report.warnings).toHaveLength(1);
    expect(db.getTables(0, "dsp")).toEqual([42]);
    expect(db.getTableColumns(42, "dsp")).toEqual(["a", "b"]);
    expect(db.getTables(0, "raw")).toEqual([1084803, 1084804, 1121600]);
  });
});
