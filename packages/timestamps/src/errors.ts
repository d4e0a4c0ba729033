/** Codes of {@link TimestampError}. */
export type TimestampErrorCode =
  /** A bigint does not fit a JS number exactly (|v| > 2^53 − 1), or a value is outside its documented range. */
  | "TS_OUT_OF_RANGE"
  /** A LEGEND cycle key is not `YYYYMMDDTHHMMSSZ` or names an impossible date. */
  | "TS_BAD_CYCLE_KEY"
  /** A value is not a finite integer where one is required (e.g. a fractional µs tick, NaN, a bad year). */
  | "TS_BAD_VALUE";

/** Per code: `"not-found"` (something named is missing or cannot be read/written; CLI exit 4) or `"data"` (exit 3). */
const CATEGORY: Record<TimestampErrorCode, "data" | "not-found"> = {
  TS_OUT_OF_RANGE: "data",
  TS_BAD_CYCLE_KEY: "data",
  TS_BAD_VALUE: "data",
};

const MARKER = Symbol.for("daqkit.error");

/** The one error class of `@daqkit/timestamps`. Branch on `code`, never on the message. */
export class TimestampError extends Error {
  override readonly name = "TimestampError";
  readonly code: TimestampErrorCode;
  /** `"data"`: bad input data (CLI exit 3); `"not-found"`: a named file or object is missing or cannot be read/written (exit 4). Set from `code`. */
  readonly category: "data" | "not-found";
  /** The offending input, as given. */
  readonly value: unknown;
  readonly [MARKER] = true;

  constructor(code: TimestampErrorCode, message: string, options?: { cause?: unknown; value?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.category = CATEGORY[code];
    this.value = options?.value;
  }

  /** True for a TimestampError, also across duplicate installs of this package. */
  static isInstance(error: unknown): error is TimestampError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as Record<symbol, unknown>)[MARKER] === true &&
      (error as { name?: unknown }).name === "TimestampError"
    );
  }
}
