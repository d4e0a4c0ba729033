/**
 * `@daqkit/io`: the platform layer every daqkit format package builds on. This entry is
 * platform-neutral (browsers and Node); Node-only pieces are in `@daqkit/io/node`.
 */
export { IoError, type IoErrorCode } from "./errors.js";
export { type ByteSink, MemorySink, pipeToSink } from "./sink.js";
export {
  loadParquetWasm,
  type ParquetCompression,
  type ParquetEncoding,
  type ParquetWriteOptions,
  type TableFileFormat,
  type TableWriteOptions,
  tableFormatOfName,
  writeArrowToSink,
  writeParquetToSink,
} from "./table-writer.js";
export {
  hardwareConcurrency,
  type JobPort,
  type PoolWorker,
  type SerializedError,
  serializeError,
  serveJobs,
  Transferring,
  type WorkerFactory,
  WorkerPool,
  type WorkerPoolOptions,
  webWorkerFactory,
  withTransfer,
} from "./worker-pool.js";
export {
  formatNumpyDescr,
  formatPythonString,
  type NumpyDescr,
  type NumpyDtype,
  type NumpyField,
  type NumpyKind,
  type NumpyTypestr,
  numpyDtypeFromDescr,
  parseNumpyDescr,
  parseNumpyTypestr,
} from "./numpy-dtype.js";
export {
  arrowTypeOfNumpy,
  arrowTypeOfTypedArray,
  isNumericTypedArray,
  type NumericTypedArray,
  type NumericTypedArrayConstructor,
  numpyTypestrOfTypedArray,
  typedArrayConstructorOfArrowType,
  typedArrayConstructorOfNumpy,
} from "./arrow-types.js";
