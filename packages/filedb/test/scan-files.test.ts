import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cycleKeyToDate, cycleKeyToUnixSeconds } from "@daqkit/timestamps";
import { afterAll, describe, expect, it } from "vitest";
import { FileDb, FileDbError } from "../src/node.js";
import { CONFIGS, loadConfig, PROD_REF, TESTDATA, TRUNCATED } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "filedb-scan-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function error(fn: () => unknown): FileDbError {
  try {
    fn();
  } catch (e) {
    if (FileDbError.isInstance(e)) return e;
    throw e;
  }
  throw new Error("expected a FileDbError");
}

const TIMESTAMPS = ["20230318T012144Z", "20230318T012228Z", "20230322T160139Z", "20230322T170202Z"];
const TYPES = ["cal", "cal", "phy", "phy"];

describe("pygama test_flow_utils", () => {
  it("converts cycle keys (via @daqkit/timestamps)", () => {
    expect(cycleKeyToDate("20220716T105236Z").toISOString()).toBe("2022-07-16T10:52:36.000Z");
    expect(cycleKeyToUnixSeconds("20220716T105236Z")).toBe(1657968756);
    expect(cycleKeyToUnixSeconds("20230318T012144Z")).toBe(1679102504);
  });
});

describe("pygama test_filedb_basics", () => {
  const db = FileDb.fromConfig(loadConfig("pygama-flow/filedb-config.json"));

  it("has pygama's columns in order", () => {
    expect(db.columnNames).toEqual([
      "exp",
      "period",
      "run",
      "timestamp",
      "type",
      "raw_file",
      "dsp_file",
      "hit_file",
      "tcm_file",
      "evt_file",
      "raw_size",
      "dsp_size",
      "hit_size",
      "tcm_size",
      "evt_size",
      "file_status",
    ]);
    expect(db.table.schema.fields.map((f) => f.name)).toEqual(db.columnNames);
  });

  it("has the full 4×16 value matrix, rows in time order", () => {
    expect(db.length).toBe(4);
    const records = db.records();
    records.forEach((r, i) => {
      const ty = TYPES[i]!;
      const ts = TIMESTAMPS[i]!;
      const name = (tier: string) => `/${ty}/p03/r001/l200-p03-r001-${ty}-${ts}-tier_${tier}.lh5`;
      expect(r).toEqual({
        exp: "l200",
        period: "p03",
        run: "r001",
        timestamp: ts,
        type: ty,
        raw_file: name("raw"),
        dsp_file: name("dsp"),
        hit_file: name("hit"),
        tcm_file: name("tcm"),
        evt_file: name("evt"),
        raw_size: ty === "cal" ? 874456 : 1747968,
        dsp_size: ty === "cal" ? 484864 : 601440,
        hit_size: ty === "cal" ? 224776 : 388368,
        tcm_size: 15728,
        evt_size: 0,
        file_status: 30,
      });
    });
    const t = db.table;
    expect(t.getChild("file_status")!.toArray()).toEqual(new Int32Array([30, 30, 30, 30]));
    expect(t.getChild("raw_size")!.toArray()).toEqual(new BigInt64Array([874456n, 874456n, 1747968n, 1747968n]));
    expect(t.getChild("timestamp")!.toArray()).toEqual(TIMESTAMPS);
  });

  it("answers pygama-style queries", () => {
    expect(Array.from(db.query("all"))).toEqual([0, 1, 2, 3]);
    expect(Array.from(db.query("type == 'phy'"))).toEqual([2, 3]);
    expect(Array.from(db.query("file_status == 30 and timestamp == '20230318T012228Z'"))).toEqual([1]);
    expect(Array.from(db.query("run == 'r001' and type in ['cal']"))).toEqual([0, 1]);
    expect(Array.from(db.query("raw_size > 1000000 or timestamp == '20230318T012144Z'"))).toEqual([0, 2, 3]);
    expect(Array.from(db.queryKeys(["20230322T170202Z", "20230318T012144Z"]))).toEqual([0, 3]);
    expect(error(() => db.query("blah_file == 'x'")).code).toBe("FILEDB_UNKNOWN_TIER");
    const unknown = error(() => db.query("type == 'x' or nothing == 'x'"));
    expect(unknown.code).toBe("FILEDB_UNKNOWN_COLUMN");
    expect(unknown.position).toBe(15);
    expect(unknown.message).toContain("(columns: exp, period, run, timestamp, type, raw_file,");
    expect(error(() => db.query("type == ")).code).toBe("FILEDB_BAD_EXPRESSION");
  });

  it("gives table names and file paths", () => {
    expect(db.getTableName("tcm", 0)).toBe("hardware_tcm_1");
    expect(db.getTableName("raw", 1084803)).toBe("ch1084803/raw");
    expect(db.getTableName("evt", "all")).toBe("all/evt");
    expect(db.filePath(0, "dsp")).toBe(join(PROD_REF, "dsp/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_dsp.lh5"));
    expect(db.statusBit("raw")).toBe(16);
    expect(db.statusBit("evt")).toBe(1);
    expect(error(() => db.getTableName("blah", 0)).code).toBe("FILEDB_UNKNOWN_TIER");
    expect(error(() => db.getTableColumns(1084803, "dsp")).code).toBe("FILEDB_NOT_SCANNED");
  });
});

describe("scanFiles variants", () => {
  it("scans partially and chains (HEAD's scan_files(['cal/p03/r001', 'phy/p03/r001']))", () => {
    const db = FileDb.fromConfig(loadConfig("pygama-flow/filedb-config.json"), { scan: false });
    expect(db.length).toBe(0);
    const r1 = db.scanFiles("phy/p03/r001");
    expect(r1.rowsAdded).toBe(2);
    expect(db.records().map((r) => r.type)).toEqual(["phy", "phy"]);
    db.scanFiles(["cal/p03/r001", "phy/p03/r001"]);
    expect(db.length).toBe(4);
    expect(db.records().map((r) => r.timestamp)).toEqual(TIMESTAMPS);
    expect(error(() => db.scanFiles("no/such/dir")).code).toBe("FILEDB_DIR_NOT_FOUND");
  });

  it("a tier template giving impossible file names (too long, under a file) means missing files, not a raw error", () => {
    const config = loadConfig("pygama-flow/filedb-config.json");
    const fileFormat = config.file_format as Record<string, string>;
    const long = { ...config, file_format: { ...fileFormat, dsp: `/${"x".repeat(300)}-{timestamp}.lh5` } };
    const a = FileDb.fromConfig(long);
    expect(a.length).toBe(4);
    expect(a.records().map((r) => r.dsp_size)).toEqual([0, 0, 0, 0]);
    const underFile = { ...config, file_format: { ...fileFormat, hit: `${fileFormat.raw}/{timestamp}.lh5` } };
    const b = FileDb.fromConfig(underFile);
    expect(b.records().map((r) => r.hit_size)).toEqual([0, 0, 0, 0]);
  });

  it("works with a relative data_dir (pygama bug B20)", () => {
    const db = FileDb.fromConfig(`${CONFIGS}/pygama-flow/filedb-config.json`, { cwd: TESTDATA });
    expect(db.length).toBe(4);
    expect(db.dataDir).toBe(PROD_REF);
  });

  it("sees the synthetic evt tier (status 31) and the new TCM dir", () => {
    const evt = FileDb.fromConfig(`${CONFIGS}/variants/filedb-config-evt_synthetic.json`, { cwd: TESTDATA });
    expect(evt.records().map((r) => r.file_status)).toEqual([31, 31, 31, 31]);
    const tcm2 = FileDb.fromConfig(`${CONFIGS}/variants/filedb-config-tcm_v2.json`, { cwd: TESTDATA });
    expect(tcm2.records().map((r) => r.tcm_size)).toEqual([28672, 28672, 28672, 28672]);
  });

  it("scans l200-truncated without a raw tier (status 15)", () => {
    const db = FileDb.fromConfig(loadConfig("variants/filedb-config-l200-truncated.json"));
    expect(db.dataDir).toBe(TRUNCATED);
    expect(db.tiers).toEqual(["dsp", "hit", "tcm", "evt"]);
    expect(db.records().map((r) => [r.type, r.timestamp, r.file_status])).toEqual([
      ["ant", "20241210T225016Z", 15],
      ["ath", "20241210T230220Z", 15],
    ]);
  });

  it("reports missing files, non-matching files and bad cycle keys", () => {
    const root = join(tmp, "tree");
    mkdirSync(join(root, "raw/cal"), { recursive: true });
    const config = {
      data_dir: root,
      tier_dirs: { raw: "/raw", dsp: "/dsp" },
      file_format: { raw: "/{type}/{timestamp}-raw.lh5", dsp: "/{type}/{timestamp}-dsp.lh5" },
      table_format: { raw: "ch{ch:07d}/raw", dsp: "ch{ch:07d}/dsp" },
    };
    expect(error(() => FileDb.fromConfig(config)).code).toBe("FILEDB_NO_FILES");
    writeFileSync(join(root, "raw/cal/notes.txt"), "x");
    const e = error(() => FileDb.fromConfig(config));
    expect(e.code).toBe("FILEDB_NO_FILES");
    expect(e.message).toContain("matched");
    writeFileSync(join(root, "raw/cal/20230318T012144Z-raw.lh5"), "12345");
    writeFileSync(join(root, "raw/cal/2023-03-18-raw.lh5"), "");
    expect(error(() => FileDb.fromConfig(config)).code).toBe("FILEDB_BAD_KEY");
    rmSync(join(root, "raw/cal/2023-03-18-raw.lh5"));
    mkdirSync(join(root, "dsp/cal"), { recursive: true });
    writeFileSync(join(root, "dsp/cal/20230318T012144Z-dsp.lh5"), "12");
    writeFileSync(join(root, "raw/cal/20220101T000000Z-raw.lh5"), "1");
    const db = FileDb.fromConfig(config);
    expect(db.records().map((r) => [r.timestamp, r.file_status, r.raw_size, r.dsp_size])).toEqual([
      ["20220101T000000Z", 2, 1, 0],
      ["20230318T012144Z", 3, 5, 2],
    ]);
    // a second scan of the same directory does not duplicate rows (pygama appends duplicates)
    expect(db.scanFiles().rowsAdded).toBe(0);
    expect(db.length).toBe(2);
    // sortby another column; run stays a string ("001" is not turned into 1, B15)
    const byType = FileDb.fromConfig({
      ...config,
      file_format: { raw: "/{type}/{run}-raw.lh5", dsp: "/{type}/{run}-dsp.lh5" },
      sortby: "run",
    });
    expect(byType.records().map((r) => r.run)).toEqual(["20220101T000000Z", "20230318T012144Z"]);
    expect(error(() => FileDb.fromConfig({ ...config, sortby: "nope" })).code).toBe("FILEDB_BAD_CONFIG");
  });

  it("keeps all-digit fields as strings and converts only :d fields", () => {
    const root = join(tmp, "digits");
    mkdirSync(join(root, "raw"), { recursive: true });
    writeFileSync(join(root, "raw/run001-ch0042.lh5"), "");
    const db = FileDb.fromConfig({
      data_dir: root,
      tier_dirs: { raw: "/raw" },
      file_format: { raw: "run{run}-ch{ch:04d}.lh5" },
      table_format: { raw: "x" },
    });
    expect(db.record(0)).toMatchObject({ run: "001", ch: 42, raw_file: "run001-ch0042.lh5", file_status: 1 });
    expect(db.table.getChild("ch")!.toArray()).toEqual(new BigInt64Array([42n]));
    expect(Array.from(db.query("ch == 42 and run == '001'"))).toEqual([0]);
  });

  it("applies the config's tables/columns shortcut", () => {
    const db = FileDb.fromConfig({
      ...loadConfig("pygama-flow/filedb-config.json"),
      tables: { raw: [0, 1, 2], tcm: [""] },
      columns: { raw: ["baseline", "waveform"], tcm: ["array_id"] },
    });
    expect(db.columns).toEqual([["baseline", "waveform"], ["array_id"]]);
    expect(db.getTables(0, "raw")).toEqual([0, 1, 2]);
    expect(db.getColumnIndices(3, "raw")).toEqual([0, 0, 0]);
    expect(db.getTableColumns(1, "raw", 2)).toEqual(["baseline", "waveform"]);
    expect(db.getTables(0, "dsp")).toEqual([]);
  });

  it("scans a DAQ directory with its own template", () => {
    const daq = join(tmp, "daq");
    mkdirSync(daq, { recursive: true });
    cpSync(
      join(PROD_REF, "raw/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_raw.lh5"),
      join(daq, "l200_p03_r001_cal_20230318T012144Z.orca"),
    );
    const db = FileDb.fromConfig(loadConfig("pygama-flow/filedb-config.json"), { scan: false });
    db.scanDaqFiles(daq, "{exp}_{period}_{run}_{type}_{timestamp}.orca");
    expect(db.records().map((r) => [r.raw_file, r.file_status])).toEqual([
      ["/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_raw.lh5", 30],
    ]);
  });
});
