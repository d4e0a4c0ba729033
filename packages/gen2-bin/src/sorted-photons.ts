/**
 * One gen2 input as photon tables sorted by (xy, timestamp), in bounded memory (platform-neutral;
 * the Parquet cache of `BinDirectory` and the time-range reads of `BinSourceDirectory` both use it).
 *
 * Pass 0 decodes the input and histograms `xy`; the `xy` axis is then cut into groups of at most
 * `maxRowsPerPass` photons, and each group is one more decode pass that scatters its photons into
 * place (a stable counting sort on `xy`; photons of one pixel arrive in time order, so the
 * timestamp order inside a pixel only needs a check and, rarely, a stable sort). Memory is
 * ~16 bytes × `maxRowsPerPass` plus ~5 MiB of read/decode buffers (reused across passes),
 * whatever the input size.
 */
import type { ByteSource } from "@daqkit/io";
import type { Table } from "apache-arrow";
import { type Gen2WidePhotonArrays, photonTable, wideArrays, wideTable } from "./arrow-tables.js";
import { Gen2ChecksumAccumulator } from "./checksum.js";
import { createDecoderState, currentHeader, type DecoderState, decodeWords, PhotonColumns, WidePhotonColumns } from "./decoder-core.js";
import type { Gen2DecodeStats } from "./decode.js";
import { ChunkReader } from "./chunk-reader.js";
import type { Gen2Header } from "./words.js";

/** Options of {@link sortGen2Source}. */
export interface SortOptions {
  /** Header that times words before the input's first header (previous file's last header). */
  header: Gen2Header | null;
  /** Photons sorted in memory per pass (default 4 Mi ≈ 64 MiB). */
  maxRowsPerPass?: number;
  /** Name for messages (default: the source's name). */
  path?: string;
  /**
   * Buffers to reuse from an earlier sort (the files of one conversion, one after another): the sort
   * and decode buffers of a file are then not allocated, page-faulted and garbage-collected again.
   */
  scratch?: SortScratch;
}

/**
 * The large buffers of {@link sortGen2Source} (the sort rows, the decoded-chunk columns and the read
 * buffers), kept for the next sort. One sort at a time uses them: a sort that finds them in use
 * allocates its own. They live as long as the object (drop it when the conversion is done).
 */
export class SortScratch {
  #rows = new Int32Array(0);
  #batch: BatchBuffers | null = null;
  #cols: PhotonColumns | null = null;
  readonly #reads: Uint8Array[] = [];
  #busy = false;

  /** Take the buffers (null when another sort has them); `release` gives them back. */
  take(): { cols: PhotonColumns; reads: Uint8Array[]; rows(n: number): Int32Array; batch(): BatchBuffers; release(): void } | null {
    if (this.#busy) return null;
    this.#busy = true;
    this.#cols ??= new PhotonColumns(CHUNK_BYTES / 8);
    return {
      cols: this.#cols,
      reads: this.#reads,
      rows: (n) => {
        // 4 int32 per photon (see ROW); grown to the largest group sorted so far
        if (this.#rows.length < ROW * n) this.#rows = new Int32Array(ROW * n);
        return this.#rows;
      },
      batch: () => {
        this.#batch ??= batchBuffers();
        return this.#batch;
      },
      release: () => {
        this.#busy = false;
      },
    };
  }
}

/** An input decoded once, ready to be streamed sorted by (xy, timestamp). */
export interface SortedPhotons {
  stats: Gen2DecodeStats;
  lastHeader: Gen2Header | null;
  /** Checksum (spec §13.4) over packed and wide photons, 16 hex digits. */
  checksum: string;
  /** Smallest and largest photon timestamp (µs, raw), or null without photons. */
  minTimestampUs: number | null;
  maxTimestampUs: number | null;
  /** Photons with x or y ≥ 256, in input order. */
  wide: Gen2WidePhotonArrays;
  /**
   * The packed photons sorted by (xy, timestamp) (stable: ties keep input order), as tables of
   * ≤ 256 Ki rows, each owning its memory. Each call decodes the input again (one pass per `xy` group).
   * With `transient`, the tables share one set of buffers: a table is valid only until the next one is
   * asked for (a consumer that copies each table at once, as the Parquet writer does, allocates nothing per table).
   */
  tables(options?: { transient?: boolean }): AsyncGenerator<Table>;
}

/** Bytes per read and decode step (see `decodeGen2SourceArrays`: small reads keep each step in the CPU cache). */
const CHUNK_BYTES = 1024 * 1024;

/** Rows per emitted table (the writer still forms 1 Mi-row row groups). */
const BATCH = 1 << 18;

/** Column buffers of one emitted table of {@link BATCH} rows, for transient tables. */
interface BatchBuffers {
  xy: Uint16Array;
  timestamp: BigInt64Array;
  phase: Int32Array;
  baseline: Int32Array;
}

function batchBuffers(): BatchBuffers {
  return { xy: new Uint16Array(BATCH), timestamp: new BigInt64Array(BATCH), phase: new Int32Array(BATCH), baseline: new Int32Array(BATCH) };
}

/**
 * Int32 slots per sorted photon: timestamp low and high halves, phase, baseline. One 16-byte row per
 * photon, so the scatter of a photon to its place touches one cache line instead of one per column.
 */
const ROW = 4;

interface PassResult {
  state: DecoderState;
  bytes: number;
}

/** Read buffers and decoded-chunk columns, reused by every pass of a conversion. */
interface PassScratch {
  reader: ChunkReader;
  cols: PhotonColumns;
}

function createScratch(source: ByteSource, name: string, reuse?: { cols: PhotonColumns; reads: Uint8Array[] } | null): PassScratch {
  if (reuse) return { reader: new ChunkReader(source, CHUNK_BYTES, name, 2, reuse.reads), cols: reuse.cols };
  return { reader: new ChunkReader(source, CHUNK_BYTES, name), cols: new PhotonColumns(CHUNK_BYTES / 8) };
}

/** Decode the whole input once, calling `onChunk` for each decoded chunk of photons (the next read runs meanwhile). */
async function decodePass(
  source: ByteSource,
  header: Gen2Header | null,
  wide: WidePhotonColumns,
  scratch: PassScratch,
  onChunk: (cols: PhotonColumns) => void,
): Promise<PassResult> {
  const state = createDecoderState(header);
  const { cols, reader } = scratch;
  const size = source.size;
  let position = 0;
  let pending: Promise<Uint8Array> | null = size > 0 ? reader.read(0) : null;
  while (pending) {
    const bytes = await pending;
    position += bytes.byteLength;
    pending = position < size ? reader.read(position) : null;
    const whole = bytes.byteLength - (bytes.byteLength % 8);
    if (whole > 0) {
      cols.length = 0;
      decodeWords(new DataView(bytes.buffer, bytes.byteOffset, whole), 0, whole / 8, state, cols, wide);
      onChunk(cols);
    }
  }
  return { state, bytes: size };
}

// The per-chunk loops are module-level functions, not closures made per input: V8 optimises one copy
// for every file of a conversion (a closure per file started each file in the interpreter again).

/** Pass 0 over one decoded chunk: `xy` histogram and the timestamp range (`range` = [min, max]). */
function histogramChunk(cols: PhotonColumns, counts: Float64Array, range: Float64Array): void {
  const xy = cols.xy;
  const pairs = cols.tsPairs;
  let minT = range[0]!;
  let maxT = range[1]!;
  for (let i = 0; i < cols.length; i++) {
    counts[xy[i]!]!++;
    const t = pairs[2 * i + 1]! * 4294967296 + (pairs[2 * i]! >>> 0);
    if (t < minT) minT = t;
    if (t > maxT) maxT = t;
  }
  range[0] = minT;
  range[1] = maxT;
}

/**
 * A sort pass over one decoded chunk: copy the photons with `lo ≤ xy ≤ hi` to their rows (`cursor` per
 * xy; a row is {@link ROW} int32: timestamp low, high, phase, baseline).
 */
function scatterChunk(cols: PhotonColumns, lo: number, hi: number, cursor: Int32Array, rows: Int32Array): void {
  const xy = cols.xy;
  const pairs = cols.tsPairs;
  const ph = cols.phase;
  const bl = cols.baseline;
  for (let i = 0; i < cols.length; i++) {
    const v = xy[i]!;
    if (v < lo || v > hi) continue;
    const at = cursor[v - lo]!++ * ROW;
    rows[at] = pairs[2 * i]!;
    rows[at + 1] = pairs[2 * i + 1]!;
    rows[at + 2] = ph[i]!;
    rows[at + 3] = bl[i]!;
  }
}

/** Cut the xy histogram into consecutive groups of at most `maxRows` photons (a single pixel may exceed it). */
function groupsOf(counts: Float64Array, maxRows: number): Array<[number, number, number]> {
  const groups: Array<[number, number, number]> = [];
  let lo = -1;
  let sum = 0;
  for (let v = 0; v < 65536; v++) {
    const c = counts[v]!;
    if (c === 0) continue;
    if (lo >= 0 && sum + c > maxRows) {
      groups.push([lo, v - 1, sum]);
      lo = -1;
      sum = 0;
    }
    if (lo < 0) lo = v;
    sum += c;
  }
  if (lo >= 0) groups.push([lo, 65535, sum]);
  return groups;
}

/** A zero-row packed photon table (the schema of the Parquet cache). */
export const emptyPhotonTable = (): Table =>
  photonTable({
    xy: new Uint16Array(0),
    timestamp: new BigInt64Array(0),
    phase: new Int32Array(0),
    baseline: new Int32Array(0),
  });

/**
 * Decode `source` once (counts, checksum, `xy` histogram, wide photons) and return what is needed to
 * stream its packed photons sorted by (xy, timestamp) (see module doc).
 * @throws Gen2BinError `GEN2_FILE_NOT_FOUND`, `GEN2_IO` (the source failed)
 */
export async function sortGen2Source(source: ByteSource, options: SortOptions): Promise<SortedPhotons> {
  const name = options.path ?? source.name;
  const header = options.header;
  const maxRows = Math.max(1, options.maxRowsPerPass ?? 4 * 1024 * 1024);
  const counts = new Float64Array(65536);
  const wide = new WidePhotonColumns();
  const sum = new Gen2ChecksumAccumulator();
  const range = new Float64Array([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
  // A caller's SortScratch is held from here to the end of the first sorted iteration (or this
  // function's failure); a SortScratch held by another sort is not used at all.
  let lease = options.scratch?.take() ?? null;
  /** The first pass's buffers were the lease's, given back: another sort may use them now. */
  let scratchGone = false;
  const endLease = () => {
    if (!lease) return;
    lease.release();
    lease = null;
    scratchGone = true;
  };
  const scratch = createScratch(source, name, lease);
  let first: PassResult;
  try {
    first = await decodePass(source, header, wide, scratch, (cols) => {
      histogramChunk(cols, counts, range);
      sum.addPacked({
        xy: cols.xy.subarray(0, cols.length),
        timestamp: cols.timestamp.subarray(0, cols.length),
        phase: cols.phase.subarray(0, cols.length),
        baseline: cols.baseline.subarray(0, cols.length),
      });
    });
  } catch (error) {
    endLease();
    throw error;
  }
  let minT = range[0]!;
  let maxT = range[1]!;
  const wideCols = wideArrays(wide);
  sum.addWide(wideCols);
  for (let i = 0; i < wideCols.timestamp.length; i++) {
    const t = Number(wideCols.timestamp[i]!);
    if (t < minT) minT = t;
    if (t > maxT) maxT = t;
  }
  const groups = groupsOf(counts, maxRows);
  const most = groups.reduce((m, g) => Math.max(m, g[2]), 0);
  let scratchFree = true;
  async function* sortedTables(tableOptions: { transient?: boolean } = {}): AsyncGenerator<Table> {
    // The first pass's buffers are reused (the conversion's peak memory), unless another iteration
    // holds them or they were a caller's SortScratch given back after an earlier iteration.
    const mine = scratchFree && !scratchGone;
    const own = mine ? scratch : createScratch(source, name);
    if (mine) scratchFree = false;
    try {
      // One row array for all passes (allocating per group doubles the peak until GC): the
      // SortScratch's (an earlier file's) when there is one.
      const shared = mine ? lease : null;
      const rows = shared ? shared.rows(most) : new Int32Array(ROW * most);
      const batch = tableOptions.transient ? (shared ? shared.batch() : batchBuffers()) : null;
      yield* passes(own, rows, batch);
    } finally {
      if (mine) {
        scratchFree = true;
        endLease();
      }
    }
  }
  async function* passes(scratch: PassScratch, rowsAll: Int32Array, batch: BatchBuffers | null): AsyncGenerator<Table> {
    const scratchWide = new WidePhotonColumns();
    for (const [lo, hi, n] of groups) {
      const rows = rowsAll.subarray(0, ROW * n);
      const starts = new Int32Array(hi - lo + 2);
      for (let v = lo, at = 0; v <= hi; v++) {
        starts[v - lo] = at;
        at += counts[v]!;
      }
      starts[hi - lo + 1] = n;
      const cursor = starts.slice();
      await decodePass(source, header, scratchWide, scratch, (cols) => {
        scratchWide.length = 0;
        scatterChunk(cols, lo, hi, cursor, rows);
      });
      sortInsidePixels(starts, hi - lo + 1, rows);
      // Emit in batches of ≤ BATCH rows, in the shared buffers (transient) or each in its own.
      let v = lo;
      for (let a = 0; a < n; a += BATCH) {
        const b = Math.min(n, a + BATCH);
        const xyOut = batch ? batch.xy.subarray(0, b - a) : new Uint16Array(b - a);
        v = fillXy(xyOut, starts, lo, v, a);
        const tsOut = batch ? batch.timestamp.subarray(0, b - a) : new BigInt64Array(b - a);
        const phaseOut = batch ? batch.phase.subarray(0, b - a) : new Int32Array(b - a);
        const baselineOut = batch ? batch.baseline.subarray(0, b - a) : new Int32Array(b - a);
        splitRows(rows, a, b, new Int32Array(tsOut.buffer, tsOut.byteOffset, 2 * (b - a)), phaseOut, baselineOut);
        yield photonTable({ xy: xyOut, timestamp: tsOut, phase: phaseOut, baseline: baselineOut });
      }
    }
  }
  const state = first.state;
  return {
    stats: {
      bytes: first.bytes,
      words: state.words,
      headers: state.headers,
      paddings: state.paddings,
      photons: state.photons,
      widePhotons: state.widePhotons,
      orphanWords: state.orphanWords,
      trailingBytes: first.bytes % 8,
    },
    lastHeader: currentHeader(state),
    checksum: sum.hex(),
    minTimestampUs: Number.isFinite(minT) ? minT : null,
    maxTimestampUs: Number.isFinite(maxT) ? maxT : null,
    wide: wideCols,
    tables: sortedTables,
  };
}

/** Timestamp of row `i` of `rows` (an integer < 2^53). */
function rowTime(rows: Int32Array, i: number): number {
  return rows[ROW * i + 1]! * 4294967296 + (rows[ROW * i]! >>> 0);
}

/** Time order inside each of the `pixels` buckets `[starts[k], starts[k+1])`: usually already true (one board's frames arrive in order). */
function sortInsidePixels(starts: Int32Array, pixels: number, rows: Int32Array): void {
  for (let k = 0; k < pixels; k++) {
    const a = starts[k]!;
    const b = starts[k + 1]!;
    for (let i = a + 1; i < b; i++) {
      if (rowTime(rows, i) < rowTime(rows, i - 1)) {
        sortBucket(rows, a, b);
        break;
      }
    }
  }
}

/** `xy` of sorted rows `[a, a + out.length)`, from the pixel bucket starts (`v` = the pixel of row `a`); returns the pixel after. */
function fillXy(out: Uint16Array, starts: Int32Array, lo: number, v: number, a: number): number {
  for (let i = 0; i < out.length; i++) {
    while (starts[v - lo + 1]! <= a + i) v++;
    out[i] = v;
  }
  return v;
}

/** Rows `[a, b)` into their columns: timestamps as Int64 halves into `pairs` (low, high), phase, baseline. */
function splitRows(rows: Int32Array, a: number, b: number, pairs: Int32Array, phase: Int32Array, baseline: Int32Array): void {
  for (let i = a, o = 0; i < b; i++, o++) {
    const at = ROW * i;
    pairs[2 * o] = rows[at]!;
    pairs[2 * o + 1] = rows[at + 1]!;
    phase[o] = rows[at + 2]!;
    baseline[o] = rows[at + 3]!;
  }
}

/** Stable sort of rows `[a, b)` by timestamp. */
function sortBucket(rows: Int32Array, a: number, b: number): void {
  const idx = Array.from({ length: b - a }, (_, i) => a + i);
  idx.sort((i, j) => rowTime(rows, i) - rowTime(rows, j) || i - j);
  const sorted = new Int32Array(ROW * (b - a));
  for (let k = 0; k < idx.length; k++) sorted.set(rows.subarray(ROW * idx[k]!, ROW * idx[k]! + ROW), ROW * k);
  rows.set(sorted, ROW * a);
}

/** Empty wide table (schema only), used by readers when no wide file exists. */
export function emptyWideTable(): Table {
  return wideTable({
    x: new Uint16Array(0),
    y: new Uint16Array(0),
    timestamp: new BigInt64Array(0),
    phase: new Int32Array(0),
    baseline: new Int32Array(0),
    board: new Uint8Array(0),
  });
}
