import { join } from "node:path";
import { openDirectorySource } from "@daqkit/io/node";
import { GEN2_WRAP_US, TimestampRange } from "@daqkit/timestamps";
import type { Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BinSourceDirectory, binGen2Directory, decodeGen2Arrays, Gen2Binner } from "../src/index.js";
import { gen2Make, type Manifest, tempDir } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let plain: string;
let wrap: string;
let plainManifest: Manifest;
let wrapManifest: Manifest;

beforeAll(() => {
  tmp = tempDir("gen2-binning-");
  plain = join(tmp.path, "plain");
  plainManifest = gen2Make(plain, "--photons", "60000", "--seconds", "3");
  wrap = join(tmp.path, "wrap");
  wrapManifest = gen2Make(wrap, "--photons", "30000", "--seconds", "4", "--wrap", "--split-frame");
});
afterAll(() => tmp.cleanup());

/** Expected image (y-major) and times from decoded photon tables. */
function expectedFrom(photons: Table, wide: Table) {
  const image = new Float64Array(256 * 256);
  const times: number[] = [];
  const xy = photons.getChild("xy")!.toArray() as Uint16Array;
  const ts = photons.getChild("timestamp")!.toArray() as BigInt64Array;
  for (let i = 0; i < xy.length; i++) {
    image[(xy[i]! & 0xff) * 256 + (xy[i]! >> 8)]!++;
    times.push(Number(ts[i]));
  }
  expect(wide.numRows).toBe(0);
  return { image, times };
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

describe("gen2 binning", () => {
  it("a whole night: counts equal the decoded photons, per pixel, per board, in the light curve and histograms", async () => {
    const source = await openDirectorySource(plain);
    const binned = await binGen2Directory(source, { lightCurveBinUs: 100_000 });
    const all = await (await BinSourceDirectory.open(source)).readAll();
    const expected = expectedFrom(all.photons, all.wide);
    expect(binned.photons).toBe(plainManifest.total_photons);
    expect(binned.outside).toBe(0);
    expect(binned.image.width).toBe(256);
    expect(Array.from(binned.image.counts)).toEqual(Array.from(expected.image));
    expect(sum(binned.boards)).toBe(binned.photons);
    expect(binned.boards.filter((c) => c > 0).length).toBe(10); // gen2_make's default ten boards
    expect(sum(binned.phase.counts)).toBe(binned.photons);
    expect(binned.phase.entries).toBe(binned.photons);
    expect(binned.phase.underflow + binned.phase.overflow + binned.phase.nan).toBe(0);
    expect(sum(binned.baseline.counts)).toBe(binned.photons);
    // Light curve from the night's first header, 100 ms bins.
    const origin = binned.nightRange.startUs;
    expect(binned.lightCurve.originUs).toBe(origin);
    const curve = new Map<number, number>();
    let before = 0;
    for (const t of expected.times) {
      if (t < origin) before++;
      else curve.set(Math.floor((t - origin) / 100_000), (curve.get(Math.floor((t - origin) / 100_000)) ?? 0) + 1);
    }
    expect(binned.lightCurve.before).toBe(before);
    for (const [bin, n] of curve) expect(binned.lightCurve.counts[bin]).toBe(n);
    expect(sum(binned.lightCurve.counts)).toBe(binned.photons - before);
    expect(binned.lightCurve.counts.length).toBeGreaterThanOrEqual(30); // 3 s of 100 ms bins
  });

  it("a range across the 36-bit wrap equals readTimerange's photons; light-curve bins span the wrap", async () => {
    const source = await openDirectorySource(wrap);
    const dir = await BinSourceDirectory.open(source);
    expect(dir.files.some((f) => f.range.wraps) || dir.files[0]!.range.startUs > dir.files.at(-1)!.range.stopUs).toBe(true);
    const range = new TimestampRange(GEN2_WRAP_US - 1_200_000, 700_000);
    const binned = await binGen2Directory(dir, { range, lightCurveBinUs: 50_000 });
    const read = await dir.readTimerange(range);
    const expected = expectedFrom(read.photons, read.wide);
    expect(binned.photons).toBe(read.photons.numRows);
    expect(binned.photons).toBeGreaterThan(5000);
    expect(binned.photons).toBeLessThan(wrapManifest.total_photons);
    expect(Array.from(binned.image.counts)).toEqual(Array.from(expected.image));
    expect(binned.lightCurve.originUs).toBe(range.startUs);
    expect(binned.lightCurve.counts.length).toBe(Math.floor(range.durationUs / 50_000) + 1);
    const curve = new Float64Array(binned.lightCurve.counts.length);
    for (const t of expected.times) {
      const rel = (((t - range.startUs) % GEN2_WRAP_US) + GEN2_WRAP_US) % GEN2_WRAP_US;
      curve[Math.floor(rel / 50_000)]!++;
    }
    expect(Array.from(binned.lightCurve.counts)).toEqual(Array.from(curve));
    // Photons on both sides of the wrap.
    const bins = binned.lightCurve.counts;
    expect(sum(bins.subarray(0, 24))).toBeGreaterThan(0);
    expect(sum(bins.subarray(24))).toBeGreaterThan(0);
    // The whole night binned: every photon of the manifest.
    const whole = await binGen2Directory(dir);
    expect(whole.photons).toBe(wrapManifest.total_photons);
    expect(whole.photons - whole.lightCurve.before).toBe(sum(whole.lightCurve.counts));
  });

  it("batch by batch equals one whole decode (small batches, fixed histogram range)", async () => {
    const source = await openDirectorySource(plain);
    const small = await binGen2Directory(source, { batchBytes: 4096, phaseRange: [-40000, 40000], histogramBins: 50 });
    const big = await binGen2Directory(source, { phaseRange: [-40000, 40000], histogramBins: 50 });
    expect(Array.from(small.image.counts)).toEqual(Array.from(big.image.counts));
    expect(Array.from(small.phase.counts)).toEqual(Array.from(big.phase.counts));
    expect(small.phase.low).toBe(-40000);
    expect(small.phase.counts.length).toBe(50);
    expect(Array.from(small.lightCurve.counts)).toEqual(Array.from(big.lightCurve.counts));
    const lean = await binGen2Directory(source, { histograms: false });
    expect(Array.from(lean.image.counts)).toEqual(Array.from(big.image.counts));
    expect(Array.from(lean.boards)).toEqual(Array.from(big.boards));
    expect([lean.phase.entries, lean.baseline.entries]).toEqual([0, 0]);
    expect(big.phase.entries).toBe(big.photons);
  });

  it("takes decodeGen2Arrays output, wide photons included; progress reaches the total", async () => {
    const { readFileSync } = await import("node:fs");
    const bytes = readFileSync(join(import.meta.dirname, "../../../../shared/testdata/gen2-bin/extremes.bin"));
    const decoded = decodeGen2Arrays(bytes, { board: true, allowPartialWord: true });
    const binner = new Gen2Binner();
    binner.addPhotons(decoded.photons);
    binner.addWidePhotons(decoded.wide);
    const r = binner.result();
    expect(r.photons).toBe(decoded.stats.photons + decoded.stats.widePhotons);
    expect(r.widePhotons).toBe(decoded.stats.widePhotons);
    expect(sum(r.image.counts)).toBe(r.photons);
    expect(r.image.width).toBeGreaterThanOrEqual(256);
    const ticks: Array<[number, number]> = [];
    await binGen2Directory(await openDirectorySource(plain), { batchBytes: 1 << 16, onProgress: (d, t) => ticks.push([d, t]) });
    expect(ticks.at(-1)![0]).toBe(ticks.at(-1)![1]);
  });

  it("refuses a light-curve bin that is not a positive integer", () => {
    expect(() => new Gen2Binner({ lightCurveBinUs: 0 })).toThrow(expect.objectContaining({ code: "GEN2_BAD_ARGUMENT" }));
    expect(() => new Gen2Binner({ lightCurveBinUs: 1.5 })).toThrow(expect.objectContaining({ code: "GEN2_BAD_ARGUMENT" }));
    expect(() => new Gen2Binner({ range: new TimestampRange(0, GEN2_WRAP_US - 1), lightCurveBinUs: 1 })).toThrow(
      expect.objectContaining({ code: "GEN2_BAD_ARGUMENT" }),
    );
  });
});
