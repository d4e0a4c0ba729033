/**
 * The page side of the viewer's Web Worker. Each panel owns one `WorkerClient`: one worker that keeps
 * state between jobs (open files), started on first use. Cancelling the worker's only job terminates
 * the worker (the only way to stop synchronous HDF5 or decoding work; the next job starts a fresh
 * one); cancelling one of several jobs drops just that job (skipped if it has not started).
 */
import type { SerializedError } from "@daqkit/io";
import type { JobReply, JobRequest } from "./protocol.js";

export interface Progress {
  readonly done: number;
  readonly total: number;
  readonly label?: string;
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
  readonly transfer?: Transferable[];
}

/** An error from the worker, with its code (e.g. `GEN2_PARTIAL_WORD`, `LH5_…`) kept. */
export class JobError extends Error {
  readonly code: string;
  constructor(error: SerializedError | { code?: string; message: string }) {
    super(error.message);
    this.name = "JobError";
    this.code = (error as { code?: string }).code ?? "VIEW_JOB_FAILED";
    Object.assign(this, error);
  }
}

export class CancelledError extends Error {
  readonly code = "VIEW_CANCELLED";
  constructor() {
    super("cancelled");
    this.name = "CancelledError";
  }
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  onProgress?: (p: Progress) => void;
}

export function pluginBaseUrl(): string {
  return new URL("h5wasm-plugins", document.baseURI).href;
}

/** The viewer's own worker (worker.ts, bundled by Vite). */
function spawnViewerWorker(): Worker {
  return new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
}

/** A viewer worker started ahead of need ({@link prestartWorker}), and whether it failed meanwhile. */
let spare: { worker: Worker; failed: boolean } | undefined;

/**
 * Start a viewer worker now, for the next `WorkerClient` that needs one (issue 16: its script loads
 * and compiles while the page lists and detects the input, not after the panel's first job is asked
 * for). At most one is kept; one that failed to start is replaced by a fresh one when taken.
 */
export function prestartWorker(): void {
  if (spare || typeof Worker === "undefined") return;
  const s = { worker: spawnViewerWorker(), failed: false };
  s.worker.onerror = (event) => {
    event.preventDefault();
    s.failed = true;
  };
  spare = s;
}

/** The spare worker if there is a sound one, else a fresh one. */
function takeViewerWorker(): Worker {
  const s = spare;
  spare = undefined;
  if (!s) return spawnViewerWorker();
  s.worker.onerror = null;
  if (!s.failed) return s.worker;
  s.worker.terminate();
  return spawnViewerWorker();
}

export class WorkerClient {
  #worker: Worker | undefined;
  #next = 1;
  readonly #pending = new Map<number, Pending>();

  readonly #spawn: () => Worker;

  /** `spawn` starts the worker (default: the viewer's own worker.ts, bundled by Vite; the prestarted one if any). */
  constructor(spawn?: () => Worker) {
    this.#spawn = spawn ?? takeViewerWorker;
  }

  #start(): Worker {
    const worker = this.#spawn();
    worker.onmessage = (event: MessageEvent<JobReply>) => {
      const reply = event.data;
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      if (reply.type === "progress") pending.onProgress?.({ done: reply.done, total: reply.total, label: reply.label });
      else {
        this.#pending.delete(reply.id);
        if (reply.type === "ok") pending.resolve(reply.result);
        else pending.reject(new JobError(reply.error));
      }
    };
    worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(new JobError({ code: "VIEW_WORKER_FAILED", message: `view: the worker failed: ${event.message || "unknown error"}` }));
    };
    worker.onmessageerror = () =>
      this.#fail(new JobError({ code: "VIEW_WORKER_FAILED", message: "view: a worker message could not be read" }));
    return worker;
  }

  #fail(error: Error): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(error);
  }

  run<T>(job: string, args: unknown, options: RunOptions = {}): Promise<T> {
    if (options.signal?.aborted) return Promise.reject(new CancelledError());
    this.#worker ??= this.#start();
    const id = this.#next++;
    const request: JobRequest = { id, job, args, env: { pluginBaseUrl: pluginBaseUrl() } };
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress: options.onProgress });
      options.signal?.addEventListener("abort", () => {
        const pending = this.#pending.get(id);
        if (!pending) return;
        if (this.#pending.size === 1) {
          // the worker's only job: stop it now (synchronous HDF5 or decoding cannot be interrupted otherwise)
          this.#fail(new CancelledError());
          return;
        }
        // other jobs share the worker: drop this one (skipped if not started yet, its result ignored)
        this.#pending.delete(id);
        this.#worker?.postMessage({ cancel: id });
        pending.reject(new CancelledError());
      });
      this.#worker!.postMessage(request, options.transfer ?? []);
    });
  }

  close(): void {
    this.#fail(new CancelledError());
  }
}
