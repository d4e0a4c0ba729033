/** Every error code `@daqkit/runs` can throw. `CATEGORY` says which mean "not there". */
export type RunsErrorCode =
  /** A run document (`{run}-metadata.json`) does not exist. */
  | "RUNS_RUN_DOC_NOT_FOUND"
  /** A run document is not valid JSON or lacks a required field (`start`/`end` for subruns). */
  | "RUNS_BAD_RUN_DOC"
  /** No complete stored data for (run, data type[, lineage]). */
  | "RUNS_DATA_NOT_FOUND"
  /** A data folder exists but its data metadata file is missing. */
  | "RUNS_METADATA_MISSING"
  /** Data metadata is malformed, incomplete (no `writing_ended`) or records an `exception`. */
  | "RUNS_BAD_METADATA"
  /** A chunk file listed in the metadata is missing on disk. */
  | "RUNS_CHUNK_MISSING"
  /** A chunk file could not be decompressed or its size disagrees with the metadata. */
  | "RUNS_CORRUPT_CHUNK"
  /** The metadata names a compressor this package does not know. */
  | "RUNS_UNKNOWN_COMPRESSOR"
  /** A numpy dtype descr string could not be parsed or uses an unsupported type. */
  | "RUNS_BAD_DTYPE"
  /** Chunk invariants violated: rows outside `[start, end)`, negative length, unsorted. */
  | "RUNS_BAD_CHUNK"
  /** Chunks overlap or are out of order when concatenating. */
  | "RUNS_CHUNK_OVERLAP"
  /** Consecutive chunks of one run are not contiguous. */
  | "RUNS_NOT_CONTINUOUS"
  /** Invalid run id (contains `-`, empty, regular run starting with `_`, …). */
  | "RUNS_BAD_RUN_ID"
  /** Invalid superrun definition (empty, duplicate, bad range, list of ranges, overlap…). */
  | "RUNS_BAD_SUPERRUN"
  /** Subruns of a superrun overlap in time. */
  | "RUNS_SUBRUN_OVERLAP"
  /** Data for the key already exists and the overwrite policy forbids replacing it. */
  | "RUNS_DATA_EXISTS"
  /**
   * Another writer stored the same data (or run document) while this one was writing: the first
   * to finish wins, this write was discarded and left nothing behind.
   */
  | "RUNS_BUSY"
  /** The DataDirectory was opened read-only. */
  | "RUNS_READONLY"
  /** An Arrow schema cannot be stored as a numpy dtype (unsupported type, missing `time`). */
  | "RUNS_UNSUPPORTED_TYPE"
  /** Invalid JSON in a metadata file. */
  | "RUNS_BAD_JSON"
  /** Several complete data folders match (run, data type) and no lineage hash was given. */
  | "RUNS_AMBIGUOUS_DATA"
  /** An Arrow column to be stored has null values (numpy rows cannot hold nulls). */
  | "RUNS_NULL_VALUE"
  /** Filesystem failure while reading or writing. */
  | "RUNS_IO";

/** Per code: `"not-found"` (something named is missing or cannot be read/written; CLI exit 4) or `"data"` (exit 3). */
const CATEGORY: Record<RunsErrorCode, "data" | "not-found"> = {
  RUNS_RUN_DOC_NOT_FOUND: "not-found",
  RUNS_BAD_RUN_DOC: "data",
  RUNS_DATA_NOT_FOUND: "not-found",
  RUNS_METADATA_MISSING: "not-found",
  RUNS_BAD_METADATA: "data",
  RUNS_CHUNK_MISSING: "not-found",
  RUNS_CORRUPT_CHUNK: "data",
  RUNS_BUSY: "data",
  RUNS_UNKNOWN_COMPRESSOR: "data",
  RUNS_BAD_DTYPE: "data",
  RUNS_BAD_CHUNK: "data",
  RUNS_CHUNK_OVERLAP: "data",
  RUNS_NOT_CONTINUOUS: "data",
  RUNS_BAD_RUN_ID: "data",
  RUNS_BAD_SUPERRUN: "data",
  RUNS_SUBRUN_OVERLAP: "data",
  RUNS_DATA_EXISTS: "data",
  RUNS_READONLY: "data",
  RUNS_UNSUPPORTED_TYPE: "data",
  RUNS_BAD_JSON: "data",
  RUNS_AMBIGUOUS_DATA: "data",
  RUNS_NULL_VALUE: "data",
  RUNS_IO: "not-found",
};

const MARKER = Symbol.for("daqkit.error");

/** Context attached to a {@link RunsError}. */
export interface RunsErrorContext {
  /** File or folder concerned. */
  readonly path?: string;
  /** Run id concerned. */
  readonly runId?: string;
  /** Data type concerned. */
  readonly dataType?: string;
  /** Chunk index (`chunk_i`). */
  readonly chunkIndex?: number;
  /** Row index inside a chunk. */
  readonly row?: number;
  /** Byte offset inside a file or string. */
  readonly byteOffset?: number;
  /** Metadata field or column concerned (e.g. `dtype`, `time`). */
  readonly field?: string;
  readonly cause?: unknown;
}

/** The one error class of `@daqkit/runs`. Branch on {@link RunsError.code}, never on the message. */
export class RunsError extends Error {
  override readonly name = "RunsError";
  readonly code: RunsErrorCode;
  /** `"data"`: bad input data (CLI exit 3); `"not-found"`: a named file or object is missing or cannot be read/written (exit 4). Set from `code`. */
  readonly category: "data" | "not-found";
  readonly path?: string;
  readonly runId?: string;
  readonly dataType?: string;
  readonly chunkIndex?: number;
  readonly row?: number;
  readonly byteOffset?: number;
  readonly field?: string;
  readonly [MARKER] = true;

  constructor(code: RunsErrorCode, message: string, context: RunsErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.code = code;
    this.category = CATEGORY[code];
    if (context.path !== undefined) this.path = context.path;
    if (context.runId !== undefined) this.runId = context.runId;
    if (context.dataType !== undefined) this.dataType = context.dataType;
    if (context.chunkIndex !== undefined) this.chunkIndex = context.chunkIndex;
    if (context.row !== undefined) this.row = context.row;
    if (context.byteOffset !== undefined) this.byteOffset = context.byteOffset;
    if (context.field !== undefined) this.field = context.field;
  }

  /** True for any `RunsError`, also across duplicate installs of this package. */
  static isInstance(error: unknown): error is RunsError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as Record<symbol, unknown>)[MARKER] === true &&
      (error as { name?: unknown }).name === "RunsError"
    );
  }
}

/**
 * For errors thrown by context-free helpers (the dtype parser, row-time accessors): a `RunsError`
 * with the same code, `where` put before its message and `context` filled in where the original
 * had none (the original becomes the `cause`). Anything else is returned unchanged.
 */
export function withContext(error: unknown, where: string, context: Omit<RunsErrorContext, "cause">): unknown {
  if (!RunsError.isInstance(error)) return error;
  return fillContext(error, context, `${where}: ${error.message.replace(/^strax( dtype)?: /, "")}`);
}

/**
 * A `RunsError` with `context` filled in where `error` had none (same code; same message unless
 * given). Anything else is returned unchanged.
 */
export function fillContext(error: unknown, context: Omit<RunsErrorContext, "cause">, message?: string): unknown {
  if (!RunsError.isInstance(error)) return error;
  const e = error as RunsError;
  const merged: RunsErrorContext = {
    ...context,
    ...Object.fromEntries(
      (["path", "runId", "dataType", "chunkIndex", "row", "byteOffset", "field"] as const)
        .filter((k) => e[k] !== undefined)
        .map((k) => [k, e[k]]),
    ),
    cause: error,
  };
  return new RunsError(e.code, message ?? e.message, merged);
}
