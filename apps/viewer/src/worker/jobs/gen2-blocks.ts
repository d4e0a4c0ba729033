// A served gen2 file decoded block by block straight into the binner (issue 16): each block the fetch
// helper hands over is decoded where it is, into columns allocated once per job, with
// @daqkit/gen2-bin's part decoder (`decodeGen2Part`: the decoder core every reader uses; the only state
// carried from word to word is the header in effect, spec §2.4, so blocks decode as one stream does).
// `iterateGen2Batches` would copy each block into its staging buffer and allocate fresh columns and
// Arrow batches for every 8 MiB: in Node on the 202 MB benchmark file that path took 0.82 s of CPU
// against 0.59 s for this one.
import {
  decodeGen2Part,
  Gen2BinError,
  type Gen2Binner,
  type Gen2Header,
  type Gen2PartColumns,
  type Gen2PartResult,
} from "@daqkit/gen2-bin";

/** What {@link Gen2BlockDecoder.decodeFile} found in one file. */
export interface Gen2FileDecoded {
  /** Photons with x, y < 256 and with x or y ≥ 256: every photon of the file, binned or outside the range. */
  readonly photons: number;
  readonly widePhotons: number;
  /** Bytes after the last whole 8-byte word (not decoded). */
  readonly trailingBytes: number;
  /** The header in effect at the file's end (the next file's first words are timed with it). */
  readonly lastHeader: Gen2Header | null;
}

/**
 * Decodes the files of one bin job, reusing its columns from block to block and file to file. Photons
 * are handed to the binner in batches of `batchBytes` of the file (default 8 MiB, the fetch helper's
 * block and `iterateGen2Batches`' batch), each batch's packed photons then its wide ones, as
 * `addBatch` does with the library's batches: the same bins and the same first and last photon times
 * (taken in the order photons are added) whatever the sizes of the chunks that arrive.
 */
export class Gen2BlockDecoder {
  readonly #batchWords: number;
  #columns: Gen2PartColumns | null = null;

  constructor(options: { batchBytes?: number } = {}) {
    this.#batchWords = Math.max(1, Math.floor((options.batchBytes ?? 8 * 1024 * 1024) / 8));
  }

  /** The batch's columns (allocated once). */
  #batch(): Gen2PartColumns {
    const n = this.#batchWords;
    this.#columns ??= {
      xy: new Uint16Array(n),
      timestamp: new BigInt64Array(n),
      phase: new Int32Array(n),
      baseline: new Int32Array(n),
      board: new Uint8Array(n),
    };
    return this.#columns;
  }

  /**
   * Decode the bytes of the file `path` as `chunks` gives them (any sizes; a word split between two
   * chunks is put together) into `binner` — as `iterateGen2Batches(…, { header, board: true,
   * allowPartialWord: true })` with `binner.addBatch` does, with the same end checks: `GEN2_EMPTY_FILE`
   * for no bytes, `GEN2_NO_HEADER` for words but no header (none in the file, none passed). Trailing
   * bytes after the last whole word are counted, not decoded. `onBytes(n)` after each chunk with the
   * bytes seen so far (it may throw to stop).
   */
  async decodeFile(
    chunks: AsyncIterable<Uint8Array>,
    binner: Gen2Binner,
    options: { readonly header: Gen2Header | null; readonly path: string; readonly onBytes?: (bytes: number) => void },
  ): Promise<Gen2FileDecoded> {
    const columns = this.#batch();
    const batchWords = this.#batchWords;
    let header = options.header;
    let words = 0;
    let photons = 0;
    let widePhotons = 0;
    let bytes = 0;
    // the current batch: words decoded into it, packed rows written, wide photons found
    let used = 0;
    let rows = 0;
    let wides: Gen2PartResult["wide"][] = [];
    const flush = () => {
      binner.addPhotons({
        xy: columns.xy.subarray(0, rows),
        timestamp: columns.timestamp.subarray(0, rows),
        phase: columns.phase.subarray(0, rows),
        baseline: columns.baseline.subarray(0, rows),
        board: columns.board!.subarray(0, rows),
      });
      for (const wide of wides) binner.addWidePhotons(wide);
      used = 0;
      rows = 0;
      wides = [];
    };
    /** Decode words `[0, n)` of `view` into the batch (across batch ends). */
    const decode = (view: DataView, n: number) => {
      for (let at = 0; at < n; ) {
        const take = Math.min(n - at, batchWords - used);
        const part = decodeGen2Part(view, at, at + take, sub(columns, rows), { header, board: true });
        header = part.lastHeader;
        if (part.wide.x.length > 0) wides.push(part.wide);
        words += part.words;
        photons += part.photons;
        widePhotons += part.widePhotons;
        rows += part.photons;
        used += take;
        at += take;
        if (used === batchWords) flush();
      }
    };
    // the bytes of a word that began at the end of the previous chunk
    const carry = new Uint8Array(8);
    let carried = 0;
    for await (const chunk of chunks) {
      let at = 0;
      if (carried > 0) {
        const take = Math.min(8 - carried, chunk.byteLength);
        carry.set(chunk.subarray(0, take), carried);
        carried += take;
        at = take;
        if (carried === 8) {
          decode(new DataView(carry.buffer), 1);
          carried = 0;
        }
      }
      const whole = Math.floor((chunk.byteLength - at) / 8);
      if (whole > 0) decode(new DataView(chunk.buffer, chunk.byteOffset + at, whole * 8), whole);
      at += whole * 8;
      if (at < chunk.byteLength) {
        carry.set(chunk.subarray(at), carried);
        carried += chunk.byteLength - at;
      }
      bytes += chunk.byteLength;
      options.onBytes?.(bytes);
    }
    if (used > 0) flush();
    // the end checks of gen2-bin's readers (its checkEnd), with partial words allowed
    if (bytes === 0) throw new Gen2BinError("GEN2_EMPTY_FILE", `gen2: ${options.path} is empty (0 bytes)`, { path: options.path });
    if (header === null && words > 0) {
      throw new Gen2BinError(
        "GEN2_NO_HEADER",
        `gen2: ${options.path} has ${words} words but no header word (first byte 0xFF) and no header was passed in`,
        { path: options.path, byteOffset: 0 },
      );
    }
    return { photons, widePhotons, trailingBytes: carried, lastHeader: header };
  }
}

/** The columns from row `row` on. */
function sub(c: Gen2PartColumns, row: number): Gen2PartColumns {
  if (row === 0) return c;
  return {
    xy: c.xy.subarray(row),
    timestamp: c.timestamp.subarray(row),
    phase: c.phase.subarray(row),
    baseline: c.baseline.subarray(row),
    board: c.board!.subarray(row),
  };
}
