/**
 * Data for pictures (platform-neutral), shared by the viewer and `daqkit plot`: a column's
 * histogram streamed by row ranges, and waveforms (`WaveformTable` with `t0`/`dt` axes, bare
 * `ArrayOfEqualSizedArrays`, encoded waveforms decoded) as x/y series.
 */
import {
  type AutoHistogramOptions,
  BatchKeeper,
  HISTOGRAM_KEEP_BYTES,
  type Histogram1D,
  HistogramAccumulator,
  type HistogramValues,
  RangeAccumulator,
} from "@daqkit/io";
import { Lh5Error } from "./errors.js";
import type { Lh5File } from "./reader.js";
import type { Lgdo } from "./types.js";

/** Options of {@link histogramLh5Column}. */
export interface Lh5ColumnHistogramOptions extends AutoHistogramOptions {
  /** Rows read per step (default 65 536). Memory is one step of the column plus the bins. */
  batchRows?: number;
  /**
   * Called after each step with (rows done, rows to do). A second pass (no range, and the column's
   * values larger than `keepBytes`) counts its rows again: rows to do is then twice the rows.
   */
  onProgress?: (doneRows: number, totalRows: number) => void;
  signal?: AbortSignal;
}

/** A histogram of an LH5 column, with where it came from. */
export interface Lh5ColumnHistogram extends Histogram1D {
  /** The object path histogrammed. */
  readonly objectPath: string;
  /** The `units` attribute of the column, when it has one. */
  readonly units?: string;
  /** Rows of the column (a VectorOfVectors' or AoESA's values are all binned). */
  readonly rows: number;
}

function numericValues(obj: Lgdo, file: Lh5File, path: string): HistogramValues {
  let o: Lgdo = obj;
  while (o.type === "VectorOfVectors") o = o.flattened;
  if ((o.type === "Array" || o.type === "FixedSizeArray" || o.type === "ArrayOfEqualSizedArrays") && !Array.isArray(o.data)) {
    return o.data as HistogramValues;
  }
  const what = o.type === "Array" || o.type === "ArrayOfEqualSizedArrays" ? `${o.type} of strings` : o.type;
  throw new Lh5Error(
    "LH5_UNSUPPORTED",
    `lh5: ${file.path}:${path}: cannot histogram a ${what}: expected a numeric Array, ArrayOfEqualSizedArrays or VectorOfVectors column`,
    { path: file.path, objectPath: path },
  );
}

/**
 * Histogram of a numeric column (an `Array`, `ArrayOfEqualSizedArrays` or `VectorOfVectors` — its
 * flattened values — at `objectPath`, e.g. `ch1084803/dsp/trapEmax`), read `batchRows` rows at a
 * time. With `range` the column is read once. Without one, a first pass finds min..max and keeps
 * the values while they fit `keepBytes` (default 256 MiB of decoded values), then bins them from
 * memory: the column is read once; a larger column is read a second time for the fill (memory is
 * then one step plus the bins). Encoded waveforms are decoded.
 * @throws Lh5Error `LH5_OBJECT_NOT_FOUND`, `LH5_UNSUPPORTED` (not numeric / not a column), the read errors
 */
export async function histogramLh5Column(
  file: Lh5File,
  objectPath: string,
  options: Lh5ColumnHistogramOptions = {},
): Promise<Lh5ColumnHistogram> {
  const info = file.describe(objectPath);
  const rows = file.countRows(objectPath);
  if (rows === undefined || info.type === "Table" || info.type === "WaveformTable" || info.type === null) {
    throw new Lh5Error(
      "LH5_UNSUPPORTED",
      `lh5: ${file.path}:${objectPath}: is ${info.type ?? `a plain HDF5 ${info.kind}`}, not a column: name a numeric Array, e.g. ${objectPath.replace(/\/$/, "")}/<column>`,
      { path: file.path, objectPath },
    );
  }
  const step = options.batchRows ?? 65536;
  const fixed = options.range ? (Array.isArray(options.range) ? { low: options.range[0]!, high: options.range[1]! } : options.range) : null;
  // Without a range: keep the first pass's values while they fit the budget (decided from the
  // first step's size, and given up — a second pass — if a later step overflows it).
  const keeper = fixed ? null : new BatchKeeper(options.keepBytes ?? HISTOGRAM_KEEP_BYTES);
  let passes = fixed ? 1 : 2;
  let done = 0;
  const each = async (use: (values: HistogramValues) => void, first: boolean): Promise<void> => {
    for (let start = 0; start < rows; start += step) {
      options.signal?.throwIfAborted();
      const stop = Math.min(rows, start + step);
      const obj = file.readObject(objectPath, { rows: { start, stop }, decodeWaveforms: true });
      use(numericValues(obj, file, objectPath));
      if (first && keeper) {
        // the first step tells the column's decoded size: keep it all, or nothing
        if (start === 0 && keeper.batches) {
          if ((keeper.bytes / (stop - start)) * rows <= keeper.budgetBytes) passes = 1;
          else keeper.drop();
        }
        if (!keeper.batches) passes = 2;
      }
      done += stop - start;
      options.onProgress?.(done, rows * passes);
      // Let a page's event loop run between steps (a progress bar, a cancel button).
      await Promise.resolve();
    }
    if (rows === 0) numericValues(file.readObject(objectPath, { decodeWaveforms: true }), file, objectPath);
  };
  let range = fixed as { low: number; high: number } | null;
  if (!range) {
    const r = new RangeAccumulator();
    await each((v) => {
      r.add(v);
      keeper!.add(v);
    }, true);
    range = r.range();
  }
  const h = new HistogramAccumulator({ bins: options.bins ?? 100, low: range.low, high: range.high });
  const kept = keeper?.batches;
  if (kept) {
    for (const v of kept) h.add(v);
  } else {
    await each((v) => h.add(v), false);
  }
  return { ...h.result(), objectPath, rows, ...(info.units ? { units: info.units } : {}) };
}

/** One waveform as an x/y series. */
export interface Lh5Waveform {
  /** Row of the waveform in its table. */
  readonly row: number;
  /** Sample times: `t0 + i × dt` (in the `t0`/`dt` units), or the sample index without axes. */
  readonly x: Float64Array;
  /** Sample values. */
  readonly y: Float64Array;
}

/** Waveforms of rows `[first, first + count)`. */
export interface Lh5Waveforms {
  readonly objectPath: string;
  readonly waveforms: Lh5Waveform[];
  /** Units of the x axis (`dt`'s `units` attribute, e.g. `ns`), or `"sample"`. */
  readonly xUnits: string;
  /** Units of the values, when the file gives them. */
  readonly yUnits?: string;
  /** Rows of the waveform table. */
  readonly rows: number;
}

/** Options of {@link readLh5Waveforms}. */
export interface Lh5WaveformOptions {
  /** First row (default 0). */
  first?: number;
  /** Number of waveforms (default 10; fewer when the table ends). */
  count?: number;
}

function unitsOf(obj: Lgdo | undefined): string | undefined {
  const u = obj?.attrs["units"];
  return typeof u === "string" && u !== "" ? u : undefined;
}

function toNumbers(values: HistogramValues, from: number, to: number): Float64Array {
  const out = new Float64Array(to - from);
  for (let i = from; i < to; i++) out[i - from] = Number(values[i]);
  return out;
}

/**
 * Waveforms as x/y series: a `WaveformTable` (`t0`, `dt`, `values`; encoded values decoded) —
 * also when `objectPath` names a table with a `waveform` column — or a bare
 * `ArrayOfEqualSizedArrays` / `VectorOfVectors` (x = sample index).
 * @throws Lh5Error `LH5_OBJECT_NOT_FOUND`, `LH5_BAD_ROWS` (first beyond the table), `LH5_UNSUPPORTED`
 */
export function readLh5Waveforms(file: Lh5File, objectPath: string, options: Lh5WaveformOptions = {}): Lh5Waveforms {
  let path = objectPath.replace(/^\/+|\/+$/g, "");
  let info = file.describe(path);
  if (info.type === "Table" && info.columns?.includes("waveform")) {
    path = `${path}/waveform`;
    info = file.describe(path);
  }
  const rows = file.countRows(path) ?? 0;
  const first = options.first ?? 0;
  const count = options.count ?? 10;
  if (!Number.isInteger(first) || first < 0 || (first >= rows && rows > 0) || !Number.isInteger(count) || count < 1) {
    throw new Lh5Error(
      "LH5_BAD_ROWS",
      `lh5: ${file.path}:${path}: waveforms from row ${first}, count ${count}: expected 0 ≤ first < ${rows} and count ≥ 1`,
      { path: file.path, objectPath: path, row: first },
    );
  }
  const stop = Math.min(rows, first + count);
  const obj = file.readObject(path, { rows: { start: first, stop }, decodeWaveforms: true });
  let values: Lgdo;
  let t0: Lgdo | undefined;
  let dt: Lgdo | undefined;
  if (obj.type === "Table" || obj.type === "WaveformTable") {
    const v = obj.columns.get("values");
    if (!v) {
      throw new Lh5Error(
        "LH5_UNSUPPORTED",
        `lh5: ${file.path}:${path}: a ${obj.type} without a values column is not a waveform table (columns: ${[...obj.columns.keys()].join(", ")})`,
        { path: file.path, objectPath: path },
      );
    }
    values = v;
    t0 = obj.columns.get("t0");
    dt = obj.columns.get("dt");
  } else values = obj;
  const n = stop - first;
  const waveforms: Lh5Waveform[] = [];
  const number = (o: Lgdo | undefined, i: number): number =>
    o && (o.type === "Array" || o.type === "FixedSizeArray") && !Array.isArray(o.data) ? Number(o.data[i]) : Number.NaN;
  if (values.type === "ArrayOfEqualSizedArrays" && !Array.isArray(values.data)) {
    const len = values.shape.slice(1).reduce((a, b) => a * b, 1);
    for (let i = 0; i < n; i++)
      waveforms.push(series(first + i, toNumbers(values.data, i * len, (i + 1) * len), number(t0, i), number(dt, i)));
  } else if (values.type === "VectorOfVectors" && values.flattened.type !== "VectorOfVectors" && !Array.isArray(values.flattened.data)) {
    const cl = values.cumulativeLength;
    for (let i = 0; i < n; i++) {
      const a = i === 0 ? 0 : cl[i - 1]!;
      waveforms.push(series(first + i, toNumbers(values.flattened.data, a, cl[i]!), number(t0, i), number(dt, i)));
    }
  } else {
    throw new Lh5Error(
      "LH5_UNSUPPORTED",
      `lh5: ${file.path}:${path}: is ${values.type}, not waveforms: expected a WaveformTable or a numeric ArrayOfEqualSizedArrays / VectorOfVectors`,
      { path: file.path, objectPath: path },
    );
  }
  const axes = t0 !== undefined && dt !== undefined;
  const yUnits = unitsOf(values);
  return {
    objectPath: path,
    waveforms,
    xUnits: axes ? (unitsOf(dt) ?? unitsOf(t0) ?? "") : "sample",
    ...(yUnits ? { yUnits } : {}),
    rows,
  };
}

function series(row: number, y: Float64Array, t0: number, dt: number): Lh5Waveform {
  const x = new Float64Array(y.length);
  const origin = Number.isFinite(t0) ? t0 : 0;
  const step = Number.isFinite(dt) ? dt : 1;
  for (let i = 0; i < y.length; i++) x[i] = origin + i * step;
  return { row, x, y };
}
