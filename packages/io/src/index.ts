/**
 * `@daqkit/io`: the platform layer every daqkit format package builds on. This entry is
 * platform-neutral (browsers and Node); Node-only pieces are in `@daqkit/io/node`.
 */
export { IoError, type IoErrorCode, type IoErrorOptions } from "./errors.js";
export {
  type BlobLike,
  type ByteSource,
  blobSource,
  bytesSource,
  checkRange,
  type ReadWindowsOptions,
  readAll,
  readWindows,
} from "./byte-source.js";
export { type HttpSourceOptions, openHttpSource } from "./http-source.js";
export {
  type DirectoryEntry,
  type DirectoryHandleLike,
  type DirectoryListing,
  type DirectorySource,
  entryPathSegments,
  type FileHandleLike,
  type FileLike,
  fileListDirectory,
  fileSystemHandleDirectory,
  type HttpDirectoryOptions,
  LISTING_FILE_NAME,
  type ListOptions,
  openHttpDirectory,
  parseDirectoryListing,
} from "./directory-source.js";
export {
  H5_PLUGIN_FILTER_IDS,
  type H5Namespace,
  type H5OpenFile,
  type H5Runtime,
  type H5RuntimeOptions,
  hdf5Error,
  loadH5Runtime,
  summarizeHdf5Diagnostic,
} from "./h5-runtime.js";
export {
  type H5BlobFile,
  type H5BlobReadPath,
  h5BlobChannelUnavailable,
  type OpenH5BlobOptions,
  openH5Blob,
} from "./h5-blob-channel.js";
export { type H5UrlFile, type OpenH5UrlOptions, openH5Url } from "./h5-http.js";
export { type ByteSink, MemorySink, pipeToSink } from "./sink.js";
export {
  loadParquetWasm,
  type ParquetCompression,
  type ParquetEncoding,
  type ParquetWriteOptions,
  type TableFileFormat,
  type TableWriteOptions,
  type ArrowWriteOptions,
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
/** The Arrow side of this map (`arrowTypeOfTypedArray`, …) is in `@daqkit/io/arrow`. */
export {
  isNumericTypedArray,
  type NumericTypedArray,
  type NumericTypedArrayConstructor,
  numpyTypestrOfTypedArray,
  typedArrayConstructorOfNumpy,
} from "./arrow-types.js";
/** A module (or any async value) loaded on first use and kept; a failed load is tried again. */
export { type LazyModule, lazyModule } from "./lazy-module.js";
/** HDF5 metadata checksum (Jenkins lookup3), shared by the HDF5 format packages. */
export { lookup3 } from "./lookup3.js";
/** Fixed-bin 1-D histograms (shared by every format package's binning and the viewer). */
export {
  type ArrowBatchLike,
  type ArrowColumnHistogram,
  type AutoHistogramOptions,
  BatchKeeper,
  HISTOGRAM_KEEP_BYTES,
  histogramArrowColumn,
  type Histogram1D,
  HistogramAccumulator,
  type HistogramOptions,
  type HistogramValues,
  histogramOf,
  histogramOfBatches,
  RangeAccumulator,
} from "./histogram.js";
