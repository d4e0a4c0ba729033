/**
 * The split decode of one `Blob`/`File` across Web Workers in a cross-origin-isolated page (issue 13;
 * platform-neutral, no Node built-in). The input is cut at header words ({@link planGen2Split}); each
 * part's worker reads its bytes (`Blob.stream()`, a BYOB reader into one reused buffer) into the shared
 * `timestamp` column at their own offsets and counts its photons, then decodes its part in place into
 * its rows of the output columns (`SharedArrayBuffer`s) — the scheme of `readGen2FileArrays` with
 * `workers` in Node. Each worker takes the page faults of its own rows on its own thread, so on two
 * cores the ~110 k faults of a 200 MB file no longer run on one thread, and no read buffer is left to
 * fault. Same rows, stats, last header and errors as one thread.
 *
 * Falls back (the caller decodes in one thread, as before) when the page is not cross-origin isolated,
 * the input is not a real `Blob`, the plan has one part, or a worker cannot start or fails.
 */
import { type BlobLike, blobSource, hardwareConcurrency } from "@daqkit/io";
import type { Gen2DecodedArrays, Gen2ReadOptions } from "./decode.js";
import { sourceError } from "./errors.js";
import {
  assembleSplitResult,
  splitRows,
  type Gen2PartResult,
  type Gen2SplitPart,
  planGen2Split,
  reportSharedMemory,
} from "./split-decode.js";
import type { WebSplitDecodeJob, WebSplitReadJob, WebSplitReply } from "./web-split-worker.js";

/** Inputs smaller than this are decoded in one thread by default (32 MiB). */
export const GEN2_WEB_SPLIT_MIN_BYTES = 32 * 1024 * 1024;

/**
 * True where {@link decodeBlobInWebWorkers} can run: a cross-origin-isolated global scope
 * (`crossOriginIsolated`, i.e. a page served with `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp`, or a worker of one) with `SharedArrayBuffer` and `Worker`.
 */
export function canSplitInWebWorkers(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown; Worker?: unknown };
  return g.crossOriginIsolated === true && typeof g.SharedArrayBuffer === "function" && typeof g.Worker === "function";
}

/** The parts a split would use with these options: `splitWorkers` (default 2), at most the processors; < 2 = no split. */
function splitParts(options: Gen2ReadOptions): number {
  const asked = options.splitWorkers ?? 2;
  return Math.max(1, Math.min(Math.floor(asked), hardwareConcurrency()));
}

/** Whether {@link decodeGen2SourceArrays} splits this `Blob`/`File` across Web Workers. @internal */
export function wantsWebSplit(blob: BlobLike, options: Gen2ReadOptions): boolean {
  if (!canSplitInWebWorkers() || typeof Blob !== "function" || !(blob instanceof Blob)) return false;
  if (splitParts(options) < 2) return false;
  return blob.size >= Math.max(16, options.splitMinBytes ?? GEN2_WEB_SPLIT_MIN_BYTES);
}

/** A failure of the workers themselves (start, crash, an unexpected reply): the caller falls back. */
class WorkerFailure extends Error {}

/** One part's worker: one message in flight at a time. */
class PartWorker {
  readonly #worker: Worker;
  #waiting: { resolve(reply: WebSplitReply): void; reject(error: unknown): void } | null = null;
  #failed: Error | null = null;

  constructor(script: URL | string | undefined) {
    // The literal `new Worker(new URL(…, import.meta.url))` form: bundlers (Vite, webpack, Parcel) see it
    // and emit the worker script; unbundled, it is `dist/web-split-worker.js` beside this module.
    this.#worker =
      script === undefined
        ? new Worker(new URL("./web-split-worker.js", import.meta.url), { type: "module", name: "daqkit-gen2-split" })
        : new Worker(script, { type: "module", name: "daqkit-gen2-split" });
    this.#worker.onmessage = (event: MessageEvent<WebSplitReply>) => {
      const waiting = this.#waiting;
      this.#waiting = null;
      waiting?.resolve(event.data);
    };
    const fail = (message: string): void => {
      this.#failed = new WorkerFailure(message);
      const waiting = this.#waiting;
      this.#waiting = null;
      waiting?.reject(this.#failed);
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      fail(`the split-decode worker failed: ${event.message || "it could not start"}`);
    };
    this.#worker.onmessageerror = () => fail("a split-decode worker message could not be deserialized");
  }

  call(job: WebSplitReadJob | WebSplitDecodeJob): Promise<WebSplitReply> {
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#worker.postMessage(job);
    });
  }

  terminate(): void {
    this.#worker.terminate();
  }
}

/**
 * Decode `blob` in parts on Web Workers (see the module comment), or null when the caller should
 * decode in one thread (one part only, or the workers could not start or failed: nothing of theirs
 * is returned). The packed columns of the result are views of `SharedArrayBuffer`s.
 * @throws Gen2BinError as the one-thread reader: a failed read (`GEN2_IO`, `GEN2_FILE_NOT_FOUND`, with
 *   the read's `byteOffset`), `GEN2_PARTIAL_WORD`, `GEN2_NO_HEADER`; the signal's reason when aborted
 */
export async function decodeBlobInWebWorkers(blob: Blob, name: string, options: Gen2ReadOptions): Promise<Gen2DecodedArrays | null> {
  const size = blob.size;
  const words = Math.floor(size / 8);
  let plan: Gen2SplitPart[];
  try {
    plan = await planGen2Split(blobSource(blob, name), splitParts(options), { path: name });
  } catch {
    return null; // an unreadable input: the one-thread reader reports it, at the offset of its own first failed read
  }
  if (plan.length < 2) return null;
  options.signal?.throwIfAborted();
  const workers: PartWorker[] = [];
  try {
    for (let i = 0; i < plan.length; i++) workers.push(takeWorker(options.splitWorkerScript));
  } catch {
    for (const w of workers) w.terminate();
    return null; // e.g. a Content-Security-Policy without worker-src for this script
  }
  let done = false;
  try {
    const result = await decodeParts(blob, name, size, words, plan, workers, options);
    done = true;
    return result;
  } catch (error) {
    if (error instanceof WorkerFailure) return null;
    throw error;
  } finally {
    // Idle after a complete decode: kept for the next call; otherwise (a failure, a job cut short) ended.
    for (const w of workers) {
      if (done) keepWorker(options.splitWorkerScript, w);
      else w.terminate();
    }
  }
}

/** Idle split workers per script (`""`: the default), kept for later calls: a start costs a thread and a module compile. */
const idleWorkers = new Map<string, PartWorker[]>();
/** Idle workers kept per script at most. */
const MAX_IDLE = 4;

function takeWorker(script: URL | string | undefined): PartWorker {
  return idleWorkers.get(script === undefined ? "" : String(script))?.pop() ?? new PartWorker(script);
}

function keepWorker(script: URL | string | undefined, worker: PartWorker): void {
  const key = script === undefined ? "" : String(script);
  const list = idleWorkers.get(key) ?? [];
  idleWorkers.set(key, list);
  if (list.length < MAX_IDLE) list.push(worker);
  else worker.terminate();
}

async function decodeParts(
  blob: Blob,
  name: string,
  size: number,
  words: number,
  plan: Gen2SplitPart[],
  workers: PartWorker[],
  options: Gen2ReadOptions,
): Promise<Gen2DecodedArrays> {
  // 1 MiB reads (one reused buffer per worker): the copy into the column stays in the CPU cache.
  const chunkBytes = Math.max(8, Math.floor((options.chunkBytes ?? 1024 * 1024) / 8) * 8);
  const header = options.header ?? null;
  const withBoard = options.board === true;
  // Dropped results of earlier calls are SharedArrayBuffers, invisible to V8's GC heuristics.
  reportSharedMemory(words * (withBoard ? 19 : 18));
  const memory = {
    xy: new SharedArrayBuffer(words * 2),
    timestamp: new SharedArrayBuffer(words * 8),
    phase: new SharedArrayBuffer(words * 4),
    baseline: new SharedArrayBuffer(words * 4),
    board: withBoard ? new SharedArrayBuffer(words) : null,
  };
  // 1. Every part reads its words into the timestamp column at their own offsets; all but the last
  // count their photons.
  const reads = await Promise.all(
    plan.map((part, i) =>
      workers[i]!.call({
        kind: "read",
        blob,
        timestamp: memory.timestamp,
        startWord: part.startWord,
        endWord: part.endWord,
        chunkBytes,
        count: i < plan.length - 1,
        hasHeader: i > 0 || header !== null,
      }),
    ),
  );
  const failed = reads
    .filter((r): r is Extract<WebSplitReply, { kind: "read-failed" }> => r.kind === "read-failed")
    .sort((a, b) => a.byteOffset - b.byteOffset)[0];
  if (failed) {
    // The one-thread reader's read of the chunk with that byte (its chunks: `chunkBytes` from 0) gives its coded error.
    const offset = Math.min(failed.byteOffset, size - 1);
    const from = offset - (offset % chunkBytes);
    try {
      await blobSource(blob, name).read(from, Math.min(chunkBytes, size - from));
    } catch (error) {
      throw sourceError(error, name, "reading", from);
    }
    throw new WorkerFailure(`a worker's read at byte ${failed.byteOffset} failed (${failed.message}), the page's did not`);
  }
  options.signal?.throwIfAborted();
  const photons = reads.map((r) => {
    if (r.kind !== "read") throw new WorkerFailure(`unexpected reply ${r.kind}`);
    return r.photons;
  });
  // 2. Each part's first row, and the words a part must copy out before the next part's rows overwrite them.
  const { rows, tails } = splitRows(plan, photons, memory.timestamp);
  const replies = await Promise.all(
    plan.map((part, i) =>
      workers[i]!.call({
        kind: "decode",
        ...memory,
        startWord: part.startWord,
        endWord: part.endWord,
        row: rows[i]!,
        header: i === 0 ? header : null,
        tail: tails[i]?.tail ?? null,
        tailFromWord: tails[i]?.from ?? part.endWord,
      }),
    ),
  );
  const results: Gen2PartResult[] = replies.map((r, i) => {
    if (r.kind !== "decoded") throw new WorkerFailure(r.kind === "failed" ? r.message : `unexpected reply ${r.kind}`);
    // The last part was not counted; the others decoded the very bytes they counted.
    if (i < plan.length - 1 && r.result.photons !== rows[i + 1]! - rows[i]!)
      throw new WorkerFailure(`part ${i}: decoded ≠ counted photons`);
    return r.result;
  });
  const total = rows.at(-1)! + results.at(-1)!.photons;
  return assembleSplitResult(memory, results, total, size, header, name, options);
}
