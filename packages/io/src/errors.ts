/** Codes of {@link IoError}. */
export type IoErrorCode =
  /** A named file, directory entry or URL does not exist. */
  | "IO_NOT_FOUND"
  /** A read or write failed at the operating-system or network level. */
  | "IO_FAILED"
  /** A read asked for bytes outside the source (offset/length beyond its size). */
  | "IO_OUT_OF_RANGE"
  /** An argument has an invalid value (unknown output extension, pool size, …). */
  | "IO_BAD_ARGUMENT"
  /** A table writer was given no rows and no schema: there is nothing to write. */
  | "IO_NOTHING_TO_WRITE"
  /** A numpy dtype string or `descr` cannot be parsed or is not supported. */
  | "IO_BAD_DTYPE"
  /** A value (typed array, Arrow type, numpy type) has no counterpart in the requested type system. */
  | "IO_UNSUPPORTED_TYPE"
  /** A worker of a `WorkerPool` failed to start, died, or the pool was closed with jobs pending. */
  | "IO_WORKER_FAILED";

/** Per code: `"not-found"` (something named is missing or cannot be read/written; CLI exit 4) or `"data"` (exit 3). */
const CATEGORY: Record<IoErrorCode, "data" | "not-found"> = {
  IO_NOT_FOUND: "not-found",
  IO_FAILED: "not-found",
  IO_OUT_OF_RANGE: "data",
  IO_BAD_ARGUMENT: "data",
  IO_NOTHING_TO_WRITE: "data",
  IO_BAD_DTYPE: "data",
  IO_UNSUPPORTED_TYPE: "data",
  IO_WORKER_FAILED: "data",
};

const MARKER = Symbol.for("daqkit.error");

/** The one error class of `@daqkit/io`. Branch on `code`, never on the message. */
export class IoError extends Error {
  override readonly name = "IoError";
  readonly code: IoErrorCode;
  /** `"data"`: bad input data (CLI exit 3); `"not-found"`: a named file or object is missing or cannot be read/written (exit 4). Set from `code`. */
  readonly category: "data" | "not-found";
  /** The file, URL or entry involved. */
  readonly path?: string;
  readonly [MARKER] = true;

  constructor(code: IoErrorCode, message: string, options?: { cause?: unknown; path?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.category = CATEGORY[code];
    this.path = options?.path;
  }

  /** True for an IoError, also across duplicate installs of this package. */
  static isInstance(error: unknown): error is IoError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as Record<symbol, unknown>)[MARKER] === true &&
      (error as { name?: unknown }).name === "IoError"
    );
  }
}
