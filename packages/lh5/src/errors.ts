import { summarizeHdf5Diagnostic } from "@daqkit/io";

/**
 * The one error class of `@daqkit/lh5`.
 *
 * `category` (from the `CATEGORY` table) is `"not-found"` (CLI exit 4) or `"data"` (exit 3) per code.
 */
export type Lh5ErrorCode =
  /** The file does not exist (or is not a regular file). */
  | "LH5_FILE_NOT_FOUND"
  /** The file exists but is not HDF5 (no HDF5 signature at 0, 512, 1024, … bytes). */
  | "LH5_NOT_HDF5"
  /** The HDF5 superblock says the file is longer than it is. */
  | "LH5_TRUNCATED"
  /** HDF5 refused to open or read the file for another reason (message keeps the HDF5 reason). */
  | "LH5_UNREADABLE"
  /** The object path does not exist in the file. */
  | "LH5_OBJECT_NOT_FOUND"
  /** The object exists but has no `datatype` attribute, so it is not an LGDO. */
  | "LH5_NOT_LGDO"
  /** The `datatype` attribute does not match the grammar of spec §2. */
  | "LH5_BAD_DATATYPE"
  /** A field listed in a struct/table `datatype` is not a child of the group. */
  | "LH5_FIELD_ABSENT"
  /** Table columns have different row counts (writing), or an LGDO's parts disagree. */
  | "LH5_LENGTH_MISMATCH"
  /** A dataset needs an HDF5 filter (e.g. zstd) that is not available: reading would return garbage. */
  | "LH5_FILTER_UNAVAILABLE"
  /** A row index / range is outside the object's rows, or the selection is malformed. */
  | "LH5_BAD_ROWS"
  /**
   * An HDF5 element type or LGDO layout this package does not handle; from `openLh5Links` /
   * `listGroupMembers`: an HDF5 layout the fast link lister does not read (use `openLh5` instead).
   */
  | "LH5_UNSUPPORTED"
  /** An in-memory LGDO given to a writer / converter is inconsistent. */
  | "LH5_BAD_LGDO"
  /** Appending to an existing object whose type/shape is incompatible. */
  | "LH5_APPEND_MISMATCH"
  /** Writing (mode "a") an object whose path already exists. */
  | "LH5_OBJECT_EXISTS"
  /** An encoded waveform (radware_sigcompress, uleb128_zigzag_diff) could not be decoded. */
  | "LH5_DECODE_FAILED"
  /** Writing the file failed (permissions, disk, HDF5 error). */
  | "LH5_WRITE_IO"
  /** Reading a dataset, an attribute or an object header failed inside HDF5 (message names the object and the HDF5 reason). */
  | "LH5_READ_IO"
  /**
   * The file's HDF5 metadata is damaged (a bad signature, an address past the end of the file, a
   * B-tree cycle, a count that cannot fit): found by a bounded structural check before HDF5 reads
   * the file (HDF5 itself can spin for minutes on such files).
   */
  | "LH5_CORRUPT"
  /** Another writer (`holderPid` when known) holds the file's write lock; nothing was written. */
  | "LH5_BUSY"
  /**
   * A file opened with `runtime: "on-demand"` was asked a synchronous read that needs h5wasm before its
   * runtime was loaded (`await file.ensureRuntime()` first, or use `readObjectAsync`).
   */
  | "LH5_RUNTIME_NOT_LOADED";

/** Per code: `"not-found"` (something named is missing or cannot be read/written; CLI exit 4) or `"data"` (exit 3). */
const CATEGORY: Record<Lh5ErrorCode, "data" | "not-found"> = {
  LH5_FILE_NOT_FOUND: "not-found",
  LH5_NOT_HDF5: "data",
  LH5_CORRUPT: "data",
  LH5_BUSY: "data",
  LH5_TRUNCATED: "data",
  LH5_UNREADABLE: "not-found",
  LH5_OBJECT_NOT_FOUND: "not-found",
  LH5_NOT_LGDO: "data",
  LH5_BAD_DATATYPE: "data",
  LH5_FIELD_ABSENT: "data",
  LH5_LENGTH_MISMATCH: "data",
  LH5_FILTER_UNAVAILABLE: "data",
  LH5_BAD_ROWS: "data",
  LH5_UNSUPPORTED: "data",
  LH5_BAD_LGDO: "data",
  LH5_APPEND_MISMATCH: "data",
  LH5_OBJECT_EXISTS: "data",
  LH5_DECODE_FAILED: "data",
  LH5_WRITE_IO: "not-found",
  LH5_READ_IO: "not-found",
  LH5_RUNTIME_NOT_LOADED: "data",
};

const MARKER = Symbol.for("daqkit.error");

/** Structured context carried by an {@link Lh5Error}. */
export interface Lh5ErrorContext {
  /** File path on the host file system. */
  readonly path?: string;
  /** Object path inside the HDF5 file (`ch1084803/raw/baseline`). */
  readonly objectPath?: string;
  /** Row index involved, when there is one. */
  readonly row?: number;
  /** HDF5 filter id involved (`LH5_FILTER_UNAVAILABLE`). */
  readonly filterId?: number;
  /** Process id of the writer holding the lock (`LH5_BUSY`), when known. */
  readonly holderPid?: number;
}

/** Error thrown by every function of `@daqkit/lh5`; branch on {@link Lh5Error.code}. */
export class Lh5Error extends Error {
  override readonly name = "Lh5Error";
  readonly code: Lh5ErrorCode;
  /** `"data"`: bad input data (CLI exit 3); `"not-found"`: a named file or object is missing or cannot be read/written (exit 4). Set from `code`. */
  readonly category: "data" | "not-found";
  readonly path: string | undefined;
  readonly objectPath: string | undefined;
  readonly row: number | undefined;
  readonly filterId: number | undefined;
  readonly holderPid: number | undefined;
  readonly [MARKER] = true;

  constructor(code: Lh5ErrorCode, message: string, context: Lh5ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.category = CATEGORY[code];
    this.path = context.path;
    this.objectPath = context.objectPath;
    this.row = context.row;
    this.filterId = context.filterId;
    this.holderPid = context.holderPid;
  }

  /** True for any daqkit `Lh5Error`, even from a duplicate install of this package. */
  static isInstance(error: unknown): error is Lh5Error {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as Record<symbol, unknown>)[MARKER] === true &&
      (error as { name?: unknown }).name === "Lh5Error"
    );
  }
}

/** The one-line HDF5 reason of an h5wasm error, for messages (`@daqkit/io`'s `summarizeHdf5Diagnostic`). */
export function hdf5Reason(error: unknown): string {
  return summarizeHdf5Diagnostic(error instanceof Error ? error.message : String(error));
}
