/**
 * `@daqkit/loader/node`: the loader for Node. Everything of the main entry, with `openDataLoader`
 * loading cycles on worker_threads (`workers` > 1; the built package's `dist/load-worker.js`, each
 * worker with its own h5wasm). Path-based configs and FileDBs work from here as before.
 */
import type { WorkerFactory } from "@daqkit/io";
import { nodeWorkerFactory } from "@daqkit/io/node";
import type { DataLoader } from "./data-loader.js";
import type { LoaderConfig } from "./loader-config.js";
import { openDataLoader as openDataLoaderWith, type OpenDataLoaderOptions } from "./open-data-loader.js";

export * from "./index.js";

/**
 * A worker_threads factory on the loader's worker script (`load-worker.js` beside this module). From
 * TypeScript sources (tests) the script does not exist: the pool then loads in the calling thread.
 */
export function loaderWorkerFactory(): WorkerFactory {
  return nodeWorkerFactory(new URL("./load-worker.js", import.meta.url));
}

/**
 * `openDataLoader` of the main entry, with worker_threads for `workers` > 1 (unless `spawnWorker` is
 * given). @throws as the main entry's `openDataLoader`.
 */
export function openDataLoader(config: string | Record<string, unknown> | LoaderConfig, options: OpenDataLoaderOptions = {}): Promise<DataLoader> {
  const workers = options.workers ?? 1;
  return openDataLoaderWith(config, workers > 1 && options.spawnWorker === undefined ? { ...options, spawnWorker: loaderWorkerFactory() } : options);
}
