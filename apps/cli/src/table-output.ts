import { createWriteStream, existsSync, renameSync, unlinkSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import type { Table } from "apache-arrow";
import { CliUsageError } from "./errors.js";

/** The table file formats every `--out` option of the CLI writes. */
export const TABLE_FORMATS = [".parquet", ".arrow"] as const;
export type TableFormat = (typeof TABLE_FORMATS)[number];

/** The format of `--out FILE` from its extension; `CliUsageError` for anything else. */
export function tableFormatOf(out: string, allowed: readonly string[] = TABLE_FORMATS): TableFormat {
  const ext = extname(out).toLowerCase();
  if (!allowed.includes(ext)) {
    throw new CliUsageError(`--out must end in ${allowed.join(" or ")}, got ${JSON.stringify(out)}`);
  }
  return ext as TableFormat;
}

export interface WriteTableOptions {
  /** A zero-row table with the output schema, used when the input yields no rows at all. */
  emptyTable?: () => Table | Promise<Table>;
}

/**
 * Stream Arrow tables (each one a batch of rows with the same schema) into `out`: `.parquet`
 * (zstd, row groups of at most 1 M rows, via parquet-wasm) or `.arrow` (Arrow IPC file).
 *
 * Batches are pulled only as fast as the file is written, so memory stays at about one batch.
 * The file is written under a temporary name in the same directory and renamed at the end; on any
 * error the temporary file is removed and `out` is left as it was.
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
  const format = tableFormatOf(out);
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
  try {
    const rows = format === ".arrow" ? await writeArrowFile(tmp, tables, options) : await writeParquetFile(tmp, tables, options);
    renameSync(tmp, out);
    return rows;
  } catch (error) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw error;
  }
}

async function emptyOrThrow(options: WriteTableOptions, schemaOnly: Table | undefined): Promise<Table> {
  if (schemaOnly) return schemaOnly;
  if (options.emptyTable) return await options.emptyTable();
  throw new CliUsageError("nothing to write: the selection is empty and has no schema");
}

async function writeArrowFile(
  path: string,
  tables: AsyncIterable<Table> | Iterable<Table>,
  options: WriteTableOptions,
): Promise<number> {
  const arrow = await import("apache-arrow");
  const writer = new arrow.RecordBatchFileWriter();
  const sink = createWriteStream(path);
  // Drain the writer's byte chunks into the file while batches are written (back-pressure on drain).
  const pump = (async () => {
    for await (const chunk of writer) {
      if (!sink.write(chunk)) await new Promise<void>((resolve) => sink.once("drain", () => resolve()));
    }
    sink.end();
    await finished(sink);
  })();
  let rows = 0;
  let schemaOnly: Table | undefined;
  try {
    for await (const table of tables) {
      if (table.numRows === 0) {
        schemaOnly ??= table;
        continue;
      }
      rows += table.numRows;
      for (const batch of table.batches) writer.write(batch);
    }
    if (rows === 0) writer.write(await emptyOrThrow(options, schemaOnly));
  } finally {
    writer.finish();
    await pump;
  }
  return rows;
}

async function writeParquetFile(
  path: string,
  tables: AsyncIterable<Table> | Iterable<Table>,
  options: WriteTableOptions,
): Promise<number> {
  const pq = await import("parquet-wasm");
  const { tableToIPC } = await import("apache-arrow");
  const props = () =>
    new pq.WriterPropertiesBuilder().setCompression(pq.Compression.ZSTD).setMaxRowGroupSize(1 << 20).build();
  let rows = 0;
  let schemaOnly: Table | undefined;
  // wasm record batches, pulled by the Parquet writer as it needs them
  async function* wasmBatches(): AsyncGenerator<unknown> {
    for await (const table of tables) {
      if (table.numRows === 0) {
        schemaOnly ??= table;
        continue;
      }
      rows += table.numRows;
      const wasmTable = pq.Table.fromIPCStream(tableToIPC(table, "stream"));
      try {
        yield* wasmTable.recordBatches();
      } finally {
        wasmTable.free(); // without this wasm memory grows with every batch (TOOLCHAIN P9)
      }
    }
  }
  const iterator = wasmBatches();
  try {
    const first = await iterator.next();
    if (first.done) {
      const empty = pq.Table.fromIPCStream(tableToIPC(await emptyOrThrow(options, schemaOnly), "stream"));
      const bytes = pq.writeParquet(empty, props());
      const sink = createWriteStream(path);
      sink.end(bytes);
      await finished(sink);
      return 0;
    }
    // transformParquetStream waits for the first batch, so the stream starts with one in hand.
    let pending: unknown = first.value;
    // An error from the source must not reach the wasm writer: an errored input stream makes
    // parquet-wasm either finish as if the input had ended (a silently partial file) or trap.
    // So the stream is closed cleanly, and the error is rethrown once the writer has stopped.
    let sourceError: { error: unknown } | undefined;
    const stream = new ReadableStream<unknown>({
      async pull(controller) {
        if (pending !== undefined) {
          controller.enqueue(pending);
          pending = undefined;
          return;
        }
        let next: IteratorResult<unknown>;
        try {
          next = await iterator.next();
        } catch (error) {
          sourceError = { error };
          controller.close();
          return;
        }
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
    });
    const parquet = await pq.transformParquetStream(stream as never, props());
    await parquet.pipeTo(Writable.toWeb(createWriteStream(path)) as WritableStream<Uint8Array>);
    if (sourceError) throw sourceError.error;
    return rows;
  } catch (error) {
    await iterator.return(undefined);
    throw error;
  }
}
