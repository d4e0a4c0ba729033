/// <reference path="./untyped-modules.d.ts" />
import { lazyModule } from "@daqkit/io";
/**
 * Chunk compressors as strax uses them (spec runs.md §9.3–§9.5): blosc (blosclz, no shuffle),
 * zstd, lz4 (LZ4 *frame*), bz2. Libraries are loaded lazily on first use.
 */
import { decodeBloscChunk, readBloscHeader } from "./blosc.js";
import { type BloscDecodePool, decodeOnPool } from "./blosc-workers.js";
import { RunsError, withContext } from "./errors.js";

/** Compressor names strax writes in `compressor`. */
export type Compressor = "blosc" | "zstd" | "lz4" | "bz2";

/** Compressors this package can read. */
export const COMPRESSORS: readonly Compressor[] = ["blosc", "zstd", "lz4", "bz2"];
/** Compressors this package can write (no maintained pure-JS bzip2 encoder: bz2 is read-only). */
export const WRITABLE_COMPRESSORS: readonly Compressor[] = ["blosc", "zstd", "lz4"];

/** python-blosc refuses inputs of 2 GiB and more (`BLOSC_MAX_BUFFERSIZE`). */
const BLOSC_MAX_INPUT_BYTES = 2 ** 31 - 1 - 16;

interface NumcodecsCodec {
  encode(data: Uint8Array): Promise<Uint8Array>;
  decode(data: Uint8Array): Promise<Uint8Array>;
}

/** `lazyModule(load).load`: loaded on first use and kept (a failed load is tried again). */
function memo<T>(load: () => Promise<T>): () => Promise<T> {
  const lazy = lazyModule(load);
  return () => lazy.load();
}

const loadBlosc = memo(async (): Promise<NumcodecsCodec> => {
  const { default: Blosc } = await import("numcodecs/blosc");
  return Blosc.fromConfig({ cname: "blosclz", clevel: 9, shuffle: 0 }) as unknown as NumcodecsCodec;
});
const loadZstdEncoder = memo(async (): Promise<NumcodecsCodec> => {
  const { default: Zstd } = await import("numcodecs/zstd");
  return Zstd.fromConfig({ level: 3 }) as unknown as NumcodecsCodec;
});
const loadFzstd = memo(() => import("fzstd"));
/** lz4js 0.2.0 (CommonJS, untyped): LZ4 *frame* compress/decompress. */
interface Lz4Module {
  compress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** Decodes into `dst`; returns the decoded length, which exceeds `dst.length` when the frame decodes to more (the excess is dropped). */
  decompressFrame(src: Uint8Array, dst: Uint8Array): number;
}
/** seek-bzip 2.0.0 (CommonJS, untyped). */
interface BunzipModule {
  decode(input: Uint8Array, output?: unknown, multistream?: boolean): Uint8Array;
}
// Untyped CommonJS packages, imported by literal specifiers so that bundlers include them (the
// browser build); `untyped-modules.d.ts` declares them.
const loadLz4 = memo(async () => {
  const mod = (await import("lz4js")) as Lz4Module & { default?: Lz4Module };
  return mod.default ?? mod;
});
const loadBzip = memo(async () => {
  const mod = (await import("seek-bzip")) as { default?: BunzipModule } & BunzipModule;
  return mod.default ?? mod;
});

/** Throw `RUNS_UNKNOWN_COMPRESSOR` unless `name` is a known compressor. */
export function assertCompressor(name: unknown, path?: string): asserts name is Compressor {
  if (typeof name !== "string" || !(COMPRESSORS as readonly string[]).includes(name)) {
    throw new RunsError(
      "RUNS_UNKNOWN_COMPRESSOR",
      `strax: unknown compressor ${JSON.stringify(name)}${path ? ` in ${path}` : ""} (expected one of ${COMPRESSORS.join(", ")})`,
      path === undefined ? {} : { path },
    );
  }
}

/**
 * Frame content size declared in a Zstandard frame header (RFC 8878 §3.1.1.1), or `undefined` when
 * absent or the input is not a frame (the decoder then reports it).
 */
function zstdContentSize(data: Uint8Array): number | undefined {
  if (data.byteLength < 6 || data[0] !== 0x28 || data[1] !== 0xb5 || data[2] !== 0x2f || data[3] !== 0xfd) return undefined;
  const fhd = data[4]!;
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd & 0x20) !== 0;
  const dictBytes = [0, 1, 2, 4][fhd & 0x03]!;
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (fcsBytes === 0) return undefined;
  const at = 5 + (singleSegment ? 0 : 1) + dictBytes;
  if (data.byteLength < at + fcsBytes) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  switch (fcsBytes) {
    case 1:
      return view.getUint8(at);
    case 2:
      return view.getUint16(at, true) + 256;
    case 4:
      return view.getUint32(at, true);
    default:
      return Number(view.getBigUint64(at, true));
  }
}

/** Most bytes an LZ4 frame may decode to when the caller does not say (numpy's largest array buffer here). */
const LZ4_MAX_OUTPUT = 2 ** 31 - 1;

/**
 * Walk an LZ4 frame's block headers (LZ4 frame format §2–§4) and return the most bytes it can
 * decode to. Throws (via `corrupt`) when the descriptor is invalid, a block extends past the end
 * or the end mark is missing — so lz4js never loops over bytes that are not there nor sizes its
 * output from garbage (which made it allocate gigabytes, or fill a plain Array for minutes).
 */
function lz4FrameBound(data: Uint8Array, corrupt: (what: string) => RunsError): number {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.byteLength < 7) throw corrupt("LZ4 frame header truncated");
  const flags = data[4] as number;
  if (flags >> 6 !== 1) throw corrupt(`LZ4 frame version ${flags >> 6} (expected 1)`);
  const blockSizeIndex = ((data[5] as number) >> 4) & 7;
  if (blockSizeIndex < 4) throw corrupt(`LZ4 block size index ${blockSizeIndex} (expected 4–7)`);
  const maxBlock = 1 << (2 * blockSizeIndex + 8);
  const blockChecksums = (flags & 0x10) !== 0;
  let at = 4 + 2 + ((flags & 0x08) !== 0 ? 8 : 0) + 1;
  let bound = 0;
  for (;;) {
    if (at + 4 > data.byteLength) throw corrupt(`LZ4 frame truncated at byte ${at} (no end mark)`);
    const word = view.getUint32(at, true);
    at += 4;
    if (word === 0) return bound;
    const size = word & 0x7fffffff;
    const uncompressed = word !== size;
    if (size > maxBlock) throw corrupt(`LZ4 block at byte ${at - 4} has ${size} bytes, more than the frame's block size ${maxBlock}`);
    at += size + (blockChecksums ? 4 : 0);
    if (at > data.byteLength) throw corrupt(`LZ4 block ends at byte ${at}, past the end of the ${data.byteLength}-byte frame`);
    bound += uncompressed ? size : maxBlock;
  }
}

/** Blosc chunks at least this big (compressed) are decoded on workers when a pool is given. */
const WORKER_MIN_BYTES = 1 << 18;

/** Options of {@link decompressChunk}. */
export interface DecompressOptions {
  /** The chunk's uncompressed size (`nbytes` of the metadata), checked when given. */
  readonly expectedBytes?: number;
  /** The chunk file, for messages and error context. */
  readonly path?: string;
  /**
   * Decode large Blosc chunks on this pool (Web Workers: `sharedWebBloscPool`; Node worker threads:
   * `sharedNodeBloscPool` from `@daqkit/runs/node`). The input buffer may then be transferred,
   * i.e. detached. Default: decode in this thread.
   */
  readonly workers?: BloscDecodePool | undefined;
}

/**
 * Decompress one chunk file. Throws `RUNS_CORRUPT_CHUNK` (with the decoder's error as `cause`) or
 * `RUNS_UNKNOWN_COMPRESSOR`.
 */
export async function decompressChunk(compressor: Compressor, data: Uint8Array, options: DecompressOptions = {}): Promise<Uint8Array> {
  const { expectedBytes, path } = options;
  assertCompressor(compressor, path);
  const where = path ?? "chunk";
  const corrupt = (what: string, cause?: unknown): RunsError =>
    new RunsError("RUNS_CORRUPT_CHUNK", `strax ${compressor}: ${where}: ${what}`, {
      ...(path === undefined ? {} : { path }),
      ...(cause === undefined ? {} : { cause }),
    });
  let out: Uint8Array;
  try {
    switch (compressor) {
      case "blosc": {
        const header = readBloscHeader(data);
        if (header === undefined) throw corrupt("not a Blosc chunk (bad header; wrong compressor?)");
        if (header.cbytes !== data.byteLength) {
          throw corrupt(`Blosc header says ${header.cbytes} compressed bytes, file has ${data.byteLength}`);
        }
        if (expectedBytes !== undefined && header.nbytes !== expectedBytes) {
          throw corrupt(`Blosc header says ${header.nbytes} bytes, metadata nbytes is ${expectedBytes}`);
        }
        // Only the variants the TS decoder handles go to workers (the input is transferred there).
        const simple = header.codec === 0 && (header.flags & 0x04) === 0;
        const pool = simple && data.byteLength >= WORKER_MIN_BYTES ? options.workers : undefined;
        if (pool) {
          const decoded = await decodeOnPool(pool, data);
          if (decoded === null) throw corrupt("unsupported Blosc variant");
          out = decoded;
        } else {
          out = decodeBloscChunk(data) ?? (await (await loadBlosc()).decode(data));
        }
        break;
      }
      case "zstd": {
        const declared = zstdContentSize(data);
        if (declared !== undefined && expectedBytes !== undefined && declared !== expectedBytes) {
          throw corrupt(`zstd frame header says ${declared} bytes, metadata nbytes is ${expectedBytes}`);
        }
        out = (await loadFzstd()).decompress(data);
        break;
      }
      case "lz4":
        if (data[0] !== 0x04 || data[1] !== 0x22 || data[2] !== 0x4d || data[3] !== 0x18) {
          throw corrupt("not an LZ4 frame (magic 04 22 4D 18 expected; wrong compressor?)");
        }
        // FLG bit 3: an 8-byte content size follows FLG and BD.
        if (data.byteLength >= 14 && (data[4]! & 0x08) !== 0 && expectedBytes !== undefined) {
          const declared = new DataView(data.buffer, data.byteOffset, data.byteLength).getBigUint64(6, true);
          if (declared !== BigInt(expectedBytes))
            throw corrupt(`LZ4 frame header says ${declared} bytes, metadata nbytes is ${expectedBytes}`);
        }
        {
          const bound = lz4FrameBound(data, corrupt);
          if (expectedBytes === undefined && bound > LZ4_MAX_OUTPUT)
            throw corrupt(`LZ4 frame may decode to ${bound} bytes, more than ${LZ4_MAX_OUTPUT}`);
          const dst = new Uint8Array(Math.min(bound, expectedBytes ?? bound));
          const size = (await loadLz4()).decompressFrame(data, dst);
          if (size > dst.length) throw corrupt(`LZ4 frame decodes to more than ${dst.length} bytes`);
          out = dst.subarray(0, size);
        }
        break;
      case "bz2":
        // seek-bzip (the maintained pure-JS bzip2 decoder) needs Node's Buffer.
        if (typeof (globalThis as { Buffer?: unknown }).Buffer !== "function") {
          throw new RunsError(
            "RUNS_UNKNOWN_COMPRESSOR",
            `strax bz2: ${where}: bz2 chunks can be read in Node only (no bzip2 decoder without Node's Buffer); store the data as blosc, zstd or lz4`,
            {
              ...(path === undefined ? {} : { path }),
            },
          );
        }
        out = new Uint8Array((await loadBzip()).decode(data));
        break;
    }
  } catch (cause) {
    if (RunsError.isInstance(cause))
      throw cause.path === undefined && path !== undefined ? withContext(cause, `strax ${compressor}: ${where}`, { path }) : cause;
    const message = cause instanceof Error ? cause.message : String(cause);
    throw corrupt(`decompression failed: ${message}`, cause);
  }
  if (expectedBytes !== undefined && out.byteLength !== expectedBytes) {
    throw corrupt(`decompressed to ${out.byteLength} bytes, metadata nbytes is ${expectedBytes}`);
  }
  return out;
}

/**
 * Compress raw rows as strax does: blosc = Blosc 1 blosclz clevel 9 without shuffle, zstd level 3
 * (one frame), lz4 = LZ4 frame. Throws `RUNS_UNKNOWN_COMPRESSOR` for bz2 (read-only) or an unknown
 * name, and `RUNS_BAD_CHUNK` for blosc input of 2 GiB or more.
 */
export async function compressChunk(compressor: Compressor, raw: Uint8Array): Promise<Uint8Array> {
  assertCompressor(compressor);
  switch (compressor) {
    case "blosc":
      if (raw.byteLength > BLOSC_MAX_INPUT_BYTES) {
        throw new RunsError(
          "RUNS_BAD_CHUNK",
          `strax blosc: input of ${raw.byteLength} bytes exceeds Blosc's ~2 GB limit; use smaller chunks`,
        );
      }
      return (await loadBlosc()).encode(raw);
    case "zstd":
      return (await loadZstdEncoder()).encode(raw);
    case "lz4":
      return (await loadLz4()).compress(raw);
    case "bz2":
      throw new RunsError("RUNS_UNKNOWN_COMPRESSOR", "strax bz2: writing bz2 is not supported (read-only); use blosc, zstd or lz4");
  }
}
