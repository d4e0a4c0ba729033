/**
 * Platform-neutral reading of a raw file held in memory or behind a byte source: bytes,
 * `ArrayBuffer`, `Blob`/`File`, or any `@daqkit/io` `ByteSource` (HTTP range source, Node file
 * source…). The file is read once into a snapshot, opened with io's h5wasm runtime (the browser
 * build by default), and message bytes are read directly from the snapshot through an io byte
 * source when the direct reader applies (h5/direct-vlen.ts). A snapshot does not change, so there
 * are no SWMR retries; io's error-handler policy (throwing handler) applies.
 */
import {
  type BlobLike,
  type ByteSource,
  blobSource,
  bytesSource,
  type H5Runtime as IoH5Runtime,
  type H5OpenFile,
  type H5RuntimeOptions,
  loadH5Runtime,
  openH5Blob,
  readAll,
} from "@daqkit/io";
import { RawHdf5Error } from "./errors.js";
import { readVlenU8DirectSource } from "./h5/direct-vlen.js";
import { inspectRawLayout } from "./h5/raw-layout.js";
import { type H5Runtime, rawRuntime } from "./h5/runtime.js";
import { parseSuperblock, patchSuperblockFlags, type SuperblockInfo } from "./h5/superblock.js";
import { RAWFILE_PATHS, resolveReadIoVersion, resolveReadVersion } from "./layout.js";
import {
  buildRawfileData,
  type FromRawfileOptions,
  maskRuns,
  normalizeSlice,
  type OpenedLayout,
  type RawfileData,
  type RawfileInfo,
  readRuns,
  superblockProblem,
} from "./read-core.js";

/** Where a raw file is read from in the platform-neutral API. */
export type RawfileInput = Uint8Array | ArrayBufferView | ArrayBuffer | BlobLike | ByteSource;

/** How the platform-neutral readers and writers get their h5wasm runtime. */
export interface RawfileRuntimeOptions {
  /** An io h5wasm runtime to use (default: `loadH5Runtime(h5)`, h5wasm's browser build, also in Node). */
  runtime?: IoH5Runtime;
  /** Options of io's `loadH5Runtime` when `runtime` is not given. */
  h5?: H5RuntimeOptions;
  /** Name used in error messages (default: the `File`'s or source's name, else `"bytes"`). */
  name?: string;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

function isByteSource(input: unknown): input is ByteSource {
  const s = input as ByteSource;
  return typeof s === "object" && s !== null && typeof s.read === "function" && typeof s.size === "number";
}

function isBlob(input: unknown): input is BlobLike {
  const b = input as BlobLike;
  return typeof b === "object" && b !== null && typeof b.slice === "function" && typeof b.size === "number";
}

/**
 * The byte source of an input. A string (a path) is refused: paths are for `@daqkit/rawhdf5/node`.
 * @throws RawHdf5Error `RAWHDF5_BAD_INPUT`
 */
export function rawfileSource(input: RawfileInput, name?: string): ByteSource {
  if (typeof input === "string") {
    throw new RawHdf5Error(
      "RAWHDF5_BAD_INPUT",
      `rawhdf5: ${input}: reading a file by path needs Node (the @daqkit/rawhdf5/node entry); pass bytes, a Blob/File or a byte source`,
      { path: input },
    );
  }
  if (input instanceof ArrayBuffer || ArrayBuffer.isView(input)) return bytesSource(input, name ?? "bytes");
  if (isByteSource(input)) return input;
  if (isBlob(input)) return blobSource(input, name ?? input.name ?? "blob");
  throw new RawHdf5Error(
    "RAWHDF5_BAD_INPUT",
    `rawhdf5: expected bytes (Uint8Array/ArrayBuffer), a Blob/File or a byte source, got ${input === null ? "null" : typeof input}`,
  );
}

/** An open, validated snapshot of a raw file. */
export interface RawfileSnapshot {
  readonly name: string;
  readonly layout: OpenedLayout;
  /** Rows both datasets have (the common prefix). */
  readonly length: number;
  /** Read a selection (sync; the snapshot does not change). */
  read(options: FromRawfileOptions): RawfileData;
  close(): void;
}

function unreadable(name: string, what: string, error: unknown): RawHdf5Error {
  if (RawHdf5Error.isInstance(error)) return error as RawHdf5Error;
  const text = error instanceof Error ? error.message : String(error);
  const cause = (error as { cause?: unknown })?.cause;
  const diagnostic = cause instanceof Error ? cause.message : text;
  return new RawHdf5Error("RAWHDF5_UNREADABLE", `rawhdf5: ${name}: ${what}: ${text.split("\n")[0]}`, {
    path: name,
    cause: error,
    hdf5Diagnostic: diagnostic,
  });
}

/**
 * Check `input`'s superblock and layout and open it with io's runtime: read into memory (a private
 * snapshot), or, for a `Blob`/`File` inside a Web Worker, opened with io's `openH5Blob` without a copy
 * (its shared channel on a cross-origin isolated page, WORKERFS otherwise).
 * @throws RawHdf5Error `RAWHDF5_BAD_INPUT`, `RAWHDF5_NOT_RAWFILE`, `RAWHDF5_UNREADABLE`,
 *   `RAWHDF5_TRUNCATED`, `RAWHDF5_UNSYNCHRONIZED`, version errors
 */
export async function openRawfileSnapshot(
  input: RawfileInput,
  options: FromRawfileOptions & RawfileRuntimeOptions = {},
): Promise<RawfileSnapshot> {
  const source = rawfileSource(input, options.name);
  const name = options.name ?? source.name;
  const ioRt = options.runtime ?? (await loadH5Runtime(options.h5));
  const rt = await rawRuntime(ioRt);
  // Inside a Web Worker a Blob/File is opened through io's WORKERFS mount and read by the direct
  // reader through the Blob's synchronous byte source: slices on demand, never a copy of the file.
  const inWorker = typeof (globalThis as { FileReaderSync?: unknown }).FileReaderSync === "function";
  if (ioRt.kind === "browser" && inWorker && isBlob(input) && !isByteSource(input) && source.readSync) {
    let sb: SuperblockInfo | null;
    try {
      sb = await checkHead(name, source.size, (offset, length) => source.read(offset, length));
    } catch (error) {
      throw unreadable(name, "reading the superblock", error);
    }
    if (!sb || sb.flags === 0) {
      let opened: H5OpenFile;
      try {
        opened = await openH5Blob(ioRt, input as Blob, { name });
      } catch (error) {
        throw unreadable(name, "HDF5 cannot open the file", error);
      }
      return openedSnapshot(rt, opened, name, source, options);
    }
    // Status flags set (a copy of a file a writer had open): needs a patched copy, below.
  }
  let bytes: Uint8Array;
  try {
    bytes = await readAll(source);
  } catch (error) {
    throw unreadable(name, "reading the bytes", error);
  }
  const whole = bytes;
  const sb = await checkHead(name, bytes.length, async (offset, length) => whole.subarray(offset, offset + length));
  if (sb && sb.flags !== 0) {
    // A copy of a file a writer had open (or crashed with): HDF5 refuses to open it read-only
    // while the status flags are set. The snapshot is private, so clear them in a copy (what
    // `h5clear -s` does); the length check still refuses a torn append.
    bytes = bytes.slice();
    patchSuperblockFlags(bytes.subarray(0, 48), bytes.length, 0);
  }
  let opened: H5OpenFile;
  try {
    opened = ioRt.openBytes(bytes, name);
  } catch (error) {
    throw unreadable(name, "HDF5 cannot open the file", error);
  }
  return openedSnapshot(rt, opened, name, bytesSource(bytes, name), options);
}

/**
 * The HDF5 signature (at 0, 512, 1024, …) and the superblock checks of the first bytes: a coded
 * error for no signature, a damaged superblock or a truncated copy; the superblock (v2/v3 at 0) or null.
 */
async function checkHead(
  name: string,
  size: number,
  readAt: (offset: number, length: number) => Promise<Uint8Array>,
): Promise<SuperblockInfo | null> {
  let at = -1;
  for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
    const sig = await readAt(offset, 8);
    if (HDF5_SIGNATURE.every((b, i) => sig[i] === b)) {
      at = offset;
      break;
    }
  }
  if (at < 0) throw new RawHdf5Error("RAWHDF5_NOT_RAWFILE", `rawhdf5: ${name} is not an HDF5 file (no HDF5 signature)`, { path: name });
  const sb = at === 0 && size >= 48 ? parseSuperblock(await readAt(0, 48), size) : null;
  const problem = superblockProblem(name, sb, size);
  if (problem instanceof RawHdf5Error) throw problem;
  if (problem === "transient") {
    throw new RawHdf5Error(
      "RAWHDF5_TRUNCATED",
      `rawhdf5: ${name}: the bytes end before the end-of-file address in the superblock, and a writer had the file open: the copy was taken while it was being written`,
      { path: name, fileSize: size },
    );
  }
  return sb;
}

/** Validate the layout of an opened snapshot; closes it on failure. */
function openedSnapshot(rt: H5Runtime, opened: H5OpenFile, name: string, direct: ByteSource, options: FromRawfileOptions): RawfileSnapshot {
  try {
    const info = inspectRawLayout(rt, opened.file);
    if (info.missing.length > 0 || info.version == null || info.created == null || info.modified == null) {
      throw new RawHdf5Error(
        "RAWHDF5_NOT_RAWFILE",
        `rawhdf5: ${name} is not a LArPix raw file: missing ${info.missing.join(", ") || "meta attributes"}`,
        { path: name },
      );
    }
    const version = resolveReadVersion(info.version, options.version, name);
    const ioVersion = resolveReadIoVersion(info.ioVersion, options.ioVersion, name);
    const a = info.msgsLength ?? 0;
    const b = info.headersLength ?? 0;
    if ((options.attempts ?? 1) !== 0 && a !== b) {
      throw new RawHdf5Error(
        "RAWHDF5_UNSYNCHRONIZED",
        `rawhdf5: ${name}: msgs has ${a} rows, msg_headers ${b}: the copy was taken while a writer was appending, or a writer crashed mid-append (repair the file with \`daqkit rawhdf5 repair\`, or read the common prefix with \`attempts: 0\`)`,
        { path: name },
      );
    }
    const layout: OpenedLayout = { created: info.created, modified: info.modified, version, ioVersion, msgsLength: a, headersLength: b };
    const length = Math.min(a, b);
    const fileId = opened.file.file_id;
    return {
      name,
      layout,
      length,
      read: (readOptions) => readSnapshot(rt, fileId, name, layout, length, direct, readOptions),
      close: () => {
        try {
          opened.close();
        } catch {
          // closing a file whose reads failed: nothing more to free
        }
      },
    };
  } catch (error) {
    try {
      opened.close();
    } catch {
      // see close()
    }
    throw unreadable(name, "reading the layout", error);
  }
}

function readSnapshot(
  rt: H5Runtime,
  fileId: bigint,
  name: string,
  layout: OpenedLayout,
  length: number,
  direct: ByteSource,
  options: FromRawfileOptions,
): RawfileData {
  const { start = null, end = null, mask = null, msgHeadersOnly = false } = options;
  const runs = mask != null ? maskRuns(mask, length, name) : [normalizeSlice(start, end, length)];
  let data: ReturnType<typeof readRuns>;
  try {
    data = readRuns(
      rt,
      fileId,
      runs.filter(([s, e]) => e > s),
      !msgHeadersOnly,
      options.directRead === false || runs.length > 16
        ? null
        : (s, count) => readVlenU8DirectSource(direct, RAWFILE_PATHS.msgs, s, count, layout.msgsLength),
    );
  } catch (error) {
    throw unreadable(name, "reading rows", error);
  }
  if (!data)
    throw new RawHdf5Error("RAWHDF5_UNREADABLE", `rawhdf5: ${name}: HDF5 could not read the selected rows (the file is damaged)`, {
      path: name,
    });
  return buildRawfileData(layout, length, runs, data);
}

/**
 * Read messages and headers of a raw file given as bytes, a `Blob`/`File` or an io byte source
 * (larpix-control `from_rawfile`, spec §4). Same options and result as the Node path API
 * (`fromRawfile(path)` in `@daqkit/rawhdf5/node`); `attempts: 0` reads the common prefix of a
 * file whose datasets differ in length, any other value refuses it (`RAWHDF5_UNSYNCHRONIZED`).
 *
 * @throws RawHdf5Error `RAWHDF5_BAD_INPUT`, `RAWHDF5_NOT_RAWFILE`, `RAWHDF5_UNREADABLE`,
 *   `RAWHDF5_TRUNCATED`, `RAWHDF5_UNSYNCHRONIZED`, `RAWHDF5_VERSION_MISMATCH`,
 *   `RAWHDF5_IO_VERSION_MISMATCH`, `RAWHDF5_BAD_VERSION`, `RAWHDF5_BAD_SELECTION`
 */
export async function fromRawfile(input: RawfileInput, options: FromRawfileOptions & RawfileRuntimeOptions = {}): Promise<RawfileData> {
  const snapshot = await openRawfileSnapshot(input, options);
  try {
    return snapshot.read(options);
  } finally {
    snapshot.close();
  }
}

/** Number of messages of a raw file given as bytes, a `Blob`/`File` or a byte source. Errors as {@link fromRawfile}. */
export async function lenRawfile(input: RawfileInput, options: FromRawfileOptions & RawfileRuntimeOptions = {}): Promise<number> {
  const snapshot = await openRawfileSnapshot(input, options);
  snapshot.close();
  return snapshot.length;
}

/** Metadata and length of a raw file given as bytes, a `Blob`/`File` or a byte source. Errors as {@link fromRawfile}. */
export async function readRawfileInfo(input: RawfileInput, options: FromRawfileOptions & RawfileRuntimeOptions = {}): Promise<RawfileInfo> {
  const snapshot = await openRawfileSnapshot(input, options);
  snapshot.close();
  const { version, ioVersion, created, modified } = snapshot.layout;
  return { version, ioVersion, created, modified, length: snapshot.length };
}
