/**
 * The one gen2 decoder core (spec §2.4, §7.1). Every public reader — whole file, streaming
 * batches, the Parquet conversion worker — runs {@link decodeWords} over `Uint32Array` views of
 * the file bytes. Words are big-endian; the host is little-endian, so each 32-bit half is
 * byte-swapped with shifts (no DataView, no BigInt in the loop).
 */
import { endianness } from "node:os";
import { Gen2BinError } from "./errors.js";
import type { Gen2Header } from "./words.js";

if (endianness() !== "LE") {
  throw new Error("@daqkit/gen2-bin: the decoder assumes a little-endian host");
}

const TWO_32 = 4294967296;

/** Mutable decoder state carried from one block of words to the next (and from file to file). */
export interface DecoderState {
  /** A header has been seen (or passed in): photon words can be timed. */
  hasHeader: boolean;
  board: number;
  frame: number;
  /** Header timestamp in ticks. */
  headerTs: number;
  /** `headerTs × 500` split into low/high 32-bit parts. */
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
  state.baseLo = base >>> 0;
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
  readonly board: Uint8Array;
  length = 0;
  constructor(readonly capacity: number) {
    this.xy = new Uint16Array(capacity);
    this.timestamp = new BigInt64Array(capacity);
    this.tsPairs = new Int32Array(this.timestamp.buffer);
    this.phase = new Int32Array(capacity);
    this.baseline = new Int32Array(capacity);
    this.board = new Uint8Array(capacity);
  }
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
 * Decode words `[startWord, endWord)` of `words` (a native-endian `Uint32Array` view over the
 * file bytes, two elements per gen2 word) into `out` / `wide`, updating `state`.
 * `out` must have room for `endWord − startWord` more photons.
 */
export function decodeWords(
  words: Uint32Array,
  startWord: number,
  endWord: number,
  state: DecoderState,
  out: PhotonColumns,
  wide: WidePhotonColumns,
): void {
  if (out.capacity - out.length < endWord - startWord) {
    throw new RangeError("gen2 decoder: output columns too small");
  }
  // Many calls over 256 KiB blocks instead of one giant loop: V8 then optimises the whole function
  // after a few blocks, instead of relying on on-stack replacement of one long-running loop (which
  // on a loaded machine can leave most of a file in the interpreter).
  for (let start = startWord; start < endWord; start += BLOCK_WORDS) {
    decodeBlock(words, start, Math.min(endWord, start + BLOCK_WORDS), state, out, wide);
  }
}

function decodeBlock(
  words: Uint32Array,
  startWord: number,
  endWord: number,
  state: DecoderState,
  out: PhotonColumns,
  wide: WidePhotonColumns,
): void {
  const xyOut = out.xy;
  const tsOut = out.tsPairs;
  const phaseOut = out.phase;
  const baselineOut = out.baseline;
  const boardOut = out.board;
  let n = out.length;
  let hasHeader = state.hasHeader;
  let board = state.board;
  let frame = state.frame;
  let headerTs = state.headerTs;
  let baseLo = state.baseLo;
  let baseHi = state.baseHi;
  let headers = 0;
  let paddings = 0;
  let widePhotons = 0;
  let orphans = 0;
  for (let i = startWord * 2, end = endWord * 2; i < end; i += 2) {
    const a = words[i]!; // bytes 0..3, little-endian view
    const b = words[i + 1]!;
    // header: first byte 0xFF (spec §2.4 rule 1)
    if ((a & 0xff) === 0xff) {
      const hi = (a << 24) | ((a & 0xff00) << 8) | ((a >>> 8) & 0xff00) | (a >>> 24);
      const lo = ((b << 24) | ((b & 0xff00) << 8) | ((b >>> 8) & 0xff00) | (b >>> 24)) >>> 0;
      board = (hi >>> 16) & 0xff;
      frame = (hi >>> 4) & 0xfff;
      headerTs = (hi & 0xf) * TWO_32 + lo;
      const base = headerTs * 500;
      baseLo = base >>> 0;
      baseHi = (base / TWO_32) | 0;
      hasHeader = true;
      headers++;
      continue;
    }
    // padding: 7f ff ff ff ff ff ff ff (rule 2)
    if (a === 0xffffff7f && b === 0xffffffff) {
      paddings++;
      continue;
    }
    if (!hasHeader) {
      orphans++;
      continue;
    }
    const hi = (a << 24) | ((a & 0xff00) << 8) | ((a >>> 8) & 0xff00) | (a >>> 24);
    const lo = (b << 24) | ((b & 0xff00) << 8) | ((b >>> 8) & 0xff00) | (b >>> 24);
    const x = hi >>> 22;
    const y = (hi >>> 12) & 0x3ff;
    const offset = (hi >>> 3) & 0x1ff;
    const phase = ((((hi & 0x7) << 15) | (lo >>> 17)) << 14) >> 14; // 18-bit two's complement
    const baseline = (lo << 15) >> 15; // 17-bit two's complement
    if ((x | y) < 256) {
      xyOut[n] = (x << 8) | y;
      const tLo = baseLo + offset;
      tsOut[2 * n] = tLo;
      tsOut[2 * n + 1] = tLo > 0xffffffff ? baseHi + 1 : baseHi;
      phaseOut[n] = phase;
      baselineOut[n] = baseline;
      boardOut[n] = board;
      n++;
    } else {
      wide.push(board, x, y, headerTs * 500 + offset, phase, baseline);
      widePhotons++;
    }
  }
  state.words += endWord - startWord;
  state.headers += headers;
  state.paddings += paddings;
  state.photons += n - out.length;
  state.widePhotons += widePhotons;
  state.orphanWords += orphans;
  out.length = n;
  state.hasHeader = hasHeader;
  state.board = board;
  state.frame = frame;
  state.headerTs = headerTs;
  state.baseLo = baseLo;
  state.baseHi = baseHi;
}

/**
 * A `Uint32Array` over `bytes` (whole words only). Views the same memory when `bytes` is 4-byte
 * aligned, otherwise copies into a fresh aligned buffer.
 */
export function wordView(bytes: Uint8Array): Uint32Array {
  const wordBytes = bytes.byteLength - (bytes.byteLength % 8);
  if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, wordBytes / 4);
  const copy = new Uint8Array(wordBytes);
  copy.set(bytes.subarray(0, wordBytes));
  return new Uint32Array(copy.buffer);
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
