/**
 * Web Worker entry of the split decode of a `Blob`/`File` in a cross-origin-isolated page (built to
 * `dist/web-split-worker.js`, started as a module worker by `web-split-decode.ts`). One worker per
 * part; two messages per decode:
 *
 * 1. `read`: read the part's bytes (`Blob.stream()` with a BYOB reader into one reused buffer, so the
 *    reads take no fresh pages) and copy them into the shared `timestamp` column at their own byte
 *    offsets (a BYOB read cannot fill a `SharedArrayBuffer` itself); count the part's photons when
 *    asked (every part but the last: the rows the later parts start at).
 * 2. `decode`: decode the part in place from the `timestamp` column into its rows of the shared
 *    columns ({@link decodeGen2Part}; the words the next part's rows overwrite come from `tail`).
 *
 * Each part's copy into the column, and the first touches of its rows' fresh pages, run on its own
 * thread: each part takes its own page faults, on its own core.
 */
import { countGen2Photons, decodeGen2Part, type Gen2PartResult } from "./split-decode.js";
import type { Gen2Header } from "./words.js";

/** @internal */
export interface WebSplitReadJob {
  readonly kind: "read";
  readonly blob: Blob;
  /** The shared `timestamp` column (bytes × 8 = words): the part's words are read to their own offsets. */
  readonly timestamp: SharedArrayBuffer;
  readonly startWord: number;
  readonly endWord: number;
  /** Bytes per read (the reads reuse one buffer of this size). */
  readonly chunkBytes: number;
  /** Count the part's photons (the first row of the next part). */
  readonly count: boolean;
  /** A header is in effect at `startWord` (see `countGen2Photons`). */
  readonly hasHeader: boolean;
}

/** @internal */
export interface WebSplitDecodeJob {
  readonly kind: "decode";
  readonly xy: SharedArrayBuffer;
  readonly timestamp: SharedArrayBuffer;
  readonly phase: SharedArrayBuffer;
  readonly baseline: SharedArrayBuffer;
  readonly board: SharedArrayBuffer | null;
  readonly startWord: number;
  readonly endWord: number;
  /** The part's first row. */
  readonly row: number;
  readonly header: Gen2Header | null;
  /** Words `[tailFromWord, endWord)`, copied out before the next part's rows overwrite them; or null. */
  readonly tail: SharedArrayBuffer | null;
  readonly tailFromWord: number;
}

/** @internal */
export type WebSplitReply =
  | { readonly kind: "read"; readonly photons: number }
  | { readonly kind: "read-failed"; readonly byteOffset: number; readonly message: string }
  | { readonly kind: "decoded"; readonly result: Gen2PartResult }
  | { readonly kind: "failed"; readonly message: string };

interface WorkerScope {
  onmessage: ((event: MessageEvent<WebSplitReadJob | WebSplitDecodeJob>) => void) | null;
  postMessage(message: WebSplitReply, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
/** The read buffer, reused from read to read (a BYOB read hands it back as a new `ArrayBuffer` over the same memory). */
let buffer: ArrayBuffer | null = null;

async function read(job: WebSplitReadJob): Promise<WebSplitReply> {
  const raw = new Uint8Array(job.timestamp);
  const view = new DataView(job.timestamp);
  const start = job.startWord * 8;
  const end = job.endWord * 8;
  if (!buffer || buffer.byteLength !== job.chunkBytes) buffer = new ArrayBuffer(job.chunkBytes);
  let at = start;
  let counted = job.startWord; // words counted so far (whole words only: a read may end mid-word)
  let hasHeader = job.hasHeader;
  let photons = 0;
  try {
    const reader = job.blob.slice(start, end).stream().getReader({ mode: "byob" });
    while (at < end) {
      const { value, done } = await reader.read(new Uint8Array(buffer, 0, Math.min(buffer.byteLength, end - at)));
      if (done || !value) break;
      buffer = value.buffer as ArrayBuffer;
      raw.set(value, at);
      at += value.byteLength;
      if (job.count) {
        const upTo = Math.floor(at / 8);
        const before = hasHeader;
        if (!hasHeader) {
          for (let w = counted; w < upTo; w++) {
            if (raw[w * 8] === 0xff) {
              hasHeader = true;
              break;
            }
          }
        }
        photons += countGen2Photons(view, counted, upTo, before);
        counted = upTo;
      }
    }
    reader.releaseLock();
  } catch (error) {
    buffer = null;
    return { kind: "read-failed", byteOffset: at, message: String(error) };
  }
  if (at !== end)
    return { kind: "read-failed", byteOffset: at, message: `expected ${end - start} bytes from ${start}, read ${at - start}` };
  return { kind: "read", photons };
}

function decode(job: WebSplitDecodeJob): WebSplitReply {
  const words = job.timestamp.byteLength / 8;
  const row = job.row;
  const columns = {
    xy: new Uint16Array(job.xy, row * 2, words - row),
    timestamp: new BigInt64Array(job.timestamp, row * 8, words - row),
    phase: new Int32Array(job.phase, row * 4, words - row),
    baseline: new Int32Array(job.baseline, row * 4, words - row),
    board: job.board ? new Uint8Array(job.board, row, words - row) : null,
  };
  const result = decodeGen2Part(new DataView(job.timestamp), job.startWord, job.endWord, columns, {
    header: job.header,
    board: job.board !== null,
    tail: job.tail ? { view: new DataView(job.tail), fromWord: job.tailFromWord } : null,
  });
  return { kind: "decoded", result };
}

scope.onmessage = (event) => {
  const job = event.data;
  const reply = job.kind === "read" ? read(job) : Promise.resolve().then(() => decode(job));
  reply.then(
    (r) => {
      const wide = r.kind === "decoded" ? r.result.wide : null;
      scope.postMessage(
        r,
        wide ? [wide.x.buffer, wide.y.buffer, wide.timestamp.buffer, wide.phase.buffer, wide.baseline.buffer, wide.board.buffer] : [],
      );
    },
    (error: unknown) =>
      scope.postMessage({ kind: "failed", message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }),
  );
};
