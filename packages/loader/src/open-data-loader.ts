/**
 * `openDataLoader` of `@daqkit/loader/node`: loader configs and FileDBs given by path, worker_threads
 * for `workers` > 1 (the built package's `dist/load-worker.js`), `outputFile` written atomically.
 */
import { resolve } from "node:path";
import { FileDb, type FileDbConfig } from "@daqkit/filedb";
import { type FileDbOptions, openFileDb } from "@daqkit/filedb/node";
import type { WorkerFactory } from "@daqkit/io";
import { nodeWorkerFactory } from "@daqkit/io/node";
import { openLh5 } from "@daqkit/lh5/node";
import { DataLoader, type DataLoaderOptions } from "./data-loader.js";
import { LoaderError } from "./errors.js";
import { fileDbCatalog } from "./filedb-catalog.js";
import type { FileCatalog } from "./lh5-cycle.js";
import { writeArrowTablesToLh5 } from "./lh5-output.js";
import type { LoaderConfig } from "./loader-config.js";
import { readLoaderConfig } from "./node-loader-config.js";

/**
 * A worker_threads factory on the loader's worker script (`load-worker.js` beside this module). From
 * TypeScript sources (tests) the script does not exist: the pool then loads in the calling thread.
 */
export function loaderWorkerFactory(): WorkerFactory {
  return nodeWorkerFactory(new URL("./load-worker.js", import.meta.url));
}

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
  /** Threads for `load()`, this one included (default 1 = this thread only); see {@link DataLoaderOptions.workers}. */
  readonly workers?: number;
  /** See {@link DataLoaderOptions.minParallelBytes}. */
  readonly minParallelBytes?: number;
  /** See {@link DataLoaderOptions.onSchedule}. */
  readonly onSchedule?: DataLoaderOptions["onSchedule"];
  /** Makes one loader worker (default for `workers` > 1: worker_threads, {@link loaderWorkerFactory}). */
  readonly spawnWorker?: WorkerFactory;
}

async function fileDbFrom(
  source: string | Record<string, unknown>,
  options: FileDbOptions,
  configDir: string,
  cwd: string,
): Promise<FileDb> {
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
export async function openDataLoader(
  config: string | Record<string, unknown> | LoaderConfig,
  options: OpenDataLoaderOptions = {},
): Promise<DataLoader> {
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
  else
    catalog = fileDbCatalog(
      await fileDbFrom(source as string | Record<string, unknown>, options.filedbOptions ?? {}, parsed.configDir, cwd),
    );
  const loader = new DataLoader(parsed, catalog, {
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.minParallelBytes === undefined ? {} : { minParallelBytes: options.minParallelBytes }),
    ...(options.onSchedule ? { onSchedule: options.onSchedule } : {}),
    ...((options.workers ?? 1) > 1 ? { spawnWorker: options.spawnWorker ?? loaderWorkerFactory() } : {}),
    writeOutput: writeArrowTablesToLh5,
    openPath: (path, opts) => openLh5(path, opts),
  });
  if (options.fileQuery !== undefined) loader.setFiles(options.fileQuery);
  return loader;
}
