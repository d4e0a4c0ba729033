/**
 * numpy structured dtypes as strax stores them: the `repr` of `dtype.descr` (spec runs.md §9.2),
 * parsed and formatted by @daqkit/io's one numpy dtype parser; this module adds strax's limits and
 * `RUNS_BAD_DTYPE`.
 */
import { formatNumpyDescr, IoError, type NumpyDtype, numpyDtypeFromDescr, parseNumpyDescr } from "@daqkit/io";
import { RunsError } from "./errors.js";

/** Scalar kind of a field: numpy's type character. `struct` = nested sub-dtype. */
export type DtypeKind = "b" | "i" | "u" | "f" | "S" | "U" | "V" | "M" | "m" | "struct";

/** One field of a structured dtype (packed, offsets cumulative in listed order). */
export interface DtypeField {
  /** Field name (`''` for padding). */
  readonly name: string;
  /** Field title (strax uses it for the column description), if any. */
  readonly title?: string;
  /** numpy array-protocol type string, e.g. `<i8`, `|u1`, `<U8`, `<M8[ns]`; `''` for `struct`. */
  readonly typestr: string;
  readonly kind: DtypeKind;
  /** Bytes of one element (`<U8` → 32). */
  readonly elementBytes: number;
  /** Sub-array shape, row-major (`[]` for a scalar field). */
  readonly shape: readonly number[];
  /** Product of `shape` (1 for scalars). */
  readonly count: number;
  /** Byte offset of the field inside a row. */
  readonly byteOffset: number;
  /** `elementBytes × count`. */
  readonly byteSize: number;
  /** False for `>` types. */
  readonly littleEndian: boolean;
  /** `M8`/`m8` unit (`ns`, `us`, …). */
  readonly unit?: string;
  /** Nested fields for `kind === "struct"`. */
  readonly fields?: Dtype;
}

/** A structured dtype: fields plus row size in bytes. */
export interface Dtype {
  readonly fields: readonly DtypeField[];
  /** Bytes per row. */
  readonly itemsize: number;
}

/** Largest row size numpy accepts (`int` itemsize). */
const MAX_ITEMSIZE = 2 ** 31 - 1;

/** Run a parse of @daqkit/io's numpy dtype parser; its `IO_BAD_DTYPE` becomes `RUNS_BAD_DTYPE` (cause kept). */
function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    if (IoError.isInstance(cause) && cause.code === "IO_BAD_DTYPE") {
      throw new RunsError("RUNS_BAD_DTYPE", `strax dtype: ${cause.message.replace(/^numpy dtype: /, "")}`, { cause });
    }
    throw cause;
  }
}

/**
 * The numpy dtype as strax data may use it: no complex or object fields (strax stores neither), and
 * rows of at most numpy's `int` itemsize (larger is a damaged descr, refused before any allocation).
 */
function straxDtype(dtype: NumpyDtype, where: string): Dtype {
  for (const f of dtype.fields) {
    if (f.kind === "c" || f.kind === "O") {
      throw new RunsError(
        "RUNS_BAD_DTYPE",
        `strax dtype: unsupported type string ${JSON.stringify(f.typestr)} of field ${f.name} (complex and object fields are not strax data)`,
        {
          field: f.name,
        },
      );
    }
    if (f.fields) straxDtype(f.fields, `field ${f.name}`);
  }
  if (dtype.itemsize > MAX_ITEMSIZE) {
    throw new RunsError(
      "RUNS_BAD_DTYPE",
      `strax dtype: ${where} is ${dtype.itemsize} bytes per row, more than numpy allows (${MAX_ITEMSIZE})`,
    );
  }
  return dtype as Dtype;
}

/**
 * Parse a numpy `dtype.descr` repr such as
 * `[(('Start time since unix epoch [ns]', 'time'), '<i8'), ('data', '<i2', (110,))]`
 * (with @daqkit/io's numpy dtype parser). Throws `RUNS_BAD_DTYPE`.
 */
export function parseDtype(descr: string): Dtype {
  return straxDtype(
    parsed(() => parseNumpyDescr(descr)),
    "dtype",
  );
}

/** The numpy `repr(dtype.descr)` string of `dtype` (inverse of {@link parseDtype}). */
export function formatDtype(dtype: Dtype): string {
  return formatNumpyDescr(dtype);
}

/** Field specification for {@link makeDtype}. */
export interface DtypeFieldSpec {
  readonly name: string;
  readonly title?: string;
  /** numpy type string, e.g. `<i8`. */
  readonly typestr: string;
  readonly shape?: readonly number[];
}

/** Build a packed dtype from field specs (offsets computed). Throws `RUNS_BAD_DTYPE`. */
export function makeDtype(specs: readonly DtypeFieldSpec[]): Dtype {
  const descr = specs.map((s) => {
    const name = s.title !== undefined ? [s.title, s.name] : s.name;
    return s.shape && s.shape.length > 0 ? [name, s.typestr, [...s.shape]] : [name, s.typestr];
  });
  return straxDtype(
    parsed(() => numpyDtypeFromDescr(descr)),
    "dtype",
  );
}

/** The field named `name`, or undefined. */
export function findField(dtype: Dtype, name: string): DtypeField | undefined {
  return dtype.fields.find((f) => f.name === name);
}
