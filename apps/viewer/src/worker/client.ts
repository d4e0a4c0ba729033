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
 * for), and have it load the jobs of format `preload` ahead. At most one is kept; one that failed to
 * start is replaced by a fresh one when taken.
 */
export function prestartWorker(preload?: string): void {
  // (a job started early already has the worker the first panel will take)
  if (spare || early || typeof Worker === "undefined") return;
  const s = { worker: spawnViewerWorker(), failed: false };
  // the jobs of format `preload` (e.g. "gen2") load as soon as the worker runs
  if (preload) s.worker.postMessage({ preload });
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

/** The key of a job and its arguments (JSON: structured-clonable plain data; not for `File`s). */
function jobKey(job: string, args: unknown): string {
  return JSON.stringify([job, args]);
}

/** A job a client started before anyone asked for it ({@link WorkerClient.runEarly}). */
interface EarlyRun {
  readonly key: string;
  readonly abort: AbortController;
  result: Promise<unknown>;
  /** The taker's progress listener, and the last progress before it came. */
  onProgress: ((p: Progress) => void) | undefined;
  last: Progress | undefined;
}

export class WorkerClient {
  #worker: Worker | undefined;
  #early: EarlyRun | undefined;
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

  /**
   * Start `job` now, for the first {@link run} of the same job with equal arguments (as JSON) on this
   * client to take, progress and all, instead of starting it again (issue 16: the bootstrap starts a
   * served gen2 night's scan before the app has loaded). Arguments must be plain data (no `File`s).
   */
  runEarly(job: string, args: unknown): void {
    const run: EarlyRun = {
      key: jobKey(job, args),
      abort: new AbortController(),
      result: Promise.resolve(),
      onProgress: undefined,
      last: undefined,
    };
    run.result = this.#runNow(job, args, {
      signal: run.abort.signal,
      onProgress: (p) => {
        if (run.onProgress) run.onProgress(p);
        else run.last = p;
      },
    });
    run.result.catch(() => undefined);
    this.#early = run;
  }

  run<T>(job: string, args: unknown, options: RunOptions = {}): Promise<T> {
    const early = this.#early;
    if (early && !options.transfer?.length && early.key === jobKey(job, args)) {
      this.#early = undefined;
      if (options.signal?.aborted) {
        early.abort.abort();
        return Promise.reject(new CancelledError());
      }
      early.onProgress = options.onProgress;
      if (early.last) options.onProgress?.(early.last);
      options.signal?.addEventListener("abort", () => early.abort.abort());
      return early.result as Promise<T>;
    }
    return this.#runNow(job, args, options);
  }

  #runNow<T>(job: string, args: unknown, options: RunOptions): Promise<T> {
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
    this.#early = undefined;
    this.#fail(new CancelledError());
  }
}

/**
 * The client of a job started before the app loaded ({@link startEarly}), until a panel takes it
 * ({@link takeEarly}) or it is dropped ({@link dropEarly}).
 */
let early: { readonly client: WorkerClient; readonly key: string } | undefined;

/** Start `job` in a new client now, for the panel that will ask for the same job and arguments (plain data). */
export function startEarly(job: string, args: unknown): void {
  dropEarly();
  if (typeof Worker === "undefined") return;
  const client = new WorkerClient();
  client.runEarly(job, args);
  early = { client, key: jobKey(job, args) };
}

/** The last early client taken: asked again for the same job (React's StrictMode renders twice in development), the same client. */
let taken: { readonly client: WorkerClient; readonly key: string } | undefined;

/** The client running the early job when it is `job` with equal `args`, else undefined. */
export function takeEarly(job: string, args: unknown): WorkerClient | undefined {
  const key = jobKey(job, args);
  if (!early) return taken?.key === key ? taken.client : undefined;
  if (early.key !== key) return undefined;
  taken = early;
  early = undefined;
  return taken.client;
}

/** Stop an early job no panel took (the user opened something else): its worker is terminated. */
export function dropEarly(): void {
  const e = early;
  early = undefined;
  e?.client.close();
}
