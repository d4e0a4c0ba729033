import { readSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { type ByteSource, checkRange } from "./byte-source.js";
import { IoError } from "./errors.js";

/** An `IoError` for a failed file-system call on `path` (`ENOENT`/`ENOTDIR` → `IO_NOT_FOUND`). */
export function fileSystemError(
  path: string,
  what: string,
  cause: unknown,
  extra?: { offset?: number; length?: number; size?: number },
): IoError {
  const code = (cause as { code?: unknown } | null)?.code;
  const missing = code === "ENOENT" || code === "ENOTDIR";
  return new IoError(missing ? "IO_NOT_FOUND" : "IO_FAILED", `io: ${path}: ${what} failed: ${(cause as Error)?.message ?? String(cause)}`, {
    path,
    cause,
    ...extra,
  });
}

/**
 * A byte source over an open Node `FileHandle` (size from `fstat` now). Reads use positioned reads,
 * so concurrent reads are safe; `readSync` is present. `close()` closes the handle.
 */
export async function fileHandleSource(handle: FileHandle, name: string): Promise<ByteSource> {
  let size: number;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw Object.assign(new Error("not a regular file"), { code: "EISDIR" });
    size = stat.size;
  } catch (cause) {
    throw fileSystemError(name, "stat", cause);
  }
  const short = (offset: number, length: number, got: number): IoError =>
    new IoError("IO_FAILED", `io: ${name}: expected ${length} bytes at offset ${offset}, got ${got} (the file shrank?)`, {
      path: name,
      offset,
      length,
      size,
    });
  const readInto = async (offset: number, out: Uint8Array): Promise<void> => {
    const length = out.byteLength;
    checkRange(name, size, offset, length);
    let done = 0;
    try {
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    } catch (cause) {
      throw fileSystemError(name, `reading ${length} bytes at offset ${offset}`, cause, { offset, length, size });
    }
    if (done !== length) throw short(offset, length, done);
  };
  return {
    name,
    size,
    async read(offset, length) {
      checkRange(name, size, offset, length);
      const out = new Uint8Array(length);
      await readInto(offset, out);
      return out;
    },
    readInto,
    readSync(offset, length) {
      checkRange(name, size, offset, length);
      const out = new Uint8Array(length);
      let done = 0;
      try {
        while (done < length) {
          const n = readSync(handle.fd, out, done, length - done, offset + done);
          if (n === 0) break;
          done += n;
        }
      } catch (cause) {
        throw fileSystemError(name, `reading ${length} bytes at offset ${offset}`, cause, { offset, length, size });
      }
      if (done !== length) throw short(offset, length, done);
      return out;
    },
    async close() {
      await handle.close();
    },
  };
}

/**
 * Open a local file as a byte source (Node only). Missing file → `IO_NOT_FOUND`; a directory or
 * an unreadable file → `IO_FAILED`. Call `close()` when done.
 */
export async function openFileSource(path: string): Promise<ByteSource> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (cause) {
    throw fileSystemError(path, "open", cause);
  }
  try {
    return await fileHandleSource(handle, path);
  } catch (error) {
    await handle.close();
    throw error;
  }
}
