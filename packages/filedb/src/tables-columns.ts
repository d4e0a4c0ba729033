/**
 * `scanTablesColumns` (spec filedb-loader §1.7): open every tier file with `@daqkit/lh5`, list the
 * tables that match the tier's `table_format`, and record each table's column names.
 */
import type { Lh5File } from "@daqkit/lh5";
import type { ResolvedFileDbConfig } from "./config.js";
import { FileDbError } from "./errors.js";
import type { FileDbHost } from "./file-host.js";
import { describeLocation, type Lh5Location, openLh5File, openLh5FileLinks } from "./lh5-access.js";
import { type FileDbState, statusBitOf, type TableId, tierFilePath } from "./state.js";
import { compileTemplate } from "./template.js";

/** Options of {@link FileDb.scanTablesColumns}. */
export interface ScanTablesColumnsOptions {
  /** Rescan even when column information is already present (default false: return it as is). */
  readonly override?: boolean;
  /**
   * Assume every file of a directory has the same tables and columns: open only the first file
   * of each directory per tier (pygama's `dir_files_conform`). Default false.
   */
  readonly dirFilesConform?: boolean;
  /**
   * Default true: a group that matches the table glob but not the template (e.g. `chABC/raw` for
   * `ch{ch:07d}/raw`) is an error (`FILEDB_BAD_TABLE`). With false it is skipped and reported in
   * {@link TablesColumnsReport.warnings}.
   */
  readonly strict?: boolean;
  /**
   * List groups with `@daqkit/lh5`'s fast link lister, `openLh5Links` (default true; no h5wasm);
   * files it cannot handle are opened with `openLh5` instead. False = always use `openLh5`.
   */
  readonly fastLinks?: boolean;
  /**
   * Scan only these rows (e.g. the cycles of one `--shard`): the other rows get no tables and no
   * columns (null, as for a missing tier file), and their files are not opened. Column lists are
   * numbered in discovery order over the scanned rows. Default: every row.
   */
  readonly rows?: ArrayLike<number>;
  /** Called after each file with (files done, files to open). */
  readonly onProgress?: (done: number, total: number) => void;
  /** Abort between files. */
  readonly signal?: AbortSignal;
}

/** Result of a table/column scan. */
export interface TablesColumnsReport {
  /** The distinct column lists (`FileDb.columns`). */
  readonly columns: readonly (readonly string[])[];
  /** Number of LH5 files opened. */
  readonly filesOpened: number;
  /** Skipped groups (non-strict mode) and listed tables missing from a file. */
  readonly warnings: readonly string[];
  /** True when nothing was scanned because column information already existed. */
  readonly skipped: boolean;
}

/** The directory part of a `/`-separated path. */
function parentOf(path: string): string {
  return path.slice(0, Math.max(0, path.lastIndexOf("/")));
}

/** Byte-wise name order = HDF5/h5py link order, which pygama's column lists use. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function globRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join("[^/]*")}$`,
  );
}

/**
 * The same as {@link scanFile} with `@daqkit/lh5`'s fast link lister: group names only, no h5wasm.
 * @throws Lh5Error `LH5_UNSUPPORTED` for layouts it does not read (the caller falls back to `openLh5`).
 */
async function scanFileFast(
  location: Lh5Location,
  host: FileDbHost,
  resolved: ResolvedFileDbConfig,
  tier: string,
  strict: boolean,
  warnings: string[],
): Promise<TierResult> {
  const template = resolved.tableTemplates[tier]!;
  const text = template.text.replace(/\/+$/, "");
  const path = describeLocation(location);
  const links = await openLh5FileLinks(location, host);
  try {
    const ids: TableId[] = [];
    const columns: string[][] = [];
    if (template.fields.length === 0) {
      const name = template.format({}).replace(/\/+$/, "");
      const listed = links.list(name);
      const cols = listed instanceof Promise ? await listed : listed;
      if (cols === undefined) warnings.push(`${path}: table ${name} is not in the file`);
      else {
        ids.push(0);
        columns.push(cols);
      }
      return { ids, columns };
    }
    const field = template.fields[0]!;
    const parseTemplate = text === template.text ? template : compileTemplate(text);
    const pattern = text.replace(/\{[^{}]*\}/, "*");
    const globbed = links.glob(pattern);
    for (const group of globbed instanceof Promise ? await globbed : globbed) {
      const id = parseTemplate.parse(group)?.[field.name];
      if (id === undefined) {
        const message = `${path}: group ${group} matches ${JSON.stringify(pattern)} but not the table template ${JSON.stringify(template.text)}`;
        if (strict) throw new FileDbError("FILEDB_BAD_TABLE", `filedb: ${message}`, { path, tier, source: template.text });
        warnings.push(message);
        continue;
      }
      ids.push(id);
      const listed = links.list(group);
      columns.push((listed instanceof Promise ? await listed : listed)!);
    }
    return { ids, columns };
  } finally {
    links.close();
  }
}

interface TierResult {
  ids: TableId[];
  columns: string[][];
}

function scanFile(file: Lh5File, resolved: ResolvedFileDbConfig, tier: string, strict: boolean, warnings: string[]): TierResult {
  const template = resolved.tableTemplates[tier]!;
  const text = template.text.replace(/\/+$/, "");
  const ids: TableId[] = [];
  const columns: string[][] = [];
  const add = (id: TableId, path: string): void => {
    let names: string[];
    try {
      names = file.tableColumns(path);
    } catch (cause) {
      const code = (cause as { code?: string }).code;
      if (code === "LH5_OBJECT_NOT_FOUND") {
        warnings.push(`${file.path}: table ${path} is not in the file`);
        return;
      }
      throw cause;
    }
    ids.push(id);
    columns.push([...names].sort(byteOrder));
  };
  if (template.fields.length === 0) {
    // A fixed table name: one table whose id is 0 (as pygama).
    add(0, template.format({}).replace(/\/+$/, ""));
    return { ids, columns };
  }
  const field = template.fields[0]!;
  const parseTemplate = text === template.text ? template : compileTemplate(text);
  const glob = globRegExp(text.replace(/\{[^{}]*\}/, "*"));
  for (const path of file.listTables()) {
    if (!glob.test(path)) continue;
    const values = parseTemplate.parse(path);
    const id = values?.[field.name];
    if (id === undefined) {
      const message = `${file.path}: group ${path} matches ${JSON.stringify(text.replace(/\{[^{}]*\}/, "*"))} but not the table template ${JSON.stringify(template.text)}`;
      if (strict) throw new FileDbError("FILEDB_BAD_TABLE", `filedb: ${message}`, { path: file.path, tier, source: template.text });
      warnings.push(message);
      continue;
    }
    add(id, path);
  }
  return { ids, columns };
}

/**
 * The table/column scan of `FileDb.scanTablesColumns` as a function over a database's config and
 * state: returns the new state (the input is not changed; `state` is returned as is when nothing
 * was scanned) and the report.
 */
export async function scanTablesColumnsOf(
  resolved: ResolvedFileDbConfig,
  state: FileDbState,
  options: ScanTablesColumnsOptions = {},
  place: { readonly host: FileDbHost; readonly locate: (path: string) => Lh5Location },
): Promise<{ state: FileDbState; report: TablesColumnsReport }> {
  if (state.columns && !options.override) return { state, report: { columns: state.columns, filesOpened: 0, warnings: [], skipped: true } };
  const strict = options.strict ?? true;
  const warnings: string[] = [];
  const tiers = resolved.tiers;
  const n = state.status.length;
  const columns: string[][] = [];
  const listIndex = new Map<string, number>();
  const indexOf = (list: string[]): number => {
    const key = list.join("\u0000");
    let i = listIndex.get(key);
    if (i === undefined) {
      i = columns.length;
      columns.push(list);
      listIndex.set(key, i);
    }
    return i;
  };
  const tables = new Map<string, (TableId[] | null)[]>();
  const colIdx = new Map<string, (number[] | null)[]>();
  const only = options.rows === undefined ? null : new Set(Array.from(options.rows));
  const total = tiers.length * (only === null ? n : [...only].filter((r) => r >= 0 && r < n).length);
  let done = 0;
  let opened = 0;
  // Tier-major, rows in database order: the discovery order pygama's column lists have.
  for (const tier of tiers) {
    const tierTables: (TableId[] | null)[] = new Array(n).fill(null);
    const tierCols: (number[] | null)[] = new Array(n).fill(null);
    const conform = new Map<string, TierResult>();
    for (let row = 0; row < n; row++) {
      options.signal?.throwIfAborted();
      if (only !== null && !only.has(row)) continue;
      const bit = statusBitOf(resolved, tier);
      if ((state.status[row]! & bit) === 0) {
        done++;
        continue;
      }
      const path = tierFilePath(resolved, state, row, tier);
      const location = place.locate(path);
      let result = options.dirFilesConform ? conform.get(parentOf(path)) : undefined;
      if (!result && (options.fastLinks ?? true)) {
        const fileWarnings: string[] = [];
        try {
          result = await scanFileFast(location, place.host, resolved, tier, strict, fileWarnings);
          warnings.push(...fileWarnings);
          opened++;
        } catch (error) {
          // Unsupported layouts (Lh5Error LH5_UNSUPPORTED), broken files, fs errors: openLh5 below
          // reads the file or reports the error.
          if (FileDbError.isInstance(error)) throw error;
        }
      }
      if (!result) {
        let file: Lh5File;
        try {
          file = await openLh5File(location, place.host);
        } catch (cause) {
          const code = (cause as { code?: string }).code;
          throw new FileDbError(
            "FILEDB_UNREADABLE",
            `filedb: cannot open the ${tier} file of row ${row} as LH5: ${path}: ${(cause as Error).message.split("\n")[0]}${code ? ` (${code})` : ""}`,
            { path, row, tier, cause },
          );
        }
        opened++;
        try {
          result = scanFile(file, resolved, tier, strict, warnings);
        } catch (cause) {
          if (FileDbError.isInstance(cause)) throw cause;
          throw new FileDbError(
            "FILEDB_UNREADABLE",
            `filedb: cannot list the tables of ${path}: ${(cause as Error).message.split("\n")[0]}`,
            {
              path,
              row,
              tier,
              cause,
            },
          );
        } finally {
          file.close();
        }
      }
      if (options.dirFilesConform) conform.set(parentOf(path), result);
      tierTables[row] = [...result.ids];
      tierCols[row] = result.columns.map(indexOf);
      done++;
      options.onProgress?.(done, total);
    }
    tables.set(tier, tierTables);
    colIdx.set(tier, tierCols);
  }
  return { state: { ...state, tables, colIdx, columns }, report: { columns, filesOpened: opened, warnings, skipped: false } };
}
