/**
 * Web Worker entry of the split decode of a `Blob`/`File` in a cross-origin-isolated page (built to
 * `dist/web-split-worker.js`, started as a module worker by `web-split-decode.ts`). One worker per
 * part; two messages per decode:
 *
 * 1. `read`: read the part's bytes slice by slice with `FileReaderSync` (the slices on the caller's
 *    `chunkBytes` grid, so a failed read names the offset the one-thread reader would) and keep them;
 *    count the part's photons when asked (every part but the last: the rows the later parts start at).
 * 2. `decode`: decode the kept slices into the part's rows of the shared columns (one decoder state
 *    across the slices; each slice dropped once decoded) and answer the part's counts, wide photons
 *    and last header.
 *
 * The worker's own reads and the first touches of its rows' fresh pages run on its own thread: each
 * part takes its own page faults, on its own core.
 */
import { countGen2Photons, decodeGen2PartPieces, type Gen2PartResult } from "./split-decode.js";
import type { Gen2Header } from "./words.js";

/** @internal */
export interface WebSplitReadJob {
  readonly kind: "read";
  readonly blob: Blob;
  readonly startWord: number;
  readonly endWord: number;
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
  /** The part's first row. */
  readonly row: number;
  readonly header: Gen2Header | null;
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
/** `FileReaderSync` (workers only; not in the DOM typings). */
declare const FileReaderSync: new () => { readAsArrayBuffer(blob: Blob): ArrayBuffer };

const scope = globalThis as unknown as WorkerScope;
let pieces: (DataView | undefined)[] = [];
let partWords = 0;

function read(job: WebSplitReadJob): WebSplitReply {
  pieces = [];
  partWords = job.endWord - job.startWord;
  const reader = new FileReaderSync();
  const end = job.endWord * 8;
  let hasHeader = job.hasHeader;
  let photons = 0;
  for (let at = job.startWord * 8; at < end; ) {
    const next = Math.min(end, (Math.floor(at / job.chunkBytes) + 1) * job.chunkBytes);
    let buffer: ArrayBuffer;
    try {
      buffer = reader.readAsArrayBuffer(job.blob.slice(at, next));
    } catch (error) {
      pieces = [];
      return { kind: "read-failed", byteOffset: at, message: String(error) };
    }
    if (buffer.byteLength !== next - at) {
      pieces = [];
      return { kind: "read-failed", byteOffset: at, message: `expected ${next - at} bytes, read ${buffer.byteLength}` };
    }
    const view = new DataView(buffer);
    if (job.count) {
      const before = hasHeader;
      const words = buffer.byteLength / 8;
      if (!hasHeader) {
        for (let w = 0; w < words; w++) {
          if (view.getUint8(w * 8) === 0xff) {
            hasHeader = true;
            break;
          }
        }
      }
      photons += countGen2Photons(view, 0, words, before);
    }
    pieces.push(view);
    at = next;
  }
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
  let next = 0;
  const take = (): DataView | null => {
    if (next >= pieces.length) return null;
    const piece = pieces[next]!;
    pieces[next++] = undefined; // garbage once decoded
    return piece;
  };
  const result = decodeGen2PartPieces(partWords, take, columns, { header: job.header, board: job.board !== null });
  pieces = [];
  return { kind: "decoded", result };
}

scope.onmessage = (event) => {
  const job = event.data;
  try {
    if (job.kind === "read") scope.postMessage(read(job));
    else {
      const reply = decode(job);
      const wide = reply.kind === "decoded" ? reply.result.wide : null;
      scope.postMessage(
        reply,
        wide ? [wide.x.buffer, wide.y.buffer, wide.timestamp.buffer, wide.phase.buffer, wide.baseline.buffer, wide.board.buffer] : [],
      );
    }
  } catch (error) {
    pieces = [];
    scope.postMessage({ kind: "failed", message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
  }
};
