/**
 * The pandas-query expression language used by FileDB queries (`set_files`) and DataLoader cuts.
 *
 * A real tokenizer and a recursive-descent parser produce an {@link Expression} tree; the tree is
 * evaluated column-wise over typed arrays (never one object per row). Semantics follow
 * `pandas.DataFrame.query(expr, engine="python")` with the default `parser="pandas"`:
 * `&`/`|` have the precedence of `and`/`or`, `~` is logical NOT, comparisons chain like Python's.
 */
export type { ArrowVectorLike, BinaryOperator, Expression, ExpressionColumn, LiteralValue, UnaryOperator } from "./expression/ast.js";
export { expressionColumns } from "./expression/ast.js";
export { evaluateExpression } from "./expression/evaluate.js";
export { formatExpression } from "./expression/format.js";
export { parseExpression } from "./expression/parse.js";
