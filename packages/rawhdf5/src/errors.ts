/**
 * The one error class of `@daqkit/rawhdf5`.
 *
 * `category` (from the `CATEGORY` table) is `"not-found"` for environment problems (CLI exit 4) and
 * `"data"` for data or argument problems (CLI exit 3).
 */
export type RawHdf5ErrorCode =
  /** The named file does not exist. */
  | "RAWHDF5_NOT_FOUND"
  /** The file could not be opened or read by HDF5 (truncated, busy beyond all retries, permission). */
  | "RAWHDF5_UNREADABLE"
  /** An HDF5 write operation failed (disk full, file locked by a writer, …). */
  | "RAWHDF5_IO"
  /** The file is HDF5 but not a LArPix raw file (no `meta` group / `msgs` / `msg_headers`), or not HDF5 at all. */
  | "RAWHDF5_NOT_RAWFILE"
  /** A version string is not `major.minor` with decimal integers. */
  | "RAWHDF5_BAD_VERSION"
  /** A new file was requested with a file-format version this package cannot write (only `0.0`). */
  | "RAWHDF5_UNSUPPORTED_VERSION"
  /** The requested file-format version is incompatible with the file's (spec §5). */
  | "RAWHDF5_VERSION_MISMATCH"
  /** The requested io_version is incompatible with the file's, or the file has none (spec §5). */
  | "RAWHDF5_IO_VERSION_MISMATCH"
  /** A message is not a byte array. */
  | "RAWHDF5_BAD_MESSAGE_TYPE"
  /** `msgHeaders` has a key that the file version does not define. */
  | "RAWHDF5_UNKNOWN_HEADER_KEY"
  /** A `msgHeaders` field does not have one entry per message. */
  | "RAWHDF5_HEADER_LENGTH"
  /** A `msgHeaders` value is not an integer in 0..255. */
  | "RAWHDF5_HEADER_VALUE"
  /** `msgs` and `msg_headers` have different lengths in a file that should be quiescent. */
  | "RAWHDF5_DAMAGED"
  /** The two datasets' lengths never agreed within the allowed synchronisation attempts (spec §4.3). */
  | "RAWHDF5_UNSYNCHRONIZED"
  /** A read selection is invalid (mask of the wrong length, non-integer bounds). */
  | "RAWHDF5_BAD_SELECTION"
  /** The h5wasm object header patch of spec §8.3 met bytes it does not expect. */
  | "RAWHDF5_PATCH_FAILED"
  /** A PACMAN message has an unknown message type or a word letter not legal for its type (spec §7). */
  | "RAWHDF5_BAD_PACMAN_MESSAGE"
  /** A PACMAN message is shorter than its header or ends in a partial 16-byte word (spec §7.2). */
  | "RAWHDF5_TRUNCATED_PACMAN_MESSAGE"
  /** A wait (follow / synchronisation "forever") hit its time limit. */
  | "RAWHDF5_TIMEOUT"
  /** The file is shorter than the end-of-file address stored in its superblock (cut short by a copy or a full disk). */
  | "RAWHDF5_TRUNCATED"
  /**
   * The superblock says a writer has the file open, and it could not be read or written: another
   * writer is still running, or one crashed mid-write (then `daqkit rawhdf5 repair` / `repairRawfile`).
   */
  | "RAWHDF5_NEEDS_REPAIR"
  /** An argument is not something this entry reads (a path given to the platform-neutral main entry, a number…). */
  | "RAWHDF5_BAD_INPUT";

/** Per code: `"not-found"` (something named is missing or cannot be read/written; CLI exit 4) or `"data"` (exit 3). */
const CATEGORY: Record<RawHdf5ErrorCode, "data" | "not-found"> = {
  RAWHDF5_NOT_FOUND: "not-found",
  RAWHDF5_UNREADABLE: "not-found",
  RAWHDF5_IO: "not-found",
  RAWHDF5_NOT_RAWFILE: "data",
  RAWHDF5_TRUNCATED: "data",
  RAWHDF5_BAD_INPUT: "data",
  RAWHDF5_NEEDS_REPAIR: "data",
  RAWHDF5_BAD_VERSION: "data",
  RAWHDF5_UNSUPPORTED_VERSION: "data",
  RAWHDF5_VERSION_MISMATCH: "data",
  RAWHDF5_IO_VERSION_MISMATCH: "data",
  RAWHDF5_BAD_MESSAGE_TYPE: "data",
  RAWHDF5_UNKNOWN_HEADER_KEY: "data",
  RAWHDF5_HEADER_LENGTH: "data",
  RAWHDF5_HEADER_VALUE: "data",
  RAWHDF5_DAMAGED: "data",
  RAWHDF5_UNSYNCHRONIZED: "data",
  RAWHDF5_BAD_SELECTION: "data",
  RAWHDF5_PATCH_FAILED: "data",
  RAWHDF5_BAD_PACMAN_MESSAGE: "data",
  RAWHDF5_TRUNCATED_PACMAN_MESSAGE: "data",
  RAWHDF5_TIMEOUT: "data",
};

const MARKER = Symbol.for("daqkit.error");

/** Structured context attached to a {@link RawHdf5Error}. */
export interface RawHdf5ErrorContext {
  /** File involved. */
  path?: string;
  /** Message index (row of `msgs`). */
  messageIndex?: number;
  /** Byte offset inside a message or file. */
  byteOffset?: number;
  /** Raw HDF5 diagnostic text (the HDF5-DIAG error stack), when HDF5 reported one. */
  hdf5Diagnostic?: string;
  /** End-of-file address stored in the superblock (absolute), when it matters. */
  eofAddress?: number;
  /** Actual size of the file in bytes, when it matters. */
  fileSize?: number;
  /** Superblock status flags (bit 0 open for write, bit 2 open for SWMR write), when they matter. */
  superblockFlags?: number;
}

/** Error thrown by every function of `@daqkit/rawhdf5`; branch on {@link RawHdf5Error.code}. */
export class RawHdf5Error extends Error {
  override readonly name = "RawHdf5Error";
  readonly code: RawHdf5ErrorCode;
  /** `"data"`: bad input data (CLI exit 3); `"not-found"`: a named file or object is missing or cannot be read/written (exit 4). Set from `code`. */
  readonly category: "data" | "not-found";
  readonly path: string | undefined;
  readonly messageIndex: number | undefined;
  readonly byteOffset: number | undefined;
  readonly hdf5Diagnostic: string | undefined;
  readonly eofAddress: number | undefined;
  readonly fileSize: number | undefined;
  readonly superblockFlags: number | undefined;
  readonly [MARKER] = true;

  constructor(code: RawHdf5ErrorCode, message: string, options: RawHdf5ErrorContext & { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.category = CATEGORY[code];
    this.path = options.path;
    this.messageIndex = options.messageIndex;
    this.byteOffset = options.byteOffset;
    this.hdf5Diagnostic = options.hdf5Diagnostic;
    this.eofAddress = options.eofAddress;
    this.fileSize = options.fileSize;
    this.superblockFlags = options.superblockFlags;
  }

  /** True for any daqkit rawhdf5 error, even from another copy of this package. */
  static isInstance(error: unknown): error is RawHdf5Error {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as { [MARKER]?: unknown })[MARKER] === true &&
      (error as { name?: unknown }).name === "RawHdf5Error"
    );
  }
}
