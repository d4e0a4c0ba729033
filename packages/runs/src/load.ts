/**
 * The general load API (spec runs.md §7): the chunks, dtype or Arrow table of (run, data type) —
 * stored data when present, otherwise for a superrun the concatenation of its subruns.
 * Platform-neutral: works on any {@link DataDirectory}.
 */
import type { Table } from "apache-arrow";
import { chunksToTable } from "./arrow.js";
import type { Chunk } from "./chunk.js";
import type { ChunkIterationOptions, DataDirectory } from "./data-directory.js";
import type { Dtype } from "./dtype.js";
import { isSuperrunId } from "./run-doc.js";
import { iterateSuperrunPlan, planSuperrunLoad } from "./superrun.js";

/** Options of {@link iterateChunks} / {@link loadTable}. */
export interface LoadOptions extends ChunkIterationOptions {
  /** For superruns: ignore stored superrun data and assemble from the subruns. Default false. */
  readonly fromSubruns?: boolean;
}

/**
 * Stream the chunks of (run, data type): stored data if present (for a superrun: under its own
 * key), otherwise for a superrun the concatenation of its subruns (see {@link planSuperrunLoad}).
 * Validation of a superrun happens before the first chunk is yielded.
 *
 * Throws `RUNS_DATA_NOT_FOUND` and the read errors of `DataDirectory.iterateStored`.
 */
export async function* iterateChunks(
  dir: DataDirectory,
  runId: string,
  dataType: string,
  options: LoadOptions = {},
): AsyncGenerator<Chunk> {
  if (isSuperrunId(runId)) {
    const stored = options.fromSubruns ? undefined : await dir.findData(runId, dataType, options);
    if (stored) {
      yield* dir.iterateStored(stored, options);
      return;
    }
    const plan = await planSuperrunLoad(dir, runId, dataType, options);
    yield* iterateSuperrunPlan(dir, plan, options);
    return;
  }
  yield* dir.iterateStored(await dir.requireData(runId, dataType, options), options);
}

/** The dtype of (run, data type) without reading chunks. */
export async function dataDtype(dir: DataDirectory, runId: string, dataType: string, options: LoadOptions = {}): Promise<Dtype> {
  if (isSuperrunId(runId)) {
    const stored = options.fromSubruns ? undefined : await dir.findData(runId, dataType, options);
    if (stored) return stored.dtype;
    return (await planSuperrunLoad(dir, runId, dataType, options)).dtype;
  }
  return (await dir.requireData(runId, dataType, options)).dtype;
}

/** Load (run, data type) into one Arrow Table (all chunks in memory). */
export async function loadTable(dir: DataDirectory, runId: string, dataType: string, options: LoadOptions = {}): Promise<Table> {
  const chunks: Chunk[] = [];
  for await (const c of iterateChunks(dir, runId, dataType, options)) chunks.push(c);
  return chunksToTable(await dataDtype(dir, runId, dataType, options), chunks);
}
