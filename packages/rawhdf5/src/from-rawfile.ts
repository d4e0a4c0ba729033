import { accessSync, constants, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { RawHdf5Error } from "./errors.js";
import { loadH5RuntimeNode } from "@daqkit/io/node";
import { readVlenU8Direct } from "./h5/direct-vlen-node.js";
import { hasHdf5Signature } from "./h5/file-node.js";
import { loadH5, withQuietHdf5 } from "./h5/node-runtime.js";
import { closeQuietly, datasetLength, inspectRawLayout, openH5 } from "./h5/raw-layout.js";
import { type H5Runtime, summarizeDiagnostic } from "./h5/runtime.js";
import { sameSuperblock, SUPERBLOCK_SWMR_WRITE_ACCESS, type SuperblockInfo } from "./h5/superblock.js";
import { readSuperblock } from "./h5/superblock-node.js";
import { RAWFILE_PATHS, resolveReadIoVersion, resolveReadVersion } from "./layout.js";
import {
  buildRawfileData,
  type FromRawfileOptions,
  maskRuns,
  normalizeSlice,
  type OpenedLayout,
  type RawfileData,
  type RawfileInfo,
  type RawfileRetryOptions,
  needsRepairError,
  readRuns,
  superblockProblem,
} from "./read-core.js";
import * as source from "./read-source.js";
import type { RawfileInput, RawfileRuntimeOptions } from "./read-source.js";

export type { FromRawfileOptions, RawfileData, RawfileInfo, RawfileRetryOptions } from "./read-core.js";
export { needsRepairError, normalizeSlice, unpackMessages } from "./read-core.js";

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

type AttemptResult<T> =
  | { kind: "ok"; value: T }
  | { kind: "transient"; diagnostic: string }
  | { kind: "unsynced"; lengths: [number, number] }
  | { kind: "corrupt"; error: RawHdf5Error };

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

function superblockVerdict(path: string, state: FileState): RawHdf5Error | "transient" | null {
  return superblockProblem(path, state.superblock, state.size);
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
    else if (verdict === "transient")
      result = { kind: "transient", diagnostic: "the file is shorter than its stored end of file while a writer has it open" };
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
              throw new RawHdf5Error("RAWHDF5_NOT_RAWFILE", `rawhdf5: ${path} is not a LArPix raw file: missing ${structural.join(", ")}`, {
                path,
              });
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
          const value = body(
            rt,
            opened.file.file_id,
            { created: info.created, modified: info.modified, version, ioVersion, msgsLength: a, headersLength: b },
            attempts !== 0,
          );
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
        throw new RawHdf5Error(
          "RAWHDF5_TIMEOUT",
          `rawhdf5: ${path}: datasets still unsynchronised after ${maxWaitMs} ms: ${unsynchronizedAdvice(path)}`,
          { path },
        );
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
      if (flags !== 0)
        throw needsRepairError(
          path,
          flags,
          `HDF5 could not read the file after ${transientFailures} attempt(s) (${summarizeDiagnostic(lastDiagnostic)})`,
          lastDiagnostic,
        );
      throw new RawHdf5Error(
        "RAWHDF5_UNREADABLE",
        `rawhdf5: ${path}: HDF5 could not read the file after ${transientFailures} attempt(s)${quiescent ? " (no writer has it open and it did not change: the file is damaged)" : ""}: ${summarizeDiagnostic(lastDiagnostic)}`,
        { path, hdf5Diagnostic: lastDiagnostic, fileSize: after.size },
      );
    }
    await sleep(backoffMs(transientFailures));
  }
}

/**
 * Read messages and headers from a LArPix raw HDF5 file (larpix-control `from_rawfile`, spec §4)
 * by path (bytes, a `Blob`/`File` or a byte source are read as a snapshot, as in the main entry),
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
export async function fromRawfile(
  path: string | RawfileInput,
  options: FromRawfileOptions & RawfileRuntimeOptions = {},
): Promise<RawfileData> {
  if (typeof path !== "string") return source.fromRawfile(path, { runtime: await loadH5RuntimeNode(), ...options });
  const { start = null, end = null, mask = null, msgHeadersOnly = false } = options;
  return withRetries(path, options, (rt, fileId, layout) => {
    const n = Math.min(layout.msgsLength, layout.headersLength);
    const runs = mask != null ? maskRuns(mask, n, path) : [normalizeSlice(start, end, n)];
    const data = readRuns(
      rt,
      fileId,
      runs.filter(([s, e]) => e > s),
      !msgHeadersOnly,
      options.directRead === false || runs.length > 16
        ? null
        : (s, count) => readVlenU8Direct(path, RAWFILE_PATHS.msgs, s, count, layout.msgsLength),
    );
    if (!data) return null;
    return buildRawfileData(layout, n, runs, data);
  });
}

/**
 * Number of messages in a raw file (larpix-control `len_rawfile`), with the same synchronisation
 * and retry rules as {@link fromRawfile}.
 * @throws RawHdf5Error `RAWHDF5_NOT_FOUND`, `RAWHDF5_UNREADABLE`, `RAWHDF5_NOT_RAWFILE`, `RAWHDF5_UNSYNCHRONIZED`, `RAWHDF5_TIMEOUT`
 */
export async function lenRawfile(path: string | RawfileInput, options: RawfileRetryOptions & RawfileRuntimeOptions = {}): Promise<number> {
  if (typeof path !== "string") return source.lenRawfile(path, { runtime: await loadH5RuntimeNode(), ...options });
  return withRetries(path, options, (_rt, _fileId, layout) => Math.min(layout.msgsLength, layout.headersLength));
}

/** Read the metadata and length of a raw file. Same errors as {@link lenRawfile}. */
export async function readRawfileInfo(
  path: string | RawfileInput,
  options: RawfileRetryOptions & RawfileRuntimeOptions = {},
): Promise<RawfileInfo> {
  if (typeof path !== "string") return source.readRawfileInfo(path, { runtime: await loadH5RuntimeNode(), ...options });
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
