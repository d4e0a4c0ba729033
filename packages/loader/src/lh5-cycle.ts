import type { Lgdo, Lh5File } from "@daqkit/lh5";
import type { CycleSource, TableId } from "./cycle-source.js";
import { LoaderError } from "./errors.js";
import type { Piece } from "./gather.js";
import type { RawTcm, RawVectorOfVectors } from "./tcm.js";

/** What the loader needs to know about the file inventory (implemented over `@daqkit/filedb`'s FileDB). */
export interface FileCatalog {
  /** Number of cycles (FileDB rows). */
  readonly size: number;
  /** Tier names in FileDB order. */
  readonly tiers: readonly string[];
  /** Absolute path of a tier's file for cycle `fileIndex` (it may not exist). */
  tierPath(fileIndex: number, tier: string): string;
  /** Table ids of a tier in a cycle, or null when the tier file does not exist. */
  tierTables(fileIndex: number, tier: string): Promise<readonly TableId[] | null>;
  /** Column names of a table from the FileDB scan, or null when unknown / the file is missing. */
  tableColumns(fileIndex: number, tier: string, table: TableId): Promise<readonly string[] | null>;
  /**
   * Whether a tier's file of cycle `fileIndex` exists (optional). Without it, a file whose table
   * list is known is opened, and one `@daqkit/lh5` does not find counts as missing.
   */
  tierExists?(fileIndex: number, tier: string): boolean;
  /** Byte size of a tier's file of cycle `fileIndex` (optional; sizes the parallel load's decision to start workers). */
  tierSize?(fileIndex: number, tier: string): number | undefined;
  /**
   * Open a tier's file of cycle `fileIndex` (optional; default: the loader's host opener on
   * `tierPath(…)`, which only `@daqkit/loader/node` has). The loader asks for `runtime: "on-demand"`
   * (h5wasm loaded only for a tier that needs it); an implementation may ignore it.
   */
  openTier?(fileIndex: number, tier: string, options?: { readonly runtime?: "on-demand" }): Promise<Lh5File>;
  /** The table path inside a tier file for a table id (`ch1084803/raw`, `hardware_tcm_1`). */
  tableName(tier: string, table: TableId): string;
  /** Name of the (first) field of a tier's table template (`ch`, `grp`), or undefined when it has none. */
  tableField(tier: string): string | undefined;
  /** Cycles (FileDB row indices, in FileDB order) matching a query expression. */
  select(query: string): number[];
  /** All rows' values of a FileDB column, e.g. `timestamp` (for `setFiles([keys])`). */
  columnValues(name: string): readonly unknown[];
}

/**
 * Opens an LH5 file by host path: `@daqkit/loader/node` supplies `@daqkit/lh5/node`'s `openLh5`
 * (the main entry never imports it). Used for catalogs without `openTier` (worker snapshots). The
 * loader asks for `runtime: "on-demand"` (h5wasm loaded only when a read needs it; see
 * {@link openLh5Cycle}); an opener may ignore it and load the runtime at open.
 */
export type HostLh5Opener = (path: string, options?: { readonly runtime?: "on-demand" }) => Promise<Lh5File>;

function openHostPath(path: string, openPath: HostLh5Opener | undefined): Promise<Lh5File> {
  // (Wrapped into LOADER_IO naming the path by the caller.)
  if (!openPath) throw new Error("the catalog has no openTier and this loader opens no host paths (they need @daqkit/loader/node)");
  return openPath(path, { runtime: "on-demand" });
}

/**
 * Load h5wasm for a tier file opened on demand unless every table of the tier (all its columns: the
 * superset of what any read of this cycle asks) is read straight from the file. Decided here, before
 * the synchronous reads, so that no read meets an unloaded runtime.
 */
async function ensureRuntimeFor(f: Lh5File, tables: readonly string[]): Promise<void> {
  if (f.runtimeLoaded) return;
  if (tables.every((t) => f.readsDirectly(t))) return;
  await f.ensureRuntime();
}

function lh5Reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Open the files of the given tiers of one cycle and expose them as a {@link CycleSource}.
 * Missing tier files are allowed here (`tables()` returns null); reading from them throws
 * `LOADER_FILE_MISSING`. Call `close()` in `finally`.
 */
export async function openLh5Cycle(
  catalog: FileCatalog,
  fileIndex: number,
  tiers: readonly string[],
  openPath?: HostLh5Opener,
): Promise<CycleSource & { close(): void }> {
  const files = new Map<string, Lh5File>();
  const tables = new Map<string, readonly TableId[] | null>();
  const rowCache = new Map<string, number>();
  const columnCache = new Map<string, readonly string[] | null>();
  const closeAll = () => {
    for (const f of files.values()) f.close();
    files.clear();
  };
  try {
    for (const tier of new Set(tiers)) {
      if (!catalog.tiers.includes(tier)) {
        // A level's tier that the FileDB does not know (e.g. no evt tier configured): no file.
        tables.set(tier, null);
        continue;
      }
      const path = catalog.tierPath(fileIndex, tier);
      const ids = (catalog.tierExists?.(fileIndex, tier) ?? true) ? await catalog.tierTables(fileIndex, tier) : null;
      tables.set(tier, ids);
      if (ids === null) continue;
      // Column lists from the FileDB's scan of this very file (saves parsing each table's datatype again).
      for (const id of ids) {
        const cols = await catalog.tableColumns(fileIndex, tier, id);
        if (cols) columnCache.set(`${tier}\u0000${id}`, cols);
      }
      try {
        const f = await (catalog.openTier ? catalog.openTier(fileIndex, tier, { runtime: "on-demand" }) : openHostPath(path, openPath));
        try {
          await ensureRuntimeFor(
            f,
            ids.map((id) => catalog.tableName(tier, id)),
          );
        } catch (error) {
          f.close();
          throw error;
        }
        files.set(tier, f);
      } catch (cause) {
        if (!catalog.tierExists && (cause as { code?: string }).code === "LH5_FILE_NOT_FOUND") {
          tables.set(tier, null);
          continue;
        }
        throw new LoaderError("LOADER_IO", `loader: cannot open ${path}: ${lh5Reason(cause)}`, { path, fileIndex, cause });
      }
    }
  } catch (error) {
    closeAll();
    throw error;
  }
  const pathOf = (tier: string): string =>
    catalog.tiers.includes(tier) ? catalog.tierPath(fileIndex, tier) : `<no tier "${tier}" in the FileDB>`;
  const fileOf = (tier: string): Lh5File => {
    const f = files.get(tier);
    if (!f) {
      const path = pathOf(tier);
      throw new LoaderError("LOADER_FILE_MISSING", `loader: cycle ${fileIndex}: the ${tier} tier file ${path} does not exist`, {
        path,
        fileIndex,
      });
    }
    return f;
  };
  const wrap = <T>(tier: string, table: TableId, what: () => T): T => {
    try {
      return what();
    } catch (cause) {
      if (LoaderError.isInstance(cause)) throw cause;
      const code = (cause as { code?: string }).code;
      const path = catalog.tierPath(fileIndex, tier);
      if (code === "LH5_OBJECT_NOT_FOUND") {
        throw new LoaderError("LOADER_TABLE_MISSING", `loader: ${path}: table ${catalog.tableName(tier, table)} does not exist`, {
          path,
          fileIndex,
          table,
          cause,
        });
      }
      throw new LoaderError("LOADER_IO", `loader: reading ${catalog.tableName(tier, table)} from ${path} failed: ${lh5Reason(cause)}`, {
        path,
        fileIndex,
        table,
        cause,
      });
    }
  };
  return {
    fileIndex,
    tables: (tier) => {
      if (!tables.has(tier)) throw new TypeError(`openLh5Cycle: tier ${tier} was not opened`);
      return tables.get(tier) ?? null;
    },
    columns: (tier, table) => {
      const key = `${tier}\u0000${table}`;
      if (columnCache.has(key)) return columnCache.get(key) ?? null;
      const f = files.get(tier);
      const name = catalog.tableName(tier, table);
      let cols: readonly string[] | null = null;
      if (f?.has(name)) cols = wrap(tier, table, () => f.tableColumns(name));
      columnCache.set(key, cols);
      return cols;
    },
    rowCount: (tier, table) => {
      const key = `${tier}\u0000${table}`;
      const cached = rowCache.get(key);
      if (cached !== undefined) return cached;
      const f = fileOf(tier);
      const n = wrap(tier, table, () => f.countRows(catalog.tableName(tier, table)) ?? 0);
      rowCache.set(key, n);
      return n;
    },
    read: (tier, table, columns, rows) => {
      const f = fileOf(tier);
      const t = wrap(tier, table, () => f.readTable(catalog.tableName(tier, table), { columns, ...(rows === undefined ? {} : { rows }) }));
      return t.columns as ReadonlyMap<string, Piece>;
    },
    readTcm: (tier, table) => {
      const f = fileOf(tier);
      const obj = wrap(tier, table, () => f.readObject(catalog.tableName(tier, table)));
      return rawTcmOf(obj, catalog.tierPath(fileIndex, tier));
    },
    describe: pathOf,
    close: closeAll,
  };
}

/** View an LGDO read from a TCM path as a {@link RawTcm} (old Struct of arrays or new Table of VoVs). */
export function rawTcmOf(obj: Lgdo, path: string): RawTcm {
  if (obj.type === "Struct" || obj.type === "Table") {
    const entries = obj.type === "Struct" ? obj.fields : obj.columns;
    if (entries.has("cumulative_length")) {
      const fields = new Map<string, ArrayLike<number> | ArrayLike<bigint>>();
      for (const [k, v] of entries) {
        if ((v.type === "Array" || v.type === "FixedSizeArray") && !Array.isArray(v.data)) fields.set(k, v.data as ArrayLike<number>);
      }
      return { layout: "struct", fields };
    }
    const columns = new Map<string, RawVectorOfVectors>();
    for (const [k, v] of entries) {
      if (
        v.type === "VectorOfVectors" &&
        (v.flattened.type === "Array" || v.flattened.type === "FixedSizeArray") &&
        !Array.isArray(v.flattened.data)
      ) {
        columns.set(k, { cumulativeLength: v.cumulativeLength, flattened: v.flattened.data as ArrayLike<number> });
      }
    }
    return { layout: "table", columns };
  }
  throw new LoaderError(
    "LOADER_BAD_TCM",
    `loader: ${path}: the TCM is a ${obj.type}; expected a Struct with cumulative_length or a Table of VoVs`,
    { path },
  );
}
