/**
 * numpy structured dtypes as strax stores them: the `repr` of `dtype.descr` (spec runs.md §9.2).
 */
import { RunsError } from "./errors.js";
import { formatPythonString, parsePythonLiteral, PyTuple, type PyLiteral } from "./python-literal.js";

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

const TYPESTR = /^([<>|=])([biufSUVMm])(\d+)(?:\[(\w+)\])?$/;

/** Parse a numpy type string (`<i8`, `|S10`, `<M8[ns]`). Throws `RUNS_BAD_DTYPE`. */
function parseTypestr(typestr: string): { kind: DtypeKind; elementBytes: number; littleEndian: boolean; unit?: string } {
  const m = TYPESTR.exec(typestr);
  if (!m) throw new RunsError("RUNS_BAD_DTYPE", `strax dtype: unsupported type string ${JSON.stringify(typestr)} (expected e.g. '<i8', '|u1', '<f4', '|S8')`);
  const kind = m[2] as DtypeKind;
  const size = Number(m[3]);
  const elementBytes = kind === "U" ? size * 4 : size;
  const valid =
    (kind === "b" && size === 1) ||
    ((kind === "i" || kind === "u") && [1, 2, 4, 8].includes(size)) ||
    (kind === "f" && [2, 4, 8].includes(size)) ||
    ((kind === "M" || kind === "m") && size === 8) ||
    kind === "S" ||
    kind === "U" ||
    kind === "V";
  if (!valid) throw new RunsError("RUNS_BAD_DTYPE", `strax dtype: unsupported type string ${JSON.stringify(typestr)}`);
  return { kind, elementBytes, littleEndian: m[1] !== ">", ...(m[4] ? { unit: m[4] } : {}) };
}

function fromLiteral(descr: PyLiteral, where: string): Dtype {
  if (!Array.isArray(descr)) throw new RunsError("RUNS_BAD_DTYPE", `strax dtype: ${where} is not a list of field tuples`);
  const fields: DtypeField[] = [];
  let offset = 0;
  for (const [index, entry] of descr.entries()) {
    if (!(entry instanceof PyTuple) || entry.items.length < 2 || entry.items.length > 3) {
      throw new RunsError("RUNS_BAD_DTYPE", `strax dtype: ${where} entry ${index} is not a (name, type[, shape]) tuple`);
    }
    const [nameItem, typeItem, shapeItem] = entry.items;
    let name: string;
    let title: string | undefined;
    if (typeof nameItem === "string") name = nameItem;
    else if (nameItem instanceof PyTuple && nameItem.items.length === 2 && typeof nameItem.items[0] === "string" && typeof nameItem.items[1] === "string") {
      title = nameItem.items[0];
      name = nameItem.items[1];
    } else throw new RunsError("RUNS_BAD_DTYPE", `strax dtype: ${where} entry ${index} has a bad name`);
    let shape: number[] = [];
    if (shapeItem !== undefined) {
      const dims = shapeItem instanceof PyTuple ? shapeItem.items : [shapeItem];
      shape = dims.map((d) => {
        if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0) {
          throw new RunsError("RUNS_BAD_DTYPE", `strax dtype: field ${name} has a bad shape: expected non-negative integers, found ${String(d)}`, { field: name });
        }
        return d;
      });
    }
    const count = shape.reduce((a, b) => a * b, 1);
    let field: DtypeField;
    if (typeof typeItem === "string") {
      const t = parseTypestr(typeItem);
      field = {
        name,
        ...(title !== undefined ? { title } : {}),
        typestr: typeItem,
        kind: t.kind,
        elementBytes: t.elementBytes,
        shape,
        count,
        byteOffset: offset,
        byteSize: t.elementBytes * count,
        littleEndian: t.littleEndian,
        ...(t.unit ? { unit: t.unit } : {}),
      };
    } else if (Array.isArray(typeItem)) {
      const sub = fromLiteral(typeItem, `field ${name}`);
      field = {
        name,
        ...(title !== undefined ? { title } : {}),
        typestr: "",
        kind: "struct",
        elementBytes: sub.itemsize,
        shape,
        count,
        byteOffset: offset,
        byteSize: sub.itemsize * count,
        littleEndian: true,
        fields: sub,
      };
    } else throw new RunsError("RUNS_BAD_DTYPE", `strax dtype: field ${name} has a bad type`);
    fields.push(field);
    offset += field.byteSize;
    // numpy itemsizes are C ints; anything larger is a damaged descr, refused before any allocation.
    if (offset > MAX_ITEMSIZE) {
      throw new RunsError("RUNS_BAD_DTYPE", `strax dtype: ${where} is ${offset} bytes per row at field ${name}, more than numpy allows (${MAX_ITEMSIZE})`, { field: name });
    }
  }
  const names = fields.map((f) => f.name).filter((n) => n !== "");
  if (new Set(names).size !== names.length) throw new RunsError("RUNS_BAD_DTYPE", `strax dtype: ${where} has duplicate field names`);
  return { fields, itemsize: offset };
}

/**
 * Parse a numpy `dtype.descr` repr such as
 * `[(('Start time since unix epoch [ns]', 'time'), '<i8'), ('data', '<i2', (110,))]`.
 * Throws `RUNS_BAD_DTYPE`.
 */
export function parseDtype(descr: string): Dtype {
  return fromLiteral(parsePythonLiteral(descr), "dtype");
}

function formatField(f: DtypeField): string {
  const name = f.title !== undefined ? `(${formatPythonString(f.title)}, ${formatPythonString(f.name)})` : formatPythonString(f.name);
  const type = f.kind === "struct" ? formatDtype(f.fields!) : formatPythonString(f.typestr);
  if (f.shape.length === 0) return `(${name}, ${type})`;
  const shape = f.shape.length === 1 ? `(${f.shape[0]},)` : `(${f.shape.join(", ")})`;
  return `(${name}, ${type}, ${shape})`;
}

/** The numpy `repr(dtype.descr)` string of `dtype` (inverse of {@link parseDtype}). */
export function formatDtype(dtype: Dtype): string {
  return `[${dtype.fields.map(formatField).join(", ")}]`;
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
  const literal = specs.map((s) => {
    const name: PyLiteral = s.title !== undefined ? new PyTuple([s.title, s.name]) : s.name;
    const items: PyLiteral[] = [name, s.typestr];
    if (s.shape && s.shape.length > 0) items.push(new PyTuple([...s.shape]));
    return new PyTuple(items);
  });
  return fromLiteral(literal, "dtype");
}

/** The field named `name`, or undefined. */
export function findField(dtype: Dtype, name: string): DtypeField | undefined {
  return dtype.fields.find((f) => f.name === name);
}
