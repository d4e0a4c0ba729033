/**
 * Convert one `.bin` file into its Parquet cache file (Node only): the file as a byte source,
 * sorted by (xy, timestamp) in bounded memory by the platform-neutral `sortGen2Source`, streamed
 * through `@daqkit/io`'s atomic table writer. Runs both in worker threads and in-process.
 */
import { mkdir, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { type Gen2WidePhotonArrays, wideTable } from "./arrow-tables.js";
import type { Gen2DecodeStats } from "./decode.js";
import { openGen2File } from "./node-decode.js";
import { writeParquetTables } from "./parquet-io.js";
import { emptyPhotonTable, type SortScratch, sortGen2Source } from "./sorted-photons.js";
import type { Gen2Header } from "./words.js";

/** One conversion job (plain data: it crosses the worker boundary). */
export interface ConvertJob {
  binPath: string;
  parquetPath: string;
  /** Where photons with x or y ≥ 256 go (written only if there are any; removed otherwise). */
  widePath: string;
  /** Header that times words before the file's first header (previous file's last header). */
  header: Gen2Header | null;
  /** Photons sorted in memory per pass (default 4 Mi ≈ 64 MiB). */
  maxRowsPerPass?: number;
}

/** What a conversion produced. */
export interface ConvertResult {
  parquetPath: string;
  /** The wide-photon Parquet file, or null when the file has no photon with x or y ≥ 256. */
  widePath: string | null;
  stats: Gen2DecodeStats;
  lastHeader: Gen2Header | null;
  /** Checksum (spec §13.4) over packed and wide photons, 16 hex digits. */
  checksum: string;
  /** Smallest and largest photon timestamp (µs, raw), or null without photons. */
  minTimestampUs: number | null;
  maxTimestampUs: number | null;
}

/**
 * Run one conversion; `scratch`: the sort buffers of the previous file of the same thread's conversion
 * (allocating them anew per file costs page faults and external-memory GCs).
 * Throws coded errors (`GEN2_FILE_NOT_FOUND`, `GEN2_IO`, `GEN2_PARQUET`, …).
 */
export async function convertBinFile(job: ConvertJob, scratch?: SortScratch): Promise<ConvertResult> {
  const source = await openGen2File(job.binPath);
  try {
    const sorted = await sortGen2Source(source, {
      header: job.header,
      path: job.binPath,
      ...(scratch ? { scratch } : {}),
      ...(job.maxRowsPerPass ? { maxRowsPerPass: job.maxRowsPerPass } : {}),
    });
    await writeWide(job.widePath, sorted.wide);
    // transient: the writer turns each table into Arrow IPC bytes before it asks for the next
    await writeParquetTables(job.parquetPath, sorted.tables({ transient: true }), emptyPhotonTable());
    return {
      parquetPath: job.parquetPath,
      widePath: sorted.wide.x.length > 0 ? job.widePath : null,
      stats: sorted.stats,
      lastHeader: sorted.lastHeader,
      checksum: sorted.checksum,
      minTimestampUs: sorted.minTimestampUs,
      maxTimestampUs: sorted.maxTimestampUs,
    };
  } finally {
    await source.close?.();
  }
}

async function writeWide(path: string, cols: Gen2WidePhotonArrays): Promise<void> {
  if (cols.x.length === 0) {
    await rm(path, { force: true });
    return;
  }
  await mkdir(dirname(path), { recursive: true });
  const table = wideTable(cols);
  await writeParquetTables(
    path,
    (async function* () {
      yield table;
    })(),
    table,
  );
}
