// @daqkit/loader: the platform-neutral DataLoader (Node's path-based API is in @daqkit/loader/node,
// which re-exports all of this).
export { LoaderError } from "./errors.js";
export type { LoaderErrorCode, LoaderErrorContext } from "./errors.js";
export { loaderConfigFromObject } from "./loader-config.js";
export type { LevelConfig, LoaderConfig, LoaderConfigOptions, TcmColumns } from "./loader-config.js";
export { hitsByTable, normalizeTcm } from "./tcm.js";
export type { IntegerColumn, RawTcm, RawVectorOfVectors, Tcm } from "./tcm.js";
export { maskToIndices, selectTcmHits } from "./entry-selection.js";
export type { TcmMode, TcmSelectionInput } from "./entry-selection.js";
export { parseLevelCut } from "./cuts.js";
export { buildHitEntries, buildTcmEntries } from "./entry-list.js";
export type { EntryChunk, EntryPlan, LevelCut } from "./entry-list.js";
export type { CycleSource, TableId } from "./cycle-source.js";
export { openLh5Cycle, rawTcmOf } from "./lh5-cycle.js";
export type { HostLh5Opener } from "./lh5-cycle.js";
export type { FileCatalog } from "./lh5-cycle.js";
export { fileDbCatalog } from "./filedb-catalog.js";
export { gatherColumn } from "./gather.js";
export type { GatheredColumn, Piece } from "./gather.js";
export { DataLoader, LoadView } from "./data-loader.js";
export { MIN_PARALLEL_BYTES } from "./parallel.js";
export type { SharedRunOptions } from "./parallel.js";
export type {
  BuildEntryListOptions,
  DataLoaderOptions,
  EntryList,
  LoadChunk,
  LoadIteratorOptions,
  LoadOptions,
  OutputSettings,
  TableRead,
  TiersForColumn,
  ViewFile,
} from "./data-loader.js";
export type { OutputFormat } from "./output.js";
export { createDataLoader } from "./create-data-loader.js";
export type { CreateDataLoaderOptions } from "./create-data-loader.js";
