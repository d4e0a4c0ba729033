/**
 * Arrow exposure of strax rows and the reverse mapping (Arrow schema → numpy dtype) used to store
 * our own tables as strax data.
 *
 * numpy → Arrow: `|b1` Bool; `iN`/`uN` Int/Uint; `<f2`/`<f4`/`<f8` Float16/32/64; `|S<k>`/`|V<k>`
 * FixedSizeBinary(k); `<U<k>` Utf8 (NUL padding stripped); `<M8[s|ms|us|ns]` Timestamp, other
 * `M8`/`m8` Int64; sub-array fields FixedSizeList, nested once per dimension (shape `(2, 3)` is a
 * FixedSizeList of 2 FixedSizeLists of 3; the shape is also kept in field metadata `numpy_shape`).
 * Every field carries `numpy_typestr` metadata and, when strax gave it a title, `description`.
 */
import {
  type Bool,
  type DataType,
  Field,
  type FixedSizeBinary,
  FixedSizeList,
  type Float32,
  Int64,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  type TimestampNanosecond,
  Type,
  type Utf8,
  type Data,
} from "apache-arrow";
import { type NumericTypedArray, numpyTypestrOfTypedArray, typedArrayConstructorOfNumpy } from "@daqkit/io";
import { arrowTypeOfNumpy, typedArrayConstructorOfArrowType } from "@daqkit/io/arrow";
import type { Chunk } from "./chunk.js";
import { type Dtype, type DtypeField, makeDtype, type DtypeFieldSpec } from "./dtype.js";
import { RunsError } from "./errors.js";

/** Copy one field's bytes of every row into a contiguous buffer (byte-swapped to little-endian). */
function gatherField(data: Uint8Array, n: number, itemsize: number, field: DtypeField): Uint8Array {
  const size = field.byteSize;
  const out = new Uint8Array(n * size);
  const off = field.byteOffset;
  const numeric = field.kind !== "S" && field.kind !== "V" && field.kind !== "U" && field.kind !== "struct";
  const elem = field.elementBytes;
  if (numeric && field.count === 1 && (elem === 2 || elem === 4 || elem === 8)) {
    // Scalar numbers: one DataView read per 2/4 bytes (honours the field's byte order).
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const le = field.littleEndian;
    if (elem === 2) {
      const o16 = new Uint16Array(out.buffer);
      for (let r = 0, src = off; r < n; r++, src += itemsize) o16[r] = view.getUint16(src, le);
    } else if (elem === 4) {
      const o32 = new Uint32Array(out.buffer);
      for (let r = 0, src = off; r < n; r++, src += itemsize) o32[r] = view.getUint32(src, le);
    } else {
      const o32 = new Uint32Array(out.buffer);
      const lo = le ? 0 : 4;
      const hi = le ? 4 : 0;
      for (let r = 0, src = off; r < n; r++, src += itemsize) {
        o32[2 * r] = view.getUint32(src + lo, le);
        o32[2 * r + 1] = view.getUint32(src + hi, le);
      }
    }
    return out;
  }
  if (size >= 32) {
    for (let r = 0; r < n; r++) out.set(data.subarray(r * itemsize + off, r * itemsize + off + size), r * size);
  } else {
    for (let r = 0, src = off, dst = 0; r < n; r++, src += itemsize - size) {
      for (let b = 0; b < size; b++) out[dst++] = data[src++]!;
    }
  }
  const swapWidth = field.kind === "U" ? 4 : elem;
  if (!field.littleEndian && swapWidth > 1 && field.kind !== "S" && field.kind !== "V") swapBytes(out, swapWidth);
  return out;
}

function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** The Arrow type of a scalar field: @daqkit/io's numpy → Arrow map, except `M8` of other units and `m8` (Int64). */
function scalarArrowType(field: DtypeField): DataType {
  if (field.kind === "struct") {
    throw new RunsError("RUNS_UNSUPPORTED_TYPE", `strax → Arrow: nested structured field ${field.name} is not supported`);
  }
  if (field.kind === "m" || (field.kind === "M" && !["s", "ms", "us", "ns"].includes(field.unit ?? ""))) return new Int64();
  return arrowTypeOfNumpy(field.typestr);
}

function fieldMetadata(field: DtypeField): Map<string, string> {
  const meta = new Map<string, string>([["numpy_typestr", field.typestr]]);
  if (field.title !== undefined) meta.set("description", field.title);
  if (field.shape.length > 1) meta.set("numpy_shape", `(${field.shape.join(", ")})`);
  return meta;
}

/** `scalar` wrapped in one FixedSizeList per dimension of `shape`, outermost first. */
function listTypeOf(scalar: DataType, shape: readonly number[]): DataType {
  let type = scalar;
  for (let k = shape.length - 1; k >= 0; k--) type = new FixedSizeList(shape[k]!, new Field("item", type, false));
  return type;
}

/** The Arrow schema for a dtype (padding fields named `''` are left out). */
export function dtypeToArrowSchema(dtype: Dtype): Schema {
  return new Schema(
    dtype.fields
      .filter((f) => f.name !== "")
      .map((f) => {
        return new Field(f.name, listTypeOf(scalarArrowType(f), f.shape), false, fieldMetadata(f));
      }),
  );
}

function scalarData(type: DataType, field: DtypeField, bytes: Uint8Array, length: number): Data {
  const buf = bytes.buffer as ArrayBuffer;
  const off = bytes.byteOffset;
  switch (field.kind) {
    case "b": {
      const bits = new Uint8Array(Math.ceil(length / 8));
      for (let i = 0; i < length; i++) if (bytes[i]) bits[i >> 3]! |= 1 << (i & 7);
      return makeData({ type: type as Bool, length, data: bits });
    }
    case "S":
    case "V":
      return makeData({ type: type as FixedSizeBinary, length, data: bytes });
    case "U": {
      const chars = field.elementBytes / 4;
      const codes = new Uint32Array(buf, off, length * chars);
      const encoder = new TextEncoder();
      const parts: Uint8Array[] = [];
      const offsets = new Int32Array(length + 1);
      let total = 0;
      for (let i = 0; i < length; i++) {
        let end = chars;
        while (end > 0 && codes[i * chars + end - 1] === 0) end--;
        const text = String.fromCodePoint(...codes.subarray(i * chars, i * chars + end));
        const encoded = encoder.encode(text);
        parts.push(encoded);
        total += encoded.length;
        offsets[i + 1] = total;
      }
      const data = new Uint8Array(total);
      let p = 0;
      for (const part of parts) {
        data.set(part, p);
        p += part.length;
      }
      return makeData({ type: type as Utf8, length, valueOffsets: offsets, data });
    }
    default: {
      if (type.typeId !== Type.Int && type.typeId !== Type.Timestamp && type.typeId !== Type.Float) {
        throw new RunsError("RUNS_UNSUPPORTED_TYPE", `strax → Arrow: unsupported field ${field.name}`);
      }
      // Little-endian already (gatherField swaps); the typed array of the one io type map.
      const Values = typedArrayConstructorOfNumpy(field.typestr);
      return makeData({ type: type as any, length, data: new Values(buf, off, length) as any });
    }
  }
}

/** Convert the rows of one chunk to an Arrow RecordBatch (copies each column once). */
export function chunkToRecordBatch(chunk: Chunk): RecordBatch {
  return rowsToRecordBatch(chunk.dtype, chunk.data, chunk.n);
}

/** Convert packed numpy rows to an Arrow RecordBatch. */
export function rowsToRecordBatch(dtype: Dtype, data: Uint8Array, n: number): RecordBatch {
  const schema = dtypeToArrowSchema(dtype);
  const children: Data[] = [];
  for (const arrowField of schema.fields) {
    const field = dtype.fields.find((f) => f.name === arrowField.name)!;
    const bytes = gatherField(data, n, dtype.itemsize, field);
    if (field.shape.length === 0) {
      children.push(scalarData(arrowField.type, field, bytes, n));
    } else {
      // Innermost values first, then one FixedSizeList level per dimension, outermost last.
      const levels: FixedSizeList[] = [];
      let type = arrowField.type;
      while (type.typeId === Type.FixedSizeList) {
        levels.push(type as FixedSizeList);
        type = (type as FixedSizeList).children[0]!.type;
      }
      let data: Data = scalarData(type, field, bytes, n * field.count);
      let length = n * field.count;
      for (let k = levels.length - 1; k >= 0; k--) {
        length /= levels[k]!.listSize;
        data = makeData({ type: levels[k]!, length, child: data });
      }
      children.push(data);
    }
  }
  const structData = makeData({ type: new Struct(schema.fields), length: n, children });
  return new RecordBatch(schema, structData);
}

/** Concatenate chunks' rows into one Arrow Table (one RecordBatch per non-empty chunk). */
export function chunksToTable(dtype: Dtype, chunks: Iterable<Chunk>): Table {
  const batches: RecordBatch[] = [];
  for (const chunk of chunks) if (chunk.n > 0) batches.push(chunkToRecordBatch(chunk));
  if (batches.length === 0) return new Table(rowsToRecordBatch(dtype, new Uint8Array(0), 0));
  return new Table(batches);
}

// ---------------------------------------------------------------------------------------------
// Arrow → numpy dtype and rows

function typestrFor(type: DataType, name: string): string {
  switch (type.typeId) {
    case Type.Bool:
      return "|b1";
    case Type.Int:
      // The one io type map: Arrow Int → typed array → numpy type string.
      return numpyTypestrOfTypedArray(new (typedArrayConstructorOfArrowType(type))(0));
    case Type.Float:
      // Float16 values live in a Uint16Array, so its numpy name is spelled here.
      return (type as Float32).precision === 0 ? "<f2" : numpyTypestrOfTypedArray(new (typedArrayConstructorOfArrowType(type))(0));
    case Type.FixedSizeBinary:
      return `|S${(type as FixedSizeBinary).byteWidth}`;
    case Type.Timestamp: {
      const unit = (type as TimestampNanosecond).unit;
      return `<M8[${["s", "ms", "us", "ns"][unit]}]`;
    }
    default:
      throw new RunsError(
        "RUNS_UNSUPPORTED_TYPE",
        `Arrow → strax: column ${JSON.stringify(name)} has type ${String(type)}, which has no fixed-size numpy equivalent (use ints, floats, bools, timestamps, fixed-size binary or fixed-size lists of those)`,
      );
  }
}

function parseShape(text: string | undefined): number[] | undefined {
  if (!text) return undefined;
  const dims = text
    .replace(/[()\s]/g, "")
    .split(",")
    .filter(Boolean)
    .map(Number);
  return dims.every((d) => Number.isInteger(d) && d >= 0) ? dims : undefined;
}

/**
 * The numpy dtype for an Arrow schema. Field metadata `numpy_typestr`, `numpy_shape` and
 * `description` (as written by {@link dtypeToArrowSchema}) are honoured, so a round trip is exact.
 * `time`/`endtime` timestamps become `<i8` as strax requires. Throws `RUNS_UNSUPPORTED_TYPE`.
 */
export function arrowSchemaToDtype(schema: Schema): Dtype {
  const specs: DtypeFieldSpec[] = schema.fields.map((f) => {
    const meta = f.metadata;
    const title = meta.get("description");
    let type = f.type as DataType;
    let shape: number[] | undefined;
    if (type.typeId === Type.FixedSizeList) {
      // Nested FixedSizeLists give the shape, one dimension per level.
      const nested: number[] = [];
      while (type.typeId === Type.FixedSizeList) {
        nested.push((type as FixedSizeList).listSize);
        type = (type as FixedSizeList).children[0]!.type;
      }
      shape = nested;
      if (nested.length === 1) {
        // One flat list: `numpy_shape` (tables written before nesting) may say how to fold it.
        const declared = parseShape(meta.get("numpy_shape"));
        if (declared && declared.length > 0 && declared.reduce((a, b) => a * b, 1) === nested[0]) shape = declared;
      }
    }
    let typestr = meta.get("numpy_typestr");
    const natural = type.typeId === Type.Utf8 ? undefined : typestrFor(type, f.name);
    if (typestr === undefined || (natural !== undefined && !compatible(typestr, natural))) {
      if (natural === undefined) {
        throw new RunsError(
          "RUNS_UNSUPPORTED_TYPE",
          `Arrow → strax: string column ${JSON.stringify(f.name)} needs field metadata numpy_typestr '<U<k>' (fixed width)`,
        );
      }
      typestr = natural;
    }
    if ((f.name === "time" || f.name === "endtime") && typestr.startsWith("<M8")) {
      if (typestr !== "<M8[ns]") {
        throw new RunsError(
          "RUNS_UNSUPPORTED_TYPE",
          `Arrow → strax: column ${f.name} is a ${typestr} timestamp; strax needs int64 nanoseconds (convert to ns first)`,
        );
      }
      typestr = "<i8";
    }
    return { name: f.name, typestr, ...(title !== undefined ? { title } : {}), ...(shape ? { shape } : {}) };
  });
  return makeDtype(specs);
}

function compatible(declared: string, natural: string): boolean {
  const d = declared.replace(/^[<>|=]/, "");
  const n = natural.replace(/^[<>|=]/, "");
  if (d === n) return true;
  // datetime/timedelta declared on an Int64 column, or Arrow Timestamp stored as i8.
  return (
    (n === "i8" && /^[Mm]8/.test(d)) ||
    (d === "i8" && /^M8/.test(n)) ||
    (d.startsWith("V") && n.startsWith("S") && d.slice(1) === n.slice(1))
  );
}

/** Little-endian bytes of one Arrow column chunk (scalar child values), `count` elements per row. */
function columnBytes(data: Data, field: DtypeField, rows: number): Uint8Array {
  const total = rows * field.count;
  switch (field.kind) {
    case "b": {
      const bits = data.values as Uint8Array;
      const out = new Uint8Array(total);
      for (let i = 0; i < total; i++) {
        const j = i + data.offset;
        out[i] = (bits[j >> 3]! >> (j & 7)) & 1;
      }
      return out;
    }
    case "U": {
      const chars = field.elementBytes / 4;
      const out = new Uint32Array(total * chars);
      const decoder = new TextDecoder();
      const offsets = data.valueOffsets as Int32Array;
      const values = data.values as Uint8Array;
      for (let i = 0; i < total; i++) {
        const text = decoder.decode(values.subarray(offsets[i]!, offsets[i + 1]!));
        let c = 0;
        for (const ch of text) {
          if (c >= chars) break;
          out[i * chars + c++] = ch.codePointAt(0)!;
        }
      }
      return new Uint8Array(out.buffer);
    }
    default: {
      const values = data.values as ArrayBufferView;
      const bytes = new Uint8Array(values.buffer, values.byteOffset, Math.min(values.byteLength, total * field.elementBytes));
      if (bytes.byteLength !== total * field.elementBytes) {
        throw new RunsError(
          "RUNS_UNSUPPORTED_TYPE",
          `Arrow → strax: column ${field.name} has ${bytes.byteLength} bytes, expected ${total * field.elementBytes}`,
        );
      }
      return bytes;
    }
  }
}

/** What {@link recordBatchToRows} does with null values. */
export interface RowsFromArrowOptions {
  /**
   * `"error"` (default): a null anywhere in a column is `RUNS_NULL_VALUE` naming the column and the
   * first row with one (numpy rows have no nulls, and the bytes under an Arrow null are undefined).
   * `"zero"`: store every null value — a scalar, a list element or a whole list — as zero bytes
   * (0, 0.0, false, empty string/bytes).
   */
  readonly nulls?: "error" | "zero";
  /** Added to row numbers in error messages (rows before this batch). */
  readonly firstRow?: number;
}

/**
 * The innermost values of a column (FixedSizeList levels unwrapped), and the null ranges found on the
 * way as `[first element, element count]` in row-major element numbering (`count` elements per row).
 */
function leafValues(column: Data, n: number, field: DtypeField): { values: Data; nulls: [number, number][] } {
  const nulls: [number, number][] = [];
  let data = column;
  let items = n;
  let span = field.count;
  for (;;) {
    if (data.nullCount > 0) for (let i = 0; i < items; i++) if (!data.getValid(i)) nulls.push([i * span, span]);
    if (data.type.typeId !== Type.FixedSizeList) break;
    const size = (data.type as FixedSizeList).listSize;
    const child = data.children[0]!;
    data = data.offset === 0 && child.length === items * size ? child : child.slice(data.offset * size, items * size);
    items *= size;
    span /= size;
  }
  return { values: data, nulls };
}

/**
 * Pack an Arrow RecordBatch into numpy rows of `dtype` (as produced by
 * {@link arrowSchemaToDtype}). Nulls are refused (`RUNS_NULL_VALUE`) unless `nulls: "zero"`.
 * Returns `n × itemsize` bytes.
 */
export function recordBatchToRows(batch: RecordBatch, dtype: Dtype, options: RowsFromArrowOptions = {}): Uint8Array {
  const n = batch.numRows;
  const size = dtype.itemsize;
  const rows = new Uint8Array(n * size);
  const policy = options.nulls ?? "error";
  if (policy !== "error" && policy !== "zero") {
    throw new RunsError("RUNS_UNSUPPORTED_TYPE", `Arrow → strax: nulls must be "error" or "zero", got ${JSON.stringify(policy)}`);
  }
  for (const field of dtype.fields) {
    if (field.name === "") continue;
    const vector = batch.getChild(field.name);
    if (!vector) throw new RunsError("RUNS_UNSUPPORTED_TYPE", `Arrow → strax: column ${JSON.stringify(field.name)} is missing`);
    const { values: data, nulls } = leafValues(vector.data[0]!, n, field);
    if (nulls.length > 0 && policy === "error") {
      const row = Math.min(...nulls.map(([e]) => Math.floor(e / field.count))) + (options.firstRow ?? 0);
      const count = new Set(nulls.map(([e]) => Math.floor(e / field.count))).size;
      throw new RunsError(
        "RUNS_NULL_VALUE",
        `Arrow → strax: column ${JSON.stringify(field.name)} has null values in ${count} row(s) of this batch, the first at row ${row}; numpy rows cannot hold nulls (fill them first, or store them as zero: nulls "zero", CLI --nulls zero)`,
        { field: field.name, row },
      );
    }
    const bytes = columnBytes(data, field, n);
    const fsize = field.byteSize;
    const off = field.byteOffset;
    if (!field.littleEndian && field.elementBytes > 1 && field.kind !== "S" && field.kind !== "V") {
      const swapped = bytes.slice();
      swapBytes(swapped, field.kind === "U" ? 4 : field.elementBytes);
      scatter(swapped, rows, n, size, off, fsize);
    } else scatter(bytes, rows, n, size, off, fsize);
    // nulls "zero": whatever sits under a null becomes zero bytes.
    const elem = field.byteSize / field.count;
    for (const [first, span] of nulls) {
      const at = Math.floor(first / field.count) * size + off + (first % field.count) * elem;
      rows.fill(0, at, at + span * elem);
    }
  }
  return rows;
}

function scatter(src: Uint8Array, rows: Uint8Array, n: number, itemsize: number, off: number, fsize: number): void {
  if (fsize >= 32) {
    for (let r = 0; r < n; r++) rows.set(src.subarray(r * fsize, (r + 1) * fsize), r * itemsize + off);
    return;
  }
  for (let r = 0, dst = off, s = 0; r < n; r++, dst += itemsize - fsize) {
    for (let b = 0; b < fsize; b++) rows[dst++] = src[s++]!;
  }
}

/** A typed column of a chunk (see {@link readChunkColumn}): one of @daqkit/io's numeric typed arrays. */
export type ColumnArray = NumericTypedArray;

/**
 * One field of a chunk as a typed array (copied, little-endian, aligned): `n × count` elements for a
 * sub-array field (row-major). Bool → Uint8Array (0/1); `<f2` → Uint16Array of raw half floats;
 * `M8`/`m8` → BigInt64Array; `S`/`V` → Uint8Array of `n × size` bytes; `U` → Uint32Array of code
 * points. Throws `RUNS_UNSUPPORTED_TYPE` for an unknown field or a nested structure.
 */
export function readChunkColumn(chunk: Chunk, name: string): ColumnArray {
  const field = chunk.dtype.fields.find((f) => f.name === name);
  if (!field || field.kind === "struct") {
    throw new RunsError("RUNS_UNSUPPORTED_TYPE", `strax: ${chunk.dataType} has no scalar or sub-array field ${JSON.stringify(name)}`, {
      dataType: chunk.dataType,
    });
  }
  const bytes = gatherField(chunk.data, chunk.n, chunk.dtype.itemsize, field);
  if (field.kind === "S" || field.kind === "V" || field.kind === "b") return bytes;
  if (field.kind === "U") return new Uint32Array(bytes.buffer as ArrayBuffer);
  const Values = typedArrayConstructorOfNumpy(field.typestr);
  return new Values(bytes.buffer as ArrayBuffer);
}
