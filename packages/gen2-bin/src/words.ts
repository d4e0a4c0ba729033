/**
 * One gen2 word at a time: classify, decode and encode header, photon and padding words
 * (spec gen2-bin §2). Words are 8 bytes, big-endian; all arithmetic is on two 32-bit halves
 * (`hi` = bytes 0..3, `lo` = bytes 4..7), never BigInt.
 */
import { Gen2BinError } from "./errors.js";

/** Bytes per gen2 word. */
export const GEN2_WORD_BYTES = 8;
/** µs per header tick (the header timestamp counts half-milliseconds). */
export const GEN2_TICK_US = 500;
/** Header timestamps are 36-bit: they wrap at 2^36 ticks. */
export const GEN2_HEADER_TS_MODULUS = 2 ** 36;
/** The wrap modulus in µs: 2^36 × 500 = 34 359 738 368 000 (spec §5.2). */
export const GEN2_WRAP_US = GEN2_HEADER_TS_MODULUS * GEN2_TICK_US;
/** At most this many photon words per frame (spec §3). */
export const GEN2_PHOTONS_PER_FRAME = 100;

const TWO_32 = 4294967296;

/** Kind of a word by the hardware rule of spec §2.4. */
export type Gen2WordKind = "header" | "padding" | "photon";

/** The fields of a header word (spec §2.1). */
export interface Gen2Header {
  /** Board (roach) number, 0..255. */
  readonly board: number;
  /** Frame counter, 0..4095 (per board, wraps). */
  readonly frame: number;
  /** Header timestamp in 500 µs ticks since the year epoch, 0..2^36−1. */
  readonly timestamp: number;
}

/** The fields of a photon word (spec §2.2), raw integers. */
export interface Gen2PhotonWord {
  /** x coordinate, 0..1023. */
  readonly x: number;
  /** y coordinate, 0..1023. */
  readonly y: number;
  /** µs after the header time, 0..511 (0..499 in normal data). */
  readonly offset: number;
  /** Signed 18-bit phase, −131072..131071 (radians × 32768). */
  readonly phase: number;
  /** Signed 17-bit baseline, −65536..65535 (radians × 16384). */
  readonly baseline: number;
}

/** Classify a word from its two big-endian 32-bit halves (spec §2.4). */
export function classifyWord(hi: number, lo: number): Gen2WordKind {
  if (hi >>> 24 === 0xff) return "header";
  if (hi >>> 0 === 0x7fffffff && lo >>> 0 === 0xffffffff) return "padding";
  return "photon";
}

function halves(bytes: Uint8Array, byteOffset: number): [number, number] {
  if (byteOffset < 0 || byteOffset + GEN2_WORD_BYTES > bytes.length) {
    throw new Gen2BinError(
      "GEN2_PARTIAL_WORD",
      `gen2: word at byte ${byteOffset} is truncated: expected 8 bytes, got ${Math.max(0, bytes.length - byteOffset)}`,
      { byteOffset },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return [view.getUint32(byteOffset, false), view.getUint32(byteOffset + 4, false)];
}

/** Classify the 8 bytes at `byteOffset`. @throws Gen2BinError `GEN2_PARTIAL_WORD` if fewer than 8 bytes remain */
export function classifyWordBytes(bytes: Uint8Array, byteOffset = 0): Gen2WordKind {
  const [hi, lo] = halves(bytes, byteOffset);
  return classifyWord(hi, lo);
}

/**
 * Decode the 8 bytes at `byteOffset` as a header word. Does not check the 0xFF start byte:
 * use {@link classifyWordBytes} first. @throws Gen2BinError `GEN2_PARTIAL_WORD`
 */
export function decodeHeaderWord(bytes: Uint8Array, byteOffset = 0): Gen2Header {
  const [hi, lo] = halves(bytes, byteOffset);
  return { board: (hi >>> 16) & 0xff, frame: (hi >>> 4) & 0xfff, timestamp: (hi & 0xf) * TWO_32 + lo };
}

/** Decode the 8 bytes at `byteOffset` as a photon word (spec §2.5). @throws Gen2BinError `GEN2_PARTIAL_WORD` */
export function decodePhotonWord(bytes: Uint8Array, byteOffset = 0): Gen2PhotonWord {
  const [hi, lo] = halves(bytes, byteOffset);
  return {
    x: hi >>> 22,
    y: (hi >>> 12) & 0x3ff,
    offset: (hi >>> 3) & 0x1ff,
    phase: ((((hi & 0x7) << 15) | (lo >>> 17)) << 14) >> 14,
    baseline: ((lo & 0x1ffff) << 15) >> 15,
  };
}

function checkField(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Gen2BinError("GEN2_VALUE_OUT_OF_RANGE", `gen2: ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

/**
 * Encode a header word into `out` at `byteOffset` (8 bytes, big-endian). `timestamp` is reduced
 * mod 2^36 (it may be any non-negative integer tick count).
 * @throws Gen2BinError `GEN2_VALUE_OUT_OF_RANGE` for a board outside 0..255, a frame outside 0..4095 or a negative timestamp
 */
export function encodeHeaderWord(header: Gen2Header, out: Uint8Array = new Uint8Array(8), byteOffset = 0): Uint8Array {
  checkField("board", header.board, 0, 255);
  checkField("frame", header.frame, 0, 4095);
  checkField("header timestamp", header.timestamp, 0, Number.MAX_SAFE_INTEGER);
  const ts = header.timestamp % GEN2_HEADER_TS_MODULUS;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(byteOffset, ((0xff << 24) | (header.board << 16) | (header.frame << 4) | Math.floor(ts / TWO_32)) >>> 0, false);
  view.setUint32(byteOffset + 4, ts >>> 0, false);
  return out;
}

/**
 * Encode a photon word into `out` at `byteOffset` (8 bytes, big-endian).
 * @throws Gen2BinError `GEN2_VALUE_OUT_OF_RANGE` when a field does not fit (x, y 0..1019 — 1020+ would read
 *   back as a header; offset 0..511; phase −131072..131071; baseline −65536..65535)
 */
export function encodePhotonWord(photon: Gen2PhotonWord, out: Uint8Array = new Uint8Array(8), byteOffset = 0): Uint8Array {
  checkField("x", photon.x, 0, 1019);
  checkField("y", photon.y, 0, 1023);
  checkField("offset", photon.offset, 0, 511);
  checkField("phase", photon.phase, -131072, 131071);
  checkField("baseline", photon.baseline, -65536, 65535);
  if (photon.x === 511 && photon.y === 1023 && photon.offset === 511 && photon.phase === -1 && photon.baseline === -1) {
    throw new Gen2BinError("GEN2_VALUE_OUT_OF_RANGE", "gen2: this photon encodes to the padding word 0x7fffffffffffffff");
  }
  const phase = photon.phase & 0x3ffff;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(byteOffset, ((photon.x << 22) | (photon.y << 12) | (photon.offset << 3) | (phase >>> 15)) >>> 0, false);
  view.setUint32(byteOffset + 4, (((phase & 0x7fff) << 17) | (photon.baseline & 0x1ffff)) >>> 0, false);
  return out;
}

/** The padding ("fake photon") word 0x7FFFFFFFFFFFFFFF as bytes (spec §2.3). */
export function paddingWordBytes(): Uint8Array {
  return Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
}
