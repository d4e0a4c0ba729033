/**
 * The one place `@daqkit/filedb` opens LH5 files (saved databases and tier files): every reader goes
 * through {@link openLh5File} and {@link openLh5FileLinks}. A file is a host path (Node) or an entry
 * of an `@daqkit/io` directory source. `@daqkit/lh5` opens host paths today; when its
 * `openLh5(source)` takes a byte source, the directory branch below is the one line that changes.
 * `@daqkit/lh5` is imported on first use: a database that never opens an LH5 file (a scan, queries)
 * does not load it (nor h5wasm).
 */
import type { DirectorySource } from "@daqkit/io";
import type { Lh5File, Lh5Links } from "@daqkit/lh5";
import { FileDbError } from "./errors.js";

/** Where an LH5 file is: a host path, or a path relative to a directory source's root. */
export type Lh5Location = string | { readonly directory: DirectorySource; readonly path: string };

/** A location for messages. */
export function describeLocation(location: Lh5Location): string {
  return typeof location === "string" ? location : `${location.directory.name}/${location.path}`;
}

function notYet(location: Exclude<Lh5Location, string>): FileDbError {
  const path = describeLocation(location);
  return new FileDbError(
    "FILEDB_UNREADABLE",
    `filedb: cannot open ${path}: this @daqkit/lh5 opens LH5 files by host path only (reading LH5 from a directory source needs openLh5(source))`,
    { path },
  );
}

/**
 * Open an LH5 file for reading.
 * @throws Lh5Error (`LH5_FILE_NOT_FOUND`, `LH5_NOT_HDF5`, …); FileDbError `FILEDB_UNREADABLE` for a
 *   directory-source entry while `@daqkit/lh5` cannot open byte sources
 */
export async function openLh5File(location: Lh5Location): Promise<Lh5File> {
  if (typeof location === "string") return (await import("@daqkit/lh5")).openLh5(location);
  throw notYet(location);
}

/**
 * The fast link lister over an LH5 file (group names only, no h5wasm).
 * @throws Lh5Error `LH5_UNSUPPORTED` for layouts it does not read (callers fall back to {@link openLh5File})
 */
export async function openLh5FileLinks(location: Lh5Location): Promise<Lh5Links> {
  if (typeof location === "string") return (await import("@daqkit/lh5")).openLh5Links(location);
  throw notYet(location);
}
