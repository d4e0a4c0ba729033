import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readLh5, type Table as Lh5Table } from "@daqkit/lh5/node";
import type { Table } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { LoaderError } from "../src/errors.js";
import { openDataLoader } from "../src/open-data-loader.js";
import { CONFIGS, TESTDATA } from "./paths.js";

const FLOW = join(CONFIGS, "pygama-flow");
const VARIANTS = join(CONFIGS, "variants");
const GE = [1084803, 1084804, 1121600];

async function loader(config = join(FLOW, "data-loader-config.json"), filedb?: string) {
  return openDataLoader(config, { filedbOptions: { cwd: TESTDATA }, ...(filedb ? { filedb } : {}) });
}

function col(t: Table, name: string): unknown[] {
  const v = t.getChild(name);
  if (!v) throw new Error(`no column ${name}`);
  return [...v].map((x) => (typeof x === "bigint" ? Number(x) : x));
}

function names(t: Table): string[] {
  return t.schema.fields.map((f) => f.name);
}

/** "file/table/idx" keys of an entry list or hit-oriented load. */
function keys(t: Table): string[] {
  const f = col(t, "file");
  const tb = col(t, "hit_table");
  const ix = col(t, "hit_idx");
  return f.map((x, i) => `${x}/${tb[i]}/${ix[i]}`);
}

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
  return "no error";
}

describe("pygama flow tests (spec §4) with our semantics", () => {
  it("test_init_variants: config file, directory, file[a/b] and dir[a/b]", async () => {
    for (const c of [
      join(FLOW, "data-loader-config.json"),
      FLOW,
      `${join(FLOW, "nested/data-loader-config-nested.json")}[nest1/nest2]`,
      `${join(FLOW, "nested")}[nest1/nest2]`,
    ]) {
      // as pygama's fixture, the FileDB is given explicitly (the nested configs' $_/filedb-config.json is a symlink upstream)
      const dl = await loader(c, join(FLOW, "filedb-config.json"));
      expect(dl.config.levels.map((l) => l.name)).toEqual(["hit", "tcm", "evt"]);
    }
  });

  it("test_simple_load: all files, timestamp → hit_table, hit_idx, file, timestamp (180 rows)", async () => {
    const dl = await loader();
    dl.setFiles("all");
    dl.setOutput({ columns: ["timestamp"] });
    const t = await dl.load();
    expect(names(t)).toEqual(["hit_table", "hit_idx", "file", "timestamp"]);
    expect(t.numRows).toBe(180);
  });

  it("test_simple_chunked_load: chunks of 2 rows with the columns of a full load", async () => {
    const dl = await loader();
    dl.setFiles(["20230318T012144Z"]);
    dl.setOutput({ columns: ["timestamp"] });
    const full = await dl.load();
    const chunks: Table[] = [];
    for await (const t of dl.iterateLoad({ chunkSize: 2 })) chunks.push(t);
    expect(chunks.length).toBe(15);
    for (const t of chunks) {
      expect(t.numRows).toBe(2);
      expect(names(t)).toEqual(names(full));
    }
    expect(chunks.flatMap((t) => col(t, "timestamp"))).toEqual(col(full, "timestamp"));
    expect(await codeOf(dl.iterateLoad({ chunkSize: 0 }).next())).toBe("LOADER_BAD_ARGUMENT");
  });

  it("the FileDB can be a saved database (.lh5) or an instance", async () => {
    const { FileDb, writeFileDb } = await import("@daqkit/filedb/node");
    const db = FileDb.fromConfig(join(FLOW, "filedb-config.json"), { cwd: TESTDATA });
    await db.scanTablesColumns();
    const dir = mkdtempSync(join(tmpdir(), "daqkit-loader-db-"));
    try {
      const saved = join(dir, "filedb.lh5");
      await writeFileDb(db, saved);
      for (const filedb of [saved, db]) {
        const dl = await openDataLoader(join(FLOW, "data-loader-config.json"), { filedb });
        dl.setFiles("type == 'phy'");
        dl.setCuts({ hit: "daqenergy == 10221" });
        expect((await dl.buildEntryList({ tcmLevel: "tcm", mode: "any" })).numRows).toBe(6);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("R6: setFiles with queries, key lists and append", async () => {
    const dl = await loader();
    dl.setFiles("all");
    expect(dl.getFileList()).toEqual([0, 1, 2, 3]);
    dl.setFiles("type == 'phy'");
    expect(dl.getFileList()).toEqual([2, 3]);
    dl.setFiles(["20230322T170202Z", "20230318T012144Z"]);
    expect(dl.getFileList()).toEqual([0, 3]);
    dl.setFiles("type == 'cal'");
    dl.setFiles("timestamp == '20230322T170202Z'", { append: true });
    expect(dl.getFileList()).toEqual([0, 1, 3]);
  });

  it("R9: load sums over all four cycles; missing values are null, never garbage (B4)", async () => {
    const dl = await loader();
    dl.setFiles("all");
    dl.setOutput({ columns: ["timestamp", "trapEmax", "cuspEmax_ctc_cal", "daqenergy"] });
    const t = await dl.load();
    expect(names(t)).toEqual(["hit_table", "hit_idx", "file", "timestamp", "trapEmax", "cuspEmax_ctc_cal", "daqenergy"]);
    expect(t.numRows).toBe(180);
    const table = col(t, "hit_table") as number[];
    const daq = col(t, "daqenergy") as number[];
    expect(daq.reduce((a, b) => a + b, 0)).toBe(333409);
    const trap = col(t, "trapEmax") as (number | null)[];
    const cusp = col(t, "cuspEmax_ctc_cal") as (number | null)[];
    let sumTrap = 0;
    let sumCusp = 0;
    let nan = 0;
    table.forEach((tb, i) => {
      if (GE.includes(tb)) {
        sumTrap += trap[i] as number;
        if (Number.isNaN(cusp[i])) nan++;
        else sumCusp += cusp[i] as number;
      } else {
        // SiPM rows lack trapEmax / cuspEmax_ctc_cal: null (pygama returned uninitialised memory)
        expect(trap[i]).toBeNull();
        expect(cusp[i]).toBeNull();
      }
    });
    expect(sumTrap).toBeCloseTo(228551.8947, 3);
    expect(sumCusp).toBeCloseTo(35418.276, 3);
    expect(nan).toBe(18);
    expect(t.getChild("trapEmax")?.nullCount).toBe(60);
  });

  it("R9 with cut trapEmax > 5000 and germanium datastreams: 14 rows, 12 valid", async () => {
    const dl = await loader();
    dl.setFiles("all");
    dl.setDatastreams(GE, "ch");
    dl.setCuts({ hit: "trapEmax > 5000" });
    dl.setOutput({ columns: ["trapEmax", "is_valid_cal"] });
    const t = await dl.load();
    expect(t.numRows).toBe(14);
    expect((col(t, "trapEmax") as number[]).reduce((a, b) => a + b, 0)).toBeCloseTo(128747.8408, 3);
    expect((col(t, "is_valid_cal") as unknown[]).filter((v) => v === true).length).toBe(12);
  });

  it("R7: hit entry lists: 180 / 14 / 6 rows; saveOutputColumns keeps cut∩output columns", async () => {
    const dl = await loader();
    dl.setFiles("all");
    expect((await dl.buildEntryList()).numRows).toBe(180);
    dl.setCuts({ hit: "trapEmax > 5000" });
    const el = await dl.buildEntryList();
    expect(el.numRows).toBe(14);
    expect(names(el)).toEqual(["hit_table", "hit_idx", "file"]);
    dl.setDatastreams([1084803, 1121600], "ch");
    expect((await dl.buildEntryList()).numRows).toBe(6);
    dl.setOutput({ columns: ["trapEmax", "timestamp"] });
    const saved = await dl.buildEntryList({ saveOutputColumns: true });
    expect(names(saved)).toEqual(["hit_table", "hit_idx", "file", "trapEmax"]);
    expect((col(saved, "trapEmax") as number[]).every((v) => v > 5000)).toBe(true);
  });

  it("test_any_mode: phy, daqenergy == 10221, mode any → the 6 hits of event 5 of file 2", async () => {
    const dl = await loader();
    dl.setFiles("type == 'phy'");
    dl.setCuts({ hit: "daqenergy == 10221" });
    const el = await dl.buildEntryList({ tcmLevel: "tcm", mode: "any" });
    expect(names(el)).toEqual(["hit_table", "hit_idx", "evt_idx", "file"]);
    expect(el.numRows).toBe(6);
    expect(new Set(col(el, "evt_idx"))).toEqual(new Set([5]));
    expect(new Set(col(el, "file"))).toEqual(new Set([2]));
  });

  it("seed 'advanced usage': build an entry list in mode any, filter it, load it", async () => {
    const { tableFromArrays } = await import("apache-arrow");
    const dl = await loader();
    dl.setFiles("all");
    dl.setDatastreams([1084804, 1121600], "ch");
    dl.setCuts({ hit: "trapEmax > 5000" });
    const el = await dl.buildEntryList({ tcmLevel: "tcm", mode: "any" });
    const keep = col(el, "hit_table")
      .map((t, i) => (t === 1121600 ? i : -1))
      .filter((i) => i >= 0);
    const pick = (name: string) => Int32Array.from(keep, (i) => col(el, name)[i] as number);
    const filtered = tableFromArrays({
      hit_table: pick("hit_table"),
      hit_idx: pick("hit_idx"),
      evt_idx: pick("evt_idx"),
      file: pick("file"),
    });
    dl.setOutput({ columns: ["daqenergy", "channel"], format: "pd.DataFrame" });
    const t = await dl.load(filtered);
    expect(t.numRows).toBe(keep.length);
    expect(keep.length).toBeGreaterThan(0);
    expect(new Set(col(t, "hit_table"))).toEqual(new Set([1121600]));
    // raw-tier `channel` of ch1121600 holds its FlashCam channel, one value for every row
    expect(new Set(col(t, "channel")).size).toBe(1);
  });

  it("R8: cal trapEmax > 5000 in mode any → 7 rows in events {0,3} of file 0 and {0,2} of file 1", async () => {
    const dl = await loader();
    dl.setFiles("type == 'cal'");
    dl.setCuts({ hit: "trapEmax > 5000" });
    const el = await dl.buildEntryList({ tcmLevel: "tcm", mode: "any" });
    expect(el.numRows).toBe(7);
    const f = col(el, "file");
    const e = col(el, "evt_idx");
    expect(new Set(f.map((x, i) => `${x}:${e[i]}`))).toEqual(new Set(["0:0", "0:3", "1:0", "1:2"]));
  });

  it("the worked TCM example: event 3 of the first cal cycle = hits (1084804, 2) and (1121600, 1)", async () => {
    const dl = await loader();
    dl.setFiles(["20230318T012144Z"]);
    dl.setOutput({ columns: ["trapEmax"] });
    const el = await dl.buildEntryList({ tcmLevel: "tcm" });
    expect(el.numRows).toBe(30);
    const rows = keys(el).filter((_, i) => col(el, "evt_idx")[i] === 3);
    expect(rows).toEqual(["0/1084804/2", "0/1121600/1"]);
    const t = await dl.load(el);
    const i = keys(t).indexOf("0/1084804/2");
    expect(col(t, "trapEmax")[i]).toBeCloseTo(16741.48, 2);
  });

  it("TCM mode only with a hit cut selects the same hits as the plain hit entry list (B1: matched by index)", async () => {
    const dl = await loader();
    dl.setFiles("all");
    dl.setDatastreams(GE, "ch");
    dl.setCuts({ hit: "trapEmax > 5000" });
    const plain = keys(await dl.buildEntryList());
    const tcm = keys(await dl.buildEntryList({ tcmLevel: "tcm", mode: "only" }));
    expect(new Set(tcm)).toEqual(new Set(plain));
    expect(tcm.length).toBe(14);
  });

  it("R14 / B7: phy, trapEmax > 5000, mode only → 10 germanium hits, no SiPM rows (pygama: 70)", async () => {
    const dl = await loader();
    dl.setFiles("type == 'phy'");
    dl.setCuts({ hit: "trapEmax > 5000" });
    const el = await dl.buildEntryList({ tcmLevel: "tcm", mode: "only" });
    expect(el.numRows).toBe(10);
    expect((col(el, "hit_table") as number[]).every((t) => GE.includes(t))).toBe(true);
    expect(dl.warnings.length).toBeGreaterThan(0);
  });

  it("new-format TCM (tcm_v2) gives identical entry lists for the R8 queries", async () => {
    const old = await loader();
    const v2 = await loader(join(VARIANTS, "data-loader-config-tcm_v2.json"));
    for (const [files, cut] of [
      ["type == 'phy'", "daqenergy == 10221"],
      ["type == 'cal'", "trapEmax > 5000"],
      ["all", "trapEmax > 1000"],
    ] as const) {
      for (const mode of ["only", "any"] as const) {
        for (const dl of [old, v2]) {
          dl.setFiles(files);
          dl.setCuts({ hit: cut });
        }
        const a = await old.buildEntryList({ tcmLevel: "tcm", mode });
        const b = await v2.buildEntryList({ tcmLevel: "tcm", mode });
        expect(b.numRows).toBe(a.numRows);
        for (const c of ["hit_table", "hit_idx", "evt_idx", "file"]) expect(col(b, c)).toEqual(col(a, c));
      }
    }
    // the old-layout loader config (array_id/array_idx) also reads the new layout (B18)
    const cross = await openDataLoader(join(FLOW, "data-loader-config.json"), {
      filedb: join(VARIANTS, "filedb-config-tcm_v2.json"),
      filedbOptions: { cwd: TESTDATA },
    });
    cross.setFiles("all");
    expect((await cross.buildEntryList({ tcmLevel: "tcm" })).numRows).toBe(180);
  });

  it("R10: waveform loads as a struct {t0, dt, values} with AoESA values (10, 8192)", async () => {
    const dl = await loader();
    dl.setFiles(["20230318T012144Z"]);
    dl.setDatastreams([1084803], "ch");
    dl.setOutput({ columns: ["waveform"] });
    const t = await dl.load();
    expect(names(t)).toEqual(["hit_table", "hit_idx", "file", "waveform"]);
    expect(t.numRows).toBe(10);
    const wf = t.getChild("waveform");
    const values = wf?.getChild("values");
    expect(values?.type.toString()).toMatch(/FixedSizeList\[8192\]/);
    let sum = 0;
    for (const v of (values?.data[0]?.children[0]?.values ?? []) as Uint16Array) sum += v;
    expect(sum).toBe(1347235395);
    dl.setOutput({ format: "pd.DataFrame" });
    const flat = await dl.load();
    expect(names(flat)).toEqual(["hit_table", "hit_idx", "file", "waveform_t0", "waveform_dt", "waveform_values"]);
  });

  it("R11: loadPerFile → one table per cycle (30/30/60/60), no file column", async () => {
    const dl = await loader();
    dl.setFiles("all");
    dl.setOutput({ columns: ["timestamp"] });
    // pygama's merge_files setting is a method here; a JavaScript caller passing it is told so.
    expect(() => dl.setOutput({ mergeFiles: false } as never)).toThrow(expect.objectContaining({ code: "LOADER_BAD_ARGUMENT" }));
    const m = await dl.loadPerFile();
    expect([...m.keys()]).toEqual([0, 1, 2, 3]);
    expect([...m.values()].map((t) => t.numRows)).toEqual([30, 30, 60, 60]);
    expect(names(m.get(0) as Table)).toEqual(["hit_table", "hit_idx", "timestamp"]);
  });

  it("test_set_datastreams / test_set_cuts / test_setter_overwrite", async () => {
    const dl = await loader();
    dl.setFiles(["20230318T012144Z"]);
    dl.setDatastreams([1084803, 1084804, 1121600], "ch");
    dl.setOutput({ columns: ["eventnumber"] });
    const m = await dl.loadPerFile();
    expect([...new Set(col(m.get(0) as Table, "hit_table"))]).toEqual([1084803, 1084804, 1121600]);

    const c = await loader();
    c.setFiles("type == 'cal'");
    c.setCuts({ hit: "is_valid_cal == False" });
    c.setDatastreams([1084803], "ch");
    c.setOutput({ columns: ["is_valid_cal"] });
    const t = await c.load();
    expect(t.numRows).toBeGreaterThan(0);
    expect(col(t, "is_valid_cal").every((v) => v === false)).toBe(true);

    const s = await loader();
    s.setFiles("all");
    s.setDatastreams(GE, "ch");
    s.setCuts({ hit: "trapEmax > 5000" });
    s.setOutput({ columns: ["trapEmax"] });
    const first = await s.load();
    s.setFiles(["20230318T012144Z"]);
    s.setDatastreams([1084803, 1121600], "ch");
    s.setCuts({ hit: "trapEmax > 0" });
    const second = await s.load();
    expect(col(second, "hit_table")).not.toContain(1084804);
    expect(new Set(col(second, "file")).size).toBe(1);
    const count = (t: Table) => col(t, "hit_table").filter((x) => x === 1084803).length;
    expect(count(second)).toBeGreaterThan(count(first));
  });

  it("test_outputs: SiPM datastreams with columns from several tiers", async () => {
    const dl = await loader();
    dl.setFiles("type == 'phy'");
    dl.setDatastreams([1057600, 1059201], "ch");
    dl.setOutput({ columns: ["timestamp", "channel", "energies", "energy_in_pe"], format: "pd.DataFrame" });
    const t = await dl.load();
    expect(names(t)).toEqual(["hit_table", "hit_idx", "file", "timestamp", "channel", "energies", "energy_in_pe"]);
    expect(t.numRows).toBe(40);
    expect(t.getChild("energies")?.type.toString()).toMatch(/FixedSizeList\[100\]/);
  });

  it("B5: which tables carry a column is decided per cycle (energies of phy SiPMs load next to cal files)", async () => {
    const dl = await loader();
    dl.setFiles(["20230322T160139Z", "20230318T012144Z"]);
    dl.setOutput({ columns: ["energies"] });
    const t = await dl.load();
    expect(t.numRows).toBe(30 + 60);
    expect(t.getChild("energies")?.nullCount).toBe(30 + 30);
  });

  it("B17: function names and words inside strings are not columns", async () => {
    const dl = await loader();
    dl.setFiles("type == 'cal'");
    dl.setCuts({ hit: "trapEmax > 5000" });
    const plain = keys(await dl.buildEntryList());
    expect(plain.length).toBe(4);
    dl.setCuts({ hit: "abs(trapEmax) > 5000 and 'daqenergy' != 'x'" });
    expect(keys(await dl.buildEntryList())).toEqual(plain);
  });

  it("B19: a failed setDatastreams leaves the state unchanged", async () => {
    const dl = await loader();
    dl.setFiles("type == 'cal'");
    dl.setDatastreams([1084803], "ch");
    expect(await codeOf(() => dl.setDatastreams([1], "chan"))).toBe("LOADER_UNKNOWN_DATASTREAM_WORD");
    expect((await dl.buildEntryList()).numRows).toBe(20);
    expect(await codeOf(() => dl.setCuts({ hit: "trapEmax >", evt: "x" }))).toBe("LOADER_BAD_CUT");
    expect(dl.getCuts()).toEqual({});
  });

  it("list cuts are assigned to the level whose tables have the columns", async () => {
    const dl = await loader();
    dl.setFiles("all");
    dl.setCuts(["trapEmax > 5000"]);
    expect((await dl.buildEntryList()).numRows).toBe(14);
    dl.setCuts(["no_such_column > 1"]);
    expect(await codeOf(dl.buildEntryList())).toBe("LOADER_BAD_CUT");
  });

  it("an empty selection gives empty tables with the usual columns", async () => {
    const dl = await loader();
    dl.setFiles("type == 'nothing'");
    expect(dl.getFileList()).toEqual([]);
    expect(dl.warnings.length).toBe(1);
    dl.setOutput({ columns: ["trapEmax"] });
    const t = await dl.load();
    expect(t.numRows).toBe(0);
    expect(names(t)).toEqual(["hit_table", "hit_idx", "file", "trapEmax"]);
    const e = await dl.load(undefined, { tcmLevel: "tcm", orientation: "evt" });
    expect(e.numRows).toBe(0);
  });

  it("bad input gets coded errors", async () => {
    const dl = await loader();
    expect(await codeOf(dl.buildEntryList())).toBe("LOADER_BAD_ARGUMENT");
    expect(await codeOf(() => dl.setFiles("no_such_key == 1"))).toBe("FILEDB_UNKNOWN_COLUMN");
    expect(await codeOf(() => dl.setCuts({ dsp: "trapEmax > 1" }))).toBe("LOADER_UNKNOWN_LEVEL");
    dl.setFiles("all");
    expect(await codeOf(dl.load())).toBe("LOADER_BAD_ARGUMENT");
    dl.setOutput({ columns: ["no_such_column"] });
    expect(await codeOf(dl.load())).toBe("LOADER_UNKNOWN_COLUMN");
    // the default config has no evt files: an event cut needs them
    dl.setCuts({ evt: "multiplicity > 1" });
    const e = await codeOf(dl.buildEntryList());
    expect(e).toBe("LOADER_FILE_MISSING");
    expect(await codeOf(dl.load(undefined, { orientation: "sideways" as "hit" }))).toBe("LOADER_BAD_ARGUMENT");
    expect(await codeOf(openDataLoader(join(FLOW, "nope.json")))).toBe("LOADER_CONFIG_NOT_FOUND");
    expect(LoaderError.isInstance(new LoaderError("LOADER_IO", "x"))).toBe(true);
  });
});

describe("output files (B9)", () => {
  const dir = mkdtempSync(join(tmpdir(), "daqkit-loader-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("buildEntryList({ outputFile }) writes the entry list as an LH5 table", async () => {
    const dl = await loader();
    dl.setFiles("type == 'cal'");
    dl.setCuts({ hit: "trapEmax > 5000" });
    const out = join(dir, "entries.lh5");
    const el = await dl.buildEntryList({ tcmLevel: "tcm", mode: "any", outputFile: out });
    const back = (await readLh5(out, "entries")) as Lh5Table;
    expect(back.type).toBe("Table");
    expect([...back.columns.keys()]).toEqual(["hit_table", "hit_idx", "evt_idx", "file"]);
    expect(back.nRows).toBe(el.numRows);
    const idx = back.columns.get("hit_idx") as { data: ArrayLike<number> };
    expect(Array.from(idx.data)).toEqual(col(el, "hit_idx"));
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    // h5py (HDF5 1.10) reads it with lgdo's layout, when Debian's python3-h5py is installed
    const script = [
      "import h5py, sys, json",
      "f = h5py.File(sys.argv[1], 'r')",
      "g = f['entries']",
      "print(json.dumps({'datatype': g.attrs['datatype'] if isinstance(g.attrs['datatype'], str) else g.attrs['datatype'].decode(), 'idx': [int(x) for x in g['hit_idx'][:]]}))",
    ].join("\n");
    const py = spawnSync("/usr/bin/python3", ["-c", script, out], { encoding: "utf8" });
    if (spawnSync("/usr/bin/python3", ["-c", "import h5py"]).status !== 0) {
      console.warn("skipping the h5py check: /usr/bin/python3 has no h5py");
      return;
    }
    expect(py.stderr).toBe("");
    const parsed = JSON.parse(py.stdout) as { datatype: string; idx: number[] };
    expect(parsed.datatype).toBe("table{hit_table,hit_idx,evt_idx,file}");
    expect(parsed.idx).toEqual(col(el, "hit_idx"));
  });

  it("load({ outputFile }) writes merged_data, or one table per cycle", async () => {
    const dl = await loader();
    dl.setFiles("type == 'cal'");
    dl.setOutput({ columns: ["trapEmax", "waveform"] });
    const out = join(dir, "data.lh5");
    await dl.load(undefined, { outputFile: out });
    const back = (await readLh5(out, "merged_data")) as Lh5Table;
    expect(back.nRows).toBe(60);
    expect(back.columns.get("waveform")?.type).toBe("WaveformTable");
    dl.setOutput({ columns: ["trapEmax"] });
    await dl.loadPerFile(undefined, { outputFile: out });
    expect(((await readLh5(out, "1")) as Lh5Table).nRows).toBe(30);
    expect(await codeOf(dl.load(undefined, { outputFile: join(dir, "no/such/dir/x.lh5") }))).toBe("LOADER_IO");
  });
});

describe("event tier (evt_synthetic)", () => {
  const cfg = join(VARIANTS, "data-loader-config-evt_synthetic.json");

  it("R15 / B2: multiplicity > 1 selects events {1,3,4,7,9,10,11} of the first cal cycle", async () => {
    const dl = await loader(cfg);
    dl.setFiles(["20230318T012144Z"]);
    dl.setCuts({ evt: "multiplicity > 1" });
    const el = await dl.buildEntryList({ tcmLevel: "tcm" });
    // pygama (R15) returned events {1,2,4,5,6,7,10,11,12,14,…,19}
    expect([...new Set(col(el, "evt_idx"))]).toEqual([1, 3, 4, 7, 9, 10, 11]);
  });

  it("an event cut alone picks the TCM level automatically", async () => {
    const dl = await loader(cfg);
    dl.setFiles(["20230318T012144Z"]);
    dl.setCuts({ evt: "multiplicity > 1" });
    const auto = await dl.buildEntryList();
    const explicit = await dl.buildEntryList({ tcmLevel: "tcm" });
    expect(col(auto, "evt_idx")).toEqual(col(explicit, "evt_idx"));
  });

  it("B3: cuts of both levels are AND-ed in mode any", async () => {
    const dl = await loader(cfg);
    dl.setFiles("type == 'cal'");
    dl.setCuts({ hit: "trapEmax > 5000", evt: "multiplicity > 1" });
    const any = await dl.buildEntryList({ mode: "any" });
    dl.setCuts({ hit: "trapEmax > 5000" });
    const hitOnly = await dl.buildEntryList({ tcmLevel: "tcm", mode: "any" });
    // events with a hit above 5000 (R8: {0,3} of file 0, {0,2} of file 1), restricted to multiplicity > 1
    const ev = (t: Table) => new Set(col(t, "file").map((f, i) => `${f}:${col(t, "evt_idx")[i]}`));
    expect(ev(hitOnly)).toEqual(new Set(["0:0", "0:3", "1:0", "1:2"]));
    for (const e of ev(any)) expect(ev(hitOnly).has(e)).toBe(true);
    expect(ev(any).has("0:0")).toBe(false); // event 0 has a single hit
    expect(ev(any).has("0:3")).toBe(true);
  });

  it("B8: a datastream selection on the hit level keeps the event cut", async () => {
    const dl = await loader(cfg);
    dl.setFiles(["20230318T012144Z"]);
    dl.setDatastreams([1084804], "ch");
    dl.setCuts({ evt: "multiplicity > 1" });
    const el = await dl.buildEntryList();
    expect(new Set(col(el, "hit_table"))).toEqual(new Set([1084804]));
    expect(col(el, "evt_idx")).not.toContain(0);
    expect(col(el, "evt_idx")).not.toContain(2);
  });

  it("B6: hit orientation repeats event columns for every hit of the event", async () => {
    const dl = await loader(cfg);
    dl.setFiles(["20230318T012144Z"]);
    dl.setOutput({ columns: ["trapEmax", "multiplicity", "evt_no"] });
    const t = await dl.load(undefined, { tcmLevel: "tcm" });
    expect(t.numRows).toBe(30);
    const i = keys(t).indexOf("0/1084804/2");
    expect(col(t, "evt_idx")[i]).toBe(3);
    expect(col(t, "multiplicity")[i]).toBe(2);
    expect(col(t, "evt_no")[i]).toBe(col(t, "evt_no")[keys(t).indexOf("0/1121600/1")]);
  });

  it("B11: evt orientation gives one row per event with hit columns as lists", async () => {
    const dl = await loader(cfg);
    dl.setFiles("type == 'cal'");
    dl.setOutput({ columns: ["trapEmax", "multiplicity"] });
    const t = await dl.load(undefined, { orientation: "evt" });
    expect(t.numRows).toBe(22 + 24);
    expect(names(t)).toEqual(["evt_idx", "file", "hit_table", "hit_idx", "trapEmax", "multiplicity"]);
    const row3 = t.get(3)?.toJSON() as Record<string, unknown>;
    expect(row3.evt_idx).toBe(3);
    expect([...(row3.hit_table as Iterable<number>)]).toEqual([1084804, 1121600]);
    expect([...(row3.hit_idx as Iterable<number>)]).toEqual([2, 1]);
    expect((row3.trapEmax as { length: number }).length).toBe(2);
    expect(row3.multiplicity).toBe(2);
  });

  it("B10: saveOutputColumns works in mode any", async () => {
    const dl = await loader(cfg);
    dl.setFiles("type == 'cal'");
    dl.setCuts({ hit: "trapEmax > 5000" });
    dl.setOutput({ columns: ["trapEmax"] });
    const el = await dl.buildEntryList({ tcmLevel: "tcm", mode: "any", saveOutputColumns: true });
    expect(el.numRows).toBe(7);
    expect(names(el)).toContain("trapEmax");
    expect(col(el, "trapEmax").some((v) => (v as number) <= 5000)).toBe(true);
  });
});

describe("l200-truncated (R18): no raw tier, new TCM, real evt tier", () => {
  const cfg = join(VARIANTS, "data-loader-config-l200-truncated.json");

  it("hit entry list 2900 + 710 rows; TCM entry list through the new format", async () => {
    const dl = await loader(cfg);
    dl.setFiles("all");
    const m = await dl.buildEntryListPerFile();
    expect([...m.values()].map((t) => t.numRows)).toEqual([2900, 710]);
    const tcm = await dl.buildEntryListPerFile({ tcmLevel: "tcm" });
    // the ant TCM has 3000 hits; 100 name channels whose tables are not in the truncated files
    expect([...tcm.values()].map((t) => t.numRows)).toEqual([2900, 710]);
    expect(dl.warnings).toEqual(["cycle 0: 100 TCM rows name tables that are not in the dsp file; they are not selected"]);
    dl.setOutput({ columns: ["energy_in_pe", "is_valid_hit"] });
    const loaded = await dl.loadPerFile(undefined, { tcmLevel: "tcm" });
    const ath = loaded.get(1) as Table;
    expect(ath.getChild("energy_in_pe")?.type.toString()).toBe("List<Float64>");
    expect(ath.getChild("is_valid_hit")?.type.toString()).toBe("List<Bool>");
    const first = ath.get(0)?.toJSON() as Record<string, unknown>;
    expect(first.hit_table).toBe(1064002);
    expect([...(first.energy_in_pe as Iterable<number>)].map((x) => Number(x.toFixed(4)))).toEqual([3.56, 0.4579]);
    const evts = await dl.loadPerFile(undefined, { orientation: "evt" });
    expect([...evts.values()].map((t) => t.numRows)).toEqual([50, 50]);
  });
});
