import { resolve } from "node:path";
import type { WorkerFactory } from "@daqkit/io";
import { FileDb, type FileDbConfig, type FileDbOptions, openFileDb } from "@daqkit/filedb";
import { DataLoader } from "./data-loader.js";
import { LoaderError } from "./errors.js";
import { fileDbCatalog } from "./filedb-catalog.js";
import type { FileCatalog } from "./lh5-cycle.js";
import { type LoaderConfig, readLoaderConfig } from "./loader-config.js";

/** Options of {@link openDataLoader}. */
export interface OpenDataLoaderOptions {
  /**
   * The file database: a FileDb, a FileDB config object, a path to a FileDB config JSON or to a
   * saved database (`.lh5`). Default: the loader config's `filedb` entry.
   */
  readonly filedb?: FileDb | FileCatalog | string | Record<string, unknown>;
  /** Options for building the FileDb from a config (e.g. `cwd` for a relative `data_dir`, `dataDir` to override it). */
  readonly filedbOptions?: FileDbOptions;
  /** Applied like {@link DataLoader.setFiles}. */
  readonly fileQuery?: string;
  /** Base for relative config paths and `$_` of object configs (default `process.cwd()`). */
  readonly cwd?: string;
  /** Receives warnings (tables lacking cut columns, …) as they happen. */
  readonly onWarning?: (message: string) => void;
  /** Workers for `load()` (default 1 = this thread); see {@link DataLoader}. */
  readonly workers?: number;
  /**
   * Makes one loader worker (see `DataLoaderOptions.spawnWorker`). `@daqkit/loader/node`'s
   * `openDataLoader` passes worker_threads; from the main entry, without one, cycles load in this thread.
   */
  readonly spawnWorker?: WorkerFactory;
}

async function fileDbFrom(source: string | Record<string, unknown>, options: FileDbOptions, configDir: string, cwd: string): Promise<FileDb> {
  // A JSON config path, a saved database (.lh5, wildcards allowed) or an inline config object.
  if (typeof source === "string") return openFileDb(resolve(cwd, source), { cwd, ...options });
  return openFileDb(source as unknown as FileDbConfig, { configDir, cwd, ...options });
}

/**
 * Create a {@link DataLoader} from a loader config (file path, `file.json[a/b]`, directory, object, or
 * an already parsed {@link LoaderConfig}) and a FileDB.
 *
 * @throws LoaderError `LOADER_CONFIG_NOT_FOUND`, `LOADER_BAD_CONFIG` (also when there is no FileDB),
 *   and FileDbError codes from building the FileDB.
 */
export async function openDataLoader(config: string | Record<string, unknown> | LoaderConfig, options: OpenDataLoaderOptions = {}): Promise<DataLoader> {
  const cwd = options.cwd ?? process.cwd();
  const parsed: LoaderConfig =
    typeof config === "object" && "levels" in config && Array.isArray((config as LoaderConfig).levels) && "configDir" in config
      ? (config as LoaderConfig)
      : readLoaderConfig(config as string | Record<string, unknown>, { cwd });
  const source = options.filedb ?? parsed.filedb;
  if (source === undefined) {
    throw new LoaderError("LOADER_BAD_CONFIG", `loader: no FileDB given and the loader config has no "filedb" entry`);
  }
  let catalog: FileCatalog;
  if (source instanceof FileDb) catalog = fileDbCatalog(source);
  else if (typeof source === "object" && typeof (source as FileCatalog).tierTables === "function") catalog = source as FileCatalog;
  else catalog = fileDbCatalog(await fileDbFrom(source as string | Record<string, unknown>, options.filedbOptions ?? {}, parsed.configDir, cwd));
  const loader = new DataLoader(parsed, catalog, {
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.spawnWorker === undefined ? {} : { spawnWorker: options.spawnWorker }),
  });
  if (options.fileQuery !== undefined) loader.setFiles(options.fileQuery);
  return loader;
}
