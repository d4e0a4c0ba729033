import { Bool, type Data, type DataType, Field, FixedSizeList, Float64, List, makeData, Struct, Utf8 } from "apache-arrow";
import { arrowTypeOfTypedArray } from "@daqkit/io/arrow";
import type { NumericArray } from "@daqkit/lh5";
import { LoaderError } from "./errors.js";

/*
 * The parts of `@daqkit/lh5`'s in-memory objects the loader reads: structural subsets of its
 * `LgdoArray`, `ArrayOfEqualSizedArrays`, `VectorOfVectors` and `Table` (without `datatype`), so that
 * the loader's own synthesized pieces and test fakes fit too.
 */

export interface PieceArray {
  readonly type: "Array" | "FixedSizeArray" | "ArrayOfEqualSizedArrays";
  readonly element: { readonly kind: string };
  readonly data: NumericArray | string[];
  readonly shape: readonly number[];
  readonly attrs: Readonly<Record<string, unknown>>;
}
export interface PieceVov {
  readonly type: "VectorOfVectors";
  readonly cumulativeLength: ArrayLike<number>;
  readonly flattened: PieceArray | PieceVov;
  readonly attrs: Readonly<Record<string, unknown>>;
}
export interface PieceTable {
  readonly type: "Table" | "WaveformTable";
  readonly columns: ReadonlyMap<string, Piece>;
  readonly nRows: number;
  readonly attrs: Readonly<Record<string, unknown>>;
}
/** Any other LGDO (Scalar, Struct, encoded arrays…): not loadable as a column. */
export interface PieceOther {
  readonly type: string;
  readonly attrs: Readonly<Record<string, unknown>>;
}
export type Piece = PieceArray | PieceVov | PieceTable;

/** A gathered column: Arrow data plus the `units` (and other string attributes) of the first piece. */
export interface GatheredColumn {
  readonly data: Data;
  readonly metadata: Map<string, string>;
}

/**
 * Build one Arrow column of `srcPiece.length` rows where row `i` is row `srcRow[i]` of
 * `pieces[srcPiece[i]]`, or null when `srcPiece[i] < 0` (the table lacks the column: Arrow
 * validity, never uninitialised memory — pygama bug B4).
 *
 * Types: 1-D numeric arrays keep their element type when every piece agrees (else Float64); bools →
 * Bool; strings → Utf8; AoESA (and N-D arrays) → FixedSizeList (List when widths differ); VoV → List
 * (nested for VoV of VoV); tables (e.g. `waveform` = table{t0,dt,values}) → Struct.
 *
 * @throws LoaderError `LOADER_BAD_ARGUMENT` when pieces of one column have incompatible kinds
 * (e.g. a table in one file and an array in another) or a kind that cannot be loaded (encoded).
 */
export function gatherColumn(name: string, pieces: readonly Piece[], srcPiece: Int32Array, srcRow: Int32Array): GatheredColumn {
  const metadata = new Map<string, string>();
  for (const p of pieces) {
    for (const [k, v] of Object.entries(p.attrs)) if (typeof v === "string" && k !== "datatype" && !metadata.has(k)) metadata.set(k, v);
    break;
  }
  return { data: gather(name, pieces, srcPiece, srcRow), metadata };
}

type Kind = "primitive" | "fixed" | "list" | "table";

function kindOf(name: string, p: Piece | PieceOther): Kind {
  switch (p.type) {
    case "Array":
    case "FixedSizeArray":
      return (p as PieceArray).shape.length <= 1 ? "primitive" : "fixed";
    case "ArrayOfEqualSizedArrays":
      return "fixed";
    case "VectorOfVectors":
      return "list";
    case "Table":
    case "WaveformTable":
      return "table";
    default:
      throw new LoaderError("LOADER_BAD_ARGUMENT", `loader: column "${name}" is a ${p.type}, which cannot be loaded as a column`);
  }
}

function width(p: PieceArray): number {
  let w = 1;
  for (let k = 1; k < p.shape.length; k++) w *= p.shape[k] as number;
  return w;
}

/** Validity bitmap (LSB first, 1 = valid) and null count; undefined when nothing is null. */
function validity(srcPiece: Int32Array): { nullBitmap?: Uint8Array; nullCount: number } {
  let nulls = 0;
  for (let i = 0; i < srcPiece.length; i++) if ((srcPiece[i] as number) < 0) nulls++;
  if (nulls === 0) return { nullCount: 0 };
  const bitmap = new Uint8Array((srcPiece.length + 7) >> 3);
  for (let i = 0; i < srcPiece.length; i++) if ((srcPiece[i] as number) >= 0) bitmap[i >> 3] = (bitmap[i >> 3] as number) | (1 << (i & 7));
  return { nullBitmap: bitmap, nullCount: nulls };
}

function gather(name: string, pieces: readonly Piece[], srcPiece: Int32Array, srcRow: Int32Array): Data {
  const used = new Uint8Array(pieces.length);
  for (let i = 0; i < srcPiece.length; i++) {
    const p = srcPiece[i] as number;
    if (p >= 0) used[p] = 1;
  }
  const kinds = new Set<Kind>();
  pieces.forEach((p, k) => {
    if (used[k]) kinds.add(kindOf(name, p));
  });
  if (kinds.size === 0) {
    // No row has a value: an all-null Float64 column (the type cannot be known).
    const n = srcPiece.length;
    return makeData({ type: new Float64(), length: n, nullCount: n, nullBitmap: new Uint8Array((n + 7) >> 3), data: new Float64Array(n) });
  }
  if (kinds.size === 1 && kinds.has("table")) return gatherTable(name, pieces as PieceTable[], srcPiece, srcRow);
  if (kinds.size === 1 && kinds.has("primitive"))
    return gatherPrimitive(name, pieces as PieceArray[], srcPiece, srcRow, validity(srcPiece));
  if (kinds.has("primitive") || kinds.has("table")) {
    throw new LoaderError("LOADER_BAD_ARGUMENT", `loader: column "${name}" has incompatible kinds across tables: ${[...kinds].join(", ")}`);
  }
  if (kinds.size === 1 && kinds.has("fixed")) {
    let w = -1;
    let same = true;
    pieces.forEach((p, k) => {
      if (!used[k]) return;
      const pw = width(p as PieceArray);
      if (w < 0) w = pw;
      else if (pw !== w) same = false;
    });
    if (same) return gatherFixed(name, pieces as PieceArray[], srcPiece, srcRow, w);
  }
  return gatherList(name, pieces as (PieceArray | PieceVov)[], srcPiece, srcRow);
}

function gatherTable(name: string, pieces: readonly PieceTable[], srcPiece: Int32Array, srcRow: Int32Array): Data {
  const names: string[] = [];
  for (const p of pieces) for (const c of p.columns.keys()) if (!names.includes(c)) names.push(c);
  const children: Data[] = [];
  const fields: Field[] = [];
  for (const c of names) {
    const childPieces: Piece[] = [];
    const remap = new Int32Array(pieces.length).fill(-1);
    pieces.forEach((p, k) => {
      const col = p.columns.get(c);
      if (col) {
        remap[k] = childPieces.length;
        childPieces.push(col);
      }
    });
    const childSrc = new Int32Array(srcPiece.length);
    for (let i = 0; i < srcPiece.length; i++) {
      const p = srcPiece[i] as number;
      childSrc[i] = p < 0 ? -1 : (remap[p] as number);
    }
    const data = gather(`${name}/${c}`, childPieces, childSrc, srcRow);
    children.push(data);
    fields.push(new Field(c, data.type, true));
  }
  const v = validity(srcPiece);
  return makeData({ type: new Struct(fields), length: srcPiece.length, children, ...v });
}

/** Arrow type for a piece's element storage. */
function arrowTypeOf(p: PieceArray): DataType {
  if (p.element.kind === "string" || Array.isArray(p.data)) return new Utf8();
  if (p.element.kind === "bool") return new Bool();
  return arrowTypeOfTypedArray(p.data);
}

function unifyTypes(name: string, types: DataType[]): DataType {
  const first = types[0] as DataType;
  if (types.every((t) => t.typeId === first.typeId && String(t) === String(first))) return first;
  const isString = types.map((t) => t instanceof Utf8);
  if (isString.some((x) => x) && !isString.every((x) => x)) {
    throw new LoaderError("LOADER_BAD_ARGUMENT", `loader: column "${name}" is text in some tables and numbers in others`);
  }
  // Mixed numeric widths (float32/float64, int/float, bool/number): widen to float64.
  return new Float64();
}

function gatherPrimitive(
  name: string,
  pieces: readonly PieceArray[],
  srcPiece: Int32Array,
  srcRow: Int32Array,
  v: { nullBitmap?: Uint8Array; nullCount: number },
): Data {
  const n = srcPiece.length;
  const usedTypes: DataType[] = [];
  const used = new Uint8Array(pieces.length);
  for (let i = 0; i < n; i++) {
    const p = srcPiece[i] as number;
    if (p >= 0 && !used[p]) {
      used[p] = 1;
      usedTypes.push(arrowTypeOf(pieces[p] as PieceArray));
    }
  }
  const type = usedTypes.length === 0 ? new Float64() : unifyTypes(name, usedTypes);
  if (type instanceof Utf8) {
    const encoder = new TextEncoder();
    const parts: Uint8Array[] = new Array(n);
    const offsets = new Int32Array(n + 1);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const p = srcPiece[i] as number;
      const bytes = p < 0 ? new Uint8Array(0) : encoder.encode(String(((pieces[p] as PieceArray).data as string[])[srcRow[i] as number]));
      parts[i] = bytes;
      total += bytes.length;
      offsets[i + 1] = total;
    }
    const data = new Uint8Array(total);
    for (let i = 0; i < n; i++) data.set(parts[i] as Uint8Array, offsets[i] as number);
    return makeData({ type, length: n, valueOffsets: offsets, data, ...v });
  }
  if (type instanceof Bool) {
    const bits = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) {
      const p = srcPiece[i] as number;
      if (p >= 0 && ((pieces[p] as PieceArray).data as Uint8Array)[srcRow[i] as number])
        bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
    }
    return makeData({ type, length: n, data: bits, ...v });
  }
  const Ctor = (type as unknown as { ArrayType: new (n: number) => NumericArray }).ArrayType;
  const out = new Ctor(n);
  const datas = pieces.map((p) => p.data as NumericArray);
  if (out instanceof Float64Array && datas.some((d) => d instanceof BigInt64Array || d instanceof BigUint64Array)) {
    for (let i = 0; i < n; i++) {
      const p = srcPiece[i] as number;
      out[i] = p < 0 ? Number.NaN : Number((datas[p] as NumericArray)[srcRow[i] as number]);
    }
  } else if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) {
      const p = srcPiece[i] as number;
      if (p >= 0) out[i] = (datas[p] as BigInt64Array)[srcRow[i] as number] as bigint;
    }
  } else {
    const o = out as Float64Array;
    const isFloat = (out as unknown) instanceof Float64Array || (out as unknown) instanceof Float32Array;
    // Null slots of float columns also hold NaN, so code that ignores the validity bitmap still sees "missing".
    const fill = isFloat ? Number.NaN : 0;
    // Rows come in long runs from one piece (one table of one cycle): copy run by run.
    let i = 0;
    while (i < n) {
      const p = srcPiece[i] as number;
      let j = i + 1;
      while (j < n && srcPiece[j] === p) j++;
      if (p < 0) o.fill(fill, i, j);
      else if (j - i >= 16) copyRun(o, datas[p] as Float64Array, srcRow, i, j);
      else {
        // Short runs (TCM order interleaves tables): plain element copies.
        const d = datas[p] as Float64Array;
        for (let k = i; k < j; k++) o[k] = d[srcRow[k] as number] as number;
      }
      i = j;
    }
  }
  return makeData({ type: type as Float64, length: n, data: out as Float64Array, ...v });
}

/** `out[i] = src[rows[i]]` for i in [from, to); a contiguous row run becomes one `set()`. */
function copyRun(out: Float64Array, src: Float64Array, rows: Int32Array, from: number, to: number): void {
  const r0 = rows[from] as number;
  let contiguous = true;
  for (let i = from + 1; i < to && contiguous; i++) contiguous = rows[i] === r0 + (i - from);
  if (contiguous && (src as unknown as { constructor: unknown }).constructor === (out as unknown as { constructor: unknown }).constructor) {
    out.set(src.subarray(r0, r0 + (to - from)), from);
    return;
  }
  for (let i = from; i < to; i++) out[i] = src[rows[i] as number] as number;
}

/** A flat 1-D view of an N-D array piece (the leaf values of a fixed-width column). */
function flatPiece(p: PieceArray): PieceArray {
  return { type: "Array", element: p.element, data: p.data, shape: [p.data.length], attrs: p.attrs };
}

function gatherFixed(name: string, pieces: readonly PieceArray[], srcPiece: Int32Array, srcRow: Int32Array, w: number): Data {
  const n = srcPiece.length;
  const leaves = pieces.map(flatPiece);
  const sameNumeric =
    pieces.length > 0 &&
    pieces.every(
      (p) => !Array.isArray(p.data) && p.element.kind !== "bool" && p.data.constructor === (pieces[0] as PieceArray).data.constructor,
    );
  let child: Data;
  if (sameNumeric) {
    // Fast path (waveforms): block copies of `w` values per row.
    const Ctor = (pieces[0] as PieceArray).data.constructor as new (n: number) => NumericArray;
    const out = new Ctor(n * w);
    const isFloat = out instanceof Float32Array || out instanceof Float64Array;
    for (let i = 0; i < n; i++) {
      const p = srcPiece[i] as number;
      if (p < 0) {
        if (isFloat) (out as Float64Array).fill(Number.NaN, i * w, i * w + w);
        continue;
      }
      const d = (pieces[p] as PieceArray).data as Float64Array;
      const r = srcRow[i] as number;
      (out as Float64Array).set(d.subarray(r * w, r * w + w), i * w);
    }
    child = makeData({
      type: arrowTypeOf({ ...(pieces[0] as PieceArray), data: out }) as Float64,
      length: n * w,
      data: out as Float64Array,
      nullCount: 0,
    });
  } else {
    const childPiece = new Int32Array(n * w).fill(-1);
    const childRow = new Int32Array(n * w);
    for (let i = 0; i < n; i++) {
      const p = srcPiece[i] as number;
      if (p < 0) continue;
      const r = srcRow[i] as number;
      for (let k = 0; k < w; k++) {
        childPiece[i * w + k] = p;
        childRow[i * w + k] = r * w + k;
      }
    }
    child = gatherPrimitive(`${name}[]`, leaves, childPiece, childRow, { nullCount: 0 });
  }
  return makeData({ type: new FixedSizeList(w, new Field("item", child.type, true)), length: n, child, ...validity(srcPiece) });
}

function gatherList(name: string, pieces: readonly (PieceArray | PieceVov)[], srcPiece: Int32Array, srcRow: Int32Array): Data {
  const n = srcPiece.length;
  const offsets = new Int32Array(n + 1);
  const bounds = (p: PieceArray | PieceVov, r: number): [number, number] => {
    if (p.type === "VectorOfVectors") {
      const end = p.cumulativeLength[r] as number;
      return [r === 0 ? 0 : (p.cumulativeLength[r - 1] as number), end];
    }
    const w = width(p);
    return [r * w, r * w + w];
  };
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = srcPiece[i] as number;
    if (p >= 0) {
      const [a, b] = bounds(pieces[p] as PieceArray | PieceVov, srcRow[i] as number);
      total += b - a;
    }
    offsets[i + 1] = total;
  }
  const childPieces: Piece[] = pieces.map((p) => (p.type === "VectorOfVectors" ? p.flattened : flatPiece(p)));
  const childPiece = new Int32Array(total);
  const childRow = new Int32Array(total);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const p = srcPiece[i] as number;
    if (p < 0) continue;
    const [a, b] = bounds(pieces[p] as PieceArray | PieceVov, srcRow[i] as number);
    for (let e = a; e < b; e++) {
      childPiece[k] = p;
      childRow[k++] = e;
    }
  }
  const child = gather(`${name}[]`, childPieces, childPiece, childRow);
  return makeData({ type: new List(new Field("item", child.type, true)), length: n, valueOffsets: offsets, child, ...validity(srcPiece) });
}
