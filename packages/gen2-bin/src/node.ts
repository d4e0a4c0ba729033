/**
 * `@daqkit/gen2-bin/node`: everything of the main entry plus the Node-only parts — paths
 * (`readGen2File`, `iterateGen2Batches(path)`), `BinDirectory` with its Parquet cache and worker
 * threads, `BinSerializer.serialize` into a directory, and table files. Node users import
 * everything from here. The explicit exports below shadow the main entry's names they share
 * (`iterateGen2Batches` also takes a path, `BinSerializer` also writes into a directory).
 */
export * from "./index.js";
export { iterateGen2Batches, readGen2File, readGen2FileArrays, readWholeFile } from "./node-decode.js";
export { BinDirectory, scanGen2Directory } from "./bin-directory.js";
export type { BinDirectoryOptions, ConvertOptions, Gen2BinFile } from "./bin-directory.js";
export type { ConvertResult } from "./convert-file.js";
export { BinSerializer } from "./node-bin-serializer.js";
export type { BinSerializerOptions } from "./node-bin-serializer.js";
export { writeTableArrow, writeTableParquet } from "./table-files.js";
