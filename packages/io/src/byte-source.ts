import { IoError } from "./errors.js";

/**
 * A random-access, read-only sequence of bytes: a file, a `Blob`/`File`, bytes in memory or an HTTP
 * resource read with `Range` requests. Every decoder of daqkit reads through this interface.
 *
 * - `read(offset, length)` resolves to exactly `length` bytes starting at byte `offset`
 *   (`[offset, offset + length)`, half-open). The result is owned by the caller unless the
 *   implementation says otherwise (the bytes source returns views of its buffer: do not write to them).
 * - A read outside `[0, size]` rejects with `IO_OUT_OF_RANGE`; an I/O failure with `IO_FAILED`
 *   (`path` = {@link ByteSource.name}).
 * - `readSync` exists only where a synchronous read is possible (bytes, Node files, `Blob`s inside
 *   a Web Worker); hot paths that need it test for it and fall back to `read`.
 */
export interface ByteSource {
  /** A name for messages: the path, the URL or the `File`'s name. */
  readonly name: string;
  /** Size in bytes, fixed when the source was opened. */
  readonly size: number;
  /** Exactly `length` bytes at `offset`. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** The synchronous twin of {@link ByteSource.read}, where the platform allows it. */
  readSync?(offset: number, length: number): Uint8Array;
  /**
   * Fill `target` with the `target.byteLength` bytes at `offset` (same range checks and errors as
   * {@link ByteSource.read}), where the source can read into caller memory (Node files). Hot loops
   * that read a large source chunk by chunk use it to reuse their buffers: a fresh multi-MiB buffer
   * per read costs its page faults again every time.
   */
  readInto?(offset: number, target: Uint8Array): Promise<void>;
  /**
   * The synchronous twin of {@link ByteSource.readInto} (bytes in memory, Node files): decoders that
   * read raw data straight into their output array use it to copy each byte once.
   */
  readIntoSync?(offset: number, target: Uint8Array): void;
  /** Release the underlying handle (Node files); a no-op elsewhere. Reads after `close` fail. */
  close?(): Promise<void>;
}

/**
 * Check a read request against a source size; throws `IO_OUT_OF_RANGE` (with offset, length, size and
 * the source name) for negative, fractional or unsafe numbers and for ranges that end past `size`.
 */
export function checkRange(name: string, size: number, offset: number, length: number): void {
  const valid = Number.isSafeInteger(offset) && Number.isSafeInteger(length) && offset >= 0 && length >= 0 && offset + length <= size;
  if (!valid) {
    throw new IoError(
      "IO_OUT_OF_RANGE",
      `io: ${name}: read of ${length} bytes at offset ${offset} is outside the source: expected a range within [0, ${size}]`,
      { path: name, offset, length, size },
    );
  }
}

/**
 * A byte source over bytes in memory (`Uint8Array`, any other typed-array view, or `ArrayBuffer`).
 * Reads return views of the same memory (no copy); `readSync` is present.
 */
export function bytesSource(bytes: Uint8Array | ArrayBufferView | ArrayBuffer, name = "bytes"): ByteSource {
  const view =
    bytes instanceof Uint8Array
      ? bytes
      : ArrayBuffer.isView(bytes)
        ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
        : new Uint8Array(bytes);
  const size = view.byteLength;
  const readSync = (offset: number, length: number): Uint8Array => {
    checkRange(name, size, offset, length);
    return view.subarray(offset, offset + length);
  };
  return {
    name,
    size,
    readSync,
    readIntoSync: (offset, target) => target.set(readSync(offset, target.byteLength)),
    read: async (offset, length) => readSync(offset, length),
  };
}

/** The parts of `Blob` a blob source uses (a `File` adds `name`). */
export interface BlobLike {
  readonly size: number;
  slice(start?: number, end?: number): BlobLike;
  arrayBuffer(): Promise<ArrayBuffer>;
  readonly name?: string;
}

interface FileReaderSyncLike {
  readAsArrayBuffer(blob: unknown): ArrayBuffer;
}

/**
 * A byte source over a `Blob` or `File` (browsers, and Node ≥ 20 where `Blob`/`File` are globals).
 * Nothing is read until asked: each `read` slices the blob and reads only that slice, so a multi-GB
 * `File` picked in a page is never copied whole. Inside a Web Worker (where `FileReaderSync` exists)
 * `readSync` is present too.
 */
export function blobSource(blob: BlobLike, name = blob.name ?? "blob"): ByteSource {
  const size = blob.size;
  const readerClass = (globalThis as { FileReaderSync?: new () => FileReaderSyncLike }).FileReaderSync;
  const fail = (offset: number, length: number, cause: unknown): IoError =>
    new IoError("IO_FAILED", `io: ${name}: reading ${length} bytes at offset ${offset} failed: ${String(cause)}`, {
      path: name,
      offset,
      length,
      size,
      cause,
    });
  const source: ByteSource = {
    name,
    size,
    async read(offset, length) {
      checkRange(name, size, offset, length);
      if (length === 0) return new Uint8Array(0);
      let buffer: ArrayBuffer;
      try {
        buffer = await blob.slice(offset, offset + length).arrayBuffer();
      } catch (cause) {
        throw fail(offset, length, cause);
      }
      if (buffer.byteLength !== length) throw fail(offset, length, `got ${buffer.byteLength} bytes (the file changed?)`);
      return new Uint8Array(buffer);
    },
  };
  if (readerClass) {
    let reader: FileReaderSyncLike | undefined;
    source.readSync = (offset, length) => {
      checkRange(name, size, offset, length);
      if (length === 0) return new Uint8Array(0);
      reader ??= new readerClass();
      let buffer: ArrayBuffer;
      try {
        buffer = reader.readAsArrayBuffer(blob.slice(offset, offset + length));
      } catch (cause) {
        throw fail(offset, length, cause);
      }
      if (buffer.byteLength !== length) throw fail(offset, length, `got ${buffer.byteLength} bytes (the file changed?)`);
      return new Uint8Array(buffer);
    };
  }
  return source;
}

/** Options of {@link readWindows}. */
export interface ReadWindowsOptions {
  /** Bytes per window (the last one may be shorter). Default 4 MiB. */
  readonly windowSize?: number;
  /** First byte to read. Default 0. */
  readonly offset?: number;
  /** Bytes to read in total. Default: to the end of the source. */
  readonly length?: number;
  /** Stops the iteration (rejects with the signal's reason) before the next read. */
  readonly signal?: AbortSignal;
}

/**
 * Read `[offset, offset + length)` of a source as consecutive windows of `windowSize` bytes, one read
 * at a time (memory stays at one window). Throws `IO_OUT_OF_RANGE` up front for a range outside the source.
 */
export async function* readWindows(source: ByteSource, options: ReadWindowsOptions = {}): AsyncGenerator<Uint8Array> {
  const windowSize = options.windowSize ?? 4 << 20;
  const start = options.offset ?? 0;
  const length = options.length ?? source.size - start;
  if (!Number.isSafeInteger(windowSize) || windowSize <= 0) {
    throw new TypeError(`io: readWindows: windowSize must be a positive integer, got ${windowSize}`);
  }
  checkRange(source.name, source.size, start, length);
  for (let done = 0; done < length; ) {
    options.signal?.throwIfAborted();
    const n = Math.min(windowSize, length - done);
    yield await source.read(start + done, n);
    done += n;
  }
}

/** The whole source as one `Uint8Array` (convenience for small sources; prefer {@link readWindows}). */
export function readAll(source: ByteSource): Promise<Uint8Array> {
  return source.read(0, source.size);
}
