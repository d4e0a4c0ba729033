/**
 * `@daqkit/runs/node`: everything of `@daqkit/runs`, plus the Node-only parts — the
 * {@link DataDirectory} by path (which also writes run documents and data), data writers,
 * `putArrow`, `defineRun`, `writeSuperrun`, and Blosc decoding on worker threads.
 */
export * from "./index.js";
export { DataDirectory } from "./node-data-directory.js";
export type { NodeDataDirectoryOptions, NodeDataDirectoryOptions as DataDirectoryOptions } from "./node-data-directory.js";
export { openDataWriter, STRAX_FORMAT_VERSION } from "./data-writer.js";
export type { DataWriter, DataWriterOptions, OverwritePolicy } from "./data-writer.js";
export { defineRun, writeSuperrun } from "./superrun-write.js";
export type { DefineRunOptions, DefineRunResult, WriteSuperrunOptions } from "./superrun-write.js";
export { putArrow } from "./put.js";
export type { ArrowInput, PutOptions } from "./put.js";
export { sharedNodeBloscPool } from "./node-blosc-pool.js";
