/**
 * Opening an HDF5 file served over HTTP (with `Range` support) in a Web Worker without downloading
 * it: HDF5 reads through a WORKERFS node whose `read` fetches the blocks it needs with synchronous
 * range requests (`XMLHttpRequest`, allowed in workers) and keeps the most recent ones. Reading one
 * column of a large LH5 file then transfers only the file's metadata and that column's chunks.
 */
import { IoError } from "./errors.js";
import { type H5OpenFile, type H5Runtime, openReadOnly, uniqueName } from "./h5-runtime.js";

/** Options of {@link openH5Url}. */
export interface OpenH5UrlOptions {
  /** Name for messages (default: the URL). */
  readonly name?: string;
  /** Bytes per range request (default 1 MiB); consecutive missing blocks are fetched in one request. */
  readonly blockSize?: number;
  /** Blocks kept (least recently used dropped; default 64, i.e. 64 MiB with the default block). */
  readonly cacheBlocks?: number;
  /** Extra request headers. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What {@link openH5Url} returns: the open file plus the transfer counters. */
export interface H5UrlFile extends H5OpenFile {
  /** File size from the server's `Content-Range`. */
  readonly size: number;
  /** Range requests made and bytes received so far. */
  stats(): { requests: number; bytes: number };
}

interface XhrLike {
  open(method: string, url: string, async: boolean): void;
  setRequestHeader(name: string, value: string): void;
  send(): void;
  responseType: string;
  response: unknown;
  status: number;
  getResponseHeader(name: string): string | null;
}

interface EmscriptenFs {
  mkdirTree(p: string): void;
  mount(type: unknown, opts: unknown, p: string): void;
  unmount(p: string): void;
  rmdir(p: string): void;
  lookupPath(p: string): { node: { stream_ops: Record<string, unknown>; size: number; contents?: unknown } };
  filesystems: Record<string, unknown>;
  ErrnoError: new (errno: number) => Error;
}

/** EIO in Emscripten's errno numbering. */
const EIO = 29;

/**
 * Open `url` read-only through HDF5 inside a Web Worker, reading lazily by HTTP range requests.
 * @throws IoError `IO_UNSUPPORTED` outside a Web Worker or with the Node runtime;
 *   `IO_NOT_FOUND` (404/410), `IO_FAILED` (network error, other status),
 *   `IO_RANGE_UNSUPPORTED` (the server ignores `Range` or sends no usable `Content-Range`) for the
 *   first request; `IO_HDF5_FAILED` when HDF5 cannot open the file. A later read that fails makes
 *   HDF5's read fail with EIO, which readers report as their coded read error.
 */
export function openH5Url(runtime: H5Runtime, url: string, options: OpenH5UrlOptions = {}): H5UrlFile {
  const name = options.name ?? url;
  const Xhr = (globalThis as unknown as { XMLHttpRequest?: new () => XhrLike }).XMLHttpRequest;
  const inWorker = typeof (globalThis as { FileReaderSync?: unknown }).FileReaderSync === "function";
  if (runtime.kind !== "browser" || !inWorker || typeof Xhr !== "function") {
    throw new IoError("IO_UNSUPPORTED", `io: ${name}: reading HDF5 lazily over HTTP needs the browser runtime inside a Web Worker`, {
      path: name,
    });
  }
  const blockSize = Math.max(4096, Math.floor(options.blockSize ?? 1 << 20));
  const cacheBlocks = Math.max(2, Math.floor(options.cacheBlocks ?? 64));
  let requests = 0;
  let received = 0;

  /** Bytes [start, end] (inclusive) and the total size; throws IoError. */
  const fetchRange = (start: number, end: number): { bytes: Uint8Array; total: number } => {
    const xhr = new Xhr();
    try {
      xhr.open("GET", url, false);
      xhr.responseType = "arraybuffer";
      for (const [k, v] of Object.entries(options.headers ?? {})) xhr.setRequestHeader(k, v);
      xhr.setRequestHeader("Range", `bytes=${start}-${end}`);
      xhr.send();
    } catch (cause) {
      throw new IoError("IO_FAILED", `io: ${name}: range request ${start}-${end} failed: ${String(cause)}`, {
        path: name,
        offset: start,
        cause,
      });
    }
    requests++;
    if (xhr.status === 404 || xhr.status === 410) throw new IoError("IO_NOT_FOUND", `io: ${name}: HTTP ${xhr.status}`, { path: name });
    if (xhr.status === 200) {
      throw new IoError("IO_RANGE_UNSUPPORTED", `io: ${name}: the server ignored the Range request (HTTP 200)`, {
        path: name,
        offset: start,
      });
    }
    if (xhr.status !== 206) {
      throw new IoError("IO_FAILED", `io: ${name}: HTTP ${xhr.status} for bytes ${start}-${end}`, { path: name, offset: start });
    }
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(xhr.getResponseHeader("content-range") ?? "");
    const bytes = new Uint8Array(xhr.response as ArrayBuffer);
    if (!m || Number(m[1]) !== start || bytes.length !== Number(m[2]) - start + 1) {
      throw new IoError("IO_RANGE_UNSUPPORTED", `io: ${name}: no usable Content-Range for bytes ${start}-${end}`, {
        path: name,
        offset: start,
      });
    }
    received += bytes.length;
    return { bytes, total: Number(m[3]) };
  };

  const first = fetchRange(0, blockSize - 1);
  const size = first.total;
  const cache = new Map<number, Uint8Array>(); // block index → bytes, in recency order
  cache.set(0, first.bytes);
  const touch = (i: number, bytes: Uint8Array) => {
    cache.delete(i);
    cache.set(i, bytes);
    while (cache.size > cacheBlocks) cache.delete(cache.keys().next().value!);
  };

  const module = runtime.h5.Module as unknown as { FS: EmscriptenFs };
  const fs = module.FS;
  const mount = `/daqkit-http/${uniqueName("u").slice(0, -3)}`;
  fs.mkdirTree(mount);
  fs.mount(fs.filesystems.WORKERFS, { blobs: [{ name: "file.h5", data: new Blob([]) }] }, mount);
  const node = fs.lookupPath(`${mount}/file.h5`).node;
  node.size = size;
  node.stream_ops = {
    ...node.stream_ops,
    read(_stream: unknown, buffer: Uint8Array | Int8Array, offset: number, length: number, pos: number): number {
      if (pos >= size) return 0;
      const total = Math.min(length, size - pos);
      const firstBlock = Math.floor(pos / blockSize);
      const lastBlock = Math.floor((pos + total - 1) / blockSize);
      const out = new Uint8Array(buffer.buffer, buffer.byteOffset + offset, total);
      // copy the part of block b (its bytes given) that lies inside [pos, pos + total)
      const copy = (b: number, block: Uint8Array) => {
        const blockStart = b * blockSize;
        const from = Math.max(pos, blockStart);
        const to = Math.min(pos + total, blockStart + block.length);
        out.set(block.subarray(from - blockStart, to - blockStart), from - pos);
      };
      try {
        for (let b = firstBlock; b <= lastBlock; ) {
          const hit = cache.get(b);
          if (hit) {
            touch(b, hit);
            copy(b, hit);
            b++;
            continue;
          }
          // one request for the run of missing blocks (at most cacheBlocks of them)
          let e = b;
          while (e + 1 <= lastBlock && e + 1 - b < cacheBlocks && !cache.has(e + 1)) e++;
          const got = fetchRange(b * blockSize, Math.min(size, (e + 1) * blockSize) - 1).bytes;
          for (let k = b; k <= e; k++) {
            const block = got.subarray((k - b) * blockSize, (k - b + 1) * blockSize);
            copy(k, block);
            touch(k, block.slice());
          }
          b = e + 1;
        }
      } catch {
        throw new fs.ErrnoError(EIO);
      }
      return total;
    },
  };
  const opened = openReadOnly(runtime.h5, `${mount}/file.h5`, name, () => {
    cache.clear();
    fs.unmount(mount);
    fs.rmdir(mount);
  });
  return { ...opened, size, stats: () => ({ requests, bytes: received }) };
}
