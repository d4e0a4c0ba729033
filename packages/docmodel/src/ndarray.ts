import { IoError, type NumericTypedArray, numpyTypestrOfTypedArray } from "@daqkit/io";
import { DocModelError } from "./errors.js";
import { PyBytes, PyComplex } from "./python-values.js";

/** Typed arrays docmodel uses for N-d array data: @daqkit/io's numeric typed arrays. */
export type NumericArray = NumericTypedArray;

/**
 * Element storage of an {@link NdArray}:
 * - numeric dtypes: the matching typed array (`<i8`/`<u8` → BigInt64Array/BigUint64Array, `M8[…]`/`m8[…]` →
 *   BigInt64Array of counts, `<f2` → Float32Array of the half values (decoded from msgpack; a Uint16Array of raw half bits is still accepted and written as is), `c8`/`c16` → Float32Array/Float64Array
 *   with interleaved real/imaginary parts, `|b1` → Uint8Array of 0/1);
 * - `<U<n>` and `|S<n>` dtypes: `string[]` (trailing NULs stripped; `S` decoded as latin-1).
 */
export type NdData = NumericArray | string[];

/**
 * An N-dimensional array as numpy (and msgpack-numpy) knows it: a dtype string (numpy's `<f8`, `<u2`, `|b1`,
 * `<U9`…, always little-endian or `|` once decoded), a shape and row-major (C order) element data.
 * `scalar` marks a numpy *scalar* (msgpack-numpy `nd: false`, e.g. `numpy.int64(7)`), whose shape is `[]`.
 */
export class NdArray {
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly data: NdData;
  readonly scalar: boolean;

  constructor(dtype: string, shape: readonly number[], data: NdData, scalar = false) {
    this.dtype = dtype;
    this.shape = shape;
    this.data = data;
    this.scalar = scalar;
    const n = shape.reduce((a, b) => a * b, 1);
    const perElement = dtype.charAt(1) === "c" ? 2 : 1;
    if (data.length !== n * perElement) {
      throw new DocModelError(
        "DOCS_SHAPE_MISMATCH",
        `docmodel: ndarray of shape [${shape.join(", ")}] (${dtype}) needs ${n * perElement} elements, got ${data.length}`,
      );
    }
  }

  /** Number of elements (product of the shape; 1 for a 0-d array). */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** Row count (first-axis size); 1 for a 0-d array. */
  get length(): number {
    return this.shape.length === 0 ? 1 : (this.shape[0] as number);
  }

  /** Row `i` along the first axis (a view for typed-array data). */
  row(i: number): NdArray {
    if (this.shape.length === 0) throw new RangeError("docmodel: a 0-d ndarray has no rows");
    const rowShape = this.shape.slice(1);
    const rowSize = rowShape.reduce((a, b) => a * b, 1) * (this.dtype.charAt(1) === "c" ? 2 : 1);
    const d = this.data;
    const part = Array.isArray(d) ? d.slice(i * rowSize, (i + 1) * rowSize) : d.subarray(i * rowSize, (i + 1) * rowSize);
    return new NdArray(this.dtype, rowShape, part);
  }

  /** Element values as a nested JS array (bigint for 64-bit ints); a 0-d array gives its one value. */
  toNested(): unknown {
    return ndToNested(this);
  }

  /** numpy-style JSON-friendly value: like {@link toNested} but 64-bit ints as numbers when safe. */
  toJSON(): unknown {
    return toPlainValue(this.toNested());
  }
}

/** numpy dtype string of a typed array (`Float64Array` → `<f8`, `Uint8Array` → `|u1`, …; @daqkit/io's type map). */
export function dtypeOfTypedArray(a: ArrayBufferView): string {
  try {
    return numpyTypestrOfTypedArray(a);
  } catch (e) {
    if (!IoError.isInstance(e)) throw e;
    throw new DocModelError("DOCS_UNSUPPORTED_DTYPE", `docmodel: unsupported typed array ${a.constructor.name}`, { cause: e });
  }
}

/** True for typed arrays (not DataView). */
export function isTypedArray(v: unknown): v is NumericArray {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/**
 * Make an {@link NdArray} from a typed array and an optional shape (default: 1-D).
 * @throws DocModelError `DOCS_SHAPE_MISMATCH` when the shape does not match the length.
 */
export function ndarray(data: NumericArray | string[], shape?: readonly number[], dtype?: string): NdArray {
  if (Array.isArray(data)) {
    const width = Math.max(1, ...data.map((s) => s.length));
    return new NdArray(dtype ?? `<U${width}`, shape ?? [data.length], data);
  }
  return new NdArray(dtype ?? dtypeOfTypedArray(data), shape ?? [data.length], data);
}

function ndToNested(a: NdArray): unknown {
  const { shape, data } = a;
  const complex = a.dtype.charAt(1) === "c";
  const bool = a.dtype.endsWith("b1");
  const get = (i: number): unknown => {
    if (complex) return [(data as Float64Array)[2 * i], (data as Float64Array)[2 * i + 1]];
    const v = (data as ArrayLike<unknown>)[i];
    return bool ? v !== 0 : v;
  };
  if (shape.length === 0) return get(0);
  let index = 0;
  const build = (dim: number): unknown[] => {
    const n = shape[dim] as number;
    const out = new Array<unknown>(n);
    if (dim === shape.length - 1) for (let i = 0; i < n; i++) out[i] = get(index++);
    else for (let i = 0; i < n; i++) out[i] = build(dim + 1);
    return out;
  };
  return build(0);
}

/**
 * Convert documents/values to plain JSON-able data (upstream `sanitize_doc`): NdArray and typed arrays become
 * nested arrays, bigint becomes a number when safe (else a decimal string), Map becomes an object.
 */
export function toPlain<T = unknown>(value: unknown): T {
  return toPlainValue(value) as T;
}

function toPlainValue(v: unknown): unknown {
  if (v === null || typeof v !== "object") {
    if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    return v;
  }
  if (v instanceof NdArray) return toPlainValue(v.toNested());
  if (v instanceof PyBytes || v instanceof PyComplex) return v.toJSON();
  if (isTypedArray(v)) return Array.from(v as ArrayLike<number | bigint>, (x) => toPlainValue(x));
  if (Array.isArray(v)) return v.map(toPlainValue);
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v) o[String(k)] = toPlainValue(x);
    return o;
  }
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(v)) o[k] = toPlainValue((v as Record<string, unknown>)[k]);
  return o;
}
