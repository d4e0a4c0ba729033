/**
 * `@daqkit/rawhdf5`: LArPix raw HDF5 message files and PACMAN packets. This entry is platform
 * neutral (browsers and Node): it reads raw files given as bytes, a `Blob`/`File` or an
 * `@daqkit/io` byte source, and writes raw files and packet files to bytes. Paths, appends,
 * repair and live follow are in `@daqkit/rawhdf5/node`.
 */
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
export { prepareBatch } from "./write-core.js";
export type { ToRawfileOptions, ToRawfileResult, RawfileHeaderInput, PreparedBatch } from "./write-core.js";
export { normalizeSlice, unpackMessages } from "./read-core.js";
export type { FromRawfileOptions, RawfileData, RawfileInfo, RawfileRetryOptions } from "./read-core.js";
export { fromRawfile, lenRawfile, readRawfileInfo, rawfileSource } from "./read-source.js";
export type { RawfileInput, RawfileRuntimeOptions } from "./read-source.js";
export { toRawfileBytes, packetFileBytes } from "./write-bytes.js";
export type { PackedMessages } from "./h5/vlen-u8.js";
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
export { packPacketRows, PACKET_FILE_VERSION, PACKET_ROW_SIZE } from "./packet-layout.js";
export { binRawfilePackets, LARPIX_CHANNELS, LarpixBinner } from "./plot-data.js";
export type { LarpixBinned, LarpixBinOptions, LarpixOccupancy } from "./plot-data.js";
