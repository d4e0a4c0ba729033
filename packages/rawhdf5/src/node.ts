/**
 * `@daqkit/rawhdf5/node`: everything of the main entry plus the Node-only API: reading by path
 * with the live-file (SWMR) rules, `toRawfile` (create/append), `RawfileWriter`, `followRawfile`,
 * `repairRawfile`, and packet files written by path. The readers here take a path or, like the
 * main entry, bytes, a `Blob`/`File` or a byte source.
 */
export * from "./index.js";
export { toRawfile } from "./to-rawfile.js";
export { fromRawfile, lenRawfile, readRawfileInfo } from "./from-rawfile.js";
export { openRawfileWriter, RawfileWriter, followRawfile } from "./live.js";
export type { RawfileWriterOptions, FollowBatch, FollowRawfileOptions } from "./live.js";
export { repairRawfile } from "./repair.js";
export type { RawfileRepairReport } from "./repair.js";
export { iterateRawfilePackets, readRawfilePackets } from "./rawfile-packets-node.js";
export { PacketFileWriter, writePacketFile } from "./packet-file.js";
