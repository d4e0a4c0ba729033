/**
 * The Parquet dataset `daqkit load … --out DIR/` writes, and `daqkit merge DIR --out FILE`.
 *
 * A dataset directory holds, per shard I of N, `part-I-of-N.parquet` (the shard's rows, zstd) and
 * `part-I-of-N.json` (its manifest: shard, cycles, rows, schema). DuckDB, Polars, Spark and pyarrow
 * read `DIR/*.parquet` as one table. Both files are written atomically, the Parquet part first and
 * the manifest last, so a manifest always describes a complete part; a re-run of a shard replaces
 * exactly its two files. A shard with no cycles writes only its manifest (`file: null`).
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { loadParquetWasm } from "@daqkit/io";
import { writeFileAtomic } from "@daqkit/io/node";
import { type Table, tableFromIPC } from "apache-arrow";
import { listShardParts, type Shard, ShardMergeError, shardName } from "./shard.js";
import { writeTableFile } from "./table-output.js";

export const LOAD_PART_FORMAT = "daqkit.load-part/1";

/** The manifest of one part (`part-I-of-N.json`). */
export interface LoadPartManifest {
  readonly format: typeof LOAD_PART_FORMAT;
  readonly shard: Shard;
  /** Cycle keys (FileDB timestamps) of this shard, in FileDB order. */
  readonly cycles: readonly string[];
  readonly rows: number;
  /** Column names and Arrow types; empty for a shard without rows and no schema. */
  readonly schema: readonly { name: string; type: string }[];
  /** The Parquet part's name in the directory, or null when the shard had no cycles. */
  readonly file: string | null;
}

/** True when `--out` names a dataset directory: it ends in `/` or is an existing directory. */
export async function isDatasetOut(out: string): Promise<boolean> {
  if (out.endsWith("/")) return true;
  const info = await stat(out).catch(() => null);
  return info?.isDirectory() === true;
}

export function schemaOf(table: Table): { name: string; type: string }[] {
  return table.schema.fields.map((f) => ({ name: f.name, type: String(f.type) }));
}

/** Write one shard's part and manifest into `dir` (created if missing); returns the manifest path. */
export async function writeLoadPart(dir: string, shard: Shard, cycles: readonly string[], table: Table | null): Promise<string> {
  const { mkdir } = await import("node:fs/promises");
  await mkdir(dir, { recursive: true });
  const base = shardName(shard);
  let file: string | null = null;
  if (table !== null) {
    file = `${base}.parquet`;
    await writeTableFile(join(dir, file), table.numRows > 0 ? [table] : [], { emptyTable: () => table });
  }
  const manifest: LoadPartManifest = {
    format: LOAD_PART_FORMAT,
    shard: { index: shard.index, count: shard.count },
    cycles: [...cycles],
    rows: table?.numRows ?? 0,
    schema: table ? schemaOf(table) : [],
    file,
  };
  const path = join(dir, `${base}.json`);
  await writeFileAtomic(path, `${JSON.stringify(manifest, null, 1)}\n`);
  return path;
}

async function readParquetTable(path: string): Promise<Table> {
  const pq = await loadParquetWasm();
  const bytes = new Uint8Array(await readFile(path));
  // intoIPCStream consumes (and frees) the wasm table.
  return tableFromIPC(pq.readParquet(bytes).intoIPCStream());
}

function sameSchema(a: readonly { name: string; type: string }[], b: readonly { name: string; type: string }[]): boolean {
  return a.length === b.length && a.every((f, i) => f.name === b[i]?.name && f.type === b[i]?.type);
}

export interface MergeResult {
  parts: number;
  cycles: number;
  rows: number;
  out: string;
}

/**
 * Check a dataset directory (all N manifests present, one shard count, the same schema, no cycle in
 * two parts, each part's row count as its manifest says) and write its rows into one `.parquet` or
 * `.arrow` file, atomically. Rows are put back in cycle order (by the `file` column, the FileDB row,
 * when the table has one), so the result is the table a single process writes.
 * @throws ShardMergeError `CLI_SHARD_MISSING`, `CLI_SHARD_MISMATCH`, `CLI_SHARD_DUPLICATE`
 */
export async function mergeLoadDataset(dir: string, out: string): Promise<MergeResult> {
  const parts = await listShardParts(dir, ".json");
  const manifests: LoadPartManifest[] = [];
  for (const p of parts) {
    let m: LoadPartManifest;
    try {
      m = JSON.parse(await readFile(p.path, "utf8")) as LoadPartManifest;
    } catch (error) {
      throw new ShardMergeError("CLI_SHARD_MISMATCH", `${p.path} is not a load part manifest: ${(error as Error).message}`, p.path);
    }
    if (m?.format !== LOAD_PART_FORMAT || m.shard?.index !== p.index || m.shard?.count !== p.count || !Array.isArray(m.cycles)) {
      throw new ShardMergeError("CLI_SHARD_MISMATCH", `${p.path} is not the manifest of load part ${p.index}/${p.count}`, p.path);
    }
    manifests.push(m);
  }
  const seen = new Map<string, number>();
  let schema: LoadPartManifest["schema"] | null = null;
  for (const m of manifests) {
    for (const c of m.cycles) {
      const other = seen.get(c);
      if (other !== undefined) {
        throw new ShardMergeError("CLI_SHARD_DUPLICATE", `${dir}: cycle ${c} is in part ${other} and part ${m.shard.index}`, dir);
      }
      seen.set(c, m.shard.index);
    }
    if (m.file === null) continue;
    if (schema === null) schema = m.schema;
    else if (!sameSchema(schema, m.schema)) {
      throw new ShardMergeError(
        "CLI_SHARD_MISMATCH",
        `${dir}: part ${m.shard.index} has columns ${m.schema.map((f) => `${f.name}:${f.type}`).join(", ")}, part 0… have ${schema.map((f) => `${f.name}:${f.type}`).join(", ")}`,
        dir,
      );
    }
  }
  const runs: { file: number; part: number; start: number; table: Table; end: number }[] = [];
  const tables: Table[] = [];
  for (const m of manifests) {
    if (m.file === null) continue;
    const path = join(dir, m.file);
    const table = await readParquetTable(path).catch((error: unknown) => {
      throw new ShardMergeError("CLI_SHARD_MISSING", `${path} (part ${m.shard.index}) cannot be read: ${(error as Error).message}`, path);
    });
    if (table.numRows !== m.rows) {
      throw new ShardMergeError("CLI_SHARD_MISMATCH", `${path} has ${table.numRows} rows, its manifest says ${m.rows}`, path);
    }
    tables.push(table);
    const fileColumn = table.getChild("file");
    if (fileColumn === null) {
      runs.push({ file: m.shard.index, part: m.shard.index, start: 0, end: table.numRows, table });
      continue;
    }
    // Rows of a part are in cycle order: cut them into one run per cycle.
    let start = 0;
    for (let i = 1; i <= table.numRows; i++) {
      if (i === table.numRows || Number(fileColumn.get(i)) !== Number(fileColumn.get(start))) {
        runs.push({ file: Number(fileColumn.get(start)), part: m.shard.index, start, end: i, table });
        start = i;
      }
    }
  }
  runs.sort((a, b) => a.file - b.file || a.part - b.part || a.start - b.start);
  const rows = await writeTableFile(
    out,
    runs.map((r) => r.table.slice(r.start, r.end)),
    tables.length > 0 ? { emptyTable: () => (tables[0] as Table).slice(0, 0) } : {},
  );
  return { parts: manifests.length, cycles: seen.size, rows, out };
}
