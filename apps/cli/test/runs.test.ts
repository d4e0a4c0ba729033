import { chmod, cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromArrays, tableFromIPC, tableToIPC } from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const STRAX = join(import.meta.dirname, "../../../../shared/testdata/strax");
const cleanup: string[] = [];
afterEach(async () => {
  while (cleanup.length) await rm(cleanup.pop()!, { recursive: true, force: true });
});

async function temp(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "daqkit-cli-runs-"));
  cleanup.push(d);
  return d;
}

async function writable(path: string): Promise<void> {
  const s = await stat(path);
  await chmod(path, s.isDirectory() ? 0o755 : 0o644);
  if (s.isDirectory()) for (const e of await readdir(path)) await writable(join(path, e));
}

async function copy(folder: string): Promise<string> {
  const d = await temp();
  await cp(join(STRAX, folder), d, { recursive: true });
  await writable(d);
  return d;
}

async function readParquetRows(file: string): Promise<number> {
  const pq = await import("parquet-wasm");
  const t = tableFromIPC(pq.readParquet(await readFile(file), { batchSize: 1 << 16 }).intoIPCStream());
  return t.numRows;
}

describe("daqkit runs", () => {
  it("ls lists runs with availability (human and --json)", async () => {
    const r = await daqkit("runs", "ls", join(STRAX, "v2/main"), "--available", "peaks");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("_superrun_test");
    expect(r.stdout).toContain("5 run(s)");
    const j = await daqkit("--json", "runs", "ls", join(STRAX, "v2/main"), "--available", "records");
    expect(j.code).toBe(0);
    const rows = (JSON.parse(j.stdout) as { runs: { name: string; records_available: boolean; start: string }[] }).runs;
    expect(rows.map((x) => x.name)).toEqual(["0", "1", "2"]);
    expect(rows[0]!.start).toBe("2021-07-14T12:30:00.000Z");
    const f = await daqkit("--json", "runs", "ls", join(STRAX, "v2/epoch"), "--run", "[0-9]", "--field", "number");
    expect(f.code, f.stderr).toBe(0);
    expect((JSON.parse(f.stdout) as { runs: { name: string; number: number }[] }).runs.map((x) => [x.name, x.number])).toEqual([
      ["0", 0],
      ["1", 1],
      ["2", 2],
    ]);
  });

  it("every runs --json result is an object; 64-bit integers are decimal strings, other numbers numbers", async () => {
    const store = await copy("v2/epoch");
    const isObject = (text: string) => {
      const v = JSON.parse(text) as unknown;
      return typeof v === "object" && v !== null && !Array.isArray(v);
    };
    const ls = await daqkit("--json", "runs", "ls", store, "--available", "peaks", "--data");
    expect(ls.code, ls.stderr).toBe(0);
    expect(isObject(ls.stdout)).toBe(true);
    const listed = JSON.parse(ls.stdout) as {
      store: string;
      count: number;
      runs: { name: string; number: number | null; livetime: number }[];
      data: unknown[];
      warnings: string[];
    };
    expect(listed.store).toBe(store);
    expect(listed.count).toBe(5);
    expect(listed.runs.map((r) => r.name)).toEqual(["0", "1", "2", "_superrun_epoch", "_superrun_epoch_ranges"]);
    expect(listed.runs[0]!.number).toBe(0);
    expect(typeof listed.runs[0]!.livetime).toBe("number");
    expect(listed.data.length).toBeGreaterThan(0);
    expect(listed.warnings).toEqual([]);
    const d = await daqkit("--json", "runs", "define", store, "_pair", "0", "--range", "2:1626265802000000001:1626265802000000005");
    expect(d.code, d.stderr).toBe(0);
    expect(isObject(d.stdout)).toBe(true);
    expect((JSON.parse(d.stdout) as { subruns: { range: unknown }[] }).subruns[1]!.range).toEqual([
      "1626265802000000001",
      "1626265802000000005",
    ]);
    const w = await daqkit("--json", "runs", "write-superrun", store, "_pair", "records");
    expect(w.code, w.stderr).toBe(0);
    const written = JSON.parse(w.stdout) as { rows: number; chunks: { start: unknown; end: unknown; n: unknown }[] };
    expect(isObject(w.stdout)).toBe(true);
    expect(written.rows).toBe(140);
    expect(written.chunks[0]).toMatchObject({ start: "1626265800000000000", end: "1626265802000000005", n: 140 });
    const out = join(await temp(), "pair.arrow");
    const l = await daqkit("--json", "runs", "load", store, "_pair", "records", "--out", out);
    expect(l.code, l.stderr).toBe(0);
    expect(isObject(l.stdout)).toBe(true);
    expect(JSON.parse(l.stdout)).toMatchObject({ rows: 140, start: "1626265800000000000", end: "1626265802000000005" });
    const p = await daqkit("--json", "runs", "put", await temp(), "7", "records", out);
    expect(p.code, p.stderr).toBe(0);
    expect(isObject(p.stdout)).toBe(true);
    expect(JSON.parse(p.stdout)).toMatchObject({ rows: 140, start: "1626265800000000000", end: "1626265802000000005" });
  });

  it("ls lists a run whose document is a 0-byte file (strax's failed define_run) with a warning", async () => {
    const store = await copy("v2/main");
    await writeFile(join(store, "_broken-metadata.json"), "");
    const j = await daqkit("--json", "runs", "ls", store);
    expect(j.code, j.stderr).toBe(0);
    const listed = JSON.parse(j.stdout) as { runs: { name: string; start: string | null }[]; warnings: string[] };
    expect(listed.runs.map((r) => r.name)).toEqual(["0", "1", "2", "_broken", "_superrun_ranges", "_superrun_test"]);
    expect(listed.runs[3]!.start).toBeNull();
    expect(listed.warnings).toEqual([expect.stringMatching(/run _broken .*cannot be read/)]);
    const t = await daqkit("runs", "ls", store);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain("6 run(s)");
    expect(t.stdout).toMatch(/warning: .*run _broken/);
  });

  it("ls of a missing store exits 4 with a coded error", async () => {
    const r = await daqkit("runs", "ls", "/nonexistent/strax_data");
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("RUNS_DATA_NOT_FOUND");
  });

  it("ls of a directory that is not a strax store is a coded error, not 0 runs", async () => {
    const notStore = await temp();
    await writeFile(join(notStore, "notes.txt"), "hello\n");
    const r = await daqkit("runs", "ls", notStore);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^daqkit: RUNS_DATA_NOT_FOUND: .* is not a strax store/);
    const empty = await daqkit("--json", "runs", "ls", await temp());
    expect(empty.code).toBe(4);
    // A real store where a filter matches nothing is still a result.
    const none = await daqkit("--json", "runs", "ls", join(STRAX, "v2/main"), "--run", "no-such-run");
    expect(none.code).toBe(0);
  });

  it("define, write-superrun and load a superrun end to end", async () => {
    const store = await copy("v2/main");
    const d = await daqkit("--json", "runs", "define", store, "_mine", "2", "0", "--range", "1:20:25");
    expect(d.code, d.stderr).toBe(0);
    const def = JSON.parse(d.stdout) as { subruns: { run: string; range: unknown }[]; livetime: number };
    expect(def.subruns.map((s) => s.run)).toEqual(["0", "1", "2"]);
    expect(def.subruns[1]!.range).toEqual(["20", "25"]);
    expect(def.livetime).toBe(30);
    const w = await daqkit("--json", "runs", "write-superrun", store, "_mine", "records");
    expect(w.code, w.stderr).toBe(0);
    const written = JSON.parse(w.stdout) as {
      folder: string;
      rows: number;
      chunks: { subruns: Record<string, { start: string; end: string }> }[];
    };
    expect(written.rows).toBe(250);
    expect(written.folder).toMatch(/^_mine_[a-z2-7]{10}-records-j3nd2fjbiq$/);
    expect(written.chunks[0]!.subruns).toEqual({
      "0": { start: "0", end: "10" },
      "1": { start: "20", end: "25" },
      "2": { start: "40", end: "50" },
    });
    const out = join(await temp(), "mine.arrow");
    const l = await daqkit("runs", "load", store, "_mine", "records", "--out", out);
    expect(l.code, l.stderr).toBe(0);
    const table = tableFromIPC(await readFile(out));
    expect(table.numRows).toBe(250);
    const ls = await daqkit("--json", "runs", "ls", store, "--available", "records");
    expect((JSON.parse(ls.stdout) as { runs: { name: string }[] }).runs.map((x) => x.name)).toContain("_mine");
  });

  it("define refuses a name without the underscore (exit 3) and a missing subrun (exit 4), writing nothing", async () => {
    const store = await copy("v2/main");
    const before = (await readdir(store)).sort();
    const a = await daqkit("runs", "define", store, "mine", "0", "1");
    expect(a.code).toBe(3);
    expect(a.stderr).toContain("RUNS_BAD_RUN_ID");
    const b = await daqkit("runs", "define", store, "_x", "0", "42");
    expect(b.code).toBe(4);
    expect(b.stderr).toContain("RUNS_RUN_DOC_NOT_FOUND");
    const c = await daqkit("runs", "define", store, "_x", "--range", "0:5");
    expect(c.code).toBe(2);
    expect((await readdir(store)).sort()).toEqual(before);
  });

  it("load an epoch superrun to parquet, put it back as our own data, load again", async () => {
    const out = join(await temp(), "epoch.parquet");
    const l = await daqkit("--json", "runs", "load", join(STRAX, "v2/epoch"), "_superrun_epoch", "peaks", "--out", out);
    expect(l.code, l.stderr).toBe(0);
    expect((JSON.parse(l.stdout) as { rows: number }).rows).toBe(300);
    expect(await readParquetRows(out)).toBe(300);
    const store = await temp();
    const p = await daqkit("--json", "runs", "put", store, "7", "peaks", out, "--compressor", "zstd");
    expect(p.code, p.stderr).toBe(0);
    const put = JSON.parse(p.stdout) as { rows: number; start: string; end: string; folder: string };
    expect(put.rows).toBe(300);
    expect(put.start).toBe("1626265800000000000");
    expect(put.end).toBe("1626265802000000010");
    const again = join(await temp(), "again.arrow");
    const l2 = await daqkit("runs", "load", store, "7", "peaks", "--out", again);
    expect(l2.code, l2.stderr).toBe(0);
    const t = tableFromIPC(await readFile(again));
    expect(t.numRows).toBe(300);
    let sum = 0n;
    for (const v of t.getChild("time")!.toArray() as BigInt64Array) sum += v;
    expect(sum).toBe(487879740300000001350n);
  });

  it("put of a table without time fails with a coded error and writes nothing", async () => {
    const dir = await temp();
    const file = join(dir, "bad.arrow");
    const { writeFile } = await import("node:fs/promises");
    await writeFile(file, tableToIPC(tableFromArrays({ x: new Float64Array([1, 2]) }), "file"));
    const store = join(dir, "store");
    const r = await daqkit("runs", "put", store, "1", "x", file);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("RUNS_BAD_DTYPE");
    // The message names the store, the run and the data type.
    expect(r.stderr).toContain(store);
    expect(r.stderr).toContain("x of run 1");
    expect(await readdir(store)).toEqual([]);
  });

  it("two puts at once: different types both succeed; the same output has one winner and RUNS_BUSY", async () => {
    const dir = await temp();
    const { writeFile } = await import("node:fs/promises");
    const n = 20_000;
    const file = (offset: number) => {
      const time = BigInt64Array.from({ length: n }, (_, i) => BigInt(i * 10));
      const endtime = time.map((t) => t + 5n);
      return tableToIPC(tableFromArrays({ time, endtime, v: Float64Array.from({ length: n }, (_, i) => i + offset) }), "file");
    };
    const a = join(dir, "a.arrow");
    const b = join(dir, "b.arrow");
    await writeFile(a, file(0));
    await writeFile(b, file(1e6));
    const store = join(dir, "store");
    const types = await Promise.all([
      daqkit("runs", "put", store, "3", "alpha", a, "--target-mb", "0.05"),
      daqkit("runs", "put", store, "3", "beta", b, "--target-mb", "0.05"),
    ]);
    expect(
      types.map((r) => r.code),
      types.map((r) => r.stderr).join(""),
    ).toEqual([0, 0]);
    const same = await Promise.all([
      daqkit("runs", "put", store, "3", "gamma", a, "--target-mb", "0.05"),
      daqkit("runs", "put", store, "3", "gamma", b, "--target-mb", "0.05"),
    ]);
    expect(same.map((r) => r.code).sort()).toEqual([0, 3]);
    const loser = same.find((r) => r.code === 3)!;
    expect(loser.stderr).toMatch(/^daqkit: RUNS_(BUSY|DATA_EXISTS): .*gamma of run 3/);
    for (const type of ["alpha", "beta", "gamma"]) {
      const out = join(dir, `${type}.arrow`);
      const l = await daqkit("runs", "load", store, "3", type, "--out", out);
      expect(l.code, l.stderr).toBe(0);
      expect(tableFromIPC(await readFile(out)).numRows).toBe(n);
    }
    expect((await readdir(store)).filter((f) => f.includes("_temp") || f.includes("_old"))).toEqual([]);
  });

  it("put of a table with nulls is refused naming the column (exit 3), or stores zeros with --nulls zero", async () => {
    const store = await temp();
    const file = join(await temp(), "nulls.arrow");
    const t = tableFromArrays({ time: BigInt64Array.from([1n, 2n]), endtime: BigInt64Array.from([2n, 3n]) });
    const withNull = t.assign(tableFromArrays({ area: Float32Array.from([1, 2]) }));
    const area = withNull.getChild("area")!.data[0]!;
    const { makeData, Table, Vector } = await import("apache-arrow");
    const nulled = makeData({ type: area.type, length: 2, nullCount: 1, nullBitmap: new Uint8Array([0b01]), data: area.values });
    const table = new Table({ time: t.getChild("time")!, endtime: t.getChild("endtime")!, area: new Vector([nulled]) });
    await writeFile(file, tableToIPC(table, "file"));
    const r = await daqkit("runs", "put", store, "1", "x", file);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/RUNS_NULL_VALUE: .*column "area" has null values .*row 1/);
    const z = await daqkit("--json", "runs", "put", store, "1", "x", file, "--nulls", "zero");
    expect(z.code, z.stderr).toBe(0);
    const out = join(await temp(), "back.arrow");
    expect((await daqkit("runs", "load", store, "1", "x", "--out", out)).code).toBe(0);
    expect([
      ...(tableFromIPC(await readFile(out))
        .getChild("area")!
        .toArray() as Float32Array),
    ]).toEqual([1, 0]);
    expect((await daqkit("runs", "put", store, "2", "x", file, "--nulls", "maybe")).code).toBe(2);
  });

  it("a (2, 2) field goes through load → .parquet/.arrow → put with its shape", async () => {
    const { DataDirectory, makeDtype, putArrow, rowsToRecordBatch } = await import("@daqkit/runs/node");
    const { Table } = await import("apache-arrow");
    const dtype = makeDtype([
      { name: "time", typestr: "<i8" },
      { name: "endtime", typestr: "<i8" },
      { name: "m", typestr: "<f4", shape: [2, 2] },
    ]);
    const rows = new Uint8Array(2 * dtype.itemsize);
    const view = new DataView(rows.buffer);
    for (let r = 0; r < 2; r++) {
      view.setBigInt64(r * dtype.itemsize, BigInt(r * 10), true);
      view.setBigInt64(r * dtype.itemsize + 8, BigInt(r * 10 + 5), true);
      for (let k = 0; k < 4; k++) view.setFloat32(r * dtype.itemsize + 16 + 4 * k, r * 10 + k, true);
    }
    const store = await temp();
    await putArrow(new DataDirectory(store), "1", "mats", new Table(rowsToRecordBatch(dtype, rows, 2)));
    for (const ext of [".parquet", ".arrow"]) {
      const out = join(await temp(), `mats${ext}`);
      const l = await daqkit("runs", "load", store, "1", "mats", "--out", out);
      expect(l.code, l.stderr).toBe(0);
      const p = await daqkit("--json", "runs", "put", store, ext === ".arrow" ? "2" : "3", "mats", out);
      expect(p.code, p.stderr).toBe(0);
      expect((JSON.parse(p.stdout) as { dtype: string }).dtype).toContain("'m', '<f4', (2, 2)");
    }
  });

  it("bad arguments are usage errors", async () => {
    const r = await daqkit("runs", "load", join(STRAX, "v2/main"), "0", "peaks", "--out", "x.csv");
    expect(r.code).toBe(2);
    const c = await daqkit("runs", "write-superrun", join(STRAX, "v2/main"), "_superrun_test", "peaks", "--compressor", "bz2");
    expect(c.code).toBe(2);
    const corrupt = await daqkit("runs", "load", join(STRAX, "v2/main"), "0", "nothing", "--out", "/tmp/never.arrow");
    expect(corrupt.code).toBe(4);
    expect(corrupt.stderr).toContain("RUNS_DATA_NOT_FOUND");
  });
});
