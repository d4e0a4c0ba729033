import { accessSync, constants, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { RawHdf5Error } from "./errors.js";
import { type H5Runtime, loadH5, summarizeDiagnostic, withQuietHdf5 } from "./h5/h5wasm-module.js";
import { closeQuietly, datasetLength, hasHdf5Signature, inspectRawLayout, openH5 } from "./h5/raw-layout.js";
import { readVlenU8Direct } from "./h5/direct-vlen.js";
import { readSuperblock, sameSuperblock, SUPERBLOCK_SWMR_WRITE_ACCESS, type SuperblockInfo } from "./h5/superblock.js";
import { type PackedMessages, readU8Rows, readVlenU8Rows } from "./h5/vlen-u8.js";
import { RAWFILE_PATHS, resolveReadIoVersion, resolveReadVersion } from "./layout.js";

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
const READ_BLOCK_ROWS = 1 << 18;

function backoffMs(attempt: number): number {
  return Math.min(32, 2 ** Math.min(attempt, 5));
}

function ensureReadable(path: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new RawHdf5Error("RAWHDF5_NOT_FOUND", `rawhdf5: ${path}: no such file`, { path, cause: error });
    }
    throw new RawHdf5Error("RAWHDF5_UNREADABLE", `rawhdf5: ${path}: ${(error as Error).message}`, { path, cause: error });
  }
  if (!isFile) throw new RawHdf5Error("RAWHDF5_UNREADABLE", `rawhdf5: ${path}: not a regular file`, { path });
  try {
    accessSync(path, constants.R_OK);
  } catch (error) {
    // Permission problems are permanent: no retries (spec §4.4).
    throw new RawHdf5Error("RAWHDF5_UNREADABLE", `rawhdf5: ${path}: ${(error as Error).message}`, { path, cause: error });
  }
}

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
function maskRuns(mask: ArrayLike<boolean | number>, n: number, path: string): Array<[number, number]> {
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

type AttemptResult<T> =
  | { kind: "ok"; value: T }
  | { kind: "transient"; diagnostic: string }
  | { kind: "unsynced"; lengths: [number, number] }
  | { kind: "corrupt"; error: RawHdf5Error };

interface OpenedLayout {
  created: number;
  modified: number;
  version: string;
  ioVersion: string | null;
  msgsLength: number;
  headersLength: number;
}

/** The superblock and file times at one instant: a file is quiescent while this does not change and no writer flag is set. */
interface FileState {
  superblock: SuperblockInfo | null;
  size: number;
  mtimeNs: bigint;
}

function fileState(path: string): FileState {
  const superblock = readSuperblock(path);
  const st = statSync(path, { bigint: true });
  return { superblock, size: Number(st.size), mtimeNs: st.mtimeNs };
}

function unchanged(a: FileState, b: FileState): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && sameSuperblock(a.superblock, b.superblock);
}

/** A writer has the file open (or crashed with it open): superblock status flags set. */
function writerFlags(state: FileState): number {
  return state.superblock?.flags ?? 0;
}

/**
 * What the superblock alone says about a file: a coded error for a checksum mismatch or a file
 * shorter than its stored end of file (with no writer attached), "transient" while a writer may be
 * extending it, else null (go on with HDF5).
 */
function superblockVerdict(path: string, state: FileState): RawHdf5Error | "transient" | null {
  const sb = state.superblock;
  if (!sb) return null;
  if (!sb.checksumOk) {
    return new RawHdf5Error(
      "RAWHDF5_UNREADABLE",
      `rawhdf5: ${path}: superblock checksum mismatch at byte 44: stored 0x${sb.storedChecksum.toString(16)}, computed 0x${sb.computedChecksum.toString(16)} (the first 48 bytes are damaged)`,
      { path, byteOffset: 44, fileSize: state.size },
    );
  }
  const eof = sb.baseAddress + sb.eofAddress;
  if (eof > state.size) {
    if (sb.flags !== 0) return "transient";
    return new RawHdf5Error(
      "RAWHDF5_TRUNCATED",
      `rawhdf5: ${path}: the file is truncated: its superblock stores an end-of-file address of ${eof} bytes but the file has ${state.size} bytes (${eof - state.size} missing)`,
      { path, eofAddress: eof, fileSize: state.size, byteOffset: state.size },
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

/** Repair advice for datasets of different lengths. */
function unsynchronizedAdvice(path: string): string {
  return `a writer is appending (retry, or allow more synchronisation attempts), or a writer crashed mid-append: then \`daqkit rawhdf5 repair ${path}\` (repairRawfile) keeps the common prefix; \`attempts: 0\` reads the common prefix without repairing`;
}

/** Quiescent failures (same superblock, size and mtime before and after, no writer flag) before giving up. */
const QUIESCENT_FAILURE_LIMIT = 2;
/** Looks at a damaged superblock before giving up (a torn superblock write lasts far less). */
const CORRUPT_LIMIT = 3;

/**
 * The retry loop of spec §4.3–§4.4 around one open per attempt. `body` runs with the open file
 * and the validated layout; it returns null for a transient failure.
 *
 * Each attempt first reads the superblock itself: a checksum mismatch or a file shorter than the
 * stored end of file is refused with a coded error; a file no writer has open is opened read-only
 * (`'r'`), one a SWMR writer has open with `'Sr'`. (HDF5 retries a metadata checksum failure in
 * SWMR-read mode up to 100 times with growing sleeps, minutes per open: quiescent files must not
 * take that path.) A failure on a file that did not change during the attempt and has no writer is
 * permanent: it is confirmed once, then reported, instead of being retried `reattempts` times.
 */
async function withRetries<T>(
  path: string,
  options: RawfileRetryOptions & { version?: string | null; ioVersion?: string | null },
  body: (rt: H5Runtime, fileId: bigint, layout: OpenedLayout, synchronised: boolean) => T | null,
): Promise<T> {
  const attempts = options.attempts ?? 1;
  const reattempts = Math.max(1, options.reattempts ?? 100);
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const began = Date.now();
  const rt = await loadH5();
  let transientFailures = 0;
  let quiescentFailures = 0;
  let corruptLooks = 0;
  let missingLayout = 0;
  let syncTries = 0;
  let lastDiagnostic = "";
  let lastFlags = 0;
  let absentLayout = "";
  for (;;) {
    absentLayout = "";
    ensureReadable(path);
    if (!hasHdf5Signature(path)) {
      // A writer that is creating the file (h5py) may not have written the superblock yet.
      if (statSync(path).size < 8 && transientFailures + 1 < reattempts) {
        transientFailures++;
        await sleep(backoffMs(transientFailures));
        continue;
      }
      throw new RawHdf5Error("RAWHDF5_NOT_RAWFILE", `rawhdf5: ${path} is not an HDF5 file (no HDF5 signature)`, { path });
    }
    const before = fileState(path);
    lastFlags = writerFlags(before);
    const verdict = superblockVerdict(path, before);
    let result: AttemptResult<T>;
    if (verdict instanceof RawHdf5Error) result = { kind: "corrupt", error: verdict };
    else if (verdict === "transient") result = { kind: "transient", diagnostic: "the file is shorter than its stored end of file while a writer has it open" };
    else if (lastFlags !== 0 && !(lastFlags & SUPERBLOCK_SWMR_WRITE_ACCESS)) {
      result = { kind: "transient", diagnostic: "the file is open for writing (not SWMR)" };
    } else {
      const mode = lastFlags & SUPERBLOCK_SWMR_WRITE_ACCESS ? "Sr" : "r";
      result = withQuietHdf5(rt, (scope): AttemptResult<T> => {
        const opened = openH5(rt, scope, path, mode);
        if (!opened.ok) return { kind: "transient", diagnostic: opened.diagnostic };
        try {
          const info = inspectRawLayout(rt, opened.file);
          const structural = info.missing.filter((m) => m === "meta" || m === "msgs" || m === "msg_headers");
          if (structural.length > 0) {
            missingLayout++;
            if (missingLayout >= 3) {
              throw new RawHdf5Error("RAWHDF5_NOT_RAWFILE", `rawhdf5: ${path} is not a LArPix raw file: missing ${structural.join(", ")}`, { path });
            }
            // Absent without any HDF5 error (not damaged): remembered for a quiescent file.
            absentLayout = scope.diagnostic() === "" ? structural.join(", ") : "";
            return { kind: "transient", diagnostic: scope.diagnostic() || `missing ${structural.join(", ")}` };
          }
          if (info.missing.length > 0 || info.version == null || info.created == null || info.modified == null) {
            // meta@modified is deleted and re-created by writers (spec §4.5): transient.
            return { kind: "transient", diagnostic: scope.diagnostic() || `missing ${info.missing.join(", ")}` };
          }
          const version = resolveReadVersion(info.version, options.version, path);
          const ioVersion = resolveReadIoVersion(info.ioVersion, options.ioVersion, path);
          const a = info.msgsLength ?? 0;
          const b = info.headersLength ?? 0;
          if (attempts !== 0 && a !== b) return { kind: "unsynced", lengths: [a, b] };
          const value = body(rt, opened.file.file_id, { created: info.created, modified: info.modified, version, ioVersion, msgsLength: a, headersLength: b }, attempts !== 0);
          if (value === null) return { kind: "transient", diagnostic: scope.diagnostic() || "read failed" };
          return { kind: "ok", value };
        } finally {
          closeQuietly(opened.file);
        }
      });
      // A read-only open does not see a writer that starts meanwhile: accept its result only if
      // the file did not change while it was open.
      if (result.kind === "ok" && mode === "r" && !unchanged(before, fileState(path))) {
        result = { kind: "transient", diagnostic: "the file changed while it was read" };
      }
    }
    if (result.kind === "ok") return result.value;
    if (result.kind === "corrupt") {
      corruptLooks++;
      if (corruptLooks >= CORRUPT_LIMIT) throw result.error;
      await sleep(backoffMs(corruptLooks));
      continue;
    }
    if (result.kind === "unsynced") {
      syncTries++;
      if (attempts > 0 && syncTries >= attempts) {
        throw new RawHdf5Error(
          "RAWHDF5_UNSYNCHRONIZED",
          `rawhdf5: ${path}: could not achieve a stable file state after ${attempts} attempt(s): msgs has ${result.lengths[0]} rows, msg_headers ${result.lengths[1]}: ${unsynchronizedAdvice(path)}`,
          { path, superblockFlags: lastFlags },
        );
      }
      if (attempts < 0 && Date.now() - began > maxWaitMs) {
        throw new RawHdf5Error("RAWHDF5_TIMEOUT", `rawhdf5: ${path}: datasets still unsynchronised after ${maxWaitMs} ms: ${unsynchronizedAdvice(path)}`, { path });
      }
      await sleep(backoffMs(syncTries));
      continue;
    }
    lastDiagnostic = result.diagnostic;
    transientFailures++;
    const after = fileState(path);
    const quiescent = lastFlags === 0 && writerFlags(after) === 0 && unchanged(before, after);
    if (quiescent) quiescentFailures++;
    if (transientFailures >= reattempts || quiescentFailures >= QUIESCENT_FAILURE_LIMIT) {
      const flags = writerFlags(after);
      if (quiescent && absentLayout !== "") {
        throw new RawHdf5Error("RAWHDF5_NOT_RAWFILE", `rawhdf5: ${path} is not a LArPix raw file: missing ${absentLayout}`, { path });
      }
      if (flags !== 0) throw needsRepairError(path, flags, `HDF5 could not read the file after ${transientFailures} attempt(s) (${summarizeDiagnostic(lastDiagnostic)})`, lastDiagnostic);
      throw new RawHdf5Error(
        "RAWHDF5_UNREADABLE",
        `rawhdf5: ${path}: HDF5 could not read the file after ${transientFailures} attempt(s)${quiescent ? " (no writer has it open and it did not change: the file is damaged)" : ""}: ${summarizeDiagnostic(lastDiagnostic)}`,
        { path, hdf5Diagnostic: lastDiagnostic, fileSize: after.size },
      );
    }
    await sleep(backoffMs(transientFailures));
  }
}

function readRuns(
  rt: H5Runtime,
  fileId: bigint,
  runs: Array<[number, number]>,
  withMessages: boolean,
  direct: { path: string; msgsLength: number } | null,
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
      const fast = direct ? readVlenU8Direct(direct.path, RAWFILE_PATHS.msgs, s, e - s, direct.msgsLength) : null;
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

function rowNumbers(runs: Array<[number, number]>): Float64Array {
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

/**
 * Read messages and headers from a LArPix raw HDF5 file (larpix-control `from_rawfile`, spec §4),
 * safely while another process appends: each attempt opens the file in SWMR-read mode, checks the
 * two datasets have equal lengths (bounded by `attempts`), and transient HDF5 failures are retried
 * with backoff (bounded by `reattempts`). The HDF5 error stack never reaches the terminal.
 *
 * Selection: `mask` if given, else the half-open row range `[start, end)` with Python slice rules.
 *
 * @throws RawHdf5Error `RAWHDF5_NOT_FOUND`, `RAWHDF5_UNREADABLE`, `RAWHDF5_NOT_RAWFILE`,
 *   `RAWHDF5_VERSION_MISMATCH`, `RAWHDF5_IO_VERSION_MISMATCH`, `RAWHDF5_BAD_VERSION`,
 *   `RAWHDF5_UNSYNCHRONIZED`, `RAWHDF5_TIMEOUT`, `RAWHDF5_BAD_SELECTION`
 */
export async function fromRawfile(path: string, options: FromRawfileOptions = {}): Promise<RawfileData> {
  const { start = null, end = null, mask = null, msgHeadersOnly = false } = options;
  return withRetries(path, options, (rt, fileId, layout) => {
    const n = Math.min(layout.msgsLength, layout.headersLength);
    const runs = mask != null ? maskRuns(mask, n, path) : [normalizeSlice(start, end, n)];
    const data = readRuns(
      rt,
      fileId,
      runs.filter(([s, e]) => e > s),
      !msgHeadersOnly,
      options.directRead === false || runs.length > 16 ? null : { path, msgsLength: layout.msgsLength },
    );
    if (!data) return null;
    const result = {
      created: layout.created,
      modified: layout.modified,
      version: layout.version,
      ioVersion: layout.ioVersion,
      length: n,
      packed: data.packed,
      msgHeaders: { io_groups: data.ioGroups },
    } as RawfileData;
    // Per-message views and row numbers are built on first access: bulk users skip them.
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
  });
}

/**
 * Number of messages in a raw file (larpix-control `len_rawfile`), with the same synchronisation
 * and retry rules as {@link fromRawfile}.
 * @throws RawHdf5Error `RAWHDF5_NOT_FOUND`, `RAWHDF5_UNREADABLE`, `RAWHDF5_NOT_RAWFILE`, `RAWHDF5_UNSYNCHRONIZED`, `RAWHDF5_TIMEOUT`
 */
export async function lenRawfile(path: string, options: RawfileRetryOptions = {}): Promise<number> {
  return withRetries(path, options, (_rt, _fileId, layout) => Math.min(layout.msgsLength, layout.headersLength));
}

/** Metadata of a raw file without reading message data (used by `daqkit rawhdf5 info`). */
export interface RawfileInfo {
  version: string;
  ioVersion: string | null;
  created: number;
  modified: number;
  length: number;
}

/** Read the metadata and length of a raw file. Same errors as {@link lenRawfile}. */
export async function readRawfileInfo(path: string, options: RawfileRetryOptions = {}): Promise<RawfileInfo> {
  return withRetries(path, options, (rt, fileId, layout) => {
    const length = datasetLength(rt, fileId, RAWFILE_PATHS.msgs);
    if (length == null) return null;
    return {
      version: layout.version,
      ioVersion: layout.ioVersion,
      created: layout.created,
      modified: layout.modified,
      length: Math.min(layout.msgsLength, layout.headersLength),
    };
  });
}
