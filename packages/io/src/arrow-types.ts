/**
 * The one map between typed arrays and numpy type strings (platform-neutral, no apache-arrow: this
 * module is part of `@daqkit/io`'s main entry, which packages without Arrow output import too).
 * The Arrow side of the map is in `arrow.ts` (`@daqkit/io/arrow`).
 * Float16 has no typed array in every runtime: its values travel as raw bits in a `Uint16Array`
 * (numpy `<f2`, Arrow `Float16`), which is also how apache-arrow stores them.
 */
import { IoError } from "./errors.js";
import { type NumpyTypestr, parseNumpyTypestr } from "./numpy-dtype.js";

/** The numeric typed arrays daqkit columns use. */
export type NumericTypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/** A constructor of a {@link NumericTypedArray}. */
export type NumericTypedArrayConstructor =
  | Int8ArrayConstructor
  | Uint8ArrayConstructor
  | Int16ArrayConstructor
  | Uint16ArrayConstructor
  | Int32ArrayConstructor
  | Uint32ArrayConstructor
  | BigInt64ArrayConstructor
  | BigUint64ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

/** @internal One row of the map. */
export interface Entry {
  readonly ctor: NumericTypedArrayConstructor;
  /** numpy kind and size, e.g. `i` and 2. */
  readonly kind: "i" | "u" | "f";
  readonly bytes: 1 | 2 | 4 | 8;
}

/** @internal */
export const ENTRIES: readonly Entry[] = [
  { ctor: Int8Array, kind: "i", bytes: 1 },
  { ctor: Uint8Array, kind: "u", bytes: 1 },
  { ctor: Int16Array, kind: "i", bytes: 2 },
  { ctor: Uint16Array, kind: "u", bytes: 2 },
  { ctor: Int32Array, kind: "i", bytes: 4 },
  { ctor: Uint32Array, kind: "u", bytes: 4 },
  { ctor: BigInt64Array, kind: "i", bytes: 8 },
  { ctor: BigUint64Array, kind: "u", bytes: 8 },
  { ctor: Float32Array, kind: "f", bytes: 4 },
  { ctor: Float64Array, kind: "f", bytes: 8 },
];

/** @internal */
export function entryOf(array: unknown): Entry | undefined {
  // Uint8ClampedArray and DataView are not numeric columns.
  for (const e of ENTRIES) if (array instanceof e.ctor) return e;
  return undefined;
}

/** @internal */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value;
}

/** True for the numeric typed arrays of {@link NumericTypedArray}. */
export function isNumericTypedArray(value: unknown): value is NumericTypedArray {
  return entryOf(value) !== undefined;
}

/**
 * The numpy type string of a typed array (`Float64Array` → `<f8`, `Uint8Array` → `|u1`).
 * @param byteOrder `"<"` (default) or `">"`; 1-byte types are always `|`
 * @throws IoError `IO_UNSUPPORTED_TYPE`
 */
export function numpyTypestrOfTypedArray(array: ArrayBufferView, byteOrder: "<" | ">" = "<"): string {
  const e = entryOf(array);
  if (!e) throw new IoError("IO_UNSUPPORTED_TYPE", `io: no numpy type for ${describe(array)} (expected a numeric typed array)`);
  return `${e.bytes === 1 ? "|" : byteOrder}${e.kind}${e.bytes}`;
}

/**
 * The typed array for a numpy numeric type string: `i`/`u`/`f` by size, `<f2` as `Uint16Array`
 * (raw bits), `|b1` as `Uint8Array`, `M8`/`m8` as `BigInt64Array`, `c8`/`c16` as Float32/Float64
 * pairs. Values of a `>` type must be byte-swapped by the caller.
 * @throws IoError `IO_BAD_DTYPE` (not a type string), `IO_UNSUPPORTED_TYPE` (`S`, `U`, `V`, `O`)
 */
export function typedArrayConstructorOfNumpy(typestr: string | NumpyTypestr): NumericTypedArrayConstructor {
  const t = typeof typestr === "string" ? parseNumpyTypestr(typestr) : typestr;
  switch (t.kind) {
    case "b":
      return Uint8Array;
    case "M":
    case "m":
      return BigInt64Array;
    case "c":
      return t.itemsize === 8 ? Float32Array : Float64Array;
    case "f":
      if (t.itemsize === 2) return Uint16Array;
      return t.itemsize === 4 ? Float32Array : Float64Array;
    case "i":
    case "u": {
      const e = ENTRIES.find((x) => x.kind === t.kind && x.bytes === t.itemsize);
      if (e) return e.ctor;
      break;
    }
    default:
      break;
  }
  throw new IoError("IO_UNSUPPORTED_TYPE", `io: numpy type ${t.normalized} has no typed-array storage`);
}
