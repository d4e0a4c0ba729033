import {
  Bool,
  type Data,
  Field,
  FixedSizeList,
  type Int32,
  List,
  RecordBatch,
  Schema,
  Struct as ArrowStruct,
  Table as ArrowTable,
  Type,
  Utf8,
  makeData,
  makeVector,
  vectorFromArray,
} from "apache-arrow";
import { arrowTypeOfTypedArray } from "@daqkit/io/arrow";
import { createArray, createArrayOfEqualSizedArrays, createTable, createVectorOfVectors } from "./builders.js";
import { parseDatatype } from "./datatype.js";
import { Lh5Error } from "./errors.js";
import type { ElementData, Lgdo, LgdoArray, NumericArray, Table, VectorOfVectors } from "./types.js";
import { lgdoRows } from "./types.js";

/** Options of {@link lgdoToArrow}. */
export interface LgdoToArrowOptions {
  /**
   * Flatten nested tables into top-level columns named `parent_child` (pygama's DataFrame naming,
   * e.g. `waveform_values`). Default false: nested tables become Arrow Struct columns.
   */
  readonly flatten?: boolean;
}

/** Field metadata keys carrying LGDO information through Arrow (and Parquet). */
export const ARROW_METADATA_DATATYPE = "lh5.datatype";
export const ARROW_METADATA_UNITS = "units";

/** Arrow Data for flat element values. */
function elementsToData(values: ElementData, bool: boolean): Data {
  if (Array.isArray(values)) return vectorFromArray(values, new Utf8()).data[0] as Data;
  if (bool) {
    const bits = new Uint8Array(Math.ceil(values.length / 8));
    for (let i = 0; i < values.length; i++) if (values[i]) bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
    return makeData({ type: new Bool(), length: values.length, nullCount: 0, data: bits });
  }
  return makeData({ type: arrowTypeOfTypedArray(values) as Int32, length: values.length, nullCount: 0, data: values as Int32Array });
}

function metadataFor(obj: Lgdo): Map<string, string> {
  const m = new Map<string, string>([[ARROW_METADATA_DATATYPE, obj.datatype]]);
  let units = obj.attrs.units;
  if (units === undefined && obj.type === "VectorOfVectors") units = obj.flattened.attrs.units;
  if (typeof units === "string") m.set(ARROW_METADATA_UNITS, units);
  return m;
}

function toInt32Offsets(cl: Float64Array, where: string): Int32Array {
  const off = new Int32Array(cl.length + 1);
  for (let i = 0; i < cl.length; i++) {
    const v = cl[i] as number;
    if (v > 2147483647) throw new Lh5Error("LH5_UNSUPPORTED", `lh5: ${where}: VoV offsets above 2^31 do not fit an Arrow List`);
    off[i + 1] = v;
  }
  return off;
}

/** Arrow Data (one row per LGDO row) for a row-bearing LGDO. */
function lgdoToData(obj: Lgdo, name: string, options: LgdoToArrowOptions): { data: Data; fields?: Field[] } {
  switch (obj.type) {
    case "Array":
    case "FixedSizeArray":
    case "ArrayOfEqualSizedArrays": {
      const elements = elementsToData(obj.data, obj.element.kind === "bool");
      if (obj.shape.length <= 1) return { data: elements };
      const width = obj.shape.slice(1).reduce((a, b) => a * b, 1);
      const type = new FixedSizeList(width, new Field("item", elements.type, false));
      return { data: makeData({ type, length: obj.shape[0] ?? 0, nullCount: 0, child: elements }) };
    }
    case "VectorOfVectors": {
      const child = lgdoToData(obj.flattened, name, options).data;
      const type = new List(new Field("item", child.type, false));
      return {
        data: makeData({
          type,
          length: obj.cumulativeLength.length,
          nullCount: 0,
          valueOffsets: toInt32Offsets(obj.cumulativeLength, name),
          child,
        }),
      };
    }
    case "ArrayOfEncodedEqualSizedArrays":
    case "VectorOfEncodedVectors":
      // Still-encoded waveforms: the byte stream of each row as List<Uint8>.
      return lgdoToData(obj.encodedData, name, options);
    case "Table":
    case "WaveformTable": {
      const fields: Field[] = [];
      const children: Data[] = [];
      for (const [col, value] of obj.columns) {
        const d = lgdoToData(value, `${name}/${col}`, options).data;
        fields.push(new Field(col, d.type, false, metadataFor(value)));
        children.push(d);
      }
      return { data: makeData({ type: new ArrowStruct(fields), length: obj.nRows, nullCount: 0, children }), fields };
    }
    default:
      throw new Lh5Error("LH5_UNSUPPORTED", `lh5: column '${name}' is a ${obj.type}, which has no rows and cannot become an Arrow column`);
  }
}

function flattenColumns(table: Table, prefix: string, out: [string, Lgdo][]): void {
  for (const [name, col] of table.columns) {
    const full = prefix ? `${prefix}_${name}` : name;
    if (col.type === "Table" || col.type === "WaveformTable") flattenColumns(col, full, out);
    else out.push([full, col]);
  }
}

/**
 * Convert an LGDO Table to an Arrow Table, zero-copy for numeric columns: numbers keep their typed
 * array type (int64 → Int64), bools → Bool, strings → Utf8, VoV → List (nested VoV → List<List>),
 * AoESA and N-D arrays → FixedSizeList(width), nested tables → Struct (or `parent_child` columns with
 * `flatten`), still-encoded waveforms → List<Uint8>. Each field carries `lh5.datatype` and `units`
 * metadata so {@link arrowToLgdo} can restore the LGDO types.
 *
 * @throws Lh5Error `LH5_UNSUPPORTED` for Scalar/Struct/Histogram columns or VoV offsets ≥ 2^31.
 */
export function lgdoToArrow(table: Table, options: LgdoToArrowOptions = {}): ArrowTable {
  const source: Table = options.flatten
    ? (() => {
        const cols: [string, Lgdo][] = [];
        flattenColumns(table, "", cols);
        return { ...table, columns: new Map(cols), datatype: `table{${cols.map((c) => c[0]).join(",")}}` };
      })()
    : table;
  const { data, fields } = lgdoToData(source, "", options);
  const schema = new Schema(fields ?? [], new Map([[ARROW_METADATA_DATATYPE, table.datatype]]));
  return new ArrowTable(schema, new RecordBatch(schema, data as Data<ArrowStruct>));
}

// ---------------------------------------------------------------------------------------------
// Arrow → LGDO

function numericSlice(data: Data, start: number, end: number): NumericArray {
  // arrow-js slices the data buffer of fixed-width types (values[0] is row 0 of this Data).
  const values = data.values as NumericArray;
  return values.slice(start, end) as NumericArray;
}

function elementsFromData(data: Data, start: number, end: number, where: string): { values: ElementData; bool: boolean } {
  switch (data.typeId) {
    case Type.Int:
    case Type.Float:
      if ((data.type as { precision?: number }).precision === 0) break; // float16
      return { values: numericSlice(data, start, end), bool: false };
    case Type.Bool: {
      const bits = data.values as Uint8Array;
      const out = new Uint8Array(end - start);
      for (let i = start; i < end; i++) {
        const b = data.offset + i;
        out[i - start] = ((bits[b >> 3] as number) >> (b & 7)) & 1;
      }
      return { values: out, bool: true };
    }
    case Type.Dictionary: {
      // Dictionary-encoded columns (tableFromArrays makes them for strings): decode to plain values.
      const v = makeVector(data);
      const sample = end > start ? v.get(start) : "";
      if (typeof sample === "string" || sample === null) {
        const out: string[] = new Array(end - start);
        for (let i = start; i < end; i++) out[i - start] = String(v.get(i) ?? "");
        return { values: out, bool: false };
      }
      const out = new Float64Array(end - start);
      for (let i = start; i < end; i++) out[i - start] = Number(v.get(i));
      return { values: out, bool: false };
    }
    case Type.Utf8:
    case Type.LargeUtf8: {
      const v = makeVector(data);
      const out: string[] = new Array(end - start);
      for (let i = start; i < end; i++) out[i - start] = String(v.get(i) ?? "");
      return { values: out, bool: false };
    }
  }
  throw new Lh5Error("LH5_UNSUPPORTED", `lh5: Arrow column ${where} of type ${String(data.type)} has no LGDO equivalent`);
}

function fieldDatatype(field: Field | undefined): string | undefined {
  return field?.metadata.get(ARROW_METADATA_DATATYPE);
}

function attrsFrom(field: Field | undefined): { units?: string } {
  const u = field?.metadata.get(ARROW_METADATA_UNITS);
  return u === undefined ? {} : { units: u };
}

/** Convert rows [start, end) of one Arrow Data to an LGDO. */
function dataToLgdo(data: Data, field: Field | undefined, start: number, end: number, where: string): Lgdo {
  const n = end - start;
  switch (data.typeId) {
    case Type.List: {
      // arrow-js slices valueOffsets (not the child): vo[i] indexes the child's rows directly.
      const vo = data.valueOffsets as Int32Array;
      const first = vo[start] as number;
      const last = vo[end] as number;
      const cl = new Float64Array(n);
      for (let i = 0; i < n; i++) cl[i] = (vo[start + i + 1] as number) - first;
      const child = data.children[0] as Data;
      const childField = (data.type as List).children[0];
      const flat = dataToLgdo(child, childField, first, last, `${where}[]`);
      if (flat.type !== "Array" && flat.type !== "VectorOfVectors") {
        throw new Lh5Error("LH5_UNSUPPORTED", `lh5: Arrow column ${where}: list items must be numbers, bools, strings or lists`);
      }
      return createVectorOfVectors(cl, flat, attrsFrom(field));
    }
    case Type.FixedSizeList: {
      const width = (data.type as FixedSizeList).listSize;
      const child = data.children[0] as Data;
      const inner = dataToLgdo(child, undefined, start * width, end * width, `${where}[]`);
      if (inner.type !== "Array")
        throw new Lh5Error("LH5_UNSUPPORTED", `lh5: Arrow column ${where}: fixed-size lists of lists are not supported`);
      const dt = fieldDatatype(field);
      const parsed = dt ? parseDatatype(dt) : undefined;
      if (parsed && (parsed.type === "Array" || parsed.type === "FixedSizeArray")) {
        return { ...inner, type: parsed.type, datatype: dt as string, shape: [n, width], attrs: attrsFrom(field) };
      }
      return createArrayOfEqualSizedArrays(inner.data, width, { ...attrsFrom(field), bool: inner.element.kind === "bool" });
    }
    case Type.Struct: {
      const fields = (data.type as ArrowStruct).children;
      const cols = new Map<string, Lgdo>();
      fields.forEach((f, i) => {
        cols.set(f.name, dataToLgdo(data.children[i] as Data, f, start, end, `${where}/${f.name}`));
      });
      return createTable(cols, attrsFrom(field));
    }
    default: {
      const { values, bool } = elementsFromData(data, start, end, where);
      const arr: LgdoArray = createArray(values, { ...attrsFrom(field), bool });
      const dt = fieldDatatype(field);
      if (dt && /^fixedsize_array<1>/.test(dt)) return { ...arr, type: "FixedSizeArray", datatype: dt };
      return arr;
    }
  }
}

/**
 * Convert an Arrow Table back to an LGDO Table (copying values): Int and Float → Array, Bool → bool
 * Array (Uint8Array 0/1), Utf8 → string Array, List → VoV, FixedSizeList → AoESA (or a 2-D Array when
 * the field's `lh5.datatype` metadata says so), Struct → nested Table. `units` metadata becomes the
 * `units` attribute. Null values are not represented in LGDO: the stored (placeholder) values are kept.
 * Several record batches are concatenated.
 *
 * @throws Lh5Error `LH5_UNSUPPORTED` for Arrow types without an LGDO equivalent (dates, decimals, maps…).
 */
export function arrowToLgdo(table: ArrowTable): Table {
  const parts: Table[] = table.batches.map((batch) => {
    const cols = new Map<string, Lgdo>();
    batch.schema.fields.forEach((f, i) => {
      const child = batch.data.children[i] as Data;
      cols.set(f.name, dataToLgdo(child, f, 0, batch.numRows, f.name));
    });
    return createTable(cols);
  });
  if (parts.length === 0) {
    const cols = new Map<string, Lgdo>();
    for (const f of table.schema.fields) cols.set(f.name, createArray(new Float64Array(0)));
    return createTable(cols);
  }
  return parts.length === 1 ? (parts[0] as Table) : (concatLgdo(parts) as Table);
}

function concatElements(list: ElementData[]): ElementData {
  const first = list[0] as ElementData;
  if (Array.isArray(first)) return (list as string[][]).flat();
  const total = list.reduce((s, a) => s + a.length, 0);
  const ctor = (first as NumericArray).constructor as new (n: number) => NumericArray;
  const out = new ctor(total);
  let o = 0;
  for (const a of list) {
    if (!(a instanceof ctor)) throw new Lh5Error("LH5_BAD_LGDO", "lh5: cannot concatenate arrays of different element types");
    (out as unknown as { set(x: ArrayLike<number | bigint>, o: number): void }).set(a as ArrayLike<number | bigint>, o);
    o += a.length;
  }
  return out;
}

/**
 * Concatenate row-bearing LGDOs of the same type and layout along rows (Arrays, AoESA, VoVs, Tables
 * with the same columns). The first object's datatype and attributes are kept.
 * @throws Lh5Error `LH5_BAD_LGDO` for mismatched types/columns, `LH5_UNSUPPORTED` for Scalar/Struct.
 */
export function concatLgdo(list: readonly Lgdo[]): Lgdo {
  const first = list[0];
  if (!first) throw new Lh5Error("LH5_BAD_LGDO", "lh5: concatLgdo needs at least one object");
  if (list.length === 1) return first;
  for (const o of list) {
    if (o.type !== first.type) throw new Lh5Error("LH5_BAD_LGDO", `lh5: cannot concatenate a ${o.type} to a ${first.type}`);
  }
  switch (first.type) {
    case "Array":
    case "FixedSizeArray":
    case "ArrayOfEqualSizedArrays": {
      const arrays = list as (typeof first)[];
      const rows = arrays.reduce((s, a) => s + (a.shape[0] ?? 0), 0);
      return { ...first, data: concatElements(arrays.map((a) => a.data)), shape: [rows, ...first.shape.slice(1)] };
    }
    case "VectorOfVectors": {
      const vovs = list as VectorOfVectors[];
      const total = vovs.reduce((s, v) => s + v.cumulativeLength.length, 0);
      const cl = new Float64Array(total);
      let o = 0;
      let base = 0;
      const flats: Lgdo[] = [];
      for (const v of vovs) {
        for (let i = 0; i < v.cumulativeLength.length; i++) cl[o++] = base + (v.cumulativeLength[i] as number);
        const used = v.cumulativeLength.length ? (v.cumulativeLength[v.cumulativeLength.length - 1] as number) : 0;
        base += used;
        flats.push(headRows(v.flattened, used));
      }
      return { ...first, cumulativeLength: cl, flattened: concatLgdo(flats) as VectorOfVectors["flattened"] };
    }
    case "Table":
    case "WaveformTable": {
      const tables = list as Table[];
      const names = [...first.columns.keys()];
      const cols = new Map<string, Lgdo>();
      for (const name of names) {
        cols.set(
          name,
          concatLgdo(
            tables.map((t) => {
              const c = t.columns.get(name);
              if (!c) throw new Lh5Error("LH5_BAD_LGDO", `lh5: cannot concatenate tables: column '${name}' is missing in one of them`);
              return c;
            }),
          ),
        );
      }
      return { ...first, columns: cols, nRows: tables.reduce((s, t) => s + t.nRows, 0) };
    }
    default:
      throw new Lh5Error("LH5_UNSUPPORTED", `lh5: cannot concatenate ${first.type} objects (no rows)`);
  }
}

function headRows(obj: LgdoArray | VectorOfVectors, n: number): Lgdo {
  const rows = lgdoRows(obj) ?? 0;
  if (n >= rows) return obj;
  if (obj.type === "VectorOfVectors") {
    const cl = obj.cumulativeLength.subarray(0, n);
    return {
      ...obj,
      cumulativeLength: cl,
      flattened: headRows(obj.flattened, n ? (cl[n - 1] as number) : 0) as VectorOfVectors["flattened"],
    };
  }
  const width = obj.shape.slice(1).reduce((a, b) => a * b, 1);
  const data = Array.isArray(obj.data) ? obj.data.slice(0, n * width) : (obj.data as NumericArray).subarray(0, n * width);
  return { ...obj, data: data as ElementData, shape: [n, ...obj.shape.slice(1)] };
}
