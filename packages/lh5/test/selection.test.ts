import type { Dataset, Metadata } from "h5wasm/node";
import { describe, expect, test } from "vitest";
import { type H5RawModule, readDatasetRanges } from "../src/dataset-read.js";
import { normalizeRows } from "../src/selection.js";

/** A fake 1-D float64 dataset of `n` rows (value = row index) that records every hyperslab read. */
function fake(n: number, width = 1) {
  const heap = new Uint8Array(80 << 20);
  let next = 8;
  const reads: [number, number][] = [];
  const module: H5RawModule = {
    HEAPU8: heap,
    _malloc: (bytes) => {
      const p = next;
      next += bytes + 8;
      return p;
    },
    _free: () => {
      next = 8;
    },
    get_dataset_data: (_id, _path, count, offset, _strides, ptr) => {
      const a = Number(offset[0]);
      const c = Number(count[0]);
      reads.push([a, a + c]);
      const view = new Float64Array(heap.buffer, Number(ptr), c * width);
      for (let i = 0; i < c * width; i++) view[i] = (a + Math.floor(i / width)) * 10 + (i % width);
      return 0;
    },
  };
  const meta = {
    type: 1,
    size: 8,
    signed: false,
    littleEndian: true,
    shape: width > 1 ? [n, width] : [n],
    maxshape: null,
    chunks: null,
    vlen: false,
    total_size: n,
  } as unknown as Metadata;
  const ds = { file_id: 1n, path: "/x" } as unknown as Dataset;
  return { module, meta, ds, reads };
}

describe("row selections", () => {
  test("normalizeRows merges consecutive indices and keeps order/duplicates", () => {
    const r = normalizeRows([5, 6, 7, 2, 2, 9], 10, {});
    expect(Array.from(r.starts)).toEqual([5, 2, 2, 9]);
    expect(Array.from(r.stops)).toEqual([8, 3, 3, 10]);
    expect(normalizeRows({ start: 3 }, 10, {})).toEqual({ starts: Float64Array.of(3), stops: Float64Array.of(10) });
  });

  test("a few rows of a big dataset: only covering spans are read, gathered in request order", () => {
    const { module, meta, ds, reads } = fake(10_000_000);
    const rows = normalizeRows([9_000_000, 5, 3, 3, 9_000_001, 4_000_000], 10_000_000, {});
    const out = readDatasetRanges(ds, meta, rows, "x", module) as Float64Array;
    expect(Array.from(out)).toEqual([90_000_000, 50, 30, 30, 90_000_010, 40_000_000]);
    const rowsRead = reads.reduce((s, [a, b]) => s + b - a, 0);
    expect(rowsRead).toBeLessThan(100);
    expect(reads).toEqual([
      [3, 6],
      [4_000_000, 4_000_001],
      [9_000_000, 9_000_002],
    ]);
  });

  test("a big range is read in bounded windows, 2-D rows keep their width", () => {
    const { module, meta, ds, reads } = fake(20_000_000);
    const out = readDatasetRanges(ds, meta, normalizeRows({ start: 1, stop: 20_000_000 }, 20_000_000, {}), "x", module) as Float64Array;
    expect(out.length).toBe(19_999_999);
    expect(out[0]).toBe(10);
    expect(out[19_999_998]).toBe(199_999_990);
    expect(reads.length).toBeGreaterThan(1);
    for (const [a, b] of reads) expect((b - a) * 8).toBeLessThanOrEqual(64 * 1024 * 1024);
    const two = fake(100, 3);
    const o2 = readDatasetRanges(two.ds, two.meta, normalizeRows([7, 1], 100, {}), "x", two.module) as Float64Array;
    expect(Array.from(o2)).toEqual([70, 71, 72, 10, 11, 12]);
  });
});
