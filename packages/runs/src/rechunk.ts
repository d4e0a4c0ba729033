/**
 * strax 2.x rechunking on save (spec runs.md §6.4): incoming chunks are cached and cut where the
 * data has gaps of more than `minGapNs`, aiming at `targetBytes` per chunk.
 */
import { type Chunk, concatenateChunks, rowTimes, splitChunk } from "./chunk.js";

/** strax `get_splits`' default minimum gap between rows at a cut (ns). */
export const DEFAULT_MIN_GAP_NS = 1000n;

/**
 * strax `get_splits`: row indices at which to cut `chunk` so that pieces are about
 * `targetBytes`. Candidates are rows whose gap to the running maximum end of all previous rows
 * exceeds `minGapNs`; from the previous cut, the candidate closest to `previous + targetRows` is
 * taken while that target lies before the last candidate.
 */
export function getSplits(chunk: Chunk, targetBytes: number, minGapNs = DEFAULT_MIN_GAP_NS): number[] {
  const n = chunk.n;
  if (n < 2) return [];
  const times = rowTimes(chunk.dtype, chunk.data);
  const candidates: number[] = [];
  let maxEnd = times.endtime(0);
  for (let i = 1; i < n; i++) {
    const t = times.time(i);
    if (t - maxEnd > minGapNs) candidates.push(i);
    const e = times.endtime(i);
    if (e > maxEnd) maxEnd = e;
  }
  if (candidates.length === 0) return [];
  const targetRows = Math.max(1, Math.floor(targetBytes / chunk.dtype.itemsize));
  const last = candidates[candidates.length - 1]!;
  const splits: number[] = [];
  let previous = 0;
  let ci = 0;
  while (previous + targetRows < last) {
    const target = previous + targetRows;
    while (ci < candidates.length && candidates[ci]! <= previous) ci++;
    // Advance to the candidate closest to target.
    while (ci + 1 < candidates.length && Math.abs(candidates[ci + 1]! - target) <= Math.abs(candidates[ci]! - target)) ci++;
    const cut = candidates[ci]!;
    if (cut <= previous) break;
    splits.push(cut);
    previous = cut;
  }
  return splits;
}

/**
 * Streaming rechunker: `receive(chunk)` returns the chunks ready to save, `flush()` the rest.
 * Chunks are cached (not copied) until their total exceeds the target, then concatenated once and
 * cut at `time[cut] − 500` ns (strax).
 */
export class Rechunker {
  private pending: Chunk[] = [];
  private pendingBytes = 0;

  constructor(
    readonly targetBytes: number,
    readonly minGapNs = DEFAULT_MIN_GAP_NS,
  ) {}

  receive(chunk: Chunk): Chunk[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.data.byteLength;
    if (this.pendingBytes <= this.targetBytes) return [];
    let cache = concatenateChunks(this.pending);
    const out: Chunk[] = [];
    const times = rowTimes(cache.dtype, cache.data);
    const cutTimes = getSplits(cache, this.targetBytes, this.minGapNs).map((i) => times.time(i) - 500n);
    for (const t of cutTimes) {
      const [left, right] = splitChunk(cache, t, { allowEarlySplit: true });
      out.push(left);
      cache = right;
    }
    // Keep the remainder as an owned copy so the big buffer can be released.
    const rest: Chunk = out.length > 0 ? { ...cache, data: cache.data.slice() } : cache;
    this.pending = [rest];
    this.pendingBytes = rest.data.byteLength;
    return out;
  }

  flush(): Chunk | undefined {
    if (this.pending.length === 0) return undefined;
    const rest = concatenateChunks(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    return rest;
  }
}
