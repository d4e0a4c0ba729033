/** The direct `msgs` reader (direct-vlen.ts) over a file on disk, with a check that it did not change meanwhile. */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { readVlenU8DirectFrom } from "./direct-vlen.js";
import type { PackedMessages } from "./vlen-u8.js";

/**
 * Read rows `[start, start + count)` of `name` from the file at `path` directly; null when the fast
 * path does not apply or the file's size, mtime or ctime changed during the read (a writer).
 */
export function readVlenU8Direct(path: string, name: string, start: number, count: number, expectedRows: number): PackedMessages | null {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return null;
  }
  try {
    const before = fstatSync(fd, { bigint: true });
    const size = Number(before.size);
    const result = readVlenU8DirectFrom(
      {
        size,
        read(address, length) {
          if (address < 0 || address >= size) throw new RangeError("outside the file");
          const n = Math.min(length, size - address);
          const b = new Uint8Array(n);
          if (readSync(fd, b, 0, n, address) !== n) throw new RangeError("short read");
          return b;
        },
        readInto(target, at, address, length) {
          return readSync(fd, target, at, length, address) === length;
        },
      },
      name,
      start,
      count,
      expectedRows,
    );
    if (!result) return null;
    // Unchanged file: same size and times (coarse, hence also the superblock comparison inside).
    const after = fstatSync(fd, { bigint: true });
    if (after.size !== before.size || after.mtimeNs !== before.mtimeNs || after.ctimeNs !== before.ctimeNs) return null;
    return result;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
