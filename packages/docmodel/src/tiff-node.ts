import { readFileSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { composeRun } from "./compose.js";
import type { DocumentPair } from "./documents.js";
import { DocModelError } from "./errors.js";
import type { HandlerRegistry } from "./filler.js";
import { NdArray } from "./ndarray.js";
import {
  TIFF_SPEC,
  type TiffIngestOptions,
  checkSeriesShape,
  imageDataKey,
  readTiffPages as decodeTiffPages,
  singleImage,
  stackDocuments,
} from "./tiff.js";
import { commonRoot, filesUid } from "./uid.js";

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

/** The area-detector spec of TIFF files (area-detector-handlers' `AreaDetectorTiffHandler`). */
export const AD_TIFF_SPEC = "AD_TIFF";

/**
 * Python's `template % (path, filename, j)` for the conversions AD templates use: `%s` (with an optional
 * precision, e.g. `%.0s`), `%d`/`%i` with flags, width and precision (`%6.6d`, `%05d`), and `%%`.
 * @throws DocModelError `DOCS_BAD_ARGUMENT` for other conversions or a wrong argument count
 */
export function pyPercentFormat(template: string, args: readonly (string | number)[]): string {
  let i = 0;
  const out = template.replace(
    /%([-+ 0#]*)(\d*)(?:\.(\d+))?([sdi%])/g,
    (_m, flags: string, width: string, precision: string | undefined, conv: string) => {
      if (conv === "%") return "%";
      if (i >= args.length) throw new DocModelError("DOCS_BAD_ARGUMENT", `tiff: template ${JSON.stringify(template)} needs more arguments`);
      const v = args[i++] as string | number;
      let text: string;
      if (conv === "s") {
        text = String(v);
        if (precision !== undefined) text = text.slice(0, Number(precision));
      } else {
        const n = Math.trunc(Number(v));
        text = String(Math.abs(n));
        if (precision !== undefined) text = text.padStart(Number(precision), "0");
        if (n < 0) text = `-${text}`;
        else if (flags.includes("+")) text = `+${text}`;
        else if (flags.includes(" ")) text = ` ${text}`;
        if (flags.includes("0") && !flags.includes("-") && precision === undefined && width) {
          const sign = /^[-+ ]/.test(text) ? (text[0] as string) : "";
          text = sign + text.slice(sign.length).padStart(Number(width) - sign.length, "0");
        }
      }
      if (width) text = flags.includes("-") ? text.padEnd(Number(width)) : text.padStart(Number(width));
      return text;
    },
  );
  if (i !== args.length)
    throw new DocModelError("DOCS_BAD_ARGUMENT", `tiff: template ${JSON.stringify(template)} takes ${i} arguments, not ${args.length}`);
  return out;
}

/**
 * Handlers for lazy TIFF runs:
 * - `AD_TIFF` (what {@link ingestTiffSeriesLazy} writes; area-detector-handlers' `AreaDetectorTiffHandler`
 *   semantics): resource kwargs `template`, `filename`, `frame_per_point` (default 1); datum kwargs
 *   `point_number`; the value is the [frame_per_point, h, w] stack of files `template % (path/, filename, j)` for
 *   j in [point_number × fpp, (point_number + 1) × fpp);
 * - `DOCMODEL_TIFF` (runs written by earlier daqkit versions): `resource_path` is the file, datum kwargs `page`.
 */
export const TIFF_HANDLERS: HandlerRegistry = {
  [AD_TIFF_SPEC]: (fullPath, resourceKwargs) => {
    const template = resourceKwargs.template;
    const filename = resourceKwargs.filename;
    const fpp = Number(resourceKwargs.frame_per_point ?? 1);
    if (typeof template !== "string" || typeof filename !== "string" || !Number.isInteger(fpp) || fpp < 1) {
      throw new DocModelError(
        "DOCS_BAD_ARGUMENT",
        `tiff: AD_TIFF resource ${fullPath} needs string template and filename kwargs and an integer frame_per_point ≥ 1`,
        {
          path: fullPath,
        },
      );
    }
    // os.path.join(fpath, ""): the directory with one trailing separator.
    const dir = fullPath === "" || /[/\\]$/.test(fullPath) ? fullPath : `${fullPath}/`;
    return (kwargs) => {
      const point = Number(kwargs.point_number);
      if (!Number.isInteger(point) || point < 0) {
        throw new DocModelError("DOCS_UNRESOLVABLE_FOREIGN_KEY", `tiff: AD_TIFF datum of ${fullPath} has no integer point_number`, {
          path: fullPath,
        });
      }
      const frames: NdArray[] = [];
      for (let j = point * fpp; j < (point + 1) * fpp; j++)
        frames.push(singleImage(readTiffPages(pyPercentFormat(template, [dir, filename, j])), filename));
      const [first] = frames as [NdArray];
      const size = first.data.length;
      const Ctor = first.data.constructor as new (n: number) => Uint8Array;
      const data = new Ctor(size * fpp);
      frames.forEach((f, k) => {
        checkSeriesShape(f, first.shape, filename);
        data.set(f.data as Uint8Array, k * size);
      });
      return new NdArray(first.dtype, [fpp, ...first.shape], data);
    };
  },
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
 * front; every file becomes a Resource + Datum in the area-detector TIFF layout that area-detector-handlers'
 * `AD_TIFF` handler (and so databroker) fills: `spec: "AD_TIFF"`, `root` = the files' common folder,
 * `resource_path` = the file's folder relative to it (`""` for none), resource kwargs `{template: "%s%s%.0s",
 * filename: <file name>, frame_per_point: 1}` (the template's `%.0s` consumes the frame number, since the
 * files of a series need not be numbered), datum kwargs `{point_number: 0}`. Events hold datum ids
 * (`filled: {image: false}`, DataKey `external: "FILESTORE:"`, shape [1, h, w]: the handler returns
 * frame_per_point frames). Image data is read only when an event is filled with {@link TIFF_HANDLERS}
 * (e.g. `run.canonical({ handlers: TIFF_HANDLERS })` or `read({ handlers })`).
 * @throws DocModelError `DOCS_NO_FILES`, `DOCS_TIFF_UNSUPPORTED`
 */
export function* ingestTiffSeriesLazy(pattern: string | readonly string[], options: TiffIngestOptions = {}): Generator<DocumentPair> {
  const files = matchFiles(pattern);
  const source = typeof pattern === "string" ? pattern : files.join(",");
  let mtime = mtimeSeconds(files[0] as string);
  const run = composeRun({ uid: filesUid(files), time: mtime, metadata: options.metadata });
  yield ["start", run.startDoc];
  const first = singleImage(readTiffPages(files[0] as string), files[0] as string);
  const key = imageDataKey(first, source);
  const stream = run.composeDescriptor({
    name: options.stream ?? "primary",
    data_keys: { image: { ...key, shape: [1, ...key.shape], external: "FILESTORE:" } },
  });
  yield ["descriptor", stream.descriptorDoc];
  const root = commonRoot(files.map((f) => resolve(f)));
  for (const file of files) {
    mtime = mtimeSeconds(file);
    const folder = relative(root, dirname(resolve(file)))
      .split(sep)
      .join("/");
    const res = run.composeResource({
      spec: AD_TIFF_SPEC,
      root,
      resource_path: folder,
      resource_kwargs: { template: "%s%s%.0s", filename: basename(file), frame_per_point: 1 },
    });
    yield ["resource", res.resourceDoc];
    const datum = res.composeDatum({ datum_kwargs: { point_number: 0 } });
    yield ["datum", datum];
    yield [
      "event",
      stream.composeEvent({ data: { image: datum.datum_id }, timestamps: { image: mtime }, filled: { image: false }, time: mtime }),
    ];
  }
  yield ["stop", run.composeStop({ time: mtime })];
}
