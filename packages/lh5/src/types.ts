import type { NumericTypedArray } from "@daqkit/io";
import type { ElementType } from "./datatype.js";

/** Numeric column storage: whatever the HDF5 integer/float type maps to (int64 → BigInt64Array). */
export type NumericArray = NumericTypedArray;

/** Flat element storage of an Array / AoESA / VoV leaf: numbers, or decoded UTF-8 strings. */
export type ElementData = NumericArray | string[];

/** An attribute value as read from HDF5 (string attributes decode to `string`; int64 to `bigint`). */
export type AttrValue = string | number | bigint | boolean | readonly (string | number | bigint)[];

/** Attributes of an LGDO, without `datatype` (kept separately). `units` is the most common one. */
export type Attrs = Readonly<Record<string, AttrValue>>;

interface LgdoBase {
  /** The `datatype` attribute as found in the file (or as it will be written). */
  readonly datatype: string;
  /** Every other attribute of the object (units, description, codec, hash_func, …). */
  readonly attrs: Attrs;
}

/** A rank-0 value. `real` → number (bigint for int64), `bool` → boolean, `string` → string. */
export interface Scalar extends LgdoBase {
  readonly type: "Scalar";
  readonly element: ElementType;
  readonly value: number | bigint | boolean | string;
}

/**
 * An N-dimensional array, rows along axis 0, stored flat in row-major order.
 * `bool` elements are a Uint8Array of 0/1; `string` elements a `string[]`.
 */
export interface LgdoArray extends LgdoBase {
  readonly type: "Array" | "FixedSizeArray";
  readonly element: ElementType;
  /** Flat values, `shape.reduce(*)` long. */
  readonly data: ElementData;
  /** Full shape; `shape[0]` is the number of rows. */
  readonly shape: readonly number[];
}

/** Fixed-width vectors: a 2-D array (rows, width), e.g. waveforms. Padding values are data. */
export interface ArrayOfEqualSizedArrays extends LgdoBase {
  readonly type: "ArrayOfEqualSizedArrays";
  readonly element: ElementType;
  /** Flat row-major values, `rows × width` long. */
  readonly data: ElementData;
  /** `[rows, width, …]`. */
  readonly shape: readonly number[];
}

/**
 * Variable-length vectors. Row i spans `flattened[cumulativeLength[i-1] .. cumulativeLength[i])`
 * (half-open; start of row 0 is 0). After a row selection the offsets are rebased to start at 0.
 */
export interface VectorOfVectors extends LgdoBase {
  readonly type: "VectorOfVectors";
  /** Exclusive end offset of each row into `flattened` (its rows, for a nested VoV). */
  readonly cumulativeLength: Float64Array;
  /** The concatenated vectors: a 1-D Array, or a VoV when nested. */
  readonly flattened: LgdoArray | VectorOfVectors;
}

/**
 * Encoded waveforms, returned still encoded (`encoded: true`): `encodedData` is a VoV of uint8 byte
 * streams, `decodedSize` the decoded length (Scalar for AoESA, Array per row for VoV), `codec` the
 * algorithm (`radware_sigcompress`, `uleb128_zigzag_diff`) with parameters in `attrs`.
 */
export interface EncodedArray extends LgdoBase {
  readonly type: "ArrayOfEncodedEqualSizedArrays" | "VectorOfEncodedVectors";
  readonly encoded: true;
  readonly element: ElementType;
  readonly codec: string;
  readonly encodedData: VectorOfVectors;
  readonly decodedSize: Scalar | LgdoArray;
}

/** A group of named fields in `datatype` order, no length constraint between them. */
export interface Struct extends LgdoBase {
  readonly type: "Struct";
  /** Fields in `datatype` order (a Map, since field names may be integers, spec §3.6). */
  readonly fields: ReadonlyMap<string, Lgdo>;
}

/**
 * Columns of equal row count, in `datatype` order. A table whose columns are exactly
 * `{t0, dt, values}` has type `"WaveformTable"` (same shape, use {@link isTable}).
 */
export interface Table extends LgdoBase {
  readonly type: "Table" | "WaveformTable";
  /** Columns in `datatype` order. */
  readonly columns: ReadonlyMap<string, Lgdo>;
  /** Number of rows (of the first column). */
  readonly nRows: number;
}

/** One histogram axis: regular (`first`, `last`, `step`) or variable (`edges`) binning. */
export interface HistogramAxis {
  /** Bin edges (variable binning), or undefined for regular binning. */
  readonly edges?: Float64Array;
  readonly first?: number;
  readonly last?: number;
  readonly step?: number;
  /** True when bins are [lo, hi); false for (lo, hi]. */
  readonly closedLeft: boolean;
  /** Units of the bin edges, when present. */
  readonly units?: string;
}

/** A histogram struct{binning,weights,isdensity} (spec §3.8), with its raw Struct kept. */
export interface Histogram extends LgdoBase {
  readonly type: "Histogram";
  readonly weights: LgdoArray;
  readonly isDensity: boolean;
  readonly axes: readonly HistogramAxis[];
  /** The same object as a plain Struct (for round trips). */
  readonly struct: Struct;
}

/** Any LEGEND data object. Discriminate on `type`. */
export type Lgdo = Scalar | LgdoArray | ArrayOfEqualSizedArrays | VectorOfVectors | EncodedArray | Struct | Table | Histogram;

/** True for a Table or WaveformTable. */
export function isTable(obj: Lgdo): obj is Table {
  return obj.type === "Table" || obj.type === "WaveformTable";
}

/** Number of rows of a row-bearing LGDO (arrays, VoV, encoded, tables); undefined for Scalar/Struct/Histogram. */
export function lgdoRows(obj: Lgdo): number | undefined {
  switch (obj.type) {
    case "Array":
    case "FixedSizeArray":
    case "ArrayOfEqualSizedArrays":
      return obj.shape[0] ?? 0;
    case "VectorOfVectors":
      return obj.cumulativeLength.length;
    case "ArrayOfEncodedEqualSizedArrays":
    case "VectorOfEncodedVectors":
      return obj.encodedData.cumulativeLength.length;
    case "Table":
    case "WaveformTable":
      return obj.nRows;
    default:
      return undefined;
  }
}
