import { closeSync, openSync, readSync } from "node:fs";
import { resolve } from "node:path";
import type { FileDbConfig } from "./config.js";
import { globPaths } from "./node-config.js";
import { FileDb, type FileDbOptions } from "./node-file-db.js";
import type { WriteFileDbOptions } from "./persistence.js";

function looksLikeHdf5(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const buf = Buffer.alloc(8);
    readSync(fd, buf, 0, 8, 0);
    return buf.equals(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Open a FileDb the way pygama's `FileDB(config)` constructor does: a config object is used
 * directly; a string is a JSON config file, unless it names (possibly with wildcards) HDF5 files,
 * which are loaded as saved databases; a list of strings is a list of saved databases.
 *
 * @throws FileDbError the codes of `FileDb.fromConfig` and `FileDb.fromDisk`.
 */
export async function openFileDb(source: string | readonly string[] | FileDbConfig, options: FileDbOptions = {}): Promise<FileDb> {
  if (Array.isArray(source)) return FileDb.fromDisk(source as readonly string[]);
  if (typeof source === "string") {
    const matches = globPaths(resolve(options.cwd ?? process.cwd(), source));
    if (matches.length > 0 && matches.every(looksLikeHdf5)) return FileDb.fromDisk(matches);
    return FileDb.fromConfig(source, options);
  }
  return FileDb.fromConfig(source as FileDbConfig, options);
}

/**
 * Load saved databases (one path, a wildcard pattern or a list) and merge them; the same as
 * {@link FileDb.fromDisk}.
 * @throws FileDbError `FILEDB_NOT_FOUND` (no file matches), `FILEDB_UNREADABLE`,
 *   `FILEDB_BAD_DATABASE` (not a daqkit FileDB, e.g. written by pygama), `FILEDB_CONFIG_MISMATCH`.
 */
export function readFileDb(paths: string | readonly string[]): Promise<FileDb> {
  return FileDb.fromDisk(paths);
}

/**
 * Save a FileDb as an LH5 file; the same as {@link FileDb.toDisk}.
 * @throws FileDbError `FILEDB_EXISTS` (write-safe mode and the file exists), `FILEDB_IO`.
 */
export function writeFileDb(db: FileDb, path: string, options: WriteFileDbOptions = {}): Promise<void> {
  return db.toDisk(path, options);
}
