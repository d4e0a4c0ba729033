/** Tokenizer of the FileDB query language: numbers, strings, names, `backtick` names and operators. */
import { FileDbError } from "../errors.js";

export type TokenKind = "number" | "string" | "name" | "op" | "eof";
export interface Token {
  readonly kind: TokenKind;
  /** Operator text, identifier, or decoded string. */
  readonly text: string;
  readonly value?: number | bigint;
  /** Backtick-quoted name (never a keyword). */
  readonly quoted?: boolean;
  readonly position: number;
}

/** A `FILEDB_BAD_EXPRESSION` error pointing at `position` of `source` (with a caret line). */
export function badExpression(source: string, position: number, what: string): FileDbError {
  const caret = `${" ".repeat(Math.min(position, 200))}^`;
  return new FileDbError(
    "FILEDB_BAD_EXPRESSION",
    `filedb: cannot parse expression ${JSON.stringify(source)} at position ${position}: ${what}\n  ${source}\n  ${caret}`,
    { position, source },
  );
}

const IDENT_START = /[\p{L}_]/u;
const IDENT_PART = /[\p{L}\p{N}_]/u;
const OPERATORS = ["**", "//", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "&", "|", "~", "(", ")", "[", "]", ","];

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const n = source.length;
  let i = 0;
  while (i < n) {
    const c = source[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
      continue;
    }
    const start = i;
    if ((c >= "0" && c <= "9") || (c === "." && i + 1 < n && source[i + 1]! >= "0" && source[i + 1]! <= "9")) {
      const m = /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?(\.[\d_]*)?(?:[eE][+-]?\d+)?)/.exec(source.slice(i))!;
      let text = m[0];
      if (text === "" || text === ".") throw badExpression(source, start, `bad number`);
      i += text.length;
      if (i < n && IDENT_PART.test(source[i]!)) throw badExpression(source, start, `bad number "${source.slice(start, i + 1)}"`);
      text = text.replaceAll("_", "");
      let value: number | bigint;
      if (/^0[xXoObB]/.test(text) || /^\d+$/.test(text)) {
        const big = BigInt(text);
        value = big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
      } else {
        value = Number(text);
      }
      tokens.push({ kind: "number", text, value, position: start });
      continue;
    }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let out = "";
      for (;;) {
        if (j >= n) throw badExpression(source, start, "unterminated string literal");
        const d = source[j]!;
        if (d === c) break;
        if (d === "\\" && j + 1 < n) {
          const e = source[j + 1]!;
          const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", "0": "\0", "\\": "\\", "'": "'", '"': '"' };
          if (e in simple) {
            out += simple[e];
            j += 2;
          } else if (e === "x" || e === "u") {
            const len = e === "x" ? 2 : 4;
            const hex = source.slice(j + 2, j + 2 + len);
            if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw badExpression(source, j, `bad escape \\${e}${hex}`);
            out += String.fromCharCode(Number.parseInt(hex, 16));
            j += 2 + len;
          } else {
            out += d + e;
            j += 2;
          }
          continue;
        }
        out += d;
        j++;
      }
      tokens.push({ kind: "string", text: out, position: start });
      i = j + 1;
      continue;
    }
    if (c === "`") {
      const j = source.indexOf("`", i + 1);
      if (j < 0) throw badExpression(source, start, "unterminated `backtick` name");
      if (j === i + 1) throw badExpression(source, start, "empty `backtick` name");
      tokens.push({ kind: "name", text: source.slice(i + 1, j), quoted: true, position: start });
      i = j + 1;
      continue;
    }
    if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < n && IDENT_PART.test(source[j]!)) j++;
      tokens.push({ kind: "name", text: source.slice(i, j), position: start });
      i = j;
      continue;
    }
    if (c === "@") throw badExpression(source, start, "local variables (@name) are not supported; insert the value literally");
    if (source.startsWith("&&", i)) throw badExpression(source, start, 'found "&&"; use "and" or "&"');
    if (source.startsWith("||", i)) throw badExpression(source, start, 'found "||"; use "or" or "|"');
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op === undefined) {
      const hint = c === "=" ? '; use "==" to compare' : c === "!" ? '; use "not" or "~"' : "";
      throw badExpression(source, start, `unexpected character ${JSON.stringify(c)}${hint}`);
    }
    tokens.push({ kind: "op", text: op, position: start });
    i += op.length;
  }
  tokens.push({ kind: "eof", text: "", position: n });
  return tokens;
}
