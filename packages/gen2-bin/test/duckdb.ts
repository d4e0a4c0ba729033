import { DuckDBInstance } from "@duckdb/node-api";

let instance: Promise<DuckDBInstance> | undefined;

async function connection() {
  instance ??= DuckDBInstance.create(":memory:", { threads: "1" });
  return (await instance).connect();
}

function list(files: string[]): string {
  return `[${files.map((f) => `'${f.replace(/'/g, "''")}'`).join(", ")}]`;
}

/** Rows and the spec §13.4 checksum of Parquet files, computed by DuckDB. */
export async function duckChecksum(files: string[]): Promise<{ photons: number; checksum: string }> {
  const conn = await connection();
  const r = await conn.runAndReadAll(`
    SELECT count(*)::VARCHAR AS n,
      (coalesce(sum(timestamp::HUGEINT * 1000003
        + ((((xy::INTEGER >> 8) << 10) | (xy::INTEGER & 255))::HUGEINT) * 65537
        + (phase + 131072)::HUGEINT * 131 + (baseline + 65536)), 0) % 18446744073709551616)::VARCHAR AS s
    FROM read_parquet(${list(files)})`);
  const row = r.getRowObjects()[0] as { n: string; s: string };
  return { photons: Number(row.n), checksum: BigInt(row.s).toString(16).padStart(16, "0") };
}

/** Column types as DuckDB sees them. */
export async function duckTypes(file: string): Promise<Record<string, string>> {
  const conn = await connection();
  const r = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${list([file])})`);
  return Object.fromEntries(r.getRowObjects().map((o) => [String(o.column_name), String(o.column_type)]));
}

/** Rows of a Parquet file that break the (xy, timestamp) order, by file row number. */
export async function duckUnsortedRows(file: string): Promise<number> {
  const conn = await connection();
  const r = await conn.runAndReadAll(`
    SELECT count(*)::VARCHAR AS n FROM (
      SELECT xy, timestamp, lag(xy) OVER w AS pxy, lag(timestamp) OVER w AS pts
      FROM read_parquet(${list([file])}, file_row_number = true)
      WINDOW w AS (ORDER BY file_row_number))
    WHERE pxy > xy OR (pxy = xy AND pts > timestamp)`);
  return Number((r.getRowObjects()[0] as { n: string }).n);
}
