/** Codes of {@link FileDbError}. */
export type FileDbErrorCode =
  /** A FileDB config is not valid (missing/mistyped key, bad template, inconsistent tiers). */
  | "FILEDB_BAD_CONFIG"
  /** A `{field}` template cannot be compiled or formatted (bad spec, missing value). */
  | "FILEDB_BAD_TEMPLATE"
  /** A query/cut expression cannot be parsed or evaluated (position in `position`). */
  | "FILEDB_BAD_EXPRESSION"
  /** An expression names a column that does not exist. */
  | "FILEDB_UNKNOWN_COLUMN"
  /** A tier name that is not in the config's `tier_dirs`. */
  | "FILEDB_UNKNOWN_TIER"
  /** Table/column information is needed but `scanTablesColumns` has not run. */
  | "FILEDB_NOT_SCANNED"
  /** A table id that is not listed for a row/tier. */
  | "FILEDB_UNKNOWN_TABLE"
  /** A cycle key (or `sortby` value) cannot be parsed. */
  | "FILEDB_BAD_KEY"
  /** A group inside a tier file does not match the tier's `table_format`. */
  | "FILEDB_BAD_TABLE"
  /** `data_dir` or a scanned directory does not exist. */
  | "FILEDB_DIR_NOT_FOUND"
  /** A saved database or config file does not exist. */
  | "FILEDB_NOT_FOUND"
  /** No files found under the scanned directories, or none matched the template. */
  | "FILEDB_NO_FILES"
  /** A tier file or saved database exists but cannot be opened/read as LH5. */
  | "FILEDB_UNREADABLE"
  /** A saved database is malformed, or was written by pygama (pickled pandas data). */
  | "FILEDB_BAD_DATABASE"
  /** Saved databases with different configs cannot be merged. */
  | "FILEDB_CONFIG_MISMATCH"
  /** Writing a database file failed. */
  | "FILEDB_IO"
  /** `toDisk` in write-safe mode found an existing file. */
  | "FILEDB_EXISTS";

/** Per code: `"not-found"` (something named is missing or cannot be read/written; CLI exit 4) or `"data"` (exit 3). */
const CATEGORY: Record<FileDbErrorCode, "data" | "not-found"> = {
  FILEDB_BAD_CONFIG: "data",
  FILEDB_BAD_TEMPLATE: "data",
  FILEDB_BAD_EXPRESSION: "data",
  FILEDB_UNKNOWN_COLUMN: "data",
  FILEDB_UNKNOWN_TIER: "data",
  FILEDB_NOT_SCANNED: "data",
  FILEDB_UNKNOWN_TABLE: "data",
  FILEDB_BAD_KEY: "data",
  FILEDB_BAD_TABLE: "data",
  FILEDB_DIR_NOT_FOUND: "not-found",
  FILEDB_NOT_FOUND: "not-found",
  FILEDB_NO_FILES: "not-found",
  FILEDB_UNREADABLE: "not-found",
  FILEDB_BAD_DATABASE: "data",
  FILEDB_CONFIG_MISMATCH: "data",
  FILEDB_IO: "not-found",
  FILEDB_EXISTS: "data",
};

const MARKER = Symbol.for("daqkit.error");

/** Structured context of a {@link FileDbError}. */
export interface FileDbErrorContext {
  /** A file or directory involved. */
  path?: string;
  /** 0-based character offset into an expression or template. */
  position?: number;
  /** The offending expression/template text. */
  source?: string;
  /** Row index in the FileDB. */
  row?: number;
  /** Tier name. */
  tier?: string;
  /** Column name. */
  column?: string;
}

/** The one error class of `@daqkit/filedb`. Branch on `code`, never on the message. */
export class FileDbError extends Error {
  override readonly name = "FileDbError";
  readonly code: FileDbErrorCode;
  /** `"data"`: bad input data (CLI exit 3); `"not-found"`: a named file or object is missing or cannot be read/written (exit 4). Set from `code`. */
  readonly category: "data" | "not-found";
  readonly path: string | undefined;
  readonly position: number | undefined;
  readonly source: string | undefined;
  readonly row: number | undefined;
  readonly tier: string | undefined;
  readonly column: string | undefined;
  readonly [MARKER] = true;

  constructor(code: FileDbErrorCode, message: string, options?: FileDbErrorContext & { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.category = CATEGORY[code];
    this.path = options?.path;
    this.position = options?.position;
    this.source = options?.source;
    this.row = options?.row;
    this.tier = options?.tier;
    this.column = options?.column;
  }

  /** True for a FileDbError, also across duplicate installs of this package. */
  static isInstance(error: unknown): error is FileDbError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as Record<symbol, unknown>)[MARKER] === true &&
      (error as { name?: unknown }).name === "FileDbError"
    );
  }
}
