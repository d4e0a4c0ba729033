/**
 * `@daqkit/io/arrow`: the Arrow side of the typed-array / numpy type map (platform-neutral; needs the
 * `apache-arrow` peer dependency). A separate entry because importing apache-arrow costs ~0.1 s of
 * start-up, which packages and commands that never build an Arrow table should not pay.
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
import { describe, ENTRIES, type Entry, entryOf, type NumericTypedArrayConstructor } from "./arrow-types.js";
import { IoError } from "./errors.js";
import { type NumpyTypestr, parseNumpyTypestr } from "./numpy-dtype.js";

/** The Arrow integer or float type of a map row. */
function arrowOfEntry(e: Entry): DataType {
  if (e.kind === "f") return e.bytes === 4 ? new Float32() : new Float64();
  const signed = e.kind === "i";
  switch (e.bytes) {
    case 1:
      return signed ? new Int8() : new Uint8();
    case 2:
      return signed ? new Int16() : new Uint16();
    case 4:
      return signed ? new Int32() : new Uint32();
    default:
      return signed ? new Int64() : new Uint64();
  }
}

/**
 * The Arrow type of a typed array's values (`Float64Array` → `Float64`, `BigInt64Array` → `Int64`, …).
 * @throws IoError `IO_UNSUPPORTED_TYPE` for anything else
 */
export function arrowTypeOfTypedArray(array: ArrayBufferView): DataType {
  const e = entryOf(array);
  if (!e) throw new IoError("IO_UNSUPPORTED_TYPE", `io: no Arrow type for ${describe(array)} (expected a numeric typed array)`);
  return arrowOfEntry(e);
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
      return arrowOfEntry(ENTRIES.find((x) => x.kind === t.kind && x.bytes === t.itemsize) as Entry);
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
