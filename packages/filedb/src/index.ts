export { FileDbError } from "./errors.js";
export type { FileDbErrorCode, FileDbErrorContext } from "./errors.js";
export { evaluateExpression, expressionColumns, formatExpression, parseExpression } from "./expression.js";
export type {
  ArrowVectorLike,
  BinaryOperator,
  Expression,
  ExpressionColumn,
  LiteralValue,
  UnaryOperator,
} from "./expression.js";
