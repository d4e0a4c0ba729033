import { loadH5Runtime, type OpenH5UrlOptions } from "@daqkit/io";
import {
  type Lh5File,
  type Lh5ObjectInfo,
  type Lh5OpenPlatform,
  type Lh5Source,
  type OpenLh5Options,
  type ReadOptions,
  listLh5On,
  openLh5On,
  openLh5UrlOn,
  readLh5On,
} from "./reader.js";
import type { Lgdo } from "./types.js";

/** The main (platform-neutral) entry: h5wasm's browser build from `@daqkit/io`, no host paths. */
const BROWSER: Lh5OpenPlatform = { loadRuntime: () => loadH5Runtime() };

/**
 * Open an LH5 (HDF5) file for reading, with the h5wasm-plugins filters enabled by default.
 *
 * - bytes (`Uint8Array`/`ArrayBuffer`) and `ByteSource`s are opened from memory (one copy into
 *   the wasm file system);
 * - a `Blob`/`File` inside a Web Worker is read in place (WORKERFS: slices on demand, never copied
 *   whole — the way to read multi-GB files in a browser); in a page's main thread it is read into
 *   memory first;
 * - host paths: `openLh5` of `@daqkit/lh5/node` (no copy).
 *
 * Before HDF5 sees the file, its signature and (bounded) metadata structure are checked.
 *
 * @throws Lh5Error `LH5_FILE_NOT_FOUND`, `LH5_NOT_HDF5`, `LH5_TRUNCATED`, `LH5_CORRUPT`, `LH5_UNREADABLE`,
 *   `LH5_UNSUPPORTED` (a path given to this entry).
 */
export function openLh5(source: Lh5Source, options: OpenLh5Options = {}): Promise<Lh5File> {
  return openLh5On(BROWSER, source, options);
}

/**
 * Open an LH5 file served over HTTP with `Range` support, **inside a Web Worker**, reading only what
 * HDF5 asks for (io's `openH5Url`: synchronous range requests of `blockSize`, default 1 MiB, with
 * the last `cacheBlocks` kept): a column's histogram of a 500 MB file transfers the file's metadata
 * and that column's chunks, not the file.
 * @throws Lh5Error `LH5_FILE_NOT_FOUND` (HTTP 404/410), `LH5_UNSUPPORTED` (not in a Web Worker),
 *   `LH5_TRUNCATED`, `LH5_UNREADABLE`… as {@link openLh5}; an io `IoError` `IO_RANGE_UNSUPPORTED` /
 *   `IO_FAILED` for a server without ranges or a failing request
 */
export function openLh5Url(url: string, options: OpenLh5Options & OpenH5UrlOptions = {}): Promise<Lh5File> {
  return openLh5UrlOn(BROWSER, url, options);
}

/**
 * Open, read one object and close: `readLh5(file, "ch1084803/raw", { columns: ["daqenergy"], rows: { start: 0, stop: 5 } })`.
 * @throws Lh5Error as {@link openLh5} and `Lh5File.readObject`.
 */
export function readLh5(source: Lh5Source, objPath: string, options: ReadOptions & OpenLh5Options = {}): Promise<Lgdo> {
  return readLh5On(BROWSER, source, objPath, options);
}

/**
 * Open, list every object (or those below `objPath`) and close.
 * @throws Lh5Error as {@link openLh5}, plus `LH5_OBJECT_NOT_FOUND`.
 */
export function listLh5(source: Lh5Source, objPath = "", options: OpenLh5Options = {}): Promise<Lh5ObjectInfo[]> {
  return listLh5On(BROWSER, source, objPath, options);
}
