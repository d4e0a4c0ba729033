/**
 * The two jobs of a split decode of one Node file (`readGen2FileArrays` with workers), run by the
 * `@daqkit/io` worker pool in `dist/decode-worker.js` (or in this thread, its sequential fallback).
 * Node only: the read job opens the file by path.
 *
 * 1. `read`: read the part's words into the shared `timestamp` column at their own byte offsets
 *    (the memory the whole decode reads from, as `decodeGen2SourceArrays` does in one thread) and
 *    count its photons — so each part's first row is known before any part writes a row;
 * 2. `decode`: decode the part in place into its rows of the shared columns ({@link decodeGen2Part}).
 */
import { open } from "node:fs/promises";
import { countPackedPhotons } from "./decoder-core.js";
import { sourceError } from "./errors.js";
import { decodeGen2Part, type Gen2PartResult, reportSharedMemory } from "./split-decode.js";
import type { Gen2Header } from "./words.js";

/** Shared memory of the output columns (each sized for every word of the file). */
export interface SplitColumnsMemory {
  readonly xy: SharedArrayBuffer;
  readonly timestamp: SharedArrayBuffer;
  readonly phase: SharedArrayBuffer;
  readonly baseline: SharedArrayBuffer;
  readonly board: SharedArrayBuffer | null;
}

export interface SplitReadJob {
  readonly kind: "read";
  readonly path: string;
  /** The file's size when the decode started (a shorter file fails the read). */
  readonly size: number;
  readonly timestamp: SharedArrayBuffer;
  readonly startWord: number;
  readonly endWord: number;
  /** A header is in effect at `startWord` (see `countGen2Photons`). */
  readonly hasHeader: boolean;
  readonly chunkBytes: number;
}

export interface SplitDecodeJob {
  readonly kind: "decode";
  readonly columns: SplitColumnsMemory;
  readonly startWord: number;
  readonly endWord: number;
  /** The part's first row. */
  readonly row: number;
  /** Words `[tailFromWord, endWord)`, copied out before the next part overwrites them; or null. */
  readonly tail: SharedArrayBuffer | null;
  readonly tailFromWord: number;
  readonly header: Gen2Header | null;
  readonly board: boolean;
}

export type SplitJob = SplitReadJob | SplitDecodeJob;
export type SplitJobResult = { readonly photons: number } | Gen2PartResult;

/** Reads in flight per part (as the one-thread reader: each chunk is counted while the next are read). */
const READS_AHEAD = 3;

async function readAndCount(job: SplitReadJob): Promise<{ photons: number }> {
  const raw = new Uint8Array(job.timestamp);
  const view = new DataView(job.timestamp);
  const start = job.startWord * 8;
  const end = job.endWord * 8;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(job.path, "r");
  } catch (error) {
    throw sourceError(error, job.path, "opening");
  }
  try {
    const readAt = async (offset: number, length: number): Promise<void> => {
      let done = 0;
      try {
        while (done < length) {
          const { bytesRead } = await handle.read(raw, offset + done, length - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
      } catch (error) {
        throw sourceError(error, job.path, "reading", offset + done);
      }
      if (done !== length) {
        throw sourceError(
          new Error(`expected ${length} bytes at offset ${offset}, got ${done} (the file shrank below ${job.size} bytes?)`),
          job.path,
          "reading",
          offset + done,
        );
      }
    };
    const queue: Promise<void>[] = [];
    let requested = start;
    const request = (): void => {
      while (queue.length < READS_AHEAD && requested < end) {
        const length = Math.min(job.chunkBytes, end - requested);
        const read = readAt(requested, length);
        read.catch(() => undefined); // a read still in flight when an earlier one fails is not unhandled
        queue.push(read);
        requested += length;
      }
    };
    request();
    let counted = start;
    let photons = 0;
    let hasHeader = job.hasHeader;
    while (queue.length > 0) {
      await queue.shift();
      request();
      const to = Math.min(end, counted + job.chunkBytes);
      const headerBefore = hasHeader;
      if (!hasHeader) {
        // Until the first header, count from it on (the words before it are orphans).
        for (let at = counted; at < to; at += 8) {
          if (raw[at] === 0xff) {
            hasHeader = true;
            break;
          }
        }
      }
      photons += countPackedPhotons(view, counted / 8, to / 8, headerBefore);
      counted = to;
    }
    return { photons };
  } finally {
    await handle.close();
  }
}

function decodePart(job: SplitDecodeJob): Gen2PartResult {
  const { columns, row } = job;
  const words = columns.timestamp.byteLength / 8;
  const arrays = {
    xy: new Uint16Array(columns.xy, row * 2, words - row),
    timestamp: new BigInt64Array(columns.timestamp, row * 8, words - row),
    phase: new Int32Array(columns.phase, row * 4, words - row),
    baseline: new Int32Array(columns.baseline, row * 4, words - row),
    board: columns.board ? new Uint8Array(columns.board, row, words - row) : null,
  };
  return decodeGen2Part(new DataView(columns.timestamp), job.startWord, job.endWord, arrays, {
    header: job.header,
    board: job.board,
    tail: job.tail ? { view: new DataView(job.tail), fromWord: job.tailFromWord } : null,
  });
}

/** Run one split-decode job (the worker's handler and the pool's in-thread fallback). */
export async function runSplitJob(job: SplitJob): Promise<SplitJobResult> {
  return job.kind === "read" ? readAndCount(job) : decodePart(job);
}

export { reportSharedMemory };

/** The bytes of shared memory a job refers to. */
export function sharedBytesOf(job: SplitJob): number {
  if (job.kind === "read") return job.timestamp.byteLength;
  const c = job.columns;
  return c.xy.byteLength + c.timestamp.byteLength + c.phase.byteLength + c.baseline.byteLength + (c.board?.byteLength ?? 0);
}
