import { closeSync, fstatSync, openSync, read as readFd, readSync } from "node:fs";
import { type ByteSource, checkRange } from "./byte-source.js";
import { IoError } from "./errors.js";
import { fileSystemError } from "./node-file-source.js";

/** A synchronous Node file source: `readSync` always present, plus a synchronous `closeSync`. */
export interface SyncFileSource extends ByteSource {
  readSync(offset: number, length: number): Uint8Array;
  readIntoSync(offset: number, target: Uint8Array): void;
  /**
   * Fill `target` with the bytes at `offset` on libuv's thread pool (one positioned read, repeated
   * on short reads). Several may run at once on disjoint targets: a large read split in parts is
   * read (and its fresh pages first touched) on several threads.
   */
  readInto(offset: number, target: Uint8Array): Promise<void>;
  /**
   * Close the descriptor (idempotent); `close()` does the same. Reads after it fail; the descriptor
   * itself is closed once the `readInto` calls already running have finished (never under them).
   */
  closeSync(): void;
}

/**
 * Open a local file as a byte source synchronously (Node only), for hot paths that must stay
 * synchronous (metadata listers called per file in a scan). Missing file, or a path that is not a
 * regular file (a directory) → `IO_NOT_FOUND`; other failures → `IO_FAILED`. Close it when done.
 */
export function openFileSourceSync(path: string): SyncFileSource {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (cause) {
    throw fileSystemError(path, "open", cause);
  }
  let size: number;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw new IoError("IO_NOT_FOUND", `io: ${path}: not a regular file`, { path });
    }
    size = stat.size;
  } catch (error) {
    closeSync(fd);
    throw IoError.isInstance(error) ? error : fileSystemError(path, "stat", error);
  }
  let closed = false;
  /** A read that met the end of the file before `length` bytes (the file shrank since it was opened). */
  const shortRead = (offset: number, length: number, done: number): IoError =>
    new IoError("IO_FAILED", `io: ${path}: expected ${length} bytes at offset ${offset}, got ${done} (the file shrank?)`, {
      path,
      offset,
      length,
      size,
    });
  const readSyncAt = (offset: number, length: number): Uint8Array => {
    if (closed) throw new IoError("IO_FAILED", `io: ${path}: read after close`, { path, offset, length, size });
    checkRange(path, size, offset, length); // before allocating: a length from a damaged file may be absurd
    const out = new Uint8Array(length);
    readIntoAt(offset, out);
    return out;
  };
  const readIntoAt = (offset: number, out: Uint8Array): void => {
    const length = out.byteLength;
    if (closed) throw new IoError("IO_FAILED", `io: ${path}: read after close`, { path, offset, length, size });
    checkRange(path, size, offset, length);
    let done = 0;
    try {
      while (done < length) {
        const n = readSync(fd, out, done, length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
    } catch (cause) {
      throw fileSystemError(path, `reading ${length} bytes at offset ${offset}`, cause, { offset, length, size });
    }
    if (done !== length) throw shortRead(offset, length, done);
  };
  let pending = 0; // readInto calls on the thread pool
  const closeNow = (): void => {
    if (closed) return;
    closed = true;
    if (pending === 0) closeSync(fd);
  };
  const readOnce = (out: Uint8Array, at: number, length: number, position: number): Promise<number> =>
    new Promise((resolve, reject) => readFd(fd, out, at, length, position, (error, n) => (error ? reject(error) : resolve(n))));
  const readIntoAsync = async (offset: number, out: Uint8Array): Promise<void> => {
    const length = out.byteLength;
    if (closed) throw new IoError("IO_FAILED", `io: ${path}: read after close`, { path, offset, length, size });
    checkRange(path, size, offset, length);
    pending++;
    let done = 0;
    try {
      while (done < length) {
        const n = await readOnce(out, done, length - done, offset + done);
        if (n === 0) break;
        done += n;
      }
    } catch (cause) {
      throw fileSystemError(path, `reading ${length} bytes at offset ${offset}`, cause, { offset, length, size });
    } finally {
      pending--;
      if (closed && pending === 0) closeSync(fd);
    }
    if (done !== length) throw shortRead(offset, length, done);
  };
  return {
    name: path,
    size,
    readSync: readSyncAt,
    readIntoSync: readIntoAt,
    readInto: readIntoAsync,
    read: async (offset, length) => readSyncAt(offset, length),
    closeSync: closeNow,
    close: async () => closeNow(),
  };
}
