/**
 * Blosc chunk decoding on workers through @daqkit/io's one {@link WorkerPool}: the worker runs the
 * self-contained decoder's source text (no extra file to ship). Browsers use Web Workers (this
 * module); Node uses worker_threads (`@daqkit/runs/node`). Without workers (or with one core)
 * there is no pool and chunks are decoded in the calling thread, one after another.
 */
import { hardwareConcurrency, type SerializedError, type WorkerFactory, WorkerPool, webWorkerFactory } from "@daqkit/io";
import { bloscDecodeStandalone, decodeBloscChunk } from "./blosc.js";
import { blosclzWasmBytes } from "./blosclz-wasm.js";

/** A pool decoding one Blosc chunk per job; the result is `null` for a variant the decoder does not handle. */
export type BloscDecodePool = WorkerPool<Uint8Array, Uint8Array | null>;

/** Most workers a shared pool starts. */
const MAX_WORKERS = 4;

/**
 * The worker script's body: defines `handle(message, post)`, which answers one `{ id, job }` of
 * the pool with `{ id, ok, result }` or `{ id, ok: false, error }` (the decoded bytes transferred).
 */
export function bloscWorkerBody(): string {
  return `
let wasm = null;
try {
  const bytes = new Uint8Array([${Array.from(blosclzWasmBytes()).join(",")}]);
  wasm = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports;
} catch {}
const decodeStandalone = (${bloscDecodeStandalone.toString()});
const handle = (m, post) => {
  try {
    const out = decodeStandalone(m.job, wasm);
    if (out === null) post({ id: m.id, ok: true, result: null }, []);
    else post({ id: m.id, ok: true, result: out }, [out.buffer]);
  } catch (e) {
    post({ id: m.id, ok: false, error: { name: "Error", message: String((e && e.message) || e), daqkit: false, context: {} } }, []);
  }
};
`;
}

/** A worker's error as the pool hands it back: a plain `Error` (the codec turns it into `RUNS_CORRUPT_CHUNK`). */
function reviveError(error: SerializedError): Error {
  return new Error(error.message);
}

/**
 * A Blosc decode pool on workers made by `spawn`, or `undefined` without a factory or with fewer
 * than two workers (decoding in the calling thread is then as fast). A worker that cannot start
 * makes the pool decode in the calling thread.
 */
export function createBloscDecodePool(spawn: WorkerFactory | undefined, size: number): BloscDecodePool | undefined {
  if (!spawn || size < 2) return undefined;
  return new WorkerPool<Uint8Array, Uint8Array | null>({ size, spawn, inline: (bytes) => decodeBloscChunk(bytes) ?? null, reviveError });
}

/**
 * Decode on `pool`. The input buffer is transferred (detached) when the view owns it entirely,
 * otherwise copied first.
 */
export function decodeOnPool(pool: BloscDecodePool, bytes: Uint8Array): Promise<Uint8Array | null> {
  const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
  const input = owned ? bytes : bytes.slice();
  return pool.run(input, [input.buffer as ArrayBuffer]);
}

let webPool: BloscDecodePool | undefined;

/**
 * The page's (or worker's) shared pool of Web Workers: `min(4, navigator.hardwareConcurrency)`
 * workers, or `undefined` where `Worker` does not exist or there is one core.
 */
export function sharedWebBloscPool(): BloscDecodePool | undefined {
  if (webPool && !webPool.usable) webPool = undefined;
  if (!webPool) {
    const source = `${bloscWorkerBody()}\nself.onmessage = (event) => handle(event.data, (message, transfer) => self.postMessage(message, transfer));\n`;
    webPool = createBloscDecodePool(webWorkerFactory({ source }, { type: "classic" }), Math.min(MAX_WORKERS, hardwareConcurrency()));
  }
  return webPool;
}

/** Most workers a shared pool starts (Node's pool uses it too). */
export const SHARED_POOL_MAX_WORKERS = MAX_WORKERS;
