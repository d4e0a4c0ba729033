/**
 * Opening a `Blob`/`File` with the browser h5wasm runtime in a Web Worker at the least memory the page
 * allows (issue 13, LH5 page-memory target).
 *
 * WORKERFS (the plain `openBlob`) reads every slice HDF5 asks for with `FileReaderSync`, which returns a
 * fresh `ArrayBuffer` per call. HDF5 runs synchronously, so V8 gets no chance to free those buffers
 * until the read returns: reading a 125 MiB column left ~125 MiB of dead slice buffers next to the
 * result. The shared channel avoids the allocations: a helper Web Worker (started once per runtime)
 * reads the slices with `blob.slice().stream()` (BYOB reads into one reused buffer, so it allocates
 * nothing per read either) and hands them over through one `SharedArrayBuffer`; the HDF5 worker waits
 * with `Atomics.wait` and copies each slice straight into the wasm heap. Memory beyond the result is
 * then the wasm heap, the shared buffer and the helper's reused buffer — a few MiB, whatever the size
 * of the read.
 *
 * `SharedArrayBuffer` needs a cross-origin isolated page (`Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp`/`credentialless`). Elsewhere — or where the helper cannot
 * start (a CSP without `worker-src blob:`), or `Atomics.waitAsync` is missing — the file is opened
 * through WORKERFS as before: the same results, with the slice buffers' transient memory.
 */
import { type H5OpenFile, type H5Runtime, openReadOnly, uniqueName } from "./h5-runtime.js";

/** How a Blob was opened by {@link openH5Blob}. */
export type H5BlobReadPath = "shared-channel" | "workerfs";

/** An {@link H5OpenFile} opened from a Blob, saying which read path it uses. */
export interface H5BlobFile extends H5OpenFile {
  readonly readPath: H5BlobReadPath;
}

/** Options of {@link openH5Blob}. */
export interface OpenH5BlobOptions {
  /** Name for messages (default: the File's name, else `"blob"`). */
  readonly name?: string;
  /**
   * `"auto"` (default): the shared channel when the worker is cross-origin isolated, else WORKERFS.
   * `"workerfs"`: always WORKERFS (`FileReaderSync`, one fresh buffer per slice).
   */
  readonly readPath?: "auto" | "workerfs";
  /** Give up on one slice read after this many ms (the helper died or the file became unreadable). Default 60 000. */
  readonly timeoutMs?: number;
}

/** Bytes of the shared transfer area (one slice of a larger HDF5 read at a time). */
const DATA_BYTES = 4 << 20;
/** Control words (Int32) at the start of the shared buffer; the data area follows at byte 64. */
const DATA_OFFSET = 64;
const STATE = 0;
const BLOB_ID = 1;
const LENGTH = 2;
const RESULT = 3;
/** Float64 index of the request's byte position (byte 32). */
const POSITION_F64 = 4;
/** States of the `STATE` word (the helper, which cannot import these, uses the numbers; 3 = failed). */
const IDLE = 0;
const REQUEST = 1;
const DONE = 2;

interface Channel {
  readonly worker: Worker;
  readonly ctrl: Int32Array;
  readonly position: Float64Array;
  readonly data: Uint8Array;
  /** Pending acknowledgements of `add` messages by blob id. */
  readonly acks: Map<number, (error?: string) => void>;
  nextId: number;
  broken?: string;
}

/**
 * The helper worker's program (runs as a classic worker from a Blob URL; must not reference anything
 * outside itself). Serves read requests posted in the control words: reads the slice of the
 * registered blob with BYOB stream reads into a reused buffer and copies it into the data area. A
 * long or sequential request starts a read-ahead of the next 4 MiB (one stream, read in place into
 * one reused buffer while the HDF5 worker works), which later requests are answered from.
 */
function helperMain(): void {
  const scope = self as unknown as {
    onmessage: ((e: MessageEvent) => void) | null;
    postMessage(v: unknown): void;
  };
  /** Bytes read ahead of a sequential reader (one stream, read in place into `aheadBuf`). */
  const AHEAD = 4 << 20;
  /** Requests at least this long, or starting where the previous one ended, start a read-ahead. */
  const SEQUENTIAL_MIN = 64 << 10;
  interface Ahead {
    id: number;
    start: number;
    end: number;
    filled: number;
    reader: ReadableStreamBYOBReader;
    done: boolean;
    failed: boolean;
  }
  const blobs = new Map<number, Blob>();
  let ctrl: Int32Array | undefined;
  let pos: Float64Array | undefined;
  let data: Uint8Array | undefined;
  let scratch = new ArrayBuffer(1 << 20);
  let aheadBuf = new ArrayBuffer(AHEAD);
  let ahead: Ahead | null = null;
  let byobWorks = true;
  let lastEnd = -1;

  function byobReader(blob: Blob, start: number, end: number): ReadableStreamBYOBReader | null {
    if (!byobWorks) return null;
    try {
      return blob.slice(start, end).stream().getReader({ mode: "byob" });
    } catch {
      byobWorks = false;
      return null;
    }
  }

  /** One BYOB read of the read-ahead stream, in place into `aheadBuf` (transferred and handed back). */
  async function stepAhead(a: Ahead): Promise<void> {
    try {
      const { value, done } = await a.reader.read(new Uint8Array(aheadBuf, a.filled, a.end - a.start - a.filled));
      if (value) aheadBuf = value.buffer as ArrayBuffer;
      if (done || !value || value.byteLength === 0) a.done = true;
      else {
        a.filled += value.byteLength;
        if (a.start + a.filled >= a.end) a.done = true;
      }
    } catch {
      a.done = true;
      a.failed = true;
    }
    if (aheadBuf.byteLength === 0) aheadBuf = new ArrayBuffer(AHEAD);
  }

  async function closeAhead(): Promise<void> {
    const a = ahead;
    ahead = null;
    if (!a) return;
    if (!a.done) await a.reader.cancel().catch(() => undefined);
    try {
      a.reader.releaseLock();
    } catch {
      // already released
    }
    if (aheadBuf.byteLength === 0) aheadBuf = new ArrayBuffer(AHEAD);
  }

  function startAhead(id: number, blob: Blob, start: number): void {
    const end = Math.min(blob.size, start + AHEAD);
    if (end <= start) return;
    const reader = byobReader(blob, start, end);
    if (reader) ahead = { id, start, end, filled: 0, reader, done: false, failed: false };
  }

  /** Read `[start, start + length)` of `blob` into `out` (no read-ahead); the bytes read. */
  async function readDirect(blob: Blob, start: number, length: number, out: Uint8Array): Promise<number> {
    let got = 0;
    const byob = byobReader(blob, start, start + length);
    if (byob) {
      try {
        while (got < length) {
          const want = Math.min(scratch.byteLength, length - got);
          const { value, done } = await byob.read(new Uint8Array(scratch, 0, want));
          if (value) scratch = value.buffer as ArrayBuffer;
          if (done || !value) break;
          out.set(value, got);
          got += value.byteLength;
        }
      } finally {
        if (scratch.byteLength === 0) scratch = new ArrayBuffer(1 << 20);
        if (got < length) await byob.cancel().catch(() => undefined);
        byob.releaseLock();
      }
      return got;
    }
    // No byte streams: the default reader's chunks (allocated by the browser, collected between requests).
    const reader = blob
      .slice(start, start + length)
      .stream()
      .getReader();
    try {
      while (got < length) {
        const { value, done } = await reader.read();
        if (done || !value) break;
        const n = Math.min(value.byteLength, length - got);
        out.set(n === value.byteLength ? value : value.subarray(0, n), got);
        got += n;
      }
    } finally {
      if (got < length) await reader.cancel().catch(() => undefined);
      reader.releaseLock();
    }
    return got;
  }

  async function answer(id: number, start: number, length: number): Promise<number> {
    const blob = blobs.get(id);
    const out = (data as Uint8Array).subarray(0, length);
    if (!blob) return -1;
    const a = ahead;
    if (a && a.id === id && !a.failed && start >= a.start && start + length <= a.end) {
      while (!a.done && a.start + a.filled < start + length) await stepAhead(a);
      if (a.start + a.filled >= start + length) {
        out.set(new Uint8Array(aheadBuf, start - a.start, length));
        if (start + length === a.end) {
          await closeAhead();
          startAhead(id, blob, a.end);
        }
        return length;
      }
    }
    await closeAhead();
    const got = await readDirect(blob, start, length, out);
    if (got === length && (length >= SEQUENTIAL_MIN || start === lastEnd)) startAhead(id, blob, start + length);
    return got;
  }

  async function serve(): Promise<void> {
    const c = ctrl as Int32Array;
    const waitAsync = (
      Atomics as unknown as {
        waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<unknown> | string };
      }
    ).waitAsync;
    for (;;) {
      const state = Atomics.load(c, 0);
      if (state === 1) {
        const id = Atomics.load(c, 1);
        const length = Atomics.load(c, 2);
        const start = (pos as Float64Array)[4] as number;
        let result: number;
        try {
          result = await answer(id, start, length);
        } catch {
          result = -1;
        }
        lastEnd = start + length;
        Atomics.store(c, 3, result);
        Atomics.store(c, 0, result === length ? 2 : 3);
        Atomics.notify(c, 0);
        continue;
      }
      if (ahead && (!blobs.has(ahead.id) || ahead.failed)) {
        await closeAhead();
        continue;
      }
      if (ahead && !ahead.done) {
        // Idle: fill the read-ahead one stream read at a time, looking for requests in between.
        await stepAhead(ahead);
        continue;
      }
      const w = waitAsync(c, 0, state);
      if (w.async) await w.value;
    }
  }

  scope.onmessage = (e: MessageEvent) => {
    const msg = e.data as { op: string; id?: number; blob?: Blob; sab?: SharedArrayBuffer; dataOffset?: number };
    if (msg.op === "init") {
      if (typeof (Atomics as { waitAsync?: unknown }).waitAsync !== "function") {
        scope.postMessage({ op: "init", error: "Atomics.waitAsync is missing" });
        return;
      }
      const sab = msg.sab as SharedArrayBuffer;
      ctrl = new Int32Array(sab, 0, 8);
      pos = new Float64Array(sab, 0, 8);
      data = new Uint8Array(sab, msg.dataOffset as number);
      scope.postMessage({ op: "init" });
      void serve();
    } else if (msg.op === "add") {
      blobs.set(msg.id as number, msg.blob as Blob);
      scope.postMessage({ op: "add", id: msg.id });
    } else if (msg.op === "remove") {
      blobs.delete(msg.id as number);
    }
  };
}

const channels = new WeakMap<object, Promise<Channel | string>>();

/** Whether this global scope can use the shared channel (a cross-origin isolated worker). */
function channelPossible(): string | undefined {
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown; Worker?: unknown; Atomics?: unknown };
  if (g.crossOriginIsolated !== true || typeof g.SharedArrayBuffer !== "function") return "not cross-origin isolated";
  if (typeof g.Worker !== "function") return "no nested Web Workers";
  return undefined;
}

function startChannel(): Promise<Channel | string> {
  return new Promise<Channel | string>((resolve) => {
    let worker: Worker;
    let url: string | undefined;
    try {
      url = URL.createObjectURL(new Blob([`(${helperMain.toString()})();`], { type: "text/javascript" }));
      worker = new Worker(url, { name: "daqkit-h5-blob-reader" });
    } catch (error) {
      if (url) URL.revokeObjectURL(url);
      resolve(`the helper worker cannot start: ${String(error)}`);
      return;
    }
    const sab = new SharedArrayBuffer(DATA_OFFSET + DATA_BYTES);
    const channel: Channel = {
      worker,
      ctrl: new Int32Array(sab, 0, 8),
      position: new Float64Array(sab, 0, 8),
      data: new Uint8Array(sab, DATA_OFFSET, DATA_BYTES),
      acks: new Map(),
      nextId: 1,
    };
    let started = false;
    const timer = setTimeout(() => fail("the helper worker did not start within 10 s"), 10_000);
    function fail(reason: string): void {
      clearTimeout(timer);
      channel.broken = reason;
      for (const ack of channel.acks.values()) ack(reason);
      channel.acks.clear();
      worker.terminate();
      if (!started) resolve(reason);
    }
    worker.onerror = (e) => {
      e.preventDefault?.();
      fail(`the helper worker failed: ${e.message ?? "error"}`);
    };
    worker.onmessage = (e: MessageEvent) => {
      const msg = e.data as { op: string; id?: number; error?: string };
      if (msg.op === "init") {
        clearTimeout(timer);
        if (url) URL.revokeObjectURL(url);
        if (msg.error) {
          fail(msg.error);
          return;
        }
        started = true;
        resolve(channel);
      } else if (msg.op === "add") {
        channel.acks.get(msg.id as number)?.();
        channel.acks.delete(msg.id as number);
      }
    };
    worker.postMessage({ op: "init", sab, dataOffset: DATA_OFFSET });
  });
}

/** The runtime's channel (started on first use), or why there is none. */
function channelOf(runtime: H5Runtime): Promise<Channel | string> {
  const reason = channelPossible();
  if (reason) return Promise.resolve(reason);
  const key = runtime.h5.Module as object;
  let channel = channels.get(key);
  if (channel === undefined) {
    channel = startChannel();
    channels.set(key, channel);
  }
  return channel;
}

interface EmscriptenFs {
  mkdirTree(p: string): void;
  mount(type: unknown, opts: unknown, p: string): void;
  unmount(p: string): void;
  rmdir(p: string): void;
  lookupPath(p: string): { node: { stream_ops: Record<string, unknown>; size: number } };
  filesystems: Record<string, unknown>;
  ErrnoError: new (errno: number) => Error;
}

/** EIO in Emscripten's errno numbering. */
const EIO = 29;

/**
 * Open a `Blob`/`File` read-only in a Web Worker without copying it into memory (the browser runtime's
 * `openBlob`), through the shared channel when the worker is cross-origin isolated (no per-slice
 * buffers: the page's memory stays at the result plus a few MiB), through WORKERFS otherwise. Async
 * because the helper worker has to be ready before HDF5 blocks on it.
 *
 * @throws IoError `IO_UNSUPPORTED` outside a Web Worker or with the Node runtime; `IO_HDF5_FAILED`
 *   when HDF5 cannot open the file. A slice that cannot be read (file changed or gone, helper dead
 *   for `timeoutMs`) fails HDF5's read with EIO, which readers report as their coded read error.
 */
export async function openH5Blob(runtime: H5Runtime, blob: Blob, options: OpenH5BlobOptions = {}): Promise<H5BlobFile> {
  const name = options.name ?? (blob as { name?: string }).name ?? "blob";
  const inWorker = typeof (globalThis as { FileReaderSync?: unknown }).FileReaderSync === "function";
  const channel = runtime.kind === "browser" && inWorker && options.readPath !== "workerfs" ? await channelOf(runtime) : "not used";
  if (typeof channel === "string" || channel.broken !== undefined) {
    return withReadPath(runtime.openBlob(blob, name), "workerfs");
  }
  const id = channel.nextId++;
  const added = new Promise<string | undefined>((resolve) => channel.acks.set(id, resolve));
  channel.worker.postMessage({ op: "add", id, blob });
  const failure = await added;
  if (failure !== undefined) return withReadPath(runtime.openBlob(blob, name), "workerfs");

  const module = runtime.h5.Module as unknown as { FS: EmscriptenFs };
  const fs = module.FS;
  const mount = `/daqkit-wfs/${uniqueName("s").slice(0, -3)}`;
  fs.mkdirTree(mount);
  fs.mount(fs.filesystems.WORKERFS, { blobs: [{ name: "file.h5", data: blob }] }, mount);
  const fsPath = `${mount}/file.h5`;
  const node = fs.lookupPath(fsPath).node;
  const size = blob.size;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const { ctrl, position, data } = channel;
  node.stream_ops = {
    ...node.stream_ops,
    read(_stream: unknown, buffer: Uint8Array | Int8Array, offset: number, length: number, pos: number): number {
      if (pos >= size) return 0;
      const total = Math.min(length, size - pos);
      let done = 0;
      while (done < total) {
        if (channel.broken !== undefined) throw new fs.ErrnoError(EIO);
        const n = Math.min(DATA_BYTES, total - done);
        Atomics.store(ctrl, BLOB_ID, id);
        Atomics.store(ctrl, LENGTH, n);
        position[POSITION_F64] = pos + done;
        Atomics.store(ctrl, STATE, REQUEST);
        Atomics.notify(ctrl, STATE);
        if (Atomics.wait(ctrl, STATE, REQUEST, timeoutMs) === "timed-out" && Atomics.load(ctrl, STATE) === REQUEST) {
          // The helper may still answer this request later: never use the channel again.
          channel.broken = `no answer from the helper worker within ${timeoutMs} ms`;
          throw new fs.ErrnoError(EIO);
        }
        const state = Atomics.load(ctrl, STATE);
        const got = Atomics.load(ctrl, RESULT);
        Atomics.store(ctrl, STATE, IDLE);
        if (state !== DONE || got !== n) throw new fs.ErrnoError(EIO);
        new Uint8Array(buffer.buffer, buffer.byteOffset + offset + done, n).set(data.subarray(0, n));
        done += n;
      }
      return total;
    },
  };
  const opened = openReadOnly(runtime.h5, fsPath, name, () => {
    channel.worker.postMessage({ op: "remove", id });
    fs.unmount(mount);
    fs.rmdir(mount);
  });
  return withReadPath(opened, "shared-channel");
}

function withReadPath(opened: H5OpenFile, readPath: H5BlobReadPath): H5BlobFile {
  return { file: opened.file, name: opened.name, readPath, close: () => opened.close() };
}

/** Why {@link openH5Blob} would use WORKERFS here, or `undefined` when the shared channel is possible. */
export function h5BlobChannelUnavailable(): string | undefined {
  return channelPossible();
}
