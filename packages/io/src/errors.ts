/** Codes of {@link IoError}. */
export type IoErrorCode =
  /** A named file, directory entry or URL does not exist. */
  | "IO_NOT_FOUND"
  /** A read or write failed at the operating-system or network level. */
  | "IO_FAILED"
  /** A read asked for bytes outside the source (offset/length beyond its size). */
  | "IO_OUT_OF_RANGE";

/** Per code: `"not-found"` (something named is missing or cannot be read/written; CLI exit 4) or `"data"` (exit 3). */
const CATEGORY: Record<IoErrorCode, "data" | "not-found"> = {
  IO_NOT_FOUND: "not-found",
  IO_FAILED: "data",
  IO_OUT_OF_RANGE: "data",
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
