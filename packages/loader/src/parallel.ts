/**
 * Cycles loaded on `@daqkit/io`'s {@link WorkerPool}: each job is one cycle (its FileDB snapshot and
 * the load plan), answered by `load-worker.ts`. Platform-neutral: the worker factory is given
 * (`@daqkit/loader/node` passes worker_threads); without one, or when no worker starts, the cycles
 * run one after another in this thread through the same code.
 */
import { type SerializedError, WorkerPool, type WorkerFactory, withTransfer, type Transferring } from "@daqkit/io";
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
export async function serveCycleRequest(req: CycleRequest, openPath?: HostLh5Opener): Promise<Transferring<CycleResult>> {
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
 * Build and load `files` on up to `size` workers made by `spawn` (two cycles in flight per worker,
 * so a worker never waits for its next job); results in file order.
 * @throws the first failing cycle's error (a LoaderError for `LOADER_*` codes)
 */
export async function runCyclesInPool(
  catalog: FileCatalog,
  files: readonly number[],
  job: CycleJob,
  options: {
    readonly size: number;
    readonly spawn: WorkerFactory | undefined;
    readonly openPath?: HostLh5Opener | undefined;
    readonly onProgress?: ((done: number, total: number) => void) | undefined;
  },
): Promise<CycleResult[]> {
  const pool = new WorkerPool<CycleRequest, CycleResult>({
    size: options.size,
    spawn: options.spawn,
    inline: (req) => runCycleRequest(req, options.openPath),
    jobsPerWorker: 2,
    reviveError: reviveWorkerError,
  });
  let done = 0;
  try {
    return await Promise.all(
      files.map(async (fileIndex) => {
        const snapshot = await snapshotCycle(catalog, fileIndex, job.tiers);
        const result = await pool.run({ job, snapshot });
        done++;
        options.onProgress?.(done, files.length);
        return result;
      }),
    );
  } finally {
    await pool.close();
  }
}
