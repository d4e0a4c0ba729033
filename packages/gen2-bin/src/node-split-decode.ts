/**
 * The split decode of one large Node file across worker threads (`readGen2FileArrays` with
 * `workers` ≥ 2 or 0, for files of at least `splitMinBytes`; opt-in): the platform-neutral plan of
 * `split-decode.ts`, the `@daqkit/io` worker pool, and output columns in `SharedArrayBuffer`s that
 * every part writes its rows of.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { type ByteSource, WorkerPool } from "@daqkit/io";
import { nodeWorkerFactory } from "@daqkit/io/node";
import type { Gen2DecodedArrays, Gen2ReadFileOptions } from "./decode.js";
import { Gen2BinError, reviveWorkerError } from "./errors.js";
import { assembleSplitResult, splitRows, type Gen2PartResult, type Gen2SplitPart, planGen2Split } from "./split-decode.js";
import { reportSharedMemory, runSplitJob, type SplitColumnsMemory, type SplitJob, type SplitJobResult } from "./split-jobs.js";

/** Files smaller than this are decoded in the calling thread by default (32 MiB). */
export const GEN2_SPLIT_MIN_BYTES = 32 * 1024 * 1024;

function defaultScript(): URL | null {
  const url = new URL("./decode-worker.js", import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : null;
}

/** Parts when `workers` is given as 0 ("as many as the processors"): the processors available, at most 4. */
function processorWorkers(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

const pools = new Map<string, WorkerPool<SplitJob, SplitJobResult>>();

/**
 * One pool per (script, size), kept for later calls: idle workers do not keep the process alive
 * (`@daqkit/io`'s `nodeWorkerFactory`), and a long-running process does not pay a worker start per file.
 */
function poolFor(script: URL | string | null, size: number): WorkerPool<SplitJob, SplitJobResult> {
  const key = `${script === null ? "" : String(script)}|${size}`;
  let pool = pools.get(key);
  if (!pool?.usable) {
    pool = new WorkerPool<SplitJob, SplitJobResult>({
      size,
      spawn: script === null ? undefined : nodeWorkerFactory(script),
      inline: runSplitJob,
      reviveError: reviveWorkerError,
    });
    pools.set(key, pool);
  }
  return pool;
}

/** Whether {@link splitDecodeFile} would split `size` bytes with these options (else: the one-thread reader). */
export function wantsSplit(size: number, options: Gen2ReadFileOptions): boolean {
  // Opt-in: on the 2-core VM the one-thread reader (decode on this thread while the thread pool reads
  // and takes the timestamp column's page faults) measured faster in wall time and ~10 % lower in CPU
  // time than two parts (the count pass, a second pass over memory no longer in the cache, the
  // barrier between the phases); see the README.
  const workers = splitWorkers(options);
  if (workers < 2 || typeof SharedArrayBuffer !== "function") return false;
  return size >= Math.max(16, options.splitMinBytes ?? GEN2_SPLIT_MIN_BYTES);
}

function splitWorkers(options: Gen2ReadFileOptions): number {
  const w = options.workers ?? 1;
  return w === 0 ? processorWorkers() : w;
}

/**
 * Decode the file at `path` (open as `source`) in parts on worker threads; the result equals the
 * one-thread reader's (same rows, stats, last header and errors), its packed columns are views of
 * `SharedArrayBuffer`s. Null when the plan has one part only (no header word near any cut point):
 * the caller decodes in one thread.
 */
export async function splitDecodeFile(path: string, source: ByteSource, options: Gen2ReadFileOptions): Promise<Gen2DecodedArrays | null> {
  const name = options.path ?? path;
  const size = source.size;
  const words = Math.floor(size / 8);
  const workers = splitWorkers(options);
  options.signal?.throwIfAborted();
  const plan = await planGen2Split(source, workers, { path: name });
  if (plan.length < 2) return null;
  try {
    return await decodeParts(path, name, size, words, workers, plan, options);
  } catch (error) {
    if (Gen2BinError.isInstance(error) || (options.signal?.aborted && error === options.signal.reason)) throw error;
    // A worker that died or could not start (the pool's IO_WORKER_FAILED).
    throw new Gen2BinError(
      "GEN2_WORKER_FAILED",
      `gen2: ${name}: a decode worker failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        path: name,
        cause: error,
      },
    );
  }
}

async function decodeParts(
  path: string,
  name: string,
  size: number,
  words: number,
  workers: number,
  plan: Gen2SplitPart[],
  options: Gen2ReadFileOptions,
): Promise<Gen2DecodedArrays> {
  const chunkBytes = Math.max(8, Math.floor((options.chunkBytes ?? 1024 * 1024) / 8) * 8);
  const withBoard = options.board === true;
  // Dropped results of earlier calls are SharedArrayBuffers, invisible to V8's GC heuristics.
  reportSharedMemory(words * (withBoard ? 19 : 18));
  const memory: SplitColumnsMemory = {
    xy: new SharedArrayBuffer(words * 2),
    timestamp: new SharedArrayBuffer(words * 8),
    phase: new SharedArrayBuffer(words * 4),
    baseline: new SharedArrayBuffer(words * 4),
    board: withBoard ? new SharedArrayBuffer(words) : null,
  };
  const script = options.workerScript ?? defaultScript();
  const pool = poolFor(script, Math.min(plan.length, workers));
  const header = options.header ?? null;
  // 1. Every part reads its words into the timestamp column and counts its photons.
  const counts = await Promise.all(
    plan.map(
      (part, i) =>
        pool.run({
          kind: "read",
          path,
          size,
          timestamp: memory.timestamp,
          startWord: part.startWord,
          endWord: part.endWord,
          hasHeader: i > 0 || header !== null,
          chunkBytes,
        }) as Promise<{ photons: number }>,
    ),
  );
  options.signal?.throwIfAborted();
  // 2. Each part's first row, and the words a part must copy out before the next part's rows overwrite them.
  const { rows, total, tails } = splitRows(
    plan,
    counts.map((c) => c.photons),
    memory.timestamp,
  );
  const results = (await Promise.all(
    plan.map((part, i) =>
      pool.run({
        kind: "decode",
        columns: memory,
        startWord: part.startWord,
        endWord: part.endWord,
        row: rows[i]!,
        tail: tails[i]?.tail ?? null,
        tailFromWord: tails[i]?.from ?? part.endWord,
        header: i === 0 ? header : null,
        board: withBoard,
      }),
    ),
  )) as Gen2PartResult[];
  results.forEach((r, i) => {
    if (r.photons !== counts[i]!.photons) {
      throw new Gen2BinError(
        "GEN2_WORKER_FAILED",
        `gen2: ${name}: part ${i} (words ${plan[i]!.startWord}..${plan[i]!.endWord}) decoded ${r.photons} photons, counted ${counts[i]!.photons} (the file changed while it was read?)`,
        { path: name, byteOffset: plan[i]!.startWord * 8 },
      );
    }
  });
  return assembleSplitResult(memory, results, total, size, header, name, options);
}
