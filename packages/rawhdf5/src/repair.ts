/**
 * Repair of a raw file left behind by a writer that crashed mid-append (kill -9, power loss):
 * superblock status flags still set ("file is open for write") and/or `msgs` longer than
 * `msg_headers`. See {@link repairRawfile}.
 */
import { constants, copyFileSync, existsSync, statSync, truncateSync } from "node:fs";
import { withAtomicPath } from "@daqkit/io/node";
import { RawHdf5Error } from "./errors.js";
import { fromRawfile } from "./from-rawfile.js";
import { hasHdf5Signature } from "./h5/file-node.js";
import { loadH5, withQuietHdf5 } from "./h5/node-runtime.js";
import { closeQuietly, datasetLength, inspectRawLayout, openH5, setFloatAttribute, WRITE_LIBVER } from "./h5/raw-layout.js";
import { summarizeDiagnostic } from "./h5/runtime.js";
import { readSuperblock, writeSuperblockFlags } from "./h5/superblock-node.js";
import { LEGACY_TEMPORARY } from "./packet-file.js";
import { readU8Rows, readVlenU8Rows } from "./h5/vlen-u8.js";
import { RAWFILE_PATHS } from "./layout.js";
import { acquireRawfileLock, type RawfileWriteLock } from "./write-lock.js";

/** What {@link repairRawfile} found and did. */
export interface RawfileRepairReport {
  path: string;
  /** True when the file was rewritten (false: it was already consistent and was left untouched). */
  changed: boolean;
  /** Superblock status flags found (bit 0 open for write, bit 2 open for SWMR write); cleared when non-zero. */
  flagsBefore: number;
  /** Bytes appended (zeros) because the file was shorter than its (raised) end-of-file address. */
  extendedBytes: number;
  /**
   * Bytes the stored end-of-file address was raised by: a crashed SWMR writer had allocated past it
   * (raised to the file's size plus a 1 MiB margin, as `h5clear --increment` does); 0 otherwise.
   */
  eofRaisedBy: number;
  /** Rows found in `msgs` and `msg_headers`. */
  msgsRows: number;
  headersRows: number;
  /** Messages kept: every complete message (the readable common prefix). */
  kept: number;
  /** `meta` attributes that were missing and were re-created (`modified`, `created`). */
  recreated: string[];
}

/** Margin added to a crashed writer's end-of-file address beyond the file's size (h5clear's default increment). */
const EOA_MARGIN = 1 << 20;

/** Rows checked per read while looking for the readable prefix. */
const CHECK_BLOCK = 1 << 16;

/**
 * Make a raw file that a crashed writer left behind readable and appendable again, keeping every
 * complete message. Run it only when no writer is using the file: it holds the file's daqkit write
 * lock while it works, so a live daqkit writer makes it fail with `RAWHDF5_BUSY` (a writer of
 * another program, e.g. larpix-control, takes no such lock).
 *
 * It clears the superblock's "open for write" status flags (what HDF5's `h5clear -s` does; the
 * superblock checksum is rewritten), extends a file shorter than its stored end-of-file address
 * with zeros, truncates `msgs` and `msg_headers` to their readable common prefix (the writer grows
 * and flushes `msgs` before `msg_headers`, so that prefix holds every complete message) and
 * re-creates a missing `meta@modified`. The work is done on a copy in the same directory, which
 * is checked by reading it back and then renamed over the file: a killed repair leaves the
 * original untouched. A file that needs nothing is not rewritten.
 *
 * @throws RawHdf5Error `RAWHDF5_NOT_FOUND`, `RAWHDF5_NOT_RAWFILE`, `RAWHDF5_UNREADABLE` (the
 *   superblock or the layout is damaged beyond this repair), `RAWHDF5_IO`, `RAWHDF5_BUSY`
 */
export async function repairRawfile(path: string): Promise<RawfileRepairReport> {
  if (!existsSync(path)) throw new RawHdf5Error("RAWHDF5_NOT_FOUND", `rawhdf5: ${path}: no such file`, { path });
  // A live daqkit writer holds the lock: refuse (RAWHDF5_BUSY) rather than repair under it.
  const { lock } = acquireRawfileLock(path);
  try {
    return await repairLockedRawfile(path);
  } finally {
    lock.release();
  }
}

/**
 * If the superblock says "open for writing" and the write lock this session took over was left by
 * a daqkit writer that died (`crashedHolder`), repair the file as {@link repairRawfile} does
 * (keeping every complete message) so the session can go on. Without such a lock (no daqkit
 * writer, e.g. larpix-control, or a live one elsewhere) nothing is done: the caller then refuses
 * with `RAWHDF5_NEEDS_REPAIR` as before. The caller holds the write lock.
 * @returns the repair report, or undefined when nothing was done
 */
export async function recoverCrashedWriter(path: string, held: RawfileWriteLock): Promise<RawfileRepairReport | undefined> {
  if (!held.crashedHolder || !existsSync(path) || !statSync(path).isFile() || !hasHdf5Signature(path)) return undefined;
  const sb = readSuperblock(path);
  if (!sb?.checksumOk || sb.flags === 0) return undefined;
  return repairLockedRawfile(path);
}

/** {@link repairRawfile} for a caller that holds the file's write lock. */
async function repairLockedRawfile(path: string): Promise<RawfileRepairReport> {
  if (!existsSync(path)) throw new RawHdf5Error("RAWHDF5_NOT_FOUND", `rawhdf5: ${path}: no such file`, { path });
  if (!statSync(path).isFile() || !hasHdf5Signature(path)) {
    throw new RawHdf5Error("RAWHDF5_NOT_RAWFILE", `rawhdf5: ${path} is not an HDF5 file (no HDF5 signature)`, { path });
  }
  const sb = readSuperblock(path);
  if (sb && !sb.checksumOk) {
    throw new RawHdf5Error(
      "RAWHDF5_UNREADABLE",
      `rawhdf5: ${path}: superblock checksum mismatch at byte 44 (stored 0x${sb.storedChecksum.toString(16)}, computed 0x${sb.computedChecksum.toString(16)}): damaged beyond what repair handles`,
      { path, byteOffset: 44 },
    );
  }
  const report: RawfileRepairReport = {
    path,
    changed: false,
    flagsBefore: sb?.flags ?? 0,
    extendedBytes: 0,
    eofRaisedBy: 0,
    msgsRows: 0,
    headersRows: 0,
    kept: 0,
    recreated: [],
  };
  const rt = await loadH5();
  // The copy is io's temporary of `path` (same directory, io's name; stale ones of dead repairs and
  // writers are removed first): renamed over the file when it changed, removed otherwise.
  try {
    return await withAtomicPath(path, (tmp) => repairCopy(path, tmp, sb, report, rt), { legacyTemporary: LEGACY_TEMPORARY });
  } catch (error) {
    if (error instanceof Unchanged) return report;
    throw error;
  }
}

/** Thrown to make io's atomic writer discard an unneeded copy. */
class Unchanged extends Error {}

async function repairCopy(
  path: string,
  tmp: string,
  sb: ReturnType<typeof readSuperblock>,
  report: RawfileRepairReport,
  rt: Awaited<ReturnType<typeof loadH5>>,
): Promise<RawfileRepairReport> {
  {
    copyFileSync(path, tmp, constants.COPYFILE_FICLONE);
    let eof = sb ? sb.baseAddress + sb.eofAddress : 0;
    if (sb && sb.flags !== 0) {
      // A writer in SWMR-write mode allocates past the end-of-file address its superblock last
      // stored (it is not rewritten on every allocation): objects the file references may lie
      // beyond it. Opened as stored, HDF5 would truncate them away on close (every message after
      // them lost) or fail the next write ("len not positive after adjustment for EOA"). As
      // `h5clear -s --increment` does, the address is raised to cover the whole file plus a margin
      // for space allocated but not yet written when the writer died.
      const size = statSync(tmp).size;
      const raised = size > eof ? size + EOA_MARGIN : eof;
      report.eofRaisedBy = raised - eof;
      writeSuperblockFlags(tmp, 0, report.eofRaisedBy > 0 ? raised - sb.baseAddress : undefined);
      eof = raised;
    }
    if (sb) {
      const size = statSync(tmp).size;
      if (eof > size) {
        truncateSync(tmp, eof);
        report.extendedBytes = eof - size;
      }
    }
    withQuietHdf5(rt, (scope) => {
      const opened = openH5(rt, scope, tmp, "a", WRITE_LIBVER);
      if (!opened.ok) {
        throw new RawHdf5Error(
          "RAWHDF5_UNREADABLE",
          `rawhdf5: ${path}: HDF5 cannot open the file even with its status flags cleared: ${summarizeDiagnostic(opened.diagnostic)}`,
          {
            path,
            hdf5Diagnostic: opened.diagnostic,
          },
        );
      }
      const file = opened.file;
      try {
        const info = inspectRawLayout(rt, file);
        const structural = info.missing.filter((m) => m === "meta" || m === "msgs" || m === "msg_headers" || m === "meta@version");
        if (structural.length > 0) {
          throw new RawHdf5Error(
            "RAWHDF5_NOT_RAWFILE",
            `rawhdf5: ${path} is not a LArPix raw file (or lost its layout): missing ${structural.join(", ")}`,
            { path },
          );
        }
        const fileId = file.file_id;
        report.msgsRows = info.msgsLength ?? 0;
        report.headersRows = info.headersLength ?? 0;
        const readable = (s: number, e: number): boolean =>
          readU8Rows(rt, fileId, RAWFILE_PATHS.msgHeaders, s, e - s) !== null &&
          readVlenU8Rows(rt, fileId, RAWFILE_PATHS.msgs, s, e - s) !== null;
        const n = Math.min(report.msgsRows, report.headersRows);
        let kept = 0;
        while (kept < n) {
          const e = Math.min(n, kept + CHECK_BLOCK);
          if (readable(kept, e)) {
            kept = e;
            continue;
          }
          // The first unreadable row lies in this block: bisect for the longest readable prefix.
          let lo = kept;
          let hi = e - 1;
          while (lo < hi) {
            const mid = Math.ceil((lo + hi) / 2);
            if (readable(kept, mid)) lo = mid;
            else hi = mid - 1;
          }
          kept = lo;
          break;
        }
        report.kept = kept;
        for (const [name, length] of [
          [RAWFILE_PATHS.msgs, report.msgsRows],
          [RAWFILE_PATHS.msgHeaders, report.headersRows],
        ] as const) {
          if (length !== kept && rt.module.resize_dataset(fileId, name, [BigInt(kept)]) < 0) {
            throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${path}: cannot truncate ${name} to ${kept} rows`, { path });
          }
        }
        const now = Date.now() / 1000;
        if (info.modified == null) {
          setFloatAttribute(file, "modified", now);
          report.recreated.push("modified");
        }
        if (info.created == null) {
          setFloatAttribute(file, "created", info.modified ?? now);
          report.recreated.push("created");
        }
        if (rt.module.flush(fileId) < 0) throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${path}: flush failed`, { path });
        if (datasetLength(rt, fileId, RAWFILE_PATHS.msgs) !== kept || datasetLength(rt, fileId, RAWFILE_PATHS.msgHeaders) !== kept) {
          throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${path}: the datasets did not take the length ${kept}`, { path });
        }
      } finally {
        closeQuietly(file);
      }
    });
    report.changed =
      report.flagsBefore !== 0 ||
      report.extendedBytes > 0 ||
      report.eofRaisedBy > 0 ||
      report.kept !== report.msgsRows ||
      report.kept !== report.headersRows ||
      report.recreated.length > 0;
    if (!report.changed) throw new Unchanged();
    // Check the repaired copy reads back completely before it replaces the file.
    const check = await fromRawfile(tmp, { directRead: false, msgHeadersOnly: true, reattempts: 2 });
    if (check.length !== report.kept) {
      throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${path}: the repaired file reads ${check.length} messages, expected ${report.kept}`, {
        path,
      });
    }
    return report;
  }
}
