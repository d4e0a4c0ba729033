/**
 * The HDF5 superblock, versions 2 and 3 (HDF5 file format specification §II.A), read and patched
 * from bytes (Node file access is in `superblock-node.ts`): the readers use it to tell a quiescent file from one a writer has open
 * (status flags), to refuse a file shorter than its stored end-of-file address, and
 * `repairRawfile` uses it to clear the flags a crashed writer left set (what `h5clear -s` does).
 *
 * Layout with 8-byte offsets: signature (8), version (1), size of offsets (1), size of lengths (1),
 * file consistency flags (1), base address, superblock extension address, end-of-file address,
 * root group object header address (8 each), then the lookup3 checksum of the 44 bytes before it.
 */
import { lookup3 } from "@daqkit/io";

/** Flag bit: the file is open for writing (HDF5 `H5F_SUPER_WRITE_ACCESS`). */
export const SUPERBLOCK_WRITE_ACCESS = 0x01;
/** Flag bit: the file is open for SWMR writing (HDF5 `H5F_SUPER_SWMR_WRITE_ACCESS`). */
export const SUPERBLOCK_SWMR_WRITE_ACCESS = 0x04;

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
/** Bytes covered by the checksum (8-byte offsets). */
export const CHECKED_BYTES = 44;

/** What {@link readSuperblock} found at offset 0. */
export interface SuperblockInfo {
  /** Superblock version (2 or 3). */
  version: number;
  /** File consistency flags (bit 0 open for write, bit 2 open for SWMR write). */
  flags: number;
  /** Base address (absolute file offset that addresses are relative to). */
  baseAddress: number;
  /** Stored end-of-file address, relative to `baseAddress`. */
  eofAddress: number;
  /** True when the stored lookup3 checksum matches the 44 bytes before it. */
  checksumOk: boolean;
  /** Stored and computed checksum. */
  storedChecksum: number;
  computedChecksum: number;
  /** Size of the file when it was read. */
  fileSize: number;
  /** The 48 superblock bytes as read (to detect a change). */
  bytes: Uint8Array;
}

function u64(view: DataView, at: number): number {
  const v = view.getBigUint64(at, true);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.POSITIVE_INFINITY : Number(v);
}

/** Parse a version-2/3 superblock with 8-byte offsets from its 48 bytes; null for anything else. */
export function parseSuperblock(bytes: Uint8Array, fileSize: number): SuperblockInfo | null {
  if (bytes.length < CHECKED_BYTES + 4) return null;
  for (let i = 0; i < 8; i++) if (bytes[i] !== SIGNATURE[i]) return null;
  const version = bytes[8]!;
  if ((version !== 2 && version !== 3) || bytes[9] !== 8 || bytes[10] !== 8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const storedChecksum = view.getUint32(CHECKED_BYTES, true);
  const computedChecksum = lookup3(bytes.subarray(0, CHECKED_BYTES));
  return {
    version,
    flags: bytes[11]!,
    baseAddress: u64(view, 12),
    eofAddress: u64(view, 28),
    checksumOk: storedChecksum === computedChecksum,
    storedChecksum,
    computedChecksum,
    fileSize,
    bytes: bytes.slice(0, CHECKED_BYTES + 4),
  };
}

/** True when two superblock reads saw the same bytes and the same file size. */
export function sameSuperblock(a: SuperblockInfo | null, b: SuperblockInfo | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.fileSize !== b.fileSize) return false;
  for (let i = 0; i < a.bytes.length; i++) if (a.bytes[i] !== b.bytes[i]) return false;
  return true;
}

/**
 * Set the status flags of a version-2/3 superblock held in `bytes` (48 bytes) — and, when given, its
 * end-of-file address (relative to the base address) — and rewrite its checksum; returns the flags
 * before, or null when it is not one with a valid checksum.
 */
export function patchSuperblockFlags(bytes: Uint8Array, fileSize: number, flags: number, eofAddress?: number): number | null {
  const info = parseSuperblock(bytes, fileSize);
  if (!info?.checksumOk) return null;
  bytes[11] = flags & 0xff;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (eofAddress !== undefined) view.setBigUint64(28, BigInt(eofAddress), true);
  view.setUint32(CHECKED_BYTES, lookup3(bytes.subarray(0, CHECKED_BYTES)), true);
  return info.flags;
}
