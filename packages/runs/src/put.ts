/**
 * Store our own Arrow data as a strax data type of a run (same layout, metadata and compressor
 * framing as strax writes, so strax can load it).
 */
import { RecordBatch, Table } from "apache-arrow";
import { arrowSchemaToDtype, recordBatchToRows } from "./arrow.js";
import { type Chunk, rowTimes } from "./chunk.js";
import type { Compressor } from "./codecs.js";
import type { DataDirectory } from "./node-data-directory.js";
import type { OverwritePolicy } from "./data-writer.js";
import type { Dtype } from "./dtype.js";
import { deterministicHash } from "./deterministic-hash.js";
import { RunsError, withContext } from "./errors.js";
import type { DataMetadata } from "./metadata.js";
import type { PyJsonValue } from "./python-json.js";
import { getSplits } from "./rechunk.js";
import { assertRunId, isSuperrunId, type RunDoc } from "./run-doc.js";

/** Options of {@link putArrow}. */
export interface PutOptions {
  /** strax lineage; default `{[dataType]: ["DaqkitPut", "0.0.0", {}]}`. Its hash names the folder. */
  readonly lineage?: PyJsonValue;
  /** Default the data type. */
  readonly dataKind?: string;
  /** Default `blosc`. */
  readonly compressor?: Compressor;
  /** Target uncompressed chunk size in MB (1e6 bytes). Default 200. */
  readonly targetSizeMb?: number;
  /** Start of the first chunk (ns); default the first row's time. */
  readonly start?: bigint;
  /** End of the last chunk (ns); default the latest row end. */
  readonly end?: bigint;
  /** Default: the directory's policy. */
  readonly overwrite?: OverwritePolicy;
  /** Write a run document `{name, start, end}` (rounded out to ms) if the run has none. Default true. */
  readonly createRunDoc?: boolean;
  /**
   * Null values in the input: `"error"` (default) refuses them with `RUNS_NULL_VALUE` naming the
   * column and row, before anything is stored; `"zero"` stores each null as zero bytes (0, 0.0,
   * false, empty string).
   */
  readonly nulls?: "error" | "zero";
  readonly signal?: AbortSignal;
}

/** Arrow input accepted by {@link putArrow}. */
export type ArrowInput = Table | RecordBatch | Iterable<RecordBatch> | AsyncIterable<RecordBatch>;

async function* batchesOf(input: ArrowInput): AsyncGenerator<RecordBatch> {
  if (input instanceof Table) {
    yield* input.batches;
  } else if (input instanceof RecordBatch) {
    yield input;
  } else {
    yield* input as AsyncIterable<RecordBatch>;
  }
}

function concatBytes(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** Write a run document `{name, start, end}` (ms, rounded out) for `runId` unless it has one. */
async function ensureRunDoc(dir: DataDirectory, runId: string, meta: DataMetadata): Promise<void> {
  if (meta.start === undefined || meta.end === undefined || (await dir.hasRunDoc(runId))) return;
  const doc: RunDoc = {
    name: runId,
    ...(/^\d+$/.test(runId) ? { number: Number(runId) } : {}),
    start: new Date(Number(meta.start / 1_000_000n)),
    end: new Date(Number((meta.end + 999_999n) / 1_000_000n)),
    extra: {},
  };
  try {
    await dir.writeRunDoc(doc);
  } catch (error) {
    // Another writer (e.g. of another data type of this run) created the run document first.
    if (!(RunsError.isInstance(error) && (error.code === "RUNS_DATA_EXISTS" || error.code === "RUNS_BUSY"))) throw error;
  }
}

/**
 * Store an Arrow table or batch stream as data type `dataType` of run `runId`. The schema becomes a
 * numpy dtype (see `arrowSchemaToDtype`); it needs an int64 `time` column (ns since epoch) and
 * `endtime` or `length` + `dt`. Rows must be sorted by `time`. Data is cut into chunks of about
 * `targetSizeMb` at points no row spans (chunks are contiguous, as strax requires for a run).
 * Streaming: memory is about two chunks. Returns the final metadata.
 *
 * Throws `RUNS_UNSUPPORTED_TYPE` (schema), `RUNS_NULL_VALUE` (nulls, unless `nulls: "zero"`),
 * `RUNS_BAD_CHUNK` (unsorted rows, no rows),
 * `RUNS_BAD_RUN_ID`, `RUNS_DATA_EXISTS`, `RUNS_READONLY`.
 */
export async function putArrow(
  dir: DataDirectory,
  runId: string,
  dataType: string,
  input: ArrowInput,
  options: PutOptions = {},
): Promise<DataMetadata> {
  dir.assertWritable();
  assertRunId(runId);
  if (isSuperrunId(runId)) {
    throw new RunsError(
      "RUNS_BAD_RUN_ID",
      `strax: ${runId} starts with '_', which marks superruns; store superrun data with writeSuperrun`,
      { runId },
    );
  }
  const iterator = batchesOf(input)[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done)
    throw new RunsError("RUNS_BAD_CHUNK", `strax: nothing to store for ${runId}/${dataType}: the input has no batches`, {
      runId,
      dataType,
    });
  let dtype: Dtype;
  try {
    dtype = arrowSchemaToDtype(first.value.schema);
    rowTimes(dtype, new Uint8Array(0)); // validates time/endtime fields up front
  } catch (error) {
    throw withContext(error, `strax: cannot store ${dataType} of run ${runId} in ${dir.path}: input schema`, {
      path: dir.path,
      runId,
      dataType,
    });
  }
  const lineage = options.lineage ?? { [dataType]: ["DaqkitPut", "0.0.0", {}] };
  const writer = await dir
    .openWriter({
      key: { runId, dataType },
      dtype,
      ...(options.dataKind ? { dataKind: options.dataKind } : {}),
      ...(options.compressor ? { compressor: options.compressor } : {}),
      lineage,
      chunkTargetSizeMb: options.targetSizeMb ?? 200,
      ...(options.overwrite ? { overwrite: options.overwrite } : {}),
    })
    .catch(async (error: unknown) => {
      // The data is there but a run document is not: an earlier put was stopped between the two.
      if (RunsError.isInstance(error) && error.code === "RUNS_DATA_EXISTS" && (options.createRunDoc ?? true)) {
        const stored = await dir.findData(runId, dataType, { lineageHash: deterministicHash(lineage) }).catch(() => undefined);
        if (stored) await ensureRunDoc(dir, runId, stored.metadata);
      }
      throw error;
    });
  const targetBytes = (options.targetSizeMb ?? 200) * 1e6;
  const base = { runId, dataType, dataKind: options.dataKind ?? dataType, dtype, subruns: null } as const;
  let chunkStart: bigint | undefined = options.start;
  let maxEnd: bigint | undefined;
  let lastTime: bigint | undefined;
  let firstTime: bigint | undefined;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let rowsSeen = 0;
  const emit = async (data: Uint8Array, end: bigint) => {
    const chunk: Chunk = { ...base, start: chunkStart!, end, n: data.byteLength / dtype.itemsize, data };
    await writer.write(chunk);
    chunkStart = end;
  };
  try {
    let result: IteratorResult<RecordBatch> = first;
    while (!result.done) {
      options.signal?.throwIfAborted();
      const batch = result.value;
      if (batch.numRows > 0) {
        const rows = recordBatchToRows(batch, dtype, { nulls: options.nulls ?? "error", firstRow: rowsSeen });
        const times = rowTimes(dtype, rows);
        for (let i = 0; i < batch.numRows; i++) {
          const t = times.time(i);
          if (lastTime !== undefined && t < lastTime) {
            throw new RunsError(
              "RUNS_BAD_CHUNK",
              `strax: rows of ${runId}/${dataType} must be sorted by time: row ${rowsSeen + i} (${t}) comes after ${lastTime}`,
              {
                runId,
                dataType,
                row: rowsSeen + i,
              },
            );
          }
          lastTime = t;
          const e = times.endtime(i);
          if (maxEnd === undefined || e > maxEnd) maxEnd = e;
        }
        firstTime ??= times.time(0);
        if (chunkStart === undefined) chunkStart = firstTime;
        if (firstTime < chunkStart) {
          throw new RunsError(
            "RUNS_BAD_CHUNK",
            `strax: first row of ${runId}/${dataType} (${firstTime}) is before the requested start ${chunkStart}`,
            { runId, dataType },
          );
        }
        rowsSeen += batch.numRows;
        pending.push(rows);
        pendingBytes += rows.byteLength;
        if (pendingBytes > targetBytes) {
          const data = concatBytes(pending, pendingBytes);
          const probe: Chunk = { ...base, start: chunkStart, end: maxEnd!, n: data.byteLength / dtype.itemsize, data };
          // Cut where no row spans the cut (gap ≥ 0 to the running max end).
          const cuts = getSplits(probe, targetBytes, -1n);
          const cutTimes = rowTimes(dtype, data);
          let from = 0;
          for (const cut of cuts) {
            await emit(data.subarray(from * dtype.itemsize, cut * dtype.itemsize), cutTimes.time(cut));
            from = cut;
          }
          const rest = data.slice(from * dtype.itemsize);
          pending = [rest];
          pendingBytes = rest.byteLength;
        }
      }
      result = await iterator.next();
    }
    if (rowsSeen === 0 && chunkStart === undefined) {
      throw new RunsError(
        "RUNS_BAD_CHUNK",
        `strax: nothing to store for ${runId}/${dataType}: the input has no rows (pass start/end to store an empty run)`,
        { runId, dataType },
      );
    }
    const start = chunkStart!;
    let end = options.end ?? maxEnd ?? start;
    if (maxEnd !== undefined && end < maxEnd) {
      throw new RunsError("RUNS_BAD_CHUNK", `strax: rows of ${runId}/${dataType} end at ${maxEnd}, after the requested end ${end}`, {
        runId,
        dataType,
      });
    }
    if (end < start) end = start;
    await emit(concatBytes(pending, pendingBytes), end);
    const meta = await writer.close();
    if (options.createRunDoc ?? true) await ensureRunDoc(dir, runId, meta);
    return meta;
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
