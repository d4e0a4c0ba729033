/**
 * A tiny parser for the Python literals that appear in numpy `dtype.descr` reprs (spec runs.md
 * §9.2): lists, tuples (incl. the 1-tuple trailing comma), ints, and strings in `'…'` or `"…"`
 * with backslash escapes. Tuples are returned as {@link PyTuple} so `(110,)` stays distinguishable
 * from a list.
 */
import { RunsError } from "./errors.js";

/** A parsed Python tuple. */
export class PyTuple {
  constructor(readonly items: PyLiteral[]) {}
}

export type PyLiteral = string | number | bigint | PyLiteral[] | PyTuple;

/** Deepest nesting of lists/tuples {@link parsePythonLiteral} accepts. */
const MAX_DEPTH = 64;

/** Parse one Python literal; throws `RUNS_BAD_DTYPE` with `byteOffset` = character index. */
export function parsePythonLiteral(text: string): PyLiteral {
  let i = 0;
  const fail = (what: string): never => {
    throw new RunsError(
      "RUNS_BAD_DTYPE",
      `strax dtype: ${what} at character ${i} of ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)}`,
      { byteOffset: i },
    );
  };
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const parseValue = (): PyLiteral => {
    skipSpace();
    const c = text[i];
    if (c === "[" || c === "(") return parseSequence(c === "[" ? "]" : ")");
    if (c === "'" || c === '"') return parseString(c);
    if (c !== undefined && /[-+0-9]/.test(c)) {
      const m = /^[-+]?\d+/.exec(text.slice(i));
      if (!m) return fail("expected a number");
      i += m[0].length;
      if (/[.eE]/.test(text[i] ?? "")) return fail("floats are not supported in a dtype");
      const v = Number(m[0]);
      return Number.isSafeInteger(v) ? v : BigInt(m[0]);
    }
    return fail(c === undefined ? "unexpected end" : `unexpected ${JSON.stringify(c)}`);
  };
  let depth = 0;
  const parseSequence = (close: "]" | ")"): PyLiteral => {
    // numpy nests sub-structures a handful of levels deep; a damaged string must not overflow the stack.
    if (++depth > MAX_DEPTH) return fail(`nesting deeper than ${MAX_DEPTH} levels`);
    i++;
    const items: PyLiteral[] = [];
    let trailingComma = false;
    for (;;) {
      skipSpace();
      if (text[i] === close) {
        i++;
        break;
      }
      items.push(parseValue());
      skipSpace();
      trailingComma = false;
      if (text[i] === ",") {
        i++;
        trailingComma = true;
      } else if (text[i] !== close) fail(`expected ',' or '${close}'`);
    }
    depth--;
    if (close === "]") return items;
    // `(x)` without a comma is just a parenthesised value.
    if (items.length === 1 && !trailingComma) return items[0]!;
    return new PyTuple(items);
  };
  const parseString = (quote: string): string => {
    i++;
    let out = "";
    for (;;) {
      if (i >= text.length) fail("unterminated string");
      const c = text[i++]!;
      if (c === quote) return out;
      if (c !== "\\") {
        out += c;
        continue;
      }
      const e = text[i++];
      switch (e) {
        case "\\":
        case "'":
        case '"':
          out += e;
          break;
        case "n":
          out += "\n";
          break;
        case "r":
          out += "\r";
          break;
        case "t":
          out += "\t";
          break;
        case "b":
          out += "\b";
          break;
        case "f":
          out += "\f";
          break;
        case "a":
          out += "\x07";
          break;
        case "v":
          out += "\v";
          break;
        case "0":
          out += "\0";
          break;
        case "x":
        case "u":
        case "U": {
          const len = e === "x" ? 2 : e === "u" ? 4 : 8;
          const hex = text.slice(i, i + len);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) fail(`bad \\${e} escape`);
          out += String.fromCodePoint(Number.parseInt(hex, 16));
          i += len;
          break;
        }
        default:
          fail(`unknown escape \\${e ?? ""}`);
      }
    }
  };
  const value = parseValue();
  skipSpace();
  if (i !== text.length) fail("trailing characters");
  return value;
}

/** Python `repr(str)`: `'…'` unless the text contains `'` and no `"`. */
export function formatPythonString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else if (code >= 0x80 && code < 0xa0) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out + quote;
}
