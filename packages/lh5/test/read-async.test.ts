/**
 * `Lh5File.readObjectAsync`: the windowed read (numeric arrays, one row range) gives exactly what
 * `readObject` gives, yields to the event loop between windows, and falls back to `readObject` for
 * everything else; bad windows and aborts are reported.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Lgdo, type LgdoArray, createArray, createArrayOfEqualSizedArrays, createTable, openLh5, writeLh5 } from "../src/node.js";
import { HAVE_H5PY, RAW_CAL, runPython, tempDir } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "lh5-read-async-"));
const FILE = join(tmp, "arrays.lh5");
const N = 10_007;
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

beforeAll(async () => {
  const f64 = Float64Array.from({ length: N }, (_, i) => i * 0.25 - 17);
  const u16 = Uint16Array.from({ length: N }, (_, i) => (i * 7919) & 0xffff);
  const i64 = BigInt64Array.from({ length: N }, (_, i) => BigInt(i) * 1_000_000_007n - 5n);
  const wf = Int32Array.from({ length: N * 3 }, (_, i) => i - 4);
  await writeLh5(
    FILE,
    "t",
    createTable({ f64: createArray(f64), u16: createArray(u16), i64: createArray(i64), wf: createArrayOfEqualSizedArrays(wf, 3) }),
    { mode: "w", chunkRows: 1000 },
  );
});

function plain(o: Lgdo): unknown {
  return JSON.parse(JSON.stringify(o, (_k, v) => (typeof v === "bigint" ? `${v}n` : ArrayBuffer.isView(v) ? Array.from(v as never) : v)));
}

describe("readObjectAsync", () => {
  test("numeric arrays in small windows equal readObject (all rows and a row range), with event-loop turns between windows", async () => {
    const f = await openLh5(FILE);
    try {
      for (const c of ["f64", "u16", "i64", "wf"]) {
        for (const rows of [undefined, { start: 0, stop: N }, { start: 993, stop: 5011 }, { start: 17, stop: 17 }, { start: N - 1 }]) {
          const options = rows ? { rows } : {};
          const sync = f.readObject(`t/${c}`, options) as LgdoArray;
          // Event-loop iterations while the read runs (a check-phase callback per iteration; not a timer,
          // which a read faster than 1 ms would never see).
          let turns = 0;
          let counting = true;
          const tick = (): void => {
            if (!counting) return;
            turns++;
            setImmediate(tick);
          };
          setImmediate(tick);
          const windowed = (await f.readObjectAsync(`t/${c}`, { ...options, windowBytes: 1024 })) as LgdoArray;
          counting = false;
          expect(windowed.data.constructor, c).toBe(sync.data.constructor);
          expect(plain(windowed), `${c} ${JSON.stringify(rows)}`).toEqual(plain(sync));
          // The output is one buffer of its own (transferable without copying).
          const data = windowed.data as Float64Array;
          expect(data.byteOffset).toBe(0);
          expect(data.buffer.byteLength).toBe(data.byteLength);
          const rowsRead = windowed.shape[0] as number;
          const rowBytes = data.BYTES_PER_ELEMENT * (c === "wf" ? 3 : 1);
          if (rowsRead * rowBytes > 4 * 1024) expect(turns, `${c}: event loop turned between windows`).toBeGreaterThan(0);
        }
      }
    } finally {
      f.close();
    }
  });

  test("tables, index selections and other objects are read as readObject reads them", async () => {
    const f = await openLh5(FILE);
    try {
      expect(plain(await f.readObjectAsync("t", { windowBytes: 512 }))).toEqual(plain(f.readObject("t")));
      const pick = [5, 3, 9000, 4];
      expect(plain(await f.readObjectAsync("t/f64", { rows: pick, windowBytes: 512 }))).toEqual(
        plain(f.readObject("t/f64", { rows: pick })),
      );
    } finally {
      f.close();
    }
    const raw = await openLh5(RAW_CAL);
    try {
      const table = raw.listTables("")[0] as string;
      expect(plain(await raw.readObjectAsync(table, { windowBytes: 512 }))).toEqual(plain(raw.readObject(table)));
    } finally {
      raw.close();
    }
  });

  test("bad window, bad rows, a missing object and an abort are reported", async () => {
    const f = await openLh5(FILE);
    try {
      await expect(f.readObjectAsync("t/f64", { windowBytes: 0 })).rejects.toMatchObject({ code: "LH5_BAD_ROWS" });
      for (const rows of [{ start: -3 }, { start: 2.5 }, [N]]) {
        let code: string | undefined;
        try {
          f.readObject("t/f64", { rows });
        } catch (error) {
          code = (error as { code?: string }).code;
        }
        expect(code, JSON.stringify(rows)).toMatch(/^LH5_/);
        await expect(f.readObjectAsync("t/f64", { rows }), JSON.stringify(rows)).rejects.toMatchObject({ code });
      }
      await expect(f.readObjectAsync("t/nope")).rejects.toMatchObject({ code: "LH5_OBJECT_NOT_FOUND" });
      const ac = new AbortController();
      const pending = f.readObjectAsync("t/f64", { windowBytes: 64, signal: ac.signal });
      ac.abort(new Error("stop"));
      await expect(pending).rejects.toThrow("stop");
    } finally {
      f.close();
    }
  });
});

describe("readObjectAsync of a host path: parts read at once, chunks inflated on the thread pool", () => {
  const big = tempDir();
  const ROWS = 1_100_003; // 8.8 MB of float64: above the size read in concurrent parts
  const UNCOMPRESSED = join(big.dir, "none.lh5");
  const GZIP = join(big.dir, "gzip.lh5");
  const H5PY = join(big.dir, "h5py.h5");
  afterAll(() => big.cleanup());

  beforeAll(async () => {
    const f64 = Float64Array.from({ length: ROWS }, (_, i) => Math.sin(i) * 1e3 + i);
    const i64 = BigInt64Array.from({ length: ROWS }, (_, i) => BigInt(i) * 3n - 7n);
    const wf = Int16Array.from({ length: ROWS * 3 }, (_, i) => (i * 37) % 3001);
    const table = createTable({ f64: createArray(f64), i64: createArray(i64), wf: createArrayOfEqualSizedArrays(wf, 3) });
    await writeLh5(UNCOMPRESSED, "t", table, { mode: "w", chunkRows: 65536 });
    await writeLh5(GZIP, "t", table, { mode: "w", compression: "gzip", compressionLevel: 1, chunkRows: 40_000 });
    if (HAVE_H5PY) {
      // Layouts our writer does not make: contiguous, gzip + shuffle (v3 B-tree), v4 extensible array, unwritten chunks.
      runPython(
        `
import sys, h5py, numpy as np
rng = np.random.default_rng(3)
with h5py.File(sys.argv[1], "w", libver=("v110", "v110")) as f:
    def put(name, data, **kw):
        d = f.create_dataset(name, data=data, **kw); d.attrs["datatype"] = "array<1>{real}"
    put("contig_f8", rng.normal(size=700_001))
    put("gzip_shuffle_f8", rng.normal(size=650_000), chunks=(30_000,), compression="gzip", shuffle=True)
    put("earray_i4", rng.integers(-9, 9, size=1_300_000, dtype="<i4"), chunks=(70_000,), maxshape=(None,))
    d = f.create_dataset("fill_f8", shape=(600_000,), chunks=(50_000,), dtype="<f8", fillvalue=-7.5)
    d[0:100_000] = 1.5; d[400_000:] = 2.5; d.attrs["datatype"] = "array<1>{real}"
`,
        [H5PY],
      );
    }
  });

  const same = (a: Lgdo, b: Lgdo, what: string) => {
    const x = (a as LgdoArray).data as Float64Array;
    const y = (b as LgdoArray).data as Float64Array;
    expect(x.constructor, what).toBe(y.constructor);
    expect((a as LgdoArray).shape, what).toEqual((b as LgdoArray).shape);
    expect(Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength)), what).toBe(true);
    expect({ ...a, data: undefined }, what).toEqual({ ...b, data: undefined });
  };

  test("byte-identical to readObject and to the h5wasm path (all rows, row ranges), served directly", async () => {
    for (const file of [UNCOMPRESSED, GZIP]) {
      const f = await openLh5(file);
      const w = await openLh5(file, { direct: false });
      try {
        for (const c of ["f64", "i64", "wf"]) {
          for (const rows of [undefined, { start: 12_345, stop: 1_000_001 }, { start: 65_535, stop: 65_537 }]) {
            const options = rows ? { rows } : {};
            const what = `${file} ${c} ${JSON.stringify(rows)}`;
            const before = f.directReads;
            const got = await f.readObjectAsync(`t/${c}`, options);
            expect(f.directReads, `${what}: read directly`).toBe(before + 1);
            same(got, f.readObject(`t/${c}`, options), `${what} vs readObject`);
            same(got, w.readObject(`t/${c}`, options), `${what} vs h5wasm`);
            // direct: false keeps the h5wasm windows (the path of browsers' WORKERFS files).
            same(await w.readObjectAsync(`t/${c}`, { ...options, windowBytes: 1 << 20 }), got, `${what}: h5wasm windows`);
            const data = (got as LgdoArray).data as Float64Array;
            expect(data.byteOffset).toBe(0);
            expect(data.buffer.byteLength).toBe(data.byteLength);
          }
        }
      } finally {
        f.close();
        w.close();
      }
    }
  });

  test.skipIf(!HAVE_H5PY)(
    "h5py layouts (contiguous, gzip + shuffle, extensible array) equal the h5wasm path; unwritten chunks go through h5wasm",
    async () => {
      const f = await openLh5(H5PY);
      const w = await openLh5(H5PY, { direct: false });
      try {
        for (const name of ["contig_f8", "gzip_shuffle_f8", "earray_i4", "fill_f8"]) {
          for (const rows of [undefined, { start: 31_337, stop: 590_001 }]) {
            const what = `${name} ${JSON.stringify(rows)}`;
            const before = f.directReads;
            const got = await f.readObjectAsync(name, rows ? { rows } : {});
            // fill_f8's chunks 2-7 were never written (HDF5 supplies the fill value): not read directly.
            expect(f.directReads - before, what).toBe(name === "fill_f8" ? 0 : 1);
            same(got, w.readObject(name, rows ? { rows } : {}), what);
          }
        }
      } finally {
        f.close();
        w.close();
      }
    },
  );

  test("an abort or a close during the read rejects; the file's descriptor outlives no read", async () => {
    const f = await openLh5(GZIP);
    const ac = new AbortController();
    const aborted = f.readObjectAsync("t/f64", { signal: ac.signal });
    ac.abort(new Error("stop"));
    await expect(aborted).rejects.toThrow("stop");
    const closed = f.readObjectAsync("t/wf");
    f.close();
    await expect(closed).rejects.toThrow(/closed/);
    const g = await openLh5(UNCOMPRESSED);
    const pending = g.readObjectAsync("t/f64");
    g.close();
    await expect(pending).rejects.toThrow(/closed/);
  });
});
