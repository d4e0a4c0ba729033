/**
 * What every raw-file reader shares, whatever the file comes from (a path in Node, bytes, a
 * `Blob`/`File`, an io byte source): options, result types, selections, and reading the selected
 * rows from an open h5wasm file (headers through HDF5, messages directly or through HDF5).
 */
import { RawHdf5Error } from "./errors.js";
import type { H5Runtime } from "./h5/runtime.js";
import { type PackedMessages, readU8Rows, readVlenU8Rows } from "./h5/vlen-u8.js";
import { SUPERBLOCK_SWMR_WRITE_ACCESS, type SuperblockInfo } from "./h5/superblock.js";
import { RAWFILE_PATHS } from "./layout.js";

/** Retry and synchronisation options shared by {@link fromRawfile}, {@link lenRawfile} and followers. */
export interface RawfileRetryOptions {
  /**
   * Synchronisation attempts (spec §4.3): how many fresh looks at the two datasets' lengths are
   * allowed before `RAWHDF5_UNSYNCHRONIZED`. `0` skips the check (rows beyond the shorter dataset
   * are not read); a negative value retries until `maxWaitMs`. Default 1.
   */
  attempts?: number;
  /** How many transient HDF5 failures (file busy, torn read) are retried, with backoff 1, 2, 4 … 32 ms. Default 100. */
  reattempts?: number;
  /** Overall time limit in ms for negative `attempts` (then `RAWHDF5_TIMEOUT`). Default 60 000. */
  maxWaitMs?: number;
}

/** Options of {@link fromRawfile}. */
export interface FromRawfileOptions extends RawfileRetryOptions {
  /** First row, Python slice semantics: truncated to an integer, negative counts from the end, clamped. Default 0. */
  start?: number | null;
  /** End row (exclusive), same semantics as `start`. Default: the file length. */
  end?: number | null;
  /** Row selection instead of start/end: one boolean (or 0/1) per row of the file; the length must equal the file length. */
  mask?: ArrayLike<boolean | number> | null;
  /** Read only the headers; `msgs` is then null and message bytes are not read at all. */
  msgHeadersOnly?: boolean;
  /** Requested file-format version: the file must have the same major and a minor ≥ it. */
  version?: string | null;
  /** Requested io_version: checked only when the file has one (same major, minor ≥). */
  ioVersion?: string | null;
  /**
   * Read message bytes directly from the file when no writer has it open (default true): about
   * 5× faster than HDF5's variable-length conversion in wasm. The direct reader declines (and
   * HDF5 is used) for anything it does not recognise or when the file changes while it reads.
   * `false` always uses HDF5.
   */
  directRead?: boolean;
}

/** What {@link fromRawfile} returns. */
export interface RawfileData {
  /** `meta@created`, unix seconds. */
  created: number;
  /** `meta@modified`, unix seconds. */
  modified: number;
  /** Version the data was read as (`major.min(fileMinor, requestedMinor)`). */
  version: string;
  /** The file's io_version, or null when it has none (never the requested one). */
  ioVersion: string | null;
  /** File length (rows of both datasets) at the time of the read. */
  length: number;
  /** File row of every returned message (half-open `[start, end)` becomes `start, start+1, …`; built on first access). */
  rows: Float64Array;
  /** The messages; each is a view into `packed.bytes` (built lazily on first access). Null with `msgHeadersOnly`. */
  msgs: Uint8Array[] | null;
  /** The same messages packed: message i is `bytes.subarray(offsets[i], offsets[i + 1])`. Null with `msgHeadersOnly`. */
  packed: PackedMessages | null;
  /** Header columns, one entry per returned message. */
  msgHeaders: { io_groups: Uint8Array };
}

/** Rows per low-level read (keeps the wasm heap small). */
export const READ_BLOCK_ROWS = 1 << 18;

/** Python slice normalisation of `[start, end)` against length `n` (spec §4.5). */
export function normalizeSlice(start: number | null | undefined, end: number | null | undefined, n: number): [number, number] {
  const norm = (v: number | null | undefined, fallback: number, what: string): number => {
    if (v == null) return fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new RawHdf5Error("RAWHDF5_BAD_SELECTION", `rawhdf5: ${what} must be a finite number, got ${String(v)}`);
    }
    let i = Math.trunc(v);
    if (i < 0) i += n;
    return Math.min(Math.max(i, 0), n);
  };
  const s = norm(start, 0, "start");
  const e = norm(end, n, "end");
  return [s, Math.max(s, e)];
}

/** Maximal runs of selected rows of a mask, as `[start, end)` pairs. */
export function maskRuns(mask: ArrayLike<boolean | number>, n: number, path: string): Array<[number, number]> {
  if (mask.length !== n) {
    throw new RawHdf5Error("RAWHDF5_BAD_SELECTION", `rawhdf5: ${path}: mask has ${mask.length} entries, the file has ${n} rows`, { path });
  }
  const runs: Array<[number, number]> = [];
  let i = 0;
  while (i < n) {
    if (!mask[i]) {
      i++;
      continue;
    }
    const s = i;
    while (i < n && mask[i]) i++;
    runs.push([s, i]);
  }
  return runs;
}

export interface OpenedLayout {
  created: number;
  modified: number;
  version: string;
  ioVersion: string | null;
  msgsLength: number;
  headersLength: number;
}

export function readRuns(
  rt: H5Runtime,
  fileId: bigint,
  runs: Array<[number, number]>,
  withMessages: boolean,
  direct: ((start: number, count: number) => PackedMessages | null) | null,
): { ioGroups: Uint8Array; packed: PackedMessages | null } | null {
  let total = 0;
  for (const [s, e] of runs) total += e - s;
  const ioGroups = new Uint8Array(total);
  const parts: PackedMessages[] = [];
  let at = 0;
  for (const [s, e] of runs) {
    for (let b = s; b < e; b += READ_BLOCK_ROWS) {
      const count = Math.min(READ_BLOCK_ROWS, e - b);
      const headers = readU8Rows(rt, fileId, RAWFILE_PATHS.msgHeaders, b, count);
      if (!headers) return null;
      ioGroups.set(headers, at);
      at += count;
    }
    if (withMessages) {
      // Quiescent files: message bytes straight from the file (h5/direct-vlen.ts); else, or when
      // the direct reader declines, HDF5's own VLEN conversion.
      const fast = direct ? direct(s, e - s) : null;
      if (fast) parts.push(fast);
      else {
        for (let b = s; b < e; b += READ_BLOCK_ROWS) {
          const block = readVlenU8Rows(rt, fileId, RAWFILE_PATHS.msgs, b, Math.min(READ_BLOCK_ROWS, e - b));
          if (!block) return null;
          parts.push(block);
        }
      }
    }
  }
  if (!withMessages) return { ioGroups, packed: null };
  if (parts.length === 1) return { ioGroups, packed: parts[0]! };
  let bytesTotal = 0;
  for (const p of parts) bytesTotal += p.bytes.length;
  const bytes = new Uint8Array(bytesTotal);
  const offsets = new Float64Array(total + 1);
  let byteAt = 0;
  let rowAt = 0;
  for (const p of parts) {
    bytes.set(p.bytes, byteAt);
    const n = p.offsets.length - 1;
    for (let i = 0; i < n; i++) offsets[rowAt + i] = p.offsets[i]! + byteAt;
    byteAt += p.bytes.length;
    rowAt += n;
  }
  offsets[total] = byteAt;
  return { ioGroups, packed: { bytes, offsets } };
}

export function rowNumbers(runs: Array<[number, number]>): Float64Array {
  let total = 0;
  for (const [s, e] of runs) total += Math.max(0, e - s);
  const rows = new Float64Array(total);
  let at = 0;
  for (const [s, e] of runs) for (let r = s; r < e; r++) rows[at++] = r;
  return rows;
}

/** Split packed messages into per-message views (no copy). */
export function unpackMessages(packed: PackedMessages): Uint8Array[] {
  const n = packed.offsets.length - 1;
  const out = new Array<Uint8Array>(n);
  for (let i = 0; i < n; i++) out[i] = packed.bytes.subarray(packed.offsets[i]!, packed.offsets[i + 1]!);
  return out;
}

/** Metadata of a raw file without reading message data (used by `daqkit rawhdf5 info`). */
export interface RawfileInfo {
  version: string;
  ioVersion: string | null;
  created: number;
  modified: number;
  length: number;
}

/**
 * The result of a read of `runs` (per-message views and row numbers built on first access: bulk
 * users skip them).
 */
export function buildRawfileData(
  layout: OpenedLayout,
  length: number,
  runs: Array<[number, number]>,
  data: { ioGroups: Uint8Array; packed: PackedMessages | null },
): RawfileData {
  const result = {
    created: layout.created,
    modified: layout.modified,
    version: layout.version,
    ioVersion: layout.ioVersion,
    length,
    packed: data.packed,
    msgHeaders: { io_groups: data.ioGroups },
  } as RawfileData;
  let msgs: Uint8Array[] | null | undefined;
  let rows: Float64Array | undefined;
  Object.defineProperty(result, "msgs", {
    enumerable: true,
    get: () => (msgs ??= data.packed ? unpackMessages(data.packed) : null),
  });
  Object.defineProperty(result, "rows", {
    enumerable: true,
    get: () => (rows ??= rowNumbers(runs)),
  });
  return result;
}

/**
 * What the superblock alone says about a file: a coded error for a checksum mismatch or a file
 * shorter than its stored end of file (with no writer attached), "transient" while a writer may be
 * extending it, else null (go on with HDF5).
 */
export function superblockProblem(path: string, sb: SuperblockInfo | null, size: number): RawHdf5Error | "transient" | null {
  if (!sb) return null;
  if (!sb.checksumOk) {
    return new RawHdf5Error(
      "RAWHDF5_UNREADABLE",
      `rawhdf5: ${path}: superblock checksum mismatch at byte 44: stored 0x${sb.storedChecksum.toString(16)}, computed 0x${sb.computedChecksum.toString(16)} (the first 48 bytes are damaged)`,
      { path, byteOffset: 44, fileSize: size },
    );
  }
  const eof = sb.baseAddress + sb.eofAddress;
  if (eof > size) {
    if (sb.flags !== 0) return "transient";
    return new RawHdf5Error(
      "RAWHDF5_TRUNCATED",
      `rawhdf5: ${path}: the file is truncated: its superblock stores an end-of-file address of ${eof} bytes but the file has ${size} bytes (${eof - size} missing)`,
      { path, eofAddress: eof, fileSize: size, byteOffset: size },
    );
  }
  return null;
}

/** The coded error for a file whose superblock says a writer has it open and that stayed unreadable. */
export function needsRepairError(path: string, flags: number, what: string, hdf5Diagnostic?: string): RawHdf5Error {
  return new RawHdf5Error(
    "RAWHDF5_NEEDS_REPAIR",
    `rawhdf5: ${path}: ${what}: the superblock says the file is open for ${flags & SUPERBLOCK_SWMR_WRITE_ACCESS ? "SWMR " : ""}writing (flags 0x${flags.toString(16)}). Another writer is still using it (wait for it to finish), or a writer crashed mid-write: if no writer is running, \`daqkit rawhdf5 repair ${path}\` (repairRawfile) makes it readable and appendable again, keeping every complete message`,
    { path, superblockFlags: flags, hdf5Diagnostic },
  );
}
