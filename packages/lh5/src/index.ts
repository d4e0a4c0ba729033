/**
 * `@daqkit/lh5`: LEGEND LH5 data objects. This entry is platform-neutral (browsers and Node): it
 * opens bytes, `Blob`/`File`s and `@daqkit/io` byte sources. Host paths and the writer are in
 * `@daqkit/lh5/node`.
 */
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
export { Lh5File, READ_WINDOW_BYTES } from "./reader.js";
export type { FilterInfo, IterateOptions, Lh5ObjectInfo, Lh5Source, OpenLh5Options, ReadAsyncOptions, ReadOptions } from "./reader.js";
export { listLh5, openLh5, openLh5Url, readLh5 } from "./open.js";
export { listGroupMembers, openLh5Links, openLh5LinksAsync } from "./fast-links.js";
export type { Lh5Links, Lh5LinksAsync, Lh5LinksSource, OpenLh5LinksOptions, SyncByteSource } from "./fast-links.js";
export { BUILTIN_FILTERS, FILTER_NAMES } from "./filters.js";
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
export { histogramLh5Column, readLh5Waveforms } from "./plot-data.js";
export type { Lh5ColumnHistogram, Lh5ColumnHistogramOptions, Lh5Waveform, Lh5WaveformOptions, Lh5Waveforms } from "./plot-data.js";
