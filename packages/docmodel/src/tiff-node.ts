import { readFileSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { composeRun } from "./compose.js";
import type { DocumentPair } from "./documents.js";
import { DocModelError } from "./errors.js";
import type { HandlerRegistry } from "./filler.js";
import type { NdArray } from "./ndarray.js";
import {
  TIFF_SPEC,
  type TiffIngestOptions,
  checkSeriesShape,
  imageDataKey,
  readTiffPages as decodeTiffPages,
  singleImage,
  stackDocuments,
} from "./tiff.js";
import { filesUid } from "./uid.js";

/*
 * The TIFF ingestors over paths (Node): the same documents as the `File` ingestors of `tiff.ts`, with file names
 * from a glob or list, times from the files' mtimes, and the lazy variant whose Resources name files on disk.
 */

export type { TiffIngestOptions } from "./tiff.js";
export { encodeTiff } from "./tiff.js";

/**
 * Decode every page (IFD) of a TIFF file (a path, or its bytes) into an NdArray.
 * @throws DocModelError `DOCS_TIFF_UNSUPPORTED` (bad file, unsupported sample type), `DOCS_FILE_UNREADABLE`
 */
export function readTiffPages(source: string | Uint8Array, label = typeof source === "string" ? source : "buffer"): NdArray[] {
  if (typeof source !== "string") return decodeTiffPages(source, label);
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(source);
  } catch (e) {
    throw new DocModelError("DOCS_FILE_UNREADABLE", `tiff: cannot read ${source}: ${(e as Error).message}`, { path: source, cause: e });
  }
  return decodeTiffPages(bytes, label);
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
    `^${base
      .replace(/[.+^${}()|\\]/g, "\\$&")
      .replace(/\*/g, "[^/]*")
      .replace(/\?/g, "[^/]")
      .replace(/\[!/g, "[^")}$`,
  );
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    throw new DocModelError("DOCS_NO_FILES", `${format}: no matches for ${JSON.stringify(p)} (${(e as Error).message})`, {
      path: p,
      cause: e,
    });
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
  const stream = run.composeDescriptor({ name: options.stream ?? "primary", data_keys: { image: imageDataKey(first, source) } });
  yield ["descriptor", stream.descriptorDoc];
  for (const [i, file] of files.entries()) {
    mtime = mtimeSeconds(file);
    const img = i === 0 ? first : singleImage(readTiffPages(file), file);
    checkSeriesShape(img, shape, file);
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
  yield* stackDocuments(run, readTiffPages(path as string), path as string, mtime, options);
}

/** Handlers for {@link ingestTiffSeriesLazy} runs: reads the page when an event is filled. */
export const TIFF_HANDLERS: HandlerRegistry = {
  [TIFF_SPEC]: (fullPath) => {
    let pages: NdArray[] | undefined;
    return (kwargs) => {
      pages ??= readTiffPages(fullPath);
      const page = pages[Number(kwargs.page ?? 0)];
      if (!page)
        throw new DocModelError("DOCS_UNRESOLVABLE_FOREIGN_KEY", `tiff: ${fullPath} has no page ${String(kwargs.page)}`, {
          path: fullPath,
        });
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
    data_keys: { image: { ...imageDataKey(first, source), external: "FILESTORE:" } },
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
