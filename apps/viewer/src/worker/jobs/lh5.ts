// LH5 jobs (run in the worker): the object tree, table pages, column histograms, waveforms, LGDO
// histograms and arrays, through @daqkit/lh5's platform-neutral entry.
import {
  histogramLh5Column,
  type Lgdo,
  type Lh5ColumnHistogram,
  type Lh5File,
  type Lh5ObjectInfo,
  type Lh5Waveforms,
  lgdoRows,
  openLh5,
  openLh5Url,
  readLh5Waveforms,
  type Table,
  type VectorOfVectors,
} from "@daqkit/lh5";
import type { DirRef } from "../../input.js";
import type { JobContext, JobHandler } from "../protocol.js";
import { fileOf, h5Runtime, OpenCache, urlOf } from "./files.js";

const files = new OpenCache<Lh5File>();

function open(ref: DirRef, path: string, ctx: JobContext): Promise<Lh5File> {
  return files.get(ref, path, async () => {
    const runtime = await h5Runtime(ctx.env);
    // served files: only the blocks HDF5 reads are fetched (range requests), never the whole file
    if (ref.kind === "http") return openLh5Url(urlOf(ref, path), { runtime, name: path });
    return openLh5(await fileOf(ref, path), { runtime, name: path });
  });
}

export interface Lh5Args {
  readonly ref: DirRef;
  readonly path: string;
}

/** One node of the object tree (what the panel shows). */
export interface Lh5Node {
  readonly path: string;
  readonly name: string;
  readonly depth: number;
  readonly kind: "group" | "dataset";
  readonly type: string | null;
  readonly datatype?: string;
  readonly nRows?: number;
  readonly shape?: readonly number[];
  readonly dtype?: string;
  readonly units?: string;
  readonly columns?: readonly string[];
  readonly chunks?: readonly number[];
  readonly filters?: string;
  readonly attrs: Record<string, string>;
}

function attrText(v: unknown): string {
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return `[${v.map(attrText).join(", ")}]`;
  return String(v);
}

function node(info: Lh5ObjectInfo): Lh5Node {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(info.attrs)) attrs[k] = attrText(v);
  return {
    path: info.path,
    name: info.name,
    depth: info.depth,
    kind: info.kind,
    type: info.type,
    ...(info.datatype !== undefined ? { datatype: info.datatype } : {}),
    ...(info.nRows !== undefined ? { nRows: info.nRows } : {}),
    ...(info.shape ? { shape: [...info.shape] } : {}),
    ...(info.dtype ? { dtype: info.dtype } : {}),
    ...(info.units ? { units: info.units } : {}),
    ...(info.columns ? { columns: [...info.columns] } : {}),
    ...(info.chunks ? { chunks: [...info.chunks] } : {}),
    ...(info.filters?.length ? { filters: info.filters.map((f) => f.name ?? String(f.id)).join(", ") } : {}),
    attrs,
  };
}

const list: JobHandler = async (args: Lh5Args, ctx): Promise<Lh5Node[]> => {
  const f = await open(args.ref, args.path, ctx);
  return f.listObjects("", { recursive: true }).map(node);
};

// ---- table pages -------------------------------------------------------------------------------

/**
 * A value as text, exactly: float64 and integers in full (JavaScript's shortest round-trip form),
 * float32 in the shortest form that reads back as the same float32 (9 significant digits at most).
 */
function scalarText(v: unknown, float32 = false): string {
  if (typeof v === "number" && float32 && Number.isFinite(v) && !Number.isInteger(v)) {
    for (let p = 6; p < 9; p++) {
      const t = Number(v.toPrecision(p));
      if (Math.fround(t) === v) return String(t);
    }
    return String(Number(v.toPrecision(9)));
  }
  return typeof v === "bigint" ? v.toString() : String(v);
}

function listText(values: ArrayLike<unknown>, n: number, float32 = false): string {
  const shown = Math.min(n, 6);
  const parts: string[] = [];
  for (let i = 0; i < shown; i++) parts.push(scalarText(values[i], float32));
  return `[${parts.join(", ")}${n > shown ? ", …" : ""}] (${n})`;
}

function vovRow(vov: VectorOfVectors, i: number): string {
  const start = i === 0 ? 0 : vov.cumulativeLength[i - 1]!;
  const stop = vov.cumulativeLength[i]!;
  const inner = vov.flattened;
  if (inner.type === "VectorOfVectors") {
    const parts: string[] = [];
    for (let k = start; k < Math.min(stop, start + 4); k++) parts.push(vovRow(inner, k));
    return `[${parts.join(", ")}${stop - start > 4 ? ", …" : ""}] (${stop - start})`;
  }
  const data = inner.data as ArrayLike<unknown>;
  const slice: unknown[] = [];
  for (let k = start; k < Math.min(stop, start + 6); k++) slice.push(data[k]);
  return listText(slice, stop - start, data instanceof Float32Array);
}

/** Display text of row `i` of a column LGDO. */
function cellText(obj: Lgdo, i: number): string {
  switch (obj.type) {
    case "Array":
    case "FixedSizeArray":
    case "ArrayOfEqualSizedArrays": {
      const inner = obj.shape.slice(1).reduce((a, b) => a * b, 1);
      const data = obj.data as ArrayLike<unknown>;
      const f32 = data instanceof Float32Array;
      if (obj.shape.length <= 1) return scalarText(data[i], f32);
      const slice: unknown[] = [];
      for (let k = 0; k < Math.min(inner, 6); k++) slice.push(data[i * inner + k]);
      return listText(slice, inner, f32);
    }
    case "VectorOfVectors":
      return vovRow(obj, i);
    case "ArrayOfEncodedEqualSizedArrays":
    case "VectorOfEncodedVectors": {
      const c = obj.encodedData.cumulativeLength;
      return `(${obj.codec}, ${c[i]! - (i === 0 ? 0 : c[i - 1]!)} bytes)`;
    }
    default:
      return `(${obj.type})`;
  }
}

/** Leaf columns of a table, nested tables/structs flattened with `/`. */
function leafColumns(table: Table | { columns: ReadonlyMap<string, Lgdo> }, prefix = ""): [string, Lgdo][] {
  const out: [string, Lgdo][] = [];
  for (const [name, col] of table.columns) {
    if (col.type === "Table" || col.type === "WaveformTable") out.push(...leafColumns(col, `${prefix}${name}/`));
    else if (col.type === "Struct") out.push(...leafColumns({ columns: col.fields }, `${prefix}${name}/`));
    else out.push([`${prefix}${name}`, col]);
  }
  return out;
}

export interface Lh5PageArgs extends Lh5Args {
  readonly object: string;
  readonly start: number;
  readonly count: number;
}

export interface Lh5Page {
  readonly nRows: number;
  readonly start: number;
  readonly columns: { name: string; type: string; units?: string }[];
  /** rows[r][c] */
  readonly rows: string[][];
}

const page: JobHandler = async (args: Lh5PageArgs, ctx): Promise<Lh5Page> => {
  const f = await open(args.ref, args.path, ctx);
  const nRows = f.countRows(args.object) ?? 0;
  const start = Math.max(0, Math.min(args.start, Math.max(0, nRows - 1)));
  const stop = Math.min(nRows, start + args.count);
  const obj = f.readObject(args.object, { rows: { start, stop } });
  const cols: [string, Lgdo][] = obj.type === "Table" || obj.type === "WaveformTable" ? leafColumns(obj) : [[obj.type, obj]];
  const n = lgdoRows(obj) ?? 0;
  const rows: string[][] = [];
  for (let r = 0; r < n; r++) rows.push(cols.map(([, c]) => cellText(c, r)));
  return {
    nRows,
    start,
    columns: cols.map(([name, c]) => ({
      name,
      type: c.datatype,
      ...(typeof c.attrs.units === "string" ? { units: c.attrs.units } : {}),
    })),
    rows,
  };
};

// ---- column histogram and waveforms: @daqkit/lh5's shared plot data -----------------------------

export interface Lh5HistogramArgs extends Lh5Args {
  /** A table (then `column` names the column, `/` for nested) or a column object. */
  readonly object: string;
  readonly column?: string;
  readonly bins: number;
  readonly range?: readonly [number, number];
}

/**
 * Histogram of one column, streamed by row ranges of that column only (`histogramLh5Column`): a
 * first pass for the range (unless given) that keeps the values when the column decodes to at most
 * 256 MiB and bins them from memory (the column's chunks are fetched once); a larger column is read
 * again for the fill.
 */
const histogram: JobHandler = async (args: Lh5HistogramArgs, ctx): Promise<Lh5ColumnHistogram> => {
  const f = await open(args.ref, args.path, ctx);
  const objectPath = args.column ? `${args.object}/${args.column}` : args.object;
  const result = await histogramLh5Column(f, objectPath, {
    bins: args.bins,
    ...(args.range ? { range: args.range } : {}),
    batchRows: 1 << 18,
    onProgress: (done, total) => ctx.progress(done, total),
  });
  ctx.transfer(result.edges.buffer, result.counts.buffer);
  return result;
};

export interface Lh5WaveformArgs extends Lh5Args {
  /** A WaveformTable, a table with a `waveform` column, or (with `column`) a waveform column of a table. */
  readonly object: string;
  readonly column?: string;
  readonly start: number;
  readonly count: number;
}

const waveforms: JobHandler = async (args: Lh5WaveformArgs, ctx): Promise<Lh5Waveforms> => {
  const f = await open(args.ref, args.path, ctx);
  const objectPath = args.column ? `${args.object}/${args.column}` : args.object;
  const result = readLh5Waveforms(f, objectPath, { first: args.start, count: args.count });
  for (const w of result.waveforms) ctx.transfer(w.x.buffer, w.y.buffer);
  return result;
};

// ---- whole objects: LGDO histograms, arrays, scalars --------------------------------------------

export type Lh5ObjectView =
  | { kind: "scalar"; text: string }
  | { kind: "histogram1d"; edges: Float64Array; counts: Float64Array; label: string; isDensity: boolean }
  | {
      kind: "histogram2d";
      width: number;
      height: number;
      counts: Float64Array;
      xLabel: string;
      yLabel: string;
      xEdges: Float64Array;
      yEdges: Float64Array;
    }
  | { kind: "array1d"; values: Float64Array; n: number }
  | { kind: "array2d"; width: number; height: number; values: Float64Array }
  | { kind: "none"; reason: string };

function axisEdges(axis: { edges?: Float64Array; first?: number; last?: number; step?: number }, bins: number): Float64Array {
  if (axis.edges) return Float64Array.from(axis.edges);
  const out = new Float64Array(bins + 1);
  const first = axis.first ?? 0;
  const step = axis.step ?? ((axis.last ?? bins) - first) / bins;
  for (let i = 0; i <= bins; i++) out[i] = first + i * step;
  return out;
}

const objectView: JobHandler = async (args: Lh5Args & { object: string }, ctx): Promise<Lh5ObjectView> => {
  const f = await open(args.ref, args.path, ctx);
  const rows = f.countRows(args.object);
  if (rows !== undefined && rows > 5_000_000) return { kind: "none", reason: `${rows} rows: too many to draw whole; use the histogram` };
  const obj = f.readObject(args.object, { decodeWaveforms: true });
  if (obj.type === "Scalar") return { kind: "scalar", text: scalarText(obj.value) };
  if (obj.type === "Histogram") {
    const w = obj.weights;
    const data = Float64Array.from(w.data as ArrayLike<number>);
    if (obj.axes.length === 1) {
      return {
        kind: "histogram1d",
        edges: axisEdges(obj.axes[0]!, data.length),
        counts: data,
        label: obj.axes[0]!.units ?? "",
        isDensity: obj.isDensity,
      };
    }
    if (obj.axes.length === 2) {
      const [nx, ny] = [w.shape[0] ?? 0, w.shape[1] ?? 0];
      // weights[x][y] (row-major, x first) → image rows by y
      const img = new Float64Array(nx * ny);
      for (let x = 0; x < nx; x++) for (let y = 0; y < ny; y++) img[y * nx + x] = data[x * ny + y]!;
      return {
        kind: "histogram2d",
        width: nx,
        height: ny,
        counts: img,
        xLabel: obj.axes[0]!.units ?? "axis 0",
        yLabel: obj.axes[1]!.units ?? "axis 1",
        xEdges: axisEdges(obj.axes[0]!, nx),
        yEdges: axisEdges(obj.axes[1]!, ny),
      };
    }
    return { kind: "none", reason: `${obj.axes.length}-D histogram` };
  }
  if (obj.type === "Array" || obj.type === "FixedSizeArray" || obj.type === "ArrayOfEqualSizedArrays") {
    if (Array.isArray(obj.data)) return { kind: "none", reason: "string data" };
    const values = Float64Array.from(obj.data as ArrayLike<number>, Number);
    if (obj.shape.length === 1) return { kind: "array1d", values, n: values.length };
    if (obj.shape.length === 2) return { kind: "array2d", width: obj.shape[1]!, height: obj.shape[0]!, values };
    return { kind: "none", reason: `${obj.shape.length}-D array` };
  }
  return { kind: "none", reason: obj.type };
};

export const lh5Jobs: Record<string, JobHandler> = {
  "lh5.list": list,
  "lh5.page": page,
  "lh5.histogram": histogram,
  "lh5.waveforms": waveforms,
  "lh5.object": objectView,
};
