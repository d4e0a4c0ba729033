/**
 * The FileDb of `@daqkit/filedb/node`: the platform-neutral class plus what takes host paths — a
 * config file or object whose `data_dir` is on the local disk (`fromConfig`, scans with the file
 * system), and saved databases read and written as LH5 files (`fromDisk`, `toDisk`).
 */
import type { DirectorySource } from "@daqkit/io";
import type { FileDbConfig, ResolvedFileDbConfig } from "./config.js";
import { FileDb as PlatformFileDb } from "./file-db.js";
import type { FileDbHost } from "./file-host.js";
import { type ResolveConfigOptions, readFileDbConfig, resolveFileDbConfig } from "./node-config.js";
import { nodeFileHost } from "./node-file-host.js";
import { readFileDbState, type WriteFileDbOptions, writeFileDbState } from "./persistence.js";
import type { FileDbState } from "./state.js";

/** Options of {@link FileDb.fromConfig}. */
export interface FileDbOptions extends ResolveConfigOptions {
  /**
   * Run `scanFiles` right away, then (when the config has both `tables` and `columns`) fill the
   * table/column information from the config. Default true (as pygama).
   */
  scan?: boolean;
}

/**
 * The file database with the local disk as its default place (see the main entry's `FileDb` for
 * the queries, scans and table). Instances are also instances of the main entry's `FileDb`.
 */
export class FileDb extends PlatformFileDb {
  /** @internal use {@link FileDb.fromConfig}, `openFileDb`, `readFileDb` or `FileDb.fromDirectory`. */
  constructor(resolved: ResolvedFileDbConfig, state?: FileDbState, place?: { host: FileDbHost; directory?: DirectorySource }) {
    super(resolved, state, place ?? { host: nodeFileHost });
  }

  /**
   * Build a FileDb from a config object or a JSON config file path (`$_` = the file's directory).
   * With `scan` (default true) the lowest tier is scanned and, if the config has both `tables`
   * and `columns`, those fill the table information.
   *
   * @throws FileDbError codes of `resolveFileDbConfig`/`readFileDbConfig`, and of
   *   {@link FileDb.scanFiles} when scanning.
   */
  static fromConfig(config: string | FileDbConfig, options: FileDbOptions = {}): FileDb {
    const resolved = typeof config === "string" ? readFileDbConfig(config, options) : resolveFileDbConfig(config, options);
    const db = new FileDb(resolved);
    if (options.scan ?? true) {
      db.scanFiles();
      const { tables, columns } = resolved.config;
      if (tables && columns) db.setTablesColumnsFromConfig();
    }
    return db;
  }

  /**
   * Replace the configuration (pygama's `set_config`): a config object or a JSON config file path,
   * resolved as {@link FileDb.fromConfig} does (`$_`, `cwd`, `dataDir`…). Rows are kept when the
   * tiers and key fields are unchanged (see the main entry's `setConfig`).
   * @throws FileDbError codes of `resolveFileDbConfig`/`readFileDbConfig` (database unchanged).
   */
  override setConfig(config: string | FileDbConfig, options: ResolveConfigOptions = {}): void {
    this.replaceResolved(typeof config === "string" ? readFileDbConfig(config, options) : resolveFileDbConfig(config, options));
  }

  /**
   * Load saved databases (see `readFileDb`): one path, a wildcard pattern or a list; several are
   * merged. @throws FileDbError `FILEDB_NOT_FOUND`, `FILEDB_UNREADABLE`, `FILEDB_BAD_DATABASE`,
   * `FILEDB_CONFIG_MISMATCH`.
   */
  static async fromDisk(paths: string | readonly string[]): Promise<FileDb> {
    const { resolved, state } = await readFileDbState(paths);
    const db = new FileDb(resolved, state);
    db.sortRows();
    return db;
  }

  /**
   * Save the database as an LH5 file (see `writeFileDb`; atomic: temporary file + rename).
   * @throws FileDbError `FILEDB_EXISTS` (write-safe mode, the default), `FILEDB_IO`.
   */
  toDisk(path: string, options: WriteFileDbOptions = {}): Promise<void> {
    return writeFileDbState(this.resolved, this.state, path, options);
  }
}
