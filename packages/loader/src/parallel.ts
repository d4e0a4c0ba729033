import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Worker } from "node:worker_threads";
import { type CycleJob, type CycleResult, snapshotCycle } from "./cycle-job.js";
import { LoaderError, type LoaderErrorCode } from "./errors.js";
import type { FileCatalog } from "./lh5-cycle.js";

/** The worker script next to this module (present in the built package only). */
function workerUrl(): URL | null {
  const url = new URL("./load-worker.js", import.meta.url);
  try {
    return url.protocol === "file:" && existsSync(fileURLToPath(url)) ? url : null;
  } catch {
    return null;
  }
}

/**
 * The parent's Node flags without export conditions: a test runner's `--conditions @daqkit/source`
 * would make the worker (plain Node) resolve workspace packages to their TypeScript sources.
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--conditions" || a === "-C") {
      i++;
      continue;
    }
    if (a.startsWith("--conditions=") || a.startsWith("-C=")) continue;
    out.push(a);
  }
  return out;
}

/**
 * The error a worker posted (see load-worker.ts), as thrown in the parent: a `LoaderError` again for
 * `LOADER_*` codes; any other error keeps its name, code and stack and, when it came from another daqkit
 * package (FileDB, LH5), its `category` and `Symbol.for("daqkit.error")` marker (the CLI's exit code
 * depends on them).
 */
export function reviveWorkerError(e: Record<string, unknown>): Error {
  const code = String(e.code ?? "");
  if (code.startsWith("LOADER_")) {
    return new LoaderError(code as LoaderErrorCode, String(e.message), {
      ...(e.path === undefined ? {} : { path: e.path as string }),
      ...(e.fileIndex === undefined ? {} : { fileIndex: e.fileIndex as number }),
      ...(e.row === undefined ? {} : { row: e.row as number }),
      ...(e.table === undefined ? {} : { table: e.table as number | string }),
    });
  }
  const error = Object.assign(new Error(String(e.message)), { code: e.code, name: e.name });
  if (typeof e.stack === "string") error.stack = e.stack;
  if (e.daqkit === true) Object.assign(error, { category: e.category, path: e.path, row: e.row, [Symbol.for("daqkit.error")]: true });
  return error;
}

/** True when cycles can be processed in worker threads (the built package ships the worker script). */
export function parallelAvailable(): boolean {
  return workerUrl() !== null;
}

/**
 * Run {@link CycleJob}s for `files` on `workers` worker threads (each with its own h5wasm), results in
 * file order. Each worker takes the next cycle when it is done with one.
 * @throws the first cycle's error (as a LoaderError when it had a LOADER_ code).
 */
export async function runCyclesInWorkers(
  catalog: FileCatalog,
  files: readonly number[],
  job: CycleJob,
  workers: number,
  onProgress?: (done: number, total: number) => void,
): Promise<CycleResult[]> {
  const url = workerUrl();
  if (!url) throw new LoaderError("LOADER_BAD_ARGUMENT", "loader: parallel loading needs the built package (dist/load-worker.js)");
  const { Worker } = await import("node:worker_threads");
  const results: CycleResult[] = new Array(files.length);
  const pool: Worker[] = [];
  let next = 0;
  let done = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let failed = false;
      const feed = async (w: Worker) => {
        if (failed) return;
        if (next >= files.length) {
          if (done === files.length) resolve();
          return;
        }
        const i = next++;
        try {
          const snapshot = await snapshotCycle(catalog, files[i] as number, job.tiers);
          w.postMessage({ id: i, job, snapshot });
        } catch (error) {
          failed = true;
          reject(error);
        }
      };
      const n = Math.max(1, Math.min(workers, files.length));
      for (let k = 0; k < n; k++) {
        const w = new Worker(url, { execArgv: workerExecArgv() });
        pool.push(w);
        w.on("message", (msg: { id: number; result?: CycleResult; error?: Record<string, unknown> }) => {
          if (msg.error) {
            failed = true;
            reject(reviveWorkerError(msg.error));
            return;
          }
          results[msg.id] = msg.result as CycleResult;
          done++;
          onProgress?.(done, files.length);
          if (done === files.length) resolve();
          else void feed(w);
        });
        w.on("error", (error) => {
          failed = true;
          reject(error);
        });
        // Two cycles in flight per worker, so a worker never waits for the next job.
        void feed(w).then(() => feed(w));
      }
      if (files.length === 0) resolve();
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results;
}
