/** A DataLoader from a configuration object and a FileDB or catalog (platform-neutral). */
import { FileDb } from "@daqkit/filedb";
import { DataLoader, type DataLoaderOptions } from "./data-loader.js";
import { fileDbCatalog } from "./filedb-catalog.js";
import type { FileCatalog } from "./lh5-cycle.js";
import { type LoaderConfig, type LoaderConfigOptions, loaderConfigFromObject } from "./loader-config.js";

/** Options of {@link createDataLoader}. */
export interface CreateDataLoaderOptions extends DataLoaderOptions, LoaderConfigOptions {
  /** Applied like {@link DataLoader.setFiles}. */
  readonly fileQuery?: string;
}

/**
 * A {@link DataLoader} over a FileDb (e.g. `FileDb.fromDirectory` on a browser folder or an HTTP
 * listing) or a {@link FileCatalog}, with a configuration object or an already parsed
 * {@link LoaderConfig}. The config's `filedb` entry is not used (the FileDB is given). In Node,
 * `@daqkit/loader/node`'s `openDataLoader` also takes paths.
 * @throws LoaderError `LOADER_BAD_CONFIG`; FileDbError codes of `fileQuery`
 */
export function createDataLoader(
  config: Record<string, unknown> | LoaderConfig,
  filedb: FileDb | FileCatalog,
  options: CreateDataLoaderOptions = {},
): DataLoader {
  const parsed =
    "levels" in config && Array.isArray((config as LoaderConfig).levels) && "configDir" in config
      ? (config as LoaderConfig)
      : loaderConfigFromObject(config as Record<string, unknown>, options);
  const loader = new DataLoader(parsed, filedb instanceof FileDb ? fileDbCatalog(filedb) : filedb, options);
  if (options.fileQuery !== undefined) loader.setFiles(options.fileQuery);
  return loader;
}
