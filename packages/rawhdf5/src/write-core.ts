/** Validation of what is written to a raw file, shared by the Node writers and the bytes writer. */
import { RawHdf5Error } from "./errors.js";
import { parseRawfileVersion, RAWFILE_HEADER_FIELDS, RAWFILE_LATEST_VERSION } from "./layout.js";

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
    throw new RawHdf5Error("RAWHDF5_BAD_MESSAGE_TYPE", `rawhdf5: ${where}msgs must be an array of Uint8Array, got ${typeof msgs}`, {
      path,
    });
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
