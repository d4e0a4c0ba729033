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
