/** Reading the tables the CLI writes (`--out X.parquet|.arrow|.arrows`) back as Arrow record batches. */
import { openAsBlob } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { extname } from "node:path";
import type { RecordBatch } from "apache-arrow";
import { CliUsageError } from "./errors.js";

/** Arrow record batches of a .parquet (streamed) or .arrow/.feather (IPC file or stream) file. */
export async function* readTableBatches(file: string): AsyncGenerator<RecordBatch> {
  const arrow = await import("apache-arrow");
  const ext = extname(file);
  if (ext === ".parquet") {
    const pq = await import("parquet-wasm");
    await stat(file); // a missing file is ENOENT naming it (exit 4); openAsBlob only says "Unable to open file as blob"
    const pf = await pq.ParquetFile.fromFile(await openAsBlob(file));
    try {
      const stream = await pf.stream({ batchSize: 1 << 16 });
      const reader = (stream as ReadableStream<{ intoIPCStream(): Uint8Array }>).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        yield* arrow.tableFromIPC(value.intoIPCStream()).batches;
      }
    } finally {
      pf.free();
    }
  } else if (ext === ".arrow" || ext === ".feather" || ext === ".arrows") {
    yield* arrow.tableFromIPC(await readFile(file)).batches;
  } else {
    throw new CliUsageError(`FILE must end in .parquet or .arrow, got ${JSON.stringify(file)}`);
  }
}
