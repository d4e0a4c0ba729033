/**
 * The pandas-query expression language used by FileDB queries (`set_files`) and DataLoader cuts.
 *
 * A real tokenizer and a recursive-descent parser produce an {@link Expression} tree; the tree is
 * evaluated column-wise over typed arrays (never one object per row). Semantics follow
 * `pandas.DataFrame.query(expr, engine="python")` with the default `parser="pandas"`:
 * `&`/`|` have the precedence of `and`/`or`, `~` is logical NOT, comparisons chain like Python's.
 */
import { FileDbError } from "./errors.js";

/** Operators of a unary {@link Expression} node (`~` parses to `"not"`). */
export type UnaryOperator = "not" | "-" | "+";

/** Operators of a binary {@link Expression} node (`&` parses to `"and"`, `|` to `"or"`). */
export type BinaryOperator =
  | "and"
  | "or"
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "in"
  | "not in"
  | "+"
  | "-"
  | "*"
  | "/"
  | "//"
  | "%"
  | "**";

/** A literal value: `1`, `2.5`, `12345678901234567890` (bigint beyond 2^53), `'r001'`, `True`. */
export type LiteralValue = number | bigint | string | boolean;

/**
 * A parsed expression. Every node carries `position`, the 0-based character offset of its first
 * token in the source text (for error messages).
 */
export type Expression =
  | { readonly kind: "literal"; readonly value: LiteralValue; readonly position: number }
  | { readonly kind: "column"; readonly name: string; readonly position: number }
  | { readonly kind: "list"; readonly items: readonly Expression[]; readonly position: number }
  | { readonly kind: "unary"; readonly op: UnaryOperator; readonly operand: Expression; readonly position: number }
  | {
      readonly kind: "binary";
      readonly op: BinaryOperator;
      readonly left: Expression;
      readonly right: Expression;
      readonly position: number;
    }
  | { readonly kind: "call"; readonly name: string; readonly args: readonly Expression[]; readonly position: number };

/** The subset of an Apache Arrow `Vector` the evaluator uses (duck-typed; no runtime Arrow import). */
export interface ArrowVectorLike {
  readonly length: number;
  readonly nullCount: number;
  readonly type: { readonly typeId: number };
  get(index: number): unknown;
  toArray(): unknown;
}

/**
 * A column the evaluator accepts: any numeric typed array (including `BigInt64Array` /
 * `BigUint64Array`, compared exactly), an array of strings (null = missing), numbers, booleans or
 * bigints, or an Arrow vector (nulls become NaN / missing strings).
 */
export type ExpressionColumn =
  | Float64Array
  | Float32Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint8ClampedArray
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | ArrowVectorLike
  | readonly unknown[];

/** Functions callable in expressions (element-wise, numeric; as pandas/numexpr allows). */
const FUNCTIONS: Readonly<Record<string, (x: number) => number>> = {
  abs: Math.abs,
  sqrt: Math.sqrt,
  exp: Math.exp,
  expm1: Math.expm1,
  log: Math.log,
  log10: Math.log10,
  log1p: Math.log1p,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  arcsin: Math.asin,
  arccos: Math.acos,
  arctan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  arcsinh: Math.asinh,
  arccosh: Math.acosh,
  arctanh: Math.atanh,
  floor: Math.floor,
  ceil: Math.ceil,
};
const BINARY_FUNCTIONS: Readonly<Record<string, (x: number, y: number) => number>> = {
  arctan2: Math.atan2,
};

// ---------------------------------------------------------------------------------------------
// Tokenizer

type TokenKind = "number" | "string" | "name" | "op" | "eof";
interface Token {
  readonly kind: TokenKind;
  /** Operator text, identifier, or decoded string. */
  readonly text: string;
  readonly value?: number | bigint;
  /** Backtick-quoted name (never a keyword). */
  readonly quoted?: boolean;
  readonly position: number;
}

const SOURCES = new WeakMap<Expression, string>();

function badExpression(source: string, position: number, what: string): FileDbError {
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

function tokenize(source: string): Token[] {
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
      const m = /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?(\.[\d_]*)?(?:[eE][+-]?\d+)?)/.exec(
        source.slice(i),
      )!;
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

// ---------------------------------------------------------------------------------------------
// Parser (recursive descent; precedence from lowest: or/|, and/&, not, comparisons, + -, * / // %,
// unary - + ~, **, primary)

/** Deepest nesting of parentheses, brackets, calls, `not`, unary signs and `**` (Python's parser stops at 200). */
const MAX_NESTING = 200;
/** Deepest expression tree (long `and`/`or`/arithmetic chains included) that formatting and evaluation accept. */
const MAX_TREE_DEPTH = 2000;

/** Depth of an expression tree, without recursion. */
function treeDepth(root: Expression): number {
  let max = 0;
  const stack: [Expression, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [e, d] = stack.pop()!;
    if (d > max) max = d;
    if (e.kind === "binary") stack.push([e.left, d + 1], [e.right, d + 1]);
    else if (e.kind === "unary") stack.push([e.operand, d + 1]);
    else if (e.kind === "list") for (const x of e.items) stack.push([x, d + 1]);
    else if (e.kind === "call") for (const x of e.args) stack.push([x, d + 1]);
  }
  return max;
}

class Parser {
  private index = 0;
  private nesting = 0;
  constructor(
    private readonly source: string,
    private readonly tokens: Token[],
  ) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)]!;
  }
  private next(): Token {
    return this.tokens[this.index++]!;
  }
  private isKeyword(token: Token, word: string): boolean {
    return token.kind === "name" && !token.quoted && token.text === word;
  }
  private isOp(token: Token, ...ops: string[]): boolean {
    return token.kind === "op" && ops.includes(token.text);
  }
  private describe(token: Token): string {
    if (token.kind === "eof") return "end of expression";
    if (token.kind === "string") return `string ${JSON.stringify(token.text)}`;
    return JSON.stringify(token.kind === "name" && token.quoted ? `\`${token.text}\`` : token.text);
  }
  private fail(token: Token, expected: string): never {
    throw badExpression(this.source, token.position, `expected ${expected}, found ${this.describe(token)}`);
  }
  /** Parse one nested level (bounded, so deep input is a coded error, not a stack overflow). */
  private nest<T>(token: Token, parse: () => T): T {
    if (++this.nesting > MAX_NESTING) throw badExpression(this.source, token.position, `nested more than ${MAX_NESTING} levels deep`);
    try {
      return parse();
    } finally {
      this.nesting--;
    }
  }

  parse(): Expression {
    if (this.peek().kind === "eof") this.fail(this.peek(), "an expression");
    const expr = this.parseOr();
    const t = this.peek();
    if (t.kind !== "eof") this.fail(t, "an operator or end of expression");
    if (treeDepth(expr) > MAX_TREE_DEPTH) {
      throw badExpression(this.source, 0, `more than ${MAX_TREE_DEPTH} nested operations (split the expression)`);
    }
    return expr;
  }

  private parseOr(): Expression {
    let left = this.parseAnd();
    while (this.isKeyword(this.peek(), "or") || this.isOp(this.peek(), "|")) {
      const t = this.next();
      const right = this.parseAnd();
      left = { kind: "binary", op: "or", left, right, position: t.position };
    }
    return left;
  }

  private parseAnd(): Expression {
    let left = this.parseNot();
    while (this.isKeyword(this.peek(), "and") || this.isOp(this.peek(), "&")) {
      const t = this.next();
      const right = this.parseNot();
      left = { kind: "binary", op: "and", left, right, position: t.position };
    }
    return left;
  }

  private parseNot(): Expression {
    const t = this.peek();
    if (this.isKeyword(t, "not")) {
      this.next();
      return { kind: "unary", op: "not", operand: this.nest(t, () => this.parseNot()), position: t.position };
    }
    return this.parseComparison();
  }

  private comparisonOperator(): BinaryOperator | undefined {
    const t = this.peek();
    if (this.isOp(t, "==", "!=", "<", "<=", ">", ">=")) return t.text as BinaryOperator;
    if (this.isKeyword(t, "in")) return "in";
    if (this.isKeyword(t, "not") && this.isKeyword(this.peek(1), "in")) return "not in";
    if (this.isKeyword(t, "is")) throw badExpression(this.source, t.position, '"is" is not supported; use "==" / "!="');
    return undefined;
  }

  private parseComparison(): Expression {
    const first = this.parseSum();
    let result: Expression | undefined;
    let left = first;
    for (;;) {
      const op = this.comparisonOperator();
      if (op === undefined) break;
      const t = this.next();
      if (op === "not in") this.next();
      const right = this.parseSum();
      const node: Expression = { kind: "binary", op, left, right, position: t.position };
      // Python chains comparisons: a < b < c means (a < b) and (b < c).
      result = result === undefined ? node : { kind: "binary", op: "and", left: result, right: node, position: t.position };
      left = right;
    }
    return result ?? first;
  }

  private parseSum(): Expression {
    let left = this.parseTerm();
    while (this.isOp(this.peek(), "+", "-")) {
      const t = this.next();
      const right = this.parseTerm();
      left = { kind: "binary", op: t.text as BinaryOperator, left, right, position: t.position };
    }
    return left;
  }

  private parseTerm(): Expression {
    let left = this.parseUnary();
    while (this.isOp(this.peek(), "*", "/", "//", "%")) {
      const t = this.next();
      const right = this.parseUnary();
      left = { kind: "binary", op: t.text as BinaryOperator, left, right, position: t.position };
    }
    return left;
  }

  private parseUnary(): Expression {
    const t = this.peek();
    if (this.isOp(t, "-", "+", "~")) {
      this.next();
      const operand = this.nest(t, () => this.parseUnary());
      if (t.text === "-" && operand.kind === "literal" && typeof operand.value === "number") {
        return { kind: "literal", value: -operand.value, position: t.position };
      }
      if (t.text === "-" && operand.kind === "literal" && typeof operand.value === "bigint") {
        const v = -operand.value;
        return { kind: "literal", value: v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v, position: t.position };
      }
      return { kind: "unary", op: t.text === "~" ? "not" : (t.text as UnaryOperator), operand, position: t.position };
    }
    return this.parsePower();
  }

  private parsePower(): Expression {
    const base = this.parsePrimary();
    if (this.isOp(this.peek(), "**")) {
      const t = this.next();
      const exponent = this.nest(t, () => this.parseUnary()); // right-associative; binds tighter than a unary minus on its left
      return { kind: "binary", op: "**", left: base, right: exponent, position: t.position };
    }
    return base;
  }

  private parseItems(close: string): Expression[] {
    const items: Expression[] = [];
    while (!this.isOp(this.peek(), close)) {
      items.push(this.parseOr());
      if (this.isOp(this.peek(), ",")) {
        this.next();
        continue;
      }
      if (!this.isOp(this.peek(), close)) this.fail(this.peek(), `"," or "${close}"`);
    }
    this.next();
    return items;
  }

  private parsePrimary(): Expression {
    const t = this.next();
    switch (t.kind) {
      case "number":
        return { kind: "literal", value: t.value!, position: t.position };
      case "string": {
        // Python concatenates adjacent string literals.
        let text = t.text;
        while (this.peek().kind === "string") text += this.next().text;
        return { kind: "literal", value: text, position: t.position };
      }
      case "name": {
        if (!t.quoted) {
          if (t.text === "True") return { kind: "literal", value: true, position: t.position };
          if (t.text === "False") return { kind: "literal", value: false, position: t.position };
          if (["and", "or", "not", "in", "is", "None"].includes(t.text)) this.fail(t, "a value");
          if (this.isOp(this.peek(), "(")) {
            if (!(t.text in FUNCTIONS) && !(t.text in BINARY_FUNCTIONS)) {
              throw badExpression(
                this.source,
                t.position,
                `unknown function ${JSON.stringify(t.text)} (known: ${[...Object.keys(FUNCTIONS), ...Object.keys(BINARY_FUNCTIONS)].join(", ")})`,
              );
            }
            this.next();
            const args = this.nest(t, () => this.parseItems(")"));
            const want = t.text in FUNCTIONS ? 1 : 2;
            if (args.length !== want) {
              throw badExpression(this.source, t.position, `${t.text}() takes ${want} argument(s), got ${args.length}`);
            }
            return { kind: "call", name: t.text, args, position: t.position };
          }
        }
        return { kind: "column", name: t.text, position: t.position };
      }
      case "op":
        if (t.text === "(") {
          const items = this.nest(t, () => this.parseItems(")"));
          if (items.length === 0) this.fail(t, "an expression inside ()");
          // (a) is grouping; (a, b) and (a,) are tuples (lists), as in Python.
          const hadComma = this.tokens[this.index - 2]!.text === "," || items.length > 1;
          if (items.length === 1 && !hadComma) return items[0]!;
          return { kind: "list", items, position: t.position };
        }
        if (t.text === "[") return { kind: "list", items: this.nest(t, () => this.parseItems("]")), position: t.position };
        return this.fail(t, "a value");
      default:
        return this.fail(t, "a value");
    }
  }
}

/**
 * Parse a pandas-query style expression.
 *
 * Grammar (lowest precedence first): `or` / `|`; `and` / `&`; `not`; comparisons `== != < <= > >=`,
 * `in`, `not in` (chained as in Python); `+ -`; `* / // %`; unary `- + ~` (`~` = logical not);
 * `**`; primaries: numbers (`1`, `2.5e3`, `0x1f`, `1_000`; integers beyond 2^53 stay bigint),
 * strings (`'…'`/`"…"` with backslash escapes), `True`/`False`, column names (identifiers or
 * `` `any text` ``), `[a, b]` / `(a, b)` lists, `(expr)`, and element-wise functions
 * (`abs`, `sqrt`, `log`, `log10`, `exp`, `sin`, `cos`, …, `arctan2(y, x)`).
 *
 * @throws FileDbError `FILEDB_BAD_EXPRESSION` with `position` (0-based character offset) and `source`.
 */
export function parseExpression(text: string): Expression {
  if (typeof text !== "string") throw new TypeError("parseExpression: text must be a string");
  const expr = new Parser(text, tokenize(text)).parse();
  SOURCES.set(expr, text);
  return expr;
}

/** Column names referenced by an expression, unique, in order of first appearance. */
export function expressionColumns(expr: Expression): string[] {
  const seen = new Set<string>();
  const walk = (e: Expression): void => {
    switch (e.kind) {
      case "column":
        seen.add(e.name);
        break;
      case "list":
        e.items.forEach(walk);
        break;
      case "unary":
        walk(e.operand);
        break;
      case "binary":
        walk(e.left);
        walk(e.right);
        break;
      case "call":
        e.args.forEach(walk);
        break;
      case "literal":
        break;
    }
  };
  walk(expr);
  return [...seen];
}

const PRECEDENCE: Record<BinaryOperator, number> = {
  or: 1,
  and: 2,
  "==": 4,
  "!=": 4,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  in: 4,
  "not in": 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
  "//": 6,
  "%": 6,
  "**": 8,
};

/** Print an expression back as text (normalised: `&` → `and`, minimal parentheses, `'` strings). */
export function formatExpression(expr: Expression): string {
  const fmt = (e: Expression, parent: number): string => {
    switch (e.kind) {
      case "literal":
        if (typeof e.value === "string") return `'${e.value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
        if (typeof e.value === "boolean") return e.value ? "True" : "False";
        return String(e.value);
      case "column":
        return /^[\p{L}_][\p{L}\p{N}_]*$/u.test(e.name) && !["and", "or", "not", "in", "is", "True", "False", "None"].includes(e.name)
          ? e.name
          : `\`${e.name}\``;
      case "list":
        return `[${e.items.map((x) => fmt(x, 0)).join(", ")}]`;
      case "call":
        return `${e.name}(${e.args.map((x) => fmt(x, 0)).join(", ")})`;
      case "unary": {
        const own = e.op === "not" ? 3 : 7;
        const text = e.op === "not" ? `not ${fmt(e.operand, own)}` : `${e.op}${fmt(e.operand, own)}`;
        return own < parent ? `(${text})` : text;
      }
      case "binary": {
        const own = PRECEDENCE[e.op];
        // Comparisons do not associate (they chain), so parenthesise nested ones on both sides.
        const leftLevel = own === 4 || own === 8 ? own + 1 : own;
        const rightLevel = own === 8 ? own : own + 1;
        const text = `${fmt(e.left, leftLevel)} ${e.op} ${fmt(e.right, rightLevel)}`;
        return own < parent ? `(${text})` : text;
      }
    }
  };
  return fmt(expr, 0);
}

// ---------------------------------------------------------------------------------------------
// Evaluation

type Scalar = number | bigint | string | boolean | null;
type NumArray = ArrayLike<number>;
type Value =
  | { readonly k: "scalar"; readonly v: Scalar }
  | { readonly k: "num"; readonly a: NumArray } // numbers (typed arrays or number[]); masks are Uint8Array 0/1
  | { readonly k: "big"; readonly a: BigInt64Array | BigUint64Array }
  | { readonly k: "str"; readonly a: ArrayLike<string | null> }
  | { readonly k: "other"; readonly a: ArrayLike<unknown> }
  | { readonly k: "list"; readonly items: Scalar[] };

// Arrow Type ids (stable enum values of apache-arrow's `Type`).
const ARROW_UTF8 = 5;
const ARROW_LARGE_UTF8 = 20;
const ARROW_BOOL = 6;
const ARROW_INT = 2;
const ARROW_FLOAT = 3;

function isArrowVector(x: unknown): x is ArrowVectorLike {
  return (
    typeof x === "object" &&
    x !== null &&
    !Array.isArray(x) &&
    !ArrayBuffer.isView(x) &&
    typeof (x as ArrowVectorLike).get === "function" &&
    typeof (x as ArrowVectorLike).toArray === "function" &&
    typeof (x as ArrowVectorLike).type === "object"
  );
}

function classifyArray(a: ArrayLike<unknown>): Value {
  let numbers = 0;
  let strings = 0;
  let booleans = 0;
  let bigints = 0;
  let nulls = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (v === null || v === undefined) nulls++;
    else if (typeof v === "number") numbers++;
    else if (typeof v === "string") strings++;
    else if (typeof v === "boolean") booleans++;
    else if (typeof v === "bigint") bigints++;
    else return { k: "other", a };
  }
  const n = a.length - nulls;
  if (n === 0 && nulls > 0) return { k: "other", a };
  if (strings === n) return { k: "str", a: a as ArrayLike<string | null> };
  if (numbers === n) {
    if (nulls === 0) return { k: "num", a: a as NumArray };
    return { k: "num", a: Float64Array.from(a as ArrayLike<number | null>, (v) => (v == null ? Number.NaN : v)) };
  }
  if (booleans === n) return { k: "num", a: Uint8Array.from(a as ArrayLike<boolean | null>, (v) => (v ? 1 : 0)) };
  if (bigints === n && nulls === 0) return { k: "big", a: BigInt64Array.from(a as ArrayLike<bigint>) };
  if (numbers + bigints === n) {
    return { k: "num", a: Float64Array.from(a as ArrayLike<number | bigint | null>, (v) => (v == null ? Number.NaN : Number(v))) };
  }
  return { k: "other", a };
}

function columnValue(column: ExpressionColumn, name: string, length: number, source: string, position: number): Value {
  if (column.length !== length) {
    throw new FileDbError(
      "FILEDB_BAD_EXPRESSION",
      `filedb: expression ${JSON.stringify(source)}: column ${JSON.stringify(name)} has ${column.length} rows, expected ${length}`,
      { position, source, column: name },
    );
  }
  if (column instanceof BigInt64Array || column instanceof BigUint64Array) return { k: "big", a: column };
  if (ArrayBuffer.isView(column)) return { k: "num", a: column as unknown as NumArray };
  if (Array.isArray(column)) return classifyArray(column);
  if (isArrowVector(column)) {
    const typeId = column.type.typeId;
    const get = (i: number) => column.get(i);
    if (typeId === ARROW_UTF8 || typeId === ARROW_LARGE_UTF8) {
      const out = new Array<string | null>(length);
      for (let i = 0; i < length; i++) out[i] = get(i) as string | null;
      return { k: "str", a: out };
    }
    if (typeId === ARROW_BOOL) {
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = get(i) ? 1 : 0;
      return { k: "num", a: out };
    }
    if ((typeId === ARROW_INT || typeId === ARROW_FLOAT) && column.nullCount === 0) {
      const arr = column.toArray();
      if (arr instanceof BigInt64Array || arr instanceof BigUint64Array) return { k: "big", a: arr };
      if (ArrayBuffer.isView(arr)) return { k: "num", a: arr as unknown as NumArray };
    }
    const out = new Array<unknown>(length);
    for (let i = 0; i < length; i++) out[i] = get(i);
    return classifyArray(out);
  }
  throw new TypeError(`evaluateExpression: column ${JSON.stringify(name)} is not an array, typed array or Arrow vector`);
}

interface EvalContext {
  readonly source: string;
  readonly length: number;
  readonly getColumn: (name: string) => ExpressionColumn | undefined;
  readonly cache: Map<string, Value>;
}

function evalError(ctx: EvalContext, position: number, what: string): FileDbError {
  return new FileDbError("FILEDB_BAD_EXPRESSION", `filedb: cannot evaluate expression ${JSON.stringify(ctx.source)} at position ${position}: ${what}`, {
    position,
    source: ctx.source,
  });
}

function scalarOf(v: Value): Scalar | undefined {
  return v.k === "scalar" ? v.v : undefined;
}

function numScalar(s: number | bigint | boolean): number | bigint {
  return typeof s === "boolean" ? (s ? 1 : 0) : s;
}

function describeValue(v: Value): string {
  switch (v.k) {
    case "scalar":
      return v.v === null ? "None" : typeof v.v === "string" ? "a string" : typeof v.v === "boolean" ? "a boolean" : "a number";
    case "num":
    case "big":
      return "a numeric column";
    case "str":
      return "a string column";
    case "list":
      return "a list";
    default:
      return "a column of mixed values";
  }
}

/** Element accessor returning a comparable primitive (number, bigint, string or null). */
function accessor(v: Value): (i: number) => Scalar | unknown {
  switch (v.k) {
    case "scalar": {
      const s = typeof v.v === "boolean" ? (v.v ? 1 : 0) : v.v;
      return () => s;
    }
    case "num":
    case "big":
    case "str":
    case "other": {
      const a = v.a as ArrayLike<unknown>;
      return (i) => {
        const x = a[i];
        return typeof x === "boolean" ? (x ? 1 : 0) : x;
      };
    }
    case "list":
      throw new TypeError("unreachable: list accessor");
  }
}

type Kind = "numeric" | "string" | "null" | "other";
function kindOf(v: Value): Kind {
  if (v.k === "num" || v.k === "big") return "numeric";
  if (v.k === "str") return "string";
  if (v.k === "scalar") return v.v === null ? "null" : typeof v.v === "string" ? "string" : "numeric";
  return "other";
}

function looseEqual(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return false;
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === "number" || ta === "bigint") && (tb === "number" || tb === "bigint")) {
    // biome-ignore lint/suspicious/noDoubleEquals: exact number/bigint equality (1n == 1)
    return a == b;
  }
  return a === b;
}

function orderCompare(op: BinaryOperator, a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return false;
  const x = a as number;
  const y = b as number;
  switch (op) {
    case "<":
      return x < y;
    case "<=":
      return x <= y;
    case ">":
      return x > y;
    default:
      return x >= y;
  }
}

function numericFastCompare(op: BinaryOperator, a: NumArray, b: number | NumArray, n: number): Uint8Array {
  const out = new Uint8Array(n);
  if (typeof b === "number") {
    switch (op) {
      case "==":
        for (let i = 0; i < n; i++) out[i] = a[i]! === b ? 1 : 0;
        break;
      case "!=":
        for (let i = 0; i < n; i++) out[i] = a[i]! !== b ? 1 : 0;
        break;
      case "<":
        for (let i = 0; i < n; i++) out[i] = a[i]! < b ? 1 : 0;
        break;
      case "<=":
        for (let i = 0; i < n; i++) out[i] = a[i]! <= b ? 1 : 0;
        break;
      case ">":
        for (let i = 0; i < n; i++) out[i] = a[i]! > b ? 1 : 0;
        break;
      default:
        for (let i = 0; i < n; i++) out[i] = a[i]! >= b ? 1 : 0;
    }
    return out;
  }
  switch (op) {
    case "==":
      for (let i = 0; i < n; i++) out[i] = a[i]! === b[i]! ? 1 : 0;
      break;
    case "!=":
      for (let i = 0; i < n; i++) out[i] = a[i]! !== b[i]! ? 1 : 0;
      break;
    case "<":
      for (let i = 0; i < n; i++) out[i] = a[i]! < b[i]! ? 1 : 0;
      break;
    case "<=":
      for (let i = 0; i < n; i++) out[i] = a[i]! <= b[i]! ? 1 : 0;
      break;
    case ">":
      for (let i = 0; i < n; i++) out[i] = a[i]! > b[i]! ? 1 : 0;
      break;
    default:
      for (let i = 0; i < n; i++) out[i] = a[i]! >= b[i]! ? 1 : 0;
  }
  return out;
}

function compareValues(ctx: EvalContext, op: BinaryOperator, l: Value, r: Value, position: number): Value {
  if (l.k === "list" || r.k === "list") throw evalError(ctx, position, `cannot compare ${describeValue(l)} with ${describeValue(r)} using ${op}; use "in"`);
  const kl = kindOf(l);
  const kr = kindOf(r);
  const ordering = op !== "==" && op !== "!=";
  if (ordering && kl !== "other" && kr !== "other" && kl !== "null" && kr !== "null" && kl !== kr) {
    throw evalError(ctx, position, `cannot order ${describeValue(l)} against ${describeValue(r)} with ${op}`);
  }
  const ls = scalarOf(l);
  const rs = scalarOf(r);
  if (l.k === "scalar" && r.k === "scalar") {
    const a = accessor(l)(0);
    const b = accessor(r)(0);
    const res = op === "==" ? looseEqual(a, b) : op === "!=" ? !looseEqual(a, b) : orderCompare(op, a, b);
    return { k: "scalar", v: res };
  }
  const n = ctx.length;
  // Different kinds (string vs number): never equal, as in pandas.
  if (!ordering && kl !== kr && kl !== "other" && kr !== "other") {
    return { k: "num", a: new Uint8Array(n).fill(op === "!=" ? 1 : 0) };
  }
  if (l.k === "num" && (typeof rs === "number" || typeof rs === "boolean")) return { k: "num", a: numericFastCompare(op, l.a, Number(rs), n) };
  if (r.k === "num" && (typeof ls === "number" || typeof ls === "boolean")) {
    return { k: "num", a: numericFastCompare(mirror(op), r.a, Number(ls), n) };
  }
  if (l.k === "num" && r.k === "num") return { k: "num", a: numericFastCompare(op, l.a, r.a, n) };
  const get = accessor(l);
  const getR = accessor(r);
  const out = new Uint8Array(n);
  if (op === "==") for (let i = 0; i < n; i++) out[i] = looseEqual(get(i), getR(i)) ? 1 : 0;
  else if (op === "!=") for (let i = 0; i < n; i++) out[i] = looseEqual(get(i), getR(i)) ? 0 : 1;
  else {
    for (let i = 0; i < n; i++) {
      const a = get(i);
      const b = getR(i);
      if (a != null && b != null) {
        const ta = typeof a === "string";
        if (ta !== (typeof b === "string")) throw evalError(ctx, position, `cannot order a string against a number with ${op} (row ${i})`);
      }
      out[i] = orderCompare(op, a, b) ? 1 : 0;
    }
  }
  return { k: "num", a: out };
}

function mirror(op: BinaryOperator): BinaryOperator {
  switch (op) {
    case "<":
      return ">";
    case "<=":
      return ">=";
    case ">":
      return "<";
    case ">=":
      return "<=";
    default:
      return op;
  }
}

function membership(ctx: EvalContext, negated: boolean, l: Value, r: Value, position: number): Value {
  let items: Iterable<unknown>;
  if (r.k === "list") items = r.items;
  else if (r.k === "scalar") items = [r.v];
  else items = Array.from(r.a as ArrayLike<unknown>);
  const numbers = new Set<number>();
  const bigints = new Set<bigint>();
  const strings = new Set<string>();
  for (const item of items) {
    if (typeof item === "number") numbers.add(item);
    else if (typeof item === "boolean") numbers.add(item ? 1 : 0);
    else if (typeof item === "string") strings.add(item);
    else if (typeof item === "bigint") {
      if (item >= BigInt(Number.MIN_SAFE_INTEGER) && item <= BigInt(Number.MAX_SAFE_INTEGER)) numbers.add(Number(item));
      else bigints.add(item);
    } else if (item !== null && item !== undefined) {
      throw evalError(ctx, position, `"in" needs a list of numbers or strings`);
    }
  }
  const test = (x: unknown): boolean => {
    if (typeof x === "number") return numbers.has(x);
    if (typeof x === "string") return strings.has(x);
    if (typeof x === "boolean") return numbers.has(x ? 1 : 0);
    if (typeof x === "bigint") return bigints.has(x) || (x >= BigInt(Number.MIN_SAFE_INTEGER) && x <= BigInt(Number.MAX_SAFE_INTEGER) && numbers.has(Number(x)));
    return false;
  };
  if (l.k === "list") throw evalError(ctx, position, `the left side of "in" must be a value or a column, not a list`);
  if (l.k === "scalar") return { k: "scalar", v: test(l.v) !== negated };
  const n = ctx.length;
  const out = new Uint8Array(n);
  const yes = negated ? 0 : 1;
  const no = 1 - yes;
  if (l.k === "num") {
    const a = l.a;
    for (let i = 0; i < n; i++) out[i] = numbers.has(a[i]!) ? yes : no;
  } else {
    const a = l.a as ArrayLike<unknown>;
    for (let i = 0; i < n; i++) out[i] = test(a[i]) ? yes : no;
  }
  return { k: "num", a: out };
}

function toMask(ctx: EvalContext, v: Value, position: number): Uint8Array | boolean {
  switch (v.k) {
    case "scalar":
      if (v.v === null) return false;
      if (typeof v.v === "string") throw evalError(ctx, position, `a string is not a condition`);
      return typeof v.v === "bigint" ? v.v !== 0n : Boolean(v.v);
    case "num": {
      if (v.a instanceof Uint8Array) {
        let isMask = true;
        for (let i = 0; i < v.a.length; i++) {
          if (v.a[i]! > 1) {
            isMask = false;
            break;
          }
        }
        if (isMask) return v.a;
      }
      const out = new Uint8Array(ctx.length);
      // NaN is truthy, as bool(nan) in numpy/Python.
      for (let i = 0; i < ctx.length; i++) out[i] = v.a[i]! !== 0 ? 1 : 0;
      return out;
    }
    case "big": {
      const out = new Uint8Array(ctx.length);
      for (let i = 0; i < ctx.length; i++) out[i] = v.a[i]! !== 0n ? 1 : 0;
      return out;
    }
    case "str":
      throw evalError(ctx, position, `a string column is not a condition; compare it, e.g. col == 'value'`);
    case "list":
      throw evalError(ctx, position, `a list is not a condition`);
    case "other": {
      const out = new Uint8Array(ctx.length);
      for (let i = 0; i < ctx.length; i++) {
        const x = v.a[i];
        if (typeof x === "string") throw evalError(ctx, position, `a string column is not a condition`);
        out[i] = x ? 1 : 0;
      }
      return out;
    }
  }
}

function logical(ctx: EvalContext, op: "and" | "or", l: Value, r: Value, position: number): Value {
  const a = toMask(ctx, l, position);
  const b = toMask(ctx, r, position);
  if (typeof a === "boolean" && typeof b === "boolean") return { k: "scalar", v: op === "and" ? a && b : a || b };
  const n = ctx.length;
  if (typeof a === "boolean" || typeof b === "boolean") {
    const s = (typeof a === "boolean" ? a : b) as boolean;
    const m = (typeof a === "boolean" ? b : a) as Uint8Array;
    if (op === "and") return { k: "num", a: s ? m : new Uint8Array(n) };
    return { k: "num", a: s ? new Uint8Array(n).fill(1) : m };
  }
  const out = new Uint8Array(n);
  if (op === "and") for (let i = 0; i < n; i++) out[i] = a[i]! & b[i]!;
  else for (let i = 0; i < n; i++) out[i] = a[i]! | b[i]!;
  return { k: "num", a: out };
}

function isIntegral(v: Value): boolean {
  return v.k === "big" || (v.k === "scalar" && (typeof v.v === "bigint" || (typeof v.v === "number" && Number.isInteger(v.v))));
}

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}
function pyMod(a: number, b: number): number {
  const m = a % b;
  return m !== 0 && m < 0 !== b < 0 ? m + b : m;
}

function arithmetic(ctx: EvalContext, op: BinaryOperator, l: Value, r: Value, position: number): Value {
  for (const v of [l, r]) {
    const k = kindOf(v);
    if (k !== "numeric") throw evalError(ctx, position, `${op} needs numbers, got ${describeValue(v)}`);
  }
  const n = ctx.length;
  // Exact 64-bit integer arithmetic when a bigint column meets integers (+ - * // %).
  const bigCapable = op === "+" || op === "-" || op === "*" || op === "//" || op === "%";
  if ((l.k === "big" || r.k === "big") && bigCapable && isIntegral(l) && isIntegral(r)) {
    const get = (v: Value): ((i: number) => bigint) => {
      if (v.k === "big") return (i) => BigInt(v.a[i]!);
      const s = BigInt(v.k === "scalar" ? (v.v as number | bigint) : 0);
      return () => s;
    };
    const ga = get(l);
    const gb = get(r);
    const out = new BigInt64Array(n);
    let zeroDivisor = false;
    for (let i = 0; i < n && !zeroDivisor; i++) {
      const a = ga(i);
      const b = gb(i);
      switch (op) {
        case "+":
          out[i] = a + b;
          break;
        case "-":
          out[i] = a - b;
          break;
        case "*":
          out[i] = a * b;
          break;
        default: {
          if (b === 0n) {
            zeroDivisor = true;
            break;
          }
          let q = a / b;
          if (a % b !== 0n && a < 0n !== b < 0n) q -= 1n;
          out[i] = op === "//" ? q : a - q * b;
        }
      }
    }
    if (!zeroDivisor) return { k: "big", a: out };
  }
  const numGet = (v: Value): ((i: number) => number) => {
    if (v.k === "scalar") {
      const s = Number(numScalar(v.v as number | bigint | boolean));
      return () => s;
    }
    if (v.k === "big") return (i) => Number(v.a[i]!);
    const a = (v as { a: NumArray }).a;
    return (i) => a[i]!;
  };
  const fn: (a: number, b: number) => number =
    op === "+"
      ? (a, b) => a + b
      : op === "-"
        ? (a, b) => a - b
        : op === "*"
          ? (a, b) => a * b
          : op === "/"
            ? (a, b) => a / b
            : op === "//"
              ? floorDiv
              : op === "%"
                ? pyMod
                : (a, b) => a ** b;
  if (l.k === "scalar" && r.k === "scalar") return { k: "scalar", v: fn(numGet(l)(0), numGet(r)(0)) };
  const ga = numGet(l);
  const gb = numGet(r);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = fn(ga(i), gb(i));
  return { k: "num", a: out };
}

function evaluate(ctx: EvalContext, e: Expression): Value {
  switch (e.kind) {
    case "literal":
      return { k: "scalar", v: e.value };
    case "column": {
      const cached = ctx.cache.get(e.name);
      if (cached) return cached;
      const column = ctx.getColumn(e.name);
      if (column === undefined || column === null) {
        throw new FileDbError(
          "FILEDB_UNKNOWN_COLUMN",
          `filedb: expression ${JSON.stringify(ctx.source)} names unknown column ${JSON.stringify(e.name)} at position ${e.position}`,
          { position: e.position, source: ctx.source, column: e.name },
        );
      }
      const v = columnValue(column, e.name, ctx.length, ctx.source, e.position);
      ctx.cache.set(e.name, v);
      return v;
    }
    case "list": {
      const items: Scalar[] = [];
      for (const item of e.items) {
        const v = evaluate(ctx, item);
        if (v.k !== "scalar") throw evalError(ctx, item.position, `list items must be literal values`);
        items.push(v.v);
      }
      return { k: "list", items };
    }
    case "unary": {
      const v = evaluate(ctx, e.operand);
      if (e.op === "not") {
        const m = toMask(ctx, v, e.operand.position);
        if (typeof m === "boolean") return { k: "scalar", v: !m };
        const out = new Uint8Array(ctx.length);
        for (let i = 0; i < ctx.length; i++) out[i] = m[i]! ^ 1;
        return { k: "num", a: out };
      }
      if (kindOf(v) !== "numeric") throw evalError(ctx, e.position, `unary ${e.op} needs a number, got ${describeValue(v)}`);
      if (e.op === "+") return v;
      if (v.k === "scalar") {
        const s = numScalar(v.v as number | bigint | boolean);
        return { k: "scalar", v: -s };
      }
      if (v.k === "big") {
        const out = new BigInt64Array(ctx.length);
        for (let i = 0; i < ctx.length; i++) out[i] = -BigInt(v.a[i]!);
        return { k: "big", a: out };
      }
      const a = (v as { a: NumArray }).a;
      const out = new Float64Array(ctx.length);
      for (let i = 0; i < ctx.length; i++) out[i] = -a[i]!;
      return { k: "num", a: out };
    }
    case "binary": {
      const l = evaluate(ctx, e.left);
      const r = evaluate(ctx, e.right);
      switch (e.op) {
        case "and":
        case "or":
          return logical(ctx, e.op, l, r, e.position);
        case "in":
        case "not in":
          return membership(ctx, e.op === "not in", l, r, e.position);
        case "==":
        case "!=":
        case "<":
        case "<=":
        case ">":
        case ">=":
          return compareValues(ctx, e.op, l, r, e.position);
        default:
          return arithmetic(ctx, e.op, l, r, e.position);
      }
    }
    case "call": {
      const args = e.args.map((a) => evaluate(ctx, a));
      for (const v of args) if (kindOf(v) !== "numeric") throw evalError(ctx, e.position, `${e.name}() needs numbers, got ${describeValue(v)}`);
      const getters = args.map((v): ((i: number) => number) => {
        if (v.k === "scalar") {
          const s = Number(numScalar(v.v as number | bigint | boolean));
          return () => s;
        }
        const a = (v as { a: ArrayLike<number | bigint> }).a;
        return (i) => Number(a[i]!);
      });
      const unary = FUNCTIONS[e.name];
      const binary = BINARY_FUNCTIONS[e.name]!;
      const g0 = getters[0]!;
      const g1 = getters[1];
      const apply = unary ? (i: number) => unary(g0(i)) : (i: number) => binary(g0(i), g1!(i));
      if (args.every((v) => v.k === "scalar")) return { k: "scalar", v: apply(0) };
      const out = new Float64Array(ctx.length);
      for (let i = 0; i < ctx.length; i++) out[i] = apply(i);
      return { k: "num", a: out };
    }
  }
}

/**
 * Evaluate a parsed expression column-wise over `length` rows.
 *
 * `getColumn(name)` returns the column for a name, or `undefined` if there is none; each column is
 * fetched once. Numbers compare as in numpy (NaN compares false, `!=` true); `BigInt64Array`
 * columns compare exactly against integer literals of any size; strings compare with strings
 * (UTF-16 order for `<`), and a string never equals a number (`==` false, `!=` true; ordering them
 * is an error). Booleans are 0/1. Missing values (null) compare false (`!=` true). `and`/`or`/`not`
 * use truthiness (non-zero; NaN is true). Arithmetic on `BigInt64Array` with integers stays exact;
 * otherwise it is float64.
 *
 * @returns a mask: `Uint8Array` of `length` entries, 1 where the expression is true.
 * @throws FileDbError `FILEDB_UNKNOWN_COLUMN` (with `column` and `position`) for an unknown name,
 *   `FILEDB_BAD_EXPRESSION` (with `position`) for type errors (ordering strings against numbers,
 *   arithmetic on strings, a string used as a condition, a column of the wrong length).
 */
export function evaluateExpression(
  expr: Expression,
  getColumn: (name: string) => ExpressionColumn | undefined,
  length: number,
): Uint8Array {
  if (!Number.isInteger(length) || length < 0) throw new TypeError(`evaluateExpression: length must be a non-negative integer, got ${length}`);
  const ctx: EvalContext = { source: SOURCES.get(expr) ?? formatExpression(expr), length, getColumn, cache: new Map() };
  const result = evaluate(ctx, expr);
  const mask = toMask(ctx, result, expr.position);
  if (typeof mask === "boolean") return new Uint8Array(length).fill(mask ? 1 : 0);
  // Never hand out a caller's own column as the mask.
  return result.k === "num" && result.a === mask && ctx.cache.size > 0 && [...ctx.cache.values()].some((v) => v.k === "num" && v.a === mask)
    ? mask.slice()
    : mask;
}
