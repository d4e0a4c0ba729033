/**
 * `@daqkit/runs`: strax DataDirectory stores, platform-neutral (browsers and Node). A
 * {@link DataDirectory} reads a store through an @daqkit/io directory source; the Node-only parts
 * (a DataDirectory by path that also writes, `putArrow`, `defineRun`, `writeSuperrun`, worker
 * threads) are in `@daqkit/runs/node`.
 */
export { RunsError } from "./errors.js";
export type { RunsErrorCode, RunsErrorContext } from "./errors.js";
export { DataDirectory, WORKERS_AUTO_BYTES } from "./data-directory.js";
export type {
  ChunkIterationOptions,
  DataDirectoryOptions,
  FindDataOptions,
  StoredData,
  StoredDataFolder,
} from "./data-directory.js";
export { dataDtype, iterateChunks, loadTable } from "./load.js";
export type { LoadOptions } from "./load.js";
export { iterateSuperrunPlan, planSuperrunLoad, superrunKeyHash } from "./superrun.js";
export type { SuperrunDefinition, SuperrunPlan } from "./superrun.js";
export { selectRuns } from "./select-runs.js";
export type { SelectRunsOptions } from "./select-runs.js";
export { superrunHash, dataKeyFolderName } from "./data-key.js";
export type { DataFolderName, DataKey, StraxLayout } from "./data-key.js";
export type { RunDoc, SubrunRange, SubrunSpecEntry } from "./run-doc.js";
export type { ChunkInfo, DataMetadata, SubrunsMap } from "./metadata.js";
export type { Chunk, RowTimes } from "./chunk.js";
export {
  arrowSchemaToDtype,
  chunkToRecordBatch,
  chunksToTable,
  dtypeToArrowSchema,
  readChunkColumn,
  recordBatchToRows,
  rowsToRecordBatch,
} from "./arrow.js";
export type { ColumnArray, RowsFromArrowOptions } from "./arrow.js";
export { deterministicHash } from "./deterministic-hash.js";
// Building blocks (documented in the README).
export { parseDtype, formatDtype, makeDtype } from "./dtype.js";
export type { Dtype, DtypeField, DtypeFieldSpec, DtypeKind } from "./dtype.js";
export { compressChunk, decompressChunk } from "./codecs.js";
export type { Compressor, DecompressOptions } from "./codecs.js";
export { decodeBloscChunk } from "./blosc.js";
export type { DecodeBloscOptions } from "./blosc.js";
export { sharedWebBloscPool } from "./blosc-workers.js";
export type { BloscDecodePool } from "./blosc-workers.js";
export { parseRunDoc } from "./run-doc.js";
export { parseDataMetadata } from "./metadata.js";
export { clipChunk } from "./chunk.js";
export { PyFloat, parsePythonJson, formatPythonJson } from "./python-json.js";
export type { PyJsonValue, PythonJsonOptions } from "./python-json.js";
export { readStraxWaveforms } from "./plot-data.js";
export type { StraxWaveform, StraxWaveformOptions, StraxWaveforms } from "./plot-data.js";
