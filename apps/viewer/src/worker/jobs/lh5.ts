// LH5 jobs (run in the worker): the object tree, table pages, column histograms, waveforms, LGDO
// histograms and arrays, through @daqkit/lh5's platform-neutral entry.
import { HistogramAccumulator, type Histogram1D, RangeAccumulator } from "@daqkit/io";
import { type Lgdo, type Lh5File, type Lh5ObjectInfo, lgdoRows, openLh5, type Table, type VectorOfVectors } from "@daqkit/lh5";
import type { DirRef } from "../../input.js";
import type { JobContext, JobHandler } from "../protocol.js";
import { fileOf, h5Runtime, OpenCache } from "./files.js";

const files = new OpenCache<Lh5File>();

function open(ref: DirRef, path: string, ctx: JobContext): Promise<Lh5File> {
  return files.get(ref, path, async () => openLh5(await fileOf(ref, path), { runtime: await h5Runtime(ctx.env), name: path }));
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

// ---- column histogram --------------------------------------------------------------------------

export interface Lh5HistogramArgs extends Lh5Args {
  /** A table (then `column` names the column, `/` for nested) or an array object. */
  readonly object: string;
  readonly column?: string;
  readonly bins: number;
  readonly range?: readonly [number, number];
}

/** Numeric values of a column batch: arrays as they are, VoVs flattened, encoded waveforms decoded. */
function numericValues(obj: Lgdo): ArrayLike<number> | BigInt64Array | BigUint64Array | null {
  switch (obj.type) {
    case "Array":
    case "FixedSizeArray":
    case "ArrayOfEqualSizedArrays":
      return Array.isArray(obj.data) ? null : (obj.data as ArrayLike<number>);
    case "VectorOfVectors":
      return numericValues(obj.flattened);
    default:
      return null;
  }
}

function columnOf(obj: Lgdo, column: string | undefined): Lgdo {
  if (!column) return obj;
  let cur: Lgdo = obj;
  for (const part of column.split("/")) {
    const next: Lgdo | undefined =
      cur.type === "Table" || cur.type === "WaveformTable"
        ? cur.columns.get(part)
        : cur.type === "Struct"
          ? cur.fields.get(part)
          : undefined;
    if (!next) throw Object.assign(new Error(`lh5: no column ${JSON.stringify(column)}`), { code: "LH5_OBJECT_NOT_FOUND" });
    cur = next;
  }
  return cur;
}

/**
 * Histogram of one column, streamed in row batches (`iterateTable` with a one-column mask, so only
 * that column's chunks are read): a first pass for the range (unless given), then the fill.
 */
const histogram: JobHandler = async (args: Lh5HistogramArgs, ctx): Promise<Histogram1D & { column: string }> => {
  const f = await open(args.ref, args.path, ctx);
  const type = f.datatypeOf(args.object) ?? "";
  const isTable = type.startsWith("table") || type.startsWith("struct");
  const nRows = f.countRows(args.object) ?? 0;
  const batches = async function* (pass: number, passes: number): AsyncGenerator<ArrayLike<number> | BigInt64Array | BigUint64Array> {
    if (isTable) {
      for await (const batch of f.iterateTable(args.object, {
        columns: args.column ? [args.column] : undefined,
        batchSize: 1 << 18,
        decodeWaveforms: true,
      })) {
        const values = numericValues(columnOf(batch, args.column));
        if (!values)
          throw Object.assign(new Error(`lh5: ${args.object}/${args.column}: not a numeric column`), { code: "VIEW_NOT_NUMERIC" });
        yield values;
        ctx.progress(pass * nRows + Math.min(nRows, batch.nRows), passes * nRows);
      }
    } else {
      const step = 1 << 18;
      for (let start = 0; start < Math.max(nRows, 1); start += step) {
        const obj = f.readObject(args.object, { rows: { start, stop: Math.min(nRows, start + step) }, decodeWaveforms: true });
        const values = numericValues(obj);
        if (!values) throw Object.assign(new Error(`lh5: ${args.object}: not numeric`), { code: "VIEW_NOT_NUMERIC" });
        yield values;
        ctx.progress(pass * nRows + Math.min(nRows, start + step), passes * nRows);
      }
    }
  };
  let range = args.range;
  const passes = range ? 1 : 2;
  if (!range) {
    const r = new RangeAccumulator();
    for await (const b of batches(0, passes)) r.add(b);
    const found = r.range();
    range = [found.low, found.high];
  }
  const h = new HistogramAccumulator({ bins: args.bins, low: range[0], high: range[1] });
  for await (const b of batches(passes - 1, passes)) h.add(b);
  const result = h.result();
  ctx.transfer(result.edges.buffer, result.counts.buffer);
  return { ...result, column: args.column ?? args.object };
};

// ---- waveforms ---------------------------------------------------------------------------------

export interface Lh5WaveformArgs extends Lh5Args {
  /** A WaveformTable, a table with a WaveformTable column (`column`), an AoESA or an encoded array. */
  readonly object: string;
  readonly column?: string;
  readonly start: number;
  readonly count: number;
}

export interface Lh5Waveforms {
  readonly nRows: number;
  readonly start: number;
  /** One per row: samples and their times (t0 + i·dt). */
  readonly series: { row: number; x: Float64Array; y: Float64Array }[];
  readonly xLabel: string;
  readonly yLabel: string;
}

function numberAt(obj: Lgdo | undefined, i: number, fallback: number): number {
  if (!obj) return fallback;
  const v = numericValues(obj);
  if (!v) return fallback;
  return Number(v[i] ?? fallback);
}

function unitsOf(obj: Lgdo | undefined): string | undefined {
  const u = obj?.attrs.units;
  return typeof u === "string" ? u : undefined;
}

const waveforms: JobHandler = async (args: Lh5WaveformArgs, ctx): Promise<Lh5Waveforms> => {
  const f = await open(args.ref, args.path, ctx);
  const nRows = f.countRows(args.object) ?? 0;
  const start = Math.max(0, Math.min(args.start, Math.max(0, nRows - 1)));
  const stop = Math.min(nRows, start + args.count);
  const columns = args.column ? [args.column] : undefined;
  const obj = f.readObject(args.object, { rows: { start, stop }, decodeWaveforms: true, ...(columns ? { columns } : {}) });
  let wf = columnOf(obj, args.column);
  let t0: Lgdo | undefined;
  let dt: Lgdo | undefined;
  let values: Lgdo = wf;
  if (wf.type === "WaveformTable" || wf.type === "Table") {
    t0 = wf.columns.get("t0");
    dt = wf.columns.get("dt");
    const v = wf.columns.get("values");
    if (!v) throw Object.assign(new Error(`lh5: ${args.object}: no "values" column in the waveform table`), { code: "VIEW_NOT_WAVEFORMS" });
    values = v;
    wf = v;
  }
  const series: Lh5Waveforms["series"] = [];
  const n = lgdoRows(values) ?? 0;
  for (let r = 0; r < n; r++) {
    let samples: ArrayLike<number | bigint>;
    if (values.type === "ArrayOfEqualSizedArrays" || values.type === "Array" || values.type === "FixedSizeArray") {
      const len = values.shape.slice(1).reduce((a, b) => a * b, 1);
      samples = (values.data as unknown as { subarray(a: number, b: number): ArrayLike<number | bigint> }).subarray(r * len, (r + 1) * len);
    } else if (values.type === "VectorOfVectors") {
      const c = values.cumulativeLength;
      const inner = values.flattened;
      if (inner.type === "VectorOfVectors" || Array.isArray(inner.data))
        throw Object.assign(new Error("lh5: nested waveform vectors"), { code: "VIEW_NOT_WAVEFORMS" });
      samples = (inner.data as unknown as { subarray(a: number, b: number): ArrayLike<number> }).subarray(r === 0 ? 0 : c[r - 1]!, c[r]!);
    } else {
      throw Object.assign(new Error(`lh5: ${args.object}: ${values.type} is not a waveform array`), { code: "VIEW_NOT_WAVEFORMS" });
    }
    const t = numberAt(t0, r, 0);
    const d = numberAt(dt, r, 1);
    const y = new Float64Array(samples.length);
    const x = new Float64Array(samples.length);
    for (let i = 0; i < samples.length; i++) {
      y[i] = Number(samples[i]);
      x[i] = t + i * d;
    }
    ctx.transfer(x.buffer, y.buffer);
    series.push({ row: start + r, x, y });
  }
  const tu = unitsOf(dt) ?? unitsOf(t0);
  return {
    nRows,
    start,
    series,
    xLabel: t0 || dt ? `time (t0 + i·dt${tu ? `, ${tu}` : ""})` : "sample",
    yLabel: unitsOf(values) ?? "value",
  };
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
