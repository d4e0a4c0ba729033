/**
 * Error codes of `@daqkit/docmodel`. `CATEGORY` below says which mean "something named does not exist or
 * cannot be read" (`category: "not-found"`, CLI exit 4); every other code is bad data (exit 3).
 *
 * Mapping to the upstream (Python event-model) exception classes:
 * - `DOCS_SCHEMA_INVALID` — `jsonschema.ValidationError` (upstream `SchemaValidationError` in the spec)
 * - `DOCS_KEYS_MISMATCH` — `EventModelValidationError` / `KeyError` (event keys ≠ descriptor keys, unknown keys,
 *   filled ⊄ data, same stream name with other data keys)
 * - `DOCS_LENGTH_MISMATCH` — page columns of unequal length (`EventModelError` / `AssertionError` upstream)
 * - `DOCS_STOP_ALREADY_COMPOSED` — `EventModelError` "Already composed a RunStop document"
 * - `DOCS_EMPTY_PAGE` — packing zero events/datum, composing a page without columns (`ValueError`)
 * - `DOCS_QUERY_INVALID` — `mongoquery.QueryError` / `NotImplementedError`
 * - `DOCS_MSGPACK_BAD_UTF8` — a msgpack str that is not valid UTF-8 (Python's msgpack raises `UnicodeDecodeError`)
 * - `DOCS_MALFORMED_DOCUMENT` — a document read from a file lacks the structure readers rely on (e.g. a DataKey
 *   `shape` that is not an array, page columns of the wrong length); upstream fails later with a bare
 *   `TypeError`/`KeyError` or not at all
 */
export type DocModelErrorCode =
  | "DOCS_SCHEMA_INVALID"
  | "DOCS_KEYS_MISMATCH"
  | "DOCS_LENGTH_MISMATCH"
  | "DOCS_STOP_ALREADY_COMPOSED"
  | "DOCS_EMPTY_PAGE"
  | "DOCS_BAD_ARGUMENT"
  | "DOCS_QUERY_INVALID"
  | "DOCS_NO_START"
  | "DOCS_RUN_NOT_FOUND"
  | "DOCS_STREAM_NOT_FOUND"
  | "DOCS_AMBIGUOUS_KEY"
  | "DOCS_MSGPACK_TRUNCATED"
  | "DOCS_MSGPACK_BAD_RECORD"
  | "DOCS_MSGPACK_UNSUPPORTED"
  /** A msgpack str holds invalid UTF-8 (the file, byte offset of the str header and record are in the context). */
  | "DOCS_MSGPACK_BAD_UTF8"
  /** A document lacks the structure readers rely on; `run`, `documentName` and `field` say where. */
  | "DOCS_MALFORMED_DOCUMENT"
  | "DOCS_UNSUPPORTED_DTYPE"
  | "DOCS_FILE_EXISTS"
  | "DOCS_NO_FILES"
  | "DOCS_FILE_UNREADABLE"
  | "DOCS_TIFF_UNSUPPORTED"
  /** A synchronous TIFF function outside Node before `await loadTiffDecoder()` (utif2 is loaded on first use). */
  | "DOCS_TIFF_DECODER_NOT_LOADED"
  | "DOCS_SHAPE_MISMATCH"
  | "DOCS_UNRESOLVABLE_FOREIGN_KEY"
  | "DOCS_UNDEFINED_ASSET_SPEC";

/** Per code: `"not-found"` (something named is missing or cannot be read/written; CLI exit 4) or `"data"` (exit 3). */
const CATEGORY: Record<DocModelErrorCode, "data" | "not-found"> = {
  DOCS_SCHEMA_INVALID: "data",
  DOCS_MSGPACK_BAD_UTF8: "data",
  DOCS_MALFORMED_DOCUMENT: "data",
  DOCS_KEYS_MISMATCH: "data",
  DOCS_LENGTH_MISMATCH: "data",
  DOCS_STOP_ALREADY_COMPOSED: "data",
  DOCS_EMPTY_PAGE: "data",
  DOCS_BAD_ARGUMENT: "data",
  DOCS_QUERY_INVALID: "data",
  DOCS_NO_START: "data",
  DOCS_RUN_NOT_FOUND: "not-found",
  DOCS_STREAM_NOT_FOUND: "not-found",
  DOCS_AMBIGUOUS_KEY: "data",
  DOCS_MSGPACK_TRUNCATED: "data",
  DOCS_MSGPACK_BAD_RECORD: "data",
  DOCS_MSGPACK_UNSUPPORTED: "data",
  DOCS_UNSUPPORTED_DTYPE: "data",
  DOCS_FILE_EXISTS: "data",
  DOCS_NO_FILES: "not-found",
  DOCS_FILE_UNREADABLE: "not-found",
  DOCS_TIFF_UNSUPPORTED: "data",
  DOCS_TIFF_DECODER_NOT_LOADED: "data",
  DOCS_SHAPE_MISMATCH: "data",
  DOCS_UNRESOLVABLE_FOREIGN_KEY: "data",
  DOCS_UNDEFINED_ASSET_SPEC: "data",
};

const MARKER = Symbol.for("daqkit.error");

/** Structured context attached to a {@link DocModelError}. */
export interface DocModelErrorContext {
  /** File the error refers to. */
  path?: string;
  /** Byte offset inside the file (msgpack records). */
  byteOffset?: number;
  /** Index of the record (0-based) inside a msgpack file or document stream. */
  recordIndex?: number;
  /** Document name (`start`, `event`, …). */
  documentName?: string;
  /** Field of the document (dotted path, e.g. `data_keys.det.shape`). */
  field?: string;
  /** Run (RunStart uid) the document belongs to. */
  run?: string;
  /** Keys missing from a document (key checks). */
  missing?: string[];
  /** Keys that should not be there (key checks). */
  extra?: string[];
  /** Ajv errors for `DOCS_SCHEMA_INVALID`. */
  schemaErrors?: unknown[];
}

/** The one error class of `@daqkit/docmodel`; branch on {@link DocModelError.code}. */
export class DocModelError extends Error {
  override readonly name = "DocModelError";
  readonly code: DocModelErrorCode;
  /** `"data"`: bad input data (CLI exit 3); `"not-found"`: a named file or object is missing or cannot be read/written (exit 4). Set from `code`. */
  readonly category: "data" | "not-found";
  readonly path?: string;
  readonly byteOffset?: number;
  readonly recordIndex?: number;
  readonly documentName?: string;
  readonly field?: string;
  readonly run?: string;
  readonly missing?: string[];
  readonly extra?: string[];
  readonly schemaErrors?: unknown[];
  readonly [MARKER] = true;

  constructor(code: DocModelErrorCode, message: string, options: DocModelErrorContext & { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.category = CATEGORY[code];
    const { cause: _cause, ...context } = options;
    Object.assign(this, context);
  }

  /** True for any daqkit docmodel error, also across duplicate installs of the package. */
  static isInstance(error: unknown): error is DocModelError {
    return (
      typeof error === "object" &&
      error !== null &&
      (error as Record<symbol, unknown>)[MARKER] === true &&
      (error as { name?: unknown }).name === "DocModelError"
    );
  }
}
