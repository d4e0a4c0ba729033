import { lazyModule } from "@daqkit/io";
/**
 * The one place `@daqkit/filedb` opens LH5 files (tier files): every reader goes through
 * {@link openLh5File} and {@link openLh5FileLinks}. A file is an entry of an `@daqkit/io` directory
 * source (any platform: `directory.open(path)` → `@daqkit/lh5`'s `openLh5(source)` /
 * `openLh5Links` or `openLh5LinksAsync`) or a host path, opened by the database's {@link FileDbHost}
 * (only `@daqkit/filedb/node`'s local-disk host can: through `@daqkit/lh5/node`, which this entry
 * never imports). `@daqkit/lh5` is imported on first use: a database that never opens an LH5 file
 * (a scan, queries) does not load it (nor h5wasm).
 */
import type { ByteSource, DirectorySource } from "@daqkit/io";
import type { Lh5File } from "@daqkit/lh5";
import { FileDbError } from "./errors.js";
import type { FileDbHost, OpenLh5FileOptions } from "./file-host.js";

/** `@daqkit/lh5`, imported on the first LH5 open (never by scans and queries), then kept. */
const lh5Main = lazyModule(() => import("@daqkit/lh5"));

/** Where an LH5 file is: a host path, or a path relative to a directory source's root. */
export type Lh5Location = string | { readonly directory: DirectorySource; readonly path: string };

/**
 * Group member names of one LH5 file (the fast link lister, sync or over an async source): the
 * answers are values where the source reads synchronously (no promise and no `await` per group in
 * a scan of hundreds of files), promises otherwise.
 */
export interface FileLinks {
  list(groupPath: string): string[] | undefined | Promise<string[] | undefined>;
  glob(pattern: string): string[] | Promise<string[]>;
  close(): void;
}

/** A location for messages. */
export function describeLocation(location: Lh5Location): string {
  return typeof location === "string" ? location : `${location.directory.name}/${location.path}`;
}

function noHostOpener(path: string): FileDbError {
  return new FileDbError(
    "FILEDB_UNREADABLE",
    `filedb: cannot open ${path}: this FileDb opens LH5 files from its directory source only; host paths need @daqkit/filedb/node (FileDb.fromConfig / fromDisk)`,
    { path },
  );
}

async function openEntry(location: Exclude<Lh5Location, string>): Promise<ByteSource> {
  try {
    return await location.directory.open(location.path);
  } catch (cause) {
    const path = describeLocation(location);
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new FileDbError("FILEDB_UNREADABLE", `filedb: cannot open ${path}: ${reason}`, { path, cause });
  }
}

/**
 * Open an LH5 file for reading (a directory-source entry is read into memory and its source closed).
 * @throws Lh5Error (`LH5_FILE_NOT_FOUND`, `LH5_NOT_HDF5`, …); FileDbError `FILEDB_UNREADABLE` for a
 *   directory entry that cannot be opened, or a host path when `host` cannot open paths
 */
export async function openLh5File(location: Lh5Location, host: FileDbHost, options: OpenLh5FileOptions = {}): Promise<Lh5File> {
  if (typeof location === "string") {
    if (!host.openLh5) throw noHostOpener(location);
    return host.openLh5(location, options);
  }
  const source = await openEntry(location);
  try {
    return await (lh5Main.loaded ?? (await lh5Main.load())).openLh5(source, { ...options, name: describeLocation(location) });
  } finally {
    await source.close?.();
  }
}

/**
 * The fast link lister over an LH5 file (group names only, no h5wasm): synchronous reads where the
 * source has them (host paths, Node directories), fetch-on-miss spans otherwise (HTTP, `File`s).
 * @throws Lh5Error `LH5_UNSUPPORTED` for layouts it does not read (callers fall back to {@link openLh5File})
 */
export async function openLh5FileLinks(location: Lh5Location, host: FileDbHost): Promise<FileLinks> {
  if (typeof location === "string") {
    if (!host.openLh5Links) throw noHostOpener(location);
    return await host.openLh5Links(location);
  }
  const source = await openEntry(location);
  const lh5 = lh5Main.loaded ?? (await lh5Main.load());
  const options = { name: describeLocation(location), onClose: () => void source.close?.() };
  if (source.readSync) return lh5.openLh5Links(source, options);
  return await lh5.openLh5LinksAsync(source, options);
}
