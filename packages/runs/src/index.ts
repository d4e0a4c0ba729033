export { RunsError } from "./errors.js";
export type { RunsErrorCode, RunsErrorContext } from "./errors.js";
export { deterministicHash, canonicalizeForHash } from "./deterministic-hash.js";
export { PyFloat, pyFloat, parsePythonJson, formatPythonJson, formatPythonFloat } from "./python-json.js";
export type { PyJsonValue, PythonJsonOptions } from "./python-json.js";
export { parseDtype, formatDtype, makeDtype, findField } from "./dtype.js";
export type { Dtype, DtypeField, DtypeFieldSpec, DtypeKind } from "./dtype.js";
export { COMPRESSORS, WRITABLE_COMPRESSORS, compressChunk, decompressChunk } from "./codecs.js";
export type { Compressor } from "./codecs.js";
export { decodeBloscChunk, readBloscHeader } from "./blosc.js";
export type { BloscHeader } from "./blosc.js";
export {
  assertRunId,
  formatRunDoc,
  isRangeList,
  isSuperrunId,
  parseBsonDate,
  parseRunDoc,
  runDocFromJson,
  subrunRanges,
} from "./run-doc.js";
export type { RunDoc, SubrunRange, SubrunSpecEntry } from "./run-doc.js";
export { dataKeyFolderName, parseDataFolderName, superrunHash } from "./data-key.js";
export type { DataFolderName, DataKey, StraxLayout } from "./data-key.js";
export { formatDataMetadata, metadataProblem, parseDataMetadata } from "./metadata.js";
export type { ChunkInfo, DataMetadata, SubrunsMap } from "./metadata.js";
export {
  clipChunk,
  concatenateChunks,
  createContinuityChecker,
  rowTimes,
  splitChunk,
  splitSubruns,
  validateChunk,
} from "./chunk.js";
export type { Chunk, RowTimes } from "./chunk.js";
export { getSplits, Rechunker } from "./rechunk.js";
export {
  arrowSchemaToDtype,
  chunkToRecordBatch,
  chunksToTable,
  dtypeToArrowSchema,
  readChunkColumn,
  recordBatchToRows,
  rowsToRecordBatch,
} from "./arrow.js";
export type { ColumnArray } from "./arrow.js";
export { DataDirectory, WORKERS_AUTO_BYTES } from "./data-directory.js";
export type {
  ChunkIterationOptions,
  DataDirectoryOptions,
  FindDataOptions,
  StoredData,
  StoredDataFolder,
} from "./data-directory.js";
export { openDataWriter, STRAX_FORMAT_VERSION } from "./data-writer.js";
export type { DataWriter, DataWriterOptions, OverwritePolicy } from "./data-writer.js";
export {
  dataDtype,
  defineRun,
  iterateChunks,
  iterateSuperrunPlan,
  loadTable,
  planSuperrunLoad,
  superrunKeyHash,
  superrunPlanBytes,
  writeSuperrun,
} from "./superrun.js";
export type {
  DefineRunOptions,
  DefineRunResult,
  LoadOptions,
  SuperrunDefinition,
  SuperrunPlan,
  WriteSuperrunOptions,
} from "./superrun.js";
export { selectRuns, fnmatchToRegExp } from "./select-runs.js";
export { putArrow } from "./put.js";
export type { ArrowInput, PutOptions } from "./put.js";
export type { SelectRunsOptions } from "./select-runs.js";
