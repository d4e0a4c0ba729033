export { Lh5Error } from "./errors.js";
export type { Lh5ErrorCode, Lh5ErrorContext } from "./errors.js";
export { parseDatatype, formatElement } from "./datatype.js";
export type { Datatype, ElementType, LgdoTypeName } from "./datatype.js";
export { isTable, lgdoRows } from "./types.js";
export type {
  ArrayOfEqualSizedArrays,
  AttrValue,
  Attrs,
  ElementData,
  EncodedArray,
  Histogram,
  HistogramAxis,
  Lgdo,
  LgdoArray,
  NumericArray,
  Scalar,
  Struct,
  Table,
  VectorOfVectors,
} from "./types.js";
export type { RowSelection } from "./selection.js";
export { Lh5File, openLh5, readLh5, listLh5 } from "./reader.js";
export type { FilterInfo, IterateOptions, Lh5ObjectInfo, OpenLh5Options, ReadOptions } from "./reader.js";
export { listGroupMembers, openLh5Links } from "./fast-links.js";
export type { Lh5Links } from "./fast-links.js";
export { Lh5Writer, openLh5Writer, writeLh5 } from "./writer.js";
export type { Lh5WriterOptions, WriteMode, WriteOptions } from "./writer.js";
export {
  createArray,
  createArrayOfEqualSizedArrays,
  createScalar,
  createStruct,
  createTable,
  createVectorOfVectors,
  vectorOfVectorsFromRows,
} from "./builders.js";
export type { BuildOptions } from "./builders.js";
export { lgdoToArrow, arrowToLgdo, concatLgdo, ARROW_METADATA_DATATYPE, ARROW_METADATA_UNITS } from "./arrow.js";
export type { LgdoToArrowOptions } from "./arrow.js";
export { decodeEncodedArray, radwareSigcompressDecode, uleb128ZigzagDiffDecode } from "./codecs.js";
