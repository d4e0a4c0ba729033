/**
 * worker_threads for {@link WorkerPool} (Node only). `node:worker_threads` is imported when the
 * first worker starts, so importing this module costs nothing.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { IoError } from "./errors.js";
import { type JobPort, type PoolWorker, serveJobs, type Transferring, type WorkerFactory } from "./worker-pool.js";

/** Options of {@link nodeWorkerFactory}. */
export interface NodeWorkerOptions {
  /** `script` is the worker's source text (CommonJS), not a file (Node's `eval: true`). */
  readonly eval?: boolean;
  /** `workerData` of each worker. */
  readonly workerData?: unknown;
  /**
   * Node flags of the workers. Default: this process's flags without `--conditions`/`-C` (a test
   * runner's `--conditions @daqkit/source` would make a plain-Node worker resolve workspace
   * packages to their TypeScript sources) and without `--expose-gc` (a V8 flag, in effect in the
   * workers anyway, that `worker_threads` rejects: every worker of a `node --expose-gc` process
   * failed to start, so the pool ran its jobs in the calling thread).
   */
  readonly execArgv?: readonly string[];
  /** Keep the process alive while a worker is idle (default false: only busy workers hold it). */
  readonly keepAlive?: boolean;
  /** Heap limit of each worker in MiB. */
  readonly maxOldGenerationSizeMb?: number;
}

/** This process's Node flags without export conditions and `--expose-gc` (rejected by `worker_threads`). */
export function execArgvWithoutConditions(argv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--conditions" || a === "-C") {
      i++;
      continue;
    }
    if (a.startsWith("--conditions=") || a.startsWith("-C=")) continue;
    if (a === "--expose-gc" || a === "--expose_gc") continue;
    out.push(a);
  }
  return out;
}

function scriptExists(script: URL | string): boolean {
  try {
    if (script instanceof URL) return script.protocol !== "file:" || existsSync(script);
    return existsSync(script);
  } catch {
    return false;
  }
}

/**
 * A factory of worker_threads running `script` (a file URL or path, or with `eval` the source
 * text). The script answers jobs with {@link serveNodeJobs}. A worker that cannot start (e.g. a
 * missing file) makes the pool fall back to its inline runner, or fail with `IO_WORKER_FAILED`.
 */
export function nodeWorkerFactory(script: URL | string, options: NodeWorkerOptions = {}): WorkerFactory {
  return async (): Promise<PoolWorker> => {
    if (options.eval !== true && !scriptExists(script)) {
      throw new IoError("IO_NOT_FOUND", `io: worker script ${String(script)} does not exist`, { path: String(script) });
    }
    const { Worker } = await import("node:worker_threads");
    const worker = new Worker(script, {
      eval: options.eval === true,
      workerData: options.workerData,
      execArgv: [...(options.execArgv ?? execArgvWithoutConditions())],
      ...(options.maxOldGenerationSizeMb ? { resourceLimits: { maxOldGenerationSizeMb: options.maxOldGenerationSizeMb } } : {}),
    });
    let failed = false;
    let terminating = false;
    return {
      postMessage: (message, transfer) => worker.postMessage(message, transfer as never),
      onMessage: (listener) => worker.on("message", listener),
      onFailure: (listener) => {
        const fail = (error: Error) => {
          if (failed || terminating) return;
          failed = true;
          listener(error);
        };
        worker.on("error", fail);
        worker.on("messageerror", fail);
        worker.on("exit", (code) => fail(new Error(`worker exited with code ${code}`)));
      },
      terminate: () => {
        terminating = true;
        return worker.terminate();
      },
      setBusy: (busy) => {
        if (busy || options.keepAlive) worker.ref();
        else worker.unref();
      },
    };
  };
}

/**
 * The worker side of a pool in a worker thread: answer each job posted by the pool with the
 * handler's result (see {@link serveJobs}; return {@link withTransfer} to move buffers back).
 * Outside a worker thread (the script imported on the main thread) it does nothing.
 * @returns true when serving, false outside a worker thread
 */
export async function serveNodeJobs<J, R>(handler: (job: J) => R | Transferring<R> | Promise<R | Transferring<R>>): Promise<boolean> {
  const { parentPort } = await import("node:worker_threads");
  if (!parentPort) return false;
  const port = parentPort;
  const jobPort: JobPort = {
    postMessage: (message, transfer) => port.postMessage(message, transfer as never),
    onMessage: (listener) => port.on("message", listener),
  };
  serveJobs(handler, jobPort);
  return true;
}

/** Workers to use by default: `min(max, os.availableParallelism())`, at least 1. */
export function defaultWorkerCount(max = Number.POSITIVE_INFINITY): number {
  return Math.max(1, Math.min(max, availableParallelism()));
}
