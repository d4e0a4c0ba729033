/**
 * Streaming table output, platform-neutral: Arrow tables (batches of rows with one schema) into
 * Parquet (parquet-wasm) or an Arrow IPC file, written to any {@link ByteSink}. Batches are pulled
 * only as fast as the output is written, so memory stays at about one batch. parquet-wasm and
 * apache-arrow are imported on first use.
 *
 * A source that throws half way never yields a partial output: the sink is aborted and the
 * source's error is rethrown unchanged.
 */
import type { Schema, Table } from "apache-arrow";
import type * as ParquetWasm from "parquet-wasm";
import { IoError } from "./errors.js";
import type { ByteSink } from "./sink.js";

/** The table output formats. */
export type TableFileFormat = "parquet" | "arrow" | "arrows";

/** Parquet compression codecs. */
export type ParquetCompression = "zstd" | "snappy" | "gzip" | "brotli" | "lz4-raw" | "uncompressed";

/** Parquet column encodings (parquet-wasm's `Encoding` names). */
export type ParquetEncoding = keyof typeof ParquetWasm.Encoding;

/** Options of every table writer. */
export interface TableWriteOptions {
  /** A zero-row table with the output schema, used when the input yields no rows and no zero-row table. */
  readonly emptyTable?: () => Table | Promise<Table>;
}

/** Options of the Parquet writers. */
export interface ParquetWriteOptions extends TableWriteOptions {
  /** Default `"zstd"`. */
  readonly compression?: ParquetCompression;
  /** Rows per row group at most (default 1 Mi). */
  readonly maxRowGroupSize?: number;
  /**
   * Dictionary pages: `true` for every column, `false` for none, `"non-float"` (the default) for every column
   * but the top-level floating-point ones. Measured values rarely repeat: their dictionary is built, outgrows
   * its page and is abandoned, which costs CPU and bytes (a 1.54 M-row `daqkit load` output with three float
   * columns: 0.83–0.95 s → 0.50–0.57 s of CPU to write, 23.4 → 20.6 MB).
   */
  readonly dictionary?: boolean | "non-float";
  /** Per-column encodings, e.g. `{ timestamp: "DELTA_BINARY_PACKED" }`. */
  readonly columnEncoding?: Readonly<Record<string, ParquetEncoding>>;
}

let parquetPromise: Promise<typeof ParquetWasm> | undefined;

type NodeRequire = (id: string) => unknown;
type ModuleBuiltin = { createRequire(from: string): NodeRequire };

/**
 * parquet-wasm's module: in Node with `require` (through `process.getBuiltinModule("module")`, feature-detected,
 * so nothing Node-only is imported here), elsewhere with `import()`. Its Node build is CommonJS, and `import()` of
 * it first has Node scan its ≈ 100 KB of glue code for export names: ≈ 80 ms of CPU against ≈ 40 ms for `require`,
 * once per process — paid again by every shard of a cluster job that writes Parquet. Same module either way (a
 * later `import("parquet-wasm")` finds it in the CommonJS cache).
 */
async function importParquetWasm(): Promise<typeof ParquetWasm> {
  const getBuiltinModule = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  const builtin = typeof getBuiltinModule === "function" ? (getBuiltinModule("module") as ModuleBuiltin | undefined) : undefined;
  if (builtin === undefined) return import("parquet-wasm");
  return builtin.createRequire(import.meta.url)("parquet-wasm") as typeof ParquetWasm;
}

/**
 * parquet-wasm, imported on first use (a failed import is retried on the next call).
 * @throws IoError `IO_FAILED` when it cannot be loaded
 */
export function loadParquetWasm(): Promise<typeof ParquetWasm> {
  parquetPromise ??= importParquetWasm().catch((error: unknown) => {
    parquetPromise = undefined;
    throw new IoError("IO_FAILED", `io: cannot load parquet-wasm: ${String(error)}`, { cause: error });
  });
  return parquetPromise;
}

const COMPRESSION: Record<ParquetCompression, keyof typeof ParquetWasm.Compression> = {
  zstd: "ZSTD",
  snappy: "SNAPPY",
  gzip: "GZIP",
  brotli: "BROTLI",
  "lz4-raw": "LZ4_RAW",
  uncompressed: "UNCOMPRESSED",
};

/** `floats`: the schema's top-level floating-point columns. */
function writerProperties(pq: typeof ParquetWasm, options: ParquetWriteOptions, floats: readonly string[]): ParquetWasm.WriterProperties {
  const compression = COMPRESSION[options.compression ?? "zstd"];
  if (compression === undefined)
    throw new IoError("IO_BAD_ARGUMENT", `io: unknown Parquet compression ${JSON.stringify(options.compression)}`);
  let builder = new pq.WriterPropertiesBuilder()
    .setCompression(pq.Compression[compression])
    .setMaxRowGroupSize(options.maxRowGroupSize ?? 1 << 20);
  const dictionary = options.dictionary ?? "non-float";
  if (dictionary === "non-float") {
    for (const name of floats) builder = builder.setColumnDictionaryEnabled(name, false);
  } else {
    builder = builder.setDictionaryEnabled(dictionary);
  }
  for (const [column, encoding] of Object.entries(options.columnEncoding ?? {})) {
    const value = pq.Encoding[encoding];
    if (value === undefined)
      throw new IoError("IO_BAD_ARGUMENT", `io: unknown Parquet encoding ${JSON.stringify(encoding)} for column ${column}`);
    builder = builder.setColumnEncoding(column, value);
  }
  return builder.build();
}

async function emptyOrThrow(options: TableWriteOptions, schemaOnly: Table | undefined): Promise<Table> {
  if (schemaOnly) return schemaOnly;
  if (options.emptyTable) return await options.emptyTable();
  throw new IoError("IO_NOTHING_TO_WRITE", "io: nothing to write: the input has no rows and no schema");
}

function writerError(format: string, error: unknown): unknown {
  if (
    IoError.isInstance(error) ||
    (typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[Symbol.for("daqkit.error")] === true)
  )
    return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new IoError("IO_FAILED", `io: writing ${format} failed: ${detail}`, { cause: error });
}

/**
 * Stream Arrow tables into `sink` as one Parquet file (zstd, row groups ≤ 1 Mi rows by default),
 * then close the sink. On any failure the sink is aborted and the error rethrown: the source's own
 * error unchanged, a parquet-wasm failure as `IO_FAILED`.
 * @returns the number of rows written
 * @throws IoError `IO_NOTHING_TO_WRITE` (no rows, no zero-row table and no `emptyTable`), `IO_FAILED`, `IO_BAD_ARGUMENT`
 */
export async function writeParquetToSink(
  sink: ByteSink,
  tables: AsyncIterable<Table> | Iterable<Table>,
  options: ParquetWriteOptions = {},
): Promise<number> {
  let iterator: AsyncGenerator<unknown> | undefined;
  try {
    const pq = await loadParquetWasm();
    const { DataType, RecordBatchStreamWriter, tableToIPC } = await import("apache-arrow");
    const props = (schema: Schema) =>
      writerProperties(
        pq,
        options,
        schema.fields.filter((f) => DataType.isFloat(f.type)).map((f) => f.name),
      );
    // Each table's Arrow IPC stream is assembled in one buffer reused by the next table (parquet-wasm
    // copies it into wasm memory at once): tableToIPC's fresh buffer per table cost as much again in
    // page faults and the garbage collections its external memory triggers.
    let staging = new Uint8Array(0);
    async function ipcStream(table: Table): Promise<Uint8Array> {
      const chunks: Uint8Array[] = [];
      let length = 0;
      for await (const chunk of RecordBatchStreamWriter.writeAll(table)) {
        chunks.push(chunk);
        length += chunk.byteLength;
      }
      if (staging.byteLength < length) staging = new Uint8Array(length);
      let at = 0;
      for (const chunk of chunks) {
        staging.set(chunk, at);
        at += chunk.byteLength;
      }
      return staging.subarray(0, length);
    }
    let rows = 0;
    let schemaOnly: Table | undefined;
    let schema: Schema | undefined;
    // wasm record batches, pulled by the Parquet writer as it needs them
    async function* wasmBatches(): AsyncGenerator<unknown> {
      for await (const table of tables) {
        if (table.numRows === 0) {
          schemaOnly ??= table;
          continue;
        }
        rows += table.numRows;
        schema ??= table.schema;
        const wasmTable = pq.Table.fromIPCStream(await ipcStream(table));
        try {
          yield* wasmTable.recordBatches();
        } finally {
          wasmTable.free(); // without this wasm memory grows with every batch (TOOLCHAIN P9)
        }
      }
    }
    iterator = wasmBatches();
    const first = await iterator.next();
    if (first.done) {
      const emptyTable = await emptyOrThrow(options, schemaOnly);
      const empty = pq.Table.fromIPCStream(tableToIPC(emptyTable, "stream"));
      let bytes: Uint8Array;
      try {
        bytes = pq.writeParquet(empty, props(emptyTable.schema));
      } catch (error) {
        throw writerError("Parquet", error);
      }
      await sink.write(bytes);
      await sink.close();
      return 0;
    }
    // transformParquetStream waits for the first batch, so the stream starts with one in hand.
    let pending: unknown = first.value;
    // An error from the source must not reach the wasm writer: an errored input stream makes
    // parquet-wasm either finish as if the input had ended (a silently partial file) or trap.
    // So the stream is closed cleanly, and the error is rethrown once the writer has stopped.
    let sourceError: { error: unknown } | undefined;
    const source = iterator;
    const stream = new ReadableStream<unknown>({
      async pull(controller) {
        if (pending !== undefined) {
          controller.enqueue(pending);
          pending = undefined;
          return;
        }
        let next: IteratorResult<unknown>;
        try {
          next = await source.next();
        } catch (error) {
          sourceError = { error };
          controller.close();
          return;
        }
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
    });
    let reader: ReadableStreamDefaultReader<Uint8Array>;
    try {
      reader = ((await pq.transformParquetStream(stream as never, props(schema as Schema))) as ReadableStream<Uint8Array>).getReader();
    } catch (error) {
      throw writerError("Parquet", error);
    }
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw sourceError ? sourceError.error : writerError("Parquet", error);
      }
      if (chunk.done) break;
      if (sourceError) continue; // drain: the output is discarded anyway
      await sink.write(chunk.value);
    }
    if (sourceError) throw sourceError.error;
    await sink.close();
    return rows;
  } catch (error) {
    await iterator?.return(undefined).catch(() => undefined);
    await sink.abort(error);
    throw error;
  }
}

/** Options of {@link writeArrowToSink}. */
export interface ArrowWriteOptions extends TableWriteOptions {
  /** Write the Arrow IPC stream format (`.arrows`, for readers of streams) instead of the IPC file format. */
  readonly stream?: boolean;
}

/**
 * Stream Arrow tables into `sink` as one Arrow IPC file (the random-access "file" format), or with
 * `stream: true` as an Arrow IPC stream, then close the sink. On any failure the sink is aborted and
 * the error rethrown.
 * @returns the number of rows written
 * @throws IoError `IO_NOTHING_TO_WRITE`, `IO_FAILED`
 */
export async function writeArrowToSink(
  sink: ByteSink,
  tables: AsyncIterable<Table> | Iterable<Table>,
  options: ArrowWriteOptions = {},
): Promise<number> {
  const arrow = await import("apache-arrow");
  const writer = options.stream ? new arrow.RecordBatchStreamWriter() : new arrow.RecordBatchFileWriter();
  // Drain the writer's byte chunks into the sink while batches are written.
  let pumpError: { error: unknown } | undefined;
  const pump = (async () => {
    try {
      for await (const chunk of writer) {
        if (!pumpError) await sink.write(chunk);
      }
    } catch (error) {
      pumpError ??= { error };
    }
  })();
  let rows = 0;
  let schemaOnly: Table | undefined;
  try {
    try {
      for await (const table of tables) {
        if (pumpError) throw pumpError.error;
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
    if (pumpError) throw pumpError.error;
    await sink.close();
    return rows;
  } catch (error) {
    await sink.abort(error);
    throw error;
  }
}

/** The table format of a file name from its extension (`.parquet`, `.arrow`, `.arrows`), or `undefined`. */
export function tableFormatOfName(name: string): TableFileFormat | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith(".parquet")) return "parquet";
  if (lower.endsWith(".arrow")) return "arrow";
  if (lower.endsWith(".arrows")) return "arrows";
  return undefined;
}
