/**
 * A `Blob`/`File` byte source whose slices are read in a dedicated Web Worker with `FileReaderSync`
 * (issue 13 performance). A page's own `Blob` reads deliver their data through the page's event
 * loop, so while the page decodes they barely advance; a worker reads on its own thread, so the
 * next slice is read while the current one is decoded (as Node's file reads run on libuv's pool).
 *
 * The worker is a small self-contained script started from a `blob:` URL (no bundler setup). If it
 * cannot start or fails (a Content-Security-Policy without `worker-src blob:`, no `Worker`), the
 * source falls back to the page's own `blobSource` reads, including for the reads in flight.
 */
import { type BlobLike, type ByteSource, blobSource, checkRange } from "@daqkit/io";

const WORKER_SCRIPT = `"use strict";
const reader = new FileReaderSync();
self.onmessage = (event) => {
  const { id, blob, offset, length, into, touch } = event.data;
  try {
    if (touch) {
      for (const [buffer, start, end] of touch) {
        const bytes = new Uint8Array(buffer);
        for (let at = start; at < end; at = at - (at % 4096) + 4096) bytes[at] = 0;
      }
      self.postMessage({ id, done: true });
      return;
    }
    const buffer = reader.readAsArrayBuffer(blob.slice(offset, offset + length));
    if (into) {
      const done = buffer.byteLength === length;
      if (done) new Uint8Array(into.buffer, into.byteOffset, length).set(new Uint8Array(buffer));
      self.postMessage({ id, done });
      return;
    }
    self.postMessage({ id, buffer }, [buffer]);
  } catch (error) {
    self.postMessage({ id, error: String(error) });
  }
};`;

interface Pending {
  /** The worker's answer: `buffer` (a read), `done` (a read into shared memory, or a touch). */
  settle(reply: { buffer?: ArrayBuffer; done?: boolean }): void;
  /** The worker cannot do it (gone, or failed): do it on this thread. */
  fallback(): void;
  reject(error: unknown): void;
}

/** Options of {@link workerBlobSource}. */
export interface WorkerBlobSourceOptions {
  /**
   * Add `readInto` for targets in a `SharedArrayBuffer` (the worker writes the slice there) and
   * `touchPages` (see {@link WorkerBlobSource}). Needs a cross-origin-isolated page.
   */
  shared?: boolean;
}

/** A {@link workerBlobSource}: with `shared`, it can also first-touch pages of shared memory. */
export interface WorkerBlobSource extends ByteSource {
  /**
   * Write a zero into every 4 KiB page of each target (views of `SharedArrayBuffer`s, zero-filled,
   * not being written by anyone else) in the worker, after the reads asked for before: the first
   * touches of fresh pages (page faults) happen there instead of on the decoding thread. Resolves
   * when done (at once, doing nothing, when the worker cannot run: touching is only an optimisation).
   */
  touchPages?(targets: Uint8Array[]): Promise<void>;
}

/** True where {@link workerBlobSource} can start its worker: a window with `Worker` and `blob:` URLs. */
export function canReadBlobInWorker(): boolean {
  const g = globalThis as { Worker?: unknown; document?: unknown; URL?: { createObjectURL?: unknown } };
  return typeof g.Worker === "function" && typeof g.document === "object" && typeof g.URL?.createObjectURL === "function";
}

const isShared = (buffer: ArrayBufferLike): boolean => typeof SharedArrayBuffer === "function" && buffer instanceof SharedArrayBuffer;

/** True where shared memory can be handed to a worker: a cross-origin-isolated page with `SharedArrayBuffer`. */
export function canShareWithWorker(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean };
  return canReadBlobInWorker() && g.crossOriginIsolated === true && typeof SharedArrayBuffer === "function";
}

/**
 * A byte source over `blob` whose reads run in a dedicated worker (see the module comment); same
 * range checks and `IO_*` errors as `blobSource`. `close()` ends the worker; call it when done.
 * With `shared` (where {@link canShareWithWorker}), `readInto` has the worker write each slice
 * straight into caller memory in a `SharedArrayBuffer` (other targets: read here and copied), and
 * `touchPages` first-touches shared memory there.
 */
export function workerBlobSource(blob: BlobLike, name = blob.name ?? "blob", options: WorkerBlobSourceOptions = {}): WorkerBlobSource {
  const size = blob.size;
  const fallback = blobSource(blob, name);
  const pending = new Map<number, Pending>();
  let nextId = 0;
  let worker: Worker | undefined;
  let url: string | undefined;
  let broken = !canReadBlobInWorker();

  const stop = (): void => {
    worker?.terminate();
    worker = undefined;
    if (url) URL.revokeObjectURL(url);
    url = undefined;
  };
  // The worker cannot run here: every request in flight and every later one is done on this thread.
  const giveUp = (): void => {
    broken = true;
    stop();
    const waiting = [...pending.values()];
    pending.clear();
    for (const p of waiting) p.fallback();
  };
  const start = (): Worker | undefined => {
    if (worker || broken) return worker;
    try {
      url = URL.createObjectURL(new Blob([WORKER_SCRIPT], { type: "text/javascript" }));
      worker = new Worker(url);
    } catch {
      giveUp();
      return undefined;
    }
    worker.onerror = (event) => {
      event.preventDefault();
      giveUp();
    };
    worker.onmessage = (event: MessageEvent<{ id: number; buffer?: ArrayBuffer; done?: boolean; error?: string }>) => {
      const { id, buffer, done } = event.data;
      const p = pending.get(id);
      if (!p) return;
      pending.delete(id);
      p.settle({ buffer, done });
    };
    return worker;
  };
  const post = (message: Record<string, unknown>, entry: Pending): void => {
    const w = start();
    if (!w) {
      entry.fallback();
      return;
    }
    const id = nextId++;
    pending.set(id, entry);
    w.postMessage({ id, ...message });
  };

  const source: WorkerBlobSource = {
    name,
    size,
    read(offset, length) {
      checkRange(name, size, offset, length);
      if (length === 0) return Promise.resolve(new Uint8Array(0));
      return new Promise<Uint8Array>((resolve, reject) => {
        const here = (): void => void fallback.read(offset, length).then(resolve, reject); // the page's read gives the coded error
        post(
          { blob, offset, length },
          {
            settle: ({ buffer }) => (buffer && buffer.byteLength === length ? resolve(new Uint8Array(buffer)) : here()),
            fallback: here,
            reject,
          },
        );
      });
    },
    async close() {
      stop();
      const waiting = [...pending.values()];
      pending.clear();
      for (const p of waiting) p.reject(new Error(`gen2: ${name}: source closed`));
    },
  };
  if (!options.shared) return source;
  source.readInto = (offset, target) => {
    const length = target.byteLength;
    checkRange(name, size, offset, length);
    const here = (resolve: () => void, reject: (error: unknown) => void): void =>
      void fallback.read(offset, length).then((bytes) => {
        target.set(bytes);
        resolve();
      }, reject);
    if (length === 0) return Promise.resolve();
    if (!isShared(target.buffer)) return new Promise<void>(here);
    return new Promise<void>((resolve, reject) => {
      post(
        { blob, offset, length, into: { buffer: target.buffer, byteOffset: target.byteOffset } },
        { settle: ({ done }) => (done ? resolve() : here(resolve, reject)), fallback: () => here(resolve, reject), reject },
      );
    });
  };
  source.touchPages = (targets) => {
    const touch = targets.filter((t) => isShared(t.buffer) && t.byteLength > 0);
    if (touch.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      post(
        { touch: touch.map((t) => [t.buffer, t.byteOffset, t.byteOffset + t.byteLength]) },
        { settle: () => resolve(), fallback: () => resolve(), reject: () => resolve() },
      );
    });
  };
  return source;
}
