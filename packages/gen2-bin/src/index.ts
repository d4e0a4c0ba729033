/**
 * `@daqkit/gen2-bin`: MKID gen2 `.bin` photon files, platform-neutral (browsers and Node). Inputs are
 * bytes, `Blob`/`File`s and `@daqkit/io` byte and directory sources. Paths, the Parquet cache and
 * worker threads are in `@daqkit/gen2-bin/node`.
 */
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
export { decodeGen2, decodeGen2Arrays, decodeGen2Source, decodeGen2SourceArrays, iterateGen2Batches } from "./decode.js";
export type {
  Gen2Batch,
  Gen2ByteSource,
  Gen2DecodeOptions,
  Gen2DecodeStats,
  Gen2Decoded,
  Gen2DecodedArrays,
  Gen2ReadFileOptions,
  Gen2ReadOptions,
  Gen2SourceInput,
  Gen2StreamInput,
  Gen2StreamOptions,
} from "./decode.js";
export { countGen2Photons, decodeGen2Part, planGen2Split } from "./split-decode.js";
export type { Gen2PartDecodeOptions, Gen2PartResult, Gen2SplitOptions, Gen2SplitPart } from "./split-decode.js";
export type { PhotonColumnArrays as Gen2PartColumns } from "./decoder-core.js";
export { inferGen2EpochYear, scanGen2Headers } from "./header-scan.js";
export type { Gen2HeaderSpan } from "./header-scan.js";
export type { Gen2PhotonArrays, Gen2WidePhotonArrays } from "./arrow-tables.js";
export { canReadBlobInWorker, workerBlobSource } from "./worker-blob-source.js";
export { Gen2ChecksumAccumulator, gen2Checksum } from "./checksum.js";
export { BinSourceDirectory, GEN2_OVERLAP_US, scanGen2Source } from "./bin-source-directory.js";
export type {
  BinSourceDirectoryOptions,
  Gen2DirectoryScan,
  Gen2ReadResult,
  Gen2ScannedFile,
  Gen2SkippedFile,
} from "./bin-source-directory.js";
export { BinSerializer } from "./bin-serializer.js";
export type { Gen2PhotonColumnsInput, Gen2SerializedFile, Gen2SerializerOptions } from "./bin-serializer.js";
export { binGen2Directory, defaultLightCurveBinUs, GEN2_BASELINE_PER_RADIAN, GEN2_PHASE_PER_RADIAN, Gen2Binner } from "./binning.js";
export type {
  Gen2BinDirectoryOptions,
  Gen2Binned,
  Gen2BinOptions,
  Gen2CountImage,
  Gen2DirectoryBinned,
  Gen2LightCurve,
} from "./binning.js";
