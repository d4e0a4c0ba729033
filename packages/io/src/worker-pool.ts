/**
 * One worker pool for daqkit, platform-neutral: jobs run on workers made by a {@link WorkerFactory}
 * (Web Workers in browsers via {@link webWorkerFactory}; worker_threads in Node via
 * `nodeWorkerFactory` from `@daqkit/io/node`), or one after another in the calling thread when
 * workers are unavailable or one is asked for (the sequential fallback).
 *
 * Protocol: the pool posts `{ id, job }`; the worker script answers `{ id, ok: true, result }` or
 * `{ id, ok: false, error }` ({@link serveJobs} does this around a handler).
 */
import { IoError } from "./errors.js";

/** An error as it crosses a worker boundary: name, message, code and scalar context fields. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  /** The coded error's `code`, if any. */
  readonly code?: string;
  readonly stack?: string;
  /** True when the error carried the `Symbol.for("daqkit.error")` marker. */
  readonly daqkit: boolean;
  /** Own string/number/boolean fields besides the above (e.g. `path`, `byteOffset`, `row`). */
  readonly context: Readonly<Record<string, string | number | boolean>>;
}

const MARKER = Symbol.for("daqkit.error");

/** Serialize an error for `postMessage` (structured clone keeps neither class nor marker). */
export function serializeError(error: unknown): SerializedError {
  if (typeof error !== "object" || error === null) return { name: "Error", message: String(error), daqkit: false, context: {} };
  const e = error as Record<string, unknown> & Record<symbol, unknown>;
  const context: Record<string, string | number | boolean> = {};
  for (const [key, value] of Object.entries(e)) {
    if (key === "name" || key === "message" || key === "code" || key === "stack") continue;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") context[key] = value;
  }
  return {
    name: typeof e.name === "string" ? e.name : "Error",
    message: typeof e.message === "string" ? e.message : String(error),
    ...(typeof e.code === "string" ? { code: e.code } : {}),
    ...(typeof e.stack === "string" ? { stack: e.stack } : {}),
    daqkit: e[MARKER] === true,
    context,
  };
}

/** Default revival of a worker's error: `IO_WORKER_FAILED` with the original as `cause`. */
function defaultRevive(error: SerializedError): Error {
  const cause = Object.assign(
    new Error(error.message),
    { name: error.name, ...error.context },
    error.code ? { code: error.code } : {},
    error.stack ? { stack: error.stack } : {},
  );
  return new IoError("IO_WORKER_FAILED", `io: worker job failed: ${error.code ? `${error.code}: ` : ""}${error.message}`, { cause });
}

/** One worker as the pool sees it (see {@link webWorkerFactory} and `nodeWorkerFactory`). */
export interface PoolWorker {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  /** Register the listener for the worker's messages (called once). */
  onMessage(listener: (message: unknown) => void): void;
  /** Register the listener for the worker's death: an uncaught error, a failed start, an exit (called once). */
  onFailure(listener: (error: Error) => void): void;
  /** Stop the worker (may return a promise). */
  terminate(): unknown;
  /** Node: keep the process alive while the worker has jobs (`ref`), not when idle (`unref`). */
  setBusy?(busy: boolean): void;
}

/** Makes a worker; may throw or reject (e.g. no worker support, a missing script). */
export type WorkerFactory = () => PoolWorker | Promise<PoolWorker>;

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions<J, R> {
  /** Number of workers at most (started on demand). With 1 (or 0) and `inline`, jobs run sequentially in this thread. */
  readonly size: number;
  /** Makes a worker; `undefined` when workers are unavailable (then `inline` runs every job). */
  readonly spawn?: WorkerFactory | undefined;
  /** Runs a job in the calling thread: the sequential fallback (also used when starting a worker fails). */
  readonly inline?: (job: J) => R | Promise<R>;
  /** Jobs in flight per worker (default 1; 2 keeps a worker busy while the next job is prepared). */
  readonly jobsPerWorker?: number;
  /** Turns a worker's serialized error into the error `run` rejects with (default `IO_WORKER_FAILED`). */
  readonly reviveError?: (error: SerializedError) => Error;
}

interface Pending<J, R> {
  id: number;
  job: J;
  transfer: Transferable[] | undefined;
  resolve(value: R): void;
  reject(error: unknown): void;
}

interface Slot<J, R> {
  worker: PoolWorker | undefined;
  inFlight: Map<number, Pending<J, R>>;
  dead: boolean;
}

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: SerializedError;
}

/**
 * Runs jobs of type `J` giving `R` on up to `size` workers, or sequentially in this thread.
 * A worker that dies rejects its own jobs with `IO_WORKER_FAILED`; the others go on (a dead worker is
 * replaced, at most `size` times in all). Results come back per job (callers keep their own order).
 */
export class WorkerPool<J, R> {
  readonly #options: WorkerPoolOptions<J, R>;
  readonly #slots: Slot<J, R>[] = [];
  readonly #queue: Pending<J, R>[] = [];
  #nextId = 1;
  #deaths = 0;
  #closed = false;
  #sequential: boolean;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: WorkerPoolOptions<J, R>) {
    if (!Number.isInteger(options.size) || options.size < 0) {
      throw new IoError("IO_BAD_ARGUMENT", `io: worker pool size must be a whole number ≥ 0, got ${options.size}`);
    }
    if (!options.inline && (!options.spawn || options.size === 0)) {
      throw new IoError("IO_BAD_ARGUMENT", "io: a worker pool needs workers (spawn and size ≥ 1) or an inline fallback");
    }
    this.#options = options;
    this.#sequential = !options.spawn || (options.size <= 1 && options.inline !== undefined);
  }

  /** `"workers"`, or `"sequential"` (jobs run one after another in this thread). */
  get mode(): "workers" | "sequential" {
    return this.#sequential ? "sequential" : "workers";
  }

  /** False once the pool is closed, or when every worker it may start has died. */
  get usable(): boolean {
    return !this.#closed && (this.#sequential || this.#deaths < this.#options.size);
  }

  /**
   * Run one job. `transfer` lists buffers of `job` to move to the worker instead of copying.
   * @throws the job's own error (sequential mode), the revived worker error, or IoError `IO_WORKER_FAILED`
   */
  run(job: J, transfer?: Transferable[]): Promise<R> {
    if (this.#closed) return Promise.reject(new IoError("IO_WORKER_FAILED", "io: the worker pool is closed"));
    if (this.#sequential) return this.#runInline(job);
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, job, transfer, resolve, reject });
      this.#pump();
    });
  }

  #runInline(job: J): Promise<R> {
    const inline = this.#options.inline as (job: J) => R | Promise<R>;
    const result = this.#tail.then(() => inline(job));
    this.#tail = result.catch(() => undefined);
    return result;
  }

  #pump(): void {
    const perWorker = Math.max(1, this.#options.jobsPerWorker ?? 1);
    for (const slot of this.#slots) {
      while (slot.worker && !slot.dead && slot.inFlight.size < perWorker && this.#queue.length > 0) {
        this.#post(slot, this.#queue.shift() as Pending<J, R>);
      }
    }
    // Start workers on demand: while the queue holds more than the workers being started will take.
    for (;;) {
      const starting = this.#slots.filter((s) => !s.worker).length;
      if (this.#queue.length <= starting * perWorker) break;
      if (this.#slots.length >= this.#options.size || this.#deaths >= this.#options.size || this.#sequential) break;
      this.#start();
    }
    if (this.#slots.length === 0 && this.#queue.length > 0 && this.#deaths >= this.#options.size) {
      const error = new IoError("IO_WORKER_FAILED", "io: no worker is alive (each one died)");
      for (const p of this.#queue.splice(0)) p.reject(error);
    }
  }

  #post(slot: Slot<J, R>, pending: Pending<J, R>): void {
    slot.inFlight.set(pending.id, pending);
    slot.worker?.setBusy?.(true);
    try {
      slot.worker?.postMessage({ id: pending.id, job: pending.job }, pending.transfer ?? []);
    } catch (error) {
      slot.inFlight.delete(pending.id);
      pending.reject(new IoError("IO_WORKER_FAILED", `io: cannot send a job to a worker: ${String(error)}`, { cause: error }));
    }
  }

  #start(): void {
    const slot: Slot<J, R> = { worker: undefined, inFlight: new Map(), dead: false };
    this.#slots.push(slot);
    let made: PoolWorker | Promise<PoolWorker>;
    try {
      made = (this.#options.spawn as WorkerFactory)();
    } catch (error) {
      this.#startFailed(slot, error);
      return;
    }
    Promise.resolve(made).then(
      (worker) => {
        if (this.#closed || slot.dead) {
          void worker.terminate();
          return;
        }
        slot.worker = worker;
        worker.onMessage((message) => this.#reply(slot, message as Reply));
        worker.onFailure((error) => this.#died(slot, error));
        worker.setBusy?.(false);
        this.#pump();
      },
      (error: unknown) => this.#startFailed(slot, error),
    );
  }

  #startFailed(slot: Slot<J, R>, error: unknown): void {
    this.#remove(slot);
    if (this.#options.inline && this.#slots.length === 0) {
      // No worker at all: the sequential fallback takes every queued and later job.
      this.#sequential = true;
      for (const p of this.#queue.splice(0)) this.#runInline(p.job).then(p.resolve, p.reject);
      return;
    }
    this.#deaths++;
    const wrapped = new IoError(
      "IO_WORKER_FAILED",
      `io: cannot start a worker: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
    if (this.#slots.length === 0) for (const p of this.#queue.splice(0)) p.reject(wrapped);
    else this.#pump();
  }

  #reply(slot: Slot<J, R>, message: Reply): void {
    const pending = slot.inFlight.get(message?.id);
    if (!pending) return;
    slot.inFlight.delete(message.id);
    if (slot.inFlight.size === 0) slot.worker?.setBusy?.(false);
    if (message.ok) pending.resolve(message.result as R);
    else pending.reject((this.#options.reviveError ?? defaultRevive)(message.error ?? serializeError(new Error("worker failed"))));
    this.#pump();
  }

  #died(slot: Slot<J, R>, error: Error): void {
    if (slot.dead || this.#closed) return;
    slot.dead = true;
    this.#deaths++;
    this.#remove(slot);
    const wrapped = new IoError("IO_WORKER_FAILED", `io: a worker died: ${error.message}`, { cause: error });
    for (const p of slot.inFlight.values()) p.reject(wrapped);
    slot.inFlight.clear();
    void slot.worker?.terminate();
    this.#pump();
  }

  #remove(slot: Slot<J, R>): void {
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
  }

  /** Stop every worker; jobs not finished yet are rejected with `IO_WORKER_FAILED`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = new IoError("IO_WORKER_FAILED", "io: the worker pool was closed with jobs pending");
    for (const p of this.#queue.splice(0)) p.reject(error);
    const slots = this.#slots.splice(0);
    for (const s of slots) {
      s.dead = true;
      for (const p of s.inFlight.values()) p.reject(error);
      s.inFlight.clear();
    }
    await Promise.all(slots.map((s) => s.worker?.terminate()));
    await this.#tail;
  }
}

const TRANSFERRING = Symbol.for("daqkit.io.transferring");

/** A result with buffers to transfer (not copy) back to the pool; return it from a {@link serveJobs} handler. */
export class Transferring<R> {
  readonly [TRANSFERRING] = true;
  constructor(
    readonly value: R,
    readonly transfer: Transferable[],
  ) {}

  /**
   * True for a `Transferring` made by any copy of this module: a bundled worker script carries its own
   * copy of `@daqkit/io`, so `instanceof` against the copy that serves the jobs would fail.
   */
  static isInstance(value: unknown): value is Transferring<unknown> {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[TRANSFERRING] === true;
  }
}

/** Return `value` from a job handler, moving `transfer` to the pool instead of copying it. */
export function withTransfer<R>(value: R, transfer: Transferable[]): Transferring<R> {
  return new Transferring(value, transfer);
}

/** The worker side of a message channel, for {@link serveJobs}. */
export interface JobPort {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onMessage(listener: (message: unknown) => void): void;
}

/** The port of a Web Worker's global scope. */
function workerScopePort(): JobPort {
  const scope = globalThis as unknown as {
    postMessage?: (message: unknown, transfer?: Transferable[]) => void;
    addEventListener?: (type: "message", listener: (event: { data: unknown }) => void) => void;
  };
  if (typeof scope.postMessage !== "function" || typeof scope.addEventListener !== "function") {
    throw new IoError(
      "IO_BAD_ARGUMENT",
      "io: serveJobs without a port must run inside a Web Worker (in Node use serveNodeJobs from @daqkit/io/node)",
    );
  }
  return {
    postMessage: (message, transfer) => scope.postMessage?.(message, transfer ?? []),
    onMessage: (listener) => scope.addEventListener?.("message", (event) => listener(event.data)),
  };
}

/**
 * The worker side of a {@link WorkerPool}: answer each `{ id, job }` with the handler's result (or
 * its error, serialized). Default port: the Web Worker's global scope.
 */
export function serveJobs<J, R>(
  handler: (job: J) => R | Transferring<R> | Promise<R | Transferring<R>>,
  port: JobPort = workerScopePort(),
): void {
  port.onMessage((message) => {
    const { id, job } = message as { id: number; job: J };
    Promise.resolve()
      .then(() => handler(job))
      .then(
        (out) => {
          if (Transferring.isInstance(out)) port.postMessage({ id, ok: true, result: out.value }, out.transfer);
          else port.postMessage({ id, ok: true, result: out });
        },
        (error: unknown) => port.postMessage({ id, ok: false, error: serializeError(error) }),
      )
      .catch((error: unknown) => port.postMessage({ id, ok: false, error: serializeError(error) }));
  });
}

/**
 * A factory of Web Workers running `script` (a URL, or `{ source }`: the script's text, served
 * from a Blob URL), or `undefined` where `Worker` does not exist (use the sequential fallback).
 */
export function webWorkerFactory(
  script: URL | string | { source: string },
  options: { type?: "classic" | "module" } = {},
): WorkerFactory | undefined {
  const WorkerCtor = (globalThis as unknown as { Worker?: new (url: string | URL, options?: { type?: string }) => Worker }).Worker;
  if (typeof WorkerCtor !== "function") return undefined;
  return () => {
    let url: string | URL;
    if (typeof script === "object" && "source" in script) url = URL.createObjectURL(new Blob([script.source], { type: "text/javascript" }));
    else url = script;
    const worker = new WorkerCtor(url, { type: options.type ?? "module" });
    return {
      postMessage: (message, transfer) => worker.postMessage(message, transfer ?? []),
      onMessage: (listener) => worker.addEventListener("message", (event) => listener((event as MessageEvent).data)),
      onFailure: (listener) => {
        worker.addEventListener("error", (event) => listener(new Error((event as ErrorEvent).message || "worker error")));
        worker.addEventListener("messageerror", () => listener(new Error("a worker message could not be deserialized")));
      },
      terminate: () => {
        worker.terminate();
        if (typeof url === "string" && url.startsWith("blob:")) URL.revokeObjectURL(url);
      },
    };
  };
}

/** Logical processors for workers: `navigator.hardwareConcurrency` where known, else 1. */
export function hardwareConcurrency(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === "number" && n >= 1 ? n : 1;
}
