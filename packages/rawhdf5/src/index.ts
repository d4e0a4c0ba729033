export { RawHdf5Error } from "./errors.js";
export type { RawHdf5ErrorCode, RawHdf5ErrorContext } from "./errors.js";
export {
  RAWFILE_LATEST_VERSION,
  RAWFILE_HEADER_FIELDS,
  RAWFILE_PATHS,
  RAWFILE_CHUNK_ROWS,
  parseRawfileVersion,
  isVersionCompatible,
  checkWriteVersion,
  checkWriteIoVersion,
  resolveReadVersion,
  resolveReadIoVersion,
} from "./layout.js";
export type { RawfileVersion } from "./layout.js";
export { toRawfile, prepareBatch } from "./to-rawfile.js";
export type { ToRawfileOptions, ToRawfileResult, RawfileHeaderInput, PreparedBatch } from "./to-rawfile.js";
export { fromRawfile, lenRawfile, readRawfileInfo, normalizeSlice, unpackMessages } from "./from-rawfile.js";
export type { FromRawfileOptions, RawfileData, RawfileInfo, RawfileRetryOptions } from "./from-rawfile.js";
export type { PackedMessages } from "./h5/vlen-u8.js";
export { openRawfileWriter, RawfileWriter, followRawfile } from "./live.js";
export { repairRawfile } from "./repair.js";
export type { RawfileRepairReport } from "./repair.js";
export type { RawfileWriterOptions, FollowBatch, FollowRawfileOptions } from "./live.js";
export {
  parseMessage,
  decodePacmanMessages,
  concatPacketColumns,
  PACKET_FIELDS,
  PACKET_TYPES,
  PACMAN_MESSAGE_TYPES,
  PACMAN_WORD_TYPES,
  PACMAN_HEADER_SIZE,
  PACMAN_WORD_SIZE,
} from "./pacman.js";
export type { PacketColumns, PacketField, PacketRow, ParseMessageOptions } from "./pacman.js";
export { iterateRawfilePackets, readRawfilePackets, packetColumnsToArrow } from "./rawfile-packets.js";
export type { RawfilePacketsOptions } from "./rawfile-packets.js";
export { PacketFileWriter, writePacketFile, packPacketRows, PACKET_FILE_VERSION, PACKET_ROW_SIZE } from "./packet-file.js";
