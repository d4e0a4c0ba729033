export { Gen2BinError } from "./errors.js";
export type { Gen2BinErrorCode, Gen2BinErrorContext } from "./errors.js";
export {
  GEN2_HEADER_TS_MODULUS,
  GEN2_PHOTONS_PER_FRAME,
  GEN2_WORD_BYTES,
  classifyWord,
  classifyWordBytes,
  decodeHeaderWord,
  decodePhotonWord,
  encodeHeaderWord,
  encodePhotonWord,
  paddingWordBytes,
} from "./words.js";
export type { Gen2Header, Gen2PhotonWord, Gen2WordKind } from "./words.js";
export { decodeGen2, decodeGen2Arrays, iterateGen2Batches, readGen2File, readGen2FileArrays, readWholeFile } from "./decode.js";
export type {
  Gen2Batch,
  Gen2ByteSource,
  Gen2DecodeOptions,
  Gen2DecodeStats,
  Gen2Decoded,
  Gen2DecodedArrays,
  Gen2ReadFileOptions,
  Gen2StreamInput,
  Gen2StreamOptions,
} from "./decode.js";
export type { Gen2PhotonArrays, Gen2WidePhotonArrays } from "./arrow-tables.js";
export { Gen2ChecksumAccumulator, gen2Checksum } from "./checksum.js";
export { BinDirectory, GEN2_OVERLAP_US, scanGen2Directory } from "./bin-directory.js";
export type {
  BinDirectoryOptions,
  ConvertOptions,
  Gen2BinFile,
  Gen2DirectoryScan,
  Gen2ReadResult,
  Gen2ScannedFile,
  Gen2SkippedFile,
} from "./bin-directory.js";
export type { ConvertResult } from "./convert-file.js";
export { BinSerializer } from "./bin-serializer.js";
export type { BinSerializerOptions, Gen2PhotonColumnsInput } from "./bin-serializer.js";
export { writeTableArrow, writeTableParquet } from "./table-files.js";
