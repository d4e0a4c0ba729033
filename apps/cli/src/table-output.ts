import { extname } from "node:path";
import { IoError } from "@daqkit/io";
import { writeTableFile as writeTableFileAtomically } from "@daqkit/io/node";
import type { Table } from "apache-arrow";
import { CliUsageError } from "./errors.js";

/**
 * The table file formats every `--out` option of the CLI writes: Parquet, Arrow IPC file (`.arrow`, random
 * access: pyarrow.ipc.open_file, DuckDB's arrow extension, polars.read_ipc) and Arrow IPC stream (`.arrows`:
 * pyarrow.ipc.open_stream, polars.read_ipc_stream, tools that read streams).
 */
export const TABLE_FORMATS = [".parquet", ".arrow", ".arrows"] as const;

/** How `--help` names the table outputs. */
export const TABLE_OUT_HELP = ".parquet (zstd), .arrow (Arrow IPC file) or .arrows (Arrow IPC stream)";
export type TableFormat = (typeof TABLE_FORMATS)[number];

/** The format of `--out FILE` from its extension; `CliUsageError` for anything else. */
export function tableFormatOf(out: string, allowed: readonly string[] = TABLE_FORMATS): TableFormat {
  const ext = extname(out).toLowerCase();
  if (!allowed.includes(ext)) {
    throw new CliUsageError(`--out must end in ${allowed.slice(0, -1).join(", ")} or ${allowed.at(-1)}, got ${JSON.stringify(out)}`);
  }
  return ext as TableFormat;
}

const FORMAT_OF_EXTENSION = { ".parquet": "parquet", ".arrow": "arrow", ".arrows": "arrows" } as const;

export interface WriteTableOptions {
  /** A zero-row table with the output schema, used when the input yields no rows at all. */
  emptyTable?: () => Table | Promise<Table>;
}

/**
 * Stream Arrow tables (each one a batch of rows with the same schema) into `out`: `.parquet`
 * (zstd, row groups of at most 1 M rows, via parquet-wasm), `.arrow` (Arrow IPC file) or `.arrows` (Arrow IPC stream), with
 * `@daqkit/io`'s atomic table writer: on any error `out` is left as it was and no temporary remains.
 *
 * @returns the number of rows written
 * @throws CliUsageError `CLI_USAGE` for an unknown extension, or when there is nothing to write
 *   (no batches and no `emptyTable`)
 */
export async function writeTableFile(
  out: string,
  tables: AsyncIterable<Table> | Iterable<Table>,
  options: WriteTableOptions = {},
): Promise<number> {
  const format = FORMAT_OF_EXTENSION[tableFormatOf(out)];
  try {
    return await writeTableFileAtomically(out, tables, { ...options, format });
  } catch (error) {
    if (IoError.isInstance(error) && error.code === "IO_NOTHING_TO_WRITE") {
      throw new CliUsageError("nothing to write: the selection is empty and has no schema");
    }
    throw error;
  }
}
