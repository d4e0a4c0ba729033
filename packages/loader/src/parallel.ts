/**
 * Cycles loaded on `@daqkit/io`'s {@link WorkerPool}: each job is one cycle (its FileDB snapshot and
 * the load plan), answered by `load-worker.ts`. Platform-neutral: the worker factory is given
 * (`@daqkit/loader/node` passes worker_threads); without one, or when no worker starts, the cycles
 * run one after another in this thread through the same code.
 */
import { IoError, type SerializedError, type Transferring, type WorkerFactory, WorkerPool, withTransfer } from "@daqkit/io";
import { catalogFromSnapshot, type CycleJob, type CycleResult, type CycleSnapshot, runCycleJob, snapshotCycle } from "./cycle-job.js";
import { LoaderError, type LoaderErrorCode } from "./errors.js";
import { type FileCatalog, type HostLh5Opener, openLh5Cycle } from "./lh5-cycle.js";

/** One job of the pool: a cycle's snapshot and what to build and load from it. */
export interface CycleRequest {
  readonly job: CycleJob;
  readonly snapshot: CycleSnapshot;
}

/** ArrayBuffers owned exclusively by one typed array of `value` (walks Maps, arrays, objects). */
function transferables(value: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const seen = new Set<unknown>();
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== "object" || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      const b = v.buffer;
      if (b instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === b.byteLength) out.add(b);
      return;
    }
    if (v instanceof Map) for (const x of v.values()) walk(x);
    else if (Array.isArray(v)) for (const x of v) walk(x);
    else for (const x of Object.values(v)) walk(x);
  };
  walk(value);
  return [...out];
}

/**
 * Build and load one cycle of a request (in a worker, or in this thread as the pool's fallback); the
 * snapshot names host paths, opened by `openPath` (`@daqkit/lh5/node`'s `openLh5`).
 */
export async function runCycleRequest(req: CycleRequest, openPath?: HostLh5Opener): Promise<CycleResult> {
  const src = await openLh5Cycle(catalogFromSnapshot(req.snapshot), req.snapshot.fileIndex, req.job.tiers, openPath);
  try {
    return runCycleJob(src, req.job);
  } finally {
    src.close();
  }
}

/** The worker side: {@link runCycleRequest} with the result's typed arrays moved, not copied (they are fresh reads). */
export async function serveCycleRequest(
  req: CycleRequest | WarmUpRequest,
  openPath?: HostLh5Opener,
  warmUp?: () => Promise<unknown>,
): Promise<Transferring<CycleResult> | null> {
  if ("warmUp" in req) {
    await warmUp?.();
    return null;
  }
  const result = await runCycleRequest(req, openPath);
  return withTransfer(result, transferables(result));
}

/**
 * A worker's error as thrown in the parent: a `LoaderError` again for `LOADER_*` codes; any other
 * error keeps its name, code and stack and, when it came from another daqkit package (FileDB, LH5),
 * its context fields (`category`, `path`, …) and `Symbol.for("daqkit.error")` marker (the CLI's exit
 * code depends on them).
 */
export function reviveWorkerError(e: SerializedError): Error {
  const code = e.code ?? "";
  const c = e.context;
  if (code.startsWith("LOADER_")) {
    return new LoaderError(code as LoaderErrorCode, e.message, {
      ...(typeof c.path === "string" ? { path: c.path } : {}),
      ...(typeof c.fileIndex === "number" ? { fileIndex: c.fileIndex } : {}),
      ...(typeof c.row === "number" ? { row: c.row } : {}),
      ...(typeof c.level === "string" ? { level: c.level } : {}),
      ...(typeof c.table === "number" || typeof c.table === "string" ? { table: c.table } : {}),
    });
  }
  const error = Object.assign(new Error(e.message), { name: e.name }, e.code === undefined ? {} : { code: e.code });
  if (e.stack !== undefined) error.stack = e.stack;
  if (e.daqkit) Object.assign(error, c, { [Symbol.for("daqkit.error")]: true });
  return error;
}

/**
 * Bytes of input (summed tier file sizes, from the FileDB) below which no worker is started. Measured
 * on the 2-core shared VM with `packages/loader/bench/load.bench.mjs` (gzip LH5, ~1.05 MB per cycle):
 * a loader worker cost ~0.4 s of CPU to start (worker_threads, module graph, h5wasm; ~0.2 s since the
 * worker script is bundled) and a one-thread load already keeps ~1.4 cores busy (GC and compiler
 * threads), so at 25 cycles (26 MB) two threads were slower than one in every interleaved pair
 * (0.59–0.81×), at 100 cycles (105 MB) faster when the machine was not saturated. The threshold sits
 * between, at 64 MiB; it is rough and was not measured again after the cheaper start (see README).
 */
export const MIN_PARALLEL_BYTES = 64 * 1024 * 1024;

/** A request the worker answers without loading a cycle: it starts (imports the LH5 stack) and says so. */
export interface WarmUpRequest {
  readonly warmUp: true;
}

/** Options of {@link runCyclesShared}. */
export interface SharedRunOptions {
  /** Threads of execution, this one included: `workers - 1` worker threads are started at most. */
  readonly workers: number;
  readonly spawn: WorkerFactory | undefined;
  readonly openPath?: HostLh5Opener | undefined;
  /** Runs one cycle in this thread (the same code a worker runs). */
  readonly inline: (fileIndex: number) => Promise<CycleResult>;
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
  /** Input bytes below which no worker is started (default {@link MIN_PARALLEL_BYTES}). */
  readonly minBytes?: number;
  /** Reports how the cycles were run (tests, benches). */
  readonly onSchedule?:
    | ((info: { readonly workersStarted: number; readonly cyclesOnWorkers: number; readonly inputBytes: number | null }) => void)
    | undefined;
}

/** Summed sizes of the cycles' tier files, or null when the catalog does not know them all. */
function inputBytes(catalog: FileCatalog, files: readonly number[], tiers: readonly string[]): number | null {
  if (!catalog.tierSize) return null;
  let total = 0;
  for (const f of files)
    for (const t of tiers) {
      if (!catalog.tiers.includes(t)) continue;
      const n = catalog.tierSize(f, t);
      if (n === undefined) return null;
      total += n;
    }
  return total;
}

/**
 * Build and load `files` with work stealing from one queue: this thread takes cycles from the front
 * as soon as the load starts, and `workers - 1` worker threads (started only when the input is at
 * least `minBytes`) join in once they have started and warmed up (a warm-up job, so no cycle waits
 * for a worker's start-up). At most two cycles are in flight per worker (bounded memory); results
 * come back with their typed arrays transferred, and are returned in `files` order, identical to a
 * one-thread load. A cycle whose worker died is run again in this thread. On a failing cycle no
 * further cycle is taken, the ones in flight finish, and the error of the earliest failing cycle in
 * `files` order is thrown (the one a one-thread load throws).
 */
export async function runCyclesShared(
  catalog: FileCatalog,
  files: readonly number[],
  job: CycleJob,
  options: SharedRunOptions,
): Promise<CycleResult[]> {
  const results: (CycleResult | undefined)[] = new Array(files.length);
  const errors = new Map<number, unknown>();
  const retry: number[] = [];
  let next = 0;
  let done = 0;
  let stop = false;
  const take = (): number | undefined => {
    if (stop) return undefined;
    if (retry.length > 0) return retry.shift();
    return next < files.length ? next++ : undefined;
  };
  const finished = (i: number, result: CycleResult) => {
    results[i] = result;
    done++;
    options.onProgress?.(done, files.length);
  };
  const failed = (i: number, error: unknown) => {
    errors.set(i, error);
    stop = true;
  };
  const bytes = inputBytes(catalog, files, job.tiers);
  const useWorkers =
    options.workers > 1 &&
    options.spawn !== undefined &&
    files.length > 1 &&
    (bytes === null || bytes >= (options.minBytes ?? MIN_PARALLEL_BYTES));
  const pool = useWorkers
    ? new WorkerPool<CycleRequest | WarmUpRequest, CycleResult | null>({
        size: options.workers - 1,
        spawn: options.spawn,
        jobsPerWorker: 2,
        reviveError: reviveWorkerError,
      })
    : null;
  let cyclesOnWorkers = 0;
  const inFlight = new Set<Promise<void>>();
  // A worker's second lane keeps a cycle queued behind the one it is loading (no idle gap between
  // its cycles), but only while enough cycles are left: at the end of the queue a cycle queued behind
  // another on a worker would finish later than if this thread took it.
  const lane = async (p: WorkerPool<CycleRequest | WarmUpRequest, CycleResult | null>, second: boolean): Promise<void> => {
    try {
      await p.run({ warmUp: true });
    } catch {
      return; // the worker did not start: this thread does the work
    }
    const lanes = 2 * (options.workers - 1) + 1;
    const takeHere = () => (second && files.length - next <= lanes ? undefined : take());
    for (let i = takeHere(); i !== undefined; i = takeHere()) {
      const fileIndex = files[i] as number;
      let settle!: () => void;
      const cycle = new Promise<void>((r) => {
        settle = r;
      });
      inFlight.add(cycle);
      try {
        const snapshot = await snapshotCycle(catalog, fileIndex, job.tiers);
        const result = (await p.run({ job, snapshot })) as CycleResult;
        cyclesOnWorkers++;
        finished(i, result);
      } catch (error) {
        // A dead worker's cycle runs again in this thread; this lane stops (its worker is gone).
        if (isWorkerDeath(error)) retry.push(i);
        else failed(i, error);
        return;
      } finally {
        inFlight.delete(cycle);
        settle();
      }
    }
  };
  if (pool) for (let k = 0; k < 2 * (options.workers - 1); k++) void lane(pool, k >= options.workers - 1); // lanes never reject
  try {
    for (;;) {
      for (let i = take(); i !== undefined; i = take()) {
        try {
          finished(i, await options.inline(files[i] as number));
        } catch (error) {
          failed(i, error);
        }
        // A cycle here may complete without a macrotask (synchronous reads): let the workers'
        // messages (warm-up done, results) in between cycles, or they would wait for the end.
        if (pool) await yieldToEventLoop();
      }
      // Wait only for cycles in flight on workers, not for a worker still starting (it is dropped).
      if (inFlight.size > 0) await Promise.race(inFlight);
      else if (stop || retry.length === 0) break;
    }
  } finally {
    stop = true;
    await pool?.close();
  }
  options.onSchedule?.({ workersStarted: pool ? options.workers - 1 : 0, cyclesOnWorkers, inputBytes: bytes });
  if (errors.size > 0) throw errors.get(Math.min(...errors.keys()));
  return results as CycleResult[];
}

/** Resolve after pending macrotasks (messages from workers) have run. */
function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}

function isWorkerDeath(error: unknown): boolean {
  return error instanceof IoError && error.code === "IO_WORKER_FAILED";
}
