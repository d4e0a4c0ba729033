/**
 * Whole-input and streaming gen2 decoding over bytes, `@daqkit/io` byte sources, `Blob`s and chunk
 * iterables (platform-neutral). Every reader runs the single core in `decoder-core.ts`.
 */
import { type BlobLike, type ByteSource, blobSource, bytesSource } from "@daqkit/io";
import type { RecordBatch, Table } from "apache-arrow";
import {
  type Gen2PhotonArrays,
  type Gen2WidePhotonArrays,
  onlyBatch,
  packedArrays,
  photonTable,
  wideArrays,
  wideTable,
} from "./arrow-tables.js";
import {
  createDecoderState,
  currentHeader,
  type DecoderState,
  decodeWords,
  PhotonColumns,
  partialWordError,
  WidePhotonColumns,
  wordView,
} from "./decoder-core.js";
import { ChunkReader } from "./chunk-reader.js";
import { sourceError } from "./errors.js";
import { decodeBlobInWebWorkers, wantsWebSplit } from "./web-split-decode.js";
import { canReadBlobInWorker, workerBlobSource } from "./worker-blob-source.js";
import { Gen2BinError } from "./errors.js";
import type { Gen2Header } from "./words.js";

/** Options shared by every gen2 reader. */
export interface Gen2DecodeOptions {
  /**
   * The header that times photon words before the input's first header — the last header of the
   * previous file of the recording (binney's `read_file(file, header)`, spec §4.3). Without it such
   * words are counted in `stats.orphanWords` and not emitted.
   */
  header?: Gen2Header | null;
  /** Also return a `board` (Uint8) column for the packed photons. Default false. */
  board?: boolean;
  /**
   * Accept an input whose length is not a multiple of 8: the trailing partial word is skipped and
   * reported in `stats.trailingBytes`. Default false: such input throws `GEN2_PARTIAL_WORD`.
   */
  allowPartialWord?: boolean;
  /** A name for error messages (set automatically for paths). */
  path?: string;
}

/** Counts from one decode. Every word of the input is accounted for in exactly one count. */
export interface Gen2DecodeStats {
  /** Bytes of input. */
  bytes: number;
  /** Whole 8-byte words (`headers + paddings + photons + widePhotons + orphanWords`). */
  words: number;
  /** Header words (frames). */
  headers: number;
  /** Padding ("fake photon") words. */
  paddings: number;
  /** Photons with x, y < 256, in the `xy` table. */
  photons: number;
  /** Photons with x or y ≥ 256, in the `wide` table. */
  widePhotons: number;
  /** Photon words before the first header with no `header` option: they have no time and are not emitted. */
  orphanWords: number;
  /** Bytes after the last whole word (0 unless `allowPartialWord`). */
  trailingBytes: number;
}

/** Result of a whole-input decode as typed arrays. */
export interface Gen2DecodedArrays {
  /** Photons with x, y < 256, in file order. */
  photons: Gen2PhotonArrays;
  /** Photons with x or y ≥ 256, in file order (see README "Wide photons"). */
  wide: Gen2WidePhotonArrays;
  /** The last header seen (or the `header` option if the input has none): pass it to the next file. */
  lastHeader: Gen2Header | null;
  stats: Gen2DecodeStats;
}

/** Result of a whole-input decode as Arrow tables. */
export interface Gen2Decoded {
  /** `xy: Uint16, timestamp: Int64 (µs), phase: Int32, baseline: Int32 [, board: Uint8]`, file order. */
  photons: Table;
  /** `x: Uint16, y: Uint16, timestamp: Int64, phase: Int32, baseline: Int32, board: Uint8`, file order. */
  wide: Table;
  lastHeader: Gen2Header | null;
  stats: Gen2DecodeStats;
}

function statsOf(state: DecoderState, bytes: number, trailingBytes: number): Gen2DecodeStats {
  return {
    bytes,
    words: state.words,
    headers: state.headers,
    paddings: state.paddings,
    photons: state.photons,
    widePhotons: state.widePhotons,
    orphanWords: state.orphanWords,
    trailingBytes,
  };
}

function checkEnd(state: DecoderState, bytes: number, options: Gen2DecodeOptions): number {
  const name = options.path ?? "input";
  if (bytes === 0) throw new Gen2BinError("GEN2_EMPTY_FILE", `gen2: ${name} is empty (0 bytes)`, { path: options.path });
  const rest = bytes % 8;
  if (rest !== 0 && !options.allowPartialWord) throw partialWordError(bytes, options.path);
  if (!state.hasHeader && state.words > 0) {
    throw new Gen2BinError(
      "GEN2_NO_HEADER",
      `gen2: ${name} has ${state.words} words but no header word (first byte 0xFF) and no header was passed in`,
      { path: options.path, byteOffset: 0 },
    );
  }
  return rest;
}

/**
 * Decode a whole gen2 byte buffer into typed-array columns (fastest form; no Arrow).
 *
 * Memory: the packed columns are allocated for `words` photons (18 bytes per word) and returned
 * as views of that allocation.
 * @throws Gen2BinError `GEN2_EMPTY_FILE`, `GEN2_PARTIAL_WORD` (unless `allowPartialWord`), `GEN2_NO_HEADER`
 */
export function decodeGen2Arrays(bytes: Uint8Array, options: Gen2DecodeOptions = {}): Gen2DecodedArrays {
  const state = createDecoderState(options.header);
  const words = wordView(bytes);
  const nWords = words.byteLength / 8;
  const out = new PhotonColumns(nWords, options.board === true);
  const wide = new WidePhotonColumns();
  decodeWords(words, 0, nWords, state, out, wide);
  const trailing = checkEnd(state, bytes.byteLength, options);
  return {
    photons: packedArrays(out, options.board === true),
    wide: wideArrays(wide),
    lastHeader: currentHeader(state),
    stats: statsOf(state, bytes.byteLength, trailing),
  };
}

/**
 * Decode a whole gen2 byte buffer into Arrow tables (zero-copy over the decoded columns).
 * @throws Gen2BinError `GEN2_EMPTY_FILE`, `GEN2_PARTIAL_WORD` (unless `allowPartialWord`), `GEN2_NO_HEADER`
 */
export function decodeGen2(bytes: Uint8Array, options: Gen2DecodeOptions = {}): Gen2Decoded {
  const r = decodeGen2Arrays(bytes, options);
  return { photons: photonTable(r.photons), wide: wideTable(r.wide), lastHeader: r.lastHeader, stats: r.stats };
}

/** Inputs of the random-access readers: an `@daqkit/io` byte source, bytes in memory, or a `Blob`/`File`. */
export type Gen2SourceInput = ByteSource | Uint8Array | ArrayBufferView | ArrayBuffer | BlobLike;

/** Options of {@link decodeGen2SourceArrays} and {@link decodeGen2Source}. */
export interface Gen2ReadOptions extends Gen2DecodeOptions {
  /**
   * Bytes per read (rounded to whole words). Default for sources with `readInto` (Node files): 4 MiB, the
   * first two reads 1 and 2 MiB; else 8 MiB.
   */
  chunkBytes?: number;
  /** Stop early: the read throws the signal's reason before the next chunk. */
  signal?: AbortSignal;
  /**
   * Reads asked for ahead of the decoder for sources without `readInto` (`Blob`/`File`, HTTP):
   * default 4, so memory is the output columns plus up to 5 × `chunkBytes` (40 MiB). Node files are
   * read straight into the output (three reads ahead) and need no read buffer.
   */
  readAhead?: number;
  /**
   * `Blob`/`File` inputs in a page: read the slices in a dedicated Web Worker (a BYOB stream reader into reused buffers),
   * so reading overlaps decoding on this thread (a page's own `Blob` reads advance only when its
   * event loop runs). Default true where a window can start a `blob:` worker; falls back to the
   * page's own reads if the worker cannot run (e.g. a CSP without `worker-src blob:`). Ignored for
   * other inputs.
   */
  readInWorker?: boolean;
  /**
   * `Blob`/`File` inputs of at least `splitMinBytes` in a cross-origin-isolated page (or worker):
   * Web Workers that each read a part of the input (`Blob.stream()`) and decode it into their rows of
   * output columns in `SharedArrayBuffer`s, in parallel — the same result as one thread, its packed
   * columns then views of `SharedArrayBuffer`s. Default 2 (at most `navigator.hardwareConcurrency`);
   * 0 or 1: no split. Ignored where the page is not cross-origin isolated (see the README).
   */
  splitWorkers?: number;
  /** Smallest `Blob`/`File` decoded in parts on Web Workers (default 32 MiB). */
  splitMinBytes?: number;
  /** Advanced: the module-worker script of the split decode instead of `web-split-worker.js` beside this module. */
  splitWorkerScript?: URL | string;
}

/** The options of `readGen2File`/`readGen2FileArrays` (`@daqkit/gen2-bin/node`): {@link Gen2ReadOptions} and the split decode's. */
export interface Gen2ReadFileOptions extends Gen2ReadOptions {
  /**
   * Worker threads that decode one file of at least `splitMinBytes` in parts, in parallel (the
   * `@daqkit/io` worker pool; kept for later calls, idle workers do not keep the process alive);
   * 0 = `min(4, availableParallelism())`. Default 1: the calling thread (on a 2-core machine the
   * one-thread reader measured faster; see the README). The result is the one-thread result (rows,
   * stats, last header, errors); its packed columns are then views of `SharedArrayBuffer`s.
   */
  workers?: number;
  /** Smallest file decoded in parts (default 32 MiB). */
  splitMinBytes?: number;
  /** Advanced: the worker script instead of `dist/decode-worker.js`. */
  workerScript?: URL | string;
}

function isByteSource(input: unknown): input is ByteSource {
  return (
    typeof input === "object" &&
    input !== null &&
    typeof (input as ByteSource).read === "function" &&
    typeof (input as ByteSource).size === "number"
  );
}

function isBlobLike(input: unknown): input is BlobLike {
  return (
    typeof input === "object" &&
    input !== null &&
    typeof (input as BlobLike).size === "number" &&
    typeof (input as BlobLike).slice === "function" &&
    typeof (input as BlobLike).arrayBuffer === "function"
  );
}

/**
 * The byte source behind a {@link Gen2SourceInput}: a byte source as it is, bytes through
 * `bytesSource` (no copy), a `Blob`/`File` through `blobSource` (read slice by slice).
 * @throws TypeError for anything else
 */
export function gen2ByteSource(input: Gen2SourceInput, name?: string): ByteSource {
  if (isByteSource(input)) return input;
  if (input instanceof ArrayBuffer || ArrayBuffer.isView(input)) return bytesSource(input, name ?? "bytes");
  if (isBlobLike(input)) return blobSource(input, name ?? input.name ?? "blob");
  throw new TypeError(`gen2: ${name ?? "input"}: expected a ByteSource, Uint8Array, ArrayBuffer, Blob or File`);
}

/**
 * Read and decode a whole gen2 input from a byte source, bytes or a `Blob`/`File` into typed-array
 * columns — the one reader behind `readGen2FileArrays` (Node paths), `File`s picked in a page and
 * HTTP range sources. The input is read in `chunkBytes` pieces and each piece is decoded while the
 * next one is being read, so reading and decoding overlap and the whole input is never held in
 * memory: memory is the output columns (18 bytes per word), plus (1 + `readAhead`) × `chunkBytes` for
 * `Blob`s and HTTP (8 MiB, 4 reads ahead: each read has a fixed cost that the reads ahead hide). Node
 * files (sources with `readInto`) are read in 4 MiB steps (the first two 1 and 2 MiB), three ahead,
 * straight into the memory of the `timestamp` column and decoded in place: no read buffer at all.
 * @throws Gen2BinError `GEN2_FILE_NOT_FOUND`, `GEN2_IO` (the source failed; `byteOffset` of the read),
 *   `GEN2_EMPTY_FILE`, `GEN2_PARTIAL_WORD` (unless `allowPartialWord`), `GEN2_NO_HEADER`
 */
export async function decodeGen2SourceArrays(input: Gen2SourceInput, options: Gen2ReadOptions = {}): Promise<Gen2DecodedArrays> {
  if (!isByteSource(input) && isBlobLike(input) && wantsWebSplit(input, options)) {
    // A cross-origin-isolated page: parts decoded on Web Workers (null: they could not run here).
    const split = await decodeBlobInWebWorkers(input as Blob, options.path ?? input.name ?? "blob", options);
    if (split) return split;
  }
  const inWorker = options.readInWorker !== false && !isByteSource(input) && isBlobLike(input) && canReadBlobInWorker();
  if (!inWorker) return decodeSource(gen2ByteSource(input, options.path), options);
  const source = workerBlobSource(input, options.path ?? input.name ?? "blob");
  try {
    // The worker reads the next slice whole while this one is decoded: no yields needed.
    return await decodeSource(source, options, false);
  } finally {
    await source.close?.();
  }
}

async function decodeSource(source: ByteSource, options: Gen2ReadOptions, yields = true, touch?: PageToucher): Promise<Gen2DecodedArrays> {
  if (source.readInto) return decodeInPlace(source, options, touch);
  const name = options.path ?? source.name;
  const opts = { ...options, path: name };
  // 8 MiB with 4 reads ahead (each Blob/HTTP read has a fixed cost — a browser IPC round trip, a
  // request — that the reads ahead hide): a 200 MB File in Chromium measured 1.2–1.3× faster
  // (median, interleaved) than 32 MiB slices one ahead, in less memory (40 MiB instead of 64 MiB).
  const chunk = Math.max(8, Math.floor((options.chunkBytes ?? 8 * 1024 * 1024) / 8) * 8);
  const size = source.size;
  const withBoard = options.board === true;
  const out = new PhotonColumns(Math.floor(size / 8), withBoard);
  const wide = new WidePhotonColumns();
  const state = createDecoderState(options.header);
  // Reads in flight, so that the decoder never waits for a read it could have asked for earlier (on a
  // loaded machine each read's completion can wait for a time slice of its own): a fresh buffer per
  // read, `readAhead` of them (a `File` read in a worker then never waits for this thread to ask for
  // the next slice).
  const ahead = Math.max(1, Math.floor(options.readAhead ?? 4));
  const reader = new ChunkReader(source, chunk, name, ahead + 1);
  const queue: Promise<Uint8Array>[] = [];
  let requested = 0;
  const request = (): void => {
    while (queue.length < ahead && requested < size) {
      queue.push(reader.read(requested));
      requested += Math.min(chunk, size - requested);
    }
  };
  request();
  while (queue.length > 0) {
    const bytes = await queue.shift()!;
    // The next reads run while this chunk is decoded.
    request();
    options.signal?.throwIfAborted();
    const whole = bytes.byteLength - (bytes.byteLength % 8); // only the last chunk can end mid-word
    const view = new DataView(bytes.buffer, bytes.byteOffset, whole);
    if (!yields) {
      decodeWords(view, 0, whole / 8, state, out, wide);
      // The chunk is decoded: its buffer can be read into again (a worker-read Blob).
      (source as { release?(bytes: Uint8Array): void }).release?.(bytes);
      continue;
    }
    // A Blob/HTTP read makes progress only when this thread runs its tasks (a page delivers the
    // data through its event loop): decode in slices with a yield between them, so the next chunk
    // arrives while this one is decoded.
    for (let word = 0; word < whole / 8; word += YIELD_WORDS) {
      decodeWords(view, word, Math.min(whole / 8, word + YIELD_WORDS), state, out, wide);
      if (queue.length > 0) await yieldToEventLoop();
    }
  }
  const trailing = checkEnd(state, size, opts);
  return {
    photons: packedArrays(out, withBoard),
    wide: wideArrays(wide),
    lastHeader: currentHeader(state),
    stats: statsOf(state, size, trailing),
  };
}

/** Reads (each with its first touches) in flight for sources with `readInto` (Node files). */
const NODE_READS_AHEAD = 3;

/**
 * Bytes per read of a Node file by default: 4 MiB, after a first read of 1 MiB and one of 2 MiB (so the
 * decoder starts after a short read). Against 1 MiB reads throughout, a 202 MB decode took 0–6 % less CPU
 * in the process and (five runs of six) 2–9 % less on the decoding thread: fewer pool jobs and wake-ups,
 * the pool three 4 MiB chunks ahead instead of three 1 MiB ones (interleaved, 2-core VM; README).
 */
const NODE_CHUNK_BYTES = 4 * 1024 * 1024;
/** The first read of a Node file by default (then doubling up to {@link NODE_CHUNK_BYTES}). */
const RAMP_FIRST_BYTES = 1024 * 1024;

/**
 * Internal: writes zeros into `targets` (zero-filled memory that nothing else writes meanwhile), at least
 * one into each page, on another thread — Node: a read of `/dev/zero` on the libuv pool — so that the first
 * touches of the output columns' fresh pages (one page fault each, ~2–3 µs on the development VM)
 * are taken there, in parallel with the decode, and not by the decoding thread. Resolves when done.
 */
export type PageToucher = (targets: Uint8Array[]) => Promise<void>;

/**
 * Internal: {@link decodeGen2SourceArrays} of a byte source with `readInto` (a Node file) whose
 * `xy`, `phase` and `baseline` pages are first touched by `touch`, chunk by chunk ahead of the
 * decoder (the `timestamp` column's pages are already first touched by the reads into it).
 */
export function decodeGen2FileSourceArrays(source: ByteSource, options: Gen2ReadOptions, touch: PageToucher): Promise<Gen2DecodedArrays> {
  return decodeSource(source, options, true, touch);
}

/**
 * {@link decodeSource} for sources that read into caller memory (`readInto`: Node files). The words
 * are read straight into the memory of the output's `timestamp` column and decoded from there: the
 * `n`-th photon comes from a word `i ≥ n`, so its 8-byte timestamp is written at or before the word
 * being decoded — after both halves of that word have been read — and never over a word not yet
 * decoded. No read buffer is needed; the page faults on the timestamp column (200 of the 450 MB of
 * output of a 200 MB file) are taken by the thread pool's read into it, while this thread decodes
 * the previous chunk; and each chunk is decoded from memory the read has just written. The column's
 * tail beyond the last photon (where header and padding words were read) is zeroed at the end.
 *
 * With `touch`, the rows `[w0, w1)` of the `xy`, `phase` and `baseline` columns are zeroed by it
 * together with the read of words `[w0, w1)`, and the chunk is decoded only when both are done. The
 * rows written while decoding a chunk are below its last word `w1` (row ≤ word), so they were
 * touched with this or an earlier chunk, and the touches in flight (later chunks, rows ≥ `w1`) never
 * overlap rows being written. Then this thread takes no page fault at all (measured: 61 k faults
 * moved to the pool on a 202 MB file) and only decodes.
 */
async function decodeInPlace(source: ByteSource, options: Gen2ReadOptions, touch?: PageToucher): Promise<Gen2DecodedArrays> {
  const name = options.path ?? source.name;
  const size = source.size;
  const whole = size - (size % 8);
  const chunk = Math.max(8, Math.floor((options.chunkBytes ?? NODE_CHUNK_BYTES) / 8) * 8);
  // Default: the first reads are short (1 MiB, doubling up to `chunk`), so decoding starts early.
  let next = options.chunkBytes !== undefined ? chunk : Math.min(chunk, RAMP_FIRST_BYTES);
  const withBoard = options.board === true;
  const out = new PhotonColumns(whole / 8, withBoard);
  const wide = new WidePhotonColumns();
  const state = createDecoderState(options.header);
  const raw = new Uint8Array(out.timestamp.buffer, out.timestamp.byteOffset, whole);
  const words = new DataView(raw.buffer, raw.byteOffset, whole);
  const queue: Promise<void>[] = [];
  const ends: number[] = [];
  let requested = 0;
  const request = (): void => {
    while (queue.length < NODE_READS_AHEAD && requested < whole) {
      const offset = requested;
      const length = Math.min(next, whole - offset);
      next = Math.min(chunk, next * 2);
      const read = source.readInto!(offset, raw.subarray(offset, offset + length)).catch((error: unknown) => {
        throw sourceError(error, name, "reading", offset);
      });
      let job = read;
      if (touch) {
        const w0 = offset / 8;
        const rows = length / 8;
        const rowBytes = (column: Uint16Array | Int32Array): Uint8Array =>
          new Uint8Array(column.buffer, column.byteOffset + w0 * column.BYTES_PER_ELEMENT, rows * column.BYTES_PER_ELEMENT);
        const touched = touch([rowBytes(out.phase), rowBytes(out.baseline), rowBytes(out.xy)]).catch((error: unknown) => {
          throw sourceError(error, name, "preparing the output for", offset);
        });
        // Settles when both have (a failed read must not leave its touch running), with the first error.
        job = Promise.allSettled([read, touched]).then((settled) => {
          for (const r of settled) if (r.status === "rejected") throw r.reason;
        });
      }
      job.catch(() => undefined); // a job still in flight when an earlier one fails is not unhandled
      queue.push(job);
      ends.push(offset + length);
      requested += length;
    }
  };
  let decoded = 0;
  try {
    request();
    while (queue.length > 0) {
      await queue.shift()!;
      request();
      options.signal?.throwIfAborted();
      const end = ends.shift()!;
      decodeWords(words, decoded / 8, end / 8, state, out, wide);
      decoded = end;
    }
  } catch (error) {
    // No read or touch may still write into the columns (or use the source) once this returns.
    await Promise.allSettled(queue);
    throw error;
  }
  out.timestamp.fill(0n, out.length);
  const trailing = checkEnd(state, size, { ...options, path: name });
  return {
    photons: packedArrays(out, withBoard),
    wide: wideArrays(wide),
    lastHeader: currentHeader(state),
    stats: statsOf(state, size, trailing),
  };
}

/** Words decoded between two yields of {@link decodeGen2SourceArrays} over Blob/HTTP sources (2 MiB). */
const YIELD_WORDS = 1 << 18;

let yieldChannel: MessageChannel | undefined;
/** Let the event loop run pending tasks (I/O completions), without a timer's clamping. */
function yieldToEventLoop(): Promise<void> {
  // Node: setImmediate (a MessageChannel port with a listener would keep the process alive).
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  if (immediate) return new Promise((resolve) => immediate(resolve));
  if (typeof MessageChannel === "undefined") return new Promise((resolve) => setTimeout(resolve, 0));
  yieldChannel ??= new MessageChannel();
  const channel = yieldChannel;
  return new Promise((resolve) => {
    channel.port1.onmessage = () => resolve();
    channel.port2.postMessage(null);
  });
}

/**
 * {@link decodeGen2SourceArrays} as Arrow tables (zero-copy over the decoded columns).
 * @throws Gen2BinError as {@link decodeGen2SourceArrays}
 */
export async function decodeGen2Source(input: Gen2SourceInput, options: Gen2ReadOptions = {}): Promise<Gen2Decoded> {
  const r = await decodeGen2SourceArrays(input, options);
  return { photons: photonTable(r.photons), wide: wideTable(r.wide), lastHeader: r.lastHeader, stats: r.stats };
}

/** Random-access bytes: a plain `ArrayBuffer`-like with `slice`, a `Blob`, or an adapter over a file. */
export interface Gen2ByteSource {
  readonly byteLength: number;
  slice(start: number, end: number): ArrayBuffer | Uint8Array | Promise<ArrayBuffer | Uint8Array>;
}

/** Inputs the streaming reader accepts (`@daqkit/gen2-bin/node` adds a path). */
export type Gen2StreamInput =
  | ByteSource
  | Uint8Array
  | ArrayBuffer
  | Gen2ByteSource
  | Blob
  | AsyncIterable<Uint8Array>
  | Iterable<Uint8Array>;

/** Options of {@link iterateGen2Batches}. */
export interface Gen2StreamOptions extends Gen2DecodeOptions {
  /** Bytes decoded per batch (rounded down to whole words, at least 8). Default 8 MiB (1 Mi words). */
  batchBytes?: number;
  /** Stop early: the iterator throws the signal's reason at the next batch boundary. */
  signal?: AbortSignal;
}

/** One streamed batch. Every batch owns its memory. */
export interface Gen2Batch {
  /** Packed photons of this batch: `xy, timestamp, phase, baseline [, board]`, file order. */
  photons: RecordBatch;
  /** Photons with x or y ≥ 256 in this batch (`null` when there are none). */
  wide: RecordBatch | null;
  /** Byte offset of the first byte of this batch in the input. */
  byteOffset: number;
  /** Cumulative counts so far (final after the last batch). */
  stats: Gen2DecodeStats;
  /** The header in effect after this batch. */
  lastHeader: Gen2Header | null;
}

async function* chunksOf(input: Gen2StreamInput, chunkBytes: number, name: string): AsyncGenerator<Uint8Array> {
  if (ArrayBuffer.isView(input)) {
    const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    for (let at = 0; at < bytes.byteLength; at += chunkBytes) yield bytes.subarray(at, at + chunkBytes);
    return;
  }
  if (typeof Blob !== "undefined" && input instanceof Blob) {
    for (let at = 0; at < input.size; at += chunkBytes) {
      yield new Uint8Array(await input.slice(at, Math.min(input.size, at + chunkBytes)).arrayBuffer());
    }
    return;
  }
  if (isByteSource(input)) {
    // Each chunk is copied into the staging buffer before the next is asked for, so reused buffers are safe.
    const reader = new ChunkReader(input, chunkBytes, name);
    for (let at = 0; at < input.size; at += chunkBytes) yield await reader.read(at);
    return;
  }
  if (typeof input === "object" && input !== null && (Symbol.asyncIterator in input || Symbol.iterator in input)) {
    for await (const chunk of input as AsyncIterable<Uint8Array>) yield chunk;
    return;
  }
  const source = input as Gen2ByteSource;
  if (typeof source?.byteLength !== "number" || typeof source.slice !== "function") {
    throw new TypeError(`gen2: ${name}: not a byte source, Blob, bytes or iterable of Uint8Array`);
  }
  for (let at = 0; at < source.byteLength; at += chunkBytes) {
    const part = await source.slice(at, Math.min(source.byteLength, at + chunkBytes));
    yield part instanceof Uint8Array ? part : new Uint8Array(part);
  }
}

/**
 * Stream a gen2 input as Arrow record batches — same decoder, same results as {@link decodeGen2},
 * in bounded memory (about 3 × `batchBytes`).
 *
 * ```ts
 * for await (const { photons } of iterateGen2Batches(file)) total += photons.numRows; // a File, bytes, a ByteSource…
 * ```
 * @throws Gen2BinError `GEN2_FILE_NOT_FOUND`, `GEN2_IO`, `GEN2_EMPTY_FILE`, `GEN2_PARTIAL_WORD`, `GEN2_NO_HEADER`
 *   (the last three after the final batch, when the whole input has been seen)
 */
export async function* iterateGen2Batches(input: Gen2StreamInput, options: Gen2StreamOptions = {}): AsyncGenerator<Gen2Batch> {
  const name = options.path ?? (isByteSource(input) ? input.name : "input");
  const opts = { ...options, path: options.path ?? (isByteSource(input) ? input.name : undefined) };
  const batchBytes = Math.max(8, Math.floor((options.batchBytes ?? 8 * 1024 * 1024) / 8) * 8);
  const state = createDecoderState(options.header);
  const staging = new Uint8Array(batchBytes);
  const stagingWords = new DataView(staging.buffer);
  let fill = 0;
  let total = 0;
  let batchStart = 0;
  const withBoard = options.board === true;
  const flush = (byteCount: number): Gen2Batch => {
    const nWords = byteCount / 8;
    const out = new PhotonColumns(nWords, withBoard);
    const wide = new WidePhotonColumns();
    decodeWords(stagingWords, 0, nWords, state, out, wide);
    const batch: Gen2Batch = {
      photons: onlyBatch(photonTable(packedArrays(out, withBoard))),
      wide: wide.length > 0 ? onlyBatch(wideTable(wideArrays(wide))) : null,
      byteOffset: batchStart,
      stats: statsOf(state, total, 0),
      lastHeader: currentHeader(state),
    };
    batchStart += byteCount;
    return batch;
  };
  for await (const chunk of chunksOf(input, batchBytes, name)) {
    let at = 0;
    while (at < chunk.byteLength) {
      const take = Math.min(chunk.byteLength - at, batchBytes - fill);
      staging.set(chunk.subarray(at, at + take), fill);
      fill += take;
      at += take;
      total += take;
      if (fill === batchBytes) {
        options.signal?.throwIfAborted();
        yield flush(batchBytes);
        fill = 0;
      }
    }
  }
  const whole = fill - (fill % 8);
  const last = whole > 0 ? flush(whole) : null;
  const trailing = checkEnd(state, total, opts);
  if (last) {
    last.stats = statsOf(state, total, trailing);
    yield last;
  }
}
