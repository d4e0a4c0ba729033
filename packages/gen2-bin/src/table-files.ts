/** Write Arrow tables (e.g. a {@link BinDirectory.readTimerange} result) to Parquet or Arrow IPC files. */
import { rename, rm, writeFile } from "node:fs/promises";
import { type Table, tableToIPC } from "apache-arrow";
import { fsError } from "./errors.js";
import { temporaryPathFor, writeParquetTables } from "./parquet-io.js";

/**
 * Write `table` as a zstd Parquet file (row groups ≤ 1 Mi rows), via a temporary name + rename.
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
 * Write `table` as an Arrow IPC file (`.arrow`, the random-access "file" format), via a temporary
 * name + rename.
 * @throws Gen2BinError `GEN2_IO`
 */
export async function writeTableArrow(path: string, table: Table): Promise<void> {
  const tmp = temporaryPathFor(path);
  try {
    await writeFile(tmp, tableToIPC(table, "file"));
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw fsError(error, path, "writing");
  }
}
