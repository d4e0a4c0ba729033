/** Issue 15 (strax 2.2.3 parity): sub_run_spec order, isStored's errors, nulls and 2-D fields in put. */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  Field,
  FixedSizeList,
  Float32,
  type Int16,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Table,
  tableFromArrays,
  Type,
  Vector,
} from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import {
  arrowSchemaToDtype,
  DataDirectory,
  defineRun,
  formatDtype,
  loadTable,
  makeDtype,
  parseRunDoc,
  putArrow,
  rowsToRecordBatch,
} from "../src/node.js";
import { formatRunDoc } from "../src/run-doc.js";
import { copyFolder, removeDir, STRAX, tempDir } from "./helpers.js";

const cleanup: string[] = [];
afterEach(async () => {
  while (cleanup.length) await removeDir(cleanup.pop()!);
});

async function copy(folder: string): Promise<DataDirectory> {
  const path = await copyFolder(join(STRAX, folder));
  cleanup.push(path);
  return new DataDirectory(path);
}

describe("RunDoc.subRunSpec keeps document order", () => {
  it("for integer-like run ids, and writes it back in that order", () => {
    const text = '{"name": "_s", "sub_run_spec": {"10": "all", "9": [5, 7], "_a": "all", "2": "all"}}';
    const doc = parseRunDoc(text, "_s");
    expect(doc.subRunSpec!.map((e) => e.runId)).toEqual(["10", "9", "_a", "2"]);
    const written = formatRunDoc(doc);
    const keys = [...written.matchAll(/^ {8}"([^"]+)":/gm)].map((m) => m[1]);
    expect(keys).toEqual(["10", "9", "_a", "2"]);
    // The other keys stay sorted (strax 2.x writes sort_keys=True).
    expect([...written.matchAll(/^ {4}"([^"]+)":/gm)].map((m) => m[1])).toEqual(["name", "sub_run_spec"]);
    // Round trip: same order again, and a document in ascending order stays ascending.
    expect(parseRunDoc(written, "_s").subRunSpec!.map((e) => e.runId)).toEqual(["10", "9", "_a", "2"]);
    const ascending = parseRunDoc('{"name": "_t", "sub_run_spec": {"9": "all", "10": "all"}}', "_t");
    expect([...formatRunDoc(ascending).matchAll(/^ {8}"([^"]+)":/gm)].map((m) => m[1])).toEqual(["9", "10"]);
  });

  it("strax 2.x documents (sorted keys) are read in their on-disk order and rewritten byte-identically", async () => {
    for (const [folder, name] of [
      ["v2/main", "_superrun_test"],
      ["v2/main", "_superrun_ranges"],
      ["v2/epoch", "_superrun_epoch_ranges"],
    ] as const) {
      const path = join(STRAX, folder, `${name}-metadata.json`);
      const text = await readFile(path, "utf8");
      const doc = parseRunDoc(text, name, path);
      expect(doc.subRunSpec!.map((e) => e.runId)).toEqual(Object.keys(JSON.parse(text).sub_run_spec).sort());
    }
  });

  it("a superrun of runs '9' and '10' is written in time order and read back in it from the store", async () => {
    const dir = await copy("v2/main");
    // Give runs 0, 1 the names 9 and 10 (run 0 is earlier).
    for (const [from, to] of [
      ["0", "9"],
      ["1", "10"],
    ] as const) {
      const text = (await readFile(dir.runDocPath(from), "utf8")).replace(`"name": "${from}"`, `"name": "${to}"`);
      await writeFile(dir.runDocPath(to), text);
    }
    const { doc } = await defineRun(dir, "_nine_ten", ["10", "9"]);
    expect(doc.subRunSpec!.map((e) => e.runId)).toEqual(["9", "10"]);
    const onDisk = await readFile(dir.runDocPath("_nine_ten"), "utf8");
    expect(onDisk.indexOf('"9": "all"')).toBeLessThan(onDisk.indexOf('"10": "all"'));
    expect((await dir.readRunDoc("_nine_ten")).subRunSpec!.map((e) => e.runId)).toEqual(["9", "10"]);
  });
});

describe("isStored", () => {
  it("raises the coded error for an invalid run id or data type (strax raises) instead of returning false", async () => {
    const dir = new DataDirectory(join(STRAX, "v2/main"), { readonly: true });
    expect(await dir.isStored("0", "peaks")).toBe(true);
    expect(await dir.isStored("0", "nothing")).toBe(false);
    expect(await dir.isStored("42", "peaks")).toBe(false);
    for (const bad of ["", "0-peaks", "a/b", ".."]) {
      await expect(dir.isStored(bad, "peaks")).rejects.toMatchObject({ code: "RUNS_BAD_RUN_ID", runId: bad });
    }
    for (const bad of ["", "peaks-x", "pe/aks", "peaks x"]) {
      await expect(dir.isStored("0", bad)).rejects.toMatchObject({ code: "RUNS_BAD_RUN_ID", dataType: bad });
    }
  });
});

describe("put of an Arrow table with nulls", () => {
  const table = () =>
    tableFromArrays({
      time: BigInt64Array.from([10n, 20n, 30n]),
      endtime: BigInt64Array.from([15n, 25n, 35n]),
      area: Float32Array.from([1, 2, 3]),
    });
  /** The same table with `area` null in row 1 (the value under the null is 2.0, i.e. garbage). */
  function withNull(): Table {
    const t = table();
    const area = t.getChild("area")!.data[0]!;
    const bitmap = new Uint8Array([0b101]);
    const nulled = makeData({ type: new Float32(), length: 3, nullCount: 1, nullBitmap: bitmap, data: area.values as Float32Array });
    return new Table({ time: t.getChild("time")!, endtime: t.getChild("endtime")!, area: new Vector([nulled]) });
  }

  it("is refused with RUNS_NULL_VALUE naming the column and row; nothing is stored", async () => {
    const path = await tempDir();
    cleanup.push(path);
    const dir = new DataDirectory(path);
    const error = await putArrow(dir, "1", "peaks", withNull()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "RUNS_NULL_VALUE", field: "area", row: 1 });
    expect(String((error as Error).message)).toMatch(/column "area" has null values .* row 1/);
    expect(await readdir(path)).toEqual([]);
  });

  it("with nulls: 'zero', each null is stored as 0 (documented), the rest unchanged", async () => {
    const path = await tempDir();
    cleanup.push(path);
    const dir = new DataDirectory(path);
    await putArrow(dir, "1", "peaks", withNull(), { nulls: "zero" });
    const back = await loadTable(dir, "1", "peaks");
    expect([...(back.getChild("area")!.toArray() as Float32Array)]).toEqual([1, 0, 3]);
    // Nulls inside a sub-array and whole null lists too.
    const dtype = makeDtype([
      { name: "time", typestr: "<i8" },
      { name: "endtime", typestr: "<i8" },
      { name: "w", typestr: "<i2", shape: [3] },
    ]);
    const rows = new Uint8Array(2 * dtype.itemsize);
    const view = new DataView(rows.buffer);
    for (let r = 0; r < 2; r++) {
      view.setBigInt64(r * dtype.itemsize, BigInt(100 + r * 10), true);
      view.setBigInt64(r * dtype.itemsize + 8, BigInt(105 + r * 10), true);
      for (let k = 0; k < 3; k++) view.setInt16(r * dtype.itemsize + 16 + 2 * k, 7, true);
    }
    const batch = rowsToRecordBatch(dtype, rows, 2);
    const list = batch.getChild("w")!.data[0]!;
    const child = list.children[0]!;
    const nulledChild = makeData({
      type: child.type as Int16,
      length: 6,
      nullCount: 1,
      nullBitmap: new Uint8Array([0b111101]),
      data: child.values as Int16Array,
    });
    const w = makeData({ type: list.type, length: 2, child: nulledChild });
    const t = new Table({ time: batch.getChild("time")!, endtime: batch.getChild("endtime")!, w: new Vector([w]) });
    await expect(putArrow(dir, "2", "wf", t)).rejects.toMatchObject({ code: "RUNS_NULL_VALUE", field: "w", row: 0 });
    await putArrow(dir, "2", "wf", t, { nulls: "zero" });
    const wf = await loadTable(dir, "2", "wf");
    expect(
      wf
        .getChild("w")!
        .toArray()
        .map((x: Vector) => [...x.toArray()]),
    ).toEqual([
      [7, 0, 7],
      [7, 7, 7],
    ]);
  });
});

describe("a field of numpy shape (2, 2)", () => {
  const dtype = makeDtype([
    { name: "time", typestr: "<i8" },
    { name: "endtime", typestr: "<i8" },
    { name: "m", typestr: "<f4", shape: [2, 2] },
  ]);
  function rows(n: number): Uint8Array {
    const out = new Uint8Array(n * dtype.itemsize);
    const view = new DataView(out.buffer);
    for (let r = 0; r < n; r++) {
      view.setBigInt64(r * dtype.itemsize, BigInt(r * 10), true);
      view.setBigInt64(r * dtype.itemsize + 8, BigInt(r * 10 + 5), true);
      for (let k = 0; k < 4; k++) view.setFloat32(r * dtype.itemsize + 16 + 4 * k, r * 10 + k, true);
    }
    return out;
  }
  const nested = (v: Vector) => v.toArray().map((row: Vector) => row.toArray().map((inner: Vector) => [...inner.toArray()]));

  it("is a nested FixedSizeList in Arrow and keeps its shape in the metadata written back", async () => {
    const batch = rowsToRecordBatch(dtype, rows(2), 2);
    const type = batch.schema.fields[2]!.type as FixedSizeList;
    expect(type.typeId).toBe(Type.FixedSizeList);
    expect(type.listSize).toBe(2);
    expect((type.children[0]!.type as FixedSizeList).listSize).toBe(2);
    expect(nested(batch.getChild("m")!)).toEqual([
      [
        [0, 1],
        [2, 3],
      ],
      [
        [10, 11],
        [12, 13],
      ],
    ]);
    expect(arrowSchemaToDtype(batch.schema).fields[2]!.shape).toEqual([2, 2]);
    // Stored and loaded back: same dtype string ((2, 2)), same nested values.
    const path = await tempDir();
    cleanup.push(path);
    const dir = new DataDirectory(path);
    const meta = await putArrow(dir, "1", "mats", new Table(batch));
    expect(meta.dtype).toBe(formatDtype(dtype));
    expect(meta.dtype).toContain("(2, 2)");
    const back = await loadTable(dir, "1", "mats");
    expect(nested(back.getChild("m")!)).toEqual(nested(batch.getChild("m")!));
  });

  it("an Arrow table with nested lists and no numpy metadata is stored as shape (2, 2)", async () => {
    const batch = rowsToRecordBatch(dtype, rows(3), 3);
    // Drop all field metadata, as a table made elsewhere would have none.
    const bare = new Schema(batch.schema.fields.map((f) => new Field(f.name, f.type, f.nullable)));
    const table = new Table(new RecordBatch(bare, batch.data));
    expect(arrowSchemaToDtype(table.schema).fields[2]!.shape).toEqual([2, 2]);
    const path = await tempDir();
    cleanup.push(path);
    const dir = new DataDirectory(path);
    const meta = await putArrow(dir, "1", "mats", new Table(new RecordBatch(bare, batch.data)));
    expect(meta.dtype).toBe(formatDtype(dtype));
    // A flat list with numpy_shape metadata (tables written by earlier daqkit versions) still folds.
    const flat = new Schema([
      new Field("time", new Int64(), false),
      new Field("endtime", new Int64(), false),
      new Field("m", new FixedSizeList(4, new Field("item", new Float32(), false)), false, new Map([["numpy_shape", "(2, 2)"]])),
    ]);
    expect(arrowSchemaToDtype(flat).fields[2]!.shape).toEqual([2, 2]);
  });
});
