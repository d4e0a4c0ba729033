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
  | "IO_WORKER_FAILED"
  /** An HTTP server answered a `Range` request with the whole body (or without a usable `Content-Range`); nothing is downloaded. */
  | "IO_RANGE_UNSUPPORTED"
  /** A relative entry path is absolute, empty or leaves its directory (`..`). */
  | "IO_INVALID_PATH"
  /** A directory listing (the JSON served for an HTTP directory source) is not a valid `daqkit-listing`. */
  | "IO_BAD_LISTING"
  /** The platform lacks what the call needs (e.g. WORKERFS outside a Web Worker, paths in a browser). */
  | "IO_UNSUPPORTED"
  /** An HDF5 call through h5wasm failed; the message holds the one-line reason, `cause` the full HDF5-DIAG text. */
  | "IO_HDF5_FAILED"
  /** An exclusive atomic write (`exclusive: true`) found a file already under the final name; nothing was replaced. */
  | "IO_EXISTS";

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
  IO_RANGE_UNSUPPORTED: "data",
  IO_INVALID_PATH: "data",
  IO_BAD_LISTING: "data",
  IO_UNSUPPORTED: "data",
  IO_HDF5_FAILED: "data",
  IO_EXISTS: "data",
};

const MARKER = Symbol.for("daqkit.error");

/** Structured context of an {@link IoError}. */
export interface IoErrorOptions {
  readonly cause?: unknown;
  /** The file, URL or entry involved. */
  readonly path?: string;
  /** Byte offset of the failed read. */
  readonly offset?: number;
  /** Byte length of the failed read. */
  readonly length?: number;
  /** Size in bytes of the source, when known. */
  readonly size?: number;
}

/** The one error class of `@daqkit/io`. Branch on `code`, never on the message. */
export class IoError extends Error {
  override readonly name = "IoError";
  readonly code: IoErrorCode;
  /** `"data"`: bad input data (CLI exit 3); `"not-found"`: a named file or object is missing or cannot be read/written (exit 4). Set from `code`. */
  readonly category: "data" | "not-found";
  /** The file, URL or entry involved. */
  readonly path?: string;
  /** Byte offset of the failed read, when the error is about one. */
  readonly offset?: number;
  /** Byte length of the failed read, when the error is about one. */
  readonly length?: number;
  /** Size in bytes of the source, when known. */
  readonly size?: number;
  readonly [MARKER] = true;

  constructor(code: IoErrorCode, message: string, options?: IoErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.category = CATEGORY[code];
    this.path = options?.path;
    this.offset = options?.offset;
    this.length = options?.length;
    this.size = options?.size;
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
