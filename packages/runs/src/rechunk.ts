/**
 * strax 2.x rechunking on save (spec runs.md §6.4, strax 2.2.3 `Rechunker` in `strax/chunk.py`):
 * incoming chunks are cached and cut where the data has gaps of more than `minGapNs`, aiming at
 * `targetBytes` per chunk, with the same boundaries strax picks.
 */
import { type Chunk, concatenateChunks, rowTimes, splitChunk } from "./chunk.js";

/** strax `DEFAULT_CHUNK_SPLIT_NS`: the minimum gap between rows at a cut (ns). */
export const DEFAULT_MIN_GAP_NS = 1000n;

/**
 * strax 2.2.3 `Rechunker.get_splits`: row indices at which to cut `chunk` so that pieces are about
 * `targetBytes`. Gap rows are those whose `time` exceeds the running maximum end of all earlier
 * rows by more than `minGapNs` (strax `diff(data) > min_gap`). With `assumed = floor(targetBytes /
 * itemsize)` rows and `previous` the last cut (first 0): while `previous + assumed` lies before the
 * last gap row, cut at the gap row nearest to `previous + assumed` — on a tie the earlier one, as
 * numpy's `argmin` takes the first minimum.
 *
 * Two deliberate departures, both where strax never returns: when the nearest gap row is not after
 * `previous` (the next gap lies more than twice the target away), strax appends the same index
 * forever; we cut at the first gap row after `previous`. A target smaller than one row (strax:
 * `assumed = 0`, the same endless loop) counts as one row.
 */
export function getSplits(chunk: Chunk, targetBytes: number, minGapNs = DEFAULT_MIN_GAP_NS): number[] {
  const n = chunk.n;
  if (n < 2) return [];
  const times = rowTimes(chunk.dtype, chunk.data);
  const gaps: number[] = [];
  let maxEnd = times.endtime(0);
  for (let i = 1; i < n; i++) {
    const t = times.time(i);
    if (t - maxEnd > minGapNs) gaps.push(i);
    const e = times.endtime(i);
    if (e > maxEnd) maxEnd = e;
  }
  if (gaps.length === 0) return [];
  const assumed = Math.max(1, Math.floor(targetBytes / chunk.dtype.itemsize));
  const last = gaps[gaps.length - 1]!;
  const splits: number[] = [];
  let previous = 0;
  while (previous + assumed < last) {
    const target = previous + assumed;
    // First gap row at or after the target (exists: the last gap row is after it).
    let lo = 0;
    let hi = gaps.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (gaps[mid]! >= target) hi = mid;
      else lo = mid + 1;
    }
    // Nearest of gaps[lo - 1] and gaps[lo]; a tie goes to the earlier (argmin's first minimum).
    let pick = lo;
    if (lo > 0 && target - gaps[lo - 1]! <= gaps[lo]! - target) pick = lo - 1;
    let cut = gaps[pick]!;
    if (cut <= previous) {
      // strax would append `previous` again and loop forever; take the next gap row instead.
      let next = pick;
      while (gaps[next]! <= previous) next++;
      cut = gaps[next]!;
    }
    splits.push(cut);
    previous = cut;
  }
  return splits;
}

/**
 * Streaming rechunker: `receive(chunk)` returns the chunks ready to save, `flush()` the rest.
 * Chunks are cached (not copied) until their total exceeds the target (before that strax's
 * `get_splits` finds no cut either), then concatenated once and cut at
 * `time[cut] − DEFAULT_CHUNK_SPLIT_NS // 2` ns, as strax does.
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
    const cutTimes = getSplits(cache, this.targetBytes, this.minGapNs).map((i) => times.time(i) - DEFAULT_MIN_GAP_NS / 2n);
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
