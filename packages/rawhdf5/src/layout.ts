/**
 * Constants of the LArPix raw HDF5 layout, version 0.0 (spec §2), and the version rules of
 * spec §5 with **integer** comparison of minors (upstream compares them as strings).
 */
import { RawHdf5Error } from "./errors.js";

/** The newest (and only) raw file format version. */
export const RAWFILE_LATEST_VERSION = "0.0";

/** Message-header fields per file-format version (all `uint8`). */
export const RAWFILE_HEADER_FIELDS: Readonly<Record<string, readonly string[]>> = { "0.0": ["io_groups"] };

/** Dataset and group paths of the layout. */
export const RAWFILE_PATHS = { meta: "/meta", msgs: "/msgs", msgHeaders: "/msg_headers" } as const;

/** Rows per chunk of both datasets (what h5py picks for upstream files). */
export const RAWFILE_CHUNK_ROWS = 1024;

/** A parsed `major.minor` version. */
export interface RawfileVersion {
  major: number;
  minor: number;
}

const VERSION_PATTERN = /^(\d+)\.(\d+)$/;

/**
 * Parse a `major.minor` version string (decimal integers).
 * @throws RawHdf5Error `RAWHDF5_BAD_VERSION`
 */
export function parseRawfileVersion(text: string, what = "version", path?: string): RawfileVersion {
  const m = typeof text === "string" ? VERSION_PATTERN.exec(text) : null;
  if (!m) {
    throw new RawHdf5Error(
      "RAWHDF5_BAD_VERSION",
      `rawhdf5: ${path ? `${path}: ` : ""}${what} must be "major.minor" with decimal integers (e.g. "0.0"), got ${JSON.stringify(text)}`,
      { path },
    );
  }
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** True when `file` can serve a request for `requested`: same major, file minor ≥ requested minor. */
export function isVersionCompatible(file: RawfileVersion, requested: RawfileVersion): boolean {
  return file.major === requested.major && file.minor >= requested.minor;
}

/**
 * Write rule for the file-format version of an existing file (spec §5): a requested version must
 * equal the file's (it names the layout the caller intends to write).
 * @throws RawHdf5Error `RAWHDF5_VERSION_MISMATCH`, `RAWHDF5_BAD_VERSION`
 */
export function checkWriteVersion(fileVersion: string, requested: string | null | undefined, path?: string): void {
  if (requested == null) return;
  const f = parseRawfileVersion(fileVersion, "file version", path);
  const r = parseRawfileVersion(requested, "requested version", path);
  if (f.major !== r.major || f.minor !== r.minor) {
    throw new RawHdf5Error(
      "RAWHDF5_VERSION_MISMATCH",
      `rawhdf5: ${path}: file format version mismatch: the file is version ${fileVersion}, the write requested ${requested}`,
      { path },
    );
  }
}

/**
 * Write rule for io_version (spec §5): a request needs a file io_version with the same major and a
 * minor ≥ the requested one. An io_version is never added to an existing file.
 * @throws RawHdf5Error `RAWHDF5_IO_VERSION_MISMATCH`, `RAWHDF5_BAD_VERSION`
 */
export function checkWriteIoVersion(fileIoVersion: string | null, requested: string | null | undefined, path?: string): void {
  if (requested == null) return;
  const r = parseRawfileVersion(requested, "requested io_version", path);
  if (fileIoVersion == null) {
    throw new RawHdf5Error(
      "RAWHDF5_IO_VERSION_MISMATCH",
      `rawhdf5: ${path}: io_version mismatch: the file has no io_version, the write requested ${requested}`,
      { path },
    );
  }
  const f = parseRawfileVersion(fileIoVersion, "file io_version", path);
  if (!isVersionCompatible(f, r)) {
    throw new RawHdf5Error(
      "RAWHDF5_IO_VERSION_MISMATCH",
      `rawhdf5: ${path}: io_version mismatch: the file has ${fileIoVersion}, the write requested ${requested} (needs major ${r.major} and minor >= ${r.minor})`,
      { path },
    );
  }
}

/**
 * Read rule for the file-format version (spec §4.1 step 3, §5). Returns the version the data is
 * interpreted as: the file's when nothing was requested, else `major.min(fileMinor, requestedMinor)`.
 * @throws RawHdf5Error `RAWHDF5_VERSION_MISMATCH`, `RAWHDF5_BAD_VERSION`
 */
export function resolveReadVersion(fileVersion: string, requested: string | null | undefined, path?: string): string {
  const f = parseRawfileVersion(fileVersion, "file version", path);
  if (requested == null) return fileVersion;
  const r = parseRawfileVersion(requested, "requested version", path);
  if (!isVersionCompatible(f, r)) {
    throw new RawHdf5Error(
      "RAWHDF5_VERSION_MISMATCH",
      `rawhdf5: ${path}: incompatible file version: the file is ${fileVersion}, the read requested ${requested} (needs major ${r.major} and minor >= ${r.minor})`,
      { path },
    );
  }
  return `${f.major}.${Math.min(f.minor, r.minor)}`;
}

/**
 * Read rule for io_version (spec §5): a file without io_version passes any request; otherwise
 * same major and file minor ≥ requested minor. Returns the file's io_version (or null).
 * @throws RawHdf5Error `RAWHDF5_IO_VERSION_MISMATCH`, `RAWHDF5_BAD_VERSION`
 */
export function resolveReadIoVersion(fileIoVersion: string | null, requested: string | null | undefined, path?: string): string | null {
  if (requested == null || fileIoVersion == null) {
    if (requested != null) parseRawfileVersion(requested, "requested io_version", path);
    return fileIoVersion;
  }
  const r = parseRawfileVersion(requested, "requested io_version", path);
  const f = parseRawfileVersion(fileIoVersion, "file io_version", path);
  if (!isVersionCompatible(f, r)) {
    throw new RawHdf5Error(
      "RAWHDF5_IO_VERSION_MISMATCH",
      `rawhdf5: ${path}: io_version mismatch: the file has ${fileIoVersion}, the read requested ${requested} (needs major ${r.major} and minor >= ${r.minor})`,
      { path },
    );
  }
  return fileIoVersion;
}
