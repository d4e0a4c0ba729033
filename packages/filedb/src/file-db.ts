/**
 * The FileDB: one row per cycle, with the cycle's key fields, the derived file name of every tier,
 * file sizes, the `file_status` bit mask and (after a table scan) the tables and column lists of
 * each tier file (spec filedb-loader §1).
 */
import type { DirectorySource } from "@daqkit/io";
import type { Lh5File } from "@daqkit/lh5";
import { cycleKeyToUnixSeconds, toSafeNumber } from "@daqkit/timestamps";
import { Field, Int32, Int64, List, makeVector, type Table, Table as ArrowTable, Utf8, type Vector, vectorFromArray } from "apache-arrow";
import { type FileDbConfig, type ResolvedFileDbConfig, type ResolveInDirectoryOptions, resolveFileDbConfigInDirectory } from "./config.js";
import { FileDbError } from "./errors.js";
import { type Expression, type ExpressionColumn, evaluateExpression, parseExpression } from "./expression.js";
import { emptyState, type FileDbState, statusBitOf, type TableId, tableIdTypeOf, tierFilePath } from "./state.js";
import { type FileDbHost, listingFileHost, normalizeRelative, type OpenLh5FileOptions } from "./file-host.js";
import { type Lh5Location, openLh5File } from "./lh5-access.js";
import { type ScanTablesColumnsOptions, scanTablesColumnsOf, type TablesColumnsReport } from "./tables-columns.js";
import { compileTemplate, suffixSwap, type TemplateValue } from "./template.js";

export type { FileDbState, TableId } from "./state.js";

/** Paths per `statSizes` call of {@link FileDb.updateFileStatus}. */
const STAT_BATCH = 1024;

/** What {@link FileDb.scanFiles} found. */
export interface FileScanReport {
  /** Regular files seen under the scanned directories. */
  readonly filesSeen: number;
  /** Files whose name matched the lowest tier's template. */
  readonly filesMatched: number;
  /** Rows added (matches not already in the database). */
  readonly rowsAdded: number;
  /** Up to 20 candidate names that did not match the template (relative to the tier directory). */
  readonly unmatched: readonly string[];
}

/** One row as a plain object (for display/JSON; not for hot paths). */
export type FileDbRecord = Record<string, string | number | TableId[] | number[] | null>;

/** The constructor of a FileDb class (the class itself, or `@daqkit/filedb/node`'s subclass). */
export type FileDbClass<T extends FileDb> = new (
  resolved: ResolvedFileDbConfig,
  state?: FileDbState,
  place?: { host: FileDbHost; directory?: DirectorySource },
) => T;

const TIER_COLUMN = /^(.+)_(file|size|tables|col_idx)$/;

/** Options of {@link FileDb.fromDirectory}. */
export interface FileDbDirectoryOptions extends ResolveInDirectoryOptions {
  /**
   * Run {@link FileDb.scanFiles} right away, then (when the config has both `tables` and `columns`)
   * fill the table/column information from the config. Default true (as pygama).
   */
  scan?: boolean;
}

/** `dir` below `root` as `""` or `"/a/b"`; undefined when it is not below (paths with `/`, either both absolute or both relative). */
function relativeBelow(root: string, dir: string): string | undefined {
  const r = root.replace(/\/+$/, "");
  const d = dir.replace(/\/+$/, "");
  if (d === r) return "";
  if (r === "") return d.startsWith("/") ? undefined : `/${d}`;
  return d.startsWith(`${r}/`) ? d.slice(r.length) : undefined;
}

/**
 * The file database. Create it with {@link FileDb.fromDirectory} (any platform) or, in Node, with `FileDb.fromConfig` / `openFileDb` of `@daqkit/filedb/node`; fill it with
 * {@link FileDb.scanFiles} and `scanTablesColumns`, query it with {@link FileDb.query}, and read the
 * rows as an Arrow table from {@link FileDb.table}. Methods that scan mutate the database in place
 * (rows are appended, as pygama's).
 */
export class FileDb {
  #resolved: ResolvedFileDbConfig;
  #state: FileDbState;
  #table: Table | null = null;
  #host: FileDbHost;
  readonly #directory: DirectorySource | undefined;

  /**
   * @internal use {@link FileDb.fromDirectory}, or in Node `FileDb.fromConfig`, `openFileDb` or
   * `readFileDb` of `@daqkit/filedb/node`. Without `place`, the database has no files (an empty listing).
   */
  constructor(resolved: ResolvedFileDbConfig, state?: FileDbState, place?: { host: FileDbHost; directory?: DirectorySource }) {
    this.#resolved = resolved;
    this.#state = state ?? emptyState(resolved);
    this.#host = place?.host ?? listingFileHost([]);
    this.#directory = place?.directory;
  }

  /**
   * Build a FileDb over an `@daqkit/io` directory source (any platform: a browser folder, an HTTP
   * listing, a Node directory): the source is the data directory (`data_dir` is not used), tier
   * directories are relative to its root. The source is listed once; {@link FileDb.scanFiles} and
   * {@link FileDb.updateFileStatus} work on that listing until {@link FileDb.refreshDirectory}.
   * {@link FileDb.filePath} gives paths relative to the source's root.
   *
   * @throws FileDbError `FILEDB_BAD_CONFIG`, `FILEDB_BAD_TEMPLATE`, the codes of
   *   {@link FileDb.scanFiles} when scanning; IoError when listing the source fails.
   */
  static async fromDirectory<T extends FileDb>(
    this: FileDbClass<T>,
    config: FileDbConfig,
    directory: DirectorySource,
    options: FileDbDirectoryOptions = {},
  ): Promise<T> {
    const resolved = resolveFileDbConfigInDirectory(config, options);
    const db = new this(resolved, undefined, { host: listingFileHost(await directory.list({ recursive: true })), directory });
    if (options.scan ?? true) {
      db.scanFiles();
      if (resolved.config.tables && resolved.config.columns) db.setTablesColumnsFromConfig();
    }
    return db;
  }

  /** The directory source of a database made by {@link FileDb.fromDirectory}; undefined for one on the local disk. */
  get directory(): DirectorySource | undefined {
    return this.#directory;
  }

  /**
   * List the directory source again (a database made by {@link FileDb.fromDirectory}) and update
   * file status and sizes; on the local disk, the same as {@link FileDb.updateFileStatus}.
   */
  async refreshDirectory(): Promise<void> {
    if (this.#directory) this.#host = listingFileHost(await this.#directory.list({ recursive: true }));
    this.updateFileStatus();
  }

  /** The resolved configuration (replace it with {@link FileDb.setConfig}). */
  get resolved(): ResolvedFileDbConfig {
    return this.#resolved;
  }

  /**
   * Replace the configuration (pygama's `set_config`), validated first. Here the config is resolved
   * as for {@link FileDb.fromDirectory} (`data_dir` unused); `@daqkit/filedb/node`'s FileDb resolves
   * it as `fromConfig` does (a path or an object, `$_`, a `data_dir` on disk). The rows are kept when
   * the tiers and key fields are unchanged (e.g. the data moved: `data_dir`/`tier_dirs` changed;
   * file paths then resolve against the new directories); the table/column information is dropped
   * when a table template changed (run `scanTablesColumns` again). With other tiers or key fields
   * the database is emptied (run `scanFiles` again). pygama keeps its DataFrame whatever changed.
   * @throws FileDbError `FILEDB_BAD_CONFIG`, `FILEDB_BAD_TEMPLATE` (database unchanged).
   */
  setConfig(config: FileDbConfig | string, options: ResolveInDirectoryOptions = {}): void {
    if (typeof config === "string") {
      throw new FileDbError("FILEDB_BAD_CONFIG", "filedb: setConfig by path needs @daqkit/filedb/node's FileDb; pass a config object");
    }
    this.replaceResolved(resolveFileDbConfigInDirectory(config, options));
  }

  /** @internal Install a new resolved configuration (see {@link FileDb.setConfig}). */
  protected replaceResolved(next: ResolvedFileDbConfig): void {
    const old = this.#resolved;
    const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    let state = this.#state;
    if (!same(old.tiers, next.tiers) || !same(old.keyFields, next.keyFields)) state = emptyState(next);
    else if (next.tiers.some((t) => old.tableTemplates[t]?.text !== next.tableTemplates[t]?.text)) {
      state = { ...state, tables: null, colIdx: null, columns: null };
    }
    this.#resolved = next;
    this.#state = state;
    this.#table = null;
  }

  /** The config as stored with the database (resolved absolute `data_dir`, expanded `tier_dirs`). */
  get config(): FileDbConfig {
    return this.resolved.config;
  }

  /** Tier names in order (first = lowest). */
  get tiers(): readonly string[] {
    return this.resolved.tiers;
  }

  /** Absolute data directory. */
  get dataDir(): string {
    return this.resolved.dataDir;
  }

  /** Number of rows (cycles). */
  get length(): number {
    return this.#state.status.length;
  }

  /**
   * The distinct column lists found by the table scan (`FileDB.columns` in pygama), or null before
   * the scan. `{tier}_col_idx` values index into this list.
   */
  get columns(): readonly (readonly string[])[] | null {
    return this.#state.columns;
  }

  /** True once `{tier}_tables` / `{tier}_col_idx` are known. */
  get hasTables(): boolean {
    return this.#state.tables !== null;
  }

  /** @internal the columnar state (shared by reference; do not mutate). */
  get state(): FileDbState {
    return this.#state;
  }

  /** @internal replace the state (used by the table scan and merging). */
  setState(state: FileDbState): void {
    this.#state = state;
    this.#table = null;
  }

  /** Names of the table's columns, in order. */
  get columnNames(): string[] {
    const { keyFields, tiers } = this.resolved;
    const names = [...keyFields, ...tiers.map((t) => `${t}_file`), ...tiers.map((t) => `${t}_size`), "file_status"];
    if (this.#state.tables) for (const t of tiers) names.push(`${t}_tables`, `${t}_col_idx`);
    return names;
  }

  /**
   * The database as an Arrow table, one row per cycle, columns in pygama's order: key fields
   * (sorted; Utf8, or Int64 for `{x:d}` fields), `{tier}_file` (Utf8, relative to the tier directory
   * with a leading `/`), `{tier}_size` (Int64 bytes, 0 if missing), `file_status` (Int32, one bit per
   * tier, lowest tier = most significant), and after a table scan `{tier}_tables` (List<Int64> or
   * List<Utf8>, null when the tier file is missing) and `{tier}_col_idx` (List<Int32>, indices into
   * {@link FileDb.columns}). Built lazily and cached until the next change.
   */
  get table(): Table {
    this.#table ??= this.#buildTable();
    return this.#table;
  }

  #buildTable(): Table {
    const s = this.#state;
    const { keyFields, keyTypes, tiers } = this.resolved;
    const cols: Record<string, Vector> = {};
    for (const k of keyFields) {
      const values = s.keys.get(k)!;
      cols[k] =
        keyTypes[k] === "d"
          ? makeVector(BigInt64Array.from(values, (v) => BigInt(v as number)))
          : vectorFromArray(values.map(String), new Utf8());
    }
    for (const t of tiers) cols[`${t}_file`] = vectorFromArray(s.files.get(t)!, new Utf8());
    for (const t of tiers) cols[`${t}_size`] = makeVector(BigInt64Array.from(s.sizes.get(t)!, (v) => BigInt(v)));
    cols.file_status = makeVector(Int32Array.from(s.status));
    if (s.tables && s.colIdx) {
      for (const t of tiers) {
        const ids = s.tables.get(t)!;
        const numeric = this.tableIdType(t) === "d";
        cols[`${t}_tables`] = numeric
          ? vectorFromArray(
              ids.map((l) => (l === null ? null : l.map((v) => BigInt(v as number)))),
              new List(new Field("item", new Int64(), true)),
            )
          : vectorFromArray(
              ids.map((l) => (l === null ? null : l.map(String))),
              new List(new Field("item", new Utf8(), true)),
            );
        cols[`${t}_col_idx`] = vectorFromArray(s.colIdx.get(t)!, new List(new Field("item", new Int32(), true)));
      }
    }
    return new ArrowTable(cols);
  }

  /**
   * The id type of a tier's tables: `"d"` (integer ids, `{ch:07d}` or a fixed table name → `0`) or
   * `"s"` (string ids, `{grp}/evt`).
   */
  tableIdType(tier: string): "d" | "s" {
    this.#checkTier(tier);
    return tableIdTypeOf(this.resolved, tier);
  }

  #checkTier(tier: string): void {
    if (!this.resolved.tiers.includes(tier)) {
      throw new FileDbError(
        "FILEDB_UNKNOWN_TIER",
        `filedb: unknown tier ${JSON.stringify(tier)} (tiers: ${this.resolved.tiers.join(", ")})`,
        {
          tier,
        },
      );
    }
  }

  #tableTemplate(tier: string) {
    this.#checkTier(tier);
    return this.resolved.tableTemplates[tier]!;
  }

  #checkRow(row: number): void {
    if (!Number.isInteger(row) || row < 0 || row >= this.length) {
      throw new RangeError(`filedb: row ${row} is outside 0…${this.length - 1}`);
    }
  }

  /**
   * The path of a table inside a tier file: the tier's `table_format` with its field set to `id`
   * (`getTableName("raw", 1084803)` → `"ch1084803/raw"`); a template without a field is returned
   * as is (`getTableName("tcm", 0)` → `"hardware_tcm_1"`).
   * @throws FileDbError `FILEDB_UNKNOWN_TIER`, `FILEDB_BAD_TEMPLATE` (e.g. a string id for `{ch:d}`).
   */
  getTableName(tier: string, id: TableId | bigint): string {
    const tpl = this.#tableTemplate(tier);
    const field = tpl.fields[0];
    return tpl.format(field ? { [field.name]: id } : {});
  }

  /** Absolute path of a row's file of `tier` (whether or not it exists). @throws FileDbError `FILEDB_UNKNOWN_TIER`. */
  filePath(row: number, tier: string): string {
    this.#checkTier(tier);
    this.#checkRow(row);
    return tierFilePath(this.resolved, this.#state, row, tier);
  }

  #locate(path: string): Lh5Location {
    return this.#directory ? { directory: this.#directory, path: normalizeRelative(path) } : path;
  }

  /** Whether a row's file of `tier` exists now (local disk), or in the last listing (directory source). */
  fileExists(row: number, tier: string): boolean {
    return this.#host.statSizes([this.filePath(row, tier)])[0]! >= 0;
  }

  /** Where a row's file of `tier` is: its path, or its entry in the directory source. */
  fileLocation(row: number, tier: string): Lh5Location {
    return this.#locate(this.filePath(row, tier));
  }

  /**
   * Open a row's file of `tier` with `@daqkit/lh5` (the FileDB's one way of opening LH5 files).
   * @throws Lh5Error as `openLh5`; FileDbError `FILEDB_UNREADABLE` for a directory entry that cannot
   *   be opened, or a host path in a FileDb made by the main entry (host paths: `@daqkit/filedb/node`).
   * `options.runtime: "on-demand"`: h5wasm is loaded when a read needs it (see `@daqkit/lh5`'s `openLh5`).
   */
  openFile(row: number, tier: string, options: OpenLh5FileOptions = {}): Promise<Lh5File> {
    return openLh5File(this.fileLocation(row, tier), this.#host, options);
  }

  /** Key field values of a row (strings, numbers for `d` fields). */
  keysOf(row: number): Record<string, TemplateValue> {
    this.#checkRow(row);
    const out: Record<string, TemplateValue> = {};
    for (const [k, v] of this.#state.keys) out[k] = v[row]!;
    return out;
  }

  /** Bit of `tier` in `file_status` (`2^(nTiers − 1 − index)`). @throws FileDbError `FILEDB_UNKNOWN_TIER`. */
  statusBit(tier: string): number {
    this.#checkTier(tier);
    return statusBitOf(this.resolved, tier);
  }

  /** The table ids of a row's tier file; null when the file is missing. @throws FileDbError `FILEDB_NOT_SCANNED`, `FILEDB_UNKNOWN_TIER`. */
  getTables(row: number, tier: string): readonly TableId[] | null {
    this.#checkTier(tier);
    this.#checkRow(row);
    if (!this.#state.tables) throw this.#notScanned();
    return this.#state.tables.get(tier)![row]!;
  }

  /** Indices into {@link FileDb.columns}, parallel to {@link FileDb.getTables}. */
  getColumnIndices(row: number, tier: string): readonly number[] | null {
    this.#checkTier(tier);
    this.#checkRow(row);
    if (!this.#state.colIdx) throw this.#notScanned();
    return this.#state.colIdx.get(tier)![row]!;
  }

  #notScanned(): FileDbError {
    return new FileDbError("FILEDB_NOT_SCANNED", "filedb: table/column information is missing: run scanTablesColumns() first");
  }

  /**
   * Column names of `table` in a row's `tier` file (pygama `get_table_columns`; `row` is positional,
   * default 0). Returns `[]` when that tier file is missing.
   * @throws FileDbError `FILEDB_UNKNOWN_TIER`, `FILEDB_UNKNOWN_TABLE` (not in that row's list),
   *   `FILEDB_NOT_SCANNED`.
   */
  getTableColumns(table: TableId | bigint, tier: string, row = 0): readonly string[] {
    const ids = this.getTables(row, tier);
    if (ids === null) return [];
    const key = typeof table === "bigint" ? toSafeNumber(table, "table id") : table;
    const i = ids.findIndex((id) => id === key || String(id) === String(key));
    if (i < 0) {
      throw new FileDbError(
        "FILEDB_UNKNOWN_TABLE",
        `filedb: table ${JSON.stringify(String(table))} is not in the ${tier} file of row ${row} (tables: ${ids.slice(0, 20).join(", ")})`,
        { tier, row },
      );
    }
    return this.#state.columns![this.#state.colIdx!.get(tier)![row]![i]!]!;
  }

  /**
   * Scan the lowest tier for cycle files and append their rows (§1.5): with no `dirs`, the whole
   * tier directory recursively; otherwise each directory, resolved as absolute, relative to the
   * tier directory, relative to `data_dir`, or relative to the CWD (first that exists). File names
   * are matched against the lowest tier's `file_format` (with the relative directory prefixed when
   * the template contains `/`); non-matching files are ignored. Every tier's file name is derived
   * from the key fields. Rows already present (same lowest-tier file) are not duplicated. Rows are
   * then sorted by `sortby`, and `file_status` and sizes are recomputed for all rows.
   *
   * @throws FileDbError `FILEDB_DIR_NOT_FOUND` (a directory to scan does not exist),
   *   `FILEDB_NO_FILES` (no files at all, or none matched), `FILEDB_BAD_KEY` (a cycle key that
   *   cannot be parsed when sorting by timestamp), `FILEDB_BAD_TEMPLATE`.
   */
  scanFiles(dirs?: string | readonly string[]): FileScanReport {
    const { tiers, tierDirs, fileTemplates } = this.resolved;
    const low = tiers[0]!;
    const root = tierDirs[low]!;
    const template = fileTemplates[low]!;
    const withDirs = template.text.includes("/");
    const scanDirs: string[] = [];
    if (dirs === undefined) {
      if (!this.#host.isDirectory(root)) {
        throw new FileDbError("FILEDB_DIR_NOT_FOUND", `filedb: the ${low} tier directory ${root} does not exist`, {
          path: root,
          tier: low,
        });
      }
      scanDirs.push(root);
    } else {
      for (const d of typeof dirs === "string" ? [dirs] : dirs) scanDirs.push(this.#resolveScanDir(d));
    }
    const known = new Set(this.#state.files.get(low)!);
    let seen = 0;
    let matched = 0;
    let added = 0;
    const unmatched: string[] = [];
    const s = this.#state;
    // The columns a new row appends to, looked up once (not per file).
    const keyNames = [...s.keys.keys()];
    const keyCols = [...s.keys.values()];
    const fileCols = tiers.map((t) => s.files.get(t)!);
    const sizeCols = tiers.map((t) => s.sizes.get(t)!);
    const tableCols = s.tables ? tiers.map((t) => s.tables!.get(t)!) : [];
    const colIdxCols = s.colIdx ? tiers.map((t) => s.colIdx!.get(t)!) : [];
    const otherTemplates = tiers.map((t) => fileTemplates[t]!);
    // With only plain string fields, formatting the parsed values gives back the parsed text itself
    // (each field's text between the same literals), so the lowest tier's name is the candidate.
    const verbatim = template.fields.every((f) => f.type === "s" && f.width === 0);
    // A tier whose template differs from the lowest tier's only after the last field
    // (`…-tier_raw.lh5` → `…-tier_dsp.lh5`) gets the lowest tier's name with that suffix swapped:
    // a slice and one concatenation instead of formatting all fields again.
    const swaps = otherTemplates.map((t) => (verbatim ? suffixSwap(template, t) : undefined));
    for (const dir of scanDirs) {
      const prefix = relativeBelow(root, dir) ?? dir;
      this.#host.walkFiles(dir, (relativeDir, name) => {
        seen++;
        const candidate = withDirs ? `${prefix}${relativeDir}/${name}` : name;
        const values = template.parse(candidate);
        if (!values) {
          if (unmatched.length < 20) unmatched.push(candidate);
          return;
        }
        matched++;
        const lowFile = verbatim ? candidate : template.format(values);
        if (known.has(lowFile)) return;
        known.add(lowFile);
        for (let k = 0; k < keyCols.length; k++) keyCols[k]!.push(values[keyNames[k]!]!);
        fileCols[0]!.push(lowFile);
        for (let i = 1; i < fileCols.length; i++) {
          const swap = swaps[i];
          fileCols[i]!.push(swap ? lowFile.slice(0, lowFile.length - swap.cut) + swap.append : otherTemplates[i]!.format(values));
        }
        for (const col of sizeCols) col.push(0);
        s.status.push(0);
        for (const col of tableCols) col.push(null);
        for (const col of colIdxCols) col.push(null);
        added++;
      });
    }
    if (seen === 0) {
      throw new FileDbError("FILEDB_NO_FILES", `filedb: no ${low} files found under ${scanDirs.join(", ")}`, {
        path: scanDirs[0],
        tier: low,
      });
    }
    if (matched === 0) {
      throw new FileDbError(
        "FILEDB_NO_FILES",
        `filedb: no ${low} files matched pattern ${JSON.stringify(template.text)} under ${scanDirs.join(", ")} (${seen} files seen, e.g. ${JSON.stringify(unmatched[0])})`,
        { path: scanDirs[0], tier: low, source: template.text },
      );
    }
    this.#table = null;
    this.sortRows();
    this.updateFileStatus();
    return { filesSeen: seen, filesMatched: matched, rowsAdded: added, unmatched };
  }

  #resolveScanDir(d: string): string {
    const { tiers, tierDirs, dataDir } = this.resolved;
    const { found, tried } = this.#host.resolveDirectory(d, [tierDirs[tiers[0]!]!, dataDir]);
    if (found !== undefined) return found;
    throw new FileDbError("FILEDB_DIR_NOT_FOUND", `filedb: directory to scan ${JSON.stringify(d)} not found (tried ${tried.join(", ")})`, {
      path: tried[0],
    });
  }

  /**
   * Scan a DAQ directory whose files are named by another template (pygama `scan_daq_files`,
   * §1.12): every file below `daqDir` whose relative name (with a leading `/` when the template
   * contains `/`) matches `daqTemplate` adds a row; each tier's file name is derived from the
   * fields. Unlike pygama, non-matching files are skipped and rows are sorted and get status/sizes.
   * @throws FileDbError `FILEDB_DIR_NOT_FOUND`, `FILEDB_NO_FILES`, `FILEDB_BAD_TEMPLATE` (the DAQ
   *   template lacks a field a tier template needs).
   */
  scanDaqFiles(daqDir: string, daqTemplate: string): FileScanReport {
    const template = compileTemplate(daqTemplate);
    const { found, tried } = this.#host.resolveDirectory(daqDir, []);
    const dir = found ?? tried[tried.length - 1] ?? daqDir;
    if (found === undefined) throw new FileDbError("FILEDB_DIR_NOT_FOUND", `filedb: DAQ directory ${dir} does not exist`, { path: dir });
    const { tiers, fileTemplates } = this.resolved;
    const s = this.#state;
    const known = new Set(s.files.get(tiers[0]!)!);
    let seen = 0;
    let matched = 0;
    let added = 0;
    const unmatched: string[] = [];
    this.#host.walkFiles(dir, (relativeDir, name) => {
      seen++;
      const candidate = daqTemplate.includes("/") ? `${relativeDir}/${name}` : name;
      const values = template.parse(candidate);
      if (!values) {
        if (unmatched.length < 20) unmatched.push(candidate);
        return;
      }
      matched++;
      const files = tiers.map((t) => fileTemplates[t]!.format(values));
      if (known.has(files[0]!)) return;
      known.add(files[0]!);
      for (const [k, arr] of s.keys) {
        const v = values[k];
        if (v === undefined) {
          throw new FileDbError("FILEDB_BAD_TEMPLATE", `filedb: DAQ template ${JSON.stringify(daqTemplate)} has no field "${k}"`, {
            source: daqTemplate,
          });
        }
        arr.push(v);
      }
      tiers.forEach((t, i) => {
        s.files.get(t)!.push(files[i]!);
        s.sizes.get(t)!.push(0);
        s.tables?.get(t)?.push(null);
        s.colIdx?.get(t)?.push(null);
      });
      s.status.push(0);
      added++;
    });
    if (seen === 0) throw new FileDbError("FILEDB_NO_FILES", `filedb: no files found under ${dir}`, { path: dir });
    if (matched === 0) {
      throw new FileDbError("FILEDB_NO_FILES", `filedb: no files under ${dir} matched pattern ${JSON.stringify(daqTemplate)}`, {
        path: dir,
      });
    }
    this.#table = null;
    this.sortRows();
    this.updateFileStatus();
    return { filesSeen: seen, filesMatched: matched, rowsAdded: added, unmatched };
  }

  /**
   * Open every existing tier file with `@daqkit/lh5` and record, per row and tier, the table ids
   * (`{tier}_tables`) and an index into {@link FileDb.columns} per table (`{tier}_col_idx`), §1.7.
   * Table ids come from group paths matching the tier's `table_format` (`ch{ch:07d}/raw` →
   * 1084803); a template without a field gives one table with id 0. Column names are the table's
   * top-level columns in byte order (= HDF5 link order, as pygama). A missing tier file gives null
   * cells. Tiers are scanned in order, rows in database order, so the column lists are numbered as
   * in pygama. Without `override`, existing column information is kept.
   *
   * @throws FileDbError `FILEDB_UNREADABLE` (a tier file that is not readable LH5, with `cause`),
   *   `FILEDB_BAD_TABLE` (a group matching the table glob but not the template, strict mode).
   */
  async scanTablesColumns(options: ScanTablesColumnsOptions = {}): Promise<TablesColumnsReport> {
    const { state, report } = await scanTablesColumnsOf(this.resolved, this.#state, options, {
      host: this.#host,
      locate: (path) => this.#locate(path),
    });
    if (state !== this.#state) this.setState(state);
    return report;
  }

  /**
   * Recompute `file_status` and `{tier}_size` of every row from the file system (§1.6): a tier's
   * bit is set when its file exists; the size is its byte count, 0 when missing.
   */
  updateFileStatus(): void {
    const { tiers, tierDirs } = this.resolved;
    const s = this.#state;
    const n = this.length;
    const status = new Array<number>(n).fill(0);
    // Stats in batches of STAT_BATCH paths per tier, written straight into that tier's slots (the
    // path strings of a batch die young). A tier whose directory does not exist (not produced yet)
    // is skipped without a stat per row; a missing subdirectory or file stats as missing (-1).
    const batch = new Array<string>(Math.min(n, STAT_BATCH));
    for (let i = 0; i < tiers.length; i++) {
      const t = tiers[i]!;
      const tierSizes = s.sizes.get(t)!;
      tierSizes.fill(0);
      const dir = tierDirs[t]!;
      if (n === 0 || !this.#host.isDirectory(dir)) continue;
      const files = s.files.get(t)!;
      const dirSlash = `${dir}/`;
      const bit = 2 ** (tiers.length - 1 - i);
      for (let start = 0; start < n; start += STAT_BATCH) {
        const count = Math.min(STAT_BATCH, n - start);
        if (count < batch.length) batch.length = count;
        for (let k = 0; k < count; k++) {
          const f = files[start + k]!;
          batch[k] = f.charCodeAt(0) === 47 /* "/" */ ? dir + f : dirSlash + f;
        }
        const sizes = this.#host.statSizes(batch);
        for (let k = 0; k < count; k++) {
          const size = sizes[k]!;
          if (size < 0) continue;
          status[start + k]! |= bit;
          tierSizes[start + k] = size;
        }
      }
    }
    s.status = status;
    this.#table = null;
  }

  /**
   * Sort rows by `sortby` (stable): cycle keys for `"timestamp"` (parsed with `@daqkit/timestamps`),
   * otherwise ascending values. With the default `sortby` and no `timestamp` field, rows are sorted
   * by the lowest tier's file name.
   * @throws FileDbError `FILEDB_BAD_KEY` (a timestamp that is not a cycle key), `FILEDB_BAD_CONFIG`
   *   (an explicit `sortby` that is not a column).
   */
  sortRows(): void {
    const s = this.#state;
    const n = this.length;
    const { sortby, tiers } = this.resolved;
    let sortKeys: (string | number)[];
    if (sortby === "timestamp" && s.keys.has("timestamp")) {
      const ts = s.keys.get("timestamp")!;
      sortKeys = ts.map((k, row) => {
        if (typeof k === "string") {
          try {
            return cycleKeyToUnixSeconds(k);
          } catch {
            // not a cycle key: the error below
          }
        }
        throw new FileDbError(
          "FILEDB_BAD_KEY",
          `filedb: row ${row}: timestamp ${JSON.stringify(String(k))} is not a cycle key YYYYMMDDTHHMMSSZ (file ${s.files.get(tiers[0]!)![row]})`,
          { row, column: "timestamp" },
        );
      });
    } else if (s.keys.has(sortby)) {
      sortKeys = s.keys.get(sortby)!;
    } else if (sortby === "timestamp" && this.resolved.config.sortby === undefined) {
      sortKeys = s.files.get(tiers[0]!)!;
    } else {
      const col = this.#plainColumn(sortby);
      if (!col) {
        throw new FileDbError(
          "FILEDB_BAD_CONFIG",
          `filedb: sortby ${JSON.stringify(sortby)} is not a column (columns: ${this.columnNames.join(", ")})`,
          {
            column: sortby,
          },
        );
      }
      sortKeys = Array.from(col as ArrayLike<string | number>);
    }
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => {
      const x = sortKeys[a]!;
      const y = sortKeys[b]!;
      return x < y ? -1 : x > y ? 1 : a - b;
    });
    if (order.every((v, i) => v === i)) return;
    const permute = <T>(arr: T[]): T[] => order.map((i) => arr[i]!);
    for (const [k, v] of s.keys) s.keys.set(k, permute(v));
    for (const [k, v] of s.files) s.files.set(k, permute(v));
    for (const [k, v] of s.sizes) s.sizes.set(k, permute(v));
    s.status = permute(s.status);
    if (s.tables) for (const [k, v] of s.tables) s.tables.set(k, permute(v));
    if (s.colIdx) for (const [k, v] of s.colIdx) s.colIdx.set(k, permute(v));
    this.#table = null;
  }

  /**
   * Fill `{tier}_tables`/`{tier}_col_idx` from the config's `tables` and `columns` (pygama's
   * constructor shortcut, §1.7): `columns` = one list per tier in config order; every row gets the
   * tier's configured tables, regardless of what exists on disk.
   * @throws FileDbError `FILEDB_BAD_CONFIG` when `tables` or `columns` is missing.
   */
  setTablesColumnsFromConfig(): void {
    const { tables, columns } = this.resolved.config;
    if (!tables || !columns) throw new FileDbError("FILEDB_BAD_CONFIG", `filedb: the config needs both "tables" and "columns" for this`);
    const lists = Object.values(columns).map((l) => [...l]);
    const tierIndex = new Map(Object.keys(columns).map((t, i) => [t, i]));
    const n = this.length;
    const tablesMap = new Map<string, (TableId[] | null)[]>();
    const colMap = new Map<string, (number[] | null)[]>();
    for (const t of this.resolved.tiers) {
      const ids = tables[t] ?? [];
      const idx = tierIndex.get(t);
      tablesMap.set(
        t,
        Array.from({ length: n }, () => [...ids]),
      );
      colMap.set(
        t,
        Array.from({ length: n }, () => (idx === undefined ? [] : ids.map(() => idx))),
      );
    }
    this.setState({ ...this.#state, tables: tablesMap, colIdx: colMap, columns: lists });
  }

  #plainColumn(name: string): ExpressionColumn | undefined {
    const s = this.#state;
    if (s.keys.has(name)) return s.keys.get(name)!;
    if (name === "file_status") return s.status;
    const m = TIER_COLUMN.exec(name);
    if (m) {
      const [, tier, kind] = m;
      if (kind === "file" && s.files.has(tier!)) return s.files.get(tier!)!;
      if (kind === "size" && s.sizes.has(tier!)) return s.sizes.get(tier!)!;
      if (kind === "tables" && s.tables?.has(tier!)) return this.table.getChild(name) ?? undefined;
      if (kind === "col_idx" && s.colIdx?.has(tier!)) return this.table.getChild(name) ?? undefined;
    }
    return undefined;
  }

  /**
   * Rows selected by a pandas-query expression over the database columns (pygama `set_files`
   * queries), e.g. `"type == 'phy'"`, `"file_status == 30 and timestamp == '20230318T012144Z'"`,
   * `"run == 'r001' and type in ['cal']"`. The word `all` (spaces ignored) selects every row.
   *
   * @returns ascending row indices.
   * @throws FileDbError `FILEDB_BAD_EXPRESSION` (with `position`), `FILEDB_UNKNOWN_TIER` (a
   *   `{tier}_file`-style column of a tier that does not exist), `FILEDB_UNKNOWN_COLUMN`.
   */
  query(expression: string | Expression): Int32Array {
    if (typeof expression === "string" && expression.replace(/\s+/g, "") === "all") {
      return Int32Array.from({ length: this.length }, (_, i) => i);
    }
    const expr = typeof expression === "string" ? parseExpression(expression) : expression;
    let mask: Uint8Array;
    try {
      mask = this.#evaluate(expr);
    } catch (error) {
      if (FileDbError.isInstance(error) && error.code === "FILEDB_UNKNOWN_COLUMN") {
        throw new FileDbError("FILEDB_UNKNOWN_COLUMN", `${error.message} (columns: ${this.columnNames.join(", ")})`, {
          position: error.position,
          source: error.source,
          column: error.column,
          cause: error,
        });
      }
      throw error;
    }
    let count = 0;
    for (let i = 0; i < mask.length; i++) count += mask[i]!;
    const rows = new Int32Array(count);
    for (let i = 0, j = 0; i < mask.length; i++) if (mask[i]) rows[j++] = i;
    return rows;
  }

  #evaluate(expr: Expression): Uint8Array {
    return evaluateExpression(
      expr,
      (name) => {
        const col = this.#plainColumn(name);
        if (col) return col;
        const m = TIER_COLUMN.exec(name);
        if (m && !this.resolved.tiers.includes(m[1]!)) {
          throw new FileDbError(
            "FILEDB_UNKNOWN_TIER",
            `filedb: query names column ${JSON.stringify(name)} of unknown tier ${JSON.stringify(m[1])} (tiers: ${this.resolved.tiers.join(", ")})`,
            { tier: m[1], column: name },
          );
        }
        if (m && (m[2] === "tables" || m[2] === "col_idx")) throw this.#notScanned();
        return undefined;
      },
      this.length,
    );
  }

  /** Rows whose `timestamp` is one of `keys` (pygama `set_files([...keys])`), ascending. */
  queryKeys(keys: readonly string[]): Int32Array {
    const wanted = new Set(keys);
    const ts = this.#state.keys.get("timestamp");
    if (!ts) throw new FileDbError("FILEDB_UNKNOWN_COLUMN", `filedb: the database has no "timestamp" column`, { column: "timestamp" });
    const rows: number[] = [];
    ts.forEach((v, i) => {
      if (wanted.has(String(v))) rows.push(i);
    });
    return Int32Array.from(rows);
  }

  /** A new FileDb with only the given rows (in the given order); column lists are shared. */
  subset(rows: ArrayLike<number>): this {
    const s = this.#state;
    const pick = <T>(arr: T[]): T[] => Array.from(rows, (i) => arr[i]!);
    const mapPick = <T>(m: Map<string, T[]>): Map<string, T[]> => new Map([...m].map(([k, v]) => [k, pick(v)]));
    for (let i = 0; i < rows.length; i++) this.#checkRow(rows[i]!);
    const place = { host: this.#host, ...(this.#directory ? { directory: this.#directory } : {}) };
    return new (this.constructor as FileDbClass<this>)(
      this.resolved,
      {
        keys: mapPick(s.keys),
        files: mapPick(s.files),
        sizes: mapPick(s.sizes),
        status: pick(s.status),
        tables: s.tables ? mapPick(s.tables) : null,
        colIdx: s.colIdx ? mapPick(s.colIdx) : null,
        columns: s.columns,
      },
      place,
    );
  }

  /** Row `i` as a plain object (key fields, files, sizes, status, tables). Not for hot paths. */
  record(row: number): FileDbRecord {
    this.#checkRow(row);
    const s = this.#state;
    const out: FileDbRecord = {};
    for (const [k, v] of s.keys) out[k] = v[row]!;
    for (const t of this.resolved.tiers) out[`${t}_file`] = s.files.get(t)![row]!;
    for (const t of this.resolved.tiers) out[`${t}_size`] = s.sizes.get(t)![row]!;
    out.file_status = s.status[row]!;
    if (s.tables && s.colIdx) {
      for (const t of this.resolved.tiers) {
        out[`${t}_tables`] = s.tables.get(t)![row] ?? null;
        out[`${t}_col_idx`] = s.colIdx.get(t)![row] ?? null;
      }
    }
    return out;
  }

  /** Every row as a plain object (see {@link FileDb.record}). */
  records(): FileDbRecord[] {
    return Array.from({ length: this.length }, (_, i) => this.record(i));
  }
}
