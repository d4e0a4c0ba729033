import type { DataKey, EventDescriptor, EventPage } from "./documents.js";
import { DocModelError } from "./errors.js";
import type { FillOptions } from "./filler.js";
import { unfilledKeys } from "./filler.js";
import { isLazyPage, lazyPageKeys, pageRows, readCoalescedColumns, readCoalescedSeqs, readCoalescedUids } from "./lazy-pages.js";
import { NdArray, type NumericArray, dtypeOfTypedArray, isTypedArray } from "./ndarray.js";
import { COALESCED_PAGES, columnRow, eventFromPage } from "./pages.js";
import { PyBytes, PyComplex } from "./python-values.js";
import type { BlueskyRun } from "./run.js";

/** Options of `run.stream(name).read()`. */
export interface ReadOptions extends FillOptions {
  /** Keep only these data keys (and configuration columns named `"<object>:<field>"`). */
  include?: string[];
  /** Drop these data keys. Not together with `include`. */
  exclude?: string[];
  /** Add the seed's configuration columns `"<object>:<field>"` (value repeated per event). Default false. */
  configuration?: boolean;
  /** Read `data` (default) or the per-key `timestamps`. */
  sub?: "data" | "timestamps";
  /** Load external (`filled: false`) values through `handlers` (default true); false keeps the datum ids. */
  fill?: boolean;
}

/**
 * One column of a stream: `data` is row-major over `shape = [nEvents, ...valueShape]` with a numpy `dtype`
 * (`<f8` Float64Array, `<i8` BigInt64Array, `|b1` Uint8Array, `<U<n>` string[], `|O` unknown[] for mixed values,
 * N-d keys keep their element type, e.g. `<u2` Uint16Array; keys whose DataKey shape has a null entry
 * (variable length) give `|O` with one value per row). `dims[0]` is always `time`.
 */
export interface StreamColumn {
  dims: string[];
  shape: number[];
  dtype: string;
  data: NumericArray | string[] | unknown[];
}

/** A stream read into columns (seed semantics: `time` coordinate, data keys, then `seq_num` and `uid`). */
export interface StreamColumns {
  /** Number of events (rows). */
  length: number;
  /** Event `time`, epoch seconds. */
  time: Float64Array;
  seq_num: number[];
  uid: string[];
  /** Data keys in descriptor order, then configuration columns when requested. */
  columns: Record<string, StreamColumn>;
}

/** Read one stream of a run into columns (spec §8.3). */
export function readStreamColumns(run: BlueskyRun, stream: string, options: ReadOptions = {}): StreamColumns {
  if (options.include && options.exclude) {
    throw new DocModelError("DOCS_BAD_ARGUMENT", "docmodel: read() takes include or exclude, not both");
  }
  const descriptors = run.stream(stream).descriptors;
  const first = descriptors[0] as EventDescriptor;
  let keys = Object.keys(first.data_keys);
  if (options.include) keys = keys.filter((k) => options.include?.includes(k));
  if (options.exclude) keys = keys.filter((k) => !options.exclude?.includes(k));
  const sub = options.sub ?? "data";
  const fill = options.fill ?? true;

  const configNames: [string, string, string][] = [];
  if (options.configuration || options.include) {
    for (const [obj, conf] of Object.entries(first.configuration ?? {})) {
      for (const field of Object.keys((conf as { data?: object }).data ?? {})) {
        const name = `${obj}:${field}`;
        if (options.include ? options.include.includes(name) : true) configNames.push([name, obj, field]);
      }
    }
  }

  // Per page: its time, seq_num and uid columns, concatenated once at the end (no push per row).
  const timeParts: ArrayLike<number>[] = [];
  const seqParts: ArrayLike<number>[] = [];
  const uidParts: ArrayLike<string>[] = [];
  let total = 0;
  const rows: Record<string, unknown[]> = {};
  for (const k of keys) rows[k] = [];
  for (const [name] of configNames) rows[name] = [];
  let withEvents = 0;
  const filler = fill ? run.filler(options) : undefined;

  // Fast path: one descriptor with events whose pages hold typed-array or whole-column N-d columns (pages
  // coalesced by the msgpack loader, ingestors writing NdArray columns) are concatenated directly instead of
  // row by row.
  const eventful = descriptors.filter((d) => (run.eventPages.get(d.uid) ?? []).some((p) => pageRows(p) > 0));
  const typedKeys = new Set<string>();
  const typedParts: Record<string, NumericArray[]> = {};
  const typedInfo: Record<string, { dtype: string; rowShape: number[] }> = {};
  // Columns of pages the msgpack loader coalesced hold the Events' plain numbers: typed like them (numpy inference).
  let plainNumbers = false;
  if (eventful.length === 1) {
    const d = eventful[0] as EventDescriptor;
    const pages = (run.eventPages.get(d.uid) ?? []).filter((p) => pageRows(p) > 0);
    plainNumbers = pages.every((p) => COALESCED_PAGES.has(p));
    const canFill = filler && sub === "data" && pages.some((p) => pageNeedsFill(p, d));
    if (!canFill) {
      for (const k of keys) {
        const info = pageColumnInfo(pages[0] as EventPage, sub, k);
        if (!info) continue;
        const same = pages.every((p) => {
          const other = pageColumnInfo(p, sub, k);
          return (
            other !== undefined &&
            other.dtype === info.dtype &&
            other.ctor === info.ctor &&
            other.rowShape.length === info.rowShape.length &&
            other.rowShape.every((x, i) => x === info.rowShape[i])
          );
        });
        if (same) {
          typedKeys.add(k);
          typedParts[k] = [];
          typedInfo[k] = { dtype: info.dtype, rowShape: info.rowShape };
        }
      }
    }
  }

  // Pages the msgpack loader left in their file (lazy pages): when every wanted column is such a typed column, read
  // just those columns and `time` from the file into the result (no page is read whole, nothing is copied again);
  // `seq_num` and `uid` are made when first asked for.
  if (eventful.length === 1 && configNames.length === 0 && keys.every((k) => typedKeys.has(k))) {
    const pages = (run.eventPages.get((eventful[0] as EventDescriptor).uid) ?? []).filter((p) => pageRows(p) > 0);
    if (pages.some(isLazyPage) && keys.every((k) => (typedInfo[k] as { dtype: string }).dtype === "<f8")) {
      const { time, columns: values } = readCoalescedColumns(pages, sub, keys);
      const columns: Record<string, StreamColumn> = {};
      const eventDims = new DimCounter();
      keys.forEach((k, j) => {
        const dk = sub === "data" ? first.data_keys[k] : ({ dtype: "number", shape: [], source: "" } as DataKey);
        const col = typedColumn(
          [values[j] as Float64Array],
          time.length,
          dk,
          typedInfo[k] as { dtype: string; rowShape: number[] },
          plainNumbers,
          true,
        );
        col.dims = eventDims.dims(dk, col.shape.length - 1, col.dims);
        columns[k] = col;
      });
      const out = { length: time.length, time } as StreamColumns;
      lazyField(out, "seq_num", () => readCoalescedSeqs(pages));
      lazyField(out, "uid", () => readCoalescedUids(pages));
      out.columns = columns;
      return out;
    }
  }

  for (const d of descriptors) {
    const pages = run.eventPages.get(d.uid) ?? [];
    if (pages.every((p) => p.seq_num.length === 0)) continue;
    withEvents++;
    for (const page of pages) {
      const n = page.seq_num.length;
      timeParts.push(page.time);
      seqParts.push(page.seq_num);
      uidParts.push(page.uid);
      total += n;
      const needsFill = filler && sub === "data" && pageNeedsFill(page, d);
      if (needsFill) {
        for (let i = 0; i < n; i++) {
          const e = filler.fill(eventFromPage(page, i), d);
          for (const k of keys) (rows[k] as unknown[]).push(e.data[k]);
        }
      } else {
        const source = page[sub] as Record<string, unknown>;
        for (const k of keys) {
          if (typedKeys.has(k)) {
            const col = source[k];
            (typedParts[k] as NumericArray[]).push((col instanceof NdArray ? col.data : col) as NumericArray);
          } else pushColumn(rows[k] as unknown[], source[k], n);
        }
      }
      for (const [name, obj, field] of configNames) {
        const conf = d.configuration?.[obj] as { data?: Record<string, unknown>; timestamps?: Record<string, unknown> } | undefined;
        const v = (sub === "data" ? conf?.data : conf?.timestamps)?.[field] ?? null;
        const r = rows[name] as unknown[];
        for (let i = 0; i < n; i++) r.push(v);
      }
    }
  }

  const time = new Float64Array(total);
  let at = 0;
  for (let p = 0; p < timeParts.length; p++) {
    const part = timeParts[p] as ArrayLike<number>;
    const n = (seqParts[p] as ArrayLike<number>).length;
    if (part instanceof Float64Array && part.length === n) time.set(part, at);
    else for (let i = 0; i < n; i++) time[at + i] = part[i] as number;
    at += n;
  }
  const seq = concatRows(seqParts);
  const uids = concatRows(uidParts);

  // Several descriptors in one stream: rows ordered by time (stable), like xarray's merge on `time`.
  let order: number[] | undefined;
  if (withEvents > 1) {
    order = Array.from(time, (_, i) => i).sort((a, b) => (time[a] as number) - (time[b] as number) || a - b);
  }
  const permute = <T>(a: T[]): T[] => (order ? order.map((i) => a[i] as T) : a);

  const columns: Record<string, StreamColumn> = {};
  // Generated dimension names follow databroker 1.2 (`_documents_to_xarray`): one counter over the stream's data
  // keys in order, so the second N-d key of a stream gets `dim_1`…; configuration columns count per object.
  const eventDims = new DimCounter();
  for (const k of keys) {
    const dk = sub === "data" ? first.data_keys[k] : ({ dtype: "number", shape: [], source: "" } as DataKey);
    const col = typedKeys.has(k)
      ? typedColumn(typedParts[k] as NumericArray[], time.length, dk, typedInfo[k] as { dtype: string; rowShape: number[] }, plainNumbers)
      : buildColumn(k, permute(rows[k] as unknown[]), dk);
    col.dims = eventDims.dims(dk, col.shape.length - 1, col.dims);
    columns[k] = col;
  }
  const configDims = new Map<string, DimCounter>();
  for (const [name, obj, field] of configNames) {
    const dk = (first.configuration?.[obj] as { data_keys?: Record<string, DataKey> } | undefined)?.data_keys?.[field];
    const col = buildColumn(name, permute(rows[name] as unknown[]), sub === "data" ? dk : undefined);
    let counter = configDims.get(obj);
    if (counter === undefined) configDims.set(obj, (counter = new DimCounter()));
    col.dims = counter.dims(dk, col.shape.length - 1, col.dims);
    columns[name] = col;
  }
  return {
    length: time.length,
    time: order ? Float64Array.from(order, (i) => time[i] as number) : time,
    seq_num: permute(seq),
    uid: permute(uids),
    columns,
  };
}

/** The rows of page columns as one array (each part's `length` rows). */
function concatRows<T>(parts: ArrayLike<T>[]): T[] {
  // (Not `concat`: it takes a slow generic path in processes where a library touched Symbol.isConcatSpreadable.)
  if (parts.length === 1 && Array.isArray(parts[0])) return (parts[0] as T[]).slice();
  const out: T[] = [];
  for (const part of parts) for (let i = 0; i < part.length; i++) out.push(part[i] as T);
  return out;
}

/**
 * {@link typedColumnInfo} of column `k` of `sub` of a page; a lazy page's columns are float64 scalars (known without
 * reading the page).
 */
function pageColumnInfo(
  page: EventPage,
  sub: "data" | "timestamps",
  k: string,
): { dtype: string; ctor: unknown; rowShape: number[] } | undefined {
  const lazyKeys = lazyPageKeys(page, sub);
  if (lazyKeys !== undefined) return lazyKeys.includes(k) ? { dtype: "<f8", ctor: Float64Array, rowShape: [] } : undefined;
  return typedColumnInfo((page[sub] as Record<string, unknown> | undefined)?.[k]);
}

/**
 * Define `key` of `o` as an enumerable property whose value `make()` gives when it is first read (then kept as a
 * plain data property; assigning to it first replaces it without making it).
 */
function lazyField(o: object, key: string, make: () => unknown): void {
  const define = (value: unknown): void => {
    Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
  };
  Object.defineProperty(o, key, {
    enumerable: true,
    configurable: true,
    get: () => {
      const value = make();
      define(value);
      return value;
    },
    set: define,
  });
}

/** dtype, element constructor and per-row shape of a typed or whole-column N-d page column (else undefined). */
function typedColumnInfo(col: unknown): { dtype: string; ctor: unknown; rowShape: number[] } | undefined {
  if (col instanceof NdArray) {
    if (col.scalar || col.shape.length === 0 || Array.isArray(col.data) || col.dtype.charAt(1) === "c") return undefined;
    return { dtype: col.dtype, ctor: col.data.constructor, rowShape: col.shape.slice(1) };
  }
  if (isTypedArray(col)) return { dtype: dtypeOfTypedArray(col), ctor: col.constructor, rowShape: [] };
  return undefined;
}

/**
 * Concatenate typed page columns; Float64 data of an `integer` DataKey becomes `<i8` when every value is whole, and
 * so does that of any key but a `number` one when the values are the Events' plain numbers (`plainNumbers`: pages
 * coalesced by the msgpack loader), as {@link scalarColumn} types the same values read from Events.
 */
function typedColumn(
  parts: NumericArray[],
  n: number,
  dk: DataKey | undefined,
  info: { dtype: string; rowShape: number[] },
  plainNumbers = false,
  owned = false,
): StreamColumn {
  const first = parts[0] as NumericArray;
  const Ctor = first.constructor as new (n: number) => NumericArray;
  const width = info.rowShape.reduce((a, b) => a * b, 1);
  let data: NumericArray;
  // `owned`: one part made for this result, used as it is.
  if (owned && parts.length === 1 && first.length === n * width) data = first;
  else {
    data = new Ctor(n * width);
    let offset = 0;
    for (const p of parts) {
      data.set(p as never, offset);
      offset += p.length;
    }
  }
  let dtype = info.dtype;
  const wholeToInt = dk?.dtype === "integer" || (plainNumbers && dk?.dtype !== "number");
  // Plain numbers go as scalarColumn takes them (any whole number; beyond 2^53 it is already inexact).
  const whole = plainNumbers ? Number.isInteger : Number.isSafeInteger;
  if (data instanceof Float64Array && width === 1 && wholeToInt && data.every((v) => whole(v))) {
    data = BigInt64Array.from(data, (v) => BigInt(v));
    dtype = "<i8";
  }
  return { dims: dimsFor(dk, info.rowShape.length), shape: [n, ...info.rowShape], dtype, data };
}

function pageNeedsFill(page: EventPage, d: EventDescriptor): boolean {
  const filled = page.filled;
  if (filled && Object.keys(filled).length > 0) {
    for (const k in filled) if ((filled[k] as unknown[]).some((v) => v === false)) return true;
    return false;
  }
  // No `filled` at all: external keys hold datum ids.
  if (!filled) return unfilledKeys({ data: page.data, filled: undefined } as never, d.data_keys).length > 0;
  return false;
}

function pushColumn(out: unknown[], column: unknown, n: number): void {
  if (Array.isArray(column)) {
    for (let i = 0; i < n; i++) out.push(column[i]);
    return;
  }
  if (column === undefined) {
    for (let i = 0; i < n; i++) out.push(null);
    return;
  }
  for (let i = 0; i < n; i++) out.push(columnRow(column, i));
}

function shapeMismatch(key: string, want: readonly number[], got: readonly number[], row: number): never {
  throw new DocModelError(
    "DOCS_SHAPE_MISMATCH",
    `docmodel: read(): key ${JSON.stringify(key)} row ${row} has shape [${got.join(", ")}], expected [${want.join(", ")}] (rows cannot be stacked)`,
    { recordIndex: row },
  );
}

/**
 * databroker 1.2's default dimension names: a DataKey's own `dims` when it has them (and they fit), else
 * `dim_<n>` from a counter shared by the keys of one read (ndim taken from the DataKey `shape`, as databroker does,
 * when it agrees with the data), so a stream `{a: shape [3], b: shape [4]}` reads as `a: [time, dim_0]`,
 * `b: [time, dim_1]`. Ragged keys (`|O`, one value per row) have no extra dims.
 */
class DimCounter {
  private next = 0;
  dims(dk: DataKey | undefined, ndim: number, current: string[]): string[] {
    if (ndim <= 0) return ["time"];
    if (dk?.dims && dk.dims.length === ndim) return current;
    const shape = dk?.shape;
    const declared = Array.isArray(shape) ? shape.length : ndim;
    const out = ["time"];
    for (let i = 0; i < ndim; i++) out.push(`dim_${this.next + i}`);
    this.next += Math.max(declared, ndim);
    return out;
  }
}

function dimsFor(dk: DataKey | undefined, ndim: number): string[] {
  const dims = ["time"];
  if (ndim === 0) return dims;
  if (dk?.dims && dk.dims.length === ndim) return dims.concat(dk.dims);
  for (let i = 0; i < ndim; i++) dims.push(`dim_${i}`);
  return dims;
}

/** Stack per-event values into one column with numpy-like type inference (spec §8.3 item 5). */
export function buildColumn(key: string, rows: unknown[], dk: DataKey | undefined): StreamColumn {
  const n = rows.length;
  // Variable-length keys (a null in the DataKey shape) cannot be stacked: one value per row, dtype `|O`.
  if (dk?.shape?.includes(null)) return { dims: ["time"], shape: [n], dtype: "|O", data: rows };
  // numpy values mixed with plain ones (an event_page with a numpy column next to a plain event, or a typed-array
  // page next to a list page after a msgpack round trip): stack them as numpy would, through their plain values.
  let numpyRows = 0;
  for (const r of rows) if (r instanceof NdArray || isTypedArray(r)) numpyRows++;
  if (numpyRows > 0 && numpyRows < n) rows = rows.map(plainRow);
  const firstValue = rows[0];
  if (firstValue instanceof NdArray || isTypedArray(firstValue)) {
    const arrays = rows.map((r, i) => {
      if (r instanceof NdArray) return r;
      if (isTypedArray(r)) return new NdArray(dtypeOfTypedArray(r), [r.length], r);
      return shapeMismatch(key, [], [], i);
    });
    const a0 = arrays[0] as NdArray;
    const valueShape = [...a0.shape];
    const size = a0.data.length;
    const sameDtype = arrays.every((a) => a.dtype === a0.dtype);
    arrays.forEach((a, i) => {
      if (a.shape.length !== valueShape.length || a.shape.some((s, j) => s !== valueShape[j])) shapeMismatch(key, valueShape, a.shape, i);
    });
    let dtype = a0.dtype;
    let data: NumericArray | string[];
    if (Array.isArray(a0.data)) {
      data = arrays.flatMap((a) => a.data as string[]);
      if (dtype.charAt(1) === "U") dtype = `<U${Math.max(1, ...(data as string[]).map((s) => s.length))}`;
    } else if (sameDtype) {
      const Ctor = a0.data.constructor as new (n: number) => NumericArray;
      data = new Ctor(n * size);
      arrays.forEach((a, i) => {
        (data as NumericArray).set(a.data as never, i * size);
      });
    } else {
      dtype = "<f8";
      const out = new Float64Array(n * size);
      arrays.forEach((a, i) => {
        for (let j = 0; j < size; j++) out[i * size + j] = Number((a.data as ArrayLike<number | bigint>)[j]);
      });
      data = out;
    }
    return { dims: dimsFor(dk, valueShape.length), shape: [n, ...valueShape], dtype, data };
  }
  if (Array.isArray(firstValue)) {
    const valueShape: number[] = [];
    for (let v: unknown = firstValue; Array.isArray(v); v = v[0]) valueShape.push(v.length);
    const size = valueShape.reduce((a, b) => a * b, 1);
    const flat: unknown[] = [];
    rows.forEach((r, i) => {
      const before = flat.length;
      flattenInto(r, valueShape, 0, flat, key, i);
      if (flat.length - before !== size) shapeMismatch(key, valueShape, [], i);
    });
    const scalar = scalarColumn(flat, dk);
    return { dims: dimsFor(dk, valueShape.length), shape: [n, ...valueShape], dtype: scalar.dtype, data: scalar.data };
  }
  const scalar = scalarColumn(rows, dk);
  return { dims: ["time"], shape: [n], dtype: scalar.dtype, data: scalar.data };
}

/** A numpy row value as plain JS values (nested arrays, numbers, bigint, booleans, strings). */
function plainRow(r: unknown): unknown {
  if (r instanceof NdArray) return r.toNested();
  if (isTypedArray(r)) return Array.from(r as ArrayLike<unknown>);
  return r;
}

function flattenInto(v: unknown, shape: number[], dim: number, out: unknown[], key: string, row: number): void {
  if (dim === shape.length) {
    if (Array.isArray(v)) shapeMismatch(key, shape, [], row);
    out.push(v);
    return;
  }
  if (!Array.isArray(v) || v.length !== shape[dim]) shapeMismatch(key, shape, [], row);
  for (const x of v) flattenInto(x, shape, dim + 1, out, key, row);
}

function scalarColumn(values: unknown[], dk: DataKey | undefined): { dtype: string; data: NumericArray | string[] | unknown[] } {
  let numbers = 0;
  let integers = 0;
  let bigints = 0;
  let strings = 0;
  let booleans = 0;
  let ndScalars = 0;
  let maxLen = 1;
  for (const v of values) {
    switch (typeof v) {
      case "number":
        numbers++;
        if (Number.isInteger(v)) integers++;
        break;
      case "bigint":
        bigints++;
        break;
      case "string":
        strings++;
        if (v.length > maxLen) maxLen = v.length;
        break;
      case "boolean":
        booleans++;
        break;
      default:
        if (v instanceof NdArray && v.shape.length === 0) ndScalars++;
    }
  }
  const n = values.length;
  // Python bytes → numpy `|S<maxlen>` (latin-1 strings, as daqkit gives `S` arrays); complex → `<c16`.
  if (n > 0 && values.every((v) => v instanceof PyBytes)) {
    const strings = (values as PyBytes[]).map((v) => v.toString().replace(/\0+$/, ""));
    return { dtype: `|S${Math.max(1, ...values.map((v) => (v as PyBytes).length))}`, data: strings };
  }
  if (n > 0 && values.every((v) => v instanceof PyComplex || typeof v === "number")) {
    if (values.some((v) => v instanceof PyComplex)) {
      const out = new Float64Array(2 * n);
      values.forEach((v, i) => {
        out[2 * i] = v instanceof PyComplex ? v.real : (v as number);
        out[2 * i + 1] = v instanceof PyComplex ? v.imag : 0;
      });
      return { dtype: "<c16", data: out };
    }
  }
  if (ndScalars === n && n > 0) {
    const a0 = values[0] as NdArray;
    if (values.every((v) => (v as NdArray).dtype === a0.dtype) && !Array.isArray(a0.data)) {
      const Ctor = a0.data.constructor as new (n: number) => NumericArray;
      const out = new Ctor(n);
      values.forEach((v, i) => {
        out.set((v as NdArray).data as never, i);
      });
      return { dtype: a0.dtype, data: out };
    }
  }
  if (numbers + bigints === n && n > 0) {
    const asInt = dk?.dtype === "integer" || (dk?.dtype !== "number" && integers + bigints === n);
    if (asInt && integers + bigints === n) {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = BigInt(values[i] as number | bigint);
      return { dtype: "<i8", data: out };
    }
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = Number(values[i]);
    return { dtype: "<f8", data: out };
  }
  if (strings === n && n > 0) return { dtype: `<U${maxLen}`, data: values as string[] };
  if (booleans === n && n > 0) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = values[i] ? 1 : 0;
    return { dtype: "|b1", data: out };
  }
  if (n === 0) {
    const Ctor = dk?.dtype === "integer" ? BigInt64Array : Float64Array;
    return { dtype: dk?.dtype === "integer" ? "<i8" : "<f8", data: new Ctor(0) };
  }
  return { dtype: "|O", data: values };
}
