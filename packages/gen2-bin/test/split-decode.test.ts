import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  countGen2Photons,
  decodeGen2Arrays,
  decodeGen2Part,
  encodeHeaderWord,
  encodePhotonWord,
  type Gen2DecodedArrays,
  type Gen2Header,
  planGen2Split,
  readGen2FileArrays,
} from "../src/node.js";
import { bundleForNode, gen2Make, tempDir } from "./helpers.js";

/** A deterministic PRNG (no dependence on the clock). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const PADDING = Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/**
 * Words of several boards: frames of 0..100 photons (padding iff < 100), some wide photons, runs of
 * keep-alive frames, header times near the 32-bit carry and the 36-bit wrap, optional leading
 * continuation words before the first header.
 */
function synthetic(seed: number, frames: number, leading = 0): Uint8Array {
  const r = rng(seed);
  const words: Uint8Array[] = [];
  const photon = () =>
    encodePhotonWord({
      x: r() < 0.02 ? 767 : Math.floor(r() * 256),
      y: r() < 0.02 ? 1023 : Math.floor(r() * 256),
      offset: Math.floor(r() * 512),
      phase: Math.floor(r() * 262144) - 131072,
      baseline: Math.floor(r() * 131072) - 65536,
    });
  for (let i = 0; i < leading; i++) words.push(r() < 0.3 ? PADDING : photon());
  const ticks = [8589934591, 2 ** 36 - 3, 48426527995];
  for (let f = 0; f < frames; f++) {
    const board = Math.floor(r() * 4);
    const tick = ticks[board % 3]! + Math.floor(f / 7);
    words.push(encodeHeaderWord({ board, frame: f % 4096, timestamp: tick % 2 ** 36 }));
    const kind = r();
    const n = kind < 0.15 ? 0 : kind < 0.4 ? 100 : Math.floor(r() * 100);
    for (let k = 0; k < n; k++) words.push(photon());
    if (n < 100) words.push(PADDING);
  }
  const out = new Uint8Array(words.length * 8);
  words.forEach((w, i) => {
    out.set(w, i * 8);
  });
  return out;
}

function expectSame(a: Gen2DecodedArrays, b: Gen2DecodedArrays): void {
  expect(a.stats).toEqual(b.stats);
  expect(a.lastHeader).toEqual(b.lastHeader);
  for (const k of ["xy", "timestamp", "phase", "baseline", "board"] as const) {
    const x = a.photons[k];
    const y = b.photons[k];
    expect(x === undefined).toBe(y === undefined);
    if (x && y) {
      expect(x.length).toBe(y.length);
      expect(Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(y.buffer, y.byteOffset, y.byteLength))).toBe(0);
    }
  }
  expect(a.wide).toEqual(b.wide);
}

let tmp: ReturnType<typeof tempDir>;
let script: string;
beforeAll(async () => {
  tmp = tempDir("gen2-split-");
  script = await bundleForNode("decode-worker.mjs", "decode-worker.ts");
}, 60_000);
afterAll(() => tmp.cleanup());

describe("planGen2Split", () => {
  it("cuts at header words only, covers every word once, drops cuts with no header in the window", async () => {
    const bytes = synthetic(7, 400, 5);
    const words = bytes.byteLength / 8;
    for (const parts of [1, 2, 3, 4, 9]) {
      const plan = await planGen2Split(bytes, parts);
      expect(plan.length).toBeGreaterThanOrEqual(1);
      expect(plan.length).toBeLessThanOrEqual(parts);
      expect(plan[0]!.startWord).toBe(0);
      expect(plan.at(-1)!.endWord).toBe(words);
      plan.forEach((p, i) => {
        expect(p.endWord).toBeGreaterThan(p.startWord);
        if (i > 0) {
          expect(p.startWord).toBe(plan[i - 1]!.endWord);
          expect(bytes[p.startWord * 8]).toBe(0xff);
        }
      });
      if (parts > 1) expect(plan.length).toBe(parts);
    }
    // A window of one word finds no header at most cut points: those cuts are dropped.
    const sparse = await planGen2Split(bytes, 9, { windowBytes: 8 });
    for (const p of sparse.slice(1)) expect(bytes[p.startWord * 8]).toBe(0xff);
    expect(await planGen2Split(new Uint8Array(7), 4)).toEqual([]);
  });

  it("parts decoded apart at their counted rows give the one-thread result", async () => {
    for (const [seed, leading, header] of [
      [1, 0, null],
      [2, 9, null],
      [3, 9, { board: 3, frame: 7, timestamp: 2 ** 36 - 1 }],
    ] as Array<[number, number, Gen2Header | null]>) {
      const bytes = synthetic(seed, 300, leading);
      const whole = decodeGen2Arrays(bytes, { header, board: true });
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const plan = await planGen2Split(bytes, 5);
      const counts = plan.map((p, i) => countGen2Photons(view, p.startWord, p.endWord, i > 0 || header !== null));
      expect(counts.reduce((s, c) => s + c, 0)).toBe(whole.stats.photons);
      const n = bytes.byteLength / 8;
      const cols = {
        xy: new Uint16Array(n),
        timestamp: new BigInt64Array(n),
        phase: new Int32Array(n),
        baseline: new Int32Array(n),
        board: new Uint8Array(n),
      };
      let row = 0;
      plan.forEach((p, i) => {
        const sub = {
          xy: cols.xy.subarray(row),
          timestamp: cols.timestamp.subarray(row),
          phase: cols.phase.subarray(row),
          baseline: cols.baseline.subarray(row),
          board: cols.board.subarray(row),
        };
        const r = decodeGen2Part(view, p.startWord, p.endWord, sub, { header: i === 0 ? header : null, board: true });
        expect(r.photons).toBe(counts[i]);
        row += r.photons;
      });
      const total = whole.stats.photons;
      expect(Array.from(cols.xy.subarray(0, total))).toEqual(Array.from(whole.photons.xy));
      expect(Array.from(cols.timestamp.subarray(0, total))).toEqual(Array.from(whole.photons.timestamp));
      expect(Array.from(cols.phase.subarray(0, total))).toEqual(Array.from(whole.photons.phase));
      expect(Array.from(cols.baseline.subarray(0, total))).toEqual(Array.from(whole.photons.baseline));
      expect(Array.from(cols.board.subarray(0, total))).toEqual(Array.from(whole.photons.board!));
    }
  });
});

describe("readGen2FileArrays split across workers", () => {
  const cases: Array<[string, number, number]> = [
    ["plain", 11, 0],
    ["leading", 12, 17],
    ["third seed", 13, 3],
  ];
  for (const [label, seed, leading] of cases) {
    it(`${label}: every worker count, in threads and in this thread, equals the one-thread reader`, async () => {
      const bytes = synthetic(seed, 2500, leading);
      const path = join(tmp.path, `${label}.bin`);
      writeFileSync(path, bytes);
      for (const header of [null, { board: 1, frame: 2, timestamp: 4294967295 }]) {
        const one = await readGen2FileArrays(path, { header, board: true, workers: 1 });
        expectSame(one, decodeGen2Arrays(bytes, { header, board: true }));
        for (const workers of [2, 3, 4]) {
          const opts = { header, board: true, workers, splitMinBytes: 0, chunkBytes: 4096 };
          const inThread = await readGen2FileArrays(path, opts);
          expectSame(inThread, one);
          const threaded = await readGen2FileArrays(path, { ...opts, workerScript: script });
          expectSame(threaded, one);
          expect(threaded.photons.xy.buffer).toBeInstanceOf(SharedArrayBuffer);
        }
      }
    }, 60_000);
  }

  it("gen2_make.py --wrap --split-frame: the same photons as the one-thread reader, file by file", async () => {
    const dir = join(tmp.path, "made");
    gen2Make(dir, "--photons", "60000", "--seconds", "2", "--wrap", "--split-frame");
    let header: Gen2Header | null = null;
    for (const name of readdirSync(dir)
      .filter((n) => n.endsWith(".bin"))
      .sort()) {
      const path = join(dir, name);
      const one = decodeGen2Arrays(readFileSync(path), { header });
      const split = await readGen2FileArrays(path, { header, workers: 2, splitMinBytes: 0, workerScript: script });
      expectSame(split, one);
      header = one.lastHeader;
    }
  }, 60_000);

  it("a worker script that cannot start: the parts run in this thread; a worker that dies: GEN2_WORKER_FAILED", async () => {
    const bytes = synthetic(31, 800, 2);
    const path = join(tmp.path, "workers.bin");
    writeFileSync(path, bytes);
    const opts = { workers: 2, splitMinBytes: 0 };
    const fallback = await readGen2FileArrays(path, { ...opts, workerScript: join(tmp.path, "missing-worker.mjs") });
    expectSame(fallback, decodeGen2Arrays(bytes));
    const dying = join(tmp.path, "dying-worker.mjs");
    writeFileSync(dying, 'import { parentPort } from "node:worker_threads";\nparentPort.on("message", () => process.exit(3));\n');
    await expect(readGen2FileArrays(path, { ...opts, workerScript: dying })).rejects.toMatchObject({ code: "GEN2_WORKER_FAILED", path });
  }, 60_000);

  it("dropped results are collected without an explicit gc (V8 does not count SharedArrayBuffers itself)", async () => {
    // 48 MiB of words (a synthetic block repeated) → 108 MiB of shared columns per call; 12 calls in
    // a plain `node` process (no --expose-gc): without reportSharedMemory its RSS reached 1.3 GB.
    const block = synthetic(41, 3000, 0);
    const bytes = new Uint8Array(48 * 1024 * 1024 - ((48 * 1024 * 1024) % block.byteLength));
    for (let at = 0; at < bytes.byteLength; at += block.byteLength) bytes.set(block, at);
    const path = join(tmp.path, "big.bin");
    writeFileSync(path, bytes);
    const runner = await bundleForNode("split-rss.mjs", {
      contents: `import { readGen2FileArrays } from "./src/node-decode.ts";
          const [path, script] = process.argv.slice(2);
          for (let i = 0; i < 12; i++) {
            const r = await readGen2FileArrays(path, { workers: 2, workerScript: script });
            if (!(r.photons.xy.buffer instanceof SharedArrayBuffer)) throw new Error("not split");
          }
          console.log(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }));`,
    });
    const child = spawnSync(process.execPath, [runner, path, script], { encoding: "utf8" });
    expect(child.status, child.stderr).toBe(0);
    const { maxRssKiB } = JSON.parse(child.stdout.trim().split("\n").pop()!) as { maxRssKiB: number };
    const perCallMiB = ((bytes.byteLength / 8) * 18) / 2 ** 20;
    expect(maxRssKiB / 1024).toBeLessThan(5 * perCallMiB);
  }, 120_000);

  it("end-of-input errors are those of the one-thread reader, with the same offsets", async () => {
    const bytes = synthetic(21, 600, 0);
    const partial = join(tmp.path, "partial.bin");
    writeFileSync(partial, Buffer.concat([bytes, Buffer.from([1, 2, 3])]));
    const opts = { workers: 2, splitMinBytes: 0, workerScript: script };
    await expect(readGen2FileArrays(partial, opts)).rejects.toMatchObject({ code: "GEN2_PARTIAL_WORD", byteOffset: bytes.byteLength });
    const lenient = await readGen2FileArrays(partial, { ...opts, allowPartialWord: true });
    expectSame(lenient, decodeGen2Arrays(readFileSync(partial), { allowPartialWord: true }));
    expect(lenient.stats.trailingBytes).toBe(3);
    // No header anywhere: no cut point, the one-thread reader's GEN2_NO_HEADER.
    const noHeader = join(tmp.path, "no-header.bin");
    writeFileSync(noHeader, Buffer.concat(Array.from({ length: 500 }, () => Buffer.from(PADDING))));
    await expect(readGen2FileArrays(noHeader, opts)).rejects.toMatchObject({ code: "GEN2_NO_HEADER", byteOffset: 0 });
  }, 60_000);
});
