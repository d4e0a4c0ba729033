/**
 * Saving and loading a FileDb as a plain LH5 file (spec filedb-loader §1.10, B12/B13):
 *
 * - `/config`: Scalar string, the JSON config (resolved absolute `data_dir`);
 * - `/columns`: VectorOfVectors of strings (only when column lists exist), as pygama writes it;
 * - `/filedb`: Table (string attributes `filedb_format` and `config`, the same JSON), one row per cycle: key fields, `{tier}_file`, `{tier}_size` (int64),
 *   `file_status` (int32), and after a table scan `{tier}_tables` (VoV of int64 or strings),
 *   `{tier}_col_idx` (VoV of int32) and `{tier}_scanned` (bool: false = the tier file was missing,
 *   i.e. null cells, as opposed to an empty list).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { withAtomicPath } from "@daqkit/io/node";
import {
  createArray,
  createScalar,
  createTable,
  createVectorOfVectors,
  type Lgdo,
  type Lh5File,
  type Table,
  type VectorOfVectors,
  writeLh5,
} from "@daqkit/lh5/node";
import type { FileDbConfig, ResolvedFileDbConfig } from "./config.js";
import { globPaths, resolveFileDbConfig } from "./node-config.js";
import { FileDbError } from "./errors.js";
import { openLh5File } from "./lh5-access.js";
import { nodeFileHost } from "./node-file-host.js";
import { type FileDbState, type TableId, tableIdTypeOf } from "./state.js";
import type { TemplateValue } from "./template.js";

/** Options of {@link writeFileDb}. */
export interface WriteFileDbOptions {
  /**
   * `"write_safe"` (default): fail with `FILEDB_EXISTS` if the file exists; `"overwrite_file"`:
   * replace it (pygama's `wo_mode="of"`). The short forms `"w"` and `"of"` are accepted too.
   */
  readonly mode?: "write_safe" | "overwrite_file" | "w" | "of";
}

/** Marker attribute on `/filedb`, checked when loading. */
const FORMAT = "daqkit-filedb-1";

function vovOf(rows: readonly (readonly (number | string)[] | null)[], kind: "int64" | "int32" | "string"): VectorOfVectors {
  const cl = new Float64Array(rows.length);
  let total = 0;
  rows.forEach((r, i) => {
    total += r?.length ?? 0;
    cl[i] = total;
  });
  if (kind === "string") {
    const flat: string[] = [];
    for (const r of rows) if (r) for (const v of r) flat.push(String(v));
    return createVectorOfVectors(cl, flat);
  }
  const flat = kind === "int64" ? new BigInt64Array(total) : new Int32Array(total);
  let o = 0;
  for (const r of rows) {
    if (!r) continue;
    for (const v of r) {
      if (flat instanceof BigInt64Array) flat[o++] = BigInt(v as number);
      else flat[o++] = v as number;
    }
  }
  return createVectorOfVectors(cl, flat);
}

function dbTable(resolved: ResolvedFileDbConfig, s: FileDbState): Table {
  const { keyFields, keyTypes, tiers } = resolved;
  const cols = new Map<string, Lgdo>();
  for (const k of keyFields) {
    const v = s.keys.get(k)!;
    cols.set(k, createArray(keyTypes[k] === "d" ? BigInt64Array.from(v, (x) => BigInt(x as number)) : v.map(String)));
  }
  for (const t of tiers) cols.set(`${t}_file`, createArray([...s.files.get(t)!]));
  for (const t of tiers) cols.set(`${t}_size`, createArray(BigInt64Array.from(s.sizes.get(t)!, (x) => BigInt(x))));
  cols.set("file_status", createArray(Int32Array.from(s.status)));
  if (s.tables && s.colIdx) {
    for (const t of tiers) {
      const ids = s.tables.get(t)!;
      cols.set(`${t}_tables`, vovOf(ids, tableIdTypeOf(resolved, t) === "d" ? "int64" : "string"));
      cols.set(`${t}_col_idx`, vovOf(s.colIdx.get(t)!, "int32"));
      cols.set(
        `${t}_scanned`,
        createArray(
          Uint8Array.from(ids, (l) => (l === null ? 0 : 1)),
          { bool: true },
        ),
      );
    }
  }
  return createTable(cols, { attrs: { filedb_format: FORMAT, config: JSON.stringify(resolved.config) } });
}

/**
 * Save a database (its resolved config and state) as an LH5 file readable by lgdo/h5py (layout in
 * the module docs); `FileDb.toDisk` and `writeFileDb` call it. The file is
 * written atomically with `@daqkit/io`'s atomic writer (temporary name in the same directory,
 * fsync, rename); temporaries left by dead writers are removed.
 *
 * @throws FileDbError `FILEDB_EXISTS` (write-safe mode and the file exists), `FILEDB_IO` (writing
 *   failed; the lh5 error is the `cause`).
 */
export async function writeFileDbState(
  resolved: ResolvedFileDbConfig,
  state: FileDbState,
  path: string,
  options: WriteFileDbOptions = {},
): Promise<void> {
  const target = resolve(path);
  const mode = options.mode ?? "write_safe";
  if ((mode === "write_safe" || mode === "w") && existsSync(target)) {
    throw new FileDbError("FILEDB_EXISTS", `filedb: ${target} exists (write-safe mode); use mode "overwrite_file" to replace it`, {
      path: target,
    });
  }
  try {
    await withAtomicPath(
      target,
      async (tmp) => {
        await writeLh5(tmp, "config", createScalar(JSON.stringify(resolved.config)), { mode: "w" });
        if (state.columns) {
          const lists = state.columns;
          const cl = new Float64Array(lists.length);
          let total = 0;
          lists.forEach((l, i) => {
            total += l.length;
            cl[i] = total;
          });
          await writeLh5(tmp, "columns", createVectorOfVectors(cl, lists.flat()), { mode: "a" });
        }
        await writeLh5(tmp, "filedb", dbTable(resolved, state), { mode: "a" });
      },
      { legacyTemporary: /^(\d+)\.[0-9a-z]+\.filedb-tmp$/ },
    );
  } catch (cause) {
    if (FileDbError.isInstance(cause)) throw cause;
    throw new FileDbError("FILEDB_IO", `filedb: cannot write ${target}: ${(cause as Error).message.split("\n")[0]}`, {
      path: target,
      cause,
    });
  }
}

interface LoadedDb {
  path: string;
  configText: string;
  config: FileDbConfig;
  columns: string[][] | null;
  table: Table;
}

function column(table: Table, name: string, path: string): Lgdo {
  const c = table.columns.get(name);
  if (!c) throw new FileDbError("FILEDB_BAD_DATABASE", `filedb: ${path}: /filedb has no column "${name}"`, { path, column: name });
  return c;
}

function arrayData(c: Lgdo, name: string, path: string): ArrayLike<unknown> {
  if (c.type !== "Array")
    throw new FileDbError("FILEDB_BAD_DATABASE", `filedb: ${path}: column "${name}" is a ${c.type}, expected an Array`, { path });
  return c.data as ArrayLike<unknown>;
}

function vovRows(c: Lgdo, name: string, path: string, scanned: ArrayLike<unknown> | undefined): (TableId[] | null)[] {
  if (c.type !== "VectorOfVectors" || c.flattened.type !== "Array") {
    throw new FileDbError("FILEDB_BAD_DATABASE", `filedb: ${path}: column "${name}" is a ${c.type}, expected a VectorOfVectors`, { path });
  }
  const flat = c.flattened.data as ArrayLike<number | bigint | string>;
  const out: (TableId[] | null)[] = [];
  let start = 0;
  c.cumulativeLength.forEach((end, i) => {
    const row: TableId[] = [];
    for (let j = start; j < end; j++) {
      const v = flat[j]!;
      row.push(typeof v === "bigint" ? Number(v) : v);
    }
    out.push(scanned && !scanned[i] ? null : row);
    start = end;
  });
  return out;
}

async function loadOne(path: string): Promise<LoadedDb> {
  let file: Lh5File;
  try {
    file = await openLh5File(path, nodeFileHost);
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    throw new FileDbError(
      code === "LH5_FILE_NOT_FOUND" ? "FILEDB_NOT_FOUND" : "FILEDB_UNREADABLE",
      `filedb: cannot open saved database ${path}: ${(cause as Error).message.split("\n")[0]}`,
      { path, cause },
    );
  }
  try {
    if (!file.has("filedb")) {
      if (file.has("dataframe")) {
        throw new FileDbError(
          "FILEDB_BAD_DATABASE",
          `filedb: ${path} was written by pygama's FileDB.to_disk (pickled pandas data in /dataframe), which only Python can read; rescan the data with daqkit (its /config can be reused)`,
          { path },
        );
      }
      throw new FileDbError("FILEDB_BAD_DATABASE", `filedb: ${path} is not a saved FileDB (no /filedb table)`, { path });
    }
    const table = file.readTable("filedb");
    let configText: string | undefined;
    if (file.has("config")) {
      const configObj = file.readObject("config");
      if (configObj.type !== "Scalar" || typeof configObj.value !== "string") {
        throw new FileDbError("FILEDB_BAD_DATABASE", `filedb: ${path}: /config is not a string scalar`, { path });
      }
      configText = configObj.value;
    } else if (typeof table.attrs.config === "string") configText = table.attrs.config;
    if (configText === undefined)
      throw new FileDbError("FILEDB_BAD_DATABASE", `filedb: ${path}: no /config and no config attribute on /filedb`, { path });
    let config: FileDbConfig;
    try {
      config = JSON.parse(configText) as FileDbConfig;
    } catch (cause) {
      throw new FileDbError("FILEDB_BAD_DATABASE", `filedb: ${path}: the stored config is not valid JSON`, { path, cause });
    }
    let columns: string[][] | null = null;
    if (file.has("columns")) {
      const c = file.readObject("columns");
      columns = vovRows(c, "columns", path, undefined).map((r) => (r ?? []).map(String));
    }
    return { path, configText, config, columns, table };
  } catch (cause) {
    if (FileDbError.isInstance(cause)) throw cause;
    throw new FileDbError("FILEDB_BAD_DATABASE", `filedb: ${path}: ${(cause as Error).message.split("\n")[0]}`, { path, cause });
  } finally {
    file.close();
  }
}

/**
 * Load one or more saved databases (wildcards allowed, expanded in sorted order) and merge them
 * into one config and state (rows not sorted yet; `FileDb.fromDisk` and `readFileDb` sort them):
 * all must have the same config; column lists are merged (first file's order kept, new lists
 * appended, `{tier}_col_idx` remapped); rows are concatenated (a cycle already loaded is not
 * repeated) and sorted. The data directory does not have to exist.
 *
 * @throws FileDbError `FILEDB_NOT_FOUND` (no file matches), `FILEDB_UNREADABLE`,
 *   `FILEDB_BAD_DATABASE` (not a daqkit FileDB, e.g. written by pygama), `FILEDB_CONFIG_MISMATCH`.
 */
export async function readFileDbState(paths: string | readonly string[]): Promise<{ resolved: ResolvedFileDbConfig; state: FileDbState }> {
  const files: string[] = [];
  for (const p of typeof paths === "string" ? [paths] : paths) {
    const matches = globPaths(p);
    if (matches.length === 0)
      throw new FileDbError("FILEDB_NOT_FOUND", `filedb: no saved database matches ${resolve(p)}`, { path: resolve(p) });
    files.push(...matches);
  }
  const loaded: LoadedDb[] = [];
  for (const f of files) loaded.push(await loadOne(f));
  const first = loaded[0]!;
  for (const l of loaded.slice(1)) {
    if (l.configText !== first.configText) {
      throw new FileDbError(
        "FILEDB_CONFIG_MISMATCH",
        `filedb: cannot merge FileDBs created with different configurations: ${first.path} and ${l.path}`,
        { path: l.path },
      );
    }
  }
  const resolved = resolveFileDbConfig(first.config, { allowMissingDataDir: true }, first.path);
  const { keyFields, keyTypes, tiers } = resolved;
  const anyTables = loaded.some((l) => l.table.columns.has(`${tiers[0]}_tables`));
  const state: FileDbState = {
    keys: new Map(keyFields.map((k) => [k, [] as TemplateValue[]])),
    files: new Map(tiers.map((t) => [t, [] as string[]])),
    sizes: new Map(tiers.map((t) => [t, [] as number[]])),
    status: [],
    tables: anyTables ? new Map(tiers.map((t) => [t, []])) : null,
    colIdx: anyTables ? new Map(tiers.map((t) => [t, []])) : null,
    columns: anyTables || loaded.some((l) => l.columns) ? [] : null,
  };
  const listIndex = new Map<string, number>();
  const seen = new Set<string>();
  for (const l of loaded) {
    const remap = (l.columns ?? []).map((list) => {
      const key = list.join("\u0000");
      let i = listIndex.get(key);
      if (i === undefined) {
        i = state.columns!.length;
        state.columns!.push(list);
        listIndex.set(key, i);
      }
      return i;
    });
    const t = l.table;
    const n = t.nRows;
    const lowFiles = arrayData(column(t, `${tiers[0]}_file`, l.path), `${tiers[0]}_file`, l.path);
    const keep: number[] = [];
    for (let i = 0; i < n; i++) {
      const f = String(lowFiles[i]);
      if (!seen.has(f)) {
        seen.add(f);
        keep.push(i);
      }
    }
    for (const k of keyFields) {
      const data = arrayData(column(t, k, l.path), k, l.path);
      for (const i of keep) {
        const v = data[i];
        state.keys.get(k)!.push(keyTypes[k] === "d" ? Number(v) : String(v));
      }
    }
    for (const tier of tiers) {
      const fileData = arrayData(column(t, `${tier}_file`, l.path), `${tier}_file`, l.path);
      const sizeData = arrayData(column(t, `${tier}_size`, l.path), `${tier}_size`, l.path);
      for (const i of keep) {
        state.files.get(tier)!.push(String(fileData[i]));
        state.sizes.get(tier)!.push(Number(sizeData[i]));
      }
      if (state.tables && state.colIdx) {
        if (t.columns.has(`${tier}_tables`)) {
          const scanned = t.columns.has(`${tier}_scanned`)
            ? arrayData(column(t, `${tier}_scanned`, l.path), `${tier}_scanned`, l.path)
            : undefined;
          const ids = vovRows(column(t, `${tier}_tables`, l.path), `${tier}_tables`, l.path, scanned);
          const idx = vovRows(column(t, `${tier}_col_idx`, l.path), `${tier}_col_idx`, l.path, scanned);
          for (const i of keep) {
            state.tables.get(tier)!.push(ids[i]!);
            const row = idx[i]!;
            state.colIdx.get(tier)!.push(row === null ? null : row.map((c) => remap[c as number]!));
          }
        } else {
          for (const _ of keep) {
            state.tables.get(tier)!.push(null);
            state.colIdx.get(tier)!.push(null);
          }
        }
      }
    }
    const statusData = arrayData(column(t, "file_status", l.path), "file_status", l.path);
    for (const i of keep) state.status.push(Number(statusData[i]));
  }
  return { resolved, state };
}
