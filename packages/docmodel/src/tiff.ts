import { readFileSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import UTIF from "utif2";
import { composeRun } from "./compose.js";
import type { DocumentPair } from "./documents.js";
import { DocModelError } from "./errors.js";
import type { HandlerRegistry } from "./filler.js";
import { NdArray, type NumericArray } from "./ndarray.js";
import { filesUid } from "./uid.js";

/*
 * TIFF ingestors as in the seed (`bluesky-ingest.txt`): a series of single-image files → one Event per file, a
 * multi-page stack → one EventPage. Decoding uses utif2 (photopea/UTIF.js); grayscale images of 8/16/32-bit
 * unsigned/signed integers and 32/64-bit floats (one sample per pixel) become NdArrays of shape [height, width];
 * several samples per pixel give [height, width, samples].
 */

const SAMPLE_TYPES: Record<string, [string, new (b: ArrayBuffer, o: number, n: number) => NumericArray]> = {
  "1:8": ["|u1", Uint8Array],
  "2:8": ["|i1", Int8Array],
  "1:16": ["<u2", Uint16Array],
  "2:16": ["<i2", Int16Array],
  "1:32": ["<u4", Uint32Array],
  "2:32": ["<i4", Int32Array],
  "3:32": ["<f4", Float32Array],
  "3:64": ["<f8", Float64Array],
};

function tagNumber(ifd: Record<string, unknown>, tag: number, fallback: number): number {
  const v = ifd[`t${tag}`];
  return Array.isArray(v) && typeof v[0] === "number" ? v[0] : fallback;
}

/**
 * Decode every page (IFD) of a TIFF file into an NdArray.
 * @throws DocModelError `DOCS_TIFF_UNSUPPORTED` (bad file, unsupported sample type), `DOCS_FILE_UNREADABLE`
 */
export function readTiffPages(source: string | Uint8Array, label = typeof source === "string" ? source : "buffer"): NdArray[] {
  let bytes: Uint8Array;
  if (typeof source === "string") {
    try {
      bytes = readFileSync(source);
    } catch (e) {
      throw new DocModelError("DOCS_FILE_UNREADABLE", `tiff: cannot read ${source}: ${(e as Error).message}`, { path: source, cause: e });
    }
  } else bytes = source;
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const littleEndian = bytes[0] === 0x49 && bytes[1] === 0x49;
  if (!littleEndian && !(bytes[0] === 0x4d && bytes[1] === 0x4d)) {
    throw new DocModelError("DOCS_TIFF_UNSUPPORTED", `tiff: ${label} is not a TIFF file (no II/MM byte-order mark)`, { path: label });
  }
  let ifds: UTIF.IFD[];
  try {
    ifds = UTIF.decode(buffer).filter((ifd) => ifd.t256 !== undefined);
  } catch (e) {
    throw new DocModelError("DOCS_TIFF_UNSUPPORTED", `tiff: ${label} cannot be decoded: ${(e as Error).message}`, { path: label, cause: e });
  }
  return ifds.map((ifd, page) => {
    const rec = ifd as unknown as Record<string, unknown>;
    const bits = tagNumber(rec, 258, 1);
    const format = tagNumber(rec, 339, 1);
    const samples = tagNumber(rec, 277, 1);
    const type = SAMPLE_TYPES[`${format}:${bits}`];
    if (!type) {
      throw new DocModelError("DOCS_TIFF_UNSUPPORTED", `tiff: ${label} page ${page}: ${bits}-bit sample format ${format} is not supported`, { path: label });
    }
    try {
      UTIF.decodeImage(buffer, ifd);
    } catch (e) {
      throw new DocModelError("DOCS_TIFF_UNSUPPORTED", `tiff: ${label} page ${page} cannot be decoded: ${(e as Error).message}`, { path: label, cause: e });
    }
    const [dtype, Ctor] = type;
    const width = ifd.width;
    const height = ifd.height;
    const n = width * height * samples;
    const itemsize = bits / 8;
    const raw = new Uint8Array(n * itemsize);
    raw.set(ifd.data.subarray(0, raw.length));
    // utif2 leaves multi-byte samples in the file's byte order.
    if (!littleEndian && itemsize > 1) for (let i = 0; i < raw.length; i += itemsize) raw.subarray(i, i + itemsize).reverse();
    const shape = samples === 1 ? [height, width] : [height, width, samples];
    return new NdArray(dtype, shape, new Ctor(raw.buffer, 0, n));
  });
}

/**
 * Encode grayscale pages (2-D NdArrays of `|u1 |i1 <u2 <i2 <u4 <i4 <f4 <f8`) as an uncompressed little-endian
 * multi-page TIFF (for tests and examples).
 */
export function encodeTiff(pages: readonly NdArray[]): Uint8Array {
  const formats: Record<string, [number, number]> = {
    "|u1": [1, 8], "|i1": [2, 8], "<u2": [1, 16], "<i2": [2, 16], "<u4": [1, 32], "<i4": [2, 32], "<f4": [3, 32], "<f8": [3, 64],
  };
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

/**
 * Files matching a simple glob (`*`, `?`, `[…]` in the last path component only), sorted like Python's
 * `sorted(glob.glob(pattern))`. An array is taken as the file list itself (sorted).
 * @throws DocModelError `DOCS_NO_FILES` when nothing matches
 */
export function matchFiles(pattern: string | readonly string[], format = "tiff"): string[] {
  if (Array.isArray(pattern)) {
    if (pattern.length === 0) throw new DocModelError("DOCS_NO_FILES", `${format}: empty file list`);
    return [...pattern].sort();
  }
  const p = pattern as string;
  const dir = dirname(p);
  const base = basename(p);
  if (!/[*?[]/.test(base)) {
    try {
      if (statSync(p).isFile()) return [p];
    } catch {
      // fall through
    }
    throw new DocModelError("DOCS_NO_FILES", `${format}: no matches for ${JSON.stringify(p)}`, { path: p });
  }
  const re = new RegExp(
    `^${base.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]").replace(/\[!/g, "[^")}$`,
  );
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new DocModelError("DOCS_NO_FILES", `${format}: no matches for ${JSON.stringify(p)} (${(e as Error).message})`, { path: p, cause: e });
  }
  const files = names.filter((n) => re.test(n) && !n.startsWith(".")).map((n) => (dir === "." && !p.startsWith("./") ? n : join(dir, n)));
  if (files.length === 0) throw new DocModelError("DOCS_NO_FILES", `${format}: no matches for ${JSON.stringify(p)}`, { path: p });
  return files.sort();
}

function mtimeSeconds(path: string): number {
  try {
    return statSync(path).mtimeMs / 1000;
  } catch (e) {
    throw new DocModelError("DOCS_FILE_UNREADABLE", `tiff: cannot stat ${path}: ${(e as Error).message}`, { path, cause: e });
  }
}

/** Options of the TIFF ingestors. */
export interface TiffIngestOptions {
  /** Stream name (default `primary`). */
  stream?: string;
  /** Extra RunStart metadata. */
  metadata?: Record<string, unknown>;
}

/** The image of one file, as `tifffile.imread` gives it: the page, or a [pages, …] stack for a multi-page file. */
function singleImage(pages: NdArray[], file: string): NdArray {
  const first = pages[0];
  if (!first) throw new DocModelError("DOCS_TIFF_UNSUPPORTED", `tiff: ${file} has no image`, { path: file });
  if (pages.length === 1) return first;
  return stackPages(pages, file);
}

function stackPages(pages: NdArray[], file: string): NdArray {
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

/**
 * Ingest a TIFF series (seed `ingest_tiff_series`): RunStart (uid from the file names, time = first file's mtime)
 * is yielded before any image is decoded (uid: {@link filesUid} — names relative to their directory, sizes,
 * bounded content digests); one `primary` descriptor with data key `image` (shape of the first image,
 * `dtype: "number"`, `dtype_numpy`); one Event per file (time = file mtime); RunStop with the last mtime.
 * @throws DocModelError `DOCS_NO_FILES`, `DOCS_SHAPE_MISMATCH` (an image of another shape), `DOCS_TIFF_UNSUPPORTED`
 */
export function* ingestTiffSeries(pattern: string | readonly string[], options: TiffIngestOptions = {}): Generator<DocumentPair> {
  const files = matchFiles(pattern);
  const source = typeof pattern === "string" ? pattern : files.join(",");
  let mtime = mtimeSeconds(files[0] as string);
  const run = composeRun({ uid: filesUid(files), time: mtime, metadata: options.metadata });
  yield ["start", run.startDoc];
  const first = singleImage(readTiffPages(files[0] as string), files[0] as string);
  const shape = [...first.shape];
  const stream = run.composeDescriptor({
    name: options.stream ?? "primary",
    data_keys: { image: { shape, dtype: "number", dtype_numpy: first.dtype, source } },
  });
  yield ["descriptor", stream.descriptorDoc];
  for (const [i, file] of files.entries()) {
    mtime = mtimeSeconds(file);
    const img = i === 0 ? first : singleImage(readTiffPages(file), file);
    if (img.shape.length !== shape.length || img.shape.some((s, j) => s !== shape[j])) {
      throw new DocModelError(
        "DOCS_SHAPE_MISMATCH",
        `tiff: expected a series of images of shape [${shape.join(", ")}] but ${file} has shape [${img.shape.join(", ")}]`,
        { path: file },
      );
    }
    yield ["event", stream.composeEvent({ data: { image: img }, timestamps: { image: mtime }, time: mtime })];
  }
  yield ["stop", run.composeStop({ time: mtime })];
}

/**
 * Ingest a multi-page TIFF stack (seed `ingest_tiff_stack`): one EventPage whose `image` column is the whole
 * [pages, height, width] stack, every time = the file's mtime.
 * @throws DocModelError `DOCS_NO_FILES`, `DOCS_SHAPE_MISMATCH` (pages of different shapes), `DOCS_TIFF_UNSUPPORTED`
 */
export function* ingestTiffStack(file: string, options: TiffIngestOptions = {}): Generator<DocumentPair> {
  const [path] = matchFiles(file);
  const mtime = mtimeSeconds(path as string);
  const run = composeRun({ uid: filesUid([path as string]), time: mtime, metadata: options.metadata });
  yield ["start", run.startDoc];
  const pages = readTiffPages(path as string);
  const first = pages[0];
  if (!first) throw new DocModelError("DOCS_TIFF_UNSUPPORTED", `tiff: ${path} has no image`, { path });
  const shape = [...first.shape];
  const stack = stackPages(pages, path as string);
  const stream = run.composeDescriptor({
    name: options.stream ?? "primary",
    data_keys: { image: { shape, dtype: "number", dtype_numpy: first.dtype, source: path as string } },
  });
  yield ["descriptor", stream.descriptorDoc];
  const n = pages.length;
  yield [
    "event_page",
    stream.composeEventPage({
      data: { image: stack },
      timestamps: { image: new Array(n).fill(mtime) },
      time: new Array(n).fill(mtime),
      seq_num: Array.from({ length: n }, (_, i) => i + 1),
    }),
  ];
  yield ["stop", run.composeStop({ time: mtime })];
}

/** Resource spec of the lazy TIFF ingestor: `resource_path` = the file, `datum_kwargs` = `{ page }`. */
export const TIFF_SPEC = "DOCMODEL_TIFF";

/** Handlers for {@link ingestTiffSeriesLazy} runs: reads the page when an event is filled. */
export const TIFF_HANDLERS: HandlerRegistry = {
  [TIFF_SPEC]: (fullPath) => {
    let pages: NdArray[] | undefined;
    return (kwargs) => {
      pages ??= readTiffPages(fullPath);
      const page = pages[Number(kwargs.page ?? 0)];
      if (!page) throw new DocModelError("DOCS_UNRESOLVABLE_FOREIGN_KEY", `tiff: ${fullPath} has no page ${String(kwargs.page)}`, { path: fullPath });
      return page;
    };
  },
};

/**
 * Lazy TIFF series (the seed's dask variant, in Event Model terms): only the first file's header is decoded up
 * front; every file becomes a Resource (spec {@link TIFF_SPEC}) + Datum, and Events hold datum ids
 * (`filled: {image: false}`, DataKey `external: "FILESTORE:"`). Image data is read only when an event is filled
 * with {@link TIFF_HANDLERS} (e.g. `run.canonical({ handlers: TIFF_HANDLERS })` or `read({ handlers })`).
 * @throws DocModelError `DOCS_NO_FILES`, `DOCS_TIFF_UNSUPPORTED`
 */
export function* ingestTiffSeriesLazy(pattern: string | readonly string[], options: TiffIngestOptions = {}): Generator<DocumentPair> {
  const files = matchFiles(pattern);
  const source = typeof pattern === "string" ? pattern : files.join(",");
  let mtime = mtimeSeconds(files[0] as string);
  const run = composeRun({ uid: filesUid(files), time: mtime, metadata: options.metadata });
  yield ["start", run.startDoc];
  const first = singleImage(readTiffPages(files[0] as string), files[0] as string);
  const stream = run.composeDescriptor({
    name: options.stream ?? "primary",
    data_keys: { image: { shape: [...first.shape], dtype: "number", dtype_numpy: first.dtype, source, external: "FILESTORE:" } },
  });
  yield ["descriptor", stream.descriptorDoc];
  for (const file of files) {
    mtime = mtimeSeconds(file);
    const res = run.composeResource({ spec: TIFF_SPEC, root: "", resource_path: resolve(file), resource_kwargs: {} });
    yield ["resource", res.resourceDoc];
    const datum = res.composeDatum({ datum_kwargs: { page: 0 } });
    yield ["datum", datum];
    yield [
      "event",
      stream.composeEvent({ data: { image: datum.datum_id }, timestamps: { image: mtime }, filled: { image: false }, time: mtime }),
    ];
  }
  yield ["stop", run.composeStop({ time: mtime })];
}
