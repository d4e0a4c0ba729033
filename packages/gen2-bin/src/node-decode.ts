/**
 * Node conveniences of the decoder that take paths. Each opens the file as an `@daqkit/io` byte
 * source and runs the same platform-neutral reader as bytes, `File`s and HTTP sources.
 */
import { type FileHandle, open } from "node:fs/promises";
import type { ByteSource } from "@daqkit/io";
import { openFileSource } from "@daqkit/io/node";
import {
  decodeGen2FileSourceArrays,
  decodeGen2SourceArrays,
  type Gen2Batch,
  type Gen2Decoded,
  type Gen2DecodedArrays,
  type Gen2ReadFileOptions,
  type Gen2StreamInput,
  type Gen2StreamOptions,
  iterateGen2Batches as iterateGen2BatchesOfSource,
} from "./decode.js";
import { photonTable, wideTable } from "./arrow-tables.js";
import { fsError, sourceError } from "./errors.js";
import { splitDecodeFile, wantsSplit } from "./node-split-decode.js";

/** Open `path` as a byte source; a missing file is `GEN2_FILE_NOT_FOUND`, other failures `GEN2_IO`. */
export async function openGen2File(path: string): Promise<ByteSource> {
  try {
    return await openFileSource(path);
  } catch (error) {
    throw sourceError(error, path, "opening");
  }
}

/**
 * Read and decode one `.bin` file into typed-array columns (the fastest form): the file as a byte
 * source through {@link decodeGen2SourceArrays} — read in `chunkBytes` pieces, each decoded while the
 * next ones are read; memory is the output columns (18 bytes per word). A file of at least
 * `splitMinBytes` (32 MiB) is decoded in parts on `workers` threads (`split-decode.ts`), same result.
 * @throws Gen2BinError `GEN2_FILE_NOT_FOUND`, `GEN2_IO`, and those of `decodeGen2`
 */
export async function readGen2FileArrays(path: string, options: Gen2ReadFileOptions = {}): Promise<Gen2DecodedArrays> {
  const source = await openGen2File(path);
  try {
    if (wantsSplit(source.size, options)) {
      const split = await splitDecodeFile(path, source, options);
      if (split) return split;
    }
    const zeros = await openZeros();
    if (!zeros) return await decodeGen2SourceArrays(source, { ...options, path: options.path ?? path });
    try {
      return await decodeGen2FileSourceArrays(source, { ...options, path: options.path ?? path }, (targets) => readZeros(zeros, targets));
    } finally {
      await zeros.close();
    }
  } finally {
    await source.close?.();
  }
}

/** `/dev/zero`, or null where there is none (Windows): then the decoding thread touches its own pages. */
async function openZeros(): Promise<FileHandle | null> {
  try {
    return await open("/dev/zero", "r");
  } catch {
    return null;
  }
}

/**
 * First-touch every page of `targets` on the libuv pool: one `readv` of `/dev/zero` whose iovecs are the
 * targets themselves (a chunk's rows of the `phase`, `baseline` and `xy` columns) — the kernel takes each
 * fresh page's fault there and zeroes the targets (memory that is zero already; nothing else writes it
 * meanwhile). Against one 1-byte iovec per 4 KiB page (61 k `Uint8Array` views per 202 MB decode, each
 * checked by Node and walked by the kernel), this measured 4–6 % less CPU and 8–11 % less wall time per
 * 202 MB decode as the machine is, and ~10 % less CPU in the huge-page control: the decoding thread no
 * longer builds the views (−10 to −30 ms), and zeroing a faulted page costs the pool no more than walking
 * its 1-byte iovec did (2-core VM, interleaved in one process; README).
 */
async function readZeros(zeros: FileHandle, targets: Uint8Array[]): Promise<void> {
  const rest = targets.filter((t) => t.byteLength > 0);
  while (rest.length > 0) {
    let { bytesRead } = await zeros.readv(rest);
    if (bytesRead === 0) throw new Error("/dev/zero: read returned 0 bytes");
    // A short read (a signal): go on with what is left.
    while (bytesRead > 0) {
      const first = rest[0]!;
      if (bytesRead < first.byteLength) {
        rest[0] = first.subarray(bytesRead);
        break;
      }
      bytesRead -= first.byteLength;
      rest.shift();
    }
  }
}

/**
 * Read and decode one `.bin` file into Arrow tables.
 * @throws Gen2BinError `GEN2_FILE_NOT_FOUND`, `GEN2_IO`, and those of `decodeGen2`
 */
export async function readGen2File(path: string, options: Gen2ReadFileOptions = {}): Promise<Gen2Decoded> {
  const r = await readGen2FileArrays(path, options);
  return { photons: photonTable(r.photons), wide: wideTable(r.wide), lastHeader: r.lastHeader, stats: r.stats };
}

/**
 * Read a whole file with as few read calls as possible into uninitialised memory (faster than
 * `fs.readFile`, which reads in 512 KiB steps into zeroed memory).
 * @throws Gen2BinError `GEN2_FILE_NOT_FOUND`, `GEN2_IO`
 */
export async function readWholeFile(path: string): Promise<Uint8Array> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw fsError(error, path, "opening");
  }
  try {
    const size = (await handle.stat()).size;
    const bytes = Buffer.allocUnsafeSlow(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await handle.read(bytes, got, Math.min(size - got, 1 << 30), got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === size ? bytes : bytes.subarray(0, got);
  } catch (error) {
    throw fsError(error, path, "reading");
  } finally {
    await handle.close();
  }
}

/**
 * `iterateGen2Batches` of the main entry, plus a path (`string`): the file is opened as a byte source
 * and closed when the iteration ends.
 * @throws Gen2BinError `GEN2_FILE_NOT_FOUND`, `GEN2_IO`, `GEN2_EMPTY_FILE`, `GEN2_PARTIAL_WORD`, `GEN2_NO_HEADER`
 */
export async function* iterateGen2Batches(input: Gen2StreamInput | string, options: Gen2StreamOptions = {}): AsyncGenerator<Gen2Batch> {
  if (typeof input !== "string") {
    yield* iterateGen2BatchesOfSource(input, options);
    return;
  }
  const source = await openGen2File(input);
  try {
    yield* iterateGen2BatchesOfSource(source, { ...options, path: options.path ?? input });
  } finally {
    await source.close?.();
  }
}
