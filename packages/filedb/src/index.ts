// @daqkit/filedb: the platform-neutral FileDB (no Node built-in of its own; Node's path-based API is in
// @daqkit/filedb/node, which re-exports all of this).
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
export { compileTemplate } from "./template.js";
export type { Template, TemplateField, TemplateFieldType, TemplateValue } from "./template.js";
export { expandConfigText, resolveFileDbConfigInDirectory } from "./config.js";
export type { FileDbConfig, ResolvedFileDbConfig, ResolveInDirectoryOptions } from "./config.js";
export { FileDb } from "./file-db.js";
export type { FileDbClass, FileDbDirectoryOptions, FileDbRecord, FileScanReport, TableId } from "./file-db.js";
export type { Lh5Location } from "./lh5-access.js";
export type { ScanTablesColumnsOptions, TablesColumnsReport } from "./tables-columns.js";
