/**
 * `{field}` / `{field:spec}` templates (Python `str.format` syntax) used for FileDB file and table
 * names, in both directions: formatting key values into a path, and parsing a path back into key
 * values (spec filedb-loader §1.3).
 */
import { FileDbError } from "./errors.js";

/** The value of one template field: a string, or an integer for `d` fields. */
export type TemplateValue = string | number;

/** The presentation type of a field: `"s"` (string, also for no type) or `"d"` (integer). */
export type TemplateFieldType = "s" | "d";

/** One `{name:spec}` placeholder of a template. */
export interface TemplateField {
  /** Field name. */
  readonly name: string;
  /** `"d"` for integer fields (`{ch:07d}`), `"s"` otherwise. */
  readonly type: TemplateFieldType;
  /** The spec text after the colon, `""` if none. */
  readonly spec: string;
  /** Minimum width (0 if none). */
  readonly width: number;
  /** Fill character used for padding. */
  readonly fill: string;
  /** Alignment: `<` (left), `>` (right), `^` (centre), `=` (after sign). */
  readonly align: "<" | ">" | "^" | "=";
  /** Sign option `+`, `-` (default) or space. */
  readonly sign: "+" | "-" | " ";
}

/** A compiled template. */
export interface Template {
  /** The template text as given. */
  readonly text: string;
  /** Placeholders in order of appearance (a repeated field appears once per occurrence). */
  readonly fields: readonly TemplateField[];
  /** Distinct field names in order of first appearance. */
  readonly names: readonly string[];
  /** The literal text before, between and after the placeholders (`fields.length + 1` entries, `{{` unescaped). */
  readonly literals: readonly string[];
  /**
   * Format values into a string (Python `str.format` semantics for the supported specs).
   * @throws FileDbError `FILEDB_BAD_TEMPLATE` when a field has no value or a `d` field gets a non-integer.
   */
  format(values: Readonly<Record<string, TemplateValue | bigint>>): string;
  /**
   * Parse a whole string with the template; `undefined` when it does not match. String fields
   * match lazily (at least one character), `d` fields match an optional sign and digits and are
   * returned as numbers; a repeated field must match the same text each time.
   */
  parse(text: string): Record<string, TemplateValue> | undefined;
}

type Piece = { literal: string } | { field: TemplateField };

function badTemplate(text: string, what: string, position?: number): FileDbError {
  return new FileDbError(
    "FILEDB_BAD_TEMPLATE",
    `filedb: bad template ${JSON.stringify(text)}${position === undefined ? "" : ` at position ${position}`}: ${what} (valid examples: "ch{ch:07d}/raw", "/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-{timestamp}-tier_raw.lh5")`,
    { source: text, position },
  );
}

const SPEC_PATTERN = /^(?:(.)?([<>^=]))?([-+ ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([a-zA-Z%])?$/u;

function parseSpec(text: string, name: string, spec: string, position: number): TemplateField {
  const m = SPEC_PATTERN.exec(spec);
  if (!m) throw badTemplate(text, `cannot read the format spec ${JSON.stringify(spec)} of field "${name}"`, position);
  const [, fillChar, alignChar, signChar, alt, zero, widthText, grouping, precision, typeChar] = m;
  const typeText = typeChar ?? "";
  if (typeText !== "" && typeText !== "s" && typeText !== "d") {
    throw badTemplate(text, `field "${name}": only the "s" and "d" format types are supported, found "${typeText}"`, position);
  }
  if (alt || grouping) throw badTemplate(text, `field "${name}": "#", "," and "_" are not supported in format specs`, position);
  const type: TemplateFieldType = typeText === "d" ? "d" : "s";
  if (type === "d" && precision !== undefined) throw badTemplate(text, `field "${name}": precision is not allowed with "d"`, position);
  if (type === "s" && (signChar !== undefined || (zero && alignChar === undefined))) {
    // Python: "Sign not allowed in string format specifier"; "0" implies "=" alignment, invalid for strings.
    throw badTemplate(text, `field "${name}": sign and "0" padding need the "d" type`, position);
  }
  let fill = fillChar ?? " ";
  let align = (alignChar ?? (type === "d" ? ">" : "<")) as TemplateField["align"];
  if (zero && alignChar === undefined) {
    fill = "0";
    align = "=";
  }
  if (precision !== undefined) throw badTemplate(text, `field "${name}": precision is not supported`, position);
  return {
    name,
    type,
    spec,
    width: widthText === undefined ? 0 : Number(widthText),
    fill,
    align,
    sign: (signChar ?? "-") as TemplateField["sign"],
  };
}

function splitTemplate(text: string): Piece[] {
  const pieces: Piece[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "{" && text[i + 1] === "{") {
      literal += "{";
      i += 2;
      continue;
    }
    if (c === "}" && text[i + 1] === "}") {
      literal += "}";
      i += 2;
      continue;
    }
    if (c === "}") throw badTemplate(text, `single "}" (write "}}" for a literal brace)`, i);
    if (c === "{") {
      const end = text.indexOf("}", i + 1);
      if (end < 0) throw badTemplate(text, `unclosed "{"`, i);
      const inner = text.slice(i + 1, end);
      if (inner.includes("{")) throw badTemplate(text, `nested "{" inside a field`, i);
      const colon = inner.indexOf(":");
      const name = colon < 0 ? inner : inner.slice(0, colon);
      const spec = colon < 0 ? "" : inner.slice(colon + 1);
      if (name === "" || /^\d+$/.test(name)) throw badTemplate(text, `fields must be named, e.g. {run}, found {${inner}}`, i);
      if (/[.[\]!]/.test(name)) throw badTemplate(text, `field "${name}": attribute/index access and conversions are not supported`, i);
      if (literal !== "") pieces.push({ literal });
      literal = "";
      pieces.push({ field: parseSpec(text, name, spec, i) });
      i = end + 1;
      continue;
    }
    literal += c;
    i++;
  }
  if (literal !== "") pieces.push({ literal });
  return pieces;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function pad(field: TemplateField, body: string, sign: string): string {
  const total = sign.length + body.length;
  if (total >= field.width) return sign + body;
  const n = field.width - total;
  switch (field.align) {
    case "<":
      return sign + body + field.fill.repeat(n);
    case ">":
      return field.fill.repeat(n) + sign + body;
    case "=":
      return sign + field.fill.repeat(n) + body;
    default: {
      const left = Math.floor(n / 2);
      return field.fill.repeat(left) + sign + body + field.fill.repeat(n - left);
    }
  }
}

function formatField(template: string, field: TemplateField, value: TemplateValue | bigint | undefined): string {
  if (value === undefined || value === null) throw badTemplate(template, `no value for field "${field.name}"`);
  if (field.type === "d") {
    let n: bigint;
    if (typeof value === "bigint") n = value;
    else if (typeof value === "number" && Number.isInteger(value)) n = BigInt(value);
    else if (typeof value === "string" && /^[-+]?\d+$/.test(value)) n = BigInt(value);
    else throw badTemplate(template, `field "${field.name}" needs an integer ("d" format), got ${JSON.stringify(String(value))}`);
    const negative = n < 0n;
    const sign = negative ? "-" : field.sign === "+" ? "+" : field.sign === " " ? " " : "";
    return pad(field, (negative ? -n : n).toString(), sign);
  }
  return pad(field, String(value), "");
}

/**
 * Compile a `{field}` template.
 *
 * Supported specs: none, `s`, `d`, with optional fill/alignment, sign, `0` flag and width
 * (`{ch:07d}`, `{x:>5}`, `{n:+d}`); `{{`/`}}` are literal braces. Widths are **minimums** in both
 * directions: formatting pads to the width (Python), and parsing accepts any number of digits, so
 * `ch{ch:03d}/raw` parses `ch1084803/raw` (pygama's `parse` library treats the width as a maximum
 * and cannot, spec §1.3 / B15). `d` fields parse to numbers; all other fields stay strings
 * (`"r001"`, `"001"`), never numbers.
 *
 * @throws FileDbError `FILEDB_BAD_TEMPLATE` (with `position`) for unbalanced braces, unnamed or
 *   positional fields, unsupported specs, or a field used with two different types.
 */
export function compileTemplate(text: string): Template {
  if (typeof text !== "string") throw badTemplate(String(text), "a template must be a string");
  const pieces = splitTemplate(text);
  const fields: TemplateField[] = [];
  const types = new Map<string, TemplateFieldType>();
  const groups = new Map<string, number>();
  let pattern = "";
  for (const piece of pieces) {
    if ("literal" in piece) {
      pattern += escapeRegExp(piece.literal);
      continue;
    }
    const f = piece.field;
    fields.push(f);
    const previous = types.get(f.name);
    if (previous !== undefined && previous !== f.type) {
      throw badTemplate(text, `field "${f.name}" is used both as "${previous}" and "${f.type}"`);
    }
    types.set(f.name, f.type);
    const existing = groups.get(f.name);
    if (existing !== undefined) {
      pattern += `(?:\\${existing})`; // delimited: a digit literal after it must not extend the number
      continue;
    }
    const group = groups.size + 1; // numbered capture groups (no per-match groups object)
    groups.set(f.name, group);
    let body: string;
    if (f.type === "d") {
      body = "[-+ ]?\\d+";
      if (f.width > 0 && f.fill !== "0")
        body = `${escapeRegExp(f.fill)}*${body}${f.align === "<" || f.align === "^" ? `${escapeRegExp(f.fill)}*` : ""}`;
    } else body = ".+?";
    pattern += `(${body})`;
  }
  const regex = new RegExp(`^${pattern}$`, "su");
  // Literal/field alternation for the fast formatting path.
  const simple = fields.every((f) => f.type === "s" && f.width === 0);
  const literals: string[] = [""];
  const simpleNames: string[] = [];
  for (const piece of pieces) {
    if ("literal" in piece) literals[literals.length - 1] += piece.literal;
    else {
      simpleNames.push(piece.field.name);
      literals.push("");
    }
  }
  const names = [...groups.keys()];
  const fieldByName = new Map(fields.map((f) => [f.name, f]));
  // Per capture group (in order): its field name and spec, for parse().
  const groupNames = [...groups.keys()];
  const groupFields = groupNames.map((name) => fieldByName.get(name)!);
  return {
    text,
    fields,
    names,
    literals,
    format(values) {
      if (simple) {
        // Fast path (string fields without width): plain concatenation.
        // Built with join(): one flat string, not a chain of concatenation nodes that a table of
        // thousands of file names would keep alive (and the garbage collector copy) until flattened.
        const parts = new Array<string>(simpleNames.length * 2 + 1);
        parts[0] = literals[0]!;
        for (let i = 0; i < simpleNames.length; i++) {
          const v = values[simpleNames[i]!];
          if (v === undefined || v === null) throw badTemplate(text, `no value for field "${simpleNames[i]}"`);
          parts[2 * i + 1] = String(v);
          parts[2 * i + 2] = literals[i + 1]!;
        }
        return parts.join("");
      }
      let out = "";
      for (const piece of pieces) out += "literal" in piece ? piece.literal : formatField(text, piece.field, values[piece.field.name]);
      return out;
    },
    parse(candidate) {
      const m = regex.exec(candidate);
      if (!m) return undefined;
      const result: Record<string, TemplateValue> = {};
      for (let g = 0; g < groupNames.length; g++) {
        const name = groupNames[g]!;
        let raw = m[g + 1]!;
        const f = groupFields[g]!;
        if (f.type === "d") {
          raw = raw.trim();
          if (f.fill !== "0" && f.fill !== " ") raw = raw.split(f.fill).join("");
          const n = Number(raw);
          if (!Number.isSafeInteger(n)) return undefined;
          result[name] = n;
        } else {
          if (f.width > 0) {
            // Undo padding added by formatting to a minimum width.
            if (f.align === "<") raw = trimEnd(raw, f.fill);
            else if (f.align === ">") raw = trimStart(raw, f.fill);
            else raw = trimStart(trimEnd(raw, f.fill), f.fill);
          }
          result[name] = raw;
        }
      }
      return result;
    },
  };
}

const plain = (f: TemplateField): boolean => f.type === "s" && f.width === 0;

/**
 * How `other` formats values relative to `base`, when the two differ only in the text after their
 * last field: both have only plain string fields (no width), the same fields in the same order and
 * the same literals before the last one (`…-tier_raw.lh5` and `…-tier_dsp.lh5`). Then
 * `other.format(v)` is `base.format(v)` with its last `cut` characters replaced by `append`, for
 * any values. Otherwise undefined.
 */
export function suffixSwap(base: Template, other: Template): { cut: number; append: string } | undefined {
  const n = base.fields.length;
  if (other.fields.length !== n) return undefined;
  for (let i = 0; i < n; i++) {
    const a = base.fields[i]!;
    const b = other.fields[i]!;
    if (a.name !== b.name || !plain(a) || !plain(b)) return undefined;
  }
  for (let i = 0; i < n; i++) if (base.literals[i] !== other.literals[i]) return undefined;
  return { cut: base.literals[n]!.length, append: other.literals[n]! };
}

function trimEnd(s: string, fill: string): string {
  let end = s.length;
  while (end > 1 && s[end - 1] === fill) end--;
  return s.slice(0, end);
}
function trimStart(s: string, fill: string): string {
  let start = 0;
  while (start < s.length - 1 && s[start] === fill) start++;
  return s.slice(start);
}
