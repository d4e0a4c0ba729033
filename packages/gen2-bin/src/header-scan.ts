/**
 * The first and last header words of a gen2 input, read from its head and tail only (spec §8.1,
 * with §12 D9/D10 fixed): what directory scans and `daqkit gen2 info FILE` need to know a file's
 * time range without decoding it.
 */
import { GEN2_WRAP_US, yearEpochUnixSeconds } from "@daqkit/timestamps";
import { type Gen2SourceInput, gen2ByteSource } from "./decode.js";
import { sourceError } from "./errors.js";
import { decodeHeaderWord, type Gen2Header, GEN2_WORD_BYTES } from "./words.js";

/** The header words that bound a gen2 input. */
export interface Gen2HeaderSpan {
  /** The first header word. */
  readonly first: Gen2Header;
  /** Its byte offset (> 0 when the input starts with continuation words of a split frame, spec §4.3). */
  readonly firstByteOffset: number;
  /** The last header word (the first one when there is only one). */
  readonly last: Gen2Header;
  /** Its byte offset. */
  readonly lastByteOffset: number;
}

/** Bytes per read of the scan (a multiple of the word size). */
const SCAN_BLOCK = 64 * 1024;

/**
 * Find the first and last header words of `input` (a byte source, bytes or a `Blob`/`File`),
 * reading forwards from the start until a header is found and backwards from the end in 64 KiB
 * blocks (any size works). Only whole words are looked at; a trailing partial word is ignored.
 * @returns the span, or `null` when the input has no header word
 * @throws Gen2BinError `GEN2_FILE_NOT_FOUND`, `GEN2_IO` (the source failed)
 */
export async function scanGen2Headers(input: Gen2SourceInput, options: { path?: string } = {}): Promise<Gen2HeaderSpan | null> {
  const source = gen2ByteSource(input, options.path);
  const name = options.path ?? source.name;
  const read = async (offset: number, length: number): Promise<Uint8Array> => {
    try {
      return await source.read(offset, length);
    } catch (error) {
      throw sourceError(error, name, "reading", offset);
    }
  };
  const whole = source.size - (source.size % GEN2_WORD_BYTES);
  let first: Gen2Header | null = null;
  let firstByteOffset = -1;
  for (let pos = 0; pos < whole && !first; pos += SCAN_BLOCK) {
    const block = await read(pos, Math.min(SCAN_BLOCK, whole - pos));
    for (let i = 0; i < block.byteLength; i += GEN2_WORD_BYTES) {
      if (block[i] === 0xff) {
        first = decodeHeaderWord(block, i);
        firstByteOffset = pos + i;
        break;
      }
    }
  }
  if (!first) return null;
  for (let end = whole; end > firstByteOffset; end -= SCAN_BLOCK) {
    const start = Math.max(0, end - SCAN_BLOCK);
    const block = await read(start, end - start);
    for (let i = end - start - GEN2_WORD_BYTES; i >= 0; i -= GEN2_WORD_BYTES) {
      if (block[i] === 0xff) return { first, firstByteOffset, last: decodeHeaderWord(block, i), lastByteOffset: start + i };
    }
  }
  return { first, firstByteOffset, last: first, lastByteOffset: firstByteOffset };
}

/**
 * The header-epoch year of a file named `<unix second>.bin` whose first header is `firstHeader`:
 * the file's unix second minus the header time is Jan 1 00:00 UTC of the year (or that minus one
 * wrap period, for a file written after the 36-bit counter wrapped). The year is not stored in the
 * files; this is how `daqkit gen2 info` and `docs ingest` find it.
 * @returns the year, or `undefined` when the name is not `<integer>.bin` or no year fits within half a day
 */
export function inferGen2EpochYear(fileName: string, firstHeader: Pick<Gen2Header, "timestamp">): number | undefined {
  const stem = (fileName.split("/").pop() ?? fileName).replace(/\.bin$/, "");
  if (!/^\d+$/.test(stem)) return undefined;
  for (const wraps of [0, 1]) {
    const epoch = Number(stem) - (firstHeader.timestamp * 500 + wraps * GEN2_WRAP_US) / 1e6;
    const year = new Date((epoch + 43200) * 1000).getUTCFullYear(); // within half a day of Jan 1 00:00 UTC
    if (year >= 1970 && Math.abs(epoch - yearEpochUnixSeconds(year)) < 43200) return year;
  }
  return undefined;
}
