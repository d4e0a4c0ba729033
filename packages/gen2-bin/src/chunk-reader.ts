/**
 * Chunk-by-chunk reads of a byte source for the decode loops, with reads in flight while the
 * previous chunk is decoded. Where the source can read into caller memory (`readInto`, Node files),
 * `buffers` buffers (default 2) are reused in turn: a fresh 8 MiB buffer per read pays its page faults
 * every time (measured ~10× slower reads, a 30 % slower decode of a 200 MB file). At most
 * `buffers − 1` reads may be in flight while a chunk is used.
 */
import type { ByteSource } from "@daqkit/io";
import { sourceError } from "./errors.js";

export class ChunkReader {
  readonly #buffers: Uint8Array[];
  #next = 0;

  /** `reuse`: read buffers of an earlier reader (of one sort at a time), kept and grown in place. */
  constructor(
    private readonly source: ByteSource,
    private readonly chunkBytes: number,
    private readonly name: string,
    private readonly buffers = 2,
    reuse: Uint8Array[] = [],
  ) {
    this.#buffers = reuse;
  }

  /**
   * The chunk `[offset, offset + min(chunkBytes, size − offset))`. With `readInto`, the returned
   * bytes are one of `buffers` reused buffers: valid until `buffers − 1` more reads are started.
   * Errors are coded (`GEN2_IO`, `GEN2_FILE_NOT_FOUND`) with the offset; the promise never counts
   * as unhandled when a caller stops early.
   */
  read(offset: number): Promise<Uint8Array> {
    const length = Math.min(this.chunkBytes, this.source.size - offset);
    let bytes: Promise<Uint8Array>;
    if (this.source.readInto) {
      const i = this.#next;
      this.#next = (i + 1) % this.buffers;
      let whole = this.#buffers[i];
      if (!whole || whole.length < length) whole = this.#buffers[i] = new Uint8Array(Math.min(this.chunkBytes, this.source.size));
      const buffer = whole.subarray(0, length);
      bytes = this.source.readInto(offset, buffer).then(() => buffer);
    } else {
      bytes = this.source.read(offset, length);
    }
    const coded = bytes.catch((error: unknown) => {
      throw sourceError(error, this.name, "reading", offset);
    });
    coded.catch(() => undefined);
    return coded;
  }
}
