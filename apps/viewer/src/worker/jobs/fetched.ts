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
 * The `size` bytes of `url` in order (see `streamHttpFile`: one streamed range request, coded
 * `IoError`s), read by a helper worker into blocks that are transferred here and handed back once the
 * caller asks for the next one — so each yielded view is valid until then. Where a worker cannot start
 * workers, the body is streamed in this thread. Stopping early stops the helper.
 */
export async function* fetchedFile(url: string, size: number): AsyncGenerator<Uint8Array> {
  if (size === 0) return;
  if (typeof Worker === "undefined") {
    yield* streamHttpFile(url, size);
    return;
  }
  const worker = new Worker(new URL("../fetch-worker.ts", import.meta.url), { type: "module" });
  const inbox: FetchReply[] = [];
  let wake: (() => void) | null = null;
  const deliver = (m: FetchReply) => {
    inbox.push(m);
    wake?.();
    wake = null;
  };
  worker.onmessage = (event: MessageEvent<FetchReply>) => deliver(event.data);
  worker.onerror = (event) => {
    event.preventDefault();
    deliver({
      type: "error",
      error: {
        name: "Error",
        code: "IO_FAILED",
        message: `io: ${url}: the fetch worker failed: ${event.message || "unknown error"}`,
        daqkit: false,
        context: { path: url },
      },
    });
  };
  worker.postMessage({ type: "start", url, size, blockBytes: BLOCK_BYTES, blocks: BLOCKS } satisfies FetchRequest);
  try {
    for (;;) {
      while (inbox.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      const m = inbox.shift()!;
      if (m.type === "end") return;
      if (m.type === "error") {
        throw Object.assign(
          new Error(m.error.message),
          { name: m.error.name, ...m.error.context },
          m.error.code ? { code: m.error.code } : {},
        );
      }
      yield new Uint8Array(m.buffer, 0, m.length);
      worker.postMessage({ type: "return", buffer: m.buffer } satisfies FetchRequest, [m.buffer]);
    }
  } finally {
    worker.terminate();
  }
}
