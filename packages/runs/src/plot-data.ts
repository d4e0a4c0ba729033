/**
 * Data for pictures (platform-neutral), shared by the viewer and `daqkit plot`: strax `records` /
 * `raw_records` rows as waveforms (x/y series, dt-scaled, each at its own time).
 */
import { readChunkColumn } from "./arrow.js";
import type { DataDirectory } from "./data-directory.js";
import { RunsError } from "./errors.js";
import { iterateChunks, type LoadOptions } from "./load.js";

/** One record as an x/y series. */
export interface StraxWaveform {
  /** Row of the record in the run's data (over all chunks). */
  readonly row: number;
  readonly channel: number;
  /** Record start, ns since the Unix epoch. */
  readonly timeNs: bigint;
  /** Sample width in ns. */
  readonly dtNs: number;
  /** Sample times in ns relative to {@link StraxWaveforms.originNs}: `time − origin + i × dt` for the record's `length` samples. */
  readonly x: Float64Array;
  /** Samples (`data[0:length]`, ADC counts above the baseline as strax stores them). */
  readonly y: Float64Array;
}

/** Records `[first, first + count)` of a run's data type. */
export interface StraxWaveforms {
  readonly runId: string;
  readonly dataType: string;
  /** Time of the first returned record (ns since the Unix epoch): x = 0. */
  readonly originNs: bigint;
  readonly waveforms: StraxWaveform[];
}

/** Options of {@link readStraxWaveforms}. */
export interface StraxWaveformOptions extends LoadOptions {
  /** First row (default 0). */
  first?: number;
  /** Number of records (default 10; fewer when the data ends). */
  count?: number;
  /** Only records of this channel (rows are counted among them). */
  channel?: number;
}

const REQUIRED = ["time", "length", "dt", "data"] as const;

/**
 * Records of (run, data type) as waveforms: each record's `data[0:length]` at `time + i × dt`.
 * Chunks are read in order until `count` records are found; the rest of the data is not read.
 * @throws RunsError `RUNS_DATA_NOT_FOUND`, `RUNS_BAD_DTYPE` (no time/length/dt/data fields), `RUNS_BAD_CHUNK`
 *   (first beyond the data), the read errors of `iterateChunks`
 */
export async function readStraxWaveforms(
  dir: DataDirectory,
  runId: string,
  dataType = "records",
  options: StraxWaveformOptions = {},
): Promise<StraxWaveforms> {
  const first = options.first ?? 0;
  const count = options.count ?? 10;
  if (!Number.isInteger(first) || first < 0 || !Number.isInteger(count) || count < 1) {
    throw new RunsError("RUNS_BAD_CHUNK", `strax: waveforms from row ${first}, count ${count}: expected first ≥ 0 and count ≥ 1`, {
      runId,
      dataType,
    });
  }
  const waveforms: StraxWaveform[] = [];
  let seen = 0;
  let origin: bigint | null = null;
  for await (const chunk of iterateChunks(dir, runId, dataType, options)) {
    const names = new Set(chunk.dtype.fields.map((f) => f.name));
    const missing = REQUIRED.filter((n) => !names.has(n));
    if (missing.length > 0) {
      throw new RunsError(
        "RUNS_BAD_DTYPE",
        `strax: ${runId}/${dataType} has no ${missing.join(", ")} field: waveforms need time, length, dt and data (records, raw_records)`,
        { runId, dataType, field: missing[0]! },
      );
    }
    if (chunk.n === 0) continue;
    const channels = names.has("channel") ? readChunkColumn(chunk, "channel") : null;
    const wanted: Array<[index: number, row: number]> = [];
    for (let i = 0; i < chunk.n && waveforms.length + wanted.length < count; i++) {
      if (options.channel !== undefined && Number(channels?.[i] ?? -1) !== options.channel) continue;
      if (seen >= first) wanted.push([i, seen]);
      seen++;
    }
    if (wanted.length === 0) continue;
    const time = readChunkColumn(chunk, "time") as BigInt64Array;
    const length = readChunkColumn(chunk, "length");
    const dt = readChunkColumn(chunk, "dt");
    const data = readChunkColumn(chunk, "data");
    const samples = chunk.dtype.fields.find((f) => f.name === "data")!.count;
    for (const [i, row] of wanted) {
      origin ??= time[i]!;
      const n = Math.max(0, Math.min(samples, Number(length[i])));
      const step = Number(dt[i]);
      const start = Number(time[i]! - origin);
      const x = new Float64Array(n);
      const y = new Float64Array(n);
      for (let k = 0; k < n; k++) {
        x[k] = start + k * step;
        y[k] = Number(data[i * samples + k]);
      }
      waveforms.push({ row, channel: Number(channels?.[i] ?? -1), timeNs: time[i]!, dtNs: step, x, y });
    }
    if (waveforms.length >= count) break;
  }
  if (waveforms.length === 0 && seen <= first) {
    throw new RunsError(
      "RUNS_BAD_CHUNK",
      `strax: ${runId}/${dataType} has ${seen} records${options.channel !== undefined ? ` of channel ${options.channel}` : ""}: no record ${first}`,
      {
        runId,
        dataType,
        row: first,
      },
    );
  }
  return { runId, dataType, originNs: origin ?? 0n, waveforms };
}
