/**
 * Pure-TypeScript decoder for Blosc 1 chunks (spec runs.md §9.4) with the blosclz codec, the
 * format strax writes by default. Other inner codecs (lz4, zlib, zstd, snappy) and bit-shuffle are
 * not decoded here; {@link decodeBloscChunk} returns `undefined` for them so the caller can fall back
 * to the c-blosc WASM build in `numcodecs`.
 */

/** Blosc header flag bits (c-blosc `blosc.h`). */
const FLAG_BYTE_SHUFFLE = 0x01;
const FLAG_MEMCPYED = 0x02;
const FLAG_BIT_SHUFFLE = 0x04;
const FLAG_DONT_SPLIT = 0x10;
const BLOSC_HEADER_BYTES = 16;
const BLOSC_MAX_SPLITS = 16;
const BLOSC_MIN_BUFFERSIZE = 128;
/** blosclz `MAX_DISTANCE` (blosclz.c). */
const BLOSCLZ_MAX_DISTANCE = 8191;

/** The 16-byte Blosc 1 header (all little-endian). */
export interface BloscHeader {
  readonly version: number;
  readonly versionLz: number;
  readonly flags: number;
  readonly typesize: number;
  /** Uncompressed size in bytes. */
  readonly nbytes: number;
  readonly blocksize: number;
  /** Total compressed size including this header. */
  readonly cbytes: number;
  /** Inner codec: 0 blosclz, 1 lz4/lz4hc, 2 snappy, 3 zlib, 4 zstd. */
  readonly codec: number;
}

/** Parse the header; `undefined` if the buffer is too short or the version byte is not 1 or 2. */
export function readBloscHeader(bytes: Uint8Array): BloscHeader | undefined {
  if (bytes.byteLength < BLOSC_HEADER_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, BLOSC_HEADER_BYTES);
  const version = bytes[0]!;
  if (version !== 1 && version !== 2) return undefined;
  const flags = bytes[2]!;
  return {
    version,
    versionLz: bytes[1]!,
    flags,
    typesize: bytes[3]!,
    nbytes: view.getUint32(4, true),
    blocksize: view.getUint32(8, true),
    cbytes: view.getUint32(12, true),
    codec: flags >> 5,
  };
}

/** Thrown internally for a malformed stream; callers wrap it into their coded error. */
export class BloscFormatError extends Error {
  override readonly name = "BloscFormatError";
}

/**
 * Decode one Blosc 1 chunk. Returns `undefined` when the chunk uses an inner codec or a shuffle
 * this decoder does not implement (caller falls back to WASM). Throws {@link BloscFormatError} on
 * malformed input.
 */
export function decodeBloscChunk(bytes: Uint8Array): Uint8Array | undefined {
  const header = readBloscHeader(bytes);
  if (header === undefined) throw new BloscFormatError("not a Blosc 1 chunk (bad header)");
  const { flags, typesize, nbytes, blocksize, cbytes } = header;
  if (cbytes > bytes.byteLength) {
    throw new BloscFormatError(`truncated: header says ${cbytes} compressed bytes, file has ${bytes.byteLength}`);
  }
  const out = new Uint8Array(nbytes);
  if (nbytes === 0) return out;
  if (flags & FLAG_MEMCPYED) {
    if (BLOSC_HEADER_BYTES + nbytes > bytes.byteLength) throw new BloscFormatError("truncated memcpyed chunk");
    out.set(bytes.subarray(BLOSC_HEADER_BYTES, BLOSC_HEADER_BYTES + nbytes));
    return out;
  }
  if (header.codec !== 0 || flags & FLAG_BIT_SHUFFLE) return undefined;
  if (blocksize <= 0) throw new BloscFormatError(`bad blocksize ${blocksize}`);
  const shuffled = (flags & FLAG_BYTE_SHUFFLE) !== 0 && typesize > 1;
  const nblocks = Math.ceil(nbytes / blocksize);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (BLOSC_HEADER_BYTES + 4 * nblocks > bytes.byteLength) throw new BloscFormatError("truncated block table");
  const scratch = shuffled ? new Uint8Array(blocksize) : undefined;
  for (let b = 0; b < nblocks; b++) {
    const blockStart = view.getInt32(BLOSC_HEADER_BYTES + 4 * b, true);
    const outStart = b * blocksize;
    const bsize = Math.min(blocksize, nbytes - outStart);
    const leftover = bsize !== blocksize;
    const split =
      (flags & FLAG_DONT_SPLIT) === 0 &&
      !leftover &&
      typesize <= BLOSC_MAX_SPLITS &&
      blocksize / typesize >= BLOSC_MIN_BUFFERSIZE;
    const nstreams = split ? typesize : 1;
    const neblock = bsize / nstreams;
    const target = scratch ?? out;
    let dst = scratch ? 0 : outStart;
    let src = blockStart;
    for (let s = 0; s < nstreams; s++) {
      if (src + 4 > bytes.byteLength || src < 0) throw new BloscFormatError(`block ${b}: stream ${s} out of bounds`);
      const csize = view.getInt32(src, true);
      src += 4;
      if (csize < 0 || src + csize > bytes.byteLength) throw new BloscFormatError(`block ${b}: bad stream size ${csize}`);
      if (csize === neblock) {
        target.set(bytes.subarray(src, src + csize), dst);
      } else {
        const got = blosclzDecompress(bytes, src, src + csize, target, dst, dst + neblock);
        if (got !== neblock) {
          throw new BloscFormatError(`block ${b}: stream ${s} decoded to ${got} bytes, expected ${neblock}`);
        }
      }
      src += csize;
      dst += neblock;
    }
    if (scratch) unshuffle(scratch, bsize, typesize, out, outStart);
  }
  return out;
}

/** Undo byte shuffle of one block (`blosc/shuffle-generic.h`, `unshuffle_generic`). */
function unshuffle(src: Uint8Array, bsize: number, typesize: number, out: Uint8Array, outStart: number): void {
  const neblock = Math.floor(bsize / typesize);
  for (let j = 0; j < typesize; j++) {
    const base = j * neblock;
    for (let i = 0; i < neblock; i++) out[outStart + i * typesize + j] = src[base + i]!;
  }
  // Bytes beyond a whole number of elements are stored unshuffled.
  const rest = neblock * typesize;
  for (let i = rest; i < bsize; i++) out[outStart + i] = src[i]!;
}

/**
 * blosclz decompression (c-blosc 1.21 `blosclz.c`, `blosclz_decompress`): a FastLZ-level-1-style
 * LZ77 stream. Returns the number of bytes written, or -1 on a malformed stream.
 */
function blosclzDecompress(
  input: Uint8Array,
  ipStart: number,
  ipLimit: number,
  out: Uint8Array,
  opStart: number,
  opLimit: number,
): number {
  if (ipStart === ipLimit) return 0;
  let ip = ipStart;
  let op = opStart;
  let ctrl = input[ip++]! & 31;
  for (;;) {
    if (ctrl >= 32) {
      // Match: 3-bit length (7 = extended), 13-bit distance (8191 = extended 16-bit distance).
      let len = (ctrl >> 5) - 1;
      let ofs = (ctrl & 31) << 8;
      let code: number;
      if (len === 6) {
        do {
          if (ip + 1 >= ipLimit) return -1;
          code = input[ip++]!;
          len += code;
        } while (code === 255);
      } else if (ip + 1 >= ipLimit) {
        return -1;
      }
      code = input[ip++]!;
      len += 3;
      let ref = op - ofs - code;
      if (code === 255 && ofs === 31 << 8) {
        if (ip + 1 >= ipLimit) return -1;
        ofs = input[ip++]! << 8;
        ofs += input[ip++]!;
        ref = op - ofs - BLOSCLZ_MAX_DISTANCE;
      }
      if (op + len > opLimit) return -1;
      ref--;
      if (ref < opStart) return -1;
      if (ip >= ipLimit) {
        copyMatch(out, op, ref, len);
        op += len;
        break;
      }
      ctrl = input[ip++]!;
      if (op - ref === 1) {
        out.fill(out[ref]!, op, op + len);
        op += len;
      } else if (len > 64 && op - ref >= len) {
        out.copyWithin(op, ref, ref + len);
        op += len;
      } else {
        const end = op + len;
        while (op < end) out[op++] = out[ref++]!;
      }
    } else {
      // Literal run of ctrl + 1 bytes.
      ctrl++;
      if (op + ctrl > opLimit || ip + ctrl > ipLimit) return -1;
      const end = ip + ctrl;
      while (ip < end) out[op++] = input[ip++]!;
      if (ip >= ipLimit) break;
      ctrl = input[ip++]!;
    }
  }
  return op - opStart;
}

function copyMatch(out: Uint8Array, op: number, ref: number, len: number): void {
  const dist = op - ref;
  if (dist === 1) {
    out.fill(out[ref]!, op, op + len);
  } else if (dist >= len && len > 32) {
    out.copyWithin(op, ref, ref + len);
  } else {
    for (let i = 0; i < len; i++) out[op + i] = out[ref + i]!;
  }
}
