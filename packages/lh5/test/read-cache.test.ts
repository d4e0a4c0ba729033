import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { type LgdoArray, createTable, openLh5, writeLh5 } from "../src/node.js";
import { HAVE_H5PY, P14_ZSTD, RAW_CAL, runPython, tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe("per-file metadata cache", () => {
  test("repeated reads of an open file give the same values, datatypes and attributes", async () => {
    const f = await openLh5(RAW_CAL);
    try {
      const table = f.listTables()[0] as string;
      const cols = f.tableColumns(table).slice(0, 3);
      const a = f.readTable(table, { columns: cols });
      const b = f.readTable(table, { columns: cols, rows: { start: 0, stop: 5 } });
      const c = f.readTable(table, { columns: cols });
      expect(c.datatype).toBe(a.datatype);
      expect(c.attrs).toEqual(a.attrs);
      for (const name of cols) {
        const ca = a.columns.get(name) as LgdoArray;
        const cc = c.columns.get(name) as LgdoArray;
        expect(cc.datatype).toBe(ca.datatype);
        expect(cc.attrs).toEqual(ca.attrs);
        if (ca.type === "Array") {
          expect(Array.from(cc.data as ArrayLike<number>)).toEqual(Array.from(ca.data as ArrayLike<number>));
          expect(Array.from((b.columns.get(name) as LgdoArray).data as ArrayLike<number>)).toEqual(
            Array.from(ca.data as ArrayLike<number>).slice(0, 5),
          );
        }
      }
      expect(f.describe(table).attrs).toEqual(a.attrs);
    } finally {
      f.close();
    }
    expect(() => f.readTable("anything")).toThrow(TypeError);
  });

  test("a file reopened after it was rewritten shows the new objects and datatypes", async () => {
    const file = join(tmp.dir, "rewrite.lh5");
    await writeLh5(file, "t", createTable({ a: new Float32Array([1, 2, 3]) }), { mode: "w" });
    const f1 = await openLh5(file);
    try {
      expect(f1.datatypeOf("t/a")).toBe("array<1>{real}");
      expect(f1.has("u")).toBe(false);
    } finally {
      f1.close();
    }
    await writeLh5(file, "t", createTable({ a: new Int32Array([4, 5]) }), { mode: "w" });
    await writeLh5(file, "u", createTable({ b: new Float64Array([7]) }), { mode: "a" });
    const f2 = await openLh5(file);
    try {
      const t = f2.readTable("t");
      expect(Array.from((t.columns.get("a") as LgdoArray).data as Int32Array)).toEqual([4, 5]);
      expect(f2.has("u")).toBe(true);
      expect(f2.tableColumns("u")).toEqual(["b"]);
    } finally {
      f2.close();
    }
  });

  test("a plugin filter is still checked before reading when plugins are off, even for an empty selection", async () => {
    const bare = await openLh5(P14_ZSTD, { plugins: false });
    try {
      expect(() => bare.readObject("ch1105600/raw/baseline", { rows: { start: 0, stop: 0 } })).toThrowError(
        expect.objectContaining({ code: "LH5_FILTER_UNAVAILABLE", filterId: 32015 }),
      );
    } finally {
      bare.close();
    }
    const f = await openLh5(P14_ZSTD);
    try {
      const empty = f.readObject("ch1105600/raw/baseline", { rows: { start: 0, stop: 0 } }) as LgdoArray;
      expect(empty.data.length).toBe(0);
      expect((f.readObject("ch1105600/raw/baseline", { rows: { start: 0, stop: 1 } }) as LgdoArray).data.length).toBe(1);
    } finally {
      f.close();
    }
  });
});

describe.skipIf(!HAVE_H5PY)("filters HDF5 skipped (h5py)", () => {
  test("an unavailable optional filter is refused before reading, with and without plugins", async () => {
    const file = join(tmp.dir, "optional-filter.lh5");
    runPython(
      `
import sys, h5py, numpy as np
from h5py import h5p, h5s, h5t, h5d, h5z
with h5py.File(sys.argv[1], "w") as f:
    dcpl = h5p.create(h5p.DATASET_CREATE)
    dcpl.set_chunk((4,))
    dcpl.set_filter(47999, h5z.FLAG_OPTIONAL, ())
    space = h5s.create_simple((8,), (h5s.UNLIMITED,))
    dsid = h5d.create(f.id, b"x", h5t.NATIVE_INT32, space, dcpl=dcpl)
    ds = h5py.Dataset(dsid)
    ds[...] = np.arange(8, dtype=np.int32)
    ds.attrs["datatype"] = "array<1>{real}"
`,
      [file],
    );
    const f = await openLh5(file);
    try {
      expect(() => f.readObject("x")).toThrowError(expect.objectContaining({ code: "LH5_FILTER_UNAVAILABLE", filterId: 47999 }));
      expect(f.countRows("x")).toBe(8); // metadata stays readable
    } finally {
      f.close();
    }
    const bare = await openLh5(file, { plugins: false });
    try {
      expect(() => bare.readObject("x")).toThrowError(expect.objectContaining({ code: "LH5_FILTER_UNAVAILABLE", filterId: 47999 }));
    } finally {
      bare.close();
    }
  });
});
