/** Codes of {@link LoaderError}. */
export type LoaderErrorCode =
  /** The loader configuration is malformed (missing `levels`, a level without tiers, a bad TCM level…). */
  | "LOADER_BAD_CONFIG"
  /** A configuration file (or the `[a/b]` sub-path inside it) does not exist or cannot be read. */
  | "LOADER_CONFIG_NOT_FOUND"
  /** A cut, datastream selection or option names a level that the configuration does not define. */
  | "LOADER_UNKNOWN_LEVEL"
  /** A cut or output column is not present in any table of the level (or of any level) in the selected files. */
  | "LOADER_UNKNOWN_COLUMN"
  /** `setDatastreams` was given a word that is not the table field of any level (e.g. `"chan"` instead of `"ch"`). */
  | "LOADER_UNKNOWN_DATASTREAM_WORD"
  /** A cut expression does not parse, or a list cut fits no level / several levels. */
  | "LOADER_BAD_CUT"
  /** An argument is invalid (unknown mode/orientation/format, no output columns, no file selection…). */
  | "LOADER_BAD_ARGUMENT"
  /** A TCM level was needed (event cut, event columns, `orientation: "evt"`) but none or several are configured. */
  | "LOADER_TCM_LEVEL_REQUIRED"
  /** The TCM object has neither layout (old Struct with `cumulative_length`, new Table of two VoVs). */
  | "LOADER_BAD_TCM"
  /** A TCM row points past the end of a table, or events past the end of the child table. */
  | "LOADER_TCM_OUT_OF_RANGE"
  /** A tier file the request needs does not exist. */
  | "LOADER_FILE_MISSING"
  /** A table the request needs is not in its tier file. */
  | "LOADER_TABLE_MISSING"
  /** An entry list does not have the columns or types this loader expects. */
  | "LOADER_BAD_ENTRY_LIST"
  /** Reading or writing an LH5/Arrow file failed. */
  | "LOADER_IO";

/** Per code: `"not-found"` (something named is missing or cannot be read/written; CLI exit 4) or `"data"` (exit 3). */
const CATEGORY: Record<LoaderErrorCode, "data" | "not-found"> = {
  LOADER_BAD_CONFIG: "data",
  LOADER_CONFIG_NOT_FOUND: "not-found",
  LOADER_UNKNOWN_LEVEL: "data",
  LOADER_UNKNOWN_COLUMN: "data",
  LOADER_UNKNOWN_DATASTREAM_WORD: "data",
  LOADER_BAD_CUT: "data",
  LOADER_BAD_ARGUMENT: "data",
  LOADER_TCM_LEVEL_REQUIRED: "data",
  LOADER_BAD_TCM: "data",
  LOADER_TCM_OUT_OF_RANGE: "data",
  LOADER_FILE_MISSING: "not-found",
  LOADER_TABLE_MISSING: "not-found",
  LOADER_BAD_ENTRY_LIST: "data",
  LOADER_IO: "not-found",
};

const MARKER = Symbol.for("daqkit.error");

/** Structured context carried by a {@link LoaderError}. */
export interface LoaderErrorContext {
  /** File the error is about (config, tier file, output file). */
  path?: string;
  /** Level name. */
  level?: string;
  /** Table id (channel). */
  table?: number | string;
  /** Row (TCM row, table row) the error is about. */
  row?: number;
  /** FileDB row index of the cycle. */
  fileIndex?: number;
}

/** The one error class of `@daqkit/loader`. Branch on `code`, never on the message. */
export class LoaderError extends Error {
  override readonly name = "LoaderError";
  readonly code: LoaderErrorCode;
  /** `"data"`: bad input data (CLI exit 3); `"not-found"`: a named file or object is missing or cannot be read/written (exit 4). Set from `code`. */
  readonly category: "data" | "not-found";
  readonly path: string | undefined;
  readonly level: string | undefined;
  readonly table: number | string | undefined;
  readonly row: number | undefined;
  readonly fileIndex: number | undefined;
  readonly [MARKER] = true;

  constructor(code: LoaderErrorCode, message: string, options?: LoaderErrorContext & { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.category = CATEGORY[code];
    this.path = options?.path;
    this.level = options?.level;
    this.table = options?.table;
    this.row = options?.row;
    this.fileIndex = options?.fileIndex;
  }

  /** True for a LoaderError, also across duplicate installs of this package. */
  static isInstance(error: unknown): error is LoaderError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as Record<symbol, unknown>)[MARKER] === true &&
      (error as { name?: unknown }).name === "LoaderError"
    );
  }
}
