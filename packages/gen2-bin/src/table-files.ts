/** Write Arrow tables (e.g. a {@link BinDirectory.readTimerange} result) to Parquet or Arrow IPC files. */
import { writeTableFile } from "@daqkit/io/node";
import type { Table } from "apache-arrow";
import { fsError } from "./errors.js";
import { LEGACY_TEMPORARY, writeParquetTables } from "./parquet-io.js";

/**
 * Write `table` as a zstd Parquet file (row groups ≤ 1 Mi rows), atomically (temporary name, fsync, rename).
 * @throws Gen2BinError `GEN2_PARQUET`
 */
export async function writeTableParquet(path: string, table: Table): Promise<void> {
  async function* slices(): AsyncGenerator<Table> {
    const step = 1 << 20;
    for (let at = 0; at < table.numRows; at += step) yield table.slice(at, Math.min(table.numRows, at + step));
  }
  await writeParquetTables(path, slices(), table.slice(0, 0));
}

/**
 * Write `table` as an Arrow IPC file (`.arrow`, the random-access "file" format), atomically
 * (temporary name, fsync, rename).
 * @throws Gen2BinError `GEN2_IO`, `GEN2_FILE_NOT_FOUND` (no such directory)
 */
export async function writeTableArrow(path: string, table: Table): Promise<void> {
  try {
    await writeTableFile(path, [table], { format: "arrow", legacyTemporary: LEGACY_TEMPORARY });
  } catch (error) {
    throw fsError((error as { cause?: unknown }).cause ?? error, path, "writing");
  }
}
