import type { ByteSource } from "@daqkit/io";

/** A byte source that can fill caller memory synchronously (@daqkit/io's Node file sources, bytes in memory). */
export type SyncReadableSource = Pick<ByteSource, "name" | "size"> & { readIntoSync(offset: number, target: Uint8Array): void };

/** Default window: large enough that syscalls are rare, small enough to stay in memory once (no page faults per window). */
export const WINDOW_BYTES = 1 << 20;

/** The memory of the last released window (see {@link RecordWindows.release}). */
let spare: WeakRef<Uint8Array> | undefined;

/**
 * A sliding window over a file of concatenated msgpack records, so a reader holds a few MiB instead of the whole
 * file: `bytes[0, length)` are the file's bytes at `[base, base + length)`. A reader decodes whole records from the
 * window; when a record runs past its end (`TruncatedInput` while {@link eof} is false) it calls
 * {@link advance} with that record's window offset, which keeps the record's bytes, reads on and retries. A record
 * larger than the window doubles the window (bounded by the file). Over bytes in memory the window is the whole
 * input (no copy).
 */
export class RecordWindows {
  bytes: Uint8Array;
  /** File offset of `bytes[0]`. */
  base = 0;
  /** Valid bytes in `bytes`. */
  length = 0;
  readonly size: number;
  readonly name: string;
  private readonly source: SyncReadableSource | undefined;

  /**
   * `start` / `end`: the byte range of the input to read (default all of it); offsets stay those of the input, so
   * `base` starts at `start` and the window ends at `end` as if the input ended there.
   */
  /**
   * A window over a source takes the memory of the last window {@link release}d, when it is large enough and not
   * collected yet, so consecutive readers (the loader's pass, then each lazy page read) hold one window, not one each
   * until the garbage collector frees them.
   */
  constructor(input: Uint8Array | SyncReadableSource, windowBytes = WINDOW_BYTES, start = 0, end?: number) {
    if (input instanceof Uint8Array) {
      const stop = end ?? input.length;
      this.bytes = start === 0 ? input : input.subarray(start, stop);
      this.base = start;
      this.length = stop - start;
      this.size = stop;
      this.name = "buffer";
      this.source = undefined;
      return;
    }
    this.source = input;
    this.size = end ?? input.size;
    this.name = input.name;
    this.base = start;
    const n = Math.max(1, Math.min(windowBytes, this.size - start));
    const reuse = spare?.deref();
    if (reuse !== undefined && reuse.length >= n) {
      spare = undefined;
      this.bytes = reuse.subarray(0, n);
    } else this.bytes = new Uint8Array(n);
    this.fill();
  }

  /**
   * The reader is done and nothing refers to the window's bytes any more (values were copied out): a later window
   * may read into its memory. Only for a window over a source (bytes in memory are the caller's).
   */
  release(): void {
    if (this.source === undefined) return;
    spare = new WeakRef(this.bytes);
    this.bytes = new Uint8Array(0);
    this.length = 0;
  }

  /** True when the window reaches the end of the input (nothing more to read). */
  get eof(): boolean {
    return this.base + this.length >= this.size;
  }

  /**
   * Drop the bytes before window offset `keep` and read on. When the kept bytes already fill the window (one record
   * larger than it), the window doubles first.
   */
  advance(keep: number): void {
    const source = this.source;
    if (source === undefined || this.eof) return;
    const kept = this.length - keep;
    if (kept >= this.bytes.length) {
      const grown = new Uint8Array(Math.min(this.bytes.length * 2, this.size - this.base - keep));
      grown.set(this.bytes.subarray(keep, this.length));
      this.bytes = grown;
    } else if (keep > 0) this.bytes.copyWithin(0, keep, this.length);
    this.base += keep;
    this.length = kept;
    this.fill();
  }

  private fill(): void {
    const n = Math.min(this.bytes.length - this.length, this.size - this.base - this.length);
    if (n <= 0) return;
    (this.source as SyncReadableSource).readIntoSync(this.base + this.length, this.bytes.subarray(this.length, this.length + n));
    this.length += n;
  }
}
