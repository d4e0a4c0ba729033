// A served file's bytes read by a helper worker (../fetch-worker.ts) while this worker decodes (issue 16).
import type { SerializedError } from "@daqkit/io";
import { streamHttpFile } from "./stream.js";

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

/**
 * Reads served files for one job, one file at a time, with a helper worker (../fetch-worker.ts) that
 * starts on first use and is kept for the next file (a night may have thousands of small files);
 * {@link close} stops it. Where a worker cannot start workers, bodies are streamed in this thread.
 */
export class FileFetcher {
  #worker: Worker | null = null;
  #inbox: FetchReply[] = [];
  #wake: (() => void) | null = null;

  #deliver(m: FetchReply): void {
    this.#inbox.push(m);
    this.#wake?.();
    this.#wake = null;
  }

  #start(): Worker {
    const worker = new Worker(new URL("../fetch-worker.ts", import.meta.url), { type: "module" });
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
   * The `size` bytes of `url` in order (see `streamHttpFile`: one streamed range request, coded
   * `IoError`s), read by the helper into blocks transferred here and handed back when the caller asks
   * for the next one — so each yielded view is valid until then. Stopping early stops the helper (the
   * next file starts a fresh one).
   */
  async *file(url: string, size: number): AsyncGenerator<Uint8Array> {
    if (size === 0) return;
    if (typeof Worker === "undefined") {
      yield* streamHttpFile(url, size);
      return;
    }
    const worker = (this.#worker ??= this.#start());
    this.#inbox = [];
    worker.postMessage({ type: "start", url, size, blockBytes: BLOCK_BYTES, blocks: BLOCKS } satisfies FetchRequest);
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
  }
}
