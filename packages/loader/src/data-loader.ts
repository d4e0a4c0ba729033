import type { WorkerFactory } from "@daqkit/io";
import type { Table } from "apache-arrow";
import { ColumnCollector, checkColumnsSomewhere, type ExportedColumns, unknownColumnError } from "./column-collector.js";
import { buildCycleEntries, type CycleJob, type CycleResult, collectCycleColumns, runCycleJob, sliceChunk } from "./cycle-job.js";
import { joinCutTexts, parseLevelCut } from "./cuts.js";
import type { CycleSource, TableId } from "./cycle-source.js";
import {
  buildHitEntries,
  buildTcmEntries,
  childTablesOf,
  type EntryChunk,
  type EntryPlan,
  type LevelCut,
  tierForColumn,
} from "./entry-list.js";
import type { TcmMode } from "./entry-selection.js";
import { chunksFromTable, type EntryColumnNames, entryColumnNames, entryTable } from "./entry-table.js";
import { LoaderError } from "./errors.js";
import type { FileCatalog } from "./lh5-cycle.js";
import { type HostLh5Opener, openLh5Cycle } from "./lh5-cycle.js";
import { type LevelConfig, type LoaderConfig, type LoaderConfigOptions, loaderConfigFromObject } from "./loader-config.js";
import { assembleOutput, type OutputFormat } from "./output.js";
import { runCyclesShared, type SharedRunOptions } from "./parallel.js";

/** Options of the {@link DataLoader} constructor. */
export interface DataLoaderOptions {
  /** Receives warnings (tables lacking cut columns, …) as they happen. */
  readonly onWarning?: (message: string) => void;
  /**
   * Threads for `load()`, this one included (default 1 = this thread only): `workers - 1` worker
   * threads (each with its own h5wasm) are started when the input is large enough, and they and this
   * thread take cycles from one queue (work stealing). Results are those of a one-thread load.
   */
  readonly workers?: number;
  /**
   * Input bytes (summed tier file sizes, from the FileDB) below which `load()` starts no worker
   * (default `MIN_PARALLEL_BYTES`, 64 MiB: below it a worker's start-up costs more than it saves).
   */
  readonly minParallelBytes?: number;
  /** Told, after a parallel `load()`, how many workers were started and how many cycles they loaded. */
  readonly onSchedule?: SharedRunOptions["onSchedule"];
  /**
   * Makes one worker running the loader's worker script (`@daqkit/io`'s `WorkerPool` protocol).
   * `@daqkit/loader/node` passes worker_threads on `dist/load-worker.js`; without a factory, or when
   * no worker starts, cycles load one after another in this thread.
   */
  readonly spawnWorker?: WorkerFactory;
  /**
   * Writes the `outputFile` of a build or load: Arrow tables by name into one LH5 file.
   * `@daqkit/loader/node` passes the atomic LH5 writer; without one, `outputFile` is refused
   * (`LOADER_BAD_ARGUMENT`).
   */
  readonly writeOutput?: (path: string, tables: readonly (readonly [string, Table])[]) => Promise<void>;
  /**
   * Opens LH5 files by host path, for catalogs without `openTier` and the pool's worker snapshots.
   * `@daqkit/loader/node` passes `@daqkit/lh5/node`'s `openLh5`; without one, such files are refused
   * (`LOADER_IO`). A FileDB's catalog opens its own files (directory sources on any platform).
   */
  readonly openPath?: HostLh5Opener;
}

/** Options of {@link DataLoader.buildEntryList}. */
export interface BuildEntryListOptions {
  /**
   * TCM level to join through. Default: none, unless a cut names a TCM level's child level (then
   * the only TCM level whose child it is).
   */
  readonly tcmLevel?: string;
  /** TCM table id when the TCM tier holds several tables. */
  readonly tcmTable?: TableId;
  /** `"only"` (default) or `"any"`, see {@link TcmMode}. */
  readonly mode?: TcmMode;
  /** Also put the columns that are both cut and output columns into the entry list (read once more). */
  readonly saveOutputColumns?: boolean;
  /**
   * Write the entry list to this LH5 file: table `entries` ({@link DataLoader.buildEntryList}), or one
   * table per cycle named by its FileDB row ({@link DataLoader.buildEntryListPerFile}).
   */
  readonly outputFile?: string;
  /** Called after each cycle with (cycles done, cycles total). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Options of {@link DataLoader.load}. */
export interface LoadOptions {
  /** `"hit"` (default): one row per hit; `"evt"`: one row per event, hit columns as lists. */
  readonly orientation?: "hit" | "evt";
  /** TCM level, as in {@link BuildEntryListOptions.tcmLevel}; `orientation: "evt"` picks the only TCM level. */
  readonly tcmLevel?: string;
  readonly tcmTable?: TableId;
  /** Mode for the entry list built when none is given (default `"only"`). */
  readonly mode?: TcmMode;
  /** Worker threads for this load (default: the loader's `workers` option). */
  readonly workers?: number;
  /** Also write the result to this LH5 file (table `merged_data`, or one table per cycle for {@link DataLoader.loadPerFile}). */
  readonly outputFile?: string;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Options of {@link DataLoader.loadIterator}. */
export interface LoadIteratorOptions {
  /** Entries per chunk (pygama's `buffer_len`; default 3200 as there). */
  readonly chunkSize?: number;
  /** Iterate over this entry list instead of building one (cycle by cycle) from the selection. */
  readonly entryList?: EntryList;
  readonly tcmLevel?: string;
  readonly tcmTable?: TableId;
  readonly mode?: TcmMode;
  /** Called after each cycle with (cycles done, cycles total). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** One chunk of {@link DataLoader.loadIterator} (pygama's `(table, entry, n_entries)`). */
export interface LoadChunk {
  /** The chunk's output rows (merged form: entry columns with `file`, then the output columns). */
  readonly table: Table;
  /** Index of the chunk's first entry in the whole iteration. */
  readonly entry: number;
  /** Entries in this chunk (`table.numRows`). */
  readonly numEntries: number;
}

/** Per cycle, where columns are (see {@link DataLoader.getTiersForColumn}). */
export interface TiersForColumn {
  /** Tier → table ids having at least one of the columns. */
  readonly tables: Record<string, TableId[]>;
  /** Column → the tier it is read from (the last tier, in level and tier order, having it). */
  readonly columns: Record<string, string>;
}

/** What a load reads of one table in one cycle (see {@link LoadView.reads}). */
export interface TableRead {
  readonly fileIndex: number;
  readonly level: string;
  readonly tier: string;
  readonly table: TableId;
  /** The tier file (host path or directory-source path). */
  readonly path: string;
  /** The table's path in the file (`ch1084803/hit`). */
  readonly name: string;
  /** The output columns read from this table. */
  readonly columns: readonly string[];
  /** Rows read (parent level: the entries' rows of this table; child level: the events). */
  readonly rows: Int32Array;
}

/** One cycle of a {@link LoadView}: its FileDB row and the tier files of the load's levels. */
export interface ViewFile {
  readonly fileIndex: number;
  readonly paths: Record<string, string>;
}

/** @internal What a {@link LoadView} asks its loader. */
export interface LoadViewAccess {
  files(): Promise<ViewFile[]>;
  reads(): AsyncGenerator<TableRead, void, undefined>;
  iterate(chunkSize: number): AsyncGenerator<LoadChunk, void, undefined>;
}

/**
 * A lazy view of a load (from {@link DataLoader.browse}): the cycles and tier files it covers
 * ({@link files}, no reading), what it reads per cycle ({@link reads}, each cycle's entry list built
 * when reached), and random access to output rows ({@link entry}: the chunk of `bufferLength` entries
 * holding a row is loaded on first use and kept until another chunk is needed). Uses the loader's
 * state at the time of each call.
 */
export class LoadView {
  readonly #access: LoadViewAccess;
  readonly #bufferLength: number;
  #buffer: LoadChunk | null = null;
  #iterator: AsyncGenerator<LoadChunk, void, undefined> | null = null;

  /** @internal use {@link DataLoader.browse}. */
  constructor(access: LoadViewAccess, bufferLength?: number) {
    this.#access = access;
    this.#bufferLength = bufferLength ?? 128;
    if (!Number.isInteger(this.#bufferLength) || this.#bufferLength < 1) {
      throw new LoaderError("LOADER_BAD_ARGUMENT", `loader: bufferLength must be a positive integer, found ${bufferLength}`);
    }
  }

  /** The selected cycles and, per cycle, the tier files of the load's levels (nothing is read). */
  files(): Promise<ViewFile[]> {
    return this.#access.files();
  }

  /** What the load reads, cycle by cycle (one cycle's entry list is built when the iteration reaches it). */
  reads(): AsyncGenerator<TableRead, void, undefined> {
    return this.#access.reads();
  }

  /**
   * Output row `i` (hit orientation, merged form) as a plain object, or undefined past the end.
   * Rows are loaded in chunks of `bufferLength`; going back before the buffered chunk restarts the
   * iteration from the first cycle.
   */
  async entry(i: number): Promise<Record<string, unknown> | undefined> {
    if (!Number.isInteger(i) || i < 0)
      throw new LoaderError("LOADER_BAD_ARGUMENT", `loader: entry index must be an integer ≥ 0, found ${i}`);
    if (this.#buffer && i < this.#buffer.entry) {
      await this.#iterator?.return();
      this.#iterator = null;
      this.#buffer = null;
    }
    this.#iterator ??= this.#access.iterate(this.#bufferLength);
    while (!this.#buffer || i >= this.#buffer.entry + this.#buffer.numEntries) {
      const next = await this.#iterator.next();
      if (next.done) {
        this.#iterator = null;
        this.#buffer = null;
        return undefined;
      }
      this.#buffer = next.value;
    }
    return this.#buffer.table.get(i - this.#buffer.entry)?.toJSON() as Record<string, unknown>;
  }

  /** Stop a running iteration (closes the open cycle's files). */
  async close(): Promise<void> {
    await this.#iterator?.return();
    this.#iterator = null;
    this.#buffer = null;
  }
}

/** Output settings (see {@link DataLoader.setOutput}). */
export interface OutputSettings {
  /** Column names to load (top level; a nested table such as `waveform` loads whole). */
  readonly columns: readonly string[] | null;
  /** `"arrow"` (nested columns as Struct) or `"flat"` (nested columns flattened to `parent_child`). */
  readonly format: OutputFormat;
  /** pygama's `aoesa_to_vov`: AoESA columns (FixedSizeList) are output as VoV (List). Default false. */
  readonly aoesaToVov: boolean;
}

/**
 * An entry list as {@link DataLoader.load} takes it: the merged table of
 * {@link DataLoader.buildEntryList} (with a `file` column), or the per-cycle tables of
 * {@link DataLoader.buildEntryListPerFile} (FileDB row → table).
 */
export type EntryList = Table | ReadonlyMap<number, Table>;

/** True for the per-cycle form of an {@link EntryList}. */
function isPerFile(entryList: EntryList): entryList is ReadonlyMap<number, Table> {
  return entryList instanceof Map;
}

interface ResolvedPlan {
  readonly parent: LevelConfig;
  readonly tcm?: { readonly level: LevelConfig; readonly child: LevelConfig; readonly table?: TableId; readonly mode: TcmMode };
  readonly names: EntryColumnNames;
  readonly parentCut: LevelCut | null;
  readonly childCut: LevelCut | null;
  readonly parentTables: readonly TableId[] | null;
  readonly childTables: readonly TableId[] | null;
  readonly tiers: readonly string[];
}

/**
 * pygama.flow's DataLoader for LEGEND tiered data: select cycles (FileDB rows) and datastreams
 * (channels), cut per level, build entry lists (optionally through a TCM), and load columns across
 * tiers into Apache Arrow tables. Nothing is read from data files until {@link buildEntryList} or
 * {@link load}. Setters validate before they change state (B19).
 */
export class DataLoader {
  #config: LoaderConfig;
  readonly catalog: FileCatalog;
  /** Messages about recoverable oddities of the last build/load (tables lacking cut columns…). */
  readonly warnings: string[] = [];
  #files: number[] | null = null;
  #datastreams = new Map<string, TableId[]>();
  #cuts = new Map<string, string[]>();
  #listCuts: string[] = [];
  #output: OutputSettings = { columns: null, format: "arrow", aoesaToVov: false };
  readonly #onWarning: ((message: string) => void) | undefined;
  readonly #workers: number;
  readonly #spawnWorker: WorkerFactory | undefined;
  readonly #minParallelBytes: number | undefined;
  readonly #onSchedule: SharedRunOptions["onSchedule"];
  readonly #writeOutput: DataLoaderOptions["writeOutput"];
  readonly #openPath: HostLh5Opener | undefined;

  constructor(config: LoaderConfig, catalog: FileCatalog, options: DataLoaderOptions = {}) {
    this.#config = config;
    this.catalog = catalog;
    this.#onWarning = options.onWarning;
    this.#workers = options.workers ?? 1;
    this.#spawnWorker = options.spawnWorker;
    this.#minParallelBytes = options.minParallelBytes;
    this.#onSchedule = options.onSchedule;
    this.#writeOutput = options.writeOutput;
    this.#openPath = options.openPath;
  }

  /** The loader configuration (replace it with {@link setConfig}). */
  get config(): LoaderConfig {
    return this.#config;
  }

  /**
   * Replace the configuration (pygama's `set_config`): a configuration object (validated as by
   * `loaderConfigFromObject`, with `options` for `$_`/`$VAR`) or an already parsed {@link LoaderConfig}
   * (in Node: `readLoaderConfig(path)`). The FileDB, the selected cycles and the output settings are
   * kept; cuts and datastream selections of levels the new configuration lacks are dropped, with a
   * warning. Validated before anything changes.
   * @throws LoaderError `LOADER_BAD_CONFIG` (state unchanged).
   */
  setConfig(config: Record<string, unknown> | LoaderConfig, options: LoaderConfigOptions = {}): void {
    const parsed =
      "levels" in config && Array.isArray((config as LoaderConfig).levels) && "configDir" in config
        ? (config as LoaderConfig)
        : loaderConfigFromObject(config as Record<string, unknown>, { configDir: this.#config.configDir, ...options });
    const names = new Set(parsed.levels.filter((l) => l.parent === undefined).map((l) => l.name));
    const dropped: string[] = [];
    const keep = <T>(what: string, map: Map<string, T>): Map<string, T> => {
      const out = new Map<string, T>();
      for (const [level, v] of map) {
        if (names.has(level)) out.set(level, v);
        else dropped.push(`${what} of "${level}"`);
      }
      return out;
    };
    const cuts = keep("cut", this.#cuts);
    const datastreams = keep("datastreams", this.#datastreams);
    this.#config = parsed;
    this.#cuts = cuts;
    this.#datastreams = datastreams;
    if (dropped.length > 0) this.#warn(`setConfig: the new configuration has no such level: dropped the ${dropped.join(", ")}`);
  }

  /**
   * Which tiers and tables of the selected cycles have `columns` (pygama's `get_tiers_for_col`, from
   * the FileDB's table/column scan, which runs here when needed). Every tier of every level, in
   * configuration order.
   * - `mergeFiles: false`: FileDB row → `{ tables: { tier: table ids having any of the columns },
   *   columns: { column: tier } }` (the last tier, in level and tier order, that has the column).
   * - `mergeFiles: true` (default): `{ tier: table ids }` over all selected cycles (pygama keeps only
   *   the last cycle's, bug B5).
   * @throws LoaderError `LOADER_BAD_ARGUMENT` (no setFiles).
   */
  async getTiersForColumn(columns: readonly string[], options?: { readonly mergeFiles?: true }): Promise<Record<string, TableId[]>>;
  async getTiersForColumn(columns: readonly string[], options: { readonly mergeFiles: false }): Promise<Map<number, TiersForColumn>>;
  async getTiersForColumn(
    columns: readonly string[],
    options: { readonly mergeFiles?: boolean } = {},
  ): Promise<Record<string, TableId[]> | Map<number, TiersForColumn>> {
    const files = this.#requireFiles();
    const wanted = new Set(columns);
    const tiers = [...new Set(this.#config.levels.flatMap((l) => l.tiers))];
    const perFile = new Map<number, TiersForColumn>();
    for (const f of files) {
      const tables: Record<string, TableId[]> = {};
      const where: Record<string, string> = {};
      for (const tier of tiers) {
        tables[tier] = [];
        for (const t of (await this.catalog.tierTables(f, tier)) ?? []) {
          const cols = (await this.catalog.tableColumns(f, tier, t)) ?? [];
          const hits = cols.filter((c) => wanted.has(c));
          if (hits.length === 0) continue;
          (tables[tier] as TableId[]).push(t);
          for (const c of hits) where[c] = tier;
        }
      }
      perFile.set(f, { tables, columns: where });
    }
    if (options.mergeFiles === false) return perFile;
    const merged: Record<string, TableId[]> = {};
    for (const tier of tiers) merged[tier] = [];
    for (const { tables } of perFile.values()) {
      for (const [tier, ids] of Object.entries(tables)) {
        const list = merged[tier] as TableId[];
        for (const id of ids) if (!list.some((x) => String(x) === String(id))) list.push(id);
      }
    }
    return merged;
  }

  /**
   * A lazy view of what a load would read (pygama's `browse`, which hands the same selection to
   * dspeed's WaveformBrowser): nothing is read until asked; see {@link LoadView}.
   * @throws LoaderError as {@link loadIterator}, when the view is used.
   */
  browse(options: Omit<LoadIteratorOptions, "chunkSize" | "onProgress"> & { readonly bufferLength?: number } = {}): LoadView {
    return new LoadView(
      {
        files: () => this.#viewFiles(options),
        reads: () => this.#viewReads(options),
        iterate: (chunkSize) => this.loadIterator({ ...options, chunkSize }),
      },
      options.bufferLength,
    );
  }

  #level(name: string): LevelConfig {
    const l = this.config.levels.find((x) => x.name === name);
    if (!l) {
      throw new LoaderError(
        "LOADER_UNKNOWN_LEVEL",
        `loader: no level "${name}" (levels: ${this.config.levels.map((x) => x.name).join(", ")})`,
        {
          level: name,
        },
      );
    }
    return l;
  }

  #warn = (message: string): void => {
    this.warnings.push(message);
    this.#onWarning?.(message);
  };

  /** Restore the state of a new loader (no files, datastreams, cuts; default output settings). */
  reset(): void {
    this.#files = null;
    this.#datastreams = new Map();
    this.#cuts = new Map();
    this.#listCuts = [];
    this.#output = { columns: null, format: "arrow", aoesaToVov: false };
    this.warnings.length = 0;
  }

  /**
   * Select cycles: `"all"`, a FileDB query (`"type == 'phy' and run == 'r001'"`), or a list of cycle
   * keys (matched against `timestamp`). Without `append` the selection is replaced; with it the
   * union is kept, sorted. No match gives an empty selection (and a warning).
   * @throws FileDbError `FILEDB_BAD_EXPRESSION`, `FILEDB_UNKNOWN_COLUMN`… (state unchanged).
   */
  setFiles(query: string | readonly string[], options: { append?: boolean } = {}): void {
    let rows: number[];
    if (typeof query === "string") rows = this.catalog.select(query);
    else {
      const wanted = new Set(query.map(String));
      const ts = this.catalog.columnValues("timestamp");
      rows = [];
      ts.forEach((v, i) => {
        if (wanted.has(String(v))) rows.push(i);
      });
    }
    if (rows.length === 0) this.#warn(`setFiles: no cycle matches ${JSON.stringify(query)}`);
    if (options.append && this.#files) rows = [...new Set([...this.#files, ...rows])].sort((a, b) => a - b);
    this.#files = rows;
  }

  /** The selected cycles (FileDB row indices), or null before {@link setFiles}. */
  getFileList(): readonly number[] | null {
    return this.#files;
  }

  /**
   * Select datastreams (tables) of every level whose first tier's table template field is `word`
   * (`"ch"` for `ch{ch:07d}/raw`). Ids of integer templates must be integers. The selection
   * restricts the tables of that level only (a parent-level selection never disables event cuts, B8).
   * @throws LoaderError `LOADER_UNKNOWN_DATASTREAM_WORD`, `LOADER_BAD_ARGUMENT` — state unchanged (B19).
   */
  setDatastreams(ids: readonly TableId[], word: string, options: { append?: boolean } = {}): void {
    const levels = this.config.levels.filter((l) => l.parent === undefined && this.catalog.tableField(l.tiers[0] as string) === word);
    if (levels.length === 0) {
      const words = this.config.levels.map((l) => this.catalog.tableField(l.tiers[0] as string)).filter((w) => w !== undefined);
      throw new LoaderError(
        "LOADER_UNKNOWN_DATASTREAM_WORD",
        `loader: no level's tables are identified by "${word}" (known: ${[...new Set(words)].join(", ") || "none"})`,
      );
    }
    const clean = ids.map((id) => {
      if (typeof id === "number" && !Number.isFinite(id))
        throw new LoaderError("LOADER_BAD_ARGUMENT", `loader: datastream id ${id} is not a number`);
      return typeof id === "string" && /^\d+$/.test(id) ? Number(id) : id;
    });
    const next = new Map(this.#datastreams);
    for (const l of levels) {
      const old = options.append ? (next.get(l.name) ?? []) : [];
      const merged = [...old];
      for (const id of clean) if (!merged.some((x) => String(x) === String(id))) merged.push(id);
      if (options.append)
        merged.sort((a, b) => (typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b))));
      next.set(l.name, merged);
    }
    this.#datastreams = next;
  }

  /**
   * Set cuts: `{ level: expression }` (several levels are AND-ed), or a list of expressions each
   * assigned at build time to the one level whose tables have all its columns. Expressions use the
   * FileDB query language; columns are found from the parse tree (B17). With `append`, a new cut of a
   * level is AND-ed to the existing one.
   * @throws LoaderError `LOADER_UNKNOWN_LEVEL`, `LOADER_BAD_CUT` — state unchanged.
   */
  setCuts(cuts: Readonly<Record<string, string>> | readonly string[], options: { append?: boolean } = {}): void {
    const next = options.append ? new Map([...this.#cuts].map(([k, v]) => [k, [...v]])) : new Map<string, string[]>();
    const nextList = options.append ? [...this.#listCuts] : [];
    if (Array.isArray(cuts)) {
      for (const text of cuts as readonly string[]) {
        parseLevelCut("?", text);
        nextList.push(text);
      }
    } else {
      for (const [level, text] of Object.entries(cuts as Record<string, string>)) {
        const l = this.#level(level);
        if (l.parent !== undefined) {
          throw new LoaderError(
            "LOADER_BAD_CUT",
            `loader: "${level}" is a TCM level; cut its parent ("${l.parent}") or child ("${l.child}") level instead`,
            {
              level,
            },
          );
        }
        if (typeof text !== "string")
          throw new LoaderError("LOADER_BAD_CUT", `loader: the cut of level "${level}" must be a string`, { level });
        parseLevelCut(level, text);
        next.set(level, [...(next.get(level) ?? []), text]);
      }
    }
    this.#cuts = next;
    this.#listCuts = nextList;
  }

  /** The cuts per level as expression text (list cuts not yet assigned are under `"*"`). */
  getCuts(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.#cuts) out[k] = joinCutTexts(v);
    if (this.#listCuts.length > 0) out["*"] = joinCutTexts(this.#listCuts);
    return out;
  }

  /**
   * Output settings; omitted fields keep their value. `format` also accepts pygama's names
   * (`"lgdo.Table"` → `"arrow"`, `"pd.DataFrame"` → `"flat"`); `aoesaToVov` (pygama's `aoesa_to_vov`)
   * outputs AoESA columns (FixedSizeList) as VoV (List). pygama's `merge_files=False` is a
   * method here: {@link loadPerFile} / {@link buildEntryListPerFile}.
   * @throws LoaderError `LOADER_BAD_ARGUMENT` for an unknown format, or a `mergeFiles` setting
   *   (replaced by the per-file methods).
   */
  setOutput(settings: { columns?: readonly string[]; format?: OutputFormat | "lgdo.Table" | "pd.DataFrame"; aoesaToVov?: boolean }): void {
    if ("mergeFiles" in settings) {
      throw new LoaderError(
        "LOADER_BAD_ARGUMENT",
        "loader: setOutput has no mergeFiles setting: call loadPerFile() / buildEntryListPerFile() for one table per cycle",
      );
    }
    let format = this.#output.format;
    if (settings.format !== undefined) {
      const f = settings.format === "lgdo.Table" ? "arrow" : settings.format === "pd.DataFrame" ? "flat" : settings.format;
      if (f !== "arrow" && f !== "flat") {
        throw new LoaderError(
          "LOADER_BAD_ARGUMENT",
          `loader: output format must be "arrow" or "flat", found ${JSON.stringify(settings.format)}`,
        );
      }
      format = f;
    }
    if (settings.aoesaToVov !== undefined && typeof settings.aoesaToVov !== "boolean") {
      throw new LoaderError(
        "LOADER_BAD_ARGUMENT",
        `loader: aoesaToVov must be true or false, found ${JSON.stringify(settings.aoesaToVov)}`,
      );
    }
    this.#output = {
      columns: settings.columns ? [...settings.columns] : this.#output.columns,
      format,
      aoesaToVov: settings.aoesaToVov ?? this.#output.aoesaToVov,
    };
  }

  /** Current output settings. */
  getOutput(): OutputSettings {
    return this.#output;
  }

  #tcmLevels(): LevelConfig[] {
    return this.config.levels.filter((l) => l.parent !== undefined);
  }

  /** Decide the plan (levels, cuts, tiers) for a build or load. */
  async #plan(options: {
    tcmLevel?: string;
    tcmTable?: TableId;
    mode?: TcmMode;
    needTcm?: boolean;
    columns?: readonly string[];
  }): Promise<ResolvedPlan> {
    const mode = options.mode ?? "only";
    if (mode !== "only" && mode !== "any")
      throw new LoaderError("LOADER_BAD_ARGUMENT", `loader: mode must be "only" or "any", found ${JSON.stringify(mode)}`);
    const low = this.config.levels[0] as LevelConfig;
    const cuts = new Map(this.#cuts);
    if (this.#listCuts.length > 0) await this.#assignListCuts(cuts);
    let tcmLevel: LevelConfig | undefined;
    if (options.tcmLevel !== undefined) {
      tcmLevel = this.#level(options.tcmLevel);
      if (tcmLevel.parent === undefined) {
        throw new LoaderError("LOADER_BAD_ARGUMENT", `loader: level "${options.tcmLevel}" is not a TCM level (it has no parent/child)`, {
          level: options.tcmLevel,
        });
      }
    } else {
      const needs = [...cuts.keys()].filter((l) => l !== low.name);
      let needTcm = options.needTcm === true || needs.length > 0;
      if (!needTcm && options.columns && options.columns.length > 0) needTcm = await this.#columnsNeedChild(options.columns);
      if (needTcm) {
        const candidates = this.#tcmLevels().filter((l) => needs.every((n) => n === l.child || n === l.parent));
        if (candidates.length !== 1) {
          throw new LoaderError(
            "LOADER_TCM_LEVEL_REQUIRED",
            `loader: ${options.needTcm ? "this request" : `cuts on ${needs.join(", ") || "other levels"}`} need${options.needTcm ? "s" : ""} a TCM level, and ${candidates.length === 0 ? "none fits" : `several fit (${candidates.map((c) => c.name).join(", ")})`}; pass tcmLevel`,
          );
        }
        tcmLevel = candidates[0];
      }
    }
    if (!tcmLevel) {
      for (const level of cuts.keys()) {
        if (level !== low.name) {
          throw new LoaderError("LOADER_BAD_CUT", `loader: a cut on level "${level}" needs a TCM level joining it to "${low.name}"`, {
            level,
          });
        }
      }
      const text = cuts.get(low.name);
      return {
        parent: low,
        names: entryColumnNames(low.name),
        parentCut: text ? parseLevelCut(low.name, joinCutTexts(text)) : null,
        childCut: null,
        parentTables: this.#datastreams.get(low.name) ?? null,
        childTables: null,
        tiers: low.tiers,
      };
    }
    const parent = this.#level(tcmLevel.parent as string);
    const child = this.#level(tcmLevel.child as string);
    for (const level of cuts.keys()) {
      if (level !== parent.name && level !== child.name) {
        throw new LoaderError(
          "LOADER_BAD_CUT",
          `loader: a cut on level "${level}" cannot be applied through TCM level "${tcmLevel.name}" (${parent.name} → ${child.name})`,
          {
            level,
          },
        );
      }
    }
    const pText = cuts.get(parent.name);
    const cText = cuts.get(child.name);
    return {
      parent,
      tcm: { level: tcmLevel, child, ...(options.tcmTable === undefined ? {} : { table: options.tcmTable }), mode },
      names: entryColumnNames(parent.name, child.name),
      parentCut: pText ? parseLevelCut(parent.name, joinCutTexts(pText)) : null,
      childCut: cText ? parseLevelCut(child.name, joinCutTexts(cText)) : null,
      parentTables: this.#datastreams.get(parent.name) ?? null,
      childTables: this.#datastreams.get(child.name) ?? null,
      tiers: [...new Set([...parent.tiers, ...tcmLevel.tiers, ...child.tiers])],
    };
  }

  /** Columns of every table of a level's tiers in the selected cycles (from the FileDB scan). */
  async #levelColumns(level: LevelConfig, files: readonly number[] = this.#files ?? []): Promise<Set<string>> {
    const out = new Set<string>();
    for (const f of files) {
      for (const tier of level.tiers) {
        const tables = await this.catalog.tierTables(f, tier);
        for (const t of tables ?? []) for (const c of (await this.catalog.tableColumns(f, tier, t)) ?? []) out.add(c);
      }
    }
    return out;
  }

  async #columnsNeedChild(columns: readonly string[]): Promise<boolean> {
    const low = this.config.levels[0] as LevelConfig;
    const tcms = this.#tcmLevels().filter((l) => l.parent === low.name);
    if (tcms.length !== 1) return false;
    const lowCols = await this.#levelColumns(low);
    const missing = columns.filter((c) => !lowCols.has(c));
    if (missing.length === 0) return false;
    const childCols = await this.#levelColumns(this.#level(tcms[0]?.child as string));
    return missing.some((c) => childCols.has(c));
  }

  async #assignListCuts(cuts: Map<string, string[]>): Promise<void> {
    const candidates = this.config.levels.filter((l) => l.parent === undefined);
    const columnsOf = new Map<string, Set<string>>();
    for (const l of candidates) columnsOf.set(l.name, await this.#levelColumns(l));
    for (const text of this.#listCuts) {
      const cut = parseLevelCut("?", text);
      const fits = candidates.filter((l) => cut.columns.every((c) => columnsOf.get(l.name)?.has(c)));
      if (fits.length !== 1) {
        throw new LoaderError(
          "LOADER_BAD_CUT",
          `loader: cut "${text}" ${fits.length === 0 ? "fits no level (no level has all of its columns)" : `fits several levels (${fits.map((l) => l.name).join(", ")}); give it as { level: cut }`}`,
        );
      }
      const level = (fits[0] as LevelConfig).name;
      cuts.set(level, [...(cuts.get(level) ?? []), text]);
    }
  }

  #requireFiles(): number[] {
    if (this.#files === null)
      throw new LoaderError("LOADER_BAD_ARGUMENT", 'loader: no cycles selected: call setFiles() first (e.g. setFiles("all"))');
    return this.#files;
  }

  async #eachCycle(
    files: readonly number[],
    tiers: readonly string[],
    body: (src: CycleSource) => void,
    onProgress?: (done: number, total: number) => void,
  ): Promise<void> {
    let done = 0;
    for (const f of files) {
      const src = await openLh5Cycle(this.catalog, f, tiers, this.#openPath);
      try {
        body(src);
      } finally {
        src.close();
      }
      done++;
      onProgress?.(done, files.length);
    }
  }

  #buildChunk(src: CycleSource, plan: ResolvedPlan, prefetch?: EntryPlan["prefetch"]): EntryChunk {
    const entryPlan: EntryPlan = {
      parent: plan.parent,
      ...(plan.tcm ? { tcm: plan.tcm } : {}),
      parentTables: plan.parentTables,
      childTables: plan.childTables,
      parentCut: plan.parentCut,
      childCut: plan.childCut,
      warn: this.#warn,
      ...(prefetch ? { prefetch } : {}),
    };
    return plan.tcm ? buildTcmEntries(src, entryPlan) : buildHitEntries(src, entryPlan);
  }

  /**
   * Build the entry list of the selected cycles (spec §2.8 with the corrected semantics): without a
   * TCM level, the rows of the low level's tables passing its cut, table by table; with one, the
   * TCM's hits kept by `mode`, in TCM order. Columns: `{parent}_table`, `{parent}_idx`,
   * (`{child}_idx`), `file` (merged only), plus saved cut∩output columns.
   *
   * @throws LoaderError `LOADER_BAD_ARGUMENT` (no setFiles), `LOADER_TCM_LEVEL_REQUIRED`,
   *   `LOADER_BAD_CUT`, `LOADER_FILE_MISSING`, `LOADER_TCM_OUT_OF_RANGE`, `LOADER_BAD_TCM`, `LOADER_IO`.
   */
  async buildEntryList(options: BuildEntryListOptions = {}): Promise<Table> {
    return (await this.#buildEntryList(options, true)) as Table;
  }

  /**
   * {@link buildEntryList} with one table per cycle (pygama's `merge_files=False`): FileDB row →
   * entry table (no `file` column); `outputFile` gets one LH5 table per cycle, named by its row.
   * @throws LoaderError the codes of {@link buildEntryList}.
   */
  async buildEntryListPerFile(options: BuildEntryListOptions = {}): Promise<Map<number, Table>> {
    return (await this.#buildEntryList(options, false)) as Map<number, Table>;
  }

  async #buildEntryList(options: BuildEntryListOptions, merge: boolean): Promise<Table | Map<number, Table>> {
    this.#checkOutputFile(options.outputFile);
    const files = this.#requireFiles();
    this.warnings.length = 0;
    const plan = await this.#plan(options);
    const saved =
      options.saveOutputColumns && this.#output.columns
        ? this.#output.columns.filter((c) => (plan.parentCut?.columns ?? []).includes(c) || (plan.childCut?.columns ?? []).includes(c))
        : [];
    const chunks: EntryChunk[] = [];
    const collectors: ColumnCollector[] = [];
    const collector = new ColumnCollector(saved);
    await this.#eachCycle(
      files,
      plan.tiers,
      (src) => {
        const chunk = this.#buildChunk(src, plan);
        chunks.push(chunk);
        if (saved.length > 0) {
          const c = merge ? collector : new ColumnCollector(saved);
          c.addCycle(
            src,
            plan.parent,
            chunk,
            plan.tcm ? { level: plan.tcm.child, tables: childTablesOf(src, plan.tcm.child, plan.childTables) } : undefined,
          );
          if (!merge) collectors.push(c);
        }
      },
      options.onProgress,
    );
    let result: Table | Map<number, Table>;
    if (merge) result = entryTable(chunks, plan.names, true, saved.length > 0 ? collector.finishGathered() : undefined);
    else {
      const perFile = new Map<number, Table>();
      if (saved.length > 0) checkColumnsSomewhere(collectors);
      chunks.forEach((c, i) => {
        perFile.set(
          c.fileIndex,
          entryTable([c], plan.names, false, saved.length > 0 ? collectors[i]?.finishGathered({ omitUnfound: true }) : undefined),
        );
      });
      result = perFile;
    }
    if (options.outputFile) await this.#writeResult(options.outputFile, result, "entries");
    return result;
  }

  /**
   * Load the output columns for an entry list (built here with `mode` when not given).
   * - `orientation: "hit"`: one row per entry; parent-level columns from the entry's table and row,
   *   child-level (event) columns repeated for every hit of the event (B6).
   * - `orientation: "evt"`: one row per event (`{child}_idx`, `file`, event columns) with the hits'
   *   `{parent}_table`, `{parent}_idx` and parent columns as lists (B11).
   * A column a table lacks is null there (Arrow validity; floats also hold NaN), never garbage (B4);
   * which tables have a column is decided per cycle (B5). Only the entries' rows are read.
   *
   * @throws LoaderError `LOADER_BAD_ARGUMENT` (no output columns, bad orientation),
   *   `LOADER_UNKNOWN_COLUMN`, `LOADER_BAD_ENTRY_LIST`, `LOADER_TCM_LEVEL_REQUIRED`, and the codes of
   *   {@link buildEntryList}.
   */
  async load(entryList?: EntryList, options: LoadOptions = {}): Promise<Table> {
    return (await this.#load(entryList, options, true)) as Table;
  }

  /**
   * {@link load} with one table per cycle (pygama's `merge_files=False`): FileDB row → table (no
   * `file` column); `outputFile` gets one LH5 table per cycle, named by its row.
   * @throws LoaderError the codes of {@link load}.
   */
  async loadPerFile(entryList?: EntryList, options: LoadOptions = {}): Promise<Map<number, Table>> {
    return (await this.#load(entryList, options, false)) as Map<number, Table>;
  }

  async #load(entryList: EntryList | undefined, options: LoadOptions, merge: boolean): Promise<Table | Map<number, Table>> {
    this.#checkOutputFile(options.outputFile);
    const columns = this.#output.columns;
    if (!columns || columns.length === 0) {
      throw new LoaderError("LOADER_BAD_ARGUMENT", "loader: no output columns: call setOutput({ columns: [...] }) first");
    }
    const orientation = options.orientation ?? "hit";
    if (orientation !== "hit" && orientation !== "evt") {
      throw new LoaderError("LOADER_BAD_ARGUMENT", `loader: orientation must be "hit" or "evt", found ${JSON.stringify(orientation)}`);
    }
    // A given entry list names its own cycles; setFiles is only needed to build one.
    const files = entryList === undefined ? this.#requireFiles() : [];
    this.warnings.length = 0;
    let plan: ResolvedPlan;
    let given: Map<number, EntryChunk> | null = null;
    if (entryList === undefined) {
      plan = await this.#plan({ ...options, needTcm: orientation === "evt", columns });
    } else {
      plan = this.#planForEntryList(entryList, options.tcmLevel);
      given = new Map();
      if (isPerFile(entryList))
        for (const [f, t] of entryList) for (const c of chunksFromTable(t, plan.names, f)) given.set(c.fileIndex, c);
      else for (const c of chunksFromTable(entryList, plan.names)) given.set(c.fileIndex, c);
    }
    if (orientation === "evt" && !plan.tcm) {
      throw new LoaderError("LOADER_TCM_LEVEL_REQUIRED", `loader: orientation "evt" needs a TCM entry list (with a {child}_idx column)`);
    }
    const loadColumns = columns.filter((c) => c !== plan.names.table && c !== plan.names.idx && c !== plan.names.event && c !== "file");
    const cycles = given ? [...given.keys()] : files;
    const job: CycleJob = {
      parent: plan.parent,
      ...(plan.tcm ? { tcm: plan.tcm } : {}),
      parentTables: plan.parentTables,
      childTables: plan.childTables,
      parentCut: plan.parentCut?.text ?? null,
      childCut: plan.childCut?.text ?? null,
      columns: loadColumns,
      orientation,
      tiers: plan.tiers,
    };
    const workers = options.workers ?? this.#workers;
    let results: CycleResult[];
    if (!given && workers > 1 && cycles.length > 1 && this.#spawnWorker) {
      results = await runCyclesShared(this.catalog, cycles, job, {
        workers,
        spawn: this.#spawnWorker,
        openPath: this.#openPath,
        inline: async (f) => {
          const src = await openLh5Cycle(this.catalog, f, plan.tiers, this.#openPath);
          try {
            return runCycleJob(src, job);
          } finally {
            src.close();
          }
        },
        onProgress: options.onProgress,
        ...(this.#minParallelBytes === undefined ? {} : { minBytes: this.#minParallelBytes }),
        onSchedule: this.#onSchedule,
      });
    } else {
      results = [];
      await this.#eachCycle(
        cycles,
        plan.tiers,
        (src) => results.push(runCycleJob(src, job, given?.get(src.fileIndex))),
        options.onProgress,
      );
    }
    const chunks: EntryChunk[] = [];
    const perFile: { chunk: EntryChunk; collector: ColumnCollector }[] = [];
    const merged = new ColumnCollector(loadColumns);
    for (const r of results) {
      for (const w of r.warnings) this.#warn(w);
      chunks.push(r.chunk);
      const collector = merge ? merged : new ColumnCollector(loadColumns);
      collector.addExported(r.exported);
      if (!merge) perFile.push({ chunk: r.chunk, collector });
    }
    results.length = 0;
    const format = this.#output.format;
    let result: Table | Map<number, Table>;
    if (merge)
      result = assembleOutput(chunks, merged, plan.names, true, orientation, format, {
        aoesaToVov: this.#output.aoesaToVov,
      });
    else {
      // A column that some cycle has is left out of the tables of cycles that lack it (as pygama's
      // per-file output); only a column no cycle has is LOADER_UNKNOWN_COLUMN.
      checkColumnsSomewhere(perFile.map((p) => p.collector));
      const tables = new Map<number, Table>();
      for (const { chunk, collector } of perFile)
        tables.set(
          chunk.fileIndex,
          assembleOutput([chunk], collector, plan.names, false, orientation, format, {
            omitUnfound: true,
            aoesaToVov: this.#output.aoesaToVov,
          }),
        );
      result = tables;
    }
    if (options.outputFile) await this.#writeResult(options.outputFile, result, "merged_data");
    return result;
  }

  /**
   * Load in chunks of `chunkSize` entries (pygama's `next`): builds the merged entry list (or takes
   * `entryList`) and yields `load(entries[start, start + chunkSize))` for each chunk, so memory is
   * bounded by the chunk. Hit orientation only.
   * @throws LoaderError as {@link load}; `LOADER_BAD_ARGUMENT` for a chunk size below 1.
   */
  async *iterateLoad(
    options: Omit<LoadOptions, "orientation" | "outputFile"> & { readonly chunkSize?: number; readonly entryList?: Table } = {},
  ): AsyncGenerator<Table, void, undefined> {
    const chunkSize = options.chunkSize ?? 10_000;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) {
      throw new LoaderError("LOADER_BAD_ARGUMENT", `loader: chunkSize must be a positive integer, found ${chunkSize}`);
    }
    const { chunkSize: _c, entryList: given, ...rest } = options;
    const entries = given ?? (await this.buildEntryList(rest));
    for (let start = 0; start < entries.numRows; start += chunkSize) {
      yield await this.load(entries.slice(start, Math.min(start + chunkSize, entries.numRows)), rest);
    }
  }

  /**
   * Stream the output columns in chunks of `chunkSize` entries (pygama's `load_iterator`, whose
   * `LH5Iterator` yields `(table, entry, n_entries)` with `buffer_len` rows): cycles are opened one at a
   * time, each cycle's entry list is built only when the iteration reaches it, and a chunk holds the
   * columns of at most `chunkSize` entries (it may span cycles: every chunk but the last has exactly
   * `chunkSize` rows). So memory is bounded by one cycle's entry list plus one chunk, whatever the
   * size of the production. Hit orientation; chunks are merged-form tables (with `file`). A column that
   * some selected cycle has is null in chunks whose cycles lack it.
   * @throws LoaderError as {@link load}; `LOADER_BAD_ARGUMENT` for a chunk size below 1.
   */
  async *loadIterator(options: LoadIteratorOptions = {}): AsyncGenerator<LoadChunk, void, undefined> {
    const chunkSize = options.chunkSize ?? 3200;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) {
      throw new LoaderError("LOADER_BAD_ARGUMENT", `loader: chunkSize must be a positive integer, found ${chunkSize}`);
    }
    const { plan, cycles, given, job, loadColumns } = await this.#prepareIteration(options);
    const format = this.#output.format;
    let pending: { chunk: EntryChunk; exported: ExportedColumns }[] = [];
    let pendingRows = 0;
    let entry = 0;
    const flush = (): LoadChunk => {
      const collector = new ColumnCollector(loadColumns);
      for (const p of pending) collector.addExported(p.exported);
      const table = assembleOutput(
        pending.map((p) => p.chunk),
        collector,
        plan.names,
        true,
        "hit",
        format,
        { known: true, aoesaToVov: this.#output.aoesaToVov },
      );
      const out = { table, entry, numEntries: pendingRows };
      entry += pendingRows;
      pending = [];
      pendingRows = 0;
      return out;
    };
    let done = 0;
    for (const f of cycles) {
      const src = await openLh5Cycle(this.catalog, f, plan.tiers, this.#openPath);
      try {
        const built = buildCycleEntries(src, job, given?.get(f));
        for (const w of built.warnings) this.#warn(w);
        const n = built.chunk.row.length;
        for (let off = 0; off < n; ) {
          const take = Math.min(chunkSize - pendingRows, n - off);
          const sub = sliceChunk(built.chunk, off, off + take);
          pending.push({ chunk: sub, exported: collectCycleColumns(src, job, sub, built.cache) });
          pendingRows += take;
          off += take;
          if (pendingRows === chunkSize) yield flush();
        }
      } finally {
        src.close();
      }
      done++;
      options.onProgress?.(done, cycles.length);
    }
    if (pendingRows > 0) yield flush();
  }

  /** Plan, cycles, given entries and cycle job of an iteration ({@link loadIterator}, {@link browse}). */
  async #prepareIteration(options: Omit<LoadIteratorOptions, "chunkSize" | "onProgress">): Promise<{
    plan: ResolvedPlan;
    cycles: number[];
    given: Map<number, EntryChunk> | null;
    job: CycleJob;
    loadColumns: string[];
  }> {
    const columns = this.#output.columns;
    if (!columns || columns.length === 0) {
      throw new LoaderError("LOADER_BAD_ARGUMENT", "loader: no output columns: call setOutput({ columns: [...] }) first");
    }
    const entryList = options.entryList;
    const files = entryList === undefined ? this.#requireFiles() : [];
    this.warnings.length = 0;
    let plan: ResolvedPlan;
    let given: Map<number, EntryChunk> | null = null;
    if (entryList === undefined) plan = await this.#plan({ ...options, columns });
    else {
      plan = this.#planForEntryList(entryList, options.tcmLevel);
      given = new Map();
      if (isPerFile(entryList))
        for (const [f, t] of entryList) for (const c of chunksFromTable(t, plan.names, f)) given.set(c.fileIndex, c);
      else for (const c of chunksFromTable(entryList, plan.names)) given.set(c.fileIndex, c);
    }
    const loadColumns = columns.filter((c) => c !== plan.names.table && c !== plan.names.idx && c !== plan.names.event && c !== "file");
    const cycles = given ? [...given.keys()] : files;
    // Unknown columns are refused before anything is read (the FileDB scan knows every cycle's columns).
    const levels = plan.tcm ? [plan.parent, plan.tcm.child] : [plan.parent];
    const seen = new Set<string>();
    for (const l of levels) for (const c of await this.#levelColumns(l, cycles)) seen.add(c);
    const unknown = loadColumns.filter((c) => !seen.has(c));
    if (unknown.length > 0 && cycles.length > 0) throw unknownColumnError(unknown);
    const job: CycleJob = {
      parent: plan.parent,
      ...(plan.tcm ? { tcm: plan.tcm } : {}),
      parentTables: plan.parentTables,
      childTables: plan.childTables,
      parentCut: plan.parentCut?.text ?? null,
      childCut: plan.childCut?.text ?? null,
      columns: loadColumns,
      orientation: "hit",
      tiers: plan.tiers,
    };
    return { plan, cycles, given, job, loadColumns };
  }

  /** The cycles and tier files of an iteration (see {@link LoadView.files}). */
  async #viewFiles(options: Omit<LoadIteratorOptions, "chunkSize" | "onProgress">): Promise<ViewFile[]> {
    const { plan, cycles } = await this.#prepareIteration(options);
    return cycles.map((f) => {
      const paths: Record<string, string> = {};
      for (const tier of plan.tiers) if (this.catalog.tiers.includes(tier)) paths[tier] = this.catalog.tierPath(f, tier);
      return { fileIndex: f, paths };
    });
  }

  /** What an iteration reads, cycle by cycle (see {@link LoadView.reads}). */
  async *#viewReads(options: Omit<LoadIteratorOptions, "chunkSize" | "onProgress">): AsyncGenerator<TableRead, void, undefined> {
    const { plan, cycles, given, job, loadColumns } = await this.#prepareIteration(options);
    for (const f of cycles) {
      const src = await openLh5Cycle(this.catalog, f, plan.tiers, this.#openPath);
      const reads: TableRead[] = [];
      try {
        const { chunk, warnings } = buildCycleEntries(src, job, given?.get(f));
        for (const w of warnings) this.#warn(w);
        const inParent = new Set<string>();
        chunk.tableIds.forEach((table, code) => {
          const rows: number[] = [];
          for (let k = 0; k < chunk.row.length; k++) if (chunk.tableCode[k] === code) rows.push(chunk.row[k] as number);
          if (rows.length === 0) return;
          const byTier = new Map<string, string[]>();
          for (const c of loadColumns) {
            const tier = tierForColumn(src, plan.parent, table, c);
            if (tier === undefined) continue;
            inParent.add(c);
            byTier.set(tier, [...(byTier.get(tier) ?? []), c]);
          }
          for (const [tier, cols] of byTier) {
            reads.push({
              fileIndex: f,
              level: plan.parent.name,
              tier,
              table,
              path: this.catalog.tierPath(f, tier),
              name: this.catalog.tableName(tier, table),
              columns: cols,
              rows: Int32Array.from(rows),
            });
          }
        });
        const rest = loadColumns.filter((c) => !inParent.has(c));
        if (plan.tcm && chunk.event && rest.length > 0) {
          const events = Int32Array.from(new Set(chunk.event)).sort();
          for (const table of childTablesOf(src, plan.tcm.child, plan.childTables) ?? []) {
            const byTier = new Map<string, string[]>();
            for (const c of rest) {
              const tier = tierForColumn(src, plan.tcm.child, table, c);
              if (tier !== undefined) byTier.set(tier, [...(byTier.get(tier) ?? []), c]);
            }
            for (const [tier, cols] of byTier) {
              reads.push({
                fileIndex: f,
                level: plan.tcm.child.name,
                tier,
                table,
                path: this.catalog.tierPath(f, tier),
                name: this.catalog.tableName(tier, table),
                columns: cols,
                rows: events,
              });
            }
          }
        }
      } finally {
        src.close();
      }
      yield* reads;
    }
  }

  /** Levels of a given entry list, recognised from its column names. */
  #planForEntryList(entryList: EntryList, tcmLevelName?: string): ResolvedPlan {
    const sample = isPerFile(entryList) ? [...entryList.values()][0] : entryList;
    const names = new Set(sample ? sample.schema.fields.map((f) => f.name) : []);
    const tcms = tcmLevelName !== undefined ? [this.#level(tcmLevelName)] : this.#tcmLevels();
    for (const tcmLevel of tcms) {
      if (tcmLevel.parent === undefined) continue;
      const n = entryColumnNames(tcmLevel.parent, tcmLevel.child);
      if (names.has(n.table) && names.has(n.idx) && names.has(n.event as string)) {
        const parent = this.#level(tcmLevel.parent);
        const child = this.#level(tcmLevel.child as string);
        return {
          parent,
          tcm: { level: tcmLevel, child, mode: "only" },
          names: n,
          parentCut: null,
          childCut: null,
          parentTables: null,
          childTables: this.#datastreams.get(child.name) ?? null,
          tiers: [...new Set([...parent.tiers, ...child.tiers])],
        };
      }
    }
    for (const level of this.config.levels) {
      const n = entryColumnNames(level.name);
      if (names.has(n.table) && names.has(n.idx)) {
        return { parent: level, names: n, parentCut: null, childCut: null, parentTables: null, childTables: null, tiers: level.tiers };
      }
    }
    throw new LoaderError(
      "LOADER_BAD_ENTRY_LIST",
      `loader: the entry list has none of the {level}_table / {level}_idx column pairs of this configuration (columns: ${[...names].join(", ")})`,
    );
  }

  /** An `outputFile` is refused before any work when there is no writer for it. */
  #checkOutputFile(path: string | undefined): void {
    if (path !== undefined && !this.#writeOutput) {
      throw new LoaderError(
        "LOADER_BAD_ARGUMENT",
        "loader: outputFile needs a file writer (use @daqkit/loader/node's openDataLoader, or pass writeOutput)",
        { path },
      );
    }
  }

  async #writeResult(path: string, result: Table | Map<number, Table>, name: string): Promise<void> {
    this.#checkOutputFile(path);
    const tables = result instanceof Map ? [...result].map(([f, t]) => [String(f), t] as const) : [[name, result] as const];
    await this.#writeOutput!(path, tables);
  }
}
