import { join } from "node:path";
import Blosc from "numcodecs/blosc";
import { afterEach, describe, expect, it } from "vitest";
import {
  type Chunk,
  clipChunk,
  compressChunk,
  DataDirectory,
  decodeBloscChunk,
  decompressChunk,
  iterateChunks,
  makeDtype,
  sharedNodeBloscPool,
} from "../src/node.js";
import { readBloscHeader } from "../src/blosc.js";
import { concatenateChunks, createContinuityChecker, splitChunk, validateChunk } from "../src/chunk.js";
import { getSplits, Rechunker } from "../src/rechunk.js";
import { removeDir, tempDir } from "./helpers.js";

const DT = makeDtype([
  { name: "time", typestr: "<i8" },
  { name: "endtime", typestr: "<i8" },
  { name: "v", typestr: "<f4" },
]);

function chunk(times: [bigint, bigint][], start: bigint, end: bigint, runId = "1", subruns: Chunk["subruns"] = null): Chunk {
  const data = new Uint8Array(times.length * DT.itemsize);
  const view = new DataView(data.buffer);
  times.forEach(([t, e], i) => {
    view.setBigInt64(i * 20, t, true);
    view.setBigInt64(i * 20 + 8, e, true);
    view.setFloat32(i * 20 + 16, i, true);
  });
  return { runId, dataType: "x", dataKind: "x", dtype: DT, start, end, n: times.length, data, subruns };
}

const timesOf = (c: Chunk) =>
  Array.from({ length: c.n }, (_, i) => new DataView(c.data.buffer, c.data.byteOffset).getBigInt64(i * 20, true));

describe("chunk laws and operations", () => {
  it("validates rows against the interval", () => {
    expect(() => validateChunk(chunk([[5n, 6n]], 0n, 10n))).not.toThrow();
    expect(() => validateChunk(chunk([[5n, 6n]], 6n, 10n))).toThrow(expect.objectContaining({ code: "RUNS_BAD_CHUNK" }));
    expect(() => validateChunk(chunk([[5n, 12n]], 0n, 10n))).toThrow(expect.objectContaining({ code: "RUNS_BAD_CHUNK", row: 0 }));
    expect(() => validateChunk(chunk([], 10n, 5n))).toThrow(expect.objectContaining({ code: "RUNS_BAD_CHUNK" }));
    expect(() => validateChunk(chunk([], -1n, 5n))).toThrow(expect.objectContaining({ code: "RUNS_BAD_CHUNK" }));
    const overlapping = new Map([
      ["a", { start: 0n, end: 5n }],
      ["b", { start: 4n, end: 9n }],
    ]);
    expect(() => validateChunk(chunk([], 0n, 10n, "_s", overlapping))).toThrow(expect.objectContaining({ code: "RUNS_SUBRUN_OVERLAP" }));
  });

  it("splits at t; a straddling row blocks the split unless early splitting is allowed", () => {
    const c = chunk(
      [
        [0n, 2n],
        [3n, 6n],
        [7n, 8n],
      ],
      0n,
      10n,
      "_s",
      new Map([["1", { start: 0n, end: 10n }]]),
    );
    const [l, r, t] = splitChunk(c, 3n);
    expect([l.start, l.end, l.n, r.start, r.end, r.n, t]).toEqual([0n, 3n, 1, 3n, 10n, 2, 3n]);
    expect(l.subruns).toEqual(new Map([["1", { start: 0n, end: 3n }]]));
    expect(r.subruns).toEqual(new Map([["1", { start: 3n, end: 10n }]]));
    expect(() => splitChunk(c, 5n)).toThrow(expect.objectContaining({ code: "RUNS_BAD_CHUNK" }));
    const [l2, r2, t2] = splitChunk(c, 5n, { allowEarlySplit: true });
    expect([l2.n, r2.n, t2]).toEqual([1, 2, 3n]);
  });

  it("clips to a range keeping rows fully inside", () => {
    const c = chunk(
      [
        [0n, 2n],
        [3n, 6n],
        [7n, 8n],
        [9n, 12n],
      ],
      0n,
      20n,
    );
    const k = clipChunk(c, { start: 1n, end: 10n });
    expect([k.start, k.end]).toEqual([1n, 10n]);
    expect(timesOf(k)).toEqual([3n, 7n]);
  });

  it("concatenates in order, merges subruns maps, refuses overlap", () => {
    const a = chunk([[0n, 1n]], 0n, 5n, "_s", new Map([["1", { start: 0n, end: 5n }]]));
    const b = chunk([[6n, 7n]], 5n, 10n, "_s", new Map([["1", { start: 5n, end: 10n }]]));
    const c = chunk([[20n, 21n]], 20n, 30n, "_s", new Map([["2", { start: 20n, end: 30n }]]));
    const all = concatenateChunks([a, b, c]);
    expect([all.start, all.end, all.n]).toEqual([0n, 30n, 3]);
    expect(all.subruns).toEqual(
      new Map([
        ["1", { start: 0n, end: 10n }],
        ["2", { start: 20n, end: 30n }],
      ]),
    );
    expect(() => concatenateChunks([b, a])).toThrow(expect.objectContaining({ code: "RUNS_CHUNK_OVERLAP" }));
    expect(() => concatenateChunks([a, chunk([], 5n, 6n, "other")])).toThrow(expect.objectContaining({ code: "RUNS_BAD_CHUNK" }));
  });

  it("checks continuity of a regular run", () => {
    const check = createContinuityChecker();
    check.check(chunk([], 0n, 5n));
    check.check(chunk([], 5n, 9n));
    expect(() => check.check(chunk([], 10n, 12n))).toThrow(expect.objectContaining({ code: "RUNS_NOT_CONTINUOUS" }));
    expect(() => createContinuityChecker().check(chunk([], 0n, 5n)) ?? undefined).not.toThrow();
  });
});

describe("rechunking (strax 2.x get_splits)", () => {
  it("cuts only in gaps > 1000 ns, closest to the target row count", () => {
    // 10 rows 2000 ns apart, plus a dense tail with no gaps.
    const rows: [bigint, bigint][] = [];
    for (let i = 0; i < 10; i++) rows.push([BigInt(i) * 2000n, BigInt(i) * 2000n + 10n]);
    for (let i = 0; i < 5; i++) rows.push([20_000n + BigInt(i) * 10n, 20_000n + BigInt(i) * 10n + 10n]);
    const c = chunk(rows, 0n, 30_000n);
    expect(getSplits(c, 3 * DT.itemsize)).toEqual([3, 6, 9]);
    const r = new Rechunker(3 * DT.itemsize);
    const out = r.receive(c);
    const rest = r.flush()!;
    expect(out.map((x) => [x.start, x.end, x.n])).toEqual([
      [0n, 5500n, 3],
      [5500n, 11_500n, 3],
      [11_500n, 17_500n, 3],
    ]);
    expect([rest.start, rest.end, rest.n]).toEqual([17_500n, 30_000n, 6]);
  });

  /** Rows 10 ns long, 10 ns apart, with a gap of 1 µs + 1 ns before each index in `gapsAt`. */
  function gappy(n: number, gapsAt: number[]): Chunk {
    const rows: [bigint, bigint][] = [];
    let t = 0n;
    for (let i = 0; i < n; i++) {
      if (gapsAt.includes(i)) t += 1001n;
      rows.push([t, t + 10n]);
      t += 10n;
    }
    return chunk(rows, 0n, t);
  }

  it("on a tie takes the earlier gap, as numpy's argmin does in strax 2.2.3 get_splits", () => {
    // Gaps before rows 100 and 200; target 150 rows lies exactly between them: strax cuts at 100.
    expect(getSplits(gappy(300, [100, 200]), 150 * DT.itemsize)).toEqual([100]);
    // Not a tie: 151 rows is nearer 200; 149 nearer 100.
    expect(getSplits(gappy(300, [100, 200]), 151 * DT.itemsize)).toEqual([200]);
    expect(getSplits(gappy(300, [100, 200]), 149 * DT.itemsize)).toEqual([100]);
    // Target 20 rows: from 0 the tie 10/30 → 10; from 10 → 30; from 30 (target 50) → 45; from 45 strax's nearest
    // gap to 65 is 45 itself (endless loop there, see below), we take 90.
    expect(getSplits(gappy(100, [10, 30, 45, 90]), 20 * DT.itemsize)).toEqual([10, 30, 45, 90]);
    // The cut time is time[index] − DEFAULT_CHUNK_SPLIT_NS // 2.
    const r = new Rechunker(150 * DT.itemsize);
    const out = r.receive(gappy(300, [100, 200]));
    expect(out.map((x) => [x.n, x.end])).toEqual([[100, 100n * 10n + 1001n - 500n]]);
    expect(r.flush()!.n).toBe(200);
  });

  it("where strax would loop forever (next gap more than twice the target away) cuts at the next gap", () => {
    // strax: from 100 the nearest gap to 100 + 100 is 100 itself → appends 100 forever.
    expect(getSplits(gappy(500, [100, 400]), 100 * DT.itemsize)).toEqual([100, 400]);
    // A target below one row counts as one row (strax: assumed_i = 0, the same endless loop).
    expect(getSplits(gappy(10, [3, 6]), 1)).toEqual([3, 6]);
  });
});

describe("blosc", () => {
  const cleanup: string[] = [];
  afterEach(async () => {
    while (cleanup.length) await removeDir(cleanup.pop()!);
  });

  it("refuses damaged LZ4 frame structure before decoding (no allocation from garbage, no endless block walk)", async () => {
    const raw = new Uint8Array(5000).map((_, i) => (i * 7) % 251);
    const good = await compressChunk("lz4", raw);
    expect(Buffer.compare(await decompressChunk("lz4", good), raw)).toBe(0);
    // Many fake 4 MiB blocks: lz4js alone sized its output from them (gigabytes) and walked past the end.
    const fake = new Uint8Array(64);
    fake.set([0x04, 0x22, 0x4d, 0x18, 0x40, 0x70, 0x00]);
    new DataView(fake.buffer).setUint32(7, 0x00010000, true);
    for (const bytes of [fake, good.subarray(0, good.length - 4), good.subarray(0, 9)]) {
      await expect(decompressChunk("lz4", bytes)).rejects.toMatchObject({ code: "RUNS_CORRUPT_CHUNK" });
      await expect(decompressChunk("lz4", bytes, { expectedBytes: raw.length })).rejects.toMatchObject({ code: "RUNS_CORRUPT_CHUNK" });
    }
  });

  it("refuses a declared size the input cannot hold, with a coded error (both decoders)", () => {
    const bytes = new Uint8Array(64);
    const view = new DataView(bytes.buffer);
    bytes.set([2, 1, 0, 8]); // version 2, blosclz, no shuffle, typesize 8
    view.setUint32(4, 0xf0000000, true); // nbytes: 3.75 GiB from 64 bytes
    view.setUint32(8, 0xf0000000, true); // one block, so the block table fits
    view.setUint32(12, 64, true);
    for (const wasm of [true, false]) {
      expect(() => decodeBloscChunk(bytes, { wasm })).toThrow(expect.objectContaining({ code: "RUNS_CORRUPT_CHUNK" }));
    }
  });

  it("decodes byte-shuffled and memcpyed chunks, and falls back to WASM for other codecs", async () => {
    const raw = new Uint8Array(300_000).map((_, i) => (i % 7 === 0 ? i & 0xff : 0));
    for (const config of [
      { cname: "blosclz", clevel: 5, shuffle: 1 },
      { cname: "blosclz", clevel: 0, shuffle: 0 },
      { cname: "lz4", clevel: 5, shuffle: 1 },
      { cname: "zstd", clevel: 3, shuffle: 2 },
    ]) {
      const enc = await Blosc.fromConfig(config).encode(raw);
      const header = readBloscHeader(enc)!;
      const ts = decodeBloscChunk(enc);
      if (config.cname === "blosclz" && config.shuffle !== 2) expect(Buffer.compare(ts!, raw), JSON.stringify(config)).toBe(0);
      else expect(ts).toBeUndefined();
      expect(Buffer.compare(await decompressChunk("blosc", enc, { expectedBytes: raw.length }), raw), JSON.stringify(config)).toBe(0);
      expect(
        Buffer.compare(await decompressChunk("blosc", enc.slice(), { expectedBytes: raw.length, workers: sharedNodeBloscPool() }), raw),
      ).toBe(0);
      expect(header.nbytes).toBe(raw.length);
    }
  });

  it("the TypeScript decoder matches c-blosc on varied data (long runs, far matches, literals)", async () => {
    let seed = 12345;
    const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) & 0xff;
    const patterns: Uint8Array[] = [];
    const size = 1_500_000;
    const repeatFar = new Uint8Array(size);
    const block = new Uint8Array(20_000).map(rand);
    for (let i = 0; i < size; i++) repeatFar[i] = i % 70_000 < 20_000 ? block[i % 20_000]! : rand() & 3;
    patterns.push(repeatFar);
    patterns.push(new Uint8Array(size).map((_, i) => (i % 1000 < 900 ? 0 : rand())));
    patterns.push(new Uint8Array(size).map(() => rand()));
    patterns.push(new Uint8Array(size).map((_, i) => (i >> 9) & 0xff));
    patterns.push(new Uint8Array(size).map((_, i) => (rand() % 9) + (i % 3 === 0 ? 0xf0 : 0)));
    patterns.push(new Uint8Array(37));
    for (const [k, raw] of patterns.entries()) {
      for (const shuffle of [0, 1]) {
        for (const clevel of [1, 9]) {
          const enc = await Blosc.fromConfig({ cname: "blosclz", clevel, shuffle }).encode(raw);
          expect(Buffer.compare(decodeBloscChunk(enc)!, raw), `wasm: pattern ${k} shuffle ${shuffle} clevel ${clevel}`).toBe(0);
          expect(Buffer.compare(decodeBloscChunk(enc, { wasm: false })!, raw), `ts: pattern ${k} shuffle ${shuffle} clevel ${clevel}`).toBe(
            0,
          );
        }
      }
    }
  });

  it("both blosclz decoders (WebAssembly and TypeScript) agree on strax's files and reject corrupt streams", async () => {
    const { readFile } = await import("node:fs/promises");
    const { STRAX } = await import("./helpers.js");
    for (const f of [
      "v2/main/0-records-j3nd2fjbiq/records-j3nd2fjbiq-000003",
      "v2/main/_superrun_test_xasmpdqviq-peaks-xia2iit6vb/peaks-xia2iit6vb-000000",
      "v1/main/_superrun_test-records-j3nd2fjbiq/records-j3nd2fjbiq-000000",
    ]) {
      const b = new Uint8Array(await readFile(join(STRAX, f)));
      expect(Buffer.compare(decodeBloscChunk(b)!, decodeBloscChunk(b, { wasm: false })!), f).toBe(0);
      const bad = b.slice();
      bad.fill(0xff, 60, 90);
      const results = [true, false].map((wasm) => {
        try {
          return decodeBloscChunk(bad, { wasm });
        } catch (e) {
          return (e as Error).name;
        }
      });
      // Same verdict either way: both throw, or both decode to the same (garbage) bytes.
      if (typeof results[0] === "string" || typeof results[1] === "string") expect(results[0]).toEqual(results[1]);
      else expect(Buffer.compare(results[0]!, results[1]!)).toBe(0);
    }
  });

  it("random corruption never escapes as anything but a decode error (both decoders)", async () => {
    const { readFile } = await import("node:fs/promises");
    const { STRAX } = await import("./helpers.js");
    const good = new Uint8Array(await readFile(join(STRAX, "v2/main/_superrun_test_xasmpdqviq-peaks-xia2iit6vb/peaks-xia2iit6vb-000000")));
    let seed = 7;
    const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
    for (let trial = 0; trial < 150; trial++) {
      const bad = good.slice();
      const edits = 1 + rand(8);
      for (let e = 0; e < edits; e++) bad[16 + rand(bad.length - 16)] = rand(256);
      for (const wasm of [true, false]) {
        try {
          const out = decodeBloscChunk(bad, { wasm });
          expect(out === undefined || out instanceof Uint8Array).toBe(true);
        } catch (error) {
          expect(error).toMatchObject({ name: "RunsError", code: "RUNS_CORRUPT_CHUNK" });
        }
      }
    }
  });

  it("large chunks decode on worker threads, identical to the main thread", async () => {
    const path = await tempDir();
    cleanup.push(path);
    const dir = new DataDirectory(path);
    const w = await dir.openWriter({ key: { runId: "1", dataType: "x" }, dtype: DT });
    const n = 60_000; // 1.2 MB per chunk
    let t = 0n;
    for (let k = 0; k < 3; k++) {
      const rows: [bigint, bigint][] = [];
      for (let i = 0; i < n; i++, t += 3n) rows.push([t, t + 2n]);
      await w.write(chunk(rows, BigInt(k * n) * 3n, BigInt((k + 1) * n) * 3n));
    }
    await w.close();
    const a: Uint8Array[] = [];
    for await (const c of iterateChunks(dir, "1", "x", { workers: true })) a.push(c.data);
    const b: Uint8Array[] = [];
    for await (const c of iterateChunks(dir, "1", "x", { workers: false })) b.push(c.data);
    expect(Buffer.compare(Buffer.concat(a), Buffer.concat(b))).toBe(0);
    expect(Buffer.concat(a).byteLength).toBe(3 * n * DT.itemsize);
    // A corrupt large chunk is a coded error from the worker path too.
    const stored = (await dir.findData("1", "x"))!;
    const file = join(stored.path, `x-${stored.metadata.lineageHash}-000001`);
    const { readFile, writeFile } = await import("node:fs/promises");
    const bytes = await readFile(file);
    bytes.fill(0xee, 200, 400);
    await writeFile(file, bytes);
    await expect(
      (async () => {
        for await (const _ of iterateChunks(dir, "1", "x", { workers: true })) void _;
      })(),
    ).rejects.toMatchObject({ code: "RUNS_CORRUPT_CHUNK" });
  });
});
