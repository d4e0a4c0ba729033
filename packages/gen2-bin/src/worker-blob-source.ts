/**
 * A `Blob`/`File` byte source whose slices are read in a dedicated Web Worker (issue 13 performance):
 * `Blob.stream()` with a BYOB reader, into buffers the caller hands back once it has used them
 * (`release`; transferred both ways), so after the first few reads no read takes fresh pages (with
 * `FileReaderSync`'s new buffer per slice the worker took ~50 k page faults per 200 MB, now ~12 k). A page's own `Blob` reads deliver their data through the page's event
 * loop, so while the page decodes they barely advance; a worker reads on its own thread, so the
 * next slice is read while the current one is decoded (as Node's file reads run on libuv's pool).
 *
 * The worker is a small self-contained script started from a `blob:` URL (no bundler setup). If it
 * cannot start or fails (a Content-Security-Policy without `worker-src blob:`, no `Worker`), the
 * source falls back to the page's own `blobSource` reads, including for the reads in flight.
 */
import { type BlobLike, type ByteSource, blobSource, checkRange } from "@daqkit/io";

const WORKER_SCRIPT = `"use strict";
let chain = Promise.resolve();
self.onmessage = (event) => {
  const { id, blob, offset, length, buffer } = event.data;
  chain = chain.then(async () => {
    try {
      let memory = buffer && buffer.byteLength >= length ? buffer : new ArrayBuffer(length);
      const reader = blob.slice(offset, offset + length).stream().getReader({ mode: "byob" });
      let at = 0;
      while (at < length) {
        const { value, done } = await reader.read(new Uint8Array(memory, at, length - at));
        if (done) break;
        memory = value.buffer;
        at += value.byteLength;
      }
      reader.releaseLock();
      if (at !== length) throw new Error("read " + at + " of " + length + " bytes");
      self.postMessage({ id, buffer: memory }, [memory]);
    } catch (error) {
      self.postMessage({ id, error: String(error) });
    }
  });
};`;

interface Pending {
  offset: number;
  length: number;
  resolve(bytes: Uint8Array): void;
  reject(error: unknown): void;
}

/** True where {@link workerBlobSource} can start its worker: a window with `Worker` and `blob:` URLs. */
export function canReadBlobInWorker(): boolean {
  const g = globalThis as { Worker?: unknown; document?: unknown; URL?: { createObjectURL?: unknown } };
  return typeof g.Worker === "function" && typeof g.document === "object" && typeof g.URL?.createObjectURL === "function";
}

/**
 * A byte source over `blob` whose reads run in a dedicated worker (see the module comment); same
 * range checks and `IO_*` errors as `blobSource`. `close()` ends the worker; call it when done.
 */
export function workerBlobSource(blob: BlobLike, name = blob.name ?? "blob"): ByteSource & { release(bytes: Uint8Array): void } {
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
  // The worker cannot run here: every read in flight and every later one goes through the page.
  const giveUp = (): void => {
    broken = true;
    stop();
    const waiting = [...pending.values()];
    pending.clear();
    for (const p of waiting) fallback.read(p.offset, p.length).then(p.resolve, p.reject);
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
    worker.onmessage = (event: MessageEvent<{ id: number; buffer?: ArrayBuffer; error?: string }>) => {
      const { id, buffer, error } = event.data;
      const p = pending.get(id);
      if (!p) return;
      pending.delete(id);
      if (buffer && buffer.byteLength >= p.length) p.resolve(new Uint8Array(buffer, 0, p.length));
      else fallback.read(p.offset, p.length).then(p.resolve, p.reject); // the page's read gives the coded error
      void error;
    };
    return worker;
  };

  // Read buffers handed back by the caller (`release`), sent to the worker to be read into again:
  // its reads then take no fresh pages.
  const spare: ArrayBuffer[] = [];
  return {
    name,
    size,
    read(offset, length) {
      checkRange(name, size, offset, length);
      if (length === 0) return Promise.resolve(new Uint8Array(0));
      const w = start();
      if (!w) return fallback.read(offset, length);
      return new Promise<Uint8Array>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { offset, length, resolve, reject });
        const i = spare.findIndex((b) => b.byteLength >= length);
        const buffer = i >= 0 ? spare.splice(i, 1)[0] : undefined;
        w.postMessage({ id, blob, offset, length, buffer }, buffer ? [buffer] : []);
      });
    },
    release(bytes: Uint8Array) {
      if (bytes.byteOffset === 0 && bytes.buffer instanceof ArrayBuffer && bytes.buffer.byteLength > 0 && spare.length < 8)
        spare.push(bytes.buffer);
    },
    async close() {
      stop();
      const waiting = [...pending.values()];
      pending.clear();
      for (const p of waiting) p.reject(new Error(`gen2: ${name}: source closed`));
    },
  };
}
