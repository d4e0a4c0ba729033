import { closeSync, existsSync, fsyncSync, linkSync, openSync, statSync, unlinkSync } from "node:fs";
import { removeStaleTemporaries, temporaryPathFor } from "@daqkit/io/node";
import type { File as H5File } from "h5wasm";
import { RawHdf5Error } from "./errors.js";
import { hasHdf5Signature } from "./h5/file-node.js";
import { loadH5, withQuietHdf5 } from "./h5/node-runtime.js";
import {
  appendRawBatch,
  closeQuietly,
  createRawLayout,
  datasetLength,
  inspectRawLayout,
  openH5,
  type RawLayoutInfo,
  WRITE_LIBVER,
} from "./h5/raw-layout.js";
import { type H5Runtime, type QuietScope, summarizeDiagnostic } from "./h5/runtime.js";
import { readSuperblock } from "./h5/superblock-node.js";
import { checkWriteIoVersion, checkWriteVersion, parseRawfileVersion, RAWFILE_HEADER_FIELDS, RAWFILE_PATHS } from "./layout.js";
import { LEGACY_TEMPORARY } from "./packet-file.js";
import { needsRepairError } from "./read-core.js";
import { recoverCrashedWriter } from "./repair.js";
import { acquireRawfileLock } from "./write-lock.js";
import { checkNewFileVersions, type PreparedBatch, prepareBatch, type ToRawfileOptions, type ToRawfileResult } from "./write-core.js";

export { checkNewFileVersions, prepareBatch } from "./write-core.js";
export type { PreparedBatch, RawfileHeaderInput, ToRawfileOptions, ToRawfileResult } from "./write-core.js";

/** State of an existing raw file, validated for appending. */
export interface WritableFileState {
  version: string;
  ioVersion: string | null;
  length: number;
}

/**
 * Validate an existing file for writing (read-only open; nothing is written).
 * @throws RawHdf5Error `RAWHDF5_NOT_RAWFILE`, `RAWHDF5_UNREADABLE`, `RAWHDF5_DAMAGED`, version errors
 */
export function checkExistingForWrite(
  rt: H5Runtime,
  scope: QuietScope,
  path: string,
  version: string | null | undefined,
  ioVersion: string | null | undefined,
): WritableFileState {
  if (!statSync(path).isFile() || !hasHdf5Signature(path)) {
    throw new RawHdf5Error("RAWHDF5_NOT_RAWFILE", `rawhdf5: ${path} is not an HDF5 file (no HDF5 signature); refusing to write to it`, {
      path,
    });
  }
  const sb = readSuperblock(path);
  if (sb) {
    const size = statSync(path).size;
    if (!sb.checksumOk) {
      throw new RawHdf5Error(
        "RAWHDF5_UNREADABLE",
        `rawhdf5: ${path}: superblock checksum mismatch at byte 44 (stored 0x${sb.storedChecksum.toString(16)}, computed 0x${sb.computedChecksum.toString(16)}); refusing to write to it`,
        { path, byteOffset: 44 },
      );
    }
    if (sb.flags !== 0) throw needsRepairError(path, sb.flags, "cannot append");
    const eof = sb.baseAddress + sb.eofAddress;
    if (eof > size) {
      throw new RawHdf5Error(
        "RAWHDF5_TRUNCATED",
        `rawhdf5: ${path}: the file is truncated: its superblock stores an end-of-file address of ${eof} bytes but the file has ${size} bytes; refusing to write to it`,
        { path, eofAddress: eof, fileSize: size, byteOffset: size },
      );
    }
  }
  const opened = openH5(rt, scope, path, "r");
  if (!opened.ok) {
    throw new RawHdf5Error(
      "RAWHDF5_UNREADABLE",
      `rawhdf5: ${path}: HDF5 cannot open the file for checking: ${summarizeDiagnostic(opened.diagnostic)}`,
      { path, hdf5Diagnostic: opened.diagnostic },
    );
  }
  let info: RawLayoutInfo;
  try {
    info = inspectRawLayout(rt, opened.file);
  } finally {
    closeQuietly(opened.file);
  }
  if (info.missing.length > 0 || info.version == null) {
    throw new RawHdf5Error(
      "RAWHDF5_NOT_RAWFILE",
      `rawhdf5: ${path} is not a LArPix raw file: missing ${info.missing.join(", ") || "meta@version"}`,
      { path },
    );
  }
  parseRawfileVersion(info.version, "file version", path);
  checkWriteVersion(info.version, version, path);
  checkWriteIoVersion(info.ioVersion, ioVersion, path);
  if (!(info.version in RAWFILE_HEADER_FIELDS)) {
    throw new RawHdf5Error(
      "RAWHDF5_UNSUPPORTED_VERSION",
      `rawhdf5: ${path}: file format version ${info.version} is not one this package can write (known: ${Object.keys(RAWFILE_HEADER_FIELDS).join(", ")})`,
      { path },
    );
  }
  if (info.msgsLength !== info.headersLength) {
    throw new RawHdf5Error(
      "RAWHDF5_DAMAGED",
      `rawhdf5: ${path}: msgs has ${info.msgsLength} rows but msg_headers has ${info.headersLength}; a writer crashed mid-append: \`daqkit rawhdf5 repair ${path}\` (repairRawfile) keeps the common prefix`,
      { path },
    );
  }
  const fields = RAWFILE_HEADER_FIELDS[info.version] ?? [];
  if (fields.some((f) => !info.headerFields.includes(f))) {
    throw new RawHdf5Error("RAWHDF5_NOT_RAWFILE", `rawhdf5: ${path}: msg_headers lacks the fields ${fields.join(", ")}`, { path });
  }
  return { version: info.version, ioVersion: info.ioVersion, length: info.msgsLength ?? 0 };
}

/**
 * Create a new raw file at `path` atomically: the layout (and an optional first batch) is written
 * under io's temporary name in the same directory (`temporaryPathFor`), fsynced, then hard-linked
 * to `path`, which fails if `path` appeared meanwhile: unlike io's rename (`withAtomicPath`), a
 * link never replaces a file another writer created, so the loser appends instead. Returns false
 * if `path` already existed. Callers remove stale temporaries first ({@link removeStaleRawTemporaries}).
 */
export function createRawfileAtomically(
  rt: H5Runtime,
  scope: QuietScope,
  path: string,
  version: string,
  ioVersion: string | null,
  batch: PreparedBatch | null,
  nowSeconds: number,
): boolean {
  const tmp = temporaryPathFor(path);
  try {
    createRawLayout(rt, scope, tmp, { version, ioVersion, nowSeconds });
    if (batch && batch.msgs.length > 0) {
      const opened = openH5(rt, scope, tmp, "a", WRITE_LIBVER);
      if (!opened.ok)
        throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${path}: cannot re-open the new file: ${summarizeDiagnostic(opened.diagnostic)}`, {
          path,
        });
      try {
        appendRawBatch(rt, scope, opened.file, path, 0, batch.msgs, batch.ioGroups, nowSeconds);
      } finally {
        closeQuietly(opened.file);
      }
    }
    const fd = openSync(tmp, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${path}: cannot create the file: ${(error as Error).message}`, { path, cause: error });
    }
    return true;
  } finally {
    if (existsSync(tmp)) unlinkSync(tmp);
  }
}

/**
 * Open an existing raw file for appending (`'a'`, libver v110..latest) and switch it to SWMR-write
 * mode when the superblock allows it. Checks that both datasets have `expectedLength` rows.
 */
export function openForAppend(rt: H5Runtime, scope: QuietScope, path: string, expectedLength: number): H5File {
  const opened = openH5(rt, scope, path, "a", WRITE_LIBVER);
  if (!opened.ok) {
    throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${path}: cannot open the file for writing: ${summarizeDiagnostic(opened.diagnostic)}`, {
      path,
      hdf5Diagnostic: opened.diagnostic,
    });
  }
  const file = opened.file;
  try {
    // Spec §3.3 step 4: SWMR-write so that SWMR readers may open the file while we hold it.
    // Files with an old superblock cannot switch; they are still appended to.
    file.start_swmr_write();
    scope.clear();
    const a = datasetLength(rt, file.file_id, RAWFILE_PATHS.msgs);
    const b = datasetLength(rt, file.file_id, RAWFILE_PATHS.msgHeaders);
    if (a !== expectedLength || b !== expectedLength) {
      throw new RawHdf5Error(
        "RAWHDF5_DAMAGED",
        `rawhdf5: ${path}: expected ${expectedLength} rows in msgs and msg_headers, found ${a} and ${b} (another writer?)`,
        { path },
      );
    }
    return file;
  } catch (error) {
    closeQuietly(file);
    throw error;
  }
}

/**
 * Append messages to a LArPix raw HDF5 file, creating it when missing (larpix-control
 * `to_rawfile`, spec §3). Every argument and the file's versions are validated **before** any
 * byte is written, so a rejected call leaves the file unchanged. A new file is created under a
 * temporary name and linked into place; an existing file is appended to in SWMR-write mode and
 * flushed as a whole before it is closed, so SWMR readers only ever see complete messages.
 *
 * The call holds the file's daqkit write lock (io's `.NAME.lock`) throughout: a live daqkit writer
 * makes it fail with `RAWHDF5_BUSY`. When the superblock says "open for writing" and the lock was
 * left by a daqkit writer that died (kill -9, crash), the file is first repaired as
 * `repairRawfile` does (every complete message kept) and the append goes on. Flags set without
 * such a lock (another program's writer, running or crashed) still fail with `RAWHDF5_NEEDS_REPAIR`.
 *
 * @param path file to create or append to
 * @returns the file length afterwards and whether the file was created
 * @throws RawHdf5Error `RAWHDF5_BAD_VERSION`, `RAWHDF5_UNSUPPORTED_VERSION`, `RAWHDF5_VERSION_MISMATCH`,
 *   `RAWHDF5_IO_VERSION_MISMATCH`, `RAWHDF5_BAD_MESSAGE_TYPE`, `RAWHDF5_UNKNOWN_HEADER_KEY`,
 *   `RAWHDF5_HEADER_LENGTH`, `RAWHDF5_HEADER_VALUE`, `RAWHDF5_NOT_RAWFILE`, `RAWHDF5_UNREADABLE`,
 *   `RAWHDF5_DAMAGED`, `RAWHDF5_IO`, `RAWHDF5_PATCH_FAILED`, `RAWHDF5_NEEDS_REPAIR`, `RAWHDF5_BUSY`
 */
export async function toRawfile(path: string, options: ToRawfileOptions = {}): Promise<ToRawfileResult> {
  const { msgs = null, msgHeaders = null, version = null, ioVersion = null } = options;
  if (version != null) parseRawfileVersion(version, "requested version", path);
  if (ioVersion != null) parseRawfileVersion(ioVersion, "requested io_version", path);
  const rt = await loadH5();
  // The write lock is held for the whole session (released in `finally`, left behind by kill -9).
  const held = acquireRawfileLock(path);
  try {
    if (!existsSync(path)) await removeStaleRawTemporaries(path);
    // A daqkit writer that crashed mid-append left the superblock flags set: repair and go on.
    await recoverCrashedWriter(path, held);
    return withQuietHdf5(rt, (scope) => {
      const nowSeconds = Date.now() / 1000;
      if (!existsSync(path)) {
        const newVersion = checkNewFileVersions(version, ioVersion, path);
        const batch = msgs == null ? null : prepareBatch(msgs, msgHeaders, newVersion, path);
        if (createRawfileAtomically(rt, scope, path, newVersion, ioVersion, batch, nowSeconds)) {
          return { length: batch?.msgs.length ?? 0, created: true };
        }
      }
      const state = checkExistingForWrite(rt, scope, path, version, ioVersion);
      const batch = msgs == null ? null : prepareBatch(msgs, msgHeaders, state.version, path);
      const file = openForAppend(rt, scope, path, state.length);
      try {
        const length = appendRawBatch(
          rt,
          scope,
          file,
          path,
          state.length,
          batch?.msgs ?? [],
          batch?.ioGroups ?? new Uint8Array(0),
          nowSeconds,
        );
        return { length, created: false };
      } finally {
        closeQuietly(file);
      }
    });
  } finally {
    held.lock.release();
  }
}

/** Remove the temporaries of `path` left by dead writers (io's scheme and this package's earlier one). */
export function removeStaleRawTemporaries(path: string): Promise<string[]> {
  return removeStaleTemporaries(path, { legacy: LEGACY_TEMPORARY });
}
