/** Streaming Parquet / Arrow IPC files (Node only), written atomically. */
import { type AtomicWriteOptions, openAtomicFile } from "./atomic-file.js";
import { IoError } from "./errors.js";
import { type ParquetWriteOptions, type TableFileFormat, tableFormatOfName, writeArrowToSink, writeParquetToSink } from "./table-writer.js";
import type { Table } from "apache-arrow";

/** Options of {@link writeTableFile}. */
export interface WriteTableFileOptions extends ParquetWriteOptions, AtomicWriteOptions {
  /** The format; default from the extension of `path` (`.parquet`, `.arrow` or `.arrows`, the Arrow IPC stream format). */
  readonly format?: TableFileFormat;
}

/**
 * Stream Arrow tables (each a batch of rows with the same schema) into `path`: Parquet (zstd, row
 * groups ≤ 1 Mi rows, via parquet-wasm), an Arrow IPC file or (`arrows`) an Arrow IPC stream. Memory stays at
 * about one batch.
 *
 * Atomic: written under a temporary name in the same directory, fsynced and renamed at the end.
 * On any error — the source throwing half way included — the temporary is removed and `path` is
 * left as it was; the source's own error is rethrown unchanged.
 *
 * @returns the number of rows written
 * @throws IoError `IO_BAD_ARGUMENT` (no `format` and an unknown extension), `IO_NOTHING_TO_WRITE`
 *   (no rows, no zero-row table, no `emptyTable`), `IO_NOT_FOUND` (no such directory), `IO_FAILED`
 */
export async function writeTableFile(
  path: string,
  tables: AsyncIterable<Table> | Iterable<Table>,
  options: WriteTableFileOptions = {},
): Promise<number> {
  const format = options.format ?? tableFormatOfName(path);
  if (format === undefined) {
    throw new IoError(
      "IO_BAD_ARGUMENT",
      `io: cannot tell the table format of ${JSON.stringify(path)} (expected .parquet, .arrow or .arrows)`,
      {
        path,
      },
    );
  }
  if (format !== "parquet" && format !== "arrow" && format !== "arrows") {
    throw new IoError("IO_BAD_ARGUMENT", `io: unknown table format ${JSON.stringify(format)}`, { path });
  }
  const file = await openAtomicFile(path, options);
  try {
    if (format === "parquet") return await writeParquetToSink(file, tables, options);
    return await writeArrowToSink(file, tables, { ...options, stream: format === "arrows" });
  } catch (error) {
    await file.abort();
    if (IoError.isInstance(error) && error.path === undefined) {
      throw new IoError(error.code, `${error.message} (${path})`, { path, cause: error.cause });
    }
    throw error;
  }
}
