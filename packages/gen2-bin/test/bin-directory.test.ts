import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GEN2_WRAP_US, TimestampRange } from "@daqkit/timestamps";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BinDirectory, decodeGen2Arrays, type Gen2DecodedArrays } from "../src/node.js";
import { duckChecksum, duckTypes, duckUnsortedRows } from "./duckdb.js";
import { bundleForNode, gen2Make, type Manifest, TESTDATA, tempDir } from "./helpers.js";

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  await expect(p).rejects.toMatchObject({ code });
}

let tmp: ReturnType<typeof tempDir>;
let plain: string;
let plainManifest: Manifest;
let wrap: string;
let wrapManifest: Manifest;

beforeAll(() => {
  tmp = tempDir("gen2-dir-");
  plain = join(tmp.path, "plain");
  plainManifest = gen2Make(plain, "--photons", "200000", "--seconds", "3");
  wrap = join(tmp.path, "wrap");
  wrapManifest = gen2Make(wrap, "--photons", "30000", "--seconds", "4", "--wrap", "--split-frame");
});
afterAll(() => tmp.cleanup());

describe("BinDirectory on gen2_make.py directories", () => {
  it("scans files in name order with µs ranges (spec §8.1 corrected)", async () => {
    const dir = await BinDirectory.open(plain, join(tmp.path, "pq-plain"), { workers: 0 });
    expect(dir.files.map((f) => f.name)).toEqual(plainManifest.files.map((f) => f.name));
    const [f0, f1, f2] = dir.files;
    expect(f0!.range.startUs).toBe(plainManifest.files[0]!.first_header_ts * 500);
    expect(f0!.range.stopUs).toBe(plainManifest.files[1]!.first_header_ts * 500);
    expect(f2!.range.stopUs).toBe(plainManifest.files[2]!.last_header_ts * 500 + 499);
    expect(f1!.parquetPath).toBe(join(tmp.path, "pq-plain", `${f1!.range.startUs}-${f1!.range.stopUs}-1.parquet`));
    expect(dir.skipped).toEqual([]);
  });

  it("convertAll: DuckDB reads counts and checksum equal to the manifest, rows sorted by (xy, timestamp)", async () => {
    const dir = await BinDirectory.open(plain, join(tmp.path, "pq-plain"), { workers: 0 });
    const ticks: number[] = [];
    const dir2 = await BinDirectory.open(plain, join(tmp.path, "pq-plain"), { workers: 0, progress: (d) => ticks.push(d) });
    const paths = await dir2.convertAll();
    expect(ticks).toEqual([1, 2, 3]);
    expect(paths).toEqual(dir.files.map((f) => f.parquetPath));
    expect(await duckChecksum(paths)).toEqual({ photons: 200000, checksum: "89c6de71f04f77e1" });
    for (const [i, f] of plainManifest.files.entries()) {
      expect(await duckChecksum([paths[i]!])).toEqual({ photons: f.photons, checksum: f.checksum });
      expect(await duckUnsortedRows(paths[i]!)).toBe(0);
    }
    expect(await duckTypes(paths[0]!)).toEqual({ xy: "USMALLINT", timestamp: "BIGINT", phase: "INTEGER", baseline: "INTEGER" });
    expect(readdirSync(join(tmp.path, "pq-plain")).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("reuses up-to-date Parquet files; overwrite and a newer bin file reconvert (on every call, D14)", async () => {
    const cache = join(tmp.path, "pq-plain");
    const dir = await BinDirectory.open(plain, cache, { workers: 0 });
    await dir.convertAll();
    expect([...dir.results.values()]).toEqual(["cached", "cached", "cached"]);
    await dir.convertAll({ overwrite: true });
    expect([...dir.results.values()].every((r) => r !== "cached")).toBe(true);
    await dir.convertAll();
    expect(dir.results.get(1)).toBe("cached");
    const future = new Date(Date.now() + 5000);
    utimesSync(dir.files[1]!.path, future, future);
    await dir.convertAll();
    expect(dir.results.get(0)).toBe("cached");
    expect(dir.results.get(1)).not.toBe("cached");
  });

  it("convertSome converts only the given files, with the manifest's per-file checksums; a foreign file is refused", async () => {
    const cache = join(tmp.path, "pq-some");
    const dir = await BinDirectory.open(plain, cache, { workers: 0 });
    const paths = await dir.convertSome([dir.files[2]!, dir.files[0]!]);
    expect(paths).toEqual([dir.files[2]!.parquetPath, dir.files[0]!.parquetPath]);
    expect(existsSync(dir.files[1]!.parquetPath)).toBe(false);
    for (const i of [0, 2]) {
      const f = plainManifest.files[i]!;
      expect(await duckChecksum([dir.files[i]!.parquetPath])).toEqual({ photons: f.photons, checksum: f.checksum });
    }
    const other = await BinDirectory.open(wrap, join(tmp.path, "pq-some-wrap"), { workers: 0 });
    await expectCode(dir.convertSome([other.files[0]!]), "GEN2_BAD_ARGUMENT");
  });

  it("multi-pass sort and worker threads give identical Parquet content", async () => {
    const script = await bundleForNode("convert-worker.mjs", "convert-worker.ts");
    const dir = await BinDirectory.open(plain, join(tmp.path, "pq-workers"), { workers: 2, workerScript: script, maxRowsPerPass: 7000 });
    const paths = await dir.convertAll();
    expect(await duckChecksum(paths)).toEqual({ photons: 200000, checksum: "89c6de71f04f77e1" });
    for (const p of paths) expect(await duckUnsortedRows(p)).toBe(0);
    const r = dir.results.get(0);
    expect(r && r !== "cached" ? r.checksum : null).toBe(plainManifest.files[0]!.checksum);
  });

  it("across the counter wrap with a split frame: order by name, wrapped ranges, manifest checksums", async () => {
    const dir = await BinDirectory.open(wrap, join(tmp.path, "pq-wrap"), { workers: 0 });
    expect(dir.files.map((f) => f.name)).toEqual(wrapManifest.files.map((f) => f.name));
    expect(dir.files.some((f) => f.range.wraps)).toBe(true);
    const paths = await dir.convertAll();
    expect(await duckChecksum(paths)).toEqual({ photons: wrapManifest.total_photons, checksum: wrapManifest.checksum });
    for (const [i, f] of wrapManifest.files.entries()) {
      expect(await duckChecksum([paths[i]!])).toEqual({ photons: f.photons, checksum: f.checksum });
    }
  });

  it("readTimerange across the wrap returns exactly the photons inside, and the file list", async () => {
    const dir = await BinDirectory.open(wrap, join(tmp.path, "pq-wrap"), { workers: 0 });
    const range = new TimestampRange(GEN2_WRAP_US - 700_000, 400_000);
    const got = await dir.readTimerange(range);
    // Reference: decode every file in order and filter.
    let header = null;
    const expected: number[] = [];
    for (const f of dir.files) {
      const r: Gen2DecodedArrays = decodeGen2Arrays(readFileSync(f.path), { header });
      header = r.lastHeader;
      for (const t of r.photons.timestamp) if (range.inside(t)) expected.push(Number(t));
    }
    const ts = [...(got.photons.getChild("timestamp")!.toArray() as BigInt64Array)].map(Number);
    expect(ts.length).toBe(expected.length);
    expect(ts.sort((a, b) => a - b)).toEqual(expected.sort((a, b) => a - b));
    expect(got.files.length).toBeGreaterThan(0);
    expect(got.files.length).toBeLessThan(dir.files.length + 1);
    const all = await dir.readAll();
    expect(all.photons.numRows).toBe(wrapManifest.total_photons);
    const [a, b] = await dir.readTimeranges([range, new TimestampRange(0, 1)]);
    expect(a!.photons.numRows).toBe(expected.length);
    expect(b!.files.length).toBeGreaterThan(0);
    let streamed = 0;
    for await (const t of dir.streamTimerange(range)) streamed += t.numRows;
    expect(streamed).toBe(expected.length);
  });

  it("convertTimerange: µs file ranges with the 10 ms overlap allowance (D7)", async () => {
    const dir = await BinDirectory.open(plain, join(tmp.path, "pq-plain"), { workers: 0 });
    const last = dir.files[2]!;
    const after = (us: number) => new TimestampRange(last.range.stopUs + us, last.range.stopUs + us);
    expect(await dir.convertTimerange(after(5_000))).toEqual([last.parquetPath]);
    expect(await dir.convertTimerange(after(20_000))).toEqual([]);
    const mid = dir.files[1]!.range.startUs + 400_000;
    expect(await dir.convertTimerange(new TimestampRange(mid, mid + 1))).toEqual([dir.files[1]!.parquetPath]);
    // binney's half-ms ranges (D7) would match nothing for a realistic µs range like this one
    expect(mid).toBeGreaterThan(2 ** 36);
  });

  it("keeps photons with x or y ≥ 256 in wide/ Parquet files", async () => {
    const bins = join(tmp.path, "extremes");
    mkdirSync(bins);
    copyFileSync(join(TESTDATA, "extremes.bin"), join(bins, "100.bin"));
    const dir = await BinDirectory.open(bins, join(tmp.path, "pq-extremes"), { workers: 0 });
    const all = await dir.readAll();
    expect(all.photons.numRows).toBe(5);
    expect(all.wide.numRows).toBe(1);
    expect(all.wideFiles).toEqual([dir.files[0]!.widePath]);
    expect(all.wide.get(0)!.toJSON()).toMatchObject({ x: 767, y: 1023, timestamp: 7n });
  });
});

describe("BinDirectory bad input", () => {
  it("missing directory → GEN2_DIR_NOT_FOUND; no bin files → GEN2_NO_FILES", async () => {
    await expectCode(BinDirectory.open(join(tmp.path, "nope"), join(tmp.path, "pq-x")), "GEN2_DIR_NOT_FOUND");
    const empty = join(tmp.path, "no-bins");
    mkdirSync(empty);
    writeFileSync(join(empty, "notes.txt"), "x");
    await expectCode(BinDirectory.open(empty, join(tmp.path, "pq-x")), "GEN2_NO_FILES");
    writeFileSync(join(empty, "1.bin"), "");
    await expectCode(BinDirectory.open(empty, join(tmp.path, "pq-x")), "GEN2_NO_FILES");
  });

  it("lists empty, short and header-less files in `skipped` and converts the rest", async () => {
    const bins = join(tmp.path, "mixed");
    mkdirSync(bins);
    copyFileSync(join(TESTDATA, "binney_test_packet.bin"), join(bins, "10.bin"));
    writeFileSync(join(bins, "11.bin"), "");
    writeFileSync(join(bins, "12.bin"), "abc");
    writeFileSync(join(bins, "13.bin"), Buffer.from("7fffffffffffffff18c2c41ef539ef12", "hex"));
    const bad = Buffer.concat([readFileSync(join(TESTDATA, "binney_test_packet.bin")), Buffer.from("0102", "hex")]);
    writeFileSync(join(bins, "14.bin"), bad);
    const dir = await BinDirectory.open(bins, join(tmp.path, "pq-mixed"), { workers: 0 });
    expect(dir.skipped.map((s) => [s.path.slice(bins.length + 1), s.reason])).toEqual([
      ["11.bin", "empty"],
      ["12.bin", "short"],
      ["13.bin", "no-header"],
    ]);
    expect(dir.files.map((f) => f.name)).toEqual(["10.bin", "14.bin"]);
    await dir.convertAll();
    const r = dir.results.get(1);
    expect(r !== "cached" && r?.stats.trailingBytes).toBe(2);
    expect(await duckChecksum([dir.files[1]!.parquetPath])).toEqual({ photons: 5, checksum: "902342f33f6f934b" });
  });

  it("an unusable cache directory → GEN2_CACHE_UNREADABLE", async () => {
    const file = join(tmp.path, "cache-is-a-file");
    writeFileSync(file, "x");
    await expectCode(BinDirectory.open(plain, file), "GEN2_CACHE_UNREADABLE");
    await expectCode(BinDirectory.open(plain, join(file, "sub")), "GEN2_CACHE_UNREADABLE");
  });

  it("a failed write leaves no Parquet file behind (temporary name + rename)", async () => {
    const cache = join(tmp.path, "pq-fail");
    const dir = await BinDirectory.open(plain, cache, { workers: 0 });
    mkdirSync(dir.files[0]!.parquetPath); // the rename target is a directory: the write fails
    await expectCode(dir.convertAll({ overwrite: true }), "GEN2_PARQUET");
    expect(readdirSync(cache).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    expect(existsSync(dir.files[1]!.parquetPath)).toBe(false);
  });
});
