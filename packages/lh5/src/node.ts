/**
 * `@daqkit/lh5/node`: everything of the main entry, plus what needs Node: opening host paths
 * (`openLh5`, `readLh5`, `listLh5`, `openLh5Links`, `listGroupMembers` take a path as well as the
 * sources of the main entry; h5wasm's NODERAWFS build reads paths in place) and the writer.
 */
import { inflate as inflateOnPool, inflateSync } from "node:zlib";
import { openFileSourceSync, loadH5RuntimeNode } from "@daqkit/io/node";
import { INFLATE_SLACK } from "./direct-read.js";
import { type Lh5Links, type Lh5LinksSource, type OpenLh5LinksOptions, Lh5Links as Links, linksOpenError } from "./fast-links.js";
import {
  type Lh5File,
  type Lh5ObjectInfo,
  type Lh5OpenPlatform,
  type Lh5Source,
  type OpenLh5Options,
  type ReadOptions,
  listLh5On,
  openLh5On,
  readLh5On,
} from "./reader.js";
import type { Lgdo } from "./types.js";
import { enterRead } from "./in-place.js";
import { statSync } from "node:fs";

export * from "./index.js";
export { Lh5Writer, openLh5Writer, writeLh5 } from "./writer.js";
export type { Lh5WriterOptions, WriteMode, WriteOptions } from "./writer.js";

/**
 * Node's zlib for deflated chunks read directly: one output buffer of the chunk's size plus one byte,
 * so that zlib sees the stream end without filling it (with exactly the chunk's size zlib allocates a
 * second buffer of that size only to find that nothing follows) and a whole-chunk read can keep it as
 * its result without a copy (see direct-read.ts); a longer stream fails on `maxOutputLength`.
 */
const inflate = (input: Uint8Array, expectedSize: number): Uint8Array =>
  inflateSync(input, { chunkSize: Math.max(64, expectedSize + INFLATE_SLACK), maxOutputLength: Math.max(1, expectedSize) });

/** The same on libuv's thread pool (`readObjectAsync` of a host path inflates several chunks at once). */
const inflateAsync = (input: Uint8Array, expectedSize: number): Promise<Uint8Array> =>
  new Promise((resolve, reject) =>
    inflateOnPool(input, { chunkSize: Math.max(1024, expectedSize + 64), maxOutputLength: Math.max(1, expectedSize) }, (error, out) =>
      error ? reject(error) : resolve(out),
    ),
  );

/** What names a file's content at a path: a file renamed over it or modified changes it. */
const fileIdentity = (path: string): string => {
  const st = statSync(path, { bigint: true });
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
};

const NODE: Lh5OpenPlatform = {
  loadRuntime: loadH5RuntimeNode,
  openFileSync: openFileSourceSync,
  enterRead,
  inflate,
  inflateAsync,
  fileIdentity,
};

/**
 * Open an LH5 (HDF5) file for reading: a host path (read in place by h5wasm's NODERAWFS build, no
 * copy) or any source of the main entry's `openLh5` (bytes go through a private temp file).
 *
 * A path that an in-place append (`Lh5Writer`) is modifying is opened once the append commits (a
 * killed append is rolled back first); while open, the file is marked as read so that writers
 * append to a copy instead of modifying it under the reader.
 *
 * @throws Lh5Error `LH5_FILE_NOT_FOUND`, `LH5_NOT_HDF5`, `LH5_TRUNCATED`, `LH5_CORRUPT`, `LH5_UNREADABLE`,
 *   `LH5_BUSY` (an in-place append did not commit within `busyTimeoutMs`).
 */
export function openLh5(source: string | Lh5Source, options: OpenLh5Options = {}): Promise<Lh5File> {
  return openLh5On(NODE, source, options);
}

/** Open, read one object and close (see the main entry's `readLh5`); `source` may be a host path. */
export function readLh5(source: string | Lh5Source, objPath: string, options: ReadOptions & OpenLh5Options = {}): Promise<Lgdo> {
  return readLh5On(NODE, source, objPath, options);
}

/** Open, list every object (or those below `objPath`) and close; `source` may be a host path. */
export function listLh5(source: string | Lh5Source, objPath = "", options: OpenLh5Options = {}): Promise<Lh5ObjectInfo[]> {
  return listLh5On(NODE, source, objPath, options);
}

/**
 * The fast link lister (see the main entry's `openLh5Links`) over a host path (synchronous
 * positioned reads; the file is closed by `close()`) or any source of the main entry.
 * @throws Lh5Error `LH5_FILE_NOT_FOUND` (missing path or a directory), `LH5_UNSUPPORTED`, `LH5_UNREADABLE`.
 */
export function openLh5Links(source: string | Lh5LinksSource, options: OpenLh5LinksOptions = {}): Lh5Links {
  if (typeof source !== "string") return Links.open(source, options);
  let file: ReturnType<typeof openFileSourceSync>;
  try {
    file = openFileSourceSync(source);
  } catch (error) {
    throw linksOpenError(error, source);
  }
  return Links.open(file, {
    name: options.name ?? source,
    onClose: () => {
      file.closeSync();
      options.onClose?.();
    },
  });
}

/** Open, list the members of one group and close (see the main entry's `listGroupMembers`); `source` may be a host path. */
export function listGroupMembers(source: string | Lh5LinksSource, groupPath = ""): string[] | undefined {
  const links = openLh5Links(source);
  try {
    return links.list(groupPath);
  } finally {
    links.close();
  }
}
