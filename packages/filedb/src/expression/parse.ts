/**
 * Parser of the FileDB query language (recursive descent; precedence from lowest: or/|, and/&, not,
 * comparisons, + -, * / // %, unary - + ~, **, primary).
 */
import type { BinaryOperator, Expression, UnaryOperator } from "./ast.js";
import { BINARY_FUNCTIONS, FUNCTIONS } from "./functions.js";
import { badExpression, type Token, tokenize } from "./tokenize.js";

/** The text each parsed tree came from (error messages of the evaluator quote it). */
const SOURCES = new WeakMap<Expression, string>();

/** The text `expr` was parsed from, if it came from {@link parseExpression}. */
export function expressionSource(expr: Expression): string | undefined {
  return SOURCES.get(expr);
}

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
