/** The expression tree of the FileDB query language, and what evaluation reads columns as. */

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
