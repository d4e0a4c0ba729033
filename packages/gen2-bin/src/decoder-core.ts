/**
 * The one gen2 decoder core (spec §2.4, §7.1). Every public reader — whole file, streaming
 * batches, the Parquet conversion worker — runs {@link decodeWords}.
 *
 * Each 8-byte big-endian word is read as two 32-bit halves and decoded with 32-bit shifts and
 * masks (spec §2.5); no BigInt, no object per word. The halves are read with
 * `DataView.getInt32(…, false)`: V8's optimising compiler turns that into one load plus a `bswap`
 * instruction, which measured 20–40 % faster on this machine than a `Uint32Array` load followed by
 * a byte swap written with shifts (the STYLE.md recipe), and it needs no aligned copy of
 * unaligned input. Works on any host byte order.
 */
import { Gen2BinError } from "./errors.js";
import type { Gen2Header } from "./words.js";

const TWO_32 = 4294967296;
const BIG_ENDIAN = false;

/** Mutable decoder state carried from one block of words to the next (and from file to file). */
export interface DecoderState {
  /** A header has been seen (or passed in): photon words can be timed. */
  hasHeader: boolean;
  board: number;
  frame: number;
  /** Header timestamp in ticks. */
  headerTs: number;
  /** `headerTs × 500` split into low (as a signed int32) and high 32-bit parts. */
  baseLo: number;
  baseHi: number;
  words: number;
  headers: number;
  paddings: number;
  /** Photons with x, y < 256, emitted to the packed (`xy`) columns. */
  photons: number;
  /** Photons with x or y ≥ 256, emitted to the wide (`x`, `y`) columns. */
  widePhotons: number;
  /** Photon words seen before any header (no time can be given to them): not emitted. */
  orphanWords: number;
}

/** A fresh decoder state, optionally seeded with a header (the previous file's last header). */
export function createDecoderState(header?: Gen2Header | null): DecoderState {
  const state: DecoderState = {
    hasHeader: false,
    board: 0,
    frame: 0,
    headerTs: 0,
    baseLo: 0,
    baseHi: 0,
    words: 0,
    headers: 0,
    paddings: 0,
    photons: 0,
    widePhotons: 0,
    orphanWords: 0,
  };
  if (header) setHeader(state, header);
  return state;
}

function setHeader(state: DecoderState, header: Gen2Header): void {
  state.hasHeader = true;
  state.board = header.board;
  state.frame = header.frame;
  state.headerTs = header.timestamp;
  const base = header.timestamp * 500;
  state.baseLo = base | 0;
  state.baseHi = Math.floor(base / TWO_32);
}

/** The header the state currently times photons with, or null. */
export function currentHeader(state: DecoderState): Gen2Header | null {
  return state.hasHeader ? { board: state.board, frame: state.frame, timestamp: state.headerTs } : null;
}

/**
 * Packed photon columns with a fixed capacity. `timestamp` is an Int64 column written through
 * its Int32 halves (`tsPairs[2i]` low, `tsPairs[2i+1]` high).
 */
export class PhotonColumns {
  readonly xy: Uint16Array;
  readonly timestamp: BigInt64Array;
  readonly tsPairs: Int32Array;
  readonly phase: Int32Array;
  readonly baseline: Int32Array;
  /** Board of each photon's frame, or null when not asked for. */
  readonly board: Uint8Array | null;
  length = 0;
  /**
   * New columns of `capacity` rows, or — with `arrays` — columns over existing arrays (each at least
   * `capacity` long; e.g. one part's rows of shared columns, see `split-decode.ts`).
   */
  constructor(
    readonly capacity: number,
    withBoard = false,
    arrays?: PhotonColumnArrays,
  ) {
    if (arrays) {
      if (
        arrays.xy.length < capacity ||
        arrays.timestamp.length < capacity ||
        arrays.phase.length < capacity ||
        arrays.baseline.length < capacity ||
        (withBoard && (arrays.board == null || arrays.board.length < capacity))
      ) {
        throw new RangeError(`gen2 decoder: output columns shorter than ${capacity} rows`);
      }
      this.xy = arrays.xy;
      this.timestamp = arrays.timestamp;
      this.phase = arrays.phase;
      this.baseline = arrays.baseline;
      this.board = withBoard ? (arrays.board ?? null) : null;
    } else {
      this.xy = new Uint16Array(capacity);
      this.timestamp = new BigInt64Array(capacity);
      this.phase = new Int32Array(capacity);
      this.baseline = new Int32Array(capacity);
      this.board = withBoard ? new Uint8Array(capacity) : null;
    }
    this.tsPairs = new Int32Array(this.timestamp.buffer, this.timestamp.byteOffset, capacity * 2);
  }
}

/** Existing output arrays for {@link PhotonColumns} (row 0 of each is the first row written). */
export interface PhotonColumnArrays {
  readonly xy: Uint16Array;
  readonly timestamp: BigInt64Array;
  readonly phase: Int32Array;
  readonly baseline: Int32Array;
  readonly board?: Uint8Array | null;
}

/** Columns for photons with x or y ≥ 256 (rare: unbeammapped channels, spec §2.4); grows on demand. */
export class WidePhotonColumns {
  x = new Uint16Array(16);
  y = new Uint16Array(16);
  timestamp = new BigInt64Array(16);
  phase = new Int32Array(16);
  baseline = new Int32Array(16);
  board = new Uint8Array(16);
  length = 0;

  push(board: number, x: number, y: number, tUs: number, phase: number, baseline: number): void {
    if (this.length === this.x.length) this.grow();
    const i = this.length++;
    this.x[i] = x;
    this.y[i] = y;
    this.timestamp[i] = BigInt(tUs);
    this.phase[i] = phase;
    this.baseline[i] = baseline;
    this.board[i] = board;
  }

  private grow(): void {
    const n = this.x.length * 2;
    const copy = <T extends Uint16Array | BigInt64Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      (b as Uint8Array).set(a as Uint8Array);
      return b;
    };
    this.x = copy(this.x, (k) => new Uint16Array(k));
    this.y = copy(this.y, (k) => new Uint16Array(k));
    this.timestamp = copy(this.timestamp, (k) => new BigInt64Array(k));
    this.phase = copy(this.phase, (k) => new Int32Array(k));
    this.baseline = copy(this.baseline, (k) => new Int32Array(k));
    this.board = copy(this.board, (k) => new Uint8Array(k));
  }
}

/** Words per call of the hot loop (see {@link decodeWords}). */
const BLOCK_WORDS = 32768;

/**
 * The scalar state of {@link decodeBlock} between calls, in one module-level array. The hot function
 * then touches no object property: a `DecoderState` whose fields change representation (a 36-bit
 * header time replacing the initial 0, a counter leaving the small-integer range) deprecates its
 * map, and optimised code that read it was measured deoptimising at every call (each call then
 * starting in the interpreter), costing ~25 % of a 200 MB decode.
 */
const REGS = new Float64Array(10);
const R_HAS_HEADER = 0;
const R_BOARD = 1;
const R_FRAME = 2;
const R_HEADER_TS = 3;
const R_BASE_LO = 4;
const R_BASE_HI = 5;
const R_HEADERS = 6;
const R_PADDINGS = 7;
const R_WIDE = 8;
const R_ORPHANS = 9;

/**
 * Decode words `[startWord, endWord)` of `view` (8 bytes each, big-endian) into `out` / `wide`,
 * updating `state`.
 * `out` must have room for `endWord − startWord` more photons.
 */
export function decodeWords(
  view: DataView,
  startWord: number,
  endWord: number,
  state: DecoderState,
  out: PhotonColumns,
  wide: WidePhotonColumns,
): void {
  if (out.capacity - out.length < endWord - startWord) {
    throw new RangeError("gen2 decoder: output columns too small");
  }
  if (!warmedUp) warmUp();
  const regs = REGS;
  regs[R_HAS_HEADER] = state.hasHeader ? 1 : 0;
  regs[R_BOARD] = state.board;
  regs[R_FRAME] = state.frame;
  regs[R_HEADER_TS] = state.headerTs;
  regs[R_BASE_LO] = state.baseLo;
  regs[R_BASE_HI] = state.baseHi;
  regs[R_HEADERS] = 0;
  regs[R_PADDINGS] = 0;
  regs[R_WIDE] = 0;
  regs[R_ORPHANS] = 0;
  const n0 = out.length;
  let n = n0;
  // Many calls over 256 KiB blocks instead of one giant loop: V8 then optimises the whole function
  // after a few blocks, instead of relying on on-stack replacement of one long-running loop (which
  // on a loaded machine can leave most of a file in the interpreter).
  for (let start = startWord; start < endWord; start += BLOCK_WORDS) {
    n = decodeBlock(view, start, Math.min(endWord, start + BLOCK_WORDS), n, out.xy, out.tsPairs, out.phase, out.baseline, out.board, wide);
  }
  out.length = n;
  state.words += endWord - startWord;
  state.photons += n - n0;
  state.headers += regs[R_HEADERS]!;
  state.paddings += regs[R_PADDINGS]!;
  state.widePhotons += regs[R_WIDE]!;
  state.orphanWords += regs[R_ORPHANS]!;
  state.hasHeader = regs[R_HAS_HEADER] === 1;
  state.board = regs[R_BOARD]!;
  state.frame = regs[R_FRAME]!;
  state.headerTs = regs[R_HEADER_TS]!;
  state.baseLo = regs[R_BASE_LO]!;
  state.baseHi = regs[R_BASE_HI]!;
}

let warmedUp = false;

/**
 * Run every path of {@link decodeBlock} once on a few synthetic words (a word before any header,
 * padding, headers, packed and wide photons; with and without a board column) before the first real
 * input. Optimised code is then built with type feedback for all of it: otherwise a path first taken
 * late (the loop exit, a wide photon, the words before the first header) deoptimises the function,
 * and each later call restarts in the interpreter until it is re-optimised (measured: a deopt at every
 * one of the 770 calls of a 200 MB decode). Costs microseconds, once.
 */
function warmUp(): void {
  warmedUp = true;
  const words = [
    [0x00401000, 0], // photon word before any header: orphan
    [0x7fffffff, -1], // padding before any header
    [0xff010000 | 0, 1], // header
    [0x00401008, 0x12345], // packed photons: four (the four-word loop), then one
    [0x00401010, 0x23456],
    [0x00401018, -0x12345],
    [0x00401020, 0x7fffffff],
    [0x00401028, 0],
    [0xbffff000 | 0, 0], // wide photon (x 767, y 1023)
    [0x7fffffff, -1], // padding
    [0xff020001 | 0, -1], // header, low word all ones (carry into the high word)
    [0x00401ff8, -1], // packed photons with a carry: four, then one
    [0x00401ff8, 1],
    [0x00401ff8, 2],
    [0x00401ff8, 3],
    [0x00401ff8, -1],
  ];
  const view = new DataView(new ArrayBuffer(words.length * 8));
  words.forEach(([hi, lo], i) => {
    view.setInt32(8 * i, hi!, BIG_ENDIAN);
    view.setInt32(8 * i + 4, lo!, BIG_ENDIAN);
  });
  // More calls than V8 makes before it allocates a function's feedback vector (8 in Node 20).
  for (let i = 0; i < 16; i++) {
    const out = new PhotonColumns(words.length, i % 4 === 1);
    decodeWords(view, 0, words.length, createDecoderState(), out, new WidePhotonColumns());
  }
}

/**
 * Decode words `[startWord, endWord)` into the columns from row `n` on; returns the new row count. State in {@link REGS}.
 *
 * Constants are written as literals here, not as module-level constants: the bundler turns a
 * module's `const` into `var`, which V8 cannot fold, so every use became a load from the module
 * context — and the `littleEndian` argument of each `getInt32` a run-time truth test with a
 * conditional byte swap (seen in the optimised code; 1.15× faster without).
 */
function decodeBlock(
  view: DataView,
  startWord: number,
  endWord: number,
  n: number,
  xyOut: Uint16Array,
  tsOut: Int32Array,
  phaseOut: Int32Array,
  baselineOut: Int32Array,
  boardOut: Uint8Array | null,
  wide: WidePhotonColumns,
): number {
  const regs = REGS;
  let hasHeader = regs[R_HAS_HEADER] === 1;
  let board = regs[R_BOARD]! | 0;
  let frame = regs[R_FRAME]! | 0;
  let headerTs = regs[R_HEADER_TS]!;
  let baseLo = regs[R_BASE_LO]! | 0;
  let baseHi = regs[R_BASE_HI]! | 0;
  let headers = 0;
  let paddings = 0;
  let widePhotons = 0;
  let orphans = 0;
  const end = endWord * 8;
  let at = startWord * 8;
  // Words before the first header (only at the start of an input without a `header`): slow path.
  if (!hasHeader) {
    for (; at < end; at += 8) {
      const hi = view.getInt32(at, false); // big-endian
      if (hi >>> 24 === 0xff) break;
      if (hi === 0x7fffffff && view.getInt32(at + 4, false) === -1) paddings++;
      else orphans++;
    }
  }
  // The board column is filled in runs at each header (`fill`), keeping the hot path free of it.
  let boardFrom = n;
  while (at < end) {
    // Hottest loop: four packed photons at a time (x, y < 256; the test below, for all four at once),
    // while there are four. All eight halves are read before any row is written: the rows written
    // (n … n + 3) are at or below the words read (row ≤ word), which matters when the input is the
    // timestamp column itself (the in-place Node decode). Per word this runs ~18 % fewer instructions
    // than the one-word loop below (each column's checks and loads once per four rows; callgrind).
    for (; at + 24 < end; at += 32) {
      const h0 = view.getInt32(at, false);
      const h1 = view.getInt32(at + 8, false);
      const h2 = view.getInt32(at + 16, false);
      const h3 = view.getInt32(at + 24, false);
      if (((h0 | h1 | h2 | h3) & 0xc0300000) !== 0) break;
      const l0 = view.getInt32(at + 4, false);
      const l1 = view.getInt32(at + 12, false);
      const l2 = view.getInt32(at + 20, false);
      const l3 = view.getInt32(at + 28, false);
      const t0 = (baseLo + ((h0 >>> 3) & 0x1ff)) | 0;
      const t1 = (baseLo + ((h1 >>> 3) & 0x1ff)) | 0;
      const t2 = (baseLo + ((h2 >>> 3) & 0x1ff)) | 0;
      const t3 = (baseLo + ((h3 >>> 3) & 0x1ff)) | 0;
      const base = baseLo >>> 0;
      const i = 2 * n;
      tsOut[i] = t0;
      tsOut[i + 1] = baseHi + (t0 >>> 0 < base ? 1 : 0);
      tsOut[i + 2] = t1;
      tsOut[i + 3] = baseHi + (t1 >>> 0 < base ? 1 : 0);
      tsOut[i + 4] = t2;
      tsOut[i + 5] = baseHi + (t2 >>> 0 < base ? 1 : 0);
      tsOut[i + 6] = t3;
      tsOut[i + 7] = baseHi + (t3 >>> 0 < base ? 1 : 0);
      xyOut[n] = ((h0 >>> 14) & 0xff00) | ((h0 >>> 12) & 0xff);
      xyOut[n + 1] = ((h1 >>> 14) & 0xff00) | ((h1 >>> 12) & 0xff);
      xyOut[n + 2] = ((h2 >>> 14) & 0xff00) | ((h2 >>> 12) & 0xff);
      xyOut[n + 3] = ((h3 >>> 14) & 0xff00) | ((h3 >>> 12) & 0xff);
      phaseOut[n] = ((h0 << 29) >> 14) | (l0 >>> 17);
      phaseOut[n + 1] = ((h1 << 29) >> 14) | (l1 >>> 17);
      phaseOut[n + 2] = ((h2 << 29) >> 14) | (l2 >>> 17);
      phaseOut[n + 3] = ((h3 << 29) >> 14) | (l3 >>> 17);
      baselineOut[n] = (l0 << 15) >> 15;
      baselineOut[n + 1] = (l1 << 15) >> 15;
      baselineOut[n + 2] = (l2 << 15) >> 15;
      baselineOut[n + 3] = (l3 << 15) >> 15;
      n += 4;
    }
    // Hot loop: a run of photons with x, y < 256 (a header is in effect here), up to the next other
    // word. `hi & 0xC0300000` tests the top two bits of x (31..30) and of y (21..20): zero exactly for
    // such a photon, which is never a header (top byte 0xFF) nor padding (0x7FFFFFFF has bit 30 set),
    // so one test per word decides it; every other word goes to the rule order of spec §2.4 below.
    // An inner loop without calls in it compiles to tighter code than one loop with every case.
    for (; at < end; at += 8) {
      // Big-endian 32-bit halves: TurboFan compiles these DataView reads to a load + bswap.
      const hi = view.getInt32(at, false); // bytes 0..3
      if ((hi & 0xc0300000) !== 0) break;
      const lo = view.getInt32(at + 4, false); // bytes 4..7
      const tLo = (baseLo + ((hi >>> 3) & 0x1ff)) | 0; // + offset, µs after the header time
      tsOut[2 * n] = tLo;
      // Carry into the high word when the low word wrapped (unsigned tLo < unsigned baseLo).
      tsOut[2 * n + 1] = baseHi + (tLo >>> 0 < baseLo >>> 0 ? 1 : 0);
      xyOut[n] = ((hi >>> 14) & 0xff00) | ((hi >>> 12) & 0xff); // x << 8 | y from bits 29..22 and 19..12
      phaseOut[n] = ((hi << 29) >> 14) | (lo >>> 17); // 18-bit two's complement: 3 bits of hi, 15 of lo
      baselineOut[n] = (lo << 15) >> 15; // 17-bit two's complement
      n++;
    }
    if (at >= end) break;
    const hi = view.getInt32(at, false);
    const lo = view.getInt32(at + 4, false);
    at += 8;
    // header: first byte 0xFF (spec §2.4 rule 1)
    if (hi >>> 24 === 0xff) {
      if (boardOut !== null && n > boardFrom) boardOut.fill(board, boardFrom, n);
      boardFrom = n;
      board = (hi >>> 16) & 0xff;
      frame = (hi >>> 4) & 0xfff;
      headerTs = (hi & 0xf) * 4294967296 + (lo >>> 0);
      const base = headerTs * 500;
      baseLo = base | 0; // low 32 bits as a signed int32 (pure 32-bit arithmetic above)
      baseHi = (base / 4294967296) | 0;
      hasHeader = true;
      headers++;
      continue;
    }
    // padding: 7f ff ff ff ff ff ff ff (rule 2)
    if (hi === 0x7fffffff && lo === -1) {
      paddings++;
      continue;
    }
    // A photon with x or y ≥ 256 (rule 3).
    wide.push(
      board,
      hi >>> 22,
      (hi >>> 12) & 0x3ff,
      headerTs * 500 + ((hi >>> 3) & 0x1ff),
      ((hi << 29) >> 14) | (lo >>> 17),
      (lo << 15) >> 15,
    );
    widePhotons++;
  }
  if (boardOut !== null && n > boardFrom) boardOut.fill(board, boardFrom, n);
  regs[R_HAS_HEADER] = hasHeader ? 1 : 0;
  regs[R_BOARD] = board;
  regs[R_FRAME] = frame;
  regs[R_HEADER_TS] = headerTs;
  regs[R_BASE_LO] = baseLo;
  regs[R_BASE_HI] = baseHi;
  regs[R_HEADERS] = regs[R_HEADERS]! + headers;
  regs[R_PADDINGS] = regs[R_PADDINGS]! + paddings;
  regs[R_WIDE] = regs[R_WIDE]! + widePhotons;
  regs[R_ORPHANS] = regs[R_ORPHANS]! + orphans;
  return n;
}

/**
 * Photons with x, y < 256 that {@link decodeWords} would emit from words `[startWord, endWord)` of
 * `view`: words with `(hi & 0xC0300000) === 0` (the hot loop's test), not counting those before the
 * first header when `hasHeader` is false (orphans). Reads only the high half of each word.
 */
export function countPackedPhotons(view: DataView, startWord: number, endWord: number, hasHeader: boolean): number {
  const end = endWord * 8;
  let at = startWord * 8;
  if (!hasHeader) {
    for (; at < end; at += 8) if (view.getInt32(at, false) >>> 24 === 0xff) break;
  }
  let count = 0;
  for (; at < end; at += 8) {
    // Literals (not module constants): see decodeBlock.
    if ((view.getInt32(at, false) & 0xc0300000) === 0) count++;
  }
  return count;
}

/** A DataView over the whole words of `bytes` (no copy). */
export function wordView(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength - (bytes.byteLength % 8));
}

/** Throw the coded error for a byte length that is not a whole number of words. */
export function partialWordError(byteLength: number, path?: string): Gen2BinError {
  const rest = byteLength % 8;
  return new Gen2BinError(
    "GEN2_PARTIAL_WORD",
    `gen2: ${path ?? "input"} is ${byteLength} bytes, not a multiple of 8: the last word at byte ${byteLength - rest} has only ${rest} bytes`,
    { path, byteOffset: byteLength - rest },
  );
}
