// A served file's bytes read by a helper worker (../fetch-worker.ts) while this worker decodes (issue 16).
import { type SerializedError, serializeError } from "@daqkit/io";
import { streamHttpFile, streamHttpFileBlocks } from "./stream.js";

/** Messages to the fetch worker: start reading, or a block handed back. */
export type FetchRequest =
  | { readonly type: "start"; readonly url: string; readonly size: number; readonly blockBytes: number; readonly blocks: number }
  | { readonly type: "return"; readonly buffer: ArrayBuffer };

/** Messages from the fetch worker: a filled block (`length` bytes of it), the end, or the coded error. */
export type FetchReply =
  | { readonly type: "block"; readonly buffer: ArrayBuffer; readonly length: number }
  | { readonly type: "end" }
  | { readonly type: "error"; readonly error: SerializedError };

/** Blocks of 8 MiB, the decoder's batch: each block is copied once, into the decoder's staging buffer. */
const BLOCK_BYTES = 8 * 1024 * 1024;
/** Blocks in flight: one being decoded, two filling (24 MiB). */
const BLOCKS = 3;

/** The helper's side of a channel (the worker's `self`, or a `MessagePort` in tests). */
export interface FetchScope {
  onmessage: ((event: MessageEvent<FetchRequest>) => void) | null;
  postMessage(message: FetchReply, transfer?: Transferable[]): void;
}

/**
 * The helper (../fetch-worker.ts runs it on its `self`): for each `start`, streams that file into
 * blocks of `min(blockBytes, size)` bytes, at most `blocks` of them in existence, each transferred when
 * full (the last one when the body ends), then `end`, or `error` with the serialized `IoError`. One
 * file at a time; blocks handed back are reused for the next file of the same block size.
 */
export function serveFetches(scope: FetchScope): void {
  const free: ArrayBuffer[] = [];
  let allocated = 0;
  let wake: (() => void) | null = null;

  const take = async (bytes: number, blocks: number): Promise<Uint8Array> => {
    for (;;) {
      const buffer = free.pop();
      if (buffer && buffer.byteLength === bytes) return new Uint8Array(buffer);
      if (buffer) allocated--; // sized for another file: dropped
      if (allocated < blocks) {
        allocated++;
        return new Uint8Array(bytes);
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };

  const run = async (url: string, size: number, blockBytes: number, blocks: number): Promise<void> => {
    try {
      const bytes = Math.min(blockBytes, size);
      // each block read straight into where it is (a BYOB reader, see streamHttpFileBlocks), then transferred
      for await (const { block, length } of streamHttpFileBlocks(url, size, () => take(bytes, blocks))) {
        const buffer = block.buffer as ArrayBuffer;
        scope.postMessage({ type: "block", buffer, length }, [buffer]);
      }
      scope.postMessage({ type: "end" });
    } catch (error) {
      scope.postMessage({ type: "error", error: serializeError(error) });
    }
  };

  scope.onmessage = (event) => {
    const m = event.data;
    if (m.type === "return") {
      free.push(m.buffer);
      wake?.();
      wake = null;
      return;
    }
    void run(m.url, m.size, m.blockBytes, m.blocks);
  };
}

/**
 * Reads served files for one job, one file at a time, with a helper worker (../fetch-worker.ts) that
 * starts on first use and is kept for the next file (a night may have thousands of small files);
 * {@link close} stops it. Where a worker cannot start workers, bodies are streamed in this thread.
 */
export class FileFetcher {
  #worker: Worker | null = null;
  readonly #spawn: () => Worker;
  readonly #blockBytes: number;
  /** False where a worker cannot start workers: bodies are then streamed in this thread. */
  readonly #canSpawn: boolean;

  /** `spawn` starts the helper (default ../fetch-worker.ts, bundled by Vite); tests also pass a smaller block. */
  constructor(options: { spawn?: () => Worker; blockBytes?: number } = {}) {
    this.#spawn = options.spawn ?? (() => new Worker(new URL("../fetch-worker.ts", import.meta.url), { type: "module" }));
    this.#blockBytes = options.blockBytes ?? BLOCK_BYTES;
    this.#canSpawn = options.spawn !== undefined || typeof Worker !== "undefined";
  }
  #inbox: FetchReply[] = [];
  #wake: (() => void) | null = null;

  #deliver(m: FetchReply): void {
    this.#inbox.push(m);
    this.#wake?.();
    this.#wake = null;
  }

  #start(): Worker {
    const worker = this.#spawn();
    worker.onmessage = (event: MessageEvent<FetchReply>) => this.#deliver(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.#deliver({
        type: "error",
        error: {
          name: "Error",
          code: "IO_FAILED",
          message: `io: the fetch worker failed: ${event.message || "unknown error"}`,
          daqkit: false,
          context: {},
        },
      });
    };
    return worker;
  }

  /**
   * Start the helper now, before the first file is asked for (e.g. while a night is scanned), so that
   * file's request does not wait for the helper's script to load. No-op where bodies are read in this
   * thread or the helper already runs.
   */
  start(): void {
    if (this.#canSpawn) this.#worker ??= this.#start();
  }

  /** The file whose request {@link prime} sent ahead, not yet asked for with {@link file}. */
  #primed: { readonly url: string; readonly size: number } | null = null;

  /**
   * Send the request for the `size` bytes of `url` now, before they are asked for (issue 16: while the
   * night's headers are scanned), so that a {@link file} of the same URL and size starts with its first
   * blocks already read. A {@link file} of anything else drops it (the helper is restarted). No-op
   * where bodies are read in this thread.
   */
  prime(url: string, size: number): void {
    if (!this.#canSpawn || size === 0) return;
    if (this.#primed) this.close();
    const worker = (this.#worker ??= this.#start());
    this.#inbox = [];
    worker.postMessage({ type: "start", url, size, blockBytes: this.#blockBytes, blocks: BLOCKS } satisfies FetchRequest);
    this.#primed = { url, size };
  }

  /**
   * The `size` bytes of `url` in order (see `streamHttpFile`: one streamed range request, coded
   * `IoError`s), read by the helper into blocks transferred here and handed back when the caller asks
   * for the next one — so each yielded view is valid until then. Stopping early stops the helper (the
   * next file starts a fresh one).
   */
  async *file(url: string, size: number): AsyncGenerator<Uint8Array> {
    if (size === 0) return;
    if (!this.#canSpawn) {
      yield* streamHttpFile(url, size);
      return;
    }
    const primed = this.#primed;
    this.#primed = null;
    let worker: Worker;
    if (primed && primed.url === url && primed.size === size) worker = this.#worker!;
    else {
      // (a request sent ahead for another file: stopped with its helper)
      if (primed) this.close();
      worker = this.#worker ??= this.#start();
      this.#inbox = [];
      worker.postMessage({ type: "start", url, size, blockBytes: this.#blockBytes, blocks: BLOCKS } satisfies FetchRequest);
    }
    let finished = false;
    try {
      for (;;) {
        while (this.#inbox.length === 0) {
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
          });
        }
        const m = this.#inbox.shift()!;
        if (m.type === "end") {
          finished = true;
          return;
        }
        if (m.type === "error") {
          // (not `finished`: the helper is closed, its blocks were not all handed back)
          const context = { ...m.error.context, path: typeof m.error.context.path === "string" ? m.error.context.path : url };
          throw Object.assign(new Error(m.error.message), { name: m.error.name, ...context }, m.error.code ? { code: m.error.code } : {});
        }
        yield new Uint8Array(m.buffer, 0, m.length);
        worker.postMessage({ type: "return", buffer: m.buffer } satisfies FetchRequest, [m.buffer]);
      }
    } finally {
      // stopped early (the decoder failed) or failed: the helper may still be reading or hold blocks; start afresh next time
      if (!finished) this.close();
    }
  }

  /** Stop the helper worker. */
  close(): void {
    this.#worker?.terminate();
    this.#worker = null;
    this.#inbox = [];
    this.#primed = null;
  }
}
