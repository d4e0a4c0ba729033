/**
 * Byte sinks: where writers put their output, the same way on every platform. A writer calls
 * {@link ByteSink.write} for each chunk, then {@link ByteSink.close} to make the output final, or
 * {@link ByteSink.abort} when it fails, which leaves nothing behind. The Node atomic file
 * (`openAtomicFile` in `@daqkit/io/node`) and {@link MemorySink} (bytes or a `Blob` a page can
 * download) implement it.
 */
import { IoError } from "./errors.js";

/** A destination for a writer's bytes: write chunks, then close (commit) or abort (discard). */
export interface ByteSink {
  /** Append one chunk. The sink may keep the chunk until the next call returns (do not reuse it before). */
  write(chunk: Uint8Array): Promise<void>;
  /** Make the output final (e.g. rename a temporary file into place). */
  close(): Promise<void>;
  /** Discard everything written; never throws. Safe to call after a failed `write` or `close`. */
  abort(reason?: unknown): Promise<void>;
}

/**
 * A {@link ByteSink} that collects the output in memory: {@link MemorySink.bytes} or
 * {@link MemorySink.blob} once closed. Platform-neutral (browsers and Node).
 */
export class MemorySink implements ByteSink {
  #chunks: Uint8Array[] = [];
  #size = 0;
  #state: "open" | "closed" | "aborted" = "open";

  /** Bytes written so far. */
  get size(): number {
    return this.#size;
  }

  /** `"open"`, `"closed"` (output final) or `"aborted"` (output discarded). */
  get state(): "open" | "closed" | "aborted" {
    return this.#state;
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.#state !== "open") throw new IoError("IO_FAILED", `memory sink: write after ${this.#state === "closed" ? "close" : "abort"}`);
    // A copy: callers (e.g. stream writers) may reuse their buffers.
    this.#chunks.push(chunk.slice());
    this.#size += chunk.byteLength;
  }

  async close(): Promise<void> {
    if (this.#state === "aborted") throw new IoError("IO_FAILED", "memory sink: close after abort");
    this.#state = "closed";
  }

  async abort(): Promise<void> {
    this.#state = "aborted";
    this.#chunks = [];
    this.#size = 0;
  }

  /**
   * The output as one `Uint8Array`.
   * @throws IoError `IO_FAILED` before {@link close} or after {@link abort} (there is no final output)
   */
  bytes(): Uint8Array {
    this.#mustBeClosed();
    if (this.#chunks.length === 1) return this.#chunks[0] as Uint8Array;
    const out = new Uint8Array(this.#size);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    this.#chunks = [out];
    return out;
  }

  /**
   * The output as a `Blob` (e.g. for a download link in a page).
   * @throws IoError `IO_FAILED` before {@link close} or after {@link abort}
   */
  blob(type = "application/octet-stream"): Blob {
    this.#mustBeClosed();
    return new Blob(this.#chunks as BlobPart[], { type });
  }

  #mustBeClosed(): void {
    if (this.#state !== "closed") {
      throw new IoError("IO_FAILED", `memory sink: the output is not final (${this.#state === "open" ? "not closed yet" : "aborted"})`);
    }
  }
}

/**
 * Write every chunk of `chunks` to `sink` and close it; on any failure (including `chunks` throwing
 * half way) abort the sink and rethrow. Returns the number of bytes written.
 */
export async function pipeToSink(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, sink: ByteSink): Promise<number> {
  let bytes = 0;
  try {
    for await (const chunk of chunks) {
      await sink.write(chunk);
      bytes += chunk.byteLength;
    }
    await sink.close();
    return bytes;
  } catch (error) {
    await sink.abort(error);
    throw error;
  }
}
