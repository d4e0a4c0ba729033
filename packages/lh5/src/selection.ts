import { Lh5Error } from "./errors.js";

/**
 * Which rows to read: all (undefined), a half-open range `{ start, stop }` (`[start, stop)`, `stop`
 * clamped to the row count like a Python slice), or a list of row indices (any order, duplicates
 * allowed; every index must be in `[0, rows)`).
 */
export type RowSelection = { readonly start?: number; readonly stop?: number } | ArrayLike<number>;

/** Half-open row ranges `[starts[k], stops[k])`, concatenated in this order in the output. */
export interface Ranges {
  readonly starts: Float64Array;
  readonly stops: Float64Array;
}

export function fullRange(n: number): Ranges {
  return { starts: Float64Array.of(0), stops: Float64Array.of(n) };
}

export function rangesLength(r: Ranges): number {
  let total = 0;
  for (let k = 0; k < r.starts.length; k++) total += (r.stops[k] as number) - (r.starts[k] as number);
  return total;
}

function isRangeSelection(rows: RowSelection): rows is { start?: number; stop?: number } {
  return typeof (rows as ArrayLike<number>).length !== "number";
}

/**
 * Turn a {@link RowSelection} into ranges over `n` rows.
 * @throws Lh5Error `LH5_BAD_ROWS` for negative/non-integer bounds or an index outside `[0, n)`.
 */
export function normalizeRows(rows: RowSelection | undefined, n: number, context: { path?: string; objectPath?: string }): Ranges {
  if (rows === undefined) return fullRange(n);
  const where = `${context.path ?? ""}:${context.objectPath ?? ""}`;
  if (isRangeSelection(rows)) {
    const start = rows.start ?? 0;
    const stop = rows.stop ?? n;
    if (!Number.isInteger(start) || !Number.isInteger(stop) || start < 0 || stop < 0) {
      throw new Lh5Error(
        "LH5_BAD_ROWS",
        `lh5: ${where}: row range must be non-negative integers [start, stop), got [${start}, ${stop})`,
        context,
      );
    }
    const b = Math.min(stop, n);
    const a = Math.min(start, b);
    return { starts: Float64Array.of(a), stops: Float64Array.of(b) };
  }
  const list = rows as ArrayLike<number>;
  const len = list.length;
  const starts = new Float64Array(len);
  const stops = new Float64Array(len);
  let m = 0;
  for (let i = 0; i < len; i++) {
    const row = list[i] as number;
    if (!Number.isInteger(row) || row < 0 || row >= n) {
      throw new Lh5Error("LH5_BAD_ROWS", `lh5: ${where}: row index ${row} (position ${i} of the list) is outside [0, ${n})`, {
        ...context,
        row,
      });
    }
    if (m > 0 && stops[m - 1] === row) stops[m - 1] = row + 1;
    else {
      starts[m] = row;
      stops[m] = row + 1;
      m++;
    }
  }
  return { starts: starts.subarray(0, m), stops: stops.subarray(0, m) };
}
