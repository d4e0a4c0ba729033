/**
 * JSON as Python writes and reads it (spec runs.md §4.2, §9.6): lossless integers (bigint beyond
 * 2^53), the int/float distinction (`42` vs `42.0`), and `json.dumps` output byte for byte
 * (`ensure_ascii`, `sort_keys`, `indent`, Python float `repr`).
 */
import { parse as losslessParse } from "lossless-json";
import { RunsError } from "./errors.js";

/**
 * A Python `float` whose value is integral (`42.0`, `1e+16`). JS numbers cannot keep that
 * distinction, and strax hashes `42` and `42.0` differently; wrap such values in a `PyFloat` (or
 * use {@link pyFloat}) when building lineages by hand.
 */
export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return formatPythonFloat(this.value);
  }
}

/** Mark `value` as a Python float (only matters for integral values). */
export function pyFloat(value: number): PyFloat {
  return new PyFloat(value);
}

/** A JSON value as read by {@link parsePythonJson}. */
export type PyJsonValue = null | boolean | number | bigint | string | PyFloat | PyJsonValue[] | { [key: string]: PyJsonValue };

const INTEGER_LEXEME = /^-?\d+$/;

function parseNumberLexeme(text: string): number | bigint | PyFloat {
  if (INTEGER_LEXEME.test(text)) {
    const value = Number(text);
    return Number.isSafeInteger(value) ? value : BigInt(text);
  }
  const value = Number(text);
  return Number.isInteger(value) ? new PyFloat(value) : value;
}

/**
 * Decode a JSON file's bytes as strict UTF-8, as Python's `json.load` does (invalid bytes are an
 * error, not U+FFFD). Throws `RUNS_BAD_JSON` with `path` and the `byteOffset` of the first invalid
 * sequence.
 */
export function decodeJsonBytes(bytes: Uint8Array, path: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch (cause) {
    // Error path only: feed byte by byte to find where the decoder gives up.
    const stream = new TextDecoder("utf-8", { fatal: true });
    let at = 0;
    try {
      for (; at < bytes.length; at++) stream.decode(bytes.subarray(at, at + 1), { stream: true });
      stream.decode();
    } catch {
      // `at` is the byte that completed (or broke) the invalid sequence
    }
    throw new RunsError(
      "RUNS_BAD_JSON",
      `strax: ${path} is not valid UTF-8 (invalid byte sequence ending at byte ${at}; expected UTF-8 JSON)`,
      {
        path,
        byteOffset: at,
        cause,
      },
    );
  }
}

/**
 * Parse JSON losslessly: integers outside ±(2^53−1) become `bigint`, integral floats (`42.0`)
 * become {@link PyFloat}, other numbers are plain `number`. Throws `RUNS_BAD_JSON` (with `path`).
 */
export function parsePythonJson(text: string, path?: string): PyJsonValue {
  // Python's json writes NaN/Infinity bare; map them to a parseable placeholder first.
  const prepared = /\b(NaN|-?Infinity)\b/.test(text) ? replaceNonFinite(text) : text;
  try {
    return losslessParse(prepared, (_key, value) => reviveNonFinite(value), parseNumberLexeme) as PyJsonValue;
  } catch (cause) {
    throw new RunsError(
      "RUNS_BAD_JSON",
      `strax: ${path ?? "JSON text"} is not valid JSON: ${(cause as Error).message}`,
      path === undefined ? { cause } : { path, cause },
    );
  }
}

/**
 * The keys of the JSON object at `path` (object keys from the root) in document order, or
 * `undefined` when there is no object there or the text is not valid JSON. JavaScript objects put
 * integer-like keys first in ascending order (`{"10": …, "9": …}` iterates `9, 10`); Python dicts
 * keep the document order, so where order matters (a superrun's `sub_run_spec`) read it here. A
 * repeated key keeps its first position (as a Python dict does).
 */
export function jsonKeyOrder(text: string, path: readonly string[]): string[] | undefined {
  let i = 0;
  let result: string[] | undefined;
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const expect = (c: string) => {
    if (text[i] !== c) throw new SyntaxError(`expected ${c} at ${i}`);
    i++;
  };
  const str = (): string => {
    const start = i;
    expect('"');
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    expect('"');
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (at: readonly string[] | null): void => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const keys: string[] = [];
      ws();
      if (text[i] === "}") i++;
      else {
        for (;;) {
          ws();
          const key = str();
          if (!keys.includes(key)) keys.push(key);
          ws();
          expect(":");
          value(at && at.length < path.length && path[at.length] === key ? [...at, key] : null);
          ws();
          if (text[i] === ",") {
            i++;
            continue;
          }
          expect("}");
          break;
        }
      }
      if (at && at.length === path.length) result = keys;
    } else if (c === "[") {
      i++;
      ws();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        value(null);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        expect("]");
        break;
      }
    } else if (c === '"') str();
    else {
      const start = i;
      while (i < text.length && !/[,\]}\s]/.test(text[i]!)) i++;
      if (i === start) throw new SyntaxError(`unexpected ${c} at ${i}`);
    }
  };
  try {
    value([]);
  } catch {
    return undefined;
  }
  return result;
}

/**
 * An object written by {@link formatPythonJson} in the given key order even when `sortKeys` is on
 * (its values are still formatted with the options). strax 2.x sorts every key of a run document,
 * but a `sub_run_spec` read from a document is written back in the order it was read.
 */
export class InOrder {
  constructor(readonly entries: ReadonlyMap<string, unknown>) {}
}

const NON_FINITE_PREFIX = "\u0000pyfloat:";

function replaceNonFinite(text: string): string {
  // Only outside strings: walk the text and replace bare tokens.
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === "\\") {
        out += text[++i] ?? "";
      } else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const rest = text.slice(i, i + 9);
    const token = rest.startsWith("NaN")
      ? "NaN"
      : rest.startsWith("-Infinity")
        ? "-Infinity"
        : rest.startsWith("Infinity")
          ? "Infinity"
          : "";
    if (token) {
      out += JSON.stringify(NON_FINITE_PREFIX + token);
      i += token.length - 1;
    } else out += c;
  }
  return out;
}

function reviveNonFinite(value: unknown): unknown {
  if (typeof value === "string" && value.startsWith(NON_FINITE_PREFIX)) {
    return Number(value.slice(NON_FINITE_PREFIX.length));
  }
  return value;
}

/**
 * Python `repr(float)`: shortest round-trip digits, `.0` on integral values, exponent form when the
 * decimal exponent is < −4 or ≥ 16 (`1e-05`, `1e+16`), `inf`/`nan` as json.dumps writes them
 * (`Infinity`, `-Infinity`, `NaN`).
 */
export function formatPythonFloat(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "Infinity";
  if (value === Number.NEGATIVE_INFINITY) return "-Infinity";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  const [mantissa, expText] = value.toExponential().split("e") as [string, string];
  const exponent = Number(expText);
  const negative = mantissa.startsWith("-");
  const digits = mantissa.replace("-", "").replace(".", "");
  const sign = negative ? "-" : "";
  if (exponent < -4 || exponent >= 16) {
    const frac = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const expAbs = Math.abs(exponent).toString().padStart(2, "0");
    return `${sign}${frac}e${exponent < 0 ? "-" : "+"}${expAbs}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return `${sign}${digits}${"0".repeat(exponent + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

/** Python `json.dumps` string escaping with `ensure_ascii=True`. */
export function formatPythonJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const c = text[i]!;
    if (c === '"') out += '\\"';
    else if (c === "\\") out += "\\\\";
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else if (c === "\b") out += "\\b";
    else if (c === "\f") out += "\\f";
    else if (code < 0x20 || code >= 0x7f) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += c;
  }
  return `${out}"`;
}

/** Options of {@link formatPythonJson}, mirroring `json.dumps`. */
export interface PythonJsonOptions {
  /** Spaces per level; `undefined` = single line (Python `indent=None`). */
  readonly indent?: number;
  /** Sort object keys by code point (Python `sort_keys=True`). Default false. */
  readonly sortKeys?: boolean;
}

/**
 * Serialise like Python's `json.dumps(value, indent=…, sort_keys=…)` (default separators:
 * `", "`/`": "` without indent, `","`/`": "` with indent). Accepts {@link PyJsonValue} plus `Map`,
 * tuples as arrays, `Date` is not accepted (convert first). JS numbers that are integers are
 * written as Python ints; wrap integral floats in {@link PyFloat}.
 */
export function formatPythonJson(value: unknown, options: PythonJsonOptions = {}): string {
  return write(value, options, 0);
}

function compareCodePoints(a: string, b: string): number {
  // Code point order (Python), not UTF-16 code unit order (JS default).
  const ai = [...a];
  const bi = [...b];
  const n = Math.min(ai.length, bi.length);
  for (let i = 0; i < n; i++) {
    const d = ai[i]!.codePointAt(0)! - bi[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return ai.length - bi.length;
}

/** Sort strings by Unicode code point, as Python's `sorted()` does. */
export function sortByCodePoint(keys: string[]): string[] {
  return keys.sort(compareCodePoints);
}

function write(value: unknown, options: PythonJsonOptions, level: number): string {
  if (value === null || value === undefined) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    return Number.isInteger(value) && !Object.is(value, -0) ? value.toFixed(0) : formatPythonFloat(value);
  }
  if (value instanceof PyFloat) return formatPythonFloat(value.value);
  if (typeof value === "string") return formatPythonJsonString(value);
  const indent = options.indent;
  const newline = indent === undefined ? "" : `\n${" ".repeat(indent * (level + 1))}`;
  const closing = indent === undefined ? "" : `\n${" ".repeat(indent * level)}`;
  const itemSep = indent === undefined ? ", " : ",";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[${value.map((v) => newline + write(v, options, level + 1)).join(itemSep)}${closing}]`;
  }
  if (value instanceof InOrder) {
    const items = [...value.entries].filter(([, v]) => v !== undefined);
    if (items.length === 0) return "{}";
    return `{${items.map(([k, v]) => `${newline}${formatPythonJsonString(k)}: ${write(v, options, level + 1)}`).join(itemSep)}${closing}}`;
  }
  if (typeof value === "object") {
    const entries: [string, unknown][] =
      value instanceof Map ? [...value.entries()].map(([k, v]) => [String(k), v]) : Object.entries(value as object);
    if (options.sortKeys) entries.sort((a, b) => compareCodePoints(a[0], b[0]));
    const items = entries.filter(([, v]) => v !== undefined);
    if (items.length === 0) return "{}";
    return `{${items.map(([k, v]) => `${newline}${formatPythonJsonString(k)}: ${write(v, options, level + 1)}`).join(itemSep)}${closing}}`;
  }
  throw new TypeError(`formatPythonJson: cannot serialise ${typeof value}`);
}
