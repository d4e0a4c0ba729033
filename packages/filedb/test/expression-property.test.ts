import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Expression, evaluateExpression, formatExpression, parseExpression } from "../src/index.js";

const N = 16;
const COLUMNS = ["a", "b", "c"] as const;

/** Random expression trees over numeric columns a, b, c and small integer literals. */
const value: fc.Arbitrary<Expression> = fc.letrec<{ num: Expression; cond: Expression }>((tie) => ({
  num: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(...COLUMNS).map((name): Expression => ({ kind: "column", name, position: 0 })),
    fc.integer({ min: -5, max: 5 }).map((value): Expression => ({ kind: "literal", value, position: 0 })),
    fc
      .tuple(fc.constantFrom("+", "-", "*" as const), tie("num"), tie("num"))
      .map(([op, left, right]): Expression => ({ kind: "binary", op, left, right, position: 0 })),
  ),
  cond: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc
      .tuple(fc.constantFrom("==", "!=", "<", "<=", ">", ">=" as const), tie("num"), tie("num"))
      .map(([op, left, right]): Expression => ({ kind: "binary", op, left, right, position: 0 })),
    fc.tuple(tie("num"), fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 4 }), fc.boolean()).map(
      ([left, items, negated]): Expression => ({
        kind: "binary",
        op: negated ? "not in" : "in",
        left,
        right: { kind: "list", items: items.map((v) => ({ kind: "literal", value: v, position: 0 })), position: 0 },
        position: 0,
      }),
    ),
    fc
      .tuple(fc.constantFrom("and", "or" as const), tie("cond"), tie("cond"))
      .map(([op, left, right]): Expression => ({ kind: "binary", op, left, right, position: 0 })),
    tie("cond").map((operand): Expression => ({ kind: "unary", op: "not", operand, position: 0 })),
  ),
})).cond;

/** A row-at-a-time reference evaluator (plain JS semantics for these integer-only trees). */
function oracle(e: Expression, row: Record<string, number>): number | boolean {
  switch (e.kind) {
    case "literal":
      return e.value as number;
    case "column":
      return row[e.name]!;
    case "unary":
      return !oracle(e.operand, row);
    case "list":
      throw new Error("list outside in");
    case "call":
      throw new Error("no calls generated");
    case "binary": {
      if (e.op === "in" || e.op === "not in") {
        const v = oracle(e.left, row);
        const hit = (e.right as Extract<Expression, { kind: "list" }>).items.some((x) => (x as { value: number }).value === v);
        return e.op === "in" ? hit : !hit;
      }
      const l = oracle(e.left, row) as number;
      const r = oracle(e.right, row) as number;
      switch (e.op) {
        case "and":
          return Boolean(l) && Boolean(r);
        case "or":
          return Boolean(l) || Boolean(r);
        case "==":
          return l === r;
        case "!=":
          return l !== r;
        case "<":
          return l < r;
        case "<=":
          return l <= r;
        case ">":
          return l > r;
        case ">=":
          return l >= r;
        case "+":
          return l + r;
        case "-":
          return l - r;
        case "*":
          return l * r;
        default:
          throw new Error(`unexpected ${e.op}`);
      }
    }
  }
}

describe("expression properties", () => {
  it("format → parse → format is stable, and the column-wise result equals a row-wise oracle", () => {
    fc.assert(
      fc.property(value, fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 3 * N, maxLength: 3 * N }), (expr, data) => {
        const text = formatExpression(expr);
        const parsed = parseExpression(text);
        expect(formatExpression(parsed)).toBe(text);
        const cols: Record<string, Float64Array> = {
          a: Float64Array.from(data.slice(0, N)),
          b: Float64Array.from(data.slice(N, 2 * N)),
          c: Float64Array.from(data.slice(2 * N)),
        };
        const mask = evaluateExpression(parsed, (name) => cols[name], N);
        for (let i = 0; i < N; i++) {
          const row = { a: cols.a![i]!, b: cols.b![i]!, c: cols.c![i]! };
          expect(mask[i], `${text} at row ${i}`).toBe(oracle(expr, row) ? 1 : 0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("mixes typed array kinds and BigInt64Array exactly like numbers", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 8, maxLength: 8 }),
        fc.integer({ min: -1000, max: 1000 }),
        (xs, k) => {
          const asF64 = Float64Array.from(xs);
          const asI32 = Int32Array.from(xs);
          const asBig = BigInt64Array.from(xs, (x) => BigInt(x));
          for (const op of ["==", "!=", "<", "<=", ">", ">="]) {
            const e = parseExpression(`x ${op} ${k} and y ${op} ${k}`);
            const ref = evaluateExpression(e, (n) => (n === "x" ? asF64 : asF64), 8);
            expect(evaluateExpression(e, (n) => (n === "x" ? asI32 : asBig), 8)).toEqual(ref);
          }
        },
      ),
    );
  });
});
