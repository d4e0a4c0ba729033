import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GEN2_WRAP_US, yearEpochUnixSeconds } from "@daqkit/timestamps";
import { Int32, makeVector, Table, tableFromArrays, vectorFromArray } from "apache-arrow";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BinSerializer, decodeGen2Arrays, type Gen2Header } from "../src/node.js";
import { tempDir } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let counter = 0;
beforeAll(() => {
  tmp = tempDir("gen2-ser-");
});
afterAll(() => tmp.cleanup());
const fresh = () => join(tmp.path, `out-${counter++}`);

// Boards 230..232 own x in [10k, 10k+9], y in [0, 19] (xy = x << 8 | y).
const BOARD2PIXEL: Record<number, number[]> = {};
for (let k = 0; k < 3; k++) {
  const pixels: number[] = [];
  for (let x = 10 * k; x < 10 * k + 10; x++) for (let y = 0; y < 20; y++) pixels.push((x << 8) | y);
  BOARD2PIXEL[230 + k] = pixels;
}
const ALL_PIXELS = Object.values(BOARD2PIXEL).flat();

interface Photons {
  xy: Uint16Array;
  timestamp: BigInt64Array;
  phase: Int32Array;
  baseline: Int32Array;
}

function table(p: Photons): Table {
  return tableFromArrays({ xy: p.xy, timestamp: p.timestamp, phase: p.phase, baseline: p.baseline });
}

/** Decode every file of `dir` in name order, chaining headers, and check the framing (spec §3). */
function decodeDir(dir: string): { photons: string[]; frames: Map<number, number[]> } {
  let header: Gen2Header | null = null;
  const photons: string[] = [];
  const frames = new Map<number, number[]>();
  const names = readdirSync(dir)
    .filter((n) => n.endsWith(".bin"))
    .sort((a, b) => Number(a.slice(0, -4)) - Number(b.slice(0, -4)));
  for (const name of names) {
    const bytes = readFileSync(join(dir, name));
    const r = decodeGen2Arrays(bytes, { header });
    header = r.lastHeader;
    expect(r.stats.orphanWords).toBe(0);
    const { xy, timestamp, phase, baseline } = r.photons;
    for (let i = 0; i < xy.length; i++) photons.push(`${xy[i]}/${timestamp[i]}/${phase[i]}/${baseline[i]}`);
    // Framing: header, 1..100 photons, padding iff < 100.
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let i = 0;
    while (i < bytes.length) {
      const hi = view.getUint32(i);
      expect(hi >>> 24).toBe(0xff);
      const board = (hi >>> 16) & 0xff;
      const list = frames.get(board) ?? [];
      list.push((hi >>> 4) & 0xfff);
      frames.set(board, list);
      i += 8;
      let n = 0;
      while (i < bytes.length && view.getUint8(i) !== 0xff && !(view.getUint32(i) === 0x7fffffff && view.getUint32(i + 4) === 0xffffffff)) {
        n++;
        i += 8;
      }
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThanOrEqual(100);
      if (n < 100) {
        expect(view.getUint32(i)).toBe(0x7fffffff);
        i += 8;
      }
    }
  }
  return { photons, frames };
}

function keys(p: Photons): string[] {
  const out: string[] = [];
  for (let i = 0; i < p.xy.length; i++)
    out.push(`${p.xy[i]}/${BigInt(p.timestamp[i]!) % BigInt(GEN2_WRAP_US)}/${p.phase[i]}/${p.baseline[i]}`);
  return out;
}

const photonsArb = (startArb: fc.Arbitrary<number>) =>
  fc
    .tuple(
      startArb,
      fc.array(
        fc.record({
          pixel: fc.integer({ min: 0, max: ALL_PIXELS.length - 1 }),
          dt: fc.oneof(fc.integer({ min: 0, max: 2_500_000 }), fc.integer({ min: 0, max: 600 })),
          phase: fc.integer({ min: -131072, max: 131071 }),
          baseline: fc.integer({ min: -65536, max: 65535 }),
        }),
        { minLength: 1, maxLength: 400 },
      ),
    )
    .map(
      ([start, rows]): Photons => ({
        xy: Uint16Array.from(rows, (r) => ALL_PIXELS[r.pixel]!),
        timestamp: BigInt64Array.from(rows, (r) => BigInt((start + r.dt) % GEN2_WRAP_US)),
        phase: Int32Array.from(rows, (r) => r.phase),
        baseline: Int32Array.from(rows, (r) => r.baseline),
      }),
    );

describe("BinSerializer round trip (fast-check)", () => {
  it("serialize → decode gives back the same photons, with hardware framing", async () => {
    const start = fc.oneof(
      fc.integer({ min: 0, max: 40_000_000_000_000 }).map((v) => v % GEN2_WRAP_US),
      fc.integer({ min: GEN2_WRAP_US - 3_000_000, max: GEN2_WRAP_US - 1 }), // crosses the wrap
    );
    await fc.assert(
      fc.asyncProperty(photonsArb(start), fc.integer({ min: -2_000_000, max: 2_000_000 }), async (p, skew) => {
        const dir = fresh();
        const s = new BinSerializer({ directory: dir, board2pixel: BOARD2PIXEL, year: 2021, skew });
        const written = await s.serialize(table(p));
        expect(written.every((f) => f.startsWith(dir))).toBe(true);
        const back = decodeDir(dir);
        expect(back.photons.sort()).toEqual(keys(p).sort());
        for (const list of back.frames.values())
          list.forEach((c, i) => {
            expect(c).toBe(i & 0xfff);
          });
      }),
      { numRuns: 40 },
    );
  });

  it("puts frames into one-second files named from year epoch + skew; a wrapped table rolls over by unwrapped time", async () => {
    const dir = fresh();
    const epoch = yearEpochUnixSeconds(2022);
    const s = new BinSerializer({ directory: dir, board2pixel: BOARD2PIXEL, year: 2022, skew: -1000 });
    const t0 = GEN2_WRAP_US - 1_500_000; // 1.5 s before the wrap
    const ts = [t0, t0 + 499_000, t0 + 1_000_500, t0 + 1_499_999, 10, 600_000];
    const p: Photons = {
      xy: Uint16Array.from(ts, () => ALL_PIXELS[0]!),
      timestamp: BigInt64Array.from(ts, (t) => BigInt(t)),
      phase: new Int32Array(ts.length),
      baseline: new Int32Array(ts.length),
    };
    const written = await s.serialize(p);
    const seconds = written.map((f) => Number(f.slice(dir.length + 1, -4)) - epoch);
    const unwrapped = [t0, t0 + 499_000, t0 + 1_000_500, t0 + 1_499_999, GEN2_WRAP_US + 10, GEN2_WRAP_US + 600_000];
    expect(seconds).toEqual([...new Set(unwrapped.map((t) => Math.trunc((t - 1000) / 1e6)))]);
    expect(decodeDir(dir).photons.sort()).toEqual(keys(p).sort());
  });

  it("splits a busy tick into full frames without padding, then a short frame with padding", async () => {
    const dir = fresh();
    const s = new BinSerializer({ directory: dir, board2pixel: BOARD2PIXEL, year: 2020, skew: 0 });
    const n = 250;
    const p: Photons = {
      xy: Uint16Array.from({ length: n }, (_, i) => ALL_PIXELS[i % 200]!),
      timestamp: BigInt64Array.from({ length: n }, (_, i) => 1_000_000_000n + BigInt(i % 500)),
      phase: new Int32Array(n),
      baseline: new Int32Array(n),
    };
    await s.serialize(p);
    const { photons, frames } = decodeDir(dir);
    expect(photons.length).toBe(n);
    expect(frames.get(230)!.length).toBe(3); // all 250 photons are board 230, one tick: 100 + 100 + 50
  });
});

describe("BinSerializer errors", () => {
  const one = (t: bigint, extra: Partial<Photons> = {}): Photons => ({
    xy: Uint16Array.of(ALL_PIXELS[0]!),
    timestamp: BigInt64Array.of(t),
    phase: Int32Array.of(0),
    baseline: Int32Array.of(0),
    ...extra,
  });
  const ser = () => new BinSerializer({ directory: fresh(), board2pixel: BOARD2PIXEL, year: 2020, skew: 0 });

  it("rejects schemas other than exactly xy, timestamp, phase, baseline (D6)", async () => {
    const p = one(5n);
    const withBar = new Table({
      xy: makeVector(p.xy),
      timestamp: makeVector(p.timestamp),
      phase: makeVector(p.phase),
      baseline: makeVector(p.baseline),
      bar: makeVector(BigInt64Array.of(1n)),
    });
    await expect(ser().serialize(withBar)).rejects.toMatchObject({ code: "GEN2_BAD_SCHEMA" });
    await expect(
      ser().serialize(tableFromArrays({ xy: Int32Array.of(1), timestamp: p.timestamp, phase: p.phase, baseline: p.baseline })),
    ).rejects.toMatchObject({ code: "GEN2_BAD_SCHEMA" });
    await expect(ser().serialize({ ...p, phase: Float64Array.of(0) } as unknown as Photons)).rejects.toMatchObject({
      code: "GEN2_BAD_SCHEMA",
    });
  });

  it("rejects empty tables, nulls, out-of-range values and unmapped pixels (D13)", async () => {
    await expect(
      ser().serialize(
        one(5n, { xy: new Uint16Array(0), timestamp: new BigInt64Array(0), phase: new Int32Array(0), baseline: new Int32Array(0) }),
      ),
    ).rejects.toMatchObject({ code: "GEN2_EMPTY_TABLE" });
    const nulls = new Table({
      xy: makeVector(Uint16Array.of(ALL_PIXELS[0]!, ALL_PIXELS[1]!)),
      timestamp: makeVector(BigInt64Array.of(1n, 2n)),
      phase: vectorFromArray([1, null], new Int32()),
      baseline: makeVector(Int32Array.of(0, 0)),
    });
    await expect(ser().serialize(nulls)).rejects.toMatchObject({ code: "GEN2_NULL_VALUE", row: 1 });
    await expect(ser().serialize(one(5n, { phase: Int32Array.of(131072) }))).rejects.toMatchObject({ code: "GEN2_VALUE_OUT_OF_RANGE" });
    await expect(ser().serialize(one(5n, { baseline: Int32Array.of(-65537) }))).rejects.toMatchObject({ code: "GEN2_VALUE_OUT_OF_RANGE" });
    await expect(ser().serialize(one(-5n))).rejects.toMatchObject({ code: "GEN2_VALUE_OUT_OF_RANGE" });
    await expect(ser().serialize(one(5n, { xy: Uint16Array.of(0xffff) }))).rejects.toMatchObject({ code: "GEN2_UNMAPPED_PIXEL" });
  });

  it("rejects a pixel on two boards, and bad boards or years", () => {
    expect(() => new BinSerializer({ directory: fresh(), board2pixel: { 1: [5, 6], 2: [6] }, year: 2020 })).toThrow(
      expect.objectContaining({ code: "GEN2_PIXEL_DUPLICATED" }),
    );
    expect(() => new BinSerializer({ directory: fresh(), board2pixel: new Map([[1, [5, 5]]]), year: 2020 })).not.toThrow();
    expect(() => new BinSerializer({ directory: fresh(), board2pixel: { 300: [5] }, year: 2020 })).toThrow(
      expect.objectContaining({ code: "GEN2_BAD_ARGUMENT" }),
    );
    expect(() => new BinSerializer({ directory: fresh(), board2pixel: {}, year: 1900 })).toThrow(
      expect.objectContaining({ code: "GEN2_BAD_ARGUMENT" }),
    );
  });

  it("requires 1 s between the ranges of successive calls; frame counters continue across calls", async () => {
    const dir = fresh();
    const s = new BinSerializer({ directory: dir, board2pixel: BOARD2PIXEL, year: 2020, skew: 0 });
    await s.serialize(one(10_000_000n));
    await expect(s.serialize(one(10_900_000n))).rejects.toMatchObject({ code: "GEN2_RANGE_OVERLAP" });
    await s.serialize(one(11_000_001n)); // > 1 s after the first range
    const { frames } = decodeDir(dir);
    expect(frames.get(230)).toEqual([0, 1]);
  });
});
