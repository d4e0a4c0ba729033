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
export { expandVariables, globPaths, readFileDbConfig, resolveFileDbConfig, resolveFileDbConfigInDirectory } from "./config.js";
export type { FileDbConfig, ResolveConfigOptions, ResolvedFileDbConfig, ResolveInDirectoryOptions } from "./config.js";
export { FileDb } from "./file-db.js";
export type { FileDbDirectoryOptions, FileDbOptions, FileDbRecord, FileScanReport, TableId } from "./file-db.js";
export type { Lh5Location } from "./lh5-access.js";
export type { ScanTablesColumnsOptions, TablesColumnsReport } from "./tables-columns.js";
export type { WriteFileDbOptions } from "./persistence.js";
export { openFileDb, readFileDb, writeFileDb } from "./open-file-db.js";
