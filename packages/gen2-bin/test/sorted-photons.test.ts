import { bytesSource, type ByteSource } from "@daqkit/io";
import type { Table } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { BinSerializer, decodeGen2Arrays } from "../src/index.js";
import { SortScratch, sortGen2Source } from "../src/sorted-photons.js";

const BOARD2PIXEL = { 3: [0x0102, 0x0203, 0x0a0b], 7: [0x1000, 0x1001, 0x2a2a, 0xff00] };
const PIXELS = Object.values(BOARD2PIXEL).flat();

/** A deterministic pseudo-random generator (tests must not depend on the clock). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** `n` photons within `spanUs` from `startUs`, as the bytes of the .bin files the serializer makes. */
function binBytes(n: number, startUs: number, spanUs: number, seed: number): Uint8Array {
  const rnd = lcg(seed);
  const serializer = new BinSerializer({ board2pixel: BOARD2PIXEL, year: 2021 });
  const files = serializer.serializeToBytes({
    xy: Uint16Array.from({ length: n }, () => PIXELS[Math.floor(rnd() * PIXELS.length)]!),
    timestamp: BigInt64Array.from({ length: n }, () => BigInt(startUs + Math.floor(rnd() * spanUs))),
    phase: Int32Array.from({ length: n }, () => Math.floor(rnd() * 65536) - 32768),
    baseline: Int32Array.from({ length: n }, () => Math.floor(rnd() * 65536) - 32768),
  });
  const out = new Uint8Array(files.reduce((s, f) => s + f.bytes.byteLength, 0));
  let at = 0;
  for (const f of files) {
    out.set(f.bytes, at);
    at += f.bytes.byteLength;
  }
  return out;
}

/** Two runs of photons, the later one first: each pixel's photons are then out of time order in the input. */
function shuffledBin(n: number, seed: number): Uint8Array {
  const late = binBytes(n - (n >> 1), 5_000_000_000, 400_000, seed);
  const early = binBytes(n >> 1, 4_000_000_000, 400_000, seed + 1);
  const out = new Uint8Array(late.byteLength + early.byteLength);
  out.set(late, 0);
  out.set(early, late.byteLength);
  return out;
}

/** A source that reads into the caller's buffers, as Node files do (the read buffers are reused then). */
function intoSource(bytes: Uint8Array): ByteSource {
  const inner = bytesSource(bytes, "mem.bin");
  return {
    ...inner,
    readInto: async (offset, target) => {
      target.set(bytes.subarray(offset, offset + target.byteLength));
    },
  };
}

/** The expected output: the decoded photons, stably sorted by (xy, timestamp). */
function expected(bytes: Uint8Array): Record<string, number[]> {
  const p = decodeGen2Arrays(bytes).photons;
  const idx = Array.from(p.xy, (_, i) => i);
  idx.sort((i, j) => p.xy[i]! - p.xy[j]! || Number(p.timestamp[i]! - p.timestamp[j]!) || i - j);
  return {
    xy: idx.map((i) => p.xy[i]!),
    timestamp: idx.map((i) => Number(p.timestamp[i]!)),
    phase: idx.map((i) => p.phase[i]!),
    baseline: idx.map((i) => p.baseline[i]!),
  };
}

async function collect(tables: AsyncIterable<Table>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = { xy: [], timestamp: [], phase: [], baseline: [] };
  for await (const t of tables) {
    for (const name of Object.keys(out)) {
      for (const v of t.getChild(name)!.toArray() as Iterable<number | bigint>) out[name]!.push(Number(v));
    }
  }
  return out;
}

describe("sortGen2Source: sorted rows and reused buffers", () => {
  const big = shuffledBin(6000, 1);
  const small = shuffledBin(900, 2);
  const bigger = shuffledBin(9000, 3);

  it("sorts by (xy, timestamp), stable, when each pixel's photons are out of time order in the input", async () => {
    const want = expected(big);
    // the input really is out of order inside pixels (the per-pixel sort runs)
    const p = decodeGen2Arrays(big).photons;
    const last = new Map<number, bigint>();
    let backwards = 0;
    p.xy.forEach((xy, i) => {
      if ((last.get(xy) ?? -1n) > p.timestamp[i]!) backwards++;
      last.set(xy, p.timestamp[i]!);
    });
    expect(backwards).toBeGreaterThan(0);
    for (const maxRowsPerPass of [1 << 22, 2500, 1]) {
      const sorted = await sortGen2Source(bytesSource(big, "big.bin"), { header: null, maxRowsPerPass });
      expect(await collect(sorted.tables())).toEqual(want);
    }
  });

  it("files sorted one after another with one SortScratch give the same rows as with fresh buffers", async () => {
    const scratch = new SortScratch();
    // smaller after larger (rows longer than needed), larger after smaller (the rows grow), several passes
    // (transient tables: one set of batch buffers, each table read before the next is asked for)
    for (const [bytes, maxRowsPerPass, transient] of [
      [big, 1 << 22, false],
      [small, 1 << 22, true],
      [bigger, 1 << 22, true],
      [big, 2000, true],
      [small, 300, false],
    ] as const) {
      const sorted = await sortGen2Source(intoSource(bytes), { header: null, maxRowsPerPass, scratch });
      expect(await collect(sorted.tables({ transient }))).toEqual(expected(bytes));
    }
  });

  it("transient tables of a file larger than one table (256 Ki rows) are each right when read before the next", async () => {
    const large = shuffledBin(280_000, 4);
    const scratch = new SortScratch();
    const sorted = await sortGen2Source(intoSource(large), { header: null, scratch });
    let tables = 0;
    const counted = (async function* () {
      for await (const t of sorted.tables({ transient: true })) {
        tables++;
        yield t;
      }
    })();
    expect(await collect(counted)).toEqual(expected(large));
    expect(tables).toBe(2);
  });

  it("a sort that finds the SortScratch in use, or iterates again after giving it back, uses its own buffers", async () => {
    const scratch = new SortScratch();
    const a = await sortGen2Source(intoSource(big), { header: null, scratch }); // holds the scratch
    const b = await sortGen2Source(intoSource(bigger), { header: null, scratch }); // finds it in use
    // b's and a's rows interleaved: neither writes into the other's buffers
    const ia = a.tables()[Symbol.asyncIterator]();
    const ib = b.tables()[Symbol.asyncIterator]();
    const ra: Table[] = [];
    const rb: Table[] = [];
    for (let da = false, db = false; !(da && db); ) {
      if (!da) {
        const x = await ia.next();
        if (x.done) da = true;
        else ra.push(x.value);
      }
      if (!db) {
        const y = await ib.next();
        if (y.done) db = true;
        else rb.push(y.value);
      }
    }
    expect(await collect(ra as unknown as AsyncIterable<Table>)).toEqual(expected(big));
    expect(await collect(rb as unknown as AsyncIterable<Table>)).toEqual(expected(bigger));
    // a gave the scratch back at the end of its iteration: c takes it while a iterates again
    const c = await sortGen2Source(intoSource(small), { header: null, scratch });
    const again = collect(a.tables());
    expect(await collect(c.tables())).toEqual(expected(small));
    expect(await again).toEqual(expected(big));
  });
});
