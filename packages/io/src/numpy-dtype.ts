/**
 * numpy dtypes, platform-neutral: type strings (`<i8`, `|u1`, `>f4`, `<U8`, `<M8[ns]`) and
 * structured dtypes as `repr(dtype.descr)` text (what strax stores) or as the same nested lists in
 * JSON. Fields are packed, offsets cumulative in listed order.
 */
import { IoError } from "./errors.js";

/** numpy kind characters. */
export type NumpyKind = "b" | "i" | "u" | "f" | "c" | "S" | "U" | "V" | "M" | "m" | "O";

/** A parsed numpy type string. */
export interface NumpyTypestr {
  /** `<` little-endian, `>` big-endian, `|` not applicable (1-byte, bytes, void). `=` and none read as `<`. */
  readonly byteOrder: "<" | ">" | "|";
  readonly kind: NumpyKind;
  /** Bytes per element (`<U8` → 32). */
  readonly itemsize: number;
  /** `M`/`m` unit (`ns`, `us`, …). */
  readonly unit?: string;
  /** The type string in numpy's little-endian spelling (`>i4` → `<i4`, `=u2` → `<u2`, `u1` → `|u1`). */
  readonly normalized: string;
}

const TYPESTR = /^([<>|=]?)([biufcSUVMmO])(\d+)(?:\[(\w+)\])?$/;
const UNITS = new Set(["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "μs", "ns", "ps", "fs", "as", "generic"]);

function bad(message: string): IoError {
  return new IoError("IO_BAD_DTYPE", `numpy dtype: ${message}`);
}

/**
 * Parse a numpy array-protocol type string. Sizes are checked per kind (`b1`; `i`/`u` 1, 2, 4, 8;
 * `f` 2, 4, 8; `c` 8, 16; `M`/`m` 8 with an optional unit; `O` 8; `S`/`U`/`V` any).
 * @throws IoError `IO_BAD_DTYPE`
 */
export function parseNumpyTypestr(typestr: string): NumpyTypestr {
  const m = typeof typestr === "string" ? TYPESTR.exec(typestr) : null;
  if (!m) throw bad(`unsupported type string ${JSON.stringify(typestr)} (expected e.g. '<i8', '|u1', '<f4', '|S8')`);
  const kind = m[2] as NumpyKind;
  const size = Number(m[3]);
  const unit = m[4];
  const valid =
    (kind === "b" && size === 1) ||
    ((kind === "i" || kind === "u") && [1, 2, 4, 8].includes(size)) ||
    (kind === "f" && [2, 4, 8].includes(size)) ||
    (kind === "c" && [8, 16].includes(size)) ||
    ((kind === "M" || kind === "m") && size === 8 && (unit === undefined || UNITS.has(unit))) ||
    (kind === "O" && size === 8) ||
    ((kind === "S" || kind === "U" || kind === "V") && Number.isSafeInteger(size));
  if (!valid || (unit !== undefined && kind !== "M" && kind !== "m")) throw bad(`unsupported type string ${JSON.stringify(typestr)}`);
  const itemsize = kind === "U" ? size * 4 : size;
  const orderless = kind === "S" || kind === "V" || kind === "b" || itemsize === 1;
  const byteOrder = orderless ? "|" : m[1] === ">" ? ">" : "<";
  return {
    byteOrder,
    kind,
    itemsize,
    ...(unit !== undefined ? { unit } : {}),
    normalized: `${orderless ? "|" : "<"}${kind}${m[3]}${unit !== undefined ? `[${unit}]` : ""}`,
  };
}

/** One field of a structured dtype. */
export interface NumpyField {
  /** Field name (`''` for padding). */
  readonly name: string;
  /** Field title (strax keeps the column description there), if any. */
  readonly title?: string;
  /** The type string as given (`''` for a nested struct). */
  readonly typestr: string;
  /** The kind, or `struct` for a nested structured dtype. */
  readonly kind: NumpyKind | "struct";
  /** Bytes of one element. */
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
  /** `M`/`m` unit. */
  readonly unit?: string;
  /** Nested fields for `kind === "struct"`. */
  readonly fields?: NumpyDtype;
}

/** A structured dtype: fields plus the row size in bytes. */
export interface NumpyDtype {
  readonly fields: readonly NumpyField[];
  readonly itemsize: number;
}

/** A Python tuple in a parsed literal (lists are JS arrays). */
class PyTuple {
  constructor(readonly items: PyValue[]) {}
}
type PyValue = string | number | PyValue[] | PyTuple;

/** The `descr` form as JS values (e.g. from JSON): `[name | [title, name], type, shape?]` entries. */
export type NumpyDescr = readonly (readonly [string | readonly [string, string], string | NumpyDescr, (number | readonly number[])?])[];

/** Parse the Python literal subset of `repr(dtype.descr)`: lists, tuples, strings, integers. */
function parsePyLiteral(text: string): PyValue {
  let at = 0;
  const ws = () => {
    while (at < text.length && /\s/.test(text[at] as string)) at++;
  };
  const fail = (what: string): never => {
    throw bad(`${what} at character ${at} of ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)}`);
  };
  const value = (depth: number): PyValue => {
    if (depth > 32) fail("nesting too deep");
    ws();
    const c = text[at];
    if (c === "[" || c === "(") {
      const close = c === "[" ? "]" : ")";
      at++;
      const items: PyValue[] = [];
      let trailingComma = false;
      for (;;) {
        ws();
        if (text[at] === close) {
          at++;
          break;
        }
        items.push(value(depth + 1));
        ws();
        if (text[at] === ",") {
          at++;
          trailingComma = true;
        } else if (text[at] === close) {
          trailingComma = false;
        } else fail(`expected ',' or '${close}'`);
      }
      if (c === "[") return items;
      if (items.length === 1 && !trailingComma) return items[0] as PyValue; // (x) is x, not a tuple
      return new PyTuple(items);
    }
    if (c === "'" || c === '"') return pyString();
    const m = /^-?\d+/.exec(text.slice(at, at + 24));
    if (m) {
      at += m[0].length;
      const n = Number(m[0]);
      if (!Number.isSafeInteger(n)) fail("integer too large");
      return n;
    }
    return fail("unexpected character");
  };
  const pyString = (): string => {
    const quote = text[at++];
    let out = "";
    for (;;) {
      if (at >= text.length) fail("unterminated string");
      const c = text[at++] as string;
      if (c === quote) return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = text[at++];
      const simple: Record<string, string> = { "\\": "\\", "'": "'", '"': '"', n: "\n", t: "\t", r: "\r", "0": "\0" };
      if (e !== undefined && e in simple) out += simple[e];
      else if (e === "x" || e === "u" || e === "U") {
        const len = e === "x" ? 2 : e === "u" ? 4 : 8;
        const hex = text.slice(at, at + len);
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) fail("bad escape");
        at += len;
        out += String.fromCodePoint(Number.parseInt(hex, 16));
      } else fail("bad escape");
    }
  };
  const result = value(0);
  ws();
  if (at !== text.length) fail("trailing text");
  return result;
}

function fromPy(descr: PyValue, where: string): NumpyDtype {
  if (!Array.isArray(descr)) throw bad(`${where} is not a list of field tuples`);
  const fields: NumpyField[] = [];
  let offset = 0;
  for (const [index, entry] of descr.entries()) {
    const items = entry instanceof PyTuple ? entry.items : Array.isArray(entry) ? entry : null;
    if (!items || items.length < 2 || items.length > 3) throw bad(`${where} entry ${index} is not a (name, type[, shape]) tuple`);
    const [nameItem, typeItem, shapeItem] = items;
    const nameParts = nameItem instanceof PyTuple ? nameItem.items : Array.isArray(nameItem) ? nameItem : null;
    let name: string;
    let title: string | undefined;
    if (typeof nameItem === "string") name = nameItem;
    else if (nameParts && nameParts.length === 2 && typeof nameParts[0] === "string" && typeof nameParts[1] === "string") {
      title = nameParts[0];
      name = nameParts[1];
    } else throw bad(`${where} entry ${index} has a bad name`);
    let shape: number[] = [];
    if (shapeItem !== undefined) {
      const dims = shapeItem instanceof PyTuple ? shapeItem.items : Array.isArray(shapeItem) ? shapeItem : [shapeItem];
      shape = dims.map((d) => {
        if (typeof d !== "number" || !Number.isSafeInteger(d) || d < 0)
          throw bad(`field ${JSON.stringify(name)} of ${where} has a bad shape`);
        return d;
      });
    }
    const count = shape.reduce((a, b) => a * b, 1);
    let field: NumpyField;
    const named = { name, ...(title !== undefined ? { title } : {}) };
    if (typeof typeItem === "string") {
      const t = parseNumpyTypestr(typeItem);
      field = {
        ...named,
        typestr: typeItem,
        kind: t.kind,
        elementBytes: t.itemsize,
        shape,
        count,
        byteOffset: offset,
        byteSize: t.itemsize * count,
        littleEndian: t.byteOrder !== ">",
        ...(t.unit !== undefined ? { unit: t.unit } : {}),
      };
    } else if (Array.isArray(typeItem)) {
      const sub = fromPy(typeItem, `field ${JSON.stringify(name)}`);
      field = {
        ...named,
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
    } else throw bad(`field ${JSON.stringify(name)} of ${where} has a bad type`);
    if (!Number.isSafeInteger(field.byteSize)) throw bad(`field ${JSON.stringify(name)} of ${where} is too large`);
    fields.push(field);
    offset += field.byteSize;
  }
  const names = fields.map((f) => f.name).filter((n) => n !== "");
  if (new Set(names).size !== names.length) throw bad(`${where} has duplicate field names`);
  if (!Number.isSafeInteger(offset)) throw bad(`${where} is too large`);
  return { fields, itemsize: offset };
}

/**
 * Parse a structured dtype from its `repr(dtype.descr)` text, e.g.
 * `[(('Start time since unix epoch [ns]', 'time'), '<i8'), ('data', '<i2', (110,))]`.
 * @throws IoError `IO_BAD_DTYPE` (the message says where)
 */
export function parseNumpyDescr(text: string): NumpyDtype {
  if (typeof text !== "string") throw bad("descr is not a string");
  return fromPy(parsePyLiteral(text), "dtype");
}

/**
 * A structured dtype from `descr` as JS values (nested arrays, as JSON gives them).
 * @throws IoError `IO_BAD_DTYPE`
 */
export function numpyDtypeFromDescr(descr: NumpyDescr | unknown): NumpyDtype {
  const toPy = (v: unknown, depth: number): PyValue => {
    if (depth > 32) throw bad("nesting too deep");
    if (typeof v === "string" || typeof v === "number") return v;
    if (Array.isArray(v)) return v.map((x) => toPy(x, depth + 1));
    throw bad(`unexpected ${v === null ? "null" : typeof v} in descr`);
  };
  return fromPy(toPy(descr, 0), "dtype");
}

/** Characters Python's `str.isprintable()` rejects (other than `' '`): `repr` escapes them. */
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}\p{Zl}\p{Zp}\p{Zs}]$/u;

/** Python's `repr` of a string (single quotes unless the text has one and no double quote). */
export function formatPythonString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (ch !== " " && NOT_PRINTABLE.test(ch))
      out +=
        code < 0x100
          ? `\\x${code.toString(16).padStart(2, "0")}`
          : code < 0x10000
            ? `\\u${code.toString(16).padStart(4, "0")}`
            : `\\U${code.toString(16).padStart(8, "0")}`;
    else out += ch;
  }
  return out + quote;
}

function formatField(f: NumpyField): string {
  const name = f.title !== undefined ? `(${formatPythonString(f.title)}, ${formatPythonString(f.name)})` : formatPythonString(f.name);
  const type = f.kind === "struct" ? formatNumpyDescr(f.fields as NumpyDtype) : formatPythonString(f.typestr);
  if (f.shape.length === 0) return `(${name}, ${type})`;
  const shape = f.shape.length === 1 ? `(${f.shape[0]},)` : `(${f.shape.join(", ")})`;
  return `(${name}, ${type}, ${shape})`;
}

/** numpy's `repr(dtype.descr)` of `dtype` (the inverse of {@link parseNumpyDescr}). */
export function formatNumpyDescr(dtype: NumpyDtype): string {
  return `[${dtype.fields.map(formatField).join(", ")}]`;
}
