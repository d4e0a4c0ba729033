import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FileDb, FileDbError, openFileDb } from "../src/node.js";
import { loadConfig } from "./helpers.js";
import { havePython } from "../../../test/support/readers.js";

const tmp = mkdtempSync(join(tmpdir(), "filedb-disk-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const H5PY = havePython(["h5py"]);

async function rejection(p: Promise<unknown>): Promise<FileDbError> {
  try {
    await p;
  } catch (e) {
    if (FileDbError.isInstance(e)) return e;
    throw e;
  }
  throw new Error("expected a FileDbError");
}

function python(script: string, ...args: string[]): string {
  const r = spawnSync("/usr/bin/python3", ["-c", script, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe("pygama test_serialization", () => {
  let db: FileDb;
  const path = join(tmp, "full.lh5");
  beforeAll(async () => {
    db = FileDb.fromConfig(loadConfig("pygama-flow/filedb-config.json"));
    await db.scanTablesColumns();
    await db.toDisk(path, { mode: "overwrite_file" });
  });

  it("refuses to overwrite in write-safe mode, overwrites with overwrite_file", async () => {
    expect((await rejection(db.toDisk(path))).code).toBe("FILEDB_EXISTS");
    await db.toDisk(path, { mode: "of" });
    expect(readdirSync(tmp).filter((f) => f.includes("tmp"))).toEqual([]);
  });

  it("reloads identically (Arrow table, column lists, config)", async () => {
    const back = await FileDb.fromDisk(path);
    expect(back.records()).toEqual(db.records());
    expect(back.columns).toEqual(db.columns);
    expect(back.config).toEqual(db.config);
    expect(back.table.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(db.table.schema.fields.map((f) => `${f.name}:${f.type}`));
    expect(back.getTableColumns(1084803, "dsp")).toEqual(db.getTableColumns(1084803, "dsp"));
    const viaOpen = await openFileDb(path);
    expect(viaOpen.length).toBe(4);
  });

  it("keeps a database without table scan as such", async () => {
    const plain = FileDb.fromConfig(loadConfig("pygama-flow/filedb-config.json"));
    const p = join(tmp, "plain.lh5");
    await plain.toDisk(p);
    const back = await FileDb.fromDisk(p);
    expect(back.hasTables).toBe(false);
    expect(back.columns).toBeNull();
    expect(back.records()).toEqual(plain.records());
  });

  it.skipIf(!H5PY)("opens in h5py with the documented layout", () => {
    const out = python(
      `
import h5py, json, sys
with h5py.File(sys.argv[1], "r") as f:
    cfg = json.loads(f["config"][()].decode())
    t = f["filedb"]
    print(json.dumps({
      "data_dir": cfg["data_dir"],
      "config_type": f["config"].attrs["datatype"],
      "columns_type": f["columns"].attrs["datatype"],
      "cumulative_length": f["columns/cumulative_length"][()].tolist(),
      "n_names": len(f["columns/flattened_data"]),
      "table_type": t.attrs["datatype"],
      "config_attr_same": json.loads(t.attrs["config"]) == cfg,
      "timestamp": [x.decode() for x in t["timestamp"][()]],
      "status": t["file_status"][()].tolist(),
      "raw_size": t["raw_size"][()].tolist(),
      "dsp_tables_cl": t["dsp_tables/cumulative_length"][()].tolist(),
      "evt_scanned": t["evt_scanned"][()].tolist(),
    }))
`,
      path,
    );
    const r = JSON.parse(out);
    expect(r.data_dir).toBe(db.dataDir);
    expect(r.config_type).toBe("string");
    expect(r.columns_type).toBe("array<1>{array<1>{string}}");
    expect(r.cumulative_length).toEqual([32, 91, 96, 123, 130, 133]);
    expect(r.n_names).toBe(133);
    expect(r.config_attr_same).toBe(true);
    expect(r.table_type).toMatch(/^table\{exp,period,run,timestamp,type,raw_file,/);
    expect(r.timestamp).toEqual(["20230318T012144Z", "20230318T012228Z", "20230322T160139Z", "20230322T170202Z"]);
    expect(r.status).toEqual([30, 30, 30, 30]);
    expect(r.raw_size).toEqual([874456, 874456, 1747968, 1747968]);
    expect(r.dsp_tables_cl).toEqual([3, 6, 12, 18]);
    expect(r.evt_scanned).toEqual([0, 0, 0, 0]);
  });

  it.skipIf(!H5PY)("recognises a pygama-written FileDB file", async () => {
    const p = join(tmp, "pygama.lh5");
    python(
      `
import h5py, sys
with h5py.File(sys.argv[1], "w") as f:
    f["config"] = "{}"
    f["config"].attrs["datatype"] = "string"
    g = f.create_group("dataframe")
    g.attrs["pandas_type"] = "frame"
`,
      p,
    );
    expect((await rejection(FileDb.fromDisk(p))).code).toBe("FILEDB_BAD_DATABASE");
  });

  it("round-trips string table ids (evt {grp}/evt) and an empty database", async () => {
    const evt = FileDb.fromConfig(loadConfig("variants/filedb-config-evt_synthetic.json"));
    await evt.scanTablesColumns();
    expect(evt.getTables(0, "evt")).toEqual(["all"]);
    const p = join(tmp, "evt.lh5");
    await evt.toDisk(p);
    const back = await FileDb.fromDisk(p);
    expect(back.records()).toEqual(evt.records());
    expect(back.table.getChild("evt_tables")!.type.toString()).toBe("List<Utf8>");
    expect(back.getTableColumns("all", "evt", 1)).toEqual(["evt_no", "first_table", "multiplicity"]);

    const empty = FileDb.fromConfig(loadConfig("pygama-flow/filedb-config.json"), { scan: false });
    const e = join(tmp, "empty.lh5");
    await empty.toDisk(e);
    const emptyBack = await FileDb.fromDisk(e);
    expect(emptyBack.length).toBe(0);
    expect(emptyBack.table.numRows).toBe(0);
    expect(emptyBack.columnNames).toEqual(empty.columnNames);
  });

  it("reports missing and non-LH5 database files", async () => {
    expect((await rejection(FileDb.fromDisk(join(tmp, "none*.lh5")))).code).toBe("FILEDB_NOT_FOUND");
    const text = join(tmp, "text.lh5");
    (await import("node:fs")).writeFileSync(text, "hello");
    expect((await rejection(FileDb.fromDisk(text))).code).toBe("FILEDB_UNREADABLE");
  });
});

describe("pygama test_chain_filedbs", () => {
  let cal: FileDb;
  let phy: FileDb;
  beforeAll(async () => {
    cal = FileDb.fromConfig(loadConfig("pygama-flow/filedb-config.json"), { scan: false });
    cal.scanFiles("cal/p03/r001");
    await cal.scanTablesColumns();
    await cal.toDisk(join(tmp, "chain-cal.lh5"));
    phy = FileDb.fromConfig(loadConfig("pygama-flow/filedb-config.json"), { scan: false });
    phy.scanFiles("phy/p03/r001");
    await phy.scanTablesColumns();
    await phy.toDisk(join(tmp, "chain-phy.lh5"));
  });

  it("has different column lists per part", () => {
    expect(cal.columns).toHaveLength(4);
    expect(phy.columns).toHaveLength(6);
    expect(cal.columns).not.toEqual(phy.columns);
  });

  for (const order of [
    ["chain-phy.lh5", "chain-cal.lh5"],
    ["chain-cal.lh5", "chain-phy.lh5"],
  ]) {
    it(`merges ${order.join(" + ")}`, async () => {
      const db = await FileDb.fromDisk(order.map((f) => join(tmp, f)));
      expect(db.length).toBe(4);
      expect(db.records().map((r) => r.type)).toEqual(["cal", "cal", "phy", "phy"]);
      const sortFirst = (l: readonly (readonly string[])[]) => [...l].map((x) => x.join(",")).sort();
      expect(sortFirst(db.columns!)).toEqual(
        sortFirst([...cal.columns!, ...phy.columns!].filter((x, i, a) => a.findIndex((y) => y.join() === x.join()) === i)),
      );
      expect(db.getTableColumns(1084804, "raw", 0)).toEqual(cal.getTableColumns(1084804, "raw", 0));
      expect(db.getTableColumns(1084804, "dsp", 0)).toEqual(cal.getTableColumns(1084804, "dsp", 0));
      expect(db.getTableColumns(1084804, "dsp", 2)).toEqual(phy.getTableColumns(1084804, "dsp", 0));
      expect(db.getTableColumns(1057600, "raw", 2)).toEqual(phy.getTableColumns(1057600, "raw", 0));
      expect(db.getTableColumns(1057600, "hit", 2)).toEqual(phy.getTableColumns(1057600, "hit", 0));
      if (order[0] === "chain-phy.lh5") {
        // R4: phy lists first; cal dsp remapped to [2, 2, 2], phy to [1, 1, 1, 2, 2, 2]
        expect(db.getColumnIndices(0, "dsp")).toEqual([2, 2, 2]);
        expect(db.getColumnIndices(2, "dsp")).toEqual([1, 1, 1, 2, 2, 2]);
      }
    });
  }

  it("merges with a wildcard and refuses different configs", async () => {
    expect((await FileDb.fromDisk(join(tmp, "chain-*.lh5"))).length).toBe(4);
    const other = FileDb.fromConfig({ ...loadConfig("pygama-flow/filedb-config.json"), sortby: "type" });
    await other.toDisk(join(tmp, "other.lh5"));
    expect((await rejection(FileDb.fromDisk([join(tmp, "chain-cal.lh5"), join(tmp, "other.lh5")]))).code).toBe("FILEDB_CONFIG_MISMATCH");
  });
});
