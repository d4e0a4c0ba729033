// The direct read path (raw bytes from the file straight into typed arrays, see src/direct-read.ts)
// against h5py and against the h5wasm path (`direct: false`), on every storage layout HDF5 writes
// for numbers, and on the shared test files.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Lgdo, type LgdoArray, createArray, createTable, openLh5, writeLh5 } from "../src/node.js";
import { HAVE_H5PY, TESTDATA, runPython, tempDir } from "./helpers.js";

/** Every layout, written by h5py; each dataset's values also dumped little-endian to `<name>.bin`. */
const GENERATE = `
import sys, os, json, h5py, numpy as np
out = sys.argv[1]
rng = np.random.default_rng(7)
cases = {}
def put(f, name, data, expect_direct, **kw):
    d = f.create_dataset(name, data=data, **kw)
    d.attrs["datatype"] = "array<1>{real}" if data.ndim == 1 else "array_of_equalsized_arrays<1,%d>{real}" % (data.ndim - 1)
    return d
def dump(path, name, expect_direct):
    with h5py.File(path, "r") as f:
        a = f[name][...]
    a.astype(a.dtype.newbyteorder("<")).tofile(os.path.join(out, name.replace("/", "_") + ".bin"))
    cases[name] = {"file": os.path.basename(path), "dtype": a.dtype.newbyteorder("<").str, "shape": list(a.shape), "direct": expect_direct}

# libver earliest: layout v3, version-1 B-tree chunk index
old = os.path.join(out, "v3.h5")
with h5py.File(old, "w", libver="earliest") as f:
    put(f, "contig_f8", rng.normal(size=5000), True)
    put(f, "contig_i4_2d", rng.integers(-9, 9, size=(700, 3), dtype="<i4"), True)
    put(f, "compact_u2", np.arange(10, dtype="<u2"), True)
    put(f, "btree_f4", rng.normal(size=3001).astype("<f4"), True, chunks=(128,), maxshape=(None,))
    put(f, "btree_gzip_i8", rng.integers(-10**12, 10**12, size=2500, dtype="<i8"), True, chunks=(100,), maxshape=(None,), compression="gzip")
    put(f, "btree_gzip_shuffle_f8", rng.normal(size=2500), True, chunks=(300,), compression="gzip", shuffle=True)
    put(f, "btree_shuffle_u4", rng.integers(0, 2**32, size=999, dtype="<u4"), True, chunks=(50,), shuffle=True)
    put(f, "btree_deep_u1", rng.integers(0, 255, size=20000, dtype="<u1"), True, chunks=(7,))
    put(f, "btree_2d_i2", rng.integers(-300, 300, size=(400, 5), dtype="<i2"), True, chunks=(64, 5), compression="gzip")
    put(f, "split_rows_f8", rng.normal(size=(200, 6)), False, chunks=(50, 3))
    put(f, "bigendian_f8", rng.normal(size=1000).astype(">f8"), False, chunks=(100,))
    put(f, "lzf_i4", np.arange(3000, dtype="<i4") * 7, False, chunks=(256,), compression="lzf")
    put(f, "fletcher_f4", rng.normal(size=500).astype("<f4"), False, chunks=(100,), fletcher32=True)
    # fill value: chunks 3-6 never written
    d = f.create_dataset("fill_partial_f8", shape=(1000,), chunks=(100,), dtype="<f8", fillvalue=-7.5)
    d[0:300] = rng.normal(size=300); d[700:1000] = rng.normal(size=300)
    d.attrs["datatype"] = "array<1>{real}"
    # a partially written edge chunk
    d = f.create_dataset("edge_partial_i4", shape=(1050,), chunks=(100,), maxshape=(None,), dtype="<i4", fillvalue=3)
    d[0:1040] = np.arange(1040)
    d.attrs["datatype"] = "array<1>{real}"
    # compact storage
    space = h5py.h5s.create_simple((6,))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE); dcpl.set_layout(h5py.h5d.COMPACT)
    h5py.h5d.create(f.id, b"compact_i8", h5py.h5t.STD_I64LE, space, dcpl=dcpl)
    f["compact_i8"][...] = np.array([5, -4, 3, -2, 1, 0], dtype="<i8")
    f["compact_i8"].attrs["datatype"] = "array<1>{real}"
for n in ["contig_f8", "contig_i4_2d", "compact_u2", "btree_f4", "btree_gzip_i8", "btree_gzip_shuffle_f8", "btree_shuffle_u4",
          "btree_deep_u1", "btree_2d_i2", "split_rows_f8", "bigendian_f8", "lzf_i4", "fletcher_f4", "fill_partial_f8", "edge_partial_i4", "compact_i8"]:
    dump(old, n, n not in ("split_rows_f8", "bigendian_f8", "lzf_i4", "fletcher_f4", "fill_partial_f8"))

# libver v110: layout v4 — single chunk, implicit, fixed array (paged too), extensible array (super blocks, paged data blocks)
new = os.path.join(out, "v4.h5")
with h5py.File(new, "w", libver=("v110", "v110")) as f:
    put(f, "single_f8", rng.normal(size=640), True, chunks=(640,))
    put(f, "single_gzip_i4", rng.integers(0, 99, size=512, dtype="<i4"), True, chunks=(512,), compression="gzip")
    put(f, "fixed_f4", rng.normal(size=2000).astype("<f4"), True, chunks=(300,))
    put(f, "fixed_gzip_f8", rng.normal(size=2000), True, chunks=(300,), compression="gzip", shuffle=True)
    put(f, "fixed_paged_i2", rng.integers(-99, 99, size=3000, dtype="<i2"), True, chunks=(2,))
    put(f, "fixed_paged_gzip_u4", rng.integers(0, 9, size=2600, dtype="<u4"), True, chunks=(2,), compression="gzip")
    put(f, "earray_f8", rng.normal(size=10000), True, chunks=(64,), maxshape=(None,))
    put(f, "earray_gzip_i8", rng.integers(-5, 5, size=9000, dtype="<i8"), True, chunks=(16,), maxshape=(None,), compression="gzip")
    put(f, "earray_sblk_u1", rng.integers(0, 255, size=140000, dtype="<u1"), True, chunks=(1,), maxshape=(None,))
    put(f, "earray_2d_f4", rng.normal(size=(300, 4)).astype("<f4"), True, chunks=(32, 4), maxshape=(None, 4), compression="gzip")
    put(f, "btree2_i4", np.arange(400, dtype="<i4").reshape(100, 4), False, chunks=(10, 4), maxshape=(None, None))
    d = f.create_dataset("earray_fill_f4", shape=(500,), chunks=(50,), maxshape=(None,), dtype="<f4", fillvalue=2.5)
    d[100:200] = 1.0
    d.attrs["datatype"] = "array<1>{real}"
    # implicit index: fixed size, early allocation, no filter
    space = h5py.h5s.create_simple((1000,))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE); dcpl.set_chunk((128,)); dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
    h5py.h5d.create(f.id, b"implicit_i4", h5py.h5t.STD_I32LE, space, dcpl=dcpl)
    f["implicit_i4"][...] = np.arange(1000, dtype="<i4") * -3
    f["implicit_i4"].attrs["datatype"] = "array<1>{real}"
for n in ["single_f8", "single_gzip_i4", "fixed_f4", "fixed_gzip_f8", "fixed_paged_i2", "fixed_paged_gzip_u4", "earray_f8", "earray_gzip_i8",
          "earray_sblk_u1", "earray_2d_f4", "btree2_i4", "earray_fill_f4", "implicit_i4"]:
    dump(new, n, n not in ("btree2_i4", "earray_fill_f4"))
json.dump(cases, open(os.path.join(out, "cases.json"), "w"))
`;

type Case = { file: string; dtype: string; shape: number[]; direct: boolean };

function expected(dir: string, name: string, dtype: string): ArrayLike<number | bigint> {
  const buf = readFileSync(join(dir, `${name}.bin`));
  const bytes = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const ctor = {
    "<f8": Float64Array,
    "<f4": Float32Array,
    "<i8": BigInt64Array,
    "<u8": BigUint64Array,
    "<i4": Int32Array,
    "<u4": Uint32Array,
    "<i2": Int16Array,
    "<u2": Uint16Array,
    "|u1": Uint8Array,
    "|i1": Int8Array,
  }[dtype];
  if (!ctor) throw new Error(`dtype ${dtype}`);
  return new ctor(bytes.buffer) as ArrayLike<number | bigint>;
}

/** Row selections tried on every dataset: all, a slice across chunk edges, scattered rows, nothing. */
function selections(n: number): { label: string; rows?: { start: number; stop: number } | number[] }[] {
  const scattered: number[] = [];
  for (let i = n - 1; i >= 0; i -= Math.max(1, Math.floor(n / 37))) scattered.push(i);
  if (n > 0) scattered.push(0, 0, Math.floor(n / 2));
  return [
    { label: "all" },
    { label: "slice", rows: { start: Math.floor(n / 3), stop: Math.floor((2 * n) / 3) + 1 } },
    { label: "scattered", rows: scattered },
    { label: "consecutive runs", rows: Array.from({ length: Math.min(n, 600) }, (_, i) => (i % 3 === 2 ? n - 1 - i : i)) },
    { label: "empty", rows: { start: 0, stop: 0 } },
  ];
}

function pick(all: ArrayLike<number | bigint>, rowWidth: number, rows?: { start: number; stop: number } | number[]): (number | bigint)[] {
  const n = all.length / rowWidth;
  const idx =
    rows === undefined
      ? Array.from({ length: n }, (_, i) => i)
      : Array.isArray(rows)
        ? rows
        : Array.from({ length: rows.stop - rows.start }, (_, i) => rows.start + i);
  const out: (number | bigint)[] = [];
  for (const r of idx) for (let j = 0; j < rowWidth; j++) out.push(all[r * rowWidth + j] as number | bigint);
  return out;
}

describe.skipIf(!HAVE_H5PY)("direct reads of every layout h5py writes", () => {
  const tmp = tempDir();
  let cases: Record<string, Case> = {};
  beforeAll(() => {
    runPython(GENERATE, [tmp.dir]);
    cases = JSON.parse(readFileSync(join(tmp.dir, "cases.json"), "utf8"));
  }, 120_000);
  afterAll(() => tmp.cleanup());

  test("the generator covered every layout", () => {
    expect(Object.keys(cases).length).toBe(29);
  });

  for (const file of ["v3.h5", "v4.h5"]) {
    test(`${file}: equal to h5py and to the h5wasm path, direct where handled`, async () => {
      const direct = await openLh5(join(tmp.dir, file));
      const viaH5wasm = await openLh5(join(tmp.dir, file), { direct: false });
      try {
        for (const [name, c] of Object.entries(cases)) {
          if (c.file !== file) continue;
          const all = expected(tmp.dir, name, c.dtype);
          const rowWidth = c.shape.slice(1).reduce((a, b) => a * b, 1);
          for (const sel of selections(c.shape[0] as number)) {
            const before = direct.directReads;
            const options = sel.rows === undefined ? {} : { rows: sel.rows };
            const a = direct.readObject(name, options) as LgdoArray;
            const b = viaH5wasm.readObject(name, options) as LgdoArray;
            const want = pick(all, rowWidth, sel.rows);
            const label = `${file}:${name} ${sel.label}`;
            expect(Array.from(a.data as ArrayLike<number>), label).toEqual(want);
            expect(a.data.constructor, label).toBe(b.data.constructor);
            expect(a, label).toEqual(b);
            if (want.length > 0) expect(direct.directReads - before, `${label}: read directly`).toBe(c.direct ? 1 : 0);
          }
        }
        expect(viaH5wasm.directReads).toBe(0);
      } finally {
        direct.close();
        viaH5wasm.close();
      }
    }, 120_000);
  }

  test("files opened from bytes read directly too (deflate through Node's zlib)", async () => {
    const bytes = new Uint8Array(readFileSync(join(tmp.dir, "v4.h5")));
    const f = await openLh5(bytes);
    try {
      const all = expected(tmp.dir, "earray_gzip_i8", "<i8");
      expect(Array.from((f.readObject("earray_gzip_i8") as LgdoArray).data as BigInt64Array)).toEqual(Array.from(all));
      expect(f.directReads).toBe(1);
    } finally {
      f.close();
    }
  });
});

describe("direct reads of our own files", () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  test("tables written gzip and uncompressed, appended, read back equal to the h5wasm path", async () => {
    const path = join(tmp.dir, "own.lh5");
    const n = 20_000;
    const e = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 1000);
    const ch = Uint32Array.from({ length: n }, (_, i) => i % 7);
    const id = BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 3n - 5n);
    for (const compression of ["gzip", "none"] as const) {
      const table = createTable({ e: createArray(e), ch: createArray(ch), id: createArray(id) });
      await writeLh5(path, `t_${compression}`, table, { mode: "a", compression, chunkRows: 1024 });
      // an append makes the extensible array grow past its index block (40 chunks: data blocks)
      await writeLh5(path, `t_${compression}`, table, { mode: "append", compression, chunkRows: 1024 });
    }
    const direct = await openLh5(path);
    const viaH5wasm = await openLh5(path, { direct: false });
    try {
      for (const t of ["t_gzip", "t_none"]) {
        for (const rows of [undefined, { start: 4000, stop: 30_000 }, [39_999, 5, 5, 20_000, 19_999]]) {
          const options = rows === undefined ? {} : { rows };
          const a = direct.readTable(t, options);
          expect(a).toEqual(viaH5wasm.readTable(t, options));
        }
        const full = direct.readTable(t);
        expect(full.nRows).toBe(2 * n);
        const got = (full.columns.get("id") as LgdoArray).data as BigInt64Array;
        expect(got[n + 10]).toBe(id[10]);
      }
      expect(direct.directReads).toBe(2 * 4 * 3); // two tables × (3 selections + the full read) × three columns
    } finally {
      direct.close();
      viaH5wasm.close();
    }
  }, 180_000);

  test("a read of one whole deflated chunk keeps zlib's buffer: equal values, its own transferable buffer, not reused", async () => {
    const path = join(tmp.dir, "one-chunk.lh5");
    const n = 5000;
    const f32 = Float32Array.from({ length: n }, (_, i) => Math.cos(i) * 77);
    const f64 = Float64Array.from({ length: n }, (_, i) => 1.679e9 + i * 0.013);
    const i64 = BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * -11n);
    await writeLh5(path, "one", createTable({ a: createArray(f32), b: createArray(f64), c: createArray(i64) }), {
      mode: "w",
      chunkRows: n,
    });
    await writeLh5(path, "many", createTable({ a: createArray(f32) }), { mode: "a", chunkRows: 1000 });
    const direct = await openLh5(path);
    const viaH5wasm = await openLh5(path, { direct: false });
    try {
      const first = direct.readTable("one");
      expect(first).toEqual(viaH5wasm.readTable("one"));
      const second = direct.readTable("one", { rows: { start: 0, stop: n } });
      expect(second).toEqual(first);
      for (const [name, want] of [
        ["a", f32],
        ["b", f64],
        ["c", i64],
      ] as const) {
        const data = (first.columns.get(name) as LgdoArray).data as Float32Array | Float64Array | BigInt64Array;
        expect(data).toEqual(want);
        // a buffer of its own, the column and at most one byte more (zlib's single output buffer; a
        // worker can transfer it), not shared with the next read
        expect(data.byteOffset).toBe(0);
        expect(data.buffer.byteLength - data.byteLength).toBe(1);
        expect(data.buffer).not.toBe(((second.columns.get(name) as LgdoArray).data as Float32Array).buffer);
      }
      // one whole chunk of a table of several chunks, a part of a chunk, and a chunk with the next row
      for (const rows of [
        { start: 2000, stop: 3000 },
        { start: 2000, stop: 2999 },
        { start: 1999, stop: 3000 },
        { start: 4000, stop: 5000 },
      ]) {
        const got = direct.readTable("many", { rows });
        expect(got).toEqual(viaH5wasm.readTable("many", { rows }));
        expect((got.columns.get("a") as LgdoArray).data).toEqual(f32.slice(rows.start, rows.stop));
      }
      const moved = structuredClone(first.columns.get("b") as LgdoArray, {
        transfer: [((first.columns.get("b") as LgdoArray).data as Float64Array).buffer as ArrayBuffer],
      });
      expect(moved.data).toEqual(f64);
    } finally {
      direct.close();
      viaH5wasm.close();
    }
  }, 180_000);
});

/** Attribute names of an object and its members, in order. */
function attrOrder(o: Lgdo | undefined): string[] {
  if (!o) return [];
  const out = Object.keys(o.attrs);
  if (o.type === "Table" || o.type === "WaveformTable") for (const [k, c] of o.columns) out.push(`${k}:`, ...attrOrder(c));
  if (o.type === "Struct") for (const [k, c] of o.fields) out.push(`${k}:`, ...attrOrder(c));
  if (o.type === "VectorOfVectors") out.push("flattened:", ...attrOrder(o.flattened));
  return out;
}

/** Every `.lh5` file under the shared test data (the truncated ones fail to open, and are skipped). */
function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== "l200-truncated") out.push(...testFiles(p)); // damaged samples: covered by the error tests
    } else if (name.endsWith(".lh5")) out.push(p);
  }
  return out.sort();
}

describe("direct reads of the shared test files equal the h5wasm path", () => {
  test("every object of every readable test file", async () => {
    let directTotal = 0;
    let objects = 0;
    for (const path of testFiles(TESTDATA)) {
      let direct: Awaited<ReturnType<typeof openLh5>>;
      try {
        direct = await openLh5(path);
      } catch {
        continue; // truncated / damaged samples: covered by the error tests
      }
      const viaH5wasm = await openLh5(path, { direct: false });
      try {
        // At most 40 objects per file keeps the walk within minutes on a loaded machine.
        const infos = direct.listObjects("", { recursive: true }).filter((i) => i.type !== null && i.type !== "Scalar");
        for (const info of infos.slice(0, 40)) {
          let a: Lgdo | undefined;
          let b: Lgdo | undefined;
          let errA: unknown;
          let errB: unknown;
          try {
            a = direct.readObject(info.path);
          } catch (e) {
            errA = e;
          }
          try {
            b = viaH5wasm.readObject(info.path);
          } catch (e) {
            errB = e;
          }
          expect((errA as { code?: string } | undefined)?.code, `${path}:${info.path}`).toBe((errB as { code?: string } | undefined)?.code);
          expect(a, `${path}:${info.path}`).toEqual(b);
          // attributes read from the object header: also in h5wasm's order
          expect(attrOrder(a), `${path}:${info.path}`).toEqual(attrOrder(b));
          objects++;
        }
        directTotal += direct.directReads;
      } finally {
        direct.close();
        viaH5wasm.close();
      }
    }
    expect(objects).toBeGreaterThan(100);
    expect(directTotal).toBeGreaterThan(100);
  }, 900_000);
});
