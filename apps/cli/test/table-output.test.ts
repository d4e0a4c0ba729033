import { mkdtempSync, openAsBlob, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { type Table, tableFromArrays, tableFromIPC } from "apache-arrow";
import * as pq from "parquet-wasm";
import { afterAll, describe, expect, it } from "vitest";
import { writeTableFile } from "../src/table-output.js";

const dir = mkdtempSync(join(tmpdir(), "daqkit-table-output-"));
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

  it("rejects unknown extensions and an empty input without a schema", async () => {
    await expect(writeTableFile(join(dir, "x.csv"), [batch(0, 1)])).rejects.toMatchObject({ code: "CLI_USAGE" });
    await expect(writeTableFile(join(dir, "y.parquet"), [])).rejects.toMatchObject({ code: "CLI_USAGE" });
  });
});
