import { mkdtempSync, openAsBlob, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { type Table, tableFromArrays, tableFromIPC } from "apache-arrow";
import * as pq from "parquet-wasm";
import { afterAll, describe, expect, it } from "vitest";
import { loadParquetWasm, MemorySink, writeArrowToSink, writeParquetToSink } from "../src/index.js";
import { writeTableFile } from "../src/node.js";

const dir = mkdtempSync(join(tmpdir(), "daqkit-io-table-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function batch(start: number, n: number): Table {
  const id = new Int32Array(n).map((_, i) => start + i);
  const t = new BigInt64Array(n).map((_, i) => BigInt(start + i) * 1_000_000_000_000n);
  return tableFromArrays({ id, t });
}

async function* batches(count: number, size: number): AsyncGenerator<Table> {
  for (let k = 0; k < count; k++) yield batch(k * size, size);
}

async function readParquet(path: string): Promise<Table> {
  const file = await pq.ParquetFile.fromFile(await openAsBlob(path));
  try {
    return tableFromIPC((await file.read()).intoIPCStream());
  } finally {
    file.free();
  }
}

describe("writeTableFile", () => {
  it("streams batches into Parquet that DuckDB reads, exactly", async () => {
    const out = join(dir, "a.parquet");
    expect(await writeTableFile(out, batches(5, 1000))).toBe(5000);
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    const r = await conn.runAndReadAll(`select count(*)::int as n, sum(id)::bigint as s, max(t) as m from '${out}'`);
    expect(r.getRowObjects()[0]).toEqual({ n: 5000, s: 12497500n, m: 4999n * 1_000_000_000_000n });
    conn.closeSync();
    const back = await readParquet(out);
    expect(back.getChild("t")?.get(4999)).toBe(4999n * 1_000_000_000_000n);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("writes an Arrow IPC file", async () => {
    const out = join(dir, "a.arrow");
    expect(await writeTableFile(out, [batch(0, 10), batch(10, 5)])).toBe(15);
    const back = tableFromIPC(readFileSync(out));
    expect(back.numRows).toBe(15);
    expect(Array.from(back.getChild("id")!.toArray() as Int32Array)).toEqual(Array.from({ length: 15 }, (_, i) => i));
  });

  it("writes an Arrow IPC stream for .arrows (no ARROW1 file magic), readable as a stream", async () => {
    const out = join(dir, "a.arrows");
    expect(await writeTableFile(out, [batch(0, 10), batch(10, 5)])).toBe(15);
    const bytes = readFileSync(out);
    expect(bytes.subarray(0, 6).toString("latin1")).not.toBe("ARROW1");
    expect(bytes.readUInt32LE(0)).toBe(0xffffffff); // the stream format's continuation marker
    const back = tableFromIPC(bytes);
    expect(back.numRows).toBe(15);
    expect(back.getChild("t")?.get(14)).toBe(14n * 1_000_000_000_000n);
    const file = join(dir, "b.arrow");
    await writeTableFile(file, [batch(0, 3)]);
    expect(readFileSync(file).subarray(0, 6).toString("latin1")).toBe("ARROW1");
  });

  it("writes a schema-only file for an empty selection", async () => {
    for (const name of ["e.parquet", "e.arrow"]) {
      const out = join(dir, name);
      expect(await writeTableFile(out, [batch(0, 0)])).toBe(0);
      const back = name.endsWith(".arrow") ? tableFromIPC(readFileSync(out)) : await readParquet(out);
      expect(back.numRows).toBe(0);
      expect(back.schema.fields.map((f) => f.name)).toEqual(["id", "t"]);
    }
    expect(await writeTableFile(join(dir, "f.parquet"), [], { emptyTable: () => batch(0, 0) })).toBe(0);
  });

  it("leaves an existing file untouched and no temporary file when the input fails", async () => {
    const out = join(dir, "keep.parquet");
    writeFileSync(out, "old");
    async function* failing(): AsyncGenerator<Table> {
      yield batch(0, 10);
      throw new Error("source broke");
    }
    await expect(writeTableFile(out, failing())).rejects.toThrow("source broke");
    expect(readFileSync(out, "utf8")).toBe("old");
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("leaves nothing under the final name when the source throws half way (Parquet and Arrow)", async () => {
    for (const name of ["half.parquet", "half.arrow"]) {
      const out = join(dir, name);
      async function* failing(): AsyncGenerator<Table> {
        for (let k = 0; k < 3; k++) yield batch(k * 1000, 1000);
        throw new Error("source broke half way");
      }
      await expect(writeTableFile(out, failing())).rejects.toThrow("source broke half way");
      expect(readdirSync(dir).filter((f) => f.startsWith(".half") || f.startsWith("half"))).toEqual([]);
    }
  });

  it("rejects unknown extensions and an empty input without a schema, naming the file", async () => {
    await expect(writeTableFile(join(dir, "x.csv"), [batch(0, 1)])).rejects.toMatchObject({ code: "IO_BAD_ARGUMENT" });
    await expect(writeTableFile(join(dir, "y.parquet"), [])).rejects.toMatchObject({
      code: "IO_NOTHING_TO_WRITE",
      path: join(dir, "y.parquet"),
    });
    expect(readdirSync(dir).filter((f) => f.includes("y.parquet"))).toEqual([]);
    expect(await writeTableFile(join(dir, "x.csv"), [batch(0, 3)], { format: "arrow" })).toBe(3);
    expect(tableFromIPC(readFileSync(join(dir, "x.csv"))).numRows).toBe(3);
  });

  it("applies Parquet writer options (codec, dictionary, column encodings)", async () => {
    const out = join(dir, "opts.parquet");
    await writeTableFile(out, batches(2, 100), { compression: "snappy", dictionary: false, columnEncoding: { t: "DELTA_BINARY_PACKED" } });
    const file = await pq.ParquetFile.fromFile(await openAsBlob(out));
    try {
      const column = file.metadata().rowGroup(0).column(1);
      expect(column.compression()).toBe(pq.Compression.SNAPPY);
      expect(column.encodings()).toContain(pq.Encoding.DELTA_BINARY_PACKED);
    } finally {
      file.free();
    }
    await expect(writeTableFile(join(dir, "bad.parquet"), [batch(0, 1)], { columnEncoding: { t: "NOPE" as never } })).rejects.toMatchObject(
      {
        code: "IO_BAD_ARGUMENT",
      },
    );
    expect(readdirSync(dir).filter((f) => f.includes("bad.parquet"))).toEqual([]);
  });

  it("dictionary pages by default for every column but the floating-point ones; true or false for all", async () => {
    const n = 5000;
    const table = tableFromArrays({
      id: new Int32Array(n).map((_, i) => i % 7),
      energy: new Float32Array(n).map((_, i) => (i * 37) % 1000),
      t: new Float64Array(n).map((_, i) => i * 0.5),
    });
    const dictionaryByColumn = async (dictionary?: boolean): Promise<boolean[]> => {
      const out = join(dir, `dict-${String(dictionary)}.parquet`);
      await writeTableFile(out, [table], dictionary === undefined ? {} : { dictionary });
      const file = await pq.ParquetFile.fromFile(await openAsBlob(out));
      try {
        const rg = file.metadata().rowGroup(0);
        return [0, 1, 2].map((c) => rg.column(c).encodings().includes(pq.Encoding.RLE_DICTIONARY));
      } finally {
        file.free();
      }
    };
    expect(await dictionaryByColumn()).toEqual([true, false, false]);
    expect(await dictionaryByColumn(true)).toEqual([true, true, true]);
    expect(await dictionaryByColumn(false)).toEqual([false, false, false]);
    expect((await readParquet(join(dir, "dict-undefined.parquet"))).getChild("energy")!.toArray()).toEqual(
      table.getChild("energy")!.toArray(),
    );
  });
});

describe("table writers on a memory sink (browser download)", () => {
  it("give the same tables back, and no output when the source throws", async () => {
    const p = new MemorySink();
    expect(await writeParquetToSink(p, batches(3, 10))).toBe(30);
    const file = await pq.ParquetFile.fromFile(p.blob());
    const back = tableFromIPC((await file.read()).intoIPCStream());
    file.free();
    expect(back.numRows).toBe(30);
    const a = new MemorySink();
    expect(await writeArrowToSink(a, batches(2, 10))).toBe(20);
    expect(tableFromIPC(a.bytes()).numRows).toBe(20);
    for (const write of [writeParquetToSink, writeArrowToSink]) {
      const sink = new MemorySink();
      async function* failing(): AsyncGenerator<Table> {
        yield batch(0, 10);
        throw new Error("source broke");
      }
      await expect(write(sink, failing())).rejects.toThrow("source broke");
      expect(sink.state).toBe("aborted");
    }
  });
});

describe("loadParquetWasm", () => {
  it("in Node loads parquet-wasm with require (no ESM export scan of its CommonJS build): the one module instance", async () => {
    const required = createRequire(import.meta.url)("parquet-wasm") as typeof pq;
    const loaded = await loadParquetWasm();
    expect(loaded).toBe(required); // import() would give a namespace object wrapping it
    expect(loaded.Compression).toBe(pq.Compression);
    expect(await loadParquetWasm()).toBe(loaded);
  });
});
