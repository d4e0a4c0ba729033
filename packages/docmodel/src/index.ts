/**
 * `@daqkit/docmodel`: the Bluesky Event Model. This entry point has no Node-only imports (usable in browsers), TIFF
 * ingestors over `File`s / bytes included; file I/O by path (msgpack files, directory catalog, TIFF ingestors over
 * paths) is in `@daqkit/docmodel/node`.
 *
 * Only the documented API is exported (issue 14, "Narrow public APIs"; test/api.test.ts lists it). Internals such as
 * the msgpack codec classes, `RecordEncoder`, `columnRow` and the typed-array helpers stay in their modules.
 */
export { DocModelError } from "./errors.js";
export type { DocModelErrorCode, DocModelErrorContext } from "./errors.js";
export { NdArray, ndarray, toPlain } from "./ndarray.js";
export { PyBytes, PyComplex } from "./python-values.js";
export type { NdData, NumericArray } from "./ndarray.js";
export { decodeMsgpack } from "./msgpack/decoder.js";
export { encodeMsgpack } from "./msgpack/encoder.js";
export { DOCUMENT_NAMES } from "./documents.js";
export type {
  Configuration,
  DataKey,
  DataKeyLimits,
  DataValue,
  Datum,
  DatumPage,
  DocumentName,
  DocumentPair,
  DocumentStream,
  DocumentTypes,
  Event,
  EventDescriptor,
  EventPage,
  Ingestor,
  Resource,
  RunStart,
  RunStop,
  StreamDatum,
  StreamResource,
} from "./documents.js";
export { validateDocument, isValidDocument } from "./validation.js";
export { EVENT_MODEL_SCHEMAS } from "./event-model-schemas.js";
export { composeRun, composeResource, newUid, nowSeconds } from "./compose.js";
export type {
  ComposeRunOptions,
  ComposeDescriptorOptions,
  ComposeEventOptions,
  ComposeEventPageOptions,
  ComposeResourceOptions,
  ComposeStopOptions,
  DescriptorBundle,
  ResourceBundle,
  RunBundle,
} from "./compose.js";
export {
  DocumentRouter,
  eventFromPage,
  mergeDatumPages,
  mergeEventPages,
  packDatumPage,
  packEventPage,
  rechunkDatumPages,
  rechunkEventPages,
  unpackDatumPage,
  unpackEventPage,
} from "./pages.js";
export type { DocumentHandlers } from "./pages.js";
export { checkQuery, compileQuery, matchQuery } from "./query.js";
export type { Query } from "./query.js";
export { InMemoryCatalog } from "./catalog.js";
export type { CatalogEntry, UpsertOptions } from "./catalog.js";
export { BlueskyRun, loadRun, loadRunSync } from "./run.js";
export type { RunStream } from "./run.js";
export type { ReadOptions, StreamColumn, StreamColumns } from "./read-stream.js";
export { Filler } from "./filler.js";
export type { AssetHandler, FillOptions, HandlerRegistry } from "./filler.js";
export { decodeMsgpackRecords, encodeMsgpackRun } from "./msgpack-records.js";
export { loadMsgpackRunBytes } from "./msgpack-run-loader.js";
export { encodeTiff, ingestTiffFiles, ingestTiffStackFile, readTiffPages } from "./tiff.js";
export type { TiffIngestOptions } from "./tiff.js";
export { loadTiffDecoder } from "./tiff-decoder.js";
export type { FileInput } from "./uid-core.js";
export { readImageFrame } from "./image-frame.js";
export type { ImageFrame } from "./image-frame.js";
