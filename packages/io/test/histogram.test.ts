import { describe, expect, it } from "vitest";
import { BatchKeeper, HistogramAccumulator, histogramOf, histogramOfBatches, RangeAccumulator } from "../src/index.js";

describe("HistogramAccumulator", () => {
  it("bins like numpy: half-open bins, the last includes high; under/overflow and NaN counted", () => {
    const h = new HistogramAccumulator({ bins: 4, low: 0, high: 4 });
    h.add(new Float64Array([0, 0.5, 1, 3.999, 4, -0.1, 4.1, Number.NaN, 2]));
    const r = h.result();
    expect(Array.from(r.counts)).toEqual([2, 1, 1, 2]);
    expect([r.underflow, r.overflow, r.nan, r.entries]).toEqual([1, 1, 1, 9]);
    expect(Array.from(r.edges)).toEqual([0, 1, 2, 3, 4]);
  });

  it("accepts BigInt64Array, plain arrays, weights and full-resolution integer counts", () => {
    const h = new HistogramAccumulator({ bins: 2, low: 0, high: 10 });
    h.add(new BigInt64Array([1n, 7n, 12n]));
    h.add([3, 9]);
    h.addValue(6, 2.5);
    h.addIntegerCounts(4, [1, 0, 3]); // one 4, three 6s
    const r = h.result();
    expect(Array.from(r.counts)).toEqual([3, 2 + 2.5 + 3]);
    expect(r.overflow).toBe(1);
    expect(r.entries).toBe(3 + 2 + 1 + 4);
  });

  it("refuses bad bins and ranges with IO_BAD_ARGUMENT", () => {
    for (const o of [
      { bins: 0, low: 0, high: 1 },
      { bins: 1.5, low: 0, high: 1 },
      { bins: 4, low: 1, high: 1 },
      { bins: 4, low: 0, high: Number.POSITIVE_INFINITY },
      { bins: 4, low: Number.NaN, high: 1 },
    ]) {
      expect(() => new HistogramAccumulator(o)).toThrow(expect.objectContaining({ code: "IO_BAD_ARGUMENT" }));
    }
  });
});

describe("automatic range", () => {
  it("RangeAccumulator ignores NaN/∞ and widens a single value", () => {
    const r = new RangeAccumulator();
    expect(r.range()).toEqual({ low: 0, high: 1 });
    r.add([5, Number.NaN, Number.POSITIVE_INFINITY, 5]);
    expect(r.range()).toEqual({ low: 4.5, high: 5.5 });
    r.add(new BigInt64Array([-3n]));
    expect(r.range()).toEqual({ low: -3, high: 5 });
  });

  it("histogramOf and histogramOfBatches (two passes without a range) agree", async () => {
    const values = Float64Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 10);
    const one = histogramOf(values, { bins: 20 });
    const batches = function* () {
      for (let i = 0; i < values.length; i += 64) yield values.subarray(i, i + 64);
    };
    const two = await histogramOfBatches(batches, { bins: 20, keepBytes: 0 });
    expect(Array.from(two.counts)).toEqual(Array.from(one.counts));
    // the first pass's values kept in memory (8000 bytes fit): the stream is read once, same result;
    // over the budget (8000 > 4000 bytes) it is read twice, same result
    for (const [keepBytes, passes] of [
      [undefined, 1],
      [4000, 2],
      [0, 2],
    ] as const) {
      let calls = 0;
      const counted = function* () {
        calls++;
        yield* batches();
      };
      const h = await histogramOfBatches(counted, { bins: 20, ...(keepBytes === undefined ? {} : { keepBytes }) });
      expect(calls).toBe(passes);
      expect(h).toEqual(two);
    }
    expect(one.entries).toBe(1000);
    expect(one.underflow + one.overflow).toBe(0);
    const fixed = await histogramOfBatches(batches, { bins: 2, range: [0, 20] });
    expect(fixed.underflow).toBe(values.filter((v) => v < 0).length);
  });
});

describe("BatchKeeper", () => {
  it("keeps batches while they fit, copying views of a larger buffer, and drops all past the budget", () => {
    const big = new Float64Array([1, 2, 3, 4]);
    const k = new BatchKeeper(48);
    const whole = new Float64Array([9, 9]);
    k.add(big.subarray(1, 3));
    k.add(whole);
    k.add([5, 6]);
    big[1] = -1;
    expect(k.bytes).toBe(48);
    expect(k.batches!.map((b) => Array.from(b as ArrayLike<number>))).toEqual([
      [2, 3],
      [9, 9],
      [5, 6],
    ]);
    // an own buffer is kept as given
    expect(k.batches![1]).toBe(whole);
    k.add(new Float64Array(1));
    expect(k.batches).toBeNull();
    expect(k.bytes).toBe(0);
    expect(new BatchKeeper(0).batches).toBeNull();
  });
});

describe("histogramArrowColumn", () => {
  it("bins a numeric column over batches (nulls apart, struct fields by a/b), two passes without a range", async () => {
    const { tableFromArrays, makeVector, vectorFromArray, Int32, Table } = await import("apache-arrow");
    const { histogramArrowColumn } = await import("../src/index.js");
    const t1 = tableFromArrays({ e: Float64Array.from([1, 2, 3]), n: BigInt64Array.from([5n, 6n, 7n]) });
    const t2 = tableFromArrays({ e: Float64Array.from([4, 5]), n: BigInt64Array.from([8n, 9n]) });
    const h = await histogramArrowColumn(() => [t1, t2], "e", { bins: 4 });
    expect(Array.from(h.counts)).toEqual([1, 1, 1, 2]);
    expect([h.low, h.high, h.entries, h.nulls]).toEqual([1, 5, 5, 0]);
    const n = await histogramArrowColumn(() => [t1, t2], "n", { bins: 2, range: [5, 9] });
    expect(Array.from(n.counts)).toEqual([2, 3]);
    const withNulls = new Table({ v: vectorFromArray([1, null, 3, null], new Int32()) });
    const hn = await histogramArrowColumn(() => [withNulls], "v", { bins: 2 });
    expect([hn.nulls, hn.entries]).toEqual([2, 2]);
    expect(makeVector(Int32Array.from([1])).length).toBe(1);
  });

  it("a missing or non-numeric column is a coded error naming the file", async () => {
    const { tableFromArrays } = await import("apache-arrow");
    const { histogramArrowColumn } = await import("../src/index.js");
    const t = tableFromArrays({ e: Float64Array.from([1]), s: ["a"] });
    await expect(histogramArrowColumn(() => [t], "x", { name: "out.arrow" })).rejects.toMatchObject({
      code: "IO_BAD_ARGUMENT",
      message: expect.stringContaining("out.arrow"),
    });
    await expect(histogramArrowColumn(() => [t], "s", { name: "out.arrow" })).rejects.toMatchObject({ code: "IO_UNSUPPORTED_TYPE" });
  });
});
