/**
 * A half-open time interval `[start, end)` in integer nanoseconds (strax convention: a chunk or
 * row covers start ≤ t < end). Values are `bigint` because unix-epoch ns exceed 2^53.
 * An interval with `start >= end` is empty.
 */
export interface NsInterval {
  readonly start: bigint;
  readonly end: bigint;
}

/** True when the two intervals share at least one ns. Touching intervals (`a.end == b.start`) do not overlap. */
export function overlapsNs(a: NsInterval, b: NsInterval): boolean {
  return a.start < b.end && b.start < a.end && a.start < a.end && b.start < b.end;
}

/** The common part of two intervals, or `null` when they do not overlap. */
export function intersectNs(a: NsInterval, b: NsInterval): NsInterval | null {
  const start = a.start > b.start ? a.start : b.start;
  const end = a.end < b.end ? a.end : b.end;
  return start < end ? { start, end } : null;
}

function compare(a: NsInterval, b: NsInterval): number {
  return a.start < b.start ? -1 : a.start > b.start ? 1 : a.end < b.end ? -1 : a.end > b.end ? 1 : 0;
}

/**
 * The union of a list of intervals as sorted, disjoint, non-touching intervals. Overlapping and
 * touching intervals merge (`[0,5) ∪ [5,9)` = `[0,9)`); empty ones are dropped. The input need not be
 * sorted (it is sorted in a copy: O(n log n)).
 */
export function mergeNs(intervals: readonly NsInterval[]): NsInterval[] {
  const sorted = intervals.filter((i) => i.start < i.end).sort(compare);
  const out: NsInterval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) {
      if (i.end > last.end) out[out.length - 1] = { start: last.start, end: i.end };
    } else {
      out.push({ start: i.start, end: i.end });
    }
  }
  return out;
}

/**
 * The gaps between intervals: the parts of `within` (default: from the first start to the last end)
 * not covered by any interval. Result sorted and disjoint.
 */
export function gapsNs(intervals: readonly NsInterval[], within?: NsInterval): NsInterval[] {
  const merged = mergeNs(intervals);
  if (merged.length === 0) return within && within.start < within.end ? [{ ...within }] : [];
  const lo = within ? within.start : merged[0]!.start;
  const hi = within ? within.end : merged[merged.length - 1]!.end;
  const out: NsInterval[] = [];
  let cursor = lo;
  for (const i of merged) {
    if (i.end <= cursor) continue;
    if (i.start >= hi) break;
    if (i.start > cursor) out.push({ start: cursor, end: i.start < hi ? i.start : hi });
    if (i.end > cursor) cursor = i.end;
  }
  if (cursor < hi) out.push({ start: cursor, end: hi });
  return out;
}

/** Total length in ns of the union of the intervals. */
export function coveredNs(intervals: readonly NsInterval[]): bigint {
  let total = 0n;
  for (const i of mergeNs(intervals)) total += i.end - i.start;
  return total;
}
