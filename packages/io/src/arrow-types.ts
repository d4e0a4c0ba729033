/**
 * The one map between typed arrays, Arrow types and numpy type strings (platform-neutral).
 * Float16 has no typed array in every runtime: its values travel as raw bits in a `Uint16Array`
 * (numpy `<f2`, Arrow `Float16`), which is also how apache-arrow stores them.
 */
import {
  Bool,
  type DataType,
  DurationMicrosecond,
  DurationMillisecond,
  DurationNanosecond,
  DurationSecond,
  FixedSizeBinary,
  Float16,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  TimestampMicrosecond,
  TimestampMillisecond,
  TimestampNanosecond,
  TimestampSecond,
  Type,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
} from "apache-arrow";
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

interface Entry {
  readonly ctor: NumericTypedArrayConstructor;
  /** numpy kind and size, e.g. `i` and 2. */
  readonly kind: "i" | "u" | "f";
  readonly bytes: 1 | 2 | 4 | 8;
  readonly arrow: () => DataType;
}

const ENTRIES: readonly Entry[] = [
  { ctor: Int8Array, kind: "i", bytes: 1, arrow: () => new Int8() },
  { ctor: Uint8Array, kind: "u", bytes: 1, arrow: () => new Uint8() },
  { ctor: Int16Array, kind: "i", bytes: 2, arrow: () => new Int16() },
  { ctor: Uint16Array, kind: "u", bytes: 2, arrow: () => new Uint16() },
  { ctor: Int32Array, kind: "i", bytes: 4, arrow: () => new Int32() },
  { ctor: Uint32Array, kind: "u", bytes: 4, arrow: () => new Uint32() },
  { ctor: BigInt64Array, kind: "i", bytes: 8, arrow: () => new Int64() },
  { ctor: BigUint64Array, kind: "u", bytes: 8, arrow: () => new Uint64() },
  { ctor: Float32Array, kind: "f", bytes: 4, arrow: () => new Float32() },
  { ctor: Float64Array, kind: "f", bytes: 8, arrow: () => new Float64() },
];

function entryOf(array: unknown): Entry | undefined {
  // Uint8ClampedArray and DataView are not numeric columns.
  for (const e of ENTRIES) if (array instanceof e.ctor) return e;
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return (value as object).constructor?.name ?? "object";
  return typeof value;
}

/** True for the numeric typed arrays of {@link NumericTypedArray}. */
export function isNumericTypedArray(value: unknown): value is NumericTypedArray {
  return entryOf(value) !== undefined;
}

/**
 * The Arrow type of a typed array's values (`Float64Array` → `Float64`, `BigInt64Array` → `Int64`, …).
 * @throws IoError `IO_UNSUPPORTED_TYPE` for anything else
 */
export function arrowTypeOfTypedArray(array: ArrayBufferView): DataType {
  const e = entryOf(array);
  if (!e) throw new IoError("IO_UNSUPPORTED_TYPE", `io: no Arrow type for ${describe(array)} (expected a numeric typed array)`);
  return e.arrow();
}

/**
 * The typed array that holds an Arrow type's values: integers and floats by width, `Float16` as
 * `Uint16Array` (raw bits), timestamps and durations as `BigInt64Array`.
 * @throws IoError `IO_UNSUPPORTED_TYPE` for non-primitive types (strings, lists, structs, …)
 */
export function typedArrayConstructorOfArrowType(type: DataType): NumericTypedArrayConstructor {
  switch (type.typeId) {
    case Type.Int: {
      const t = type as unknown as { bitWidth: number; isSigned: boolean };
      const e = ENTRIES.find((x) => x.kind === (t.isSigned ? "i" : "u") && x.bytes * 8 === t.bitWidth);
      if (e) return e.ctor;
      break;
    }
    case Type.Float: {
      const precision = (type as unknown as { precision: number }).precision;
      return precision === 0 ? Uint16Array : precision === 1 ? Float32Array : Float64Array;
    }
    case Type.Timestamp:
    case Type.Duration:
      return BigInt64Array;
    default:
      break;
  }
  throw new IoError("IO_UNSUPPORTED_TYPE", `io: Arrow type ${String(type)} has no typed-array storage`);
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

const TIME_UNITS = ["s", "ms", "us", "ns"] as const;

/**
 * The Arrow type of a numpy scalar type string: `b` → Bool, `i`/`u`/`f` by width (`f2` → Float16),
 * `S`/`V` → FixedSizeBinary, `U` → Utf8, `M8[s|ms|us|ns]` → Timestamp, `m8[…]` → Duration.
 * @throws IoError `IO_BAD_DTYPE` (not a type string), `IO_UNSUPPORTED_TYPE` (complex, object, other time units)
 */
export function arrowTypeOfNumpy(typestr: string | NumpyTypestr): DataType {
  const t = typeof typestr === "string" ? parseNumpyTypestr(typestr) : typestr;
  switch (t.kind) {
    case "b":
      return new Bool();
    case "i":
    case "u":
      return (ENTRIES.find((x) => x.kind === t.kind && x.bytes === t.itemsize) as Entry).arrow();
    case "f":
      return t.itemsize === 2 ? new Float16() : t.itemsize === 4 ? new Float32() : new Float64();
    case "S":
    case "V":
      return new FixedSizeBinary(t.itemsize);
    case "U":
      return new Utf8();
    case "M":
    case "m": {
      const unit = TIME_UNITS.indexOf(t.unit as (typeof TIME_UNITS)[number]);
      if (unit >= 0) {
        const timestamp = [TimestampSecond, TimestampMillisecond, TimestampMicrosecond, TimestampNanosecond] as const;
        const duration = [DurationSecond, DurationMillisecond, DurationMicrosecond, DurationNanosecond] as const;
        const Ctor = (t.kind === "M" ? timestamp : duration)[unit] as new () => DataType;
        return new Ctor();
      }
      break;
    }
    default:
      break;
  }
  throw new IoError("IO_UNSUPPORTED_TYPE", `io: numpy type ${t.normalized} has no Arrow counterpart`);
}
