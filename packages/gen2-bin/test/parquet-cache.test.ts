import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { bytesSource, IoError } from "@daqkit/io";
import { join } from "node:path";
import type { Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { photonTable } from "../src/arrow-tables.js";
import { BinDirectory } from "../src/node.js";
import { writeParquetTables } from "../src/parquet-io.js";
import { emptyPhotonTable, sortGen2Source } from "../src/sorted-photons.js";
import { writeTableArrow, writeTableParquet } from "../src/table-files.js";
import { gen2Make, type Manifest, tempDir } from "./helpers.js";

let tmp: ReturnType<typeof tempDir>;
let bins: string;
let manifest: Manifest;

beforeAll(() => {
  tmp = tempDir("gen2-cache-");
  bins = join(tmp.path, "bins");
  manifest = gen2Make(bins, "--photons", "20000", "--seconds", "2");
});
afterAll(() => tmp.cleanup());

function photons(n: number, from = 0): Table {
  return photonTable({
    xy: new Uint16Array(n).map((_, i) => (from + i) & 0xffff),
    timestamp: new BigInt64Array(n).map((_, i) => BigInt(from + i)),
    phase: new Int32Array(n),
    baseline: new Int32Array(n),
  });
}

describe("Parquet cache writes (issue 13: a failed conversion must not leave a cache file)", () => {
  it("a source that throws half way leaves nothing under the final name, and the next run reconverts", async () => {
    const cache = join(tmp.path, "pq");
    const dir = await BinDirectory.open(bins, cache, { workers: 0 });
    const target = dir.files[0]!;
    // What a conversion does when its sorted-photon source fails after the first batches.
    async function* failing(): AsyncGenerator<Table> {
      yield photons(5000);
      yield photons(5000, 5000);
      throw new Error("decode failed half way");
    }
    await expect(writeParquetTables(target.parquetPath, failing(), photons(0))).rejects.toMatchObject({ code: "GEN2_PARQUET" });
    expect(existsSync(target.parquetPath)).toBe(false);
    expect(readdirSync(cache).filter((n) => n.endsWith(".tmp"))).toEqual([]);

    // No stale cache is trusted afterwards: the file is converted, not reported as cached.
    const again = await BinDirectory.open(bins, cache, { workers: 0 });
    const result = await again.readAll();
    expect(again.results.get(0)).not.toBe("cached");
    expect(result.photons.numRows + result.wide.numRows).toBe(manifest.total_photons);
  });

  it("a conversion whose .bin byte source fails half way through the sorted passes leaves nothing under the final name", async () => {
    const cache = join(tmp.path, "pq-src");
    const dir = await BinDirectory.open(bins, cache, { workers: 0 });
    const target = dir.files[0]!;
    const inner = bytesSource(new Uint8Array(readFileSync(target.path)), target.path);
    let reads = 0;
    // Read 0 is the counting pass, reads 1 and 2 the first two sort passes (their row groups are
    // written), read 3 fails: the disk went away half way through the Parquet file.
    const flaky = {
      ...inner,
      read: async (offset: number, length: number) => {
        if (reads++ === 3) throw new IoError("IO_FAILED", "io: the disk went away", { path: target.path, offset });
        return inner.read(offset, length);
      },
    };
    const sorted = await sortGen2Source(flaky, { header: null, maxRowsPerPass: 2000 });
    await expect(writeParquetTables(target.parquetPath, sorted.tables(), emptyPhotonTable())).rejects.toMatchObject({
      code: "GEN2_IO",
      path: target.path,
    });
    expect(reads).toBe(4);
    expect(existsSync(target.parquetPath)).toBe(false);
    expect(readdirSync(cache).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    const again = await BinDirectory.open(bins, cache, { workers: 0 });
    await again.convertAll();
    expect(again.results.get(0)).not.toBe("cached");
    const r = again.results.get(0);
    expect(r !== "cached" && r?.checksum).toBe(manifest.files[0]!.checksum);
  });

  it("a Gen2BinError from the source keeps its code; an older file stays as it was", async () => {
    const out = join(tmp.path, "keep.parquet");
    await writeTableParquet(out, photons(10));
    const { Gen2BinError } = await import("../src/errors.js");
    async function* failing(): AsyncGenerator<Table> {
      yield photons(10);
      throw new Gen2BinError("GEN2_PARTIAL_WORD", "gen2: trailing partial word");
    }
    await expect(writeParquetTables(out, failing(), photons(0))).rejects.toMatchObject({ code: "GEN2_PARTIAL_WORD" });
    const back = await BinDirectory.open(bins, join(tmp.path, "pq2"), { workers: 0 });
    expect(back.files.length).toBeGreaterThan(0);
    expect(readdirSync(tmp.path).filter((n) => n.startsWith(".keep"))).toEqual([]);
  });

  it("removes temporaries left by dead writers (old and new naming schemes), never a live writer's", async () => {
    const out = join(tmp.path, "t.arrow");
    const dead = Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
    writeFileSync(join(tmp.path, `.t.arrow.${dead}-0a1b2c3d.tmp`), "torn");
    writeFileSync(join(tmp.path, `.t.arrow.${process.pid}-0a1b2c3d.tmp`), "a live writer's");
    await writeTableArrow(out, photons(3));
    expect(readdirSync(tmp.path).filter((n) => n.startsWith(".t.arrow"))).toEqual([`.t.arrow.${process.pid}-0a1b2c3d.tmp`]);
  });
});
