/**
 * The platform-neutral main entry on Node (issue 13): byte sources, `Blob`/`File`s and directory
 * sources give exactly what the path API gives.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type ByteSource, bytesSource, fileListDirectory, IoError } from "@daqkit/io";
import { openDirectorySource } from "@daqkit/io/node";
import { GEN2_WRAP_US, TimestampRange } from "@daqkit/timestamps";
import type { Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeGen2FileSourceArrays } from "../src/decode.js";
import * as main from "../src/index.js";
import {
  BinDirectory,
  BinSerializer,
  BinSourceDirectory,
  decodeGen2Arrays,
  decodeGen2Source,
  decodeGen2SourceArrays,
  type Gen2ReadResult,
  gen2Checksum,
  iterateGen2Batches,
  readGen2FileArrays,
  scanGen2Directory,
  scanGen2Headers,
  scanGen2Source,
} from "../src/node.js";
import { concatBytes, gen2Make, hex, type Manifest, TESTDATA, tempDir } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let plain: string;
let wrap: string;
let wrapManifest: Manifest;

beforeAll(() => {
  tmp = tempDir("gen2-source-");
  plain = join(tmp.path, "plain");
  gen2Make(plain, "--photons", "60000", "--seconds", "3");
  wrap = join(tmp.path, "wrap");
  wrapManifest = gen2Make(wrap, "--photons", "30000", "--seconds", "4", "--wrap", "--split-frame");
});
afterAll(() => tmp.cleanup());

/** A byte source whose reads fail from the `failAt`-th read on (0-based). */
function failingSource(bytes: Uint8Array, failAt: number): ByteSource & { reads: number } {
  const inner = bytesSource(bytes, "flaky.bin");
  const source = {
    name: "flaky.bin",
    size: inner.size,
    reads: 0,
    async read(offset: number, length: number) {
      if (source.reads++ >= failAt) throw new IoError("IO_FAILED", "io: flaky.bin: the disk went away", { path: "flaky.bin", offset });
      return inner.read(offset, length);
    },
  };
  return source;
}

function columns(t: Table): Record<string, unknown[]> {
  return Object.fromEntries(t.schema.fields.map((f) => [f.name, Array.from(t.getChild(f.name)!.toArray() as ArrayLike<unknown>)]));
}

function expectSameRead(a: Gen2ReadResult, b: Gen2ReadResult): void {
  expect(columns(a.photons)).toEqual(columns(b.photons));
  expect(columns(a.wide)).toEqual(columns(b.wide));
}

describe("decodeGen2Source: one reader for bytes, Blobs, Files and byte sources", () => {
  it("gives exactly what decodeGen2Arrays and readGen2FileArrays give, for any chunk size", async () => {
    const path = join(
      wrap,
      readdirSync(wrap)
        .filter((n) => n.endsWith(".bin"))
        .sort()[1]!,
    );
    const bytes = new Uint8Array(readFileSync(path));
    const header = { board: 1, frame: 2, timestamp: 3 };
    const expected = decodeGen2Arrays(bytes, { header, board: true });
    const inputs = [bytes, bytes.buffer, new Blob([bytes]), new File([bytes], "x.bin"), bytesSource(bytes)];
    for (const input of inputs) {
      for (const chunkBytes of [1000, 65536, 1 << 23]) {
        for (const readAhead of [1, 4]) {
          expect(await decodeGen2SourceArrays(input, { header, board: true, chunkBytes, readAhead })).toEqual(expected);
        }
      }
    }
    // Reads ahead that complete out of order (later offsets first) are still decoded in file order.
    const inner = bytesSource(bytes, "reversed.bin");
    const reversed: ByteSource = {
      name: inner.name,
      size: inner.size,
      read: (offset, length) =>
        new Promise((resolve, reject) =>
          setTimeout(() => inner.read(offset, length).then(resolve, reject), (5 - ((offset / 1000) % 5)) * 3),
        ),
    };
    expect(await decodeGen2SourceArrays(reversed, { header, board: true, chunkBytes: 1000, readAhead: 5 })).toEqual(expected);
    expect(await readGen2FileArrays(path, { header, board: true })).toEqual(expected);
    const tables = await decodeGen2Source(new Blob([bytes]), { header });
    expect(tables.photons.numRows).toBe(expected.stats.photons);
  });

  it("a source that reads into caller memory (Node files) is decoded in place, in the timestamp column", async () => {
    // The wrap file starts with continuation words (split frame): timed with `header`, its first photons
    // are emitted at row n == word i, so each timestamp is written over the very word it came from.
    const path = join(
      wrap,
      readdirSync(wrap)
        .filter((n) => n.endsWith(".bin"))
        .sort()[1]!,
    );
    const bytes = concatBytes(new Uint8Array(readFileSync(path)), hex("01 02 03"));
    const header = { board: 1, frame: 2, timestamp: 3 };
    const options = { header, board: true, allowPartialWord: true };
    const expected = decodeGen2Arrays(bytes, options);
    expect(bytes[0]).not.toBe(0xff); // not a header
    expect(expected.stats.orphanWords).toBe(0);
    const inner = bytesSource(bytes, "into.bin");
    let failAt = Number.POSITIVE_INFINITY;
    let reads = 0;
    const targets = new Set<ArrayBufferLike>();
    const source: ByteSource = {
      name: "into.bin",
      size: inner.size,
      read: () => Promise.reject(new Error("read() must not be used when readInto() is there")),
      // Reads complete out of order (later offsets first: fewer event-loop turns), and fail from byte `failAt` on.
      readInto: (offset, target) =>
        new Promise((resolve, reject) => {
          const done = (): void => {
            targets.add(target.buffer);
            if (offset >= failAt) reject(new IoError("IO_FAILED", "io: into.bin: the disk went away", { path: "into.bin", offset }));
            else resolve(inner.readIntoSync!(offset, target));
          };
          const later = (turns: number): unknown => (turns === 0 ? done() : setImmediate(() => later(turns - 1)));
          later(3 - (reads++ % 3));
        }),
    };
    for (const chunkBytes of [8, 24, 1000, 1 << 20]) {
      targets.clear();
      const r = await decodeGen2SourceArrays(source, { ...options, chunkBytes });
      expect(r).toEqual(expected);
      // Every read went into the timestamp column, whose tail past the last photon is zeroed.
      expect([...targets]).toEqual([r.photons.timestamp.buffer]);
      const column = new BigInt64Array(r.photons.timestamp.buffer);
      expect(column.subarray(r.photons.timestamp.length).every((t) => t === 0n)).toBe(true);
    }
    failAt = 2000;
    const error = await decodeGen2SourceArrays(source, { ...options, chunkBytes: 1000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "Gen2BinError", code: "GEN2_IO", path: "into.bin", byteOffset: 2000 });
  });

  it("by default a Node-file source is read 1 MiB, then 2 MiB, then 4 MiB at a time, and decodes the same", async () => {
    const path = join(
      wrap,
      readdirSync(wrap)
        .filter((n) => n.endsWith(".bin"))
        .sort()[1]!,
    );
    const one = new Uint8Array(readFileSync(path));
    // Frames of a file repeated up to ~10 MiB (any run of whole frames is a valid file), plus a partial word.
    const copies = Math.ceil((10 << 20) / one.byteLength);
    const bytes = concatBytes(...Array.from({ length: copies }, () => one), hex("01 02 03"));
    const options = { header: { board: 1, frame: 2, timestamp: 3 }, allowPartialWord: true };
    const expected = decodeGen2Arrays(bytes, options);
    const inner = bytesSource(bytes, "ramp.bin");
    const reads: [number, number][] = [];
    const source: ByteSource = {
      name: "ramp.bin",
      size: inner.size,
      read: () => Promise.reject(new Error("read() must not be used when readInto() is there")),
      // Later reads complete first: the decoder must still decode the chunks in order.
      readInto: (offset, target) =>
        new Promise((resolve) => {
          reads.push([offset, target.byteLength]);
          const later = (turns: number): unknown =>
            turns === 0 ? resolve(inner.readIntoSync!(offset, target)) : setImmediate(() => later(turns - 1));
          later(3 - (reads.length % 3));
        }),
    };
    const r = await decodeGen2SourceArrays(source, options);
    expect(r).toEqual(expected);
    const whole = bytes.byteLength - 3;
    const MiB = 1 << 20;
    const lengths = reads.map(([, length]) => length);
    expect(lengths.slice(0, 3)).toEqual([MiB, 2 * MiB, 4 * MiB]);
    expect(lengths.slice(3, -1).every((l) => l === 4 * MiB)).toBe(true);
    let at = 0;
    for (const [offset, length] of reads) {
      expect(offset).toBe(at);
      at += length;
    }
    expect(at).toBe(whole);
  });
  it("with a page toucher, each chunk's xy/phase/baseline rows are zeroed by it before the chunk is decoded", async () => {
    const path = join(
      wrap,
      readdirSync(wrap)
        .filter((n) => n.endsWith(".bin"))
        .sort()[1]!,
    );
    const bytes = new Uint8Array(readFileSync(path));
    const options = { header: { board: 1, frame: 2, timestamp: 3 }, board: true };
    const expected = decodeGen2Arrays(bytes, options);
    const inner = bytesSource(bytes, "touched.bin");
    const fileLike = (): ByteSource => ({
      name: inner.name,
      size: inner.size,
      read: () => Promise.reject(new Error("read() must not be used when readInto() is there")),
      readInto: async (offset, target) => inner.readIntoSync!(offset, target),
    });
    let failAt = Number.POSITIVE_INFINITY;
    let calls = 0;
    const touched: { buffer: ArrayBufferLike; start: number; end: number }[] = [];
    // Zeroes late (a few event-loop turns, later calls sooner): had the decoder not waited for it, the
    // zeros would land on rows already decoded and the result would differ.
    const touch = (targets: Uint8Array[]): Promise<void> =>
      new Promise((resolve, reject) => {
        const call = calls++;
        const done = (): void => {
          if (call >= failAt) {
            reject(new Error("no more memory"));
            return;
          }
          for (const t of targets) {
            t.fill(0);
            touched.push({ buffer: t.buffer, start: t.byteOffset, end: t.byteOffset + t.byteLength });
          }
          resolve();
        };
        const later = (turns: number): unknown => (turns === 0 ? done() : setImmediate(() => later(turns - 1)));
        later(4 - (call % 4));
      });
    for (const chunkBytes of [8, 24, 1000, 1 << 20]) {
      touched.length = 0;
      const r = await decodeGen2FileSourceArrays(fileLike(), { ...options, chunkBytes }, touch);
      expect(r).toEqual(expected);
      // The touches cover each of the three columns exactly once, from row 0 to the last word.
      for (const column of [r.photons.xy, r.photons.phase, r.photons.baseline]) {
        const mine = touched.filter((t) => t.buffer === column.buffer).sort((a, b) => a.start - b.start);
        expect(mine[0]!.start).toBe(column.byteOffset);
        for (let i = 1; i < mine.length; i++) expect(mine[i]!.start).toBe(mine[i - 1]!.end);
        expect(mine.at(-1)!.end).toBe(column.byteOffset + (bytes.byteLength / 8) * column.BYTES_PER_ELEMENT);
      }
      expect(new Set(touched.map((t) => t.buffer)).size).toBe(3);
    }
    calls = 0;
    failAt = 2;
    const error = await decodeGen2FileSourceArrays(fileLike(), { chunkBytes: 1000 }, touch).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "Gen2BinError", code: "GEN2_IO", path: "touched.bin", byteOffset: 2000 });
    expect((error as Error).message).toContain("no more memory");
  });

  it("a failing source → GEN2_IO naming the source and the byte offset; a missing file → GEN2_FILE_NOT_FOUND", async () => {
    const bytes = new Uint8Array(readFileSync(join(TESTDATA, "extremes.bin")));
    const error = await decodeGen2SourceArrays(failingSource(bytes, 1), { chunkBytes: 16 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "Gen2BinError", code: "GEN2_IO", path: "flaky.bin", byteOffset: 16 });
    const empty = await decodeGen2SourceArrays(new Blob([])).catch((e: unknown) => e);
    expect(empty).toMatchObject({ code: "GEN2_EMPTY_FILE" });
    const partial = await decodeGen2SourceArrays(concatBytes(bytes, hex("01 02"))).catch((e: unknown) => e);
    expect(partial).toMatchObject({ code: "GEN2_PARTIAL_WORD" });
    await expect(readGen2FileArrays(join(tmp.path, "missing.bin"))).rejects.toMatchObject({ code: "GEN2_FILE_NOT_FOUND" });
    await expect(async () => {
      for await (const _ of iterateGen2Batches(failingSource(bytes, 0))) void _;
    }).rejects.toMatchObject({ code: "GEN2_IO", byteOffset: 0 });
  });

  it("iterateGen2Batches over a byte source streams what the path gives", async () => {
    const path = join(
      plain,
      readdirSync(plain)
        .filter((n) => n.endsWith(".bin"))
        .sort()[0]!,
    );
    const bytes = new Uint8Array(readFileSync(path));
    const count = async (input: Parameters<typeof iterateGen2Batches>[0]) => {
      let n = 0;
      for await (const b of iterateGen2Batches(input, { batchBytes: 64 * 1024 })) n += b.photons.numRows;
      return n;
    };
    expect(await count(bytesSource(bytes))).toBe(await count(path));
  });
});

describe("scanGen2Headers", () => {
  it("finds the first and last header of a file and of bytes (split frame: first header after continuation words)", async () => {
    const files = readdirSync(wrap)
      .filter((n) => n.endsWith(".bin"))
      .sort();
    for (const [i, name] of files.entries()) {
      const bytes = new Uint8Array(readFileSync(join(wrap, name)));
      const span = await scanGen2Headers(bytes);
      const m = wrapManifest.files[i]!;
      expect(span?.first.timestamp).toBe(m.first_header_ts);
      expect(span?.last.timestamp).toBe(m.last_header_ts);
      expect(span?.firstByteOffset).toBe(m.leading_continuation_words * 8);
    }
    expect(await scanGen2Headers(hex("7f ff ff ff ff ff ff ff"))).toBeNull();
    expect(await scanGen2Headers(new Uint8Array(0))).toBeNull();
    await expect(scanGen2Headers(failingSource(hex("ff 00 00 00 00 00 00 01"), 0))).rejects.toMatchObject({ code: "GEN2_IO" });
  });
});

describe("BinSourceDirectory: the same results as BinDirectory, without a cache", () => {
  for (const which of ["plain", "wrap"] as const) {
    it(`${which}: scan, file selection and time-range reads equal BinDirectory's (across the wrap)`, async () => {
      const binDir = which === "plain" ? plain : wrap;
      const cached = await BinDirectory.open(binDir, join(tmp.path, `pq-${which}`), { workers: 0 });
      const source = await BinSourceDirectory.open(await openDirectorySource(binDir), { maxRowsPerPass: 5000 });
      const scan = await scanGen2Directory(binDir);
      expect(source.files.map((f) => ({ ...f, path: join(binDir, f.path) }))).toEqual(scan.files);
      expectSameRead(await source.readAll(), await cached.readAll());
      const t0 = source.files[0]!.range.startUs;
      const ranges =
        which === "wrap"
          ? [
              new TimestampRange(GEN2_WRAP_US - 700_000, 400_000),
              new TimestampRange(0, 1),
              new TimestampRange(GEN2_WRAP_US - 5, GEN2_WRAP_US - 1),
            ]
          : [new TimestampRange(t0 + 500_000, t0 + 1_700_000), new TimestampRange(t0, t0)];
      for (const range of ranges) {
        const a = await source.readTimerange(range);
        const b = await cached.readTimerange(range);
        expectSameRead(a, b);
        expect(a.files.map((p) => join(binDir, p))).toEqual(source.filesForTimerange(range).map((f) => join(binDir, f.path)));
        expect(cached.filesForTimerange(range).map((f) => f.index)).toEqual(source.filesForTimerange(range).map((f) => f.index));
        let streamed = 0;
        for await (const t of source.streamTimerange(range)) streamed += t.numRows;
        expect(streamed).toBe(b.photons.numRows);
      }
      const [many] = await source.readTimeranges([ranges[0]!]);
      expectSameRead(many!, await cached.readTimerange(ranges[0]!));
    });
  }

  it("over a dropped folder (File objects with relative paths): checksum of the manifest", async () => {
    const files = readdirSync(wrap).map((name) =>
      Object.assign(new File([readFileSync(join(wrap, name))], name), { webkitRelativePath: `night/${name}` }),
    );
    const dir = await BinSourceDirectory.open(fileListDirectory(files));
    const all = await dir.readAll();
    const cols = (t: Table, n: string) => t.getChild(n)!.toArray();
    const checksum = gen2Checksum(
      {
        xy: cols(all.photons, "xy"),
        timestamp: cols(all.photons, "timestamp"),
        phase: cols(all.photons, "phase"),
        baseline: cols(all.photons, "baseline"),
      },
      {
        x: cols(all.wide, "x"),
        y: cols(all.wide, "y"),
        timestamp: cols(all.wide, "timestamp"),
        phase: cols(all.wide, "phase"),
        baseline: cols(all.wide, "baseline"),
      },
    );
    expect({ photons: all.photons.numRows + all.wide.numRows, checksum }).toEqual({
      photons: wrapManifest.total_photons,
      checksum: wrapManifest.checksum,
    });
    const decoded = await dir.decodeFile(dir.files[1]!);
    expect(decoded.stats.photons + decoded.stats.widePhotons).toBe(wrapManifest.files[1]!.photons);
    expect((await scanGen2Source(fileListDirectory(files))).files.map((f) => f.name)).toEqual(wrapManifest.files.map((f) => f.name));
  });

  it("bad folders → GEN2_NO_FILES (with the skipped files) and GEN2_IO for a failing file", async () => {
    const empty = fileListDirectory([new File([], "a.bin"), new File(["abc"], "b.bin"), new File(["x"], "notes.txt")], "night");
    await expect(BinSourceDirectory.open(empty)).rejects.toMatchObject({ code: "GEN2_NO_FILES" });
    const bytes = new Uint8Array(readFileSync(join(TESTDATA, "binney_test_packet.bin")));
    let opened = 0;
    const broken = {
      name: "broken",
      list: async () => [{ path: "1.bin", kind: "file" as const, size: bytes.length, mtimeMs: 0 }],
      // the scan's open reads fine; the file fails when it is decoded
      open: async () => failingSource(bytes, opened++ === 0 ? 99 : 0),
    };
    const dir = await BinSourceDirectory.open(broken);
    await expect(dir.readAll()).rejects.toMatchObject({ code: "GEN2_IO", path: "1.bin" });
  });
});

describe("serializer to bytes", () => {
  it("serializeToBytes gives the bytes serialize writes, and they decode back", async () => {
    const photons = {
      xy: Uint16Array.from([0x0102, 0x0304, 0x0102]),
      timestamp: BigInt64Array.from([1_000_000n, 1_000_250n, 2_500_000n]),
      phase: Int32Array.from([5, -6, 7]),
      baseline: Int32Array.from([-1, 2, -3]),
    };
    const board2pixel = { 3: [0x0102, 0x0304] };
    const files = new main.BinSerializer({ board2pixel, year: 2024 }).serializeToBytes(photons);
    const dir = join(tmp.path, "ser");
    const written = await new BinSerializer({ directory: dir, board2pixel, year: 2024 }).serialize(photons);
    expect(written.map((p) => p.slice(dir.length + 1))).toEqual(files.map((f) => f.name));
    for (const [i, f] of files.entries()) expect(new Uint8Array(readFileSync(written[i]!))).toEqual(f.bytes);
    const back = await decodeGen2SourceArrays(new Blob(files.map((f) => f.bytes as BlobPart)));
    expect([...back.photons.timestamp]).toEqual([...photons.timestamp]);
    // the range is claimed once the bytes are returned; bad input is a coded error
    const serializer = new main.BinSerializer({ board2pixel, year: 2024 });
    serializer.serializeToBytes(photons);
    expect(() => serializer.serializeToBytes(photons)).toThrow(expect.objectContaining({ code: "GEN2_RANGE_OVERLAP" }));
    expect(() => serializer.serializeToBytes({ ...photons, xy: Uint16Array.from([9, 9, 9]) })).toThrow(
      expect.objectContaining({ code: "GEN2_UNMAPPED_PIXEL" }),
    );
  });
});
