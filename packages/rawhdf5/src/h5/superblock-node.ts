/** The superblock of a file on disk (Node `fs`); parsing is in `superblock.ts`. */
import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import { CHECKED_BYTES, parseSuperblock, patchSuperblockFlags, type SuperblockInfo } from "./superblock.js";

/**
 * Read the superblock at offset 0 of `path`. Returns null when the file does not start with a
 * version-2/3 superblock with 8-byte offsets (older superblocks have no status flags we use).
 */
export function readSuperblock(path: string): SuperblockInfo | null {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    const bytes = new Uint8Array(CHECKED_BYTES + 4);
    if (readSync(fd, bytes, 0, bytes.length, 0) !== bytes.length) return null;
    return parseSuperblock(bytes, size);
  } finally {
    closeSync(fd);
  }
}

/**
 * Set the status flags of the version-2/3 superblock of `path` to `flags` and rewrite its checksum
 * (with 0, what `h5clear -s` does). With `eofAddress`, the stored end-of-file address (relative to the
 * base address) is set too (what `h5clear --increment` does). The stored checksum must be valid beforehand.
 * @returns the flags before the change, or null when the file has no such superblock or its checksum is wrong
 */
export function writeSuperblockFlags(path: string, flags: number, eofAddress?: number): number | null {
  const fd = openSync(path, "r+");
  try {
    const bytes = new Uint8Array(CHECKED_BYTES + 4);
    if (readSync(fd, bytes, 0, bytes.length, 0) !== bytes.length) return null;
    const before = patchSuperblockFlags(bytes, fstatSync(fd).size, flags, eofAddress);
    if (before === null) return null;
    writeSync(fd, bytes, 0, bytes.length, 0);
    return before;
  } finally {
    closeSync(fd);
  }
}
