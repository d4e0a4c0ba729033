/**
 * `@daqkit/filedb/node`: the FileDB for Node, taking paths — configs read from files (`$_`, `~`,
 * environment variables), `data_dir` on the local disk, scans with the file system, saved databases
 * read and written as LH5 files (atomically). Everything of the main entry is re-exported; `FileDb`
 * here is the main entry's class with `fromConfig`, `fromDisk` and `toDisk` (its instances are
 * instances of both).
 */
export * from "./index.js";
export { expandVariables, globPaths, readFileDbConfig, resolveFileDbConfig } from "./node-config.js";
export type { ResolveConfigOptions } from "./node-config.js";
export { FileDb } from "./node-file-db.js";
export type { FileDbOptions } from "./node-file-db.js";
export { openFileDb, readFileDb, writeFileDb } from "./open-file-db.js";
export type { WriteFileDbOptions } from "./persistence.js";
