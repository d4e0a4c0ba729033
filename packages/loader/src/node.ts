/**
 * `@daqkit/loader/node`: the loader for Node. Everything of the main entry, plus `openDataLoader`
 * (loader configs and FileDBs by path, worker_threads for `workers` > 1, `outputFile` written
 * atomically), `readLoaderConfig` and `expandConfigPath`, and `writeArrowTablesToLh5`.
 */
export * from "./index.js";
export { writeArrowTablesToLh5 } from "./lh5-output.js";
export { expandConfigPath, readLoaderConfig } from "./node-loader-config.js";
export { loaderWorkerFactory, openDataLoader } from "./open-data-loader.js";
export type { OpenDataLoaderOptions } from "./open-data-loader.js";
