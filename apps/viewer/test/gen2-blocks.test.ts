/**
 * A served gen2 file decoded block by block into the binner (src/worker/jobs/gen2-blocks.ts, issue 16)
 * bins exactly what `iterateGen2Batches` + `Gen2Binner.addBatch` bin, whatever the chunk sizes (words
 * split between chunks), with the header carried from the previous file, wide photons, trailing bytes,
 * and the same end errors.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BinSourceDirectory, encodeHeaderWord, encodePhotonWord, Gen2Binner, type Gen2Header, iterateGen2Batches } from "@daqkit/gen2-bin";
import { openDirectorySource } from "@daqkit/io/node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { gen2Make, tempDir } from "../../../packages/gen2-bin/test/helpers.js";
import { Gen2BlockDecoder } from "../src/worker/jobs/gen2-blocks.js";

/** `bytes` as chunks of the sizes given, cycling. */
async function* chunked(bytes: Uint8Array, sizes: readonly number[]): AsyncGenerator<Uint8Array> {
  let i = 0;
  for (let at = 0; at < bytes.byteLength; i++) {
    const n = Math.min(sizes[i % sizes.length]!, bytes.byteLength - at);
    // a fresh copy each time, as blocks arrive
    yield bytes.slice(at, at + n);
    at += n;
  }
}

const binner = () => new Gen2Binner({ range: null, lightCurveBinUs: 5000, histogramBins: 64 });

/** What the library's stream path bins, per file: photons (packed + wide) and trailing bytes. */
async function viaBatches(files: readonly { bytes: Uint8Array; header: Gen2Header | null; path: string }[]) {
  const b = binner();
  const perFile: [number, number][] = [];
  for (const f of files) {
    let last: [number, number] = [0, 0];
    for await (const batch of iterateGen2Batches(f.bytes, {
      header: f.header,
      board: true,
      allowPartialWord: true,
      path: f.path,
      batchBytes: 4096,
    })) {
      b.addBatch(batch);
      last = [batch.stats.photons + batch.stats.widePhotons, batch.stats.trailingBytes];
    }
    perFile.push(last);
  }
  return { result: b.result(), perFile };
}

async function viaBlocks(files: readonly { bytes: Uint8Array; header: Gen2Header | null; path: string }[], sizes: readonly number[]) {
  const b = binner();
  const decoder = new Gen2BlockDecoder({ batchBytes: 4096 });
  const perFile: [number, number][] = [];
  const seen: number[] = [];
  for (const f of files) {
    const r = await decoder.decodeFile(chunked(f.bytes, sizes), b, { header: f.header, path: f.path, onBytes: (n) => seen.push(n) });
    perFile.push([r.photons + r.widePhotons, r.trailingBytes]);
    expect(seen.at(-1)).toBe(f.bytes.byteLength);
  }
  return { result: b.result(), perFile };
}

/** A file of one header and `photons` photon words, some with x ≥ 256. */
function wideFile(photons: number): Uint8Array {
  const out = new Uint8Array(8 * (photons + 1));
  encodeHeaderWord({ board: 7, frame: 1, timestamp: 123_456_789 }, out, 0);
  for (let i = 0; i < photons; i++) {
    encodePhotonWord(
      { x: i % 3 === 0 ? 300 + (i % 50) : i % 200, y: (i * 7) % 250, offset: i % 500, phase: -1000 - i, baseline: 500 + i },
      out,
      8 * (i + 1),
    );
  }
  return out;
}

describe("Gen2BlockDecoder", () => {
  let tmp: ReturnType<typeof tempDir>;
  let files: { bytes: Uint8Array; header: Gen2Header | null; path: string }[];

  beforeAll(async () => {
    tmp = tempDir("viewer-gen2-blocks-");
    const night = join(tmp.path, "night");
    gen2Make(night, "--photons", "20000", "--seconds", "3", "--wrap", "--split-frame");
    const dir = await BinSourceDirectory.open(await openDirectorySource(night));
    files = dir.files.map((f, i) => ({
      bytes: new Uint8Array(readFileSync(join(night, f.path))),
      header: i > 0 ? dir.files[i - 1]!.lastHeader : null,
      path: f.path,
    }));
    expect(files.length).toBeGreaterThan(1);
    // a file with photons of x ≥ 256, then the same with 3 trailing bytes (a truncated last word)
    const wide = wideFile(999);
    files.push({ bytes: wide, header: null, path: "wide.bin" });
    files.push({ bytes: Uint8Array.from([...wide, 1, 2, 3]), header: null, path: "wide-partial.bin" });
  });
  afterAll(() => tmp?.cleanup());

  test("the same bins, per-file photon counts and trailing bytes as iterateGen2Batches + addBatch, for any chunking", async () => {
    // the night (header carried from file to file, a frame split between files), then apart (another
    // time: one light curve over both would span years) the wide and truncated files
    for (const group of [files.slice(0, -2), files.slice(-2)]) {
      const expected = await viaBatches(group);
      for (const sizes of [[1 << 23], [13], [8, 5, 3, 4096, 1], [4096]]) {
        const got = await viaBlocks(group, sizes);
        expect(got.perFile).toEqual(expected.perFile);
        expect(got.result).toEqual(expected.result);
      }
    }
    const wide = await viaBatches(files.slice(-2));
    expect(wide.result.widePhotons).toBeGreaterThan(0);
    expect(wide.perFile.map(([, trailing]) => trailing)).toEqual([0, 3]);
  });

  test("the end errors of the library's readers: no bytes, words without a header", async () => {
    const decoder = new Gen2BlockDecoder();
    await expect(decoder.decodeFile(chunked(new Uint8Array(0), [8]), binner(), { header: null, path: "empty.bin" })).rejects.toMatchObject({
      code: "GEN2_EMPTY_FILE",
      message: "gen2: empty.bin is empty (0 bytes)",
    });
    const photonOnly = encodePhotonWord({ x: 1, y: 2, offset: 3, phase: 4, baseline: 5 });
    await expect(decoder.decodeFile(chunked(photonOnly, [3]), binner(), { header: null, path: "orphan.bin" })).rejects.toMatchObject({
      code: "GEN2_NO_HEADER",
      path: "orphan.bin",
    });
    // timed with the header passed in (the previous file's last), the same word is a photon
    const b = binner();
    const r = await decoder.decodeFile(chunked(photonOnly, [3]), b, { header: { board: 1, frame: 0, timestamp: 10 }, path: "next.bin" });
    expect(r).toMatchObject({ photons: 1, widePhotons: 0, trailingBytes: 0 });
    expect(b.result().photons).toBe(1);
  });
});
