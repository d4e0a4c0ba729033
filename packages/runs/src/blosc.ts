/**
 * Pure-TypeScript decoder for Blosc 1 chunks (spec runs.md §9.4) with the blosclz codec, the
 * format strax writes by default. Other inner codecs (lz4, zlib, zstd, snappy) and bit-shuffle are
 * not decoded here; {@link decodeBloscChunk} returns `undefined` for them so the caller can fall back
 * to the c-blosc WASM build in `numcodecs`.
 */

import { blosclzWasm } from "./blosclz-wasm.js";
import { RunsError } from "./errors.js";

const BLOSC_HEADER_BYTES = 16;

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

/** Options of {@link decodeBloscChunk}. */
export interface DecodeBloscOptions {
  /** Decode blosclz streams with the WebAssembly module (default true); false = the TypeScript loop. */
  readonly wasm?: boolean;
}

/**
 * Decode one Blosc 1 chunk. Returns `undefined` when the chunk uses an inner codec or a shuffle
 * this decoder does not implement (caller falls back to WASM). Throws `RUNS_CORRUPT_CHUNK` on
 * malformed input.
 */
export function decodeBloscChunk(input: Uint8Array, options: DecodeBloscOptions = {}): Uint8Array | undefined {
  // A plain Uint8Array view (not a Buffer subclass) keeps the hot loop monomorphic.
  const bytes = input.constructor === Uint8Array ? input : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  try {
    return bloscDecodeStandalone(bytes, options.wasm === false ? null : blosclzWasm()) ?? undefined;
  } catch (error) {
    throw new RunsError("RUNS_CORRUPT_CHUNK", `strax blosc: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The decoder proper. Self-contained (no outer references) so that its source text can be run in a
 * worker (see `blosc-workers.ts`). With `wasm` (see `blosclz-wasm.ts`) each blosclz stream is
 * decoded by the WebAssembly module, otherwise by the TypeScript loop below. Returns `null` for
 * unsupported variants; throws `Error`.
 */
export function bloscDecodeStandalone(
  bytes: Uint8Array,
  wasm?: { decode(ip: number, ipLimit: number, op: number, opLimit: number): number; readonly memory: WebAssembly.Memory } | null,
): Uint8Array | null {
  // Header flag bits (c-blosc blosc.h) and limits.
  const FLAG_BYTE_SHUFFLE = 0x01;
  const FLAG_MEMCPYED = 0x02;
  const FLAG_BIT_SHUFFLE = 0x04;
  const FLAG_DONT_SPLIT = 0x10;
  const HEADER_BYTES = 16;
  const MAX_SPLITS = 16;
  const MIN_BUFFERSIZE = 128;
  const MAX_DISTANCE = 8191; // blosclz.c
  const MAX_EXPANSION = 256;

  /** blosclz_decompress (c-blosc 1.21 blosclz.c). Returns bytes written or -1. */
  function blosclz(input: Uint8Array, ipStart: number, ipLimit: number, out: Uint8Array, opStart: number, opLimit: number): number {
    if (ipStart === ipLimit) return 0;
    let ip = ipStart;
    let op = opStart;
    let ctrl = input[ip++]! & 31;
    // While at least 40 input and 300 output bytes remain, a literal (≤ 32 bytes) or a match
    // without extended length (≤ 8 bytes, ≤ 3 header bytes) cannot run past either end, so the
    // fast loop skips the bounds checks; other tokens take the checked path below, one at a time.
    const ipSafe = ipLimit - 40;
    const opSafe = opLimit - 300;
    const iv = new DataView(input.buffer, input.byteOffset, input.byteLength);
    const ov = new DataView(out.buffer, out.byteOffset, out.byteLength);
    for (;;) {
      while (ip < ipSafe && op < opSafe) {
        if (ctrl >= 32) {
          const lenCode = ctrl >> 5;
          if (lenCode === 7) break; // extended length: checked path
          let ofs = (ctrl & 31) << 8;
          const code = input[ip++]!;
          let ref = op - ofs - code;
          if (code === 255 && ofs === 31 << 8) {
            ofs = (input[ip]! << 8) + input[ip + 1]!;
            ip += 2;
            ref = op - ofs - MAX_DISTANCE;
          }
          ref--;
          if (ref < opStart) return -1;
          ctrl = input[ip++]!;
          const len = lenCode + 2;
          if (op - ref >= 8) {
            // Wild copy of 8 bytes (source and destination cannot overlap; the margin of opSafe
            // makes the over-write harmless: later tokens overwrite it).
            ov.setUint32(op, ov.getUint32(ref));
            ov.setUint32(op + 4, ov.getUint32(ref + 4));
            op += len;
          } else {
            const end = op + len;
            while (op < end) out[op++] = out[ref++]!;
          }
        } else {
          // Literal of ≤ 32 bytes, copied 4 bytes at a time (over-copy ≤ 3 bytes, inside margins).
          const n = ctrl + 1;
          for (let k = 0; k < n; k += 4) ov.setUint32(op + k, iv.getUint32(ip + k));
          op += n;
          ip += n;
          ctrl = input[ip++]!;
        }
      }
      // Checked path: one token.
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
          ref = op - ofs - MAX_DISTANCE;
        }
        if (op + len > opLimit) return -1;
        ref--;
        if (ref < opStart) return -1;
        const last = ip >= ipLimit;
        if (!last) ctrl = input[ip++]!;
        if (len > 16 && op - ref === 1) {
          out.fill(out[ref]!, op, op + len);
          op += len;
        } else if (len > 64 && op - ref >= len) {
          out.copyWithin(op, ref, ref + len);
          op += len;
        } else {
          const end = op + len;
          while (op < end) out[op++] = out[ref++]!;
        }
        if (last) break;
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

  if (bytes.byteLength < HEADER_BYTES || (bytes[0] !== 1 && bytes[0] !== 2)) throw new Error("not a Blosc 1 chunk (bad header)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = bytes[2]!;
  const typesize = bytes[3]!;
  const nbytes = view.getUint32(4, true);
  const blocksize = view.getUint32(8, true);
  const cbytes = view.getUint32(12, true);
  if (cbytes > bytes.byteLength) throw new Error(`truncated: header says ${cbytes} compressed bytes, file has ${bytes.byteLength}`);
  if (nbytes === 0) return new Uint8Array(0);
  if (flags & FLAG_MEMCPYED) {
    if (HEADER_BYTES + nbytes > bytes.byteLength) throw new Error("truncated memcpyed chunk");
    return bytes.slice(HEADER_BYTES, HEADER_BYTES + nbytes);
  }
  if (flags >> 5 !== 0 || flags & FLAG_BIT_SHUFFLE) return null;
  // Refuse a declared size the input cannot hold before allocating it: one blosclz input byte
  // expands to at most 255 output bytes (an extended match length byte).
  if (nbytes > MAX_EXPANSION * cbytes) {
    throw new Error(`header says ${nbytes} uncompressed bytes, more than ${cbytes} blosclz-compressed bytes can hold`);
  }
  const out = new Uint8Array(nbytes);
  if (blocksize <= 0) throw new Error(`bad blocksize ${blocksize}`);
  const shuffled = (flags & FLAG_BYTE_SHUFFLE) !== 0 && typesize > 1;
  const nblocks = Math.ceil(nbytes / blocksize);
  if (HEADER_BYTES + 4 * nblocks > bytes.byteLength) throw new Error("truncated block table");
  const scratch = shuffled ? new Uint8Array(blocksize) : undefined;
  for (let b = 0; b < nblocks; b++) {
    const blockStart = view.getInt32(HEADER_BYTES + 4 * b, true);
    const outStart = b * blocksize;
    const bsize = Math.min(blocksize, nbytes - outStart);
    const leftover = bsize !== blocksize;
    const split = (flags & FLAG_DONT_SPLIT) === 0 && !leftover && typesize <= MAX_SPLITS && blocksize / typesize >= MIN_BUFFERSIZE;
    const nstreams = split ? typesize : 1;
    const neblock = bsize / nstreams;
    const target = scratch ?? out;
    let dst = scratch ? 0 : outStart;
    let src = blockStart;
    for (let s = 0; s < nstreams; s++) {
      if (src + 4 > bytes.byteLength || src < 0) throw new Error(`block ${b}: stream ${s} out of bounds`);
      const csize = view.getInt32(src, true);
      src += 4;
      if (csize < 0 || src + csize > bytes.byteLength) throw new Error(`block ${b}: bad stream size ${csize}`);
      if (csize === neblock) {
        target.set(bytes.subarray(src, src + csize), dst);
      } else if (wasm) {
        // Stream in at 0, decoded bytes at csize (matches never reach outside the stream).
        const need = csize + neblock;
        if (wasm.memory.buffer.byteLength < need) wasm.memory.grow(Math.ceil((need - wasm.memory.buffer.byteLength) / 65536));
        const mem = new Uint8Array(wasm.memory.buffer);
        mem.set(bytes.subarray(src, src + csize), 0);
        const got = wasm.decode(0, csize, csize, need);
        if (got !== neblock) throw new Error(`block ${b}: stream ${s} decoded to ${got} bytes, expected ${neblock}`);
        target.set(mem.subarray(csize, need), dst);
      } else {
        const got = blosclz(bytes, src, src + csize, target, dst, dst + neblock);
        if (got !== neblock) throw new Error(`block ${b}: stream ${s} decoded to ${got} bytes, expected ${neblock}`);
      }
      src += csize;
      dst += neblock;
    }
    if (scratch) {
      // Undo byte shuffle (shuffle-generic.h unshuffle_generic); trailing bytes are stored as is.
      const elems = Math.floor(bsize / typesize);
      for (let j = 0; j < typesize; j++) {
        const base = j * elems;
        for (let i = 0; i < elems; i++) out[outStart + i * typesize + j] = scratch[base + i]!;
      }
      for (let i = elems * typesize; i < bsize; i++) out[outStart + i] = scratch[i]!;
    }
  }
  return out;
}
