import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  decodeGen2,
  decodeGen2Arrays,
  type Gen2DecodedArrays,
  Gen2ChecksumAccumulator,
  gen2Checksum,
  iterateGen2Batches,
  readGen2File,
  readGen2FileArrays,
} from "../src/node.js";
import { concatBytes, gen2Make, hex, TESTDATA, tempDir } from "./helpers.js";

const H = "ff e8 76 0b 46 72 2c fb";
const D = "18 c2 c4 1e f5 39 ef 12";
const P = "7f ff ff ff ff ff ff ff";

async function expectCode(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (error) {
    expect((error as { code?: string }).code).toBe(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe("spec §13.1 binney test packet", () => {
  it("decodes H P H D H D D D D P to 5 photons", async () => {
    const r = await readGen2File(join(TESTDATA, "binney_test_packet.bin"), { board: true });
    expect(r.stats).toEqual({
      bytes: 80,
      words: 10,
      headers: 3,
      paddings: 2,
      photons: 5,
      widePhotons: 0,
      orphanWords: 0,
      trailingBytes: 0,
    });
    const t = r.photons;
    expect(t.numRows).toBe(5);
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      "xy:Uint16",
      "timestamp:Int64",
      "phase:Int32",
      "baseline:Int32",
      "board:Uint8",
    ]);
    expect([...(t.getChild("xy")!.toArray() as Uint16Array)]).toEqual([25388, 25388, 25388, 25388, 25388]);
    expect([...(t.getChild("timestamp")!.toArray() as BigInt64Array)]).toEqual(Array(5).fill(24213263997631n));
    expect([...(t.getChild("phase")!.toArray() as Int32Array)]).toEqual(Array(5).fill(-34148));
    expect([...(t.getChild("baseline")!.toArray() as Int32Array)]).toEqual(Array(5).fill(-4334));
    expect([...(t.getChild("board")!.toArray() as Uint8Array)]).toEqual(Array(5).fill(232));
    expect(r.lastHeader).toEqual({ board: 232, frame: 1888, timestamp: 48426527995 });
    const arrays = decodeGen2Arrays(readFileSync(join(TESTDATA, "binney_test_packet.bin")));
    expect(gen2Checksum(arrays.photons, arrays.wide)).toBe("902342f33f6f934b");
  });

  it("parses frame by frame: 0, 1, 5 photons", () => {
    expect(decodeGen2(hex(`${H} ${P}`)).stats.photons).toBe(0);
    expect(decodeGen2(hex(`${H} ${P} ${H} ${D}`)).stats.photons).toBe(1);
    expect(decodeGen2(hex(`${H} ${P} ${H} ${D} ${H} ${D} ${D} ${D} ${D} ${P}`)).stats.photons).toBe(5);
  });
});

describe("spec §13.4 extremes.bin (wrap, sign-extension limits, x/y ≥ 256)", () => {
  it("decodes 6 photons, keeps the x=767 y=1023 photon in the wide table", async () => {
    const r = await readGen2File(join(TESTDATA, "extremes.bin"));
    expect(r.stats.photons + r.stats.widePhotons).toBe(6);
    expect(r.stats.widePhotons).toBe(1);
    const ts = [...(r.photons.getChild("timestamp")!.toArray() as BigInt64Array)].map(Number);
    expect(ts).toEqual([34359738367999, 34359738367500, 34359738368011, 34359738367500, 34359738367750]);
    expect([...(r.photons.getChild("phase")!.toArray() as Int32Array)]).toEqual([65536, -131072, 131071, -65537, -1]);
    expect([...(r.photons.getChild("baseline")!.toArray() as Int32Array)]).toEqual([32768, -65536, 65535, -32769, 0]);
    expect([...(r.photons.getChild("xy")!.toArray() as Uint16Array)]).toEqual([(1 << 8) | 2, 0, 0xffff, (10 << 8) | 20, (139 << 8) | 145]);
    const w = r.wide;
    expect(w.numRows).toBe(1);
    expect(w.get(0)!.toJSON()).toEqual({ x: 767, y: 1023, timestamp: 7n, phase: 100, baseline: -100, board: 221 });
    const arrays = decodeGen2Arrays(readFileSync(join(TESTDATA, "extremes.bin")));
    expect(gen2Checksum(arrays.photons, arrays.wide)).toBe("503164d21263622f");
  });
});

describe("timestamps whose low 32 bits carry inside a tick", () => {
  it("header × 500 just below a multiple of 2^32 plus the offset carries into the high word", async () => {
    const { encodeHeaderWord, encodePhotonWord, paddingWordBytes } = await import("../src/node.js");
    for (const k of [858993459, 858993459 + 2 ** 30, 2 ** 36 - 1]) {
      const bytes = concatBytes(
        encodeHeaderWord({ board: 1, frame: 0, timestamp: k }),
        encodePhotonWord({ x: 1, y: 1, offset: 50, phase: 0, baseline: 0 }),
        encodePhotonWord({ x: 1, y: 1, offset: 150, phase: 0, baseline: 0 }),
        encodePhotonWord({ x: 1, y: 1, offset: 511, phase: 0, baseline: 0 }),
        paddingWordBytes(),
      );
      const expected = [50, 150, 511].map((o) => BigInt(k) * 500n + BigInt(o));
      expect([...decodeGen2Arrays(bytes).photons.timestamp]).toEqual(expected);
      // and across a chunk boundary of the file reader / stream (state carried between blocks)
      let streamed: bigint[] = [];
      for await (const b of iterateGen2Batches([bytes.subarray(0, 16), bytes.subarray(16)], { batchBytes: 8 })) {
        streamed = streamed.concat([...(b.photons.getChild("timestamp")!.toArray() as BigInt64Array)]);
      }
      expect(streamed).toEqual(expected);
    }
  });
});

describe("bad input: coded errors and documented recoveries", () => {
  it("empty input → GEN2_EMPTY_FILE", async () => {
    await expectCode(() => decodeGen2(new Uint8Array(0)), "GEN2_EMPTY_FILE");
    await expectCode(async () => {
      for await (const _ of iterateGen2Batches([new Uint8Array(0)])) void _;
    }, "GEN2_EMPTY_FILE");
  });
  it("size not a multiple of 8 → GEN2_PARTIAL_WORD, or skipped and counted with allowPartialWord", async () => {
    const bytes = concatBytes(hex(`${H} ${D} ${P}`), hex("01 02 03"));
    await expectCode(() => decodeGen2(bytes), "GEN2_PARTIAL_WORD");
    const r = decodeGen2(bytes, { allowPartialWord: true });
    expect(r.stats.photons).toBe(1);
    expect(r.stats.trailingBytes).toBe(3);
    await expectCode(async () => {
      for await (const _ of iterateGen2Batches([bytes])) void _;
    }, "GEN2_PARTIAL_WORD");
  });
  it("no header anywhere → GEN2_NO_HEADER; with a header passed in the words are timed", async () => {
    await expectCode(() => decodeGen2(hex(`${D} ${D} ${P}`)), "GEN2_NO_HEADER");
    const r = decodeGen2(hex(`${D} ${D} ${P}`), { header: { board: 232, frame: 1888, timestamp: 48426527995 } });
    expect(r.stats.photons).toBe(2);
    expect(r.lastHeader).toEqual({ board: 232, frame: 1888, timestamp: 48426527995 });
  });
  it("words before the first header are counted as orphans (not emitted, not silent)", () => {
    const r = decodeGen2(hex(`${D} ${P} ${H} ${D} ${P}`));
    expect(r.stats).toMatchObject({ orphanWords: 1, paddings: 2, photons: 1, words: 5 });
  });
  it("a truncated last frame (no padding, file ends) keeps its photons", () => {
    const r = decodeGen2(hex(`${H} ${D} ${P} ${H} ${D} ${D}`));
    expect(r.stats.photons).toBe(3);
  });
  it("a missing file → GEN2_FILE_NOT_FOUND", async () => {
    await expectCode(readGen2File("/nonexistent/x.bin"), "GEN2_FILE_NOT_FOUND");
    await expectCode(async () => {
      for await (const _ of iterateGen2Batches("/nonexistent/x.bin")) void _;
    }, "GEN2_FILE_NOT_FOUND");
  });
  it("arbitrary words never crash the decoder", () => {
    const junk = new Uint8Array(8 * 4096);
    let s = 12345;
    for (let i = 0; i < junk.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0;
      junk[i] = s >>> 24;
    }
    junk[0] = 0xff;
    const r = decodeGen2(junk);
    expect(r.stats.words).toBe(r.stats.headers + r.stats.paddings + r.stats.photons + r.stats.widePhotons + r.stats.orphanWords);
  });
});

function checksumOfDir(dir: string, names: string[]): { photons: number; checksum: string; perFile: Gen2DecodedArrays[] } {
  const acc = new Gen2ChecksumAccumulator();
  let header = null;
  const perFile: Gen2DecodedArrays[] = [];
  for (const name of names) {
    const r = decodeGen2Arrays(readFileSync(join(dir, name)), { header });
    header = r.lastHeader;
    acc.addPacked(r.photons);
    acc.addWide(r.wide);
    perFile.push(r);
  }
  return { photons: acc.count, checksum: acc.hex(), perFile };
}

describe("gen2_make.py directories (manifest counts and checksums)", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir();
  });
  afterAll(() => tmp.cleanup());

  it("spec §13.4: 200000 photons in 3 files, checksum 89c6de71f04f77e1", () => {
    const dir = join(tmp.path, "plain");
    const m = gen2Make(dir, "--photons", "200000", "--seconds", "3");
    const names = readdirSync(dir)
      .filter((n) => n.endsWith(".bin"))
      .sort();
    expect(names).toEqual(["1602050064.bin", "1602050065.bin", "1602050066.bin"]);
    const r = checksumOfDir(dir, names);
    expect(r.perFile.map((f) => f.stats.photons)).toEqual([66514, 66695, 66791]);
    expect(r.photons).toBe(200000);
    expect(r.checksum).toBe("89c6de71f04f77e1");
    expect(m.checksum).toBe("89c6de71f04f77e1");
    m.files.forEach((f, i) => {
      expect(gen2Checksum(r.perFile[i]!.photons, r.perFile[i]!.wide)).toBe(f.checksum);
    });
  });

  it("--wrap --split-frame: continuation words timed by the previous file's last header", () => {
    const dir = join(tmp.path, "wrap");
    const m = gen2Make(dir, "--photons", "6000", "--seconds", "3", "--wrap", "--split-frame");
    const names = m.files.map((f) => f.name);
    const r = checksumOfDir(dir, names);
    expect(r.photons).toBe(m.total_photons);
    expect(r.checksum).toBe(m.checksum);
    m.files.forEach((f, i) => {
      expect(r.perFile[i]!.stats.photons).toBe(f.photons);
      expect(gen2Checksum(r.perFile[i]!.photons)).toBe(f.checksum);
    });
    expect(m.files.some((f) => f.leading_continuation_words > 0)).toBe(true);
    // Without the previous header the continuation words are orphans, and counted.
    const second = m.files.findIndex((f) => f.leading_continuation_words > 0);
    const alone = decodeGen2Arrays(readFileSync(join(dir, names[second]!)));
    expect(alone.stats.orphanWords).toBeGreaterThan(0);
  });

  it("streaming gives exactly the whole-file result, for any chunking", async () => {
    const dir = join(tmp.path, "plain");
    const path = join(dir, "1602050065.bin");
    const bytes = readFileSync(path);
    const whole = decodeGen2Arrays(bytes, { board: true });
    for (const [input, batchBytes] of [
      [path, 4096],
      [path, 1000],
      [new Blob([bytes]), 65536],
      [chunked(bytes, 777), 8 * 1024 * 1024],
      [new Uint8Array(bytes), 1 << 20],
      [bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), 1 << 20],
    ] as const) {
      const acc = new Gen2ChecksumAccumulator();
      let rows = 0;
      let last = null;
      for await (const b of iterateGen2Batches(input, { batchBytes, board: true })) {
        rows += b.photons.numRows;
        acc.addPacked({
          xy: b.photons.getChild("xy")!.toArray() as Uint16Array,
          timestamp: b.photons.getChild("timestamp")!.toArray() as BigInt64Array,
          phase: b.photons.getChild("phase")!.toArray() as Int32Array,
          baseline: b.photons.getChild("baseline")!.toArray() as Int32Array,
        });
        last = b;
      }
      expect(rows).toBe(whole.stats.photons);
      expect(acc.hex()).toBe(gen2Checksum(whole.photons));
      expect(last!.stats).toEqual(whole.stats);
      expect(last!.lastHeader).toEqual(whole.lastHeader);
    }
  });

  it("the chunked whole-file reader gives exactly the in-memory result, for any chunk size", async () => {
    const path = join(tmp.path, "plain", "1602050066.bin");
    const whole = decodeGen2Arrays(readFileSync(path), { board: true });
    for (const chunkBytes of [64, 1000, 4096, 1 << 23]) {
      const r = await readGen2FileArrays(path, { chunkBytes, board: true });
      expect(r.stats).toEqual(whole.stats);
      expect(r.lastHeader).toEqual(whole.lastHeader);
      expect(gen2Checksum(r.photons)).toBe(gen2Checksum(whole.photons));
      expect(r.photons.board).toEqual(whole.photons.board);
    }
    const partial = join(tmp.path, "partial.bin");
    writeFileSync(partial, concatBytes(readFileSync(join(TESTDATA, "extremes.bin")), hex("01 02 03")));
    await expectCode(readGen2FileArrays(partial, { chunkBytes: 16 }), "GEN2_PARTIAL_WORD");
    const ok = await readGen2FileArrays(partial, { chunkBytes: 16, allowPartialWord: true });
    expect(ok.stats).toMatchObject({ photons: 5, widePhotons: 1, trailingBytes: 3, bytes: 83 });
    const empty = join(tmp.path, "empty.bin");
    writeFileSync(empty, "");
    await expectCode(readGen2FileArrays(empty), "GEN2_EMPTY_FILE");
  });

  it("streams the wide photons of extremes.bin beside the packed ones", async () => {
    const tmpFile = join(tmp.path, "extremes-copy.bin");
    writeFileSync(tmpFile, readFileSync(join(TESTDATA, "extremes.bin")));
    const batches = [];
    for await (const b of iterateGen2Batches(tmpFile, { batchBytes: 48 })) batches.push(b);
    expect(batches.reduce((n, b) => n + b.photons.numRows, 0)).toBe(5);
    expect(batches.reduce((n, b) => n + (b.wide?.numRows ?? 0), 0)).toBe(1);
    expect(batches.map((b) => b.byteOffset)).toEqual([0, 48]);
  });
});

function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}
