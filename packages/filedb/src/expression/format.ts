/** Printing an expression tree back as text. */
import type { BinaryOperator, Expression } from "./ast.js";

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
