import type { Dataset, Metadata } from "h5wasm";
import type { DirectReader } from "./direct-read.js";
import { Lh5Error, hdf5Reason } from "./errors.js";
import type { Ranges } from "./selection.js";
import type { ElementData, NumericArray } from "./types.js";

/** At most this many bytes per hyperslab read (the wasm heap is 2 GiB; 8 MiB windows keep the copy out of the heap cache-warm). */
const WINDOW_BYTES = 8 * 1024 * 1024;
/** Gaps up to this many bytes between selected ranges are read through rather than split. */
const GAP_BYTES = 256 * 1024;

type NumericCtor = { new (n: number): NumericArray; BYTES_PER_ELEMENT: number };

/** The typed-array constructor for an HDF5 integer/float/enum type, or null for strings. */
export function elementCtor(meta: Metadata, where: string): NumericCtor | null {
  if (meta.type === 3) return null;
  const base = meta.type === 8 && meta.enum_type ? { type: meta.enum_type.type, size: meta.size, signed: meta.signed } : meta;
  if (base.type === 0) {
    switch (base.size) {
      case 1:
        return base.signed ? Int8Array : Uint8Array;
      case 2:
        return base.signed ? Int16Array : Uint16Array;
      case 4:
        return base.signed ? Int32Array : Uint32Array;
      case 8:
        return base.signed ? BigInt64Array : BigUint64Array;
    }
  }
  if (base.type === 1) {
    if (base.size === 4) return Float32Array;
    if (base.size === 8) return Float64Array;
  }
  throw new Lh5Error(
    "LH5_UNSUPPORTED",
    `lh5: ${where}: HDF5 element type class ${meta.type} of ${meta.size} bytes is not supported (expected integer, float, enum or string)`,
  );
}

/** Human dtype name: `uint16`, `float64`, `S7` (fixed-length string), `string` (vlen), `enum(int8)`. */
export function dtypeName(meta: Metadata): string {
  switch (meta.type) {
    case 0:
      return `${meta.signed ? "int" : "uint"}${meta.size * 8}`;
    case 1:
      return `float${meta.size * 8}`;
    case 3:
      return meta.vlen ? "string" : `S${meta.size}`;
    case 8:
      return `enum(${meta.signed ? "int" : "uint"}${meta.size * 8})`;
    default:
      return `hdf5-class-${meta.type}`;
  }
}

function sliceRows(ds: Dataset, a: number, b: number, rank: number, where: string): ElementData {
  const sel: [number, number][] = [[a, b]];
  const ranges = rank > 1 ? [...sel, ...Array.from({ length: rank - 1 }, () => [] as [])] : sel;
  let out: unknown;
  try {
    out = ds.slice(ranges as Parameters<Dataset["slice"]>[0]);
  } catch (error) {
    throw new Lh5Error("LH5_READ_IO", `lh5: ${where}: reading rows [${a}, ${b}) failed: ${hdf5Reason(error)}`, {}, { cause: error });
  }
  if (Array.isArray(out)) return out.map((s) => String(s));
  if (typeof out === "string") return [out];
  return out as NumericArray;
}

/** The part of the h5wasm Emscripten module used for direct hyperslab reads. */
export interface H5RawModule {
  _malloc(n: number): number;
  _free(ptr: number): void;
  readonly HEAPU8: Uint8Array;
  get_dataset_data(fileId: bigint, path: string, count: bigint[], offset: bigint[], strides: bigint[], ptr: bigint): number;
  /** Attribute names of the object at `path`, in HDF5's attribute order. */
  get_attribute_names?(fileId: bigint, path: string): string[];
}

/**
 * Read rows [a, b) of an integer/float dataset straight from the wasm heap into `out` at element
 * `dst` (one copy, no intermediate typed array). Exported for the windowed `Lh5File.readObjectAsync`.
 */
export function readRowsInto(
  module: H5RawModule,
  ds: Dataset,
  shape: readonly number[],
  a: number,
  b: number,
  out: NumericArray,
  dst: number,
  where: string,
): void {
  const rowWidth = shape.slice(1).reduce((p, v) => p * v, 1);
  const n = (b - a) * rowWidth;
  if (n === 0) return;
  const bpe = out.BYTES_PER_ELEMENT;
  const ptr = module._malloc(n * bpe);
  if (ptr === 0) throw new Lh5Error("LH5_READ_IO", `lh5: ${where}: cannot allocate ${n * bpe} bytes in the wasm heap`);
  try {
    const count = [BigInt(b - a), ...shape.slice(1).map((d) => BigInt(d))];
    const offset = [BigInt(a), ...shape.slice(1).map(() => 0n)];
    try {
      module.get_dataset_data(
        ds.file_id,
        ds.path,
        count,
        offset,
        count.map(() => 1n),
        BigInt(ptr),
      );
    } catch (error) {
      throw new Lh5Error("LH5_READ_IO", `lh5: ${where}: reading rows [${a}, ${b}) failed: ${hdf5Reason(error)}`, {}, { cause: error });
    }
    const ctor = out.constructor as unknown as new (buf: ArrayBufferLike, off: number, len: number) => NumericArray;
    const view = new ctor(module.HEAPU8.buffer, ptr, n);
    (out as unknown as { set(x: ArrayLike<number | bigint>, o: number): void }).set(view as ArrayLike<number | bigint>, dst);
  } finally {
    module._free(ptr);
  }
}

/**
 * Read `ranges` of rows (axis 0) of a dataset and concatenate them in range order. A single range is
 * read in windows of at most 8 MiB; several ranges are coalesced into covering spans (gaps up to
 * 256 KiB are read through) and gathered, so a small selection never reads the whole dataset.
 */
export function readDatasetRanges(
  ds: Dataset,
  meta: Metadata,
  ranges: Ranges,
  where: string,
  module?: H5RawModule,
  direct?: DirectReader,
): ElementData {
  const shape = meta.shape ?? [];
  const rank = shape.length;
  const rowWidth = shape.slice(1).reduce((p, v) => p * v, 1);
  const ctor = elementCtor(meta, where);
  const bytesPerRow = Math.max(1, rowWidth * (ctor ? ctor.BYTES_PER_ELEMENT : meta.size || 8));
  const windowRows = Math.max(1, Math.floor(WINDOW_BYTES / bytesPerRow));
  const gapRows = Math.floor(GAP_BYTES / bytesPerRow);
  const nr = ranges.starts.length;
  let total = 0;
  for (let k = 0; k < nr; k++) total += (ranges.stops[k] as number) - (ranges.starts[k] as number);

  if (rank === 0) {
    // A rank-0 dataset read as an array: one element.
    const v = ds.value;
    if (ctor) {
      const arr = new ctor(1);
      (arr as unknown as (number | bigint)[])[0] = v as number;
      return arr;
    }
    return [String(v)];
  }

  if (direct && ctor && (meta.type === 0 || meta.type === 1)) {
    // Raw bytes from the file straight into the output (see direct-read.ts); null: h5wasm reads it.
    const layout = direct.layout(ds.path, meta);
    const out = layout && direct.read(layout, ranges, ctor);
    if (out) return out;
  }

  if (module && ctor && (meta.type === 0 || meta.type === 1)) {
    // Direct path for numbers: each covering span is read from the wasm heap into the output.
    const out = new ctor(total * rowWidth);
    const outOffset = rangeOffsets(ranges);
    const order = sortedOrder(ranges.starts);
    let i = 0;
    while (i < nr) {
      const first = order[i] as number;
      const spanStart = ranges.starts[first] as number;
      const { end: j, spanStop } = coveringSpan(ranges, order, i, gapRows, windowRows);
      if (j === i + 1) {
        // A single range: read it in windows straight to its place in the output.
        let dst = (outOffset[first] as number) * rowWidth;
        for (let a = spanStart; a < spanStop; a += windowRows) {
          const b = Math.min(spanStop, a + windowRows);
          readRowsInto(module, ds, shape, a, b, out, dst, where);
          dst += (b - a) * rowWidth;
        }
      } else {
        const span = new ctor((spanStop - spanStart) * rowWidth);
        readRowsInto(module, ds, shape, spanStart, spanStop, span, 0, where);
        const o = out as unknown as { [i: number]: number | bigint; set(x: ArrayLike<number | bigint>, o: number): void };
        const sp = span as unknown as { [i: number]: number | bigint };
        for (let t = i; t < j; t++) {
          const k = order[t] as number;
          const s0 = ((ranges.starts[k] as number) - spanStart) * rowWidth;
          const e0 = ((ranges.stops[k] as number) - spanStart) * rowWidth;
          const dst = (outOffset[k] as number) * rowWidth;
          if (e0 - s0 <= 16) {
            // short runs (typical index lists): element copies beat creating a subarray per run
            for (let x = s0; x < e0; x++) o[dst + x - s0] = sp[x] as number | bigint;
          } else {
            o.set(span.subarray(s0, e0) as ArrayLike<number | bigint>, dst);
          }
        }
      }
      i = j;
    }
    return out;
  }

  if (nr === 1) {
    const a = ranges.starts[0] as number;
    const b = ranges.stops[0] as number;
    if (b - a <= windowRows) {
      if (b === a) return ctor ? new ctor(0) : [];
      return sliceRows(ds, a, b, rank, where);
    }
  }

  // Output buffer, concatenated in range order.
  const outStrings: string[] | null = ctor ? null : new Array<string>(total * rowWidth);
  const outNumbers: NumericArray | null = ctor ? new ctor(total * rowWidth) : null;
  const outOffset = rangeOffsets(ranges);
  // Visit ranges sorted by start, grouping them into covering spans.
  const order = sortedOrder(ranges.starts);
  let i = 0;
  while (i < nr) {
    const first = order[i] as number;
    const spanStart = ranges.starts[first] as number;
    const { end: j, spanStop } = coveringSpan(ranges, order, i, gapRows, windowRows);
    if (j === i + 1 && spanStop - spanStart > windowRows) {
      // One big range: stream it in windows straight into the output.
      const k = first;
      let dst = (outOffset[k] as number) * rowWidth;
      for (let a = spanStart; a < spanStop; a += windowRows) {
        const b = Math.min(spanStop, a + windowRows);
        const chunk = sliceRows(ds, a, b, rank, where);
        if (outNumbers) (outNumbers as unknown as { set(x: ArrayLike<number | bigint>, o: number): void }).set(chunk as NumericArray, dst);
        else for (let t = 0; t < chunk.length; t++) (outStrings as string[])[dst + t] = (chunk as string[])[t] as string;
        dst += chunk.length;
      }
    } else if (spanStop > spanStart) {
      const chunk = sliceRows(ds, spanStart, spanStop, rank, where);
      for (let t = i; t < j; t++) {
        const k = order[t] as number;
        const s = ((ranges.starts[k] as number) - spanStart) * rowWidth;
        const e = ((ranges.stops[k] as number) - spanStart) * rowWidth;
        const dst = (outOffset[k] as number) * rowWidth;
        if (outNumbers) {
          (outNumbers as unknown as { set(x: ArrayLike<number | bigint>, o: number): void }).set(
            (chunk as NumericArray).subarray(s, e) as ArrayLike<number | bigint>,
            dst,
          );
        } else {
          for (let t2 = s; t2 < e; t2++) (outStrings as string[])[dst + t2 - s] = (chunk as string[])[t2] as string;
        }
      }
    }
    i = j;
  }
  return (outNumbers ?? outStrings) as ElementData;
}

/** Where each range's rows start in the output, which concatenates the ranges in their given order. */
function rangeOffsets(ranges: Ranges): Float64Array {
  const out = new Float64Array(ranges.starts.length);
  let acc = 0;
  for (let k = 0; k < out.length; k++) {
    out[k] = acc;
    acc += (ranges.stops[k] as number) - (ranges.starts[k] as number);
  }
  return out;
}

/**
 * Group the ranges `order[i], order[i+1], …` (sorted by start) into one covering span read with a
 * single hyperslab: ranges join while the gap to the span is at most `gapRows` and the span stays
 * within `windowRows`. Returns the index after the last joined range and the span's stop row.
 */
function coveringSpan(
  ranges: Ranges,
  order: Uint32Array,
  i: number,
  gapRows: number,
  windowRows: number,
): { end: number; spanStop: number } {
  const first = order[i] as number;
  const spanStart = ranges.starts[first] as number;
  let spanStop = ranges.stops[first] as number;
  let j = i + 1;
  while (j < order.length) {
    const k = order[j] as number;
    const s = ranges.starts[k] as number;
    const e = ranges.stops[k] as number;
    if (s > spanStop + gapRows || Math.max(spanStop, e) - spanStart > windowRows) break;
    spanStop = Math.max(spanStop, e);
    j++;
  }
  return { end: j, spanStop };
}

/** Indices of `starts` in ascending order (identity without sorting when already ascending). */
function sortedOrder(starts: Float64Array): Uint32Array {
  const n = starts.length;
  const order = new Uint32Array(n);
  let sorted = true;
  for (let k = 0; k < n; k++) {
    order[k] = k;
    if (k > 0 && (starts[k] as number) < (starts[k - 1] as number)) sorted = false;
  }
  if (!sorted) order.sort((x, y) => (starts[x] as number) - (starts[y] as number));
  return order;
}

/** Convert an integer column (possibly bigint) to float64 numbers (offsets stay far below 2^53). */
export function toFloat64(data: ElementData): Float64Array {
  if (data instanceof Float64Array) return data;
  const out = new Float64Array(data.length);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    // Combine the 32-bit halves instead of converting each bigint (≈10× faster; exact below 2^53).
    const lo = new Uint32Array(data.buffer, data.byteOffset, data.length * 2);
    const hi = data instanceof BigInt64Array ? new Int32Array(data.buffer, data.byteOffset, data.length * 2) : lo;
    for (let i = 0; i < data.length; i++) out[i] = (hi[2 * i + 1] as number) * 4294967296 + (lo[2 * i] as number);
  } else if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  } else {
    out.set(data as ArrayLike<number>);
  }
  return out;
}
