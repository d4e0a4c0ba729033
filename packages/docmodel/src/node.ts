/**
 * `@daqkit/docmodel/node`: the parts that read and write files with `node:fs` — suitcase-msgpack files, the
 * directory catalog and the TIFF ingestors. Everything else is in the main entry point.
 */
export { exportMsgpack, indexMsgpackFile, loadMsgpackRun, openMsgpackCatalog, readMsgpackFile } from "./msgpack-files.js";
export type { ExportOptions, ExportResult, MsgpackCatalog, MsgpackCatalogOptions, MsgpackIndex } from "./msgpack-files.js";
export {
  AD_TIFF_SPEC,
  TIFF_HANDLERS,
  encodeTiff,
  ingestTiffSeries,
  ingestTiffSeriesLazy,
  ingestTiffStack,
  matchFiles,
  readTiffPages,
} from "./tiff-node.js";
export type { TiffIngestOptions } from "./tiff-node.js";
export { commonRoot, deterministicUid, fileIdentity, filesUid } from "./uid.js";
