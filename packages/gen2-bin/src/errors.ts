/**
 * The one error class of `@daqkit/gen2-bin`. Callers branch on {@link Gen2BinError.code}, never on
 * the message text.
 */

/**
 * Every code a `Gen2BinError` can carry.
 *
 * - `GEN2_EMPTY_FILE` — a file or byte source has 0 bytes.
 * - `GEN2_PARTIAL_WORD` — the byte length is not a multiple of 8 (a trailing partial word).
 * - `GEN2_NO_HEADER` — words but no header word anywhere, and no header was passed in.
 * - `GEN2_FILE_NOT_FOUND` — a named file does not exist.
 * - `GEN2_DIR_NOT_FOUND` — the bin directory does not exist or is not a directory.
 * - `GEN2_NO_FILES` — the bin directory has no usable `*.bin` file.
 * - `GEN2_IO` — reading or writing a file failed (see `cause`).
 * - `GEN2_CACHE_UNREADABLE` — the Parquet cache directory cannot be created, read or written.
 * - `GEN2_PARQUET` — parquet-wasm failed to write or read a cache file (see `cause`).
 * - `GEN2_WORKER_FAILED` — a conversion worker thread died.
 * - `GEN2_BAD_SCHEMA` — the serializer got a table that is not exactly `xy, timestamp, phase, baseline`.
 * - `GEN2_NULL_VALUE` — the serializer got a null cell.
 * - `GEN2_EMPTY_TABLE` — the serializer got a table without rows.
 * - `GEN2_RANGE_OVERLAP` — a serialized time range comes within 1 s of an earlier one.
 * - `GEN2_UNMAPPED_PIXEL` — an `xy` has no board in `board2pixel`.
 * - `GEN2_PIXEL_DUPLICATED` — one `xy` is listed under two boards.
 * - `GEN2_VALUE_OUT_OF_RANGE` — phase, baseline, timestamp or a word field does not fit its bit width.
 * - `GEN2_BAD_ARGUMENT` — an option has an invalid value (year, board number, …).
 * - `GEN2_ROUND_TRIP_MISMATCH` — serialize → decode did not give back the same photons.
 */
export type Gen2BinErrorCode =
  | "GEN2_EMPTY_FILE"
  | "GEN2_PARTIAL_WORD"
  | "GEN2_NO_HEADER"
  | "GEN2_FILE_NOT_FOUND"
  | "GEN2_DIR_NOT_FOUND"
  | "GEN2_NO_FILES"
  | "GEN2_IO"
  | "GEN2_CACHE_UNREADABLE"
  | "GEN2_PARQUET"
  | "GEN2_WORKER_FAILED"
  | "GEN2_BAD_SCHEMA"
  | "GEN2_NULL_VALUE"
  | "GEN2_EMPTY_TABLE"
  | "GEN2_RANGE_OVERLAP"
  | "GEN2_UNMAPPED_PIXEL"
  | "GEN2_PIXEL_DUPLICATED"
  | "GEN2_VALUE_OUT_OF_RANGE"
  | "GEN2_BAD_ARGUMENT"
  | "GEN2_ROUND_TRIP_MISMATCH";

/** Structured context attached to a {@link Gen2BinError}. */
export interface Gen2BinErrorContext {
  /** The file involved, if any. */
  path?: string;
  /** Byte offset in the file or byte source. */
  byteOffset?: number;
  /** Row index in a photon table. */
  row?: number;
  /** The original error. */
  cause?: unknown;
}

/** Per code: `"not-found"` (something named is missing or cannot be read/written; CLI exit 4) or `"data"` (exit 3). */
const CATEGORY: Record<Gen2BinErrorCode, "data" | "not-found"> = {
  GEN2_EMPTY_FILE: "data",
  GEN2_PARTIAL_WORD: "data",
  GEN2_NO_HEADER: "data",
  GEN2_FILE_NOT_FOUND: "not-found",
  GEN2_DIR_NOT_FOUND: "not-found",
  GEN2_NO_FILES: "not-found",
  GEN2_IO: "not-found",
  GEN2_CACHE_UNREADABLE: "not-found",
  GEN2_PARQUET: "data",
  GEN2_WORKER_FAILED: "data",
  GEN2_BAD_SCHEMA: "data",
  GEN2_NULL_VALUE: "data",
  GEN2_EMPTY_TABLE: "data",
  GEN2_RANGE_OVERLAP: "data",
  GEN2_UNMAPPED_PIXEL: "data",
  GEN2_PIXEL_DUPLICATED: "data",
  GEN2_VALUE_OUT_OF_RANGE: "data",
  GEN2_BAD_ARGUMENT: "data",
  GEN2_ROUND_TRIP_MISMATCH: "data",
};

const MARKER = Symbol.for("daqkit.error");

/** Error thrown by every `@daqkit/gen2-bin` function for bad data or environment problems. */
export class Gen2BinError extends Error {
  override readonly name = "Gen2BinError";
  readonly code: Gen2BinErrorCode;
  /** `"data"`: bad input data (CLI exit 3); `"not-found"`: a named file or object is missing or cannot be read/written (exit 4). Set from `code`. */
  readonly category: "data" | "not-found";
  readonly path: string | undefined;
  readonly byteOffset: number | undefined;
  readonly row: number | undefined;
  readonly [MARKER] = true;

  constructor(code: Gen2BinErrorCode, message: string, context: Gen2BinErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.code = code;
    this.category = CATEGORY[code];
    this.path = context.path;
    this.byteOffset = context.byteOffset;
    this.row = context.row;
  }

  /** True for a `Gen2BinError`, also across duplicate installs of this package. */
  static isInstance(error: unknown): error is Gen2BinError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as Record<symbol, unknown>)[MARKER] === true &&
      (error as { name?: unknown }).name === "Gen2BinError"
    );
  }
}

/** Map a Node fs error to a coded error (`ENOENT` → `GEN2_FILE_NOT_FOUND`, else `GEN2_IO`). */
export function fsError(error: unknown, path: string, what: string): Gen2BinError {
  if (Gen2BinError.isInstance(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOENT") {
    return new Gen2BinError("GEN2_FILE_NOT_FOUND", `gen2: ${what} ${path}: no such file`, { path, cause: error });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new Gen2BinError("GEN2_IO", `gen2: ${what} ${path} failed: ${detail}`, { path, cause: error });
}

/**
 * An error of a byte or directory source (`@daqkit/io`'s `IoError`, or anything a custom source
 * throws) as a coded error: `IO_NOT_FOUND` → `GEN2_FILE_NOT_FOUND`, anything else → `GEN2_IO`.
 * A `Gen2BinError` passes through unchanged.
 */
export function sourceError(error: unknown, name: string, what: string, byteOffset?: number): Gen2BinError {
  if (Gen2BinError.isInstance(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  const context = { path: name, cause: error, ...(byteOffset !== undefined ? { byteOffset } : {}) };
  if (code === "IO_NOT_FOUND" || code === "ENOENT") {
    return new Gen2BinError("GEN2_FILE_NOT_FOUND", `gen2: ${what} ${name}: no such file (${detail})`, context);
  }
  return new Gen2BinError("GEN2_IO", `gen2: ${what} ${name} failed: ${detail}`, context);
}

/**
 * A conversion worker's serialized error (see `@daqkit/io`'s `WorkerPool`) as a Gen2BinError: a
 * `GEN2_*` error keeps its code, path and byte offset; anything else is `GEN2_WORKER_FAILED`.
 */
export function reviveWorkerError(payload: {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  context: Readonly<Record<string, string | number | boolean>>;
}): Gen2BinError {
  const { path, byteOffset } = payload.context;
  if (payload.code?.startsWith("GEN2_")) {
    return new Gen2BinError(payload.code as Gen2BinErrorCode, payload.message, {
      ...(typeof path === "string" ? { path } : {}),
      ...(typeof byteOffset === "number" ? { byteOffset } : {}),
    });
  }
  return new Gen2BinError("GEN2_WORKER_FAILED", `gen2: conversion worker failed: ${payload.message}`, {
    cause: Object.assign(new Error(payload.message), { name: payload.name, stack: payload.stack }),
  });
}
