import { readdir, readFile, writeFile, rm, cp } from "node:fs/promises";
import { join } from "node:path";
import {
  RecordBatch,
  Table,
  tableFromArrays,
  FixedSizeList,
  Field,
  Int16,
  makeData,
  Struct,
  Schema,
  Int64,
  Float32,
  TimestampMicrosecond,
  vectorFromArray,
} from "apache-arrow";
import { afterEach, describe, expect, it } from "vitest";
import {
  arrowSchemaToDtype,
  type Chunk,
  compressChunk,
  DataDirectory,
  decompressChunk,
  formatDtype,
  iterateChunks,
  loadTable,
  parseDtype,
  parsePythonJson,
  putArrow,
  recordBatchToRows,
  rowsToRecordBatch,
} from "../src/node.js";
import { copyFolder, removeDir, STRAX, tempDir } from "./helpers.js";

const cleanup: string[] = [];
afterEach(async () => {
  while (cleanup.length) await removeDir(cleanup.pop()!);
});

async function temp(): Promise<string> {
  const p = await tempDir();
  cleanup.push(p);
  return p;
}

async function copy(folder: string): Promise<DataDirectory> {
  const path = await copyFolder(join(STRAX, folder));
  cleanup.push(path);
  return new DataDirectory(path);
}

async function collect(it: AsyncIterable<Chunk>): Promise<Chunk[]> {
  const out: Chunk[] = [];
  for await (const c of it) out.push(c);
  return out;
}

const VOLATILE = new Set(["writing_started", "writing_ended", "filesize", "strax_version", "daqkit_writer"]);
function stripVolatile(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripVolatile);
  if (v && typeof v === "object" && v.constructor === Object) {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => !VOLATILE.has(k))
        .map(([k, x]) => [k, stripVolatile(x)]),
    );
  }
  return v;
}

describe("writing reproduces strax's layout", () => {
  it.each([
    ["v2/main", "0", "records", "blosc"],
    ["v2/main", "0", "peaks", "blosc"],
    ["v2/compressors/zstd", "0", "records", "zstd"],
    ["v2/compressors/lz4", "0", "records", "lz4"],
    ["v2/empty", "5", "records", "blosc"],
    ["v2/epoch", "1", "records", "blosc"],
  ] as const)("%s %s %s", async (folder, runId, type, compressor) => {
    const src = new DataDirectory(join(STRAX, folder), { readonly: true });
    const stored = (await src.findData(runId, type))!;
    const out = new DataDirectory(await temp());
    const w = await out.openWriter({
      key: { runId, dataType: type },
      dtype: stored.dtype,
      dataKind: stored.metadata.dataKind,
      compressor,
      lineage: stored.metadata.lineage,
    });
    expect(w.folderName).toBe(stored.folder);
    for await (const c of src.iterateStored(stored)) await w.write(c);
    await w.close();
    const files = (await readdir(join(out.path, stored.folder))).sort();
    expect(files).toEqual((await readdir(stored.path)).sort());
    const mine = parsePythonJson(
      await readFile(join(out.path, stored.folder, `${type}-${stored.metadata.lineageHash}-metadata.json`), "utf8"),
    );
    const theirs = parsePythonJson(await readFile(stored.metadataPath, "utf8"));
    expect(stripVolatile(mine)).toEqual(stripVolatile(theirs));
    const back = await collect(iterateChunks(out, runId, type));
    const orig = await collect(iterateChunks(src, runId, type));
    expect(Buffer.compare(Buffer.concat(back.map((c) => c.data)), Buffer.concat(orig.map((c) => c.data)))).toBe(0);
    // strax framing: blosc header 02 01 …, LZ4 frame magic, zstd frame magic.
    const first = back.find((c) => c.n > 0);
    if (first) {
      const file = await readFile(join(out.path, stored.folder, `${type}-${stored.metadata.lineageHash}-000000`));
      const magic = { blosc: [2], zstd: [0x28, 0xb5, 0x2f, 0xfd], lz4: [0x04, 0x22, 0x4d, 0x18] }[compressor];
      expect([...file.subarray(0, magic.length)]).toEqual(magic);
    }
  });

  it("codecs round-trip and bz2 is read-only", async () => {
    const raw = new Uint8Array(100_000).map((_, i) => (i * 7919) % 251);
    for (const c of ["blosc", "zstd", "lz4"] as const) {
      expect(Buffer.compare(await decompressChunk(c, await compressChunk(c, raw), { expectedBytes: raw.length }), raw)).toBe(0);
    }
    await expect(compressChunk("bz2", raw)).rejects.toMatchObject({ code: "RUNS_UNKNOWN_COMPRESSOR" });
  });

  it("overwrite policy: never / if_broken / always", async () => {
    const dir = await copy("v2/main");
    const stored = (await dir.findData("0", "records"))!;
    const open = (overwrite: "never" | "if_broken" | "always") =>
      dir.openWriter({ key: { runId: "0", dataType: "records" }, dtype: stored.dtype, lineage: stored.metadata.lineage, overwrite });
    await expect(open("never")).rejects.toMatchObject({ code: "RUNS_DATA_EXISTS" });
    await expect(open("if_broken")).rejects.toMatchObject({ code: "RUNS_DATA_EXISTS" });
    const w = await open("always");
    for await (const c of dir.iterateStored(stored)) if (c.start < 5n) await w.write(c);
    // Until close, the old data is intact.
    expect((await dir.findData("0", "records"))!.metadata.chunks.length).toBe(10);
    await w.close();
    expect((await dir.findData("0", "records"))!.metadata.chunks.length).toBe(5);
    // Broken data (no writing_ended) may be replaced under if_broken.
    const meta = join(stored.path, "records-j3nd2fjbiq-metadata.json");
    await writeFile(meta, (await readFile(meta, "utf8")).replace(/"writing_ended": [0-9.]+,/, ""));
    expect(await dir.isStored("0", "records")).toBe(false);
    await expect(dir.requireData("0", "records")).rejects.toMatchObject({ code: "RUNS_BAD_METADATA" });
    const w2 = await open("if_broken");
    await w2.abort();
    expect(await readdir(dir.path)).not.toContain("0-records-j3nd2fjbiq_temp");
  });
});

describe("bad input gives coded errors", () => {
  it("corrupt chunk", async () => {
    const dir = await copy("v2/main");
    const stored = (await dir.findData("1", "records"))!;
    const file = join(stored.path, "records-j3nd2fjbiq-000003");
    const bytes = await readFile(file);
    bytes[40] = bytes[40]! ^ 0xff;
    bytes[41] = bytes[41]! ^ 0x55;
    await writeFile(file, bytes);
    await expect(loadTable(dir, "1", "records")).rejects.toMatchObject({
      code: "RUNS_CORRUPT_CHUNK",
      chunkIndex: 3,
      runId: "1",
      dataType: "records",
    });
  });

  it("truncated chunk", async () => {
    const dir = await copy("v2/main");
    const file = join((await dir.findData("1", "peaks"))!.path, "peaks-xia2iit6vb-000000");
    await writeFile(file, (await readFile(file)).subarray(0, 100));
    await expect(loadTable(dir, "1", "peaks")).rejects.toMatchObject({ code: "RUNS_CORRUPT_CHUNK" });
  });

  it("wrong compressor in the metadata", async () => {
    for (const [to, code] of [
      ["zstd", "RUNS_CORRUPT_CHUNK"],
      ["lz4", "RUNS_CORRUPT_CHUNK"],
      ["bz2", "RUNS_CORRUPT_CHUNK"],
      ["snappy", "RUNS_UNKNOWN_COMPRESSOR"],
    ] as const) {
      const dir = await copy("v2/main");
      const stored = (await dir.findData("0", "records"))!;
      await writeFile(
        stored.metadataPath,
        (await readFile(stored.metadataPath, "utf8")).replace('"compressor": "blosc"', `"compressor": "${to}"`),
      );
      await expect(loadTable(dir, "0", "records"), to).rejects.toMatchObject({ code });
    }
    const dir = await copy("v2/compressors/zstd");
    const stored = (await dir.findData("0", "records"))!;
    await writeFile(
      stored.metadataPath,
      (await readFile(stored.metadataPath, "utf8")).replace('"compressor": "zstd"', '"compressor": "blosc"'),
    );
    await expect(loadTable(dir, "0", "records")).rejects.toMatchObject({ code: "RUNS_CORRUPT_CHUNK" });
  });

  it("chunk list and files disagree", async () => {
    const dir = await copy("v2/main");
    const stored = (await dir.findData("2", "records"))!;
    await rm(join(stored.path, "records-j3nd2fjbiq-000004"));
    await expect(loadTable(dir, "2", "records")).rejects.toMatchObject({ code: "RUNS_CHUNK_MISSING" });
    const dir2 = await copy("v2/main");
    const s2 = (await dir2.findData("2", "records"))!;
    await cp(join(s2.path, "records-j3nd2fjbiq-000009"), join(s2.path, "records-j3nd2fjbiq-000010"));
    await expect(loadTable(dir2, "2", "records")).rejects.toMatchObject({ code: "RUNS_BAD_METADATA" });
    const dir3 = await copy("v2/main");
    const s3 = (await dir3.findData("2", "records"))!;
    await writeFile(s3.metadataPath, (await readFile(s3.metadataPath, "utf8")).replace('"n": 10,', '"n": 11,'));
    await expect(loadTable(dir3, "2", "records")).rejects.toMatchObject({ code: "RUNS_CORRUPT_CHUNK" });
  });

  it("metadata problems", async () => {
    const dir = await copy("v2/main");
    const s = (await dir.findData("0", "peaks"))!;
    const text = await readFile(s.metadataPath, "utf8");
    await writeFile(s.metadataPath, text.replace('"lineage_hash"', '"exception": "Traceback…",\n    "lineage_hash"'));
    await expect(loadTable(dir, "0", "peaks")).rejects.toMatchObject({ code: "RUNS_BAD_METADATA" });
    await writeFile(s.metadataPath, "{ not json");
    await expect(loadTable(dir, "0", "peaks")).rejects.toMatchObject({ code: "RUNS_BAD_JSON" });
    await writeFile(s.metadataPath, text.replace('"data_kind": "peaks",', ""));
    await expect(loadTable(dir, "0", "peaks")).rejects.toMatchObject({ code: "RUNS_BAD_METADATA" });
    await writeFile(s.metadataPath, text.replace(/"chunks": \[[\s\S]*?\n {4}\],/, '"chunks": [],'));
    await expect(loadTable(dir, "0", "peaks")).rejects.toMatchObject({ code: "RUNS_BAD_METADATA" });
    await rm(s.metadataPath);
    await expect(loadTable(dir, "0", "peaks")).rejects.toMatchObject({ code: "RUNS_METADATA_MISSING" });
    await expect(
      dir.readFolderMetadata({ folder: s.folder, path: s.path, runPart: "0", dataType: "peaks", lineageHash: "xia2iit6vb" }),
    ).rejects.toMatchObject({
      code: "RUNS_METADATA_MISSING",
    });
    await expect(loadTable(dir, "9", "peaks")).rejects.toMatchObject({ code: "RUNS_DATA_NOT_FOUND" });
    await expect(loadTable(dir, "_nope", "peaks")).rejects.toMatchObject({ code: "RUNS_RUN_DOC_NOT_FOUND" });
    await expect(loadTable(dir, "a-b", "peaks")).rejects.toMatchObject({ code: "RUNS_BAD_RUN_ID" });
  });

  it("a stale 1.x superrun folder is not used for a redefined superrun", async () => {
    const dir = await copy("v1/main");
    expect((await dir.findData("_superrun_test", "records"))?.layout).toBe(1);
    const doc = await dir.readRunDoc("_superrun_test");
    await dir.writeRunDoc({ ...doc, subRunSpec: doc.subRunSpec!.slice(0, 2) }, { overwrite: true });
    expect(await dir.findData("_superrun_test", "records")).toBeUndefined();
    const t = await loadTable(dir, "_superrun_test", "records");
    expect(t.numRows).toBe(200);
  });
});

describe("Arrow", () => {
  it("peaks: FixedSizeList array fields, titles as metadata, dtype round trip", async () => {
    const dir = new DataDirectory(join(STRAX, "v2/main"));
    const table = await loadTable(dir, "0", "peaks");
    const stored = (await dir.findData("0", "peaks"))!;
    const field = table.schema.fields.find((f) => f.name === "area_per_channel")!;
    expect(field.type).toBeInstanceOf(FixedSizeList);
    expect((field.type as FixedSizeList).listSize).toBe(100);
    expect(field.metadata.get("description")).toBe("Integral per channel [PE]");
    const dtype = arrowSchemaToDtype(table.schema);
    expect(formatDtype(dtype)).toBe(stored.metadata.dtype);
    const chunks = await collect(iterateChunks(dir, "0", "peaks"));
    expect(Buffer.compare(recordBatchToRows(table.batches[0]!, dtype), chunks[0]!.data)).toBe(0);
  });

  it("rows → batch → rows is exact for every scalar kind", () => {
    const descr =
      "[('time', '<i8'), ('b', '|b1'), ('i1', '|i1'), ('u2', '<u2'), ('u4', '<u4'), ('u8', '<u8'), ('f2', '<f2'), ('f8', '<f8'), ('s', '|S3'), ('u', '<U2'), ('big', '>i4'), ('ts', '<M8[ns]'), ('m', '<f4', (2, 3))]";
    const dtype = parseDtype(descr);
    const n = 7;
    const rows = new Uint8Array(n * dtype.itemsize).map((_, i) => (i * 31 + 7) % 256);
    // bools must be 0/1 and UTF-32 code points valid to survive the round trip
    const b = dtype.fields.find((f) => f.name === "b")!;
    const u = dtype.fields.find((f) => f.name === "u")!;
    const view = new DataView(rows.buffer);
    for (let r = 0; r < n; r++) {
      rows[r * dtype.itemsize + b.byteOffset] = r % 2;
      view.setUint32(r * dtype.itemsize + u.byteOffset, 65 + r, true);
      view.setUint32(r * dtype.itemsize + u.byteOffset + 4, r % 3 === 0 ? 0 : 0x263a, true);
    }
    const batch = rowsToRecordBatch(dtype, rows, n);
    expect(batch.getChild("big")!.get(0)).toBe(view.getInt32(dtype.fields.find((f) => f.name === "big")!.byteOffset, false));
    expect(batch.getChild("u")!.get(3)).toBe("D");
    expect(batch.getChild("u")!.get(1)).toBe("B\u263a");
    const again = arrowSchemaToDtype(batch.schema);
    expect(formatDtype(again)).toBe(descr);
    expect(Buffer.compare(recordBatchToRows(batch, again), rows)).toBe(0);
  });
});

describe("putArrow stores our own tables as strax data", () => {
  function photons(n: number, t0: bigint, step: bigint) {
    const time = new BigInt64Array(n).map((_, i) => t0 + BigInt(i) * step);
    const endtime = time.map((t) => t + 10n);
    const xy = new Uint16Array(n).map((_, i) => i % 1000);
    const phase = new Float32Array(n).map((_, i) => i / 7);
    return tableFromArrays({ time, endtime, xy, phase });
  }

  it("Table → stored run → same columns; strax layout and run doc", async () => {
    const dir = new DataDirectory(await temp());
    const table = photons(10_000, 1_700_000_000_000_000_000n, 1000n);
    const meta = await putArrow(dir, "night1", "photons", table, { targetSizeMb: 0.05 });
    expect(meta.chunks.length).toBeGreaterThan(3);
    expect(meta.dtype).toBe("[('time', '<i8'), ('endtime', '<i8'), ('xy', '<u2'), ('phase', '<f4')]");
    for (let i = 1; i < meta.chunks.length; i++) expect(meta.chunks[i]!.start).toBe(meta.chunks[i - 1]!.end);
    expect(meta.chunks[0]!.start).toBe(1_700_000_000_000_000_000n);
    expect(meta.chunks.at(-1)!.end).toBe(1_700_000_000_000_000_000n + 9_999_000n + 10n);
    const back = await loadTable(dir, "night1", "photons");
    expect(back.numRows).toBe(10_000);
    for (const c of ["time", "endtime", "xy", "phase"] as const) {
      expect([...back.getChild(c)!.toArray()]).toEqual([...table.getChild(c)!.toArray()]);
    }
    const doc = await dir.readRunDoc("night1");
    expect(doc.start!.getTime()).toBe(1_700_000_000_000);
    const folder = (await readdir(dir.path)).find((f) => f.startsWith("night1-photons-"))!;
    expect(folder).toMatch(/^night1-photons-[a-z2-7]{10}$/);
  });

  it("a batch stream with rows overlapping batch boundaries is chunked only where no row spans", async () => {
    const dir = new DataDirectory(await temp());
    async function* batches() {
      for (let b = 0; b < 5; b++) {
        const time = new BigInt64Array(100).map((_, i) => BigInt(b * 100 + i) * 10n);
        const endtime = time.map((t) => t + 25n); // every row overlaps the next two
        yield tableFromArrays({ time, endtime }).batches[0]!;
      }
    }
    const meta = await putArrow(dir, "r", "hits", batches(), { targetSizeMb: 0.001 });
    expect(meta.chunks.length).toBe(1);
    expect(meta.chunks[0]!.n).toBe(500);
    const t = await loadTable(dir, "r", "hits");
    expect(t.numRows).toBe(500);
  });

  it("array columns (FixedSizeList) round trip", async () => {
    const dir = new DataDirectory(await temp());
    const n = 50;
    const wave = new Int16Array(n * 4).map((_, i) => i - 100);
    const child = makeData({ type: new Int16(), length: n * 4, data: wave });
    const listType = new FixedSizeList(4, new Field("item", new Int16(), false));
    const time = new BigInt64Array(n).map((_, i) => BigInt(i) * 100n);
    const fields = [
      new Field("time", new Int64(), false),
      new Field("length", new Int16(), false),
      new Field("dt", new Int16(), false),
      new Field("wave", listType, false),
    ];
    const data = makeData({
      type: new Struct(fields),
      length: n,
      children: [
        makeData({ type: new Int64(), length: n, data: time }),
        makeData({ type: new Int16(), length: n, data: new Int16Array(n).fill(4) }),
        makeData({ type: new Int16(), length: n, data: new Int16Array(n).fill(10) }),
        makeData({ type: listType, length: n, child }),
      ],
    });
    const table = new Table(new RecordBatch(new Schema(fields), data));
    await putArrow(dir, "1", "wf", table);
    const back = await loadTable(dir, "1", "wf");
    expect([...(back.getChild("wave")!.data[0]!.children[0]!.values as Int16Array)]).toEqual([...wave]);
  });

  it.each([
    ["no time column", () => tableFromArrays({ x: new Float32Array(3) }), "RUNS_BAD_DTYPE"],
    ["no end", () => tableFromArrays({ time: new BigInt64Array(3) }), "RUNS_BAD_DTYPE"],
    ["unsorted", () => tableFromArrays({ time: new BigInt64Array([5n, 3n]), endtime: new BigInt64Array([6n, 4n]) }), "RUNS_BAD_CHUNK"],
    [
      "µs timestamps as time",
      () =>
        new Table({
          time: vectorFromArray([1, 2], new TimestampMicrosecond()),
          endtime: vectorFromArray([2, 3], new TimestampMicrosecond()),
        }),
      "RUNS_UNSUPPORTED_TYPE",
    ],
    [
      "strings",
      () => tableFromArrays({ time: new BigInt64Array([1n]), endtime: new BigInt64Array([2n]), s: ["a"] }),
      "RUNS_UNSUPPORTED_TYPE",
    ],
  ] as const)("%s → %s, nothing written", async (_what, make, code) => {
    const dir = new DataDirectory(await temp());
    await expect(putArrow(dir, "1", "x", make() as Table)).rejects.toMatchObject({ code });
    expect(await readdir(dir.path)).toEqual([]);
  });

  it("refuses superrun ids and existing data", async () => {
    const dir = new DataDirectory(await temp());
    const t = tableFromArrays({ time: new BigInt64Array([1n]), endtime: new BigInt64Array([2n]), a: new Float32Array([1]) });
    await expect(putArrow(dir, "_s", "x", t)).rejects.toMatchObject({ code: "RUNS_BAD_RUN_ID" });
    await putArrow(dir, "1", "x", t);
    await expect(putArrow(dir, "1", "x", t)).rejects.toMatchObject({ code: "RUNS_DATA_EXISTS" });
    await expect(putArrow(dir, "1", "x", t, { overwrite: "always" })).resolves.toBeDefined();
    void rowsToRecordBatch;
    void Float32;
  });
});
