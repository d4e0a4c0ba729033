import { typedArrayConstructorOfNumpy } from "@daqkit/io";
import { composeRun } from "./compose.js";
import type { DocumentPair } from "./documents.js";
import { DocModelError } from "./errors.js";
import { NdArray, type NumericArray } from "./ndarray.js";
import { loadTiffDecoder, tiffDecoder } from "./tiff-decoder.js";
import { type FileInput, inputBytes, inputPath, inputTime, inputsUid } from "./uid-core.js";

/*
 * TIFF decoding and the ingestors over `File`s / bytes (platform-neutral; the ingestors over paths are in
 * `tiff-node.ts`). As in the seed (`bluesky-ingest.txt`): a series of single-image files → one Event per file, a
 * multi-page stack → one EventPage. Decoding uses utif2 (photopea/UTIF.js); grayscale images of 8/16/32-bit
 * unsigned/signed integers and 32/64-bit floats (one sample per pixel) become NdArrays of shape [height, width];
 * several samples per pixel give [height, width, samples].
 */

/** TIFF `SampleFormat:BitsPerSample` → numpy type (its typed array from @daqkit/io's type map). */
const SAMPLE_TYPES: Record<string, string> = {
  "1:8": "|u1",
  "2:8": "|i1",
  "1:16": "<u2",
  "2:16": "<i2",
  "1:32": "<u4",
  "2:32": "<i4",
  "3:32": "<f4",
  "3:64": "<f8",
};

function tagNumber(ifd: Record<string, unknown>, tag: number, fallback: number): number {
  const v = ifd[`t${tag}`];
  return Array.isArray(v) && typeof v[0] === "number" ? v[0] : fallback;
}

/**
 * Decode every page (IFD) of a TIFF file's bytes into an NdArray (`label` names the file in errors). From
 * `@daqkit/docmodel/node` it also takes a path. The decoder (utif2) is loaded on first use: synchronously in Node;
 * in a browser `await loadTiffDecoder()` first (the async ingestors do).
 * @throws DocModelError `DOCS_TIFF_UNSUPPORTED` (bad file, unsupported sample type), `DOCS_TIFF_DECODER_NOT_LOADED`
 */
export function readTiffPages(bytes: Uint8Array, label = "buffer"): NdArray[] {
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const littleEndian = bytes[0] === 0x49 && bytes[1] === 0x49;
  if (!littleEndian && !(bytes[0] === 0x4d && bytes[1] === 0x4d)) {
    throw new DocModelError("DOCS_TIFF_UNSUPPORTED", `tiff: ${label} is not a TIFF file (no II/MM byte-order mark)`, { path: label });
  }
  const UTIF = tiffDecoder();
  let ifds: ReturnType<typeof UTIF.decode>;
  try {
    ifds = UTIF.decode(buffer).filter((ifd) => ifd.t256 !== undefined);
  } catch (e) {
    throw new DocModelError("DOCS_TIFF_UNSUPPORTED", `tiff: ${label} cannot be decoded: ${(e as Error).message}`, {
      path: label,
      cause: e,
    });
  }
  return ifds.map((ifd, page) => {
    const rec = ifd as unknown as Record<string, unknown>;
    const bits = tagNumber(rec, 258, 1);
    const format = tagNumber(rec, 339, 1);
    const samples = tagNumber(rec, 277, 1);
    const type = SAMPLE_TYPES[`${format}:${bits}`];
    if (!type) {
      throw new DocModelError(
        "DOCS_TIFF_UNSUPPORTED",
        `tiff: ${label} page ${page}: ${bits}-bit sample format ${format} is not supported`,
        { path: label },
      );
    }
    try {
      UTIF.decodeImage(buffer, ifd);
    } catch (e) {
      throw new DocModelError("DOCS_TIFF_UNSUPPORTED", `tiff: ${label} page ${page} cannot be decoded: ${(e as Error).message}`, {
        path: label,
        cause: e,
      });
    }
    const dtype = type;
    const Ctor = typedArrayConstructorOfNumpy(dtype);
    const width = ifd.width;
    const height = ifd.height;
    const n = width * height * samples;
    const itemsize = bits / 8;
    const raw = new Uint8Array(n * itemsize);
    raw.set(ifd.data.subarray(0, raw.length));
    // utif2 leaves multi-byte samples in the file's byte order.
    if (!littleEndian && itemsize > 1) for (let i = 0; i < raw.length; i += itemsize) raw.subarray(i, i + itemsize).reverse();
    const shape = samples === 1 ? [height, width] : [height, width, samples];
    return new NdArray(dtype, shape, new Ctor(raw.buffer as ArrayBuffer, 0, n));
  });
}

/**
 * Encode grayscale pages (2-D NdArrays of `|u1 |i1 <u2 <i2 <u4 <i4 <f4 <f8`) as an uncompressed little-endian
 * multi-page TIFF (for tests and examples).
 */
export function encodeTiff(pages: readonly NdArray[]): Uint8Array {
  const formats: Record<string, [number, number]> = Object.fromEntries(
    Object.entries(SAMPLE_TYPES).map(([key, dtype]) => [dtype, key.split(":").map(Number) as [number, number]]),
  );
  const parts: Uint8Array[] = [];
  let offset = 8;
  const header = new Uint8Array(8);
  const hv = new DataView(header.buffer);
  header[0] = header[1] = 0x49;
  hv.setUint16(2, 42, true);
  parts.push(header);
  let patchNext = { view: hv, at: 4 };
  for (const page of pages) {
    const fmt = formats[page.dtype];
    if (!fmt || page.shape.length !== 2 || Array.isArray(page.data)) {
      throw new DocModelError("DOCS_TIFF_UNSUPPORTED", `tiff: cannot encode a ${page.dtype} array of shape [${page.shape.join(", ")}]`);
    }
    const [height, width] = page.shape as [number, number];
    const d = page.data;
    const pixels = new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
    const dataOffset = offset;
    parts.push(pixels);
    offset += pixels.length + (pixels.length % 2);
    if (pixels.length % 2) parts.push(new Uint8Array(1));
    const entries: [number, number, number][] = [
      [256, 4, width],
      [257, 4, height],
      [258, 3, fmt[1]],
      [259, 3, 1],
      [262, 3, 1],
      [273, 4, dataOffset],
      [277, 3, 1],
      [278, 4, height],
      [279, 4, pixels.length],
      [339, 3, fmt[0]],
    ];
    const ifd = new Uint8Array(2 + entries.length * 12 + 4);
    const v = new DataView(ifd.buffer);
    v.setUint16(0, entries.length, true);
    entries.forEach(([tag, type, value], i) => {
      const at = 2 + i * 12;
      v.setUint16(at, tag, true);
      v.setUint16(at + 2, type, true);
      v.setUint32(at + 4, 1, true);
      if (type === 3) v.setUint16(at + 8, value, true);
      else v.setUint32(at + 8, value, true);
    });
    patchNext.view.setUint32(patchNext.at, offset, true);
    patchNext = { view: v, at: ifd.length - 4 };
    parts.push(ifd);
    offset += ifd.length;
  }
  const out = new Uint8Array(offset);
  let p = 0;
  for (const part of parts) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/** Resource spec of the lazy TIFF ingestor: `resource_path` = the file, `datum_kwargs` = `{ page }`. */
export const TIFF_SPEC = "DOCMODEL_TIFF";

/** Options of the TIFF ingestors. */
export interface TiffIngestOptions {
  /** Stream name (default `primary`). */
  stream?: string;
  /** Extra RunStart metadata. */
  metadata?: Record<string, unknown>;
}

/** The image of one file, as `tifffile.imread` gives it: the page, or a [pages, …] stack for a multi-page file. */
export function singleImage(pages: NdArray[], file: string): NdArray {
  const first = pages[0];
  if (!first) throw new DocModelError("DOCS_TIFF_UNSUPPORTED", `tiff: ${file} has no image`, { path: file });
  if (pages.length === 1) return first;
  return stackPages(pages, file);
}

export function stackPages(pages: NdArray[], file: string): NdArray {
  const first = pages[0] as NdArray;
  const shape = [...first.shape];
  const size = first.size;
  const Ctor = first.data.constructor as new (n: number) => NumericArray;
  const stack = new Ctor(size * pages.length);
  pages.forEach((p, i) => {
    if (p.dtype !== first.dtype || p.shape.length !== shape.length || p.shape.some((s, j) => s !== shape[j])) {
      throw new DocModelError(
        "DOCS_SHAPE_MISMATCH",
        `tiff: ${file} page ${i} has shape [${p.shape.join(", ")}] ${p.dtype}, page 0 [${shape.join(", ")}] ${first.dtype}`,
        { path: file },
      );
    }
    stack.set(p.data as never, i * size);
  });
  return new NdArray(first.dtype, [pages.length, ...shape], stack);
}

/** The `image` DataKey of a TIFF run whose first image is `first`. */
export function imageDataKey(
  first: NdArray,
  source: string,
): Record<string, unknown> & { shape: number[]; dtype: "number"; source: string } {
  return { shape: [...first.shape], dtype: "number", dtype_numpy: first.dtype, source };
}

/** `DOCS_SHAPE_MISMATCH` unless `img` has `shape`. */
export function checkSeriesShape(img: NdArray, shape: readonly number[], file: string): void {
  if (img.shape.length !== shape.length || img.shape.some((s, j) => s !== shape[j])) {
    throw new DocModelError(
      "DOCS_SHAPE_MISMATCH",
      `tiff: expected a series of images of shape [${shape.join(", ")}] but ${file} has shape [${img.shape.join(", ")}]`,
      { path: file },
    );
  }
}

/**
 * Ingest a TIFF series given as `File`s (a picked or dropped folder, `<input type=file multiple>`) or named bytes —
 * the browser form of `ingestTiffSeries` from `@daqkit/docmodel/node`, with the same documents: files sorted by
 * path (`webkitRelativePath`, else name), RunStart first (uid: the same deterministic uid as Node's for the same
 * files — paths relative to their common folder, sizes, bounded SHA-256 digests, with Web Crypto; time = the first
 * file's `lastModified`), one Event per file, RunStop with the last file's time.
 * @throws DocModelError `DOCS_NO_FILES`, `DOCS_SHAPE_MISMATCH`, `DOCS_TIFF_UNSUPPORTED`, `DOCS_FILE_UNREADABLE`
 */
export async function* ingestTiffFiles(files: readonly FileInput[], options: TiffIngestOptions = {}): AsyncGenerator<DocumentPair> {
  const inputs = sortedInputs(files);
  const names = inputs.map(([, path]) => path);
  let time = inputTime((inputs[0] as [FileInput, string])[0]);
  const run = composeRun({ uid: await inputsUid(inputs.map(([f]) => f)), time, metadata: options.metadata });
  yield ["start", run.startDoc];
  await loadTiffDecoder();
  let shape: number[] = [];
  let stream: ReturnType<typeof run.composeDescriptor> | undefined;
  for (const [file, path] of inputs) {
    time = inputTime(file);
    const img = singleImage(readTiffPages(await readInput(file, path), path), path);
    if (!stream) {
      shape = [...img.shape];
      stream = run.composeDescriptor({ name: options.stream ?? "primary", data_keys: { image: imageDataKey(img, names.join(",")) } });
      yield ["descriptor", stream.descriptorDoc];
    }
    checkSeriesShape(img, shape, path);
    yield ["event", stream.composeEvent({ data: { image: img }, timestamps: { image: time }, time })];
  }
  yield ["stop", run.composeStop({ time })];
}

/**
 * Ingest one multi-page TIFF given as a `File` or named bytes — the browser form of `ingestTiffStack`: one
 * EventPage whose `image` column is the [pages, height, width] stack, every time = the file's `lastModified`.
 * @throws DocModelError `DOCS_SHAPE_MISMATCH` (pages of different shapes), `DOCS_TIFF_UNSUPPORTED`, `DOCS_FILE_UNREADABLE`
 */
export async function* ingestTiffStackFile(file: FileInput, options: TiffIngestOptions = {}): AsyncGenerator<DocumentPair> {
  const [[input, path]] = sortedInputs([file]) as [[FileInput, string]];
  const time = inputTime(input);
  const run = composeRun({ uid: await inputsUid([input]), time, metadata: options.metadata });
  yield ["start", run.startDoc];
  await loadTiffDecoder();
  yield* stackDocuments(run, readTiffPages(await readInput(input, path), path), path, time, options);
}

/** Descriptor, event page and stop of a stack run (shared by the File and path ingestors). */
export function* stackDocuments(
  run: ReturnType<typeof composeRun>,
  pages: NdArray[],
  path: string,
  time: number,
  options: TiffIngestOptions,
): Generator<DocumentPair> {
  const first = pages[0];
  if (!first) throw new DocModelError("DOCS_TIFF_UNSUPPORTED", `tiff: ${path} has no image`, { path });
  const stack = stackPages(pages, path);
  const stream = run.composeDescriptor({ name: options.stream ?? "primary", data_keys: { image: imageDataKey(first, path) } });
  yield ["descriptor", stream.descriptorDoc];
  const n = pages.length;
  yield [
    "event_page",
    stream.composeEventPage({
      data: { image: stack },
      timestamps: { image: new Array(n).fill(time) },
      time: new Array(n).fill(time),
      seq_num: Array.from({ length: n }, (_, i) => i + 1),
    }),
  ];
  yield ["stop", run.composeStop({ time })];
}

function sortedInputs(files: readonly FileInput[]): [FileInput, string][] {
  if (!Array.isArray(files) || files.length === 0) throw new DocModelError("DOCS_NO_FILES", "tiff: empty file list");
  return files.map((f, i): [FileInput, string] => [f, inputPath(f, i)]).sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0));
}

async function readInput(file: FileInput, path: string): Promise<Uint8Array> {
  try {
    return await inputBytes(file);
  } catch (e) {
    throw new DocModelError("DOCS_FILE_UNREADABLE", `tiff: cannot read ${path}: ${(e as Error).message}`, { path, cause: e });
  }
}
