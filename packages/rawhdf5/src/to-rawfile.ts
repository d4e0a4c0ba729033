import { existsSync, linkSync, statSync, unlinkSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { File as H5File } from "h5wasm/node";
import { RawHdf5Error } from "./errors.js";
import { needsRepairError } from "./from-rawfile.js";
import { readSuperblock } from "./h5/superblock.js";
import { type H5Runtime, loadH5, type QuietScope, summarizeDiagnostic, withQuietHdf5 } from "./h5/h5wasm-module.js";
import {
  appendRawBatch,
  closeQuietly,
  createRawLayout,
  datasetLength,
  hasHdf5Signature,
  inspectRawLayout,
  openH5,
  type RawLayoutInfo,
  WRITE_LIBVER,
} from "./h5/raw-layout.js";
import {
  checkWriteIoVersion,
  checkWriteVersion,
  parseRawfileVersion,
  RAWFILE_HEADER_FIELDS,
  RAWFILE_LATEST_VERSION,
  RAWFILE_PATHS,
} from "./layout.js";

/**
 * Per-message header columns, keyed by field name. Version 0.0 knows one field, `io_groups`
 * (integers 0..255). A missing field is written as zeros.
 */
export type RawfileHeaderInput = Readonly<Record<string, ArrayLike<number> | undefined>>;

/** Options of {@link toRawfile}. */
export interface ToRawfileOptions {
  /** Messages to append (each a `Uint8Array`/`Buffer`; zero-length allowed). Omitted/null: only `modified` is updated. */
  msgs?: readonly Uint8Array[] | null;
  /** Header columns, each with one entry per message. Ignored when `msgs` is null. */
  msgHeaders?: RawfileHeaderInput | null;
  /** File-format version (`"major.minor"`). New file: must be `"0.0"` (default). Existing file: must equal the file's. */
  version?: string | null;
  /** Message-encoding version. New file: stored. Existing file: the file's must have the same major and a minor ≥ this. */
  ioVersion?: string | null;
}

/** Result of {@link toRawfile}. */
export interface ToRawfileResult {
  /** Number of messages in the file after the call. */
  length: number;
  /** True when the call created the file. */
  created: boolean;
}

/** A validated batch, ready to be written. */
export interface PreparedBatch {
  msgs: Uint8Array[];
  ioGroups: Uint8Array;
}

/**
 * Validate and convert one batch (spec §3.3 step 1) without touching any file.
 * @throws RawHdf5Error `RAWHDF5_BAD_MESSAGE_TYPE`, `RAWHDF5_UNKNOWN_HEADER_KEY`, `RAWHDF5_HEADER_LENGTH`, `RAWHDF5_HEADER_VALUE`
 */
export function prepareBatch(
  msgs: readonly Uint8Array[],
  msgHeaders: RawfileHeaderInput | null | undefined,
  version: string,
  path?: string,
): PreparedBatch {
  const where = path ? `${path}: ` : "";
  if (!Array.isArray(msgs) && !(typeof msgs === "object" && msgs !== null && Symbol.iterator in msgs)) {
    throw new RawHdf5Error("RAWHDF5_BAD_MESSAGE_TYPE", `rawhdf5: ${where}msgs must be an array of Uint8Array, got ${typeof msgs}`, { path });
  }
  const list = Array.isArray(msgs) ? (msgs as Uint8Array[]) : Array.from(msgs as Iterable<Uint8Array>);
  for (let i = 0; i < list.length; i++) {
    if (!(list[i] instanceof Uint8Array)) {
      const got = list[i] === null ? "null" : typeof list[i] === "object" ? (list[i] as object).constructor?.name : typeof list[i];
      throw new RawHdf5Error("RAWHDF5_BAD_MESSAGE_TYPE", `rawhdf5: ${where}message ${i} must be a Uint8Array (bytes), got ${got}`, {
        path,
        messageIndex: i,
      });
    }
  }
  const fields = RAWFILE_HEADER_FIELDS[version] ?? [];
  const ioGroups = new Uint8Array(list.length);
  if (msgHeaders != null) {
    for (const key of Object.keys(msgHeaders)) {
      if (!fields.includes(key)) {
        throw new RawHdf5Error(
          "RAWHDF5_UNKNOWN_HEADER_KEY",
          `rawhdf5: ${where}unknown message header key ${JSON.stringify(key)}: version ${version} headers have ${fields.map((f) => JSON.stringify(f)).join(", ")} (e.g. { io_groups: [1, 2] })`,
          { path },
        );
      }
    }
    const column = msgHeaders["io_groups"];
    if (column != null) {
      if (typeof column.length !== "number" || column.length !== list.length) {
        throw new RawHdf5Error(
          "RAWHDF5_HEADER_LENGTH",
          `rawhdf5: ${where}msg_headers field io_groups has ${column.length} entries, expected one per message (${list.length})`,
          { path },
        );
      }
      for (let i = 0; i < list.length; i++) {
        const v = Number(column[i]);
        if (!Number.isInteger(v) || v < 0 || v > 255) {
          throw new RawHdf5Error(
            "RAWHDF5_HEADER_VALUE",
            `rawhdf5: ${where}io_groups[${i}] must be an integer in 0..255, got ${String(column[i])}`,
            { path, messageIndex: i },
          );
        }
        ioGroups[i] = v;
      }
    }
  }
  return { msgs: list, ioGroups };
}

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
    throw new RawHdf5Error("RAWHDF5_NOT_RAWFILE", `rawhdf5: ${path} is not an HDF5 file (no HDF5 signature); refusing to write to it`, { path });
  }
  const sb = readSuperblock(path);
  if (sb) {
    const size = statSync(path).size;
    if (!sb.checksumOk) {
      throw new RawHdf5Error("RAWHDF5_UNREADABLE", `rawhdf5: ${path}: superblock checksum mismatch at byte 44 (stored 0x${sb.storedChecksum.toString(16)}, computed 0x${sb.computedChecksum.toString(16)}); refusing to write to it`, { path, byteOffset: 44 });
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

/** Validate the version request for a new file. */
export function checkNewFileVersions(version: string | null | undefined, ioVersion: string | null | undefined, path: string): string {
  const v = version ?? RAWFILE_LATEST_VERSION;
  parseRawfileVersion(v, "requested version", path);
  if (ioVersion != null) parseRawfileVersion(ioVersion, "requested io_version", path);
  if (!(v in RAWFILE_HEADER_FIELDS)) {
    throw new RawHdf5Error(
      "RAWHDF5_UNSUPPORTED_VERSION",
      `rawhdf5: ${path}: cannot create a version ${v} file: known versions are ${Object.keys(RAWFILE_HEADER_FIELDS).join(", ")}`,
      { path },
    );
  }
  return v;
}

function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
}

/**
 * Create a new raw file at `path` atomically: the layout (and an optional first batch) is written
 * under a temporary name in the same directory, then hard-linked to `path` (which fails if
 * `path` appeared meanwhile). Returns false if `path` already existed.
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
  const tmp = temporaryName(path);
  try {
    createRawLayout(rt, scope, tmp, { version, ioVersion, nowSeconds });
    if (batch && batch.msgs.length > 0) {
      const opened = openH5(rt, scope, tmp, "a", WRITE_LIBVER);
      if (!opened.ok) throw new RawHdf5Error("RAWHDF5_IO", `rawhdf5: ${path}: cannot re-open the new file: ${summarizeDiagnostic(opened.diagnostic)}`, { path });
      try {
        appendRawBatch(rt, scope, opened.file, path, 0, batch.msgs, batch.ioGroups, nowSeconds);
      } finally {
        closeQuietly(opened.file);
      }
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
 * @param path file to create or append to
 * @returns the file length afterwards and whether the file was created
 * @throws RawHdf5Error `RAWHDF5_BAD_VERSION`, `RAWHDF5_UNSUPPORTED_VERSION`, `RAWHDF5_VERSION_MISMATCH`,
 *   `RAWHDF5_IO_VERSION_MISMATCH`, `RAWHDF5_BAD_MESSAGE_TYPE`, `RAWHDF5_UNKNOWN_HEADER_KEY`,
 *   `RAWHDF5_HEADER_LENGTH`, `RAWHDF5_HEADER_VALUE`, `RAWHDF5_NOT_RAWFILE`, `RAWHDF5_UNREADABLE`,
 *   `RAWHDF5_DAMAGED`, `RAWHDF5_IO`, `RAWHDF5_PATCH_FAILED`
 */
export async function toRawfile(path: string, options: ToRawfileOptions = {}): Promise<ToRawfileResult> {
  const { msgs = null, msgHeaders = null, version = null, ioVersion = null } = options;
  if (version != null) parseRawfileVersion(version, "requested version", path);
  if (ioVersion != null) parseRawfileVersion(ioVersion, "requested io_version", path);
  const rt = await loadH5();
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
      const length = appendRawBatch(rt, scope, file, path, state.length, batch?.msgs ?? [], batch?.ioGroups ?? new Uint8Array(0), nowSeconds);
      return { length, created: false };
    } finally {
      closeQuietly(file);
    }
  });
}
