/** Codes of {@link IoError}. */
export type IoErrorCode =
  /** A named file, directory entry or URL does not exist. */
  | "IO_NOT_FOUND"
  /** A read or write failed at the operating-system or network level. */
  | "IO_FAILED"
  /** A read asked for bytes outside the source (offset/length beyond its size). */
  | "IO_OUT_OF_RANGE";

const MARKER = Symbol.for("daqkit.error");

/** The one error class of `@daqkit/io`. Branch on `code`, never on the message. */
export class IoError extends Error {
  override readonly name = "IoError";
  readonly code: IoErrorCode;
  /** The file, URL or entry involved. */
  readonly path?: string;
  readonly [MARKER] = true;

  constructor(code: IoErrorCode, message: string, options?: { cause?: unknown; path?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
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
