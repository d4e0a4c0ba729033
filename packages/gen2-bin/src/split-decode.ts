/**
 * Split decoding of one large gen2 input (platform-neutral): a plan that cuts the words at header
 * words, a photon count per part (the row each part's photons start at), and the decode of one part
 * into its rows of shared columns. The parts can run on different threads (Node worker threads in
 * `readGen2FileArrays`; Web Workers in a page) and together give exactly what one sequential decode
 * gives.
 *
 * Why cuts at headers suffice (spec §2.4, §7.1): the decoder's only state carried from word to word
 * is the header in effect (photon time = header × 500 + offset, nothing unwrapped), so a part that
 * starts with a header word decodes the same whatever came before it. Only the first part can hold
 * words before the first header (timed with the `header` option, or counted as orphans).
 */
import type { ByteSource } from "@daqkit/io";
import type { Gen2PhotonArrays, Gen2WidePhotonArrays } from "./arrow-tables.js";
import { wideArrays } from "./arrow-tables.js";
import type { Gen2DecodedArrays, Gen2DecodeStats } from "./decode.js";
import {
  countPackedPhotons,
  createDecoderState,
  currentHeader,
  decodeWords,
  type PhotonColumnArrays,
  PhotonColumns,
  partialWordError,
  WidePhotonColumns,
} from "./decoder-core.js";
import { Gen2BinError, sourceError } from "./errors.js";
import type { Gen2Header } from "./words.js";

/** One part of a {@link planGen2Split} plan: words `[startWord, endWord)` (bytes × 8). */
export interface Gen2SplitPart {
  readonly startWord: number;
  readonly endWord: number;
}

/** Options of {@link planGen2Split}. */
export interface Gen2SplitOptions {
  /**
   * Bytes read after each cut point to find the next header word (default 64 KiB). A cut with no
   * header word in its window is dropped (its words join the part before). Frames are at most 102
   * words (816 bytes) in hardware data.
   */
  readonly windowBytes?: number;
  /** A name for error messages. */
  readonly path?: string;
}

/**
 * Cut the whole words of `source` into at most `parts` parts of about equal size, each after the
 * first starting at a header word (first byte 0xFF, at a word boundary): the first header word at or
 * after each equal cut point, found in a `windowBytes` read there. Returns at least one part (the
 * whole input; none for an input with no whole word). Reads `parts − 1` windows only.
 * @throws Gen2BinError `GEN2_IO`, `GEN2_FILE_NOT_FOUND` (a failing source; `byteOffset` of the read)
 */
export async function planGen2Split(
  source: ByteSource | Uint8Array,
  parts: number,
  options: Gen2SplitOptions = {},
): Promise<Gen2SplitPart[]> {
  const size = source instanceof Uint8Array ? source.byteLength : source.size;
  const words = Math.floor(size / 8);
  if (words === 0) return [];
  const n = Math.max(1, Math.min(Math.floor(parts), words));
  const window = Math.max(8, Math.floor((options.windowBytes ?? 64 * 1024) / 8) * 8);
  const name = options.path ?? (source instanceof Uint8Array ? "input" : source.name);
  const cuts: number[] = [];
  for (let k = 1; k < n; k++) {
    const from = Math.max(Math.floor((words * k) / n), (cuts.at(-1) ?? 0) + 1);
    if (from >= words) break;
    const length = Math.min(window, (words - from) * 8);
    let bytes: Uint8Array;
    if (source instanceof Uint8Array) bytes = source.subarray(from * 8, from * 8 + length);
    else {
      try {
        bytes = await source.read(from * 8, length);
      } catch (error) {
        throw sourceError(error, name, "reading", from * 8);
      }
    }
    for (let at = 0; at + 8 <= bytes.byteLength; at += 8) {
      if (bytes[at] === 0xff) {
        cuts.push(from + at / 8);
        break;
      }
    }
  }
  const out: Gen2SplitPart[] = [];
  let start = 0;
  for (const cut of cuts) {
    if (cut <= start) continue;
    out.push({ startWord: start, endWord: cut });
    start = cut;
  }
  out.push({ startWord: start, endWord: words });
  return out;
}

/**
 * Photons with x, y < 256 in words `[startWord, endWord)` of `view` — the rows that part takes in the
 * packed columns. `hasHeader`: a header is in effect at `startWord` (true for every part but the
 * first, and for the first when a `header` option is passed); otherwise words before the first header
 * are orphans and not counted. The first row of part `i` is the sum of the counts of parts `< i`.
 */
export function countGen2Photons(view: DataView, startWord: number, endWord: number, hasHeader: boolean): number {
  return countPackedPhotons(view, startWord, endWord, hasHeader);
}

/** Options of {@link decodeGen2Part}. */
export interface Gen2PartDecodeOptions {
  /** The header in effect at the part's first word (the first part: the `header` option of the decode). */
  readonly header?: Gen2Header | null;
  /** Also fill `columns.board`. */
  readonly board?: boolean;
  /**
   * Words `[fromWord, endWord)` are read from `view` (word 0 = word `fromWord`) instead of the main
   * view: when the words are read into the shared `timestamp` column and decoded in place, the next
   * part's rows overwrite this part's last words, which are copied out first.
   */
  readonly tail?: { readonly view: DataView; readonly fromWord: number } | null;
}

/** What {@link decodeGen2Part} decoded from one part. */
export interface Gen2PartResult {
  /** Rows written to the packed columns (from row 0 of the arrays passed). */
  readonly photons: number;
  readonly wide: Gen2WidePhotonArrays;
  readonly words: number;
  readonly headers: number;
  readonly paddings: number;
  readonly widePhotons: number;
  readonly orphanWords: number;
  /** The header in effect at the part's end (or the `header` option), or null. */
  readonly lastHeader: Gen2Header | null;
}

/**
 * Decode words `[startWord, endWord)` of `view` into `columns` (row 0 of each array = the part's
 * first row, e.g. `subarray(firstRow)` of columns sized for the whole input's words; each at least
 * `endWord − startWord` long, of which the first {@link countGen2Photons} rows are written). The same
 * decoder core as every reader.
 * @throws RangeError when a column is shorter than the part's words
 */
export function decodeGen2Part(
  view: DataView,
  startWord: number,
  endWord: number,
  columns: PhotonColumnArrays,
  options: Gen2PartDecodeOptions = {},
): Gen2PartResult {
  const withBoard = options.board === true;
  // Room for one row per word (throws a RangeError when an array is shorter).
  const out = new PhotonColumns(endWord - startWord, withBoard, columns);
  const wide = new WidePhotonColumns();
  const state = createDecoderState(options.header);
  const tail = options.tail;
  const mainEnd = tail ? Math.max(startWord, Math.min(endWord, tail.fromWord)) : endWord;
  decodeWords(view, startWord, mainEnd, state, out, wide);
  if (tail && mainEnd < endWord) decodeWords(tail.view, mainEnd - tail.fromWord, endWord - tail.fromWord, state, out, wide);
  return partResult(state, out, wide);
}

function partResult(state: ReturnType<typeof createDecoderState>, out: PhotonColumns, wide: WidePhotonColumns): Gen2PartResult {
  return {
    photons: out.length,
    wide: wideArrays(wide),
    words: state.words,
    headers: state.headers,
    paddings: state.paddings,
    widePhotons: state.widePhotons,
    orphanWords: state.orphanWords,
    lastHeader: currentHeader(state),
  };
}

/**
 * Internal: the wide photons of the parts of a split decode, concatenated in part order.
 * @internal
 */
export function concatGen2Wide(parts: Gen2WidePhotonArrays[]): Gen2WidePhotonArrays {
  if (parts.length === 1) return parts[0]!;
  const n = parts.reduce((s, p) => s + p.x.length, 0);
  const out = {
    x: new Uint16Array(n),
    y: new Uint16Array(n),
    timestamp: new BigInt64Array(n),
    phase: new Int32Array(n),
    baseline: new Int32Array(n),
    board: new Uint8Array(n),
  };
  let at = 0;
  for (const p of parts) {
    out.x.set(p.x, at);
    out.y.set(p.y, at);
    out.timestamp.set(p.timestamp, at);
    out.phase.set(p.phase, at);
    out.baseline.set(p.baseline, at);
    out.board.set(p.board, at);
    at += p.x.length;
  }
  return out;
}

/**
 * Internal: the end-of-input errors of the one-thread reader, in its order, on the summed stats of a
 * split decode (`GEN2_PARTIAL_WORD` unless `allowPartialWord`, `GEN2_NO_HEADER`).
 * @internal
 */
export function checkSplitEnd(stats: Gen2DecodeStats, hasHeader: boolean, name: string, options: { allowPartialWord?: boolean }): void {
  if (stats.bytes % 8 !== 0 && !options.allowPartialWord) throw partialWordError(stats.bytes, name);
  if (!hasHeader && stats.words > 0) {
    throw new Gen2BinError(
      "GEN2_NO_HEADER",
      `gen2: ${name} has ${stats.words} words but no header word (first byte 0xFF) and no header was passed in`,
      {
        path: name,
        byteOffset: 0,
      },
    );
  }
}

/** The rows of a split decode's parts: where each part's photons start, and the words each must copy out first. */
export interface SplitRows {
  /** Row of each part's first photon (part order). */
  readonly rows: number[];
  /** Photons in all parts. */
  readonly total: number;
  /**
   * Per part, the words `[from, endWord)` of its input that the next part's rows overwrite before this part
   * decodes them, copied out of the timestamp column (null when none are).
   */
  readonly tails: ({ tail: SharedArrayBuffer; from: number } | null)[];
}

/**
 * Internal: {@link SplitRows} of a plan from each part's counted photons, for parts whose words were read
 * into the shared `timestamp` column. Part i writes rows from `rows[i]` (≤ its first word) on, so the words
 * of part i − 1 between those two positions would be overwritten before they are decoded: they are copied
 * out here, before any part decodes (the non-photon words, ~1 %).
 * @internal
 */
export function splitRows(plan: readonly Gen2SplitPart[], photons: readonly number[], timestamp: SharedArrayBuffer): SplitRows {
  const rows: number[] = [];
  let total = 0;
  for (const n of photons) {
    rows.push(total);
    total += n;
  }
  const raw = new Uint8Array(timestamp);
  const tails = plan.map((part, i) => {
    const next = rows[i + 1];
    if (next === undefined || next >= part.endWord) return null;
    const from = Math.max(next, part.startWord);
    const tail = new SharedArrayBuffer((part.endWord - from) * 8);
    new Uint8Array(tail).set(raw.subarray(from * 8, part.endWord * 8));
    return { tail, from };
  });
  return { rows, total, tails };
}

/** The shared output columns of a split decode (`SharedArrayBuffer`s, one row per word of the input). */
export interface SplitColumnBuffers {
  readonly xy: SharedArrayBuffer;
  readonly timestamp: SharedArrayBuffer;
  readonly phase: SharedArrayBuffer;
  readonly baseline: SharedArrayBuffer;
  readonly board: SharedArrayBuffer | null;
}

/**
 * Internal: the result of a split decode from its parts' results (in input order; `total` photons in all):
 * the timestamp words read beyond the last photon zeroed, the stats summed, the last header in effect,
 * the one-thread reader's end errors ({@link checkSplitEnd}), views of the shared columns and the wide
 * photons concatenated.
 * @internal
 */
export function assembleSplitResult(
  memory: SplitColumnBuffers,
  results: readonly Gen2PartResult[],
  total: number,
  size: number,
  header: Gen2Header | null,
  name: string,
  options: { allowPartialWord?: boolean },
): Gen2DecodedArrays {
  const timestamp = new BigInt64Array(memory.timestamp);
  timestamp.fill(0n, total); // the words read beyond the last photon
  const stats: Gen2DecodeStats = {
    bytes: size,
    words: 0,
    headers: 0,
    paddings: 0,
    photons: total,
    widePhotons: 0,
    orphanWords: 0,
    trailingBytes: size % 8,
  };
  let lastHeader = header;
  for (const r of results) {
    stats.words += r.words;
    stats.headers += r.headers;
    stats.paddings += r.paddings;
    stats.widePhotons += r.widePhotons;
    stats.orphanWords += r.orphanWords;
    if (r.lastHeader) lastHeader = r.lastHeader;
  }
  checkSplitEnd(stats, lastHeader !== null, name, options);
  const photons: Gen2PhotonArrays = {
    xy: new Uint16Array(memory.xy, 0, total),
    timestamp: timestamp.subarray(0, total),
    phase: new Int32Array(memory.phase, 0, total),
    baseline: new Int32Array(memory.baseline, 0, total),
    ...(memory.board ? { board: new Uint8Array(memory.board, 0, total) } : {}),
  };
  return { photons, wide: concatGen2Wide(results.map((r) => r.wide)), lastHeader, stats };
}

/**
 * Internal: make V8 collect garbage `SharedArrayBuffer`s. It does not count their memory towards its GC
 * heuristics (measured, Node 20: twelve dropped 200 MB `SharedArrayBuffer`s in a loop peaked at
 * 2.4 GB RSS, the same with `ArrayBuffer`s at 0.45 GB), so dropped split-decode results — and the
 * workers' handles on them — would stay until a GC for other reasons. An `ArrayBuffer` of the same
 * size, never touched (virtual memory only: no page is written), is counted and is dropped at once:
 * it brings the GC the shared memory would have brought (measured: 0.45 GB peak again).
 * @returns the bytes reported
 * @internal
 */
export function reportSharedMemory(bytes: number): number {
  return bytes > 0 ? new ArrayBuffer(bytes).byteLength : 0;
}
