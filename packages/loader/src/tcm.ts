import type { NumericTypedArray } from "@daqkit/io";
import { LoaderError } from "./errors.js";
import type { TcmColumns } from "./loader-config.js";

/** Any integer-valued column as it comes out of an LH5 read (a numeric typed array or a plain array). */
export type IntegerColumn = ArrayLike<number> | ArrayLike<bigint> | NumericTypedArray;

/** A vector of vectors in memory: row i spans `flattened[cumulativeLength[i-1] … cumulativeLength[i])`. */
export interface RawVectorOfVectors {
  readonly cumulativeLength: IntegerColumn;
  readonly flattened: IntegerColumn;
}

/**
 * A TCM object as read from a file, before normalisation.
 * - `struct`: the old layout (pygama ≤ 2.0.5), three 1-D arrays `cumulative_length` (one per event)
 *   and the per-hit table id / row index arrays (`array_id`, `array_idx`).
 * - `table`: the new layout (2025), a Table of two VoVs sharing one `cumulative_length`
 *   (`table_key`, `row_in_table`).
 */
export type RawTcm =
  | { readonly layout: "struct"; readonly fields: ReadonlyMap<string, IntegerColumn> }
  | { readonly layout: "table"; readonly columns: ReadonlyMap<string, RawVectorOfVectors> };

/**
 * The one internal form of a time-coincidence map, whatever layout it was stored in.
 * Event `e` owns hits `[eventEnd[e-1], eventEnd[e])` (`eventEnd[-1] = 0`); hit `h` is row `row[h]`
 * of the parent table with id `table[h]`, and belongs to event `event[h]` (0-based, per file;
 * the child (evt) table has one row per event in the same order).
 */
export interface Tcm {
  readonly eventCount: number;
  readonly hitCount: number;
  /** Exclusive end offset of each event's hits (= `cumulative_length`), length `eventCount`. */
  readonly eventEnd: Int32Array;
  /** Parent table id per hit. */
  readonly table: Float64Array;
  /** Row index in the parent table per hit. */
  readonly row: Int32Array;
  /** Event (child row) index per hit. */
  readonly event: Int32Array;
}

const OLD_NAMES = { parentTable: "array_id", parentIdx: "array_idx" };
const NEW_NAMES = { parentTable: "table_key", parentIdx: "row_in_table" };

/**
 * Low 32-bit words of a 64-bit integer column when every value is in [0, 2^31) (the usual case for
 * table ids and row indices), read through an Int32Array view instead of one BigInt per value.
 */
function smallInt64(column: IntegerColumn): Int32Array | null {
  if (!(column instanceof BigInt64Array || column instanceof BigUint64Array)) return null;
  const words = new Int32Array(column.buffer, column.byteOffset, column.length * 2);
  // Little-endian: low word first (all platforms Node runs on). One pass: copy, and give up at the
  // first value that is negative or needs the high word.
  const out = new Int32Array(column.length);
  for (let i = 0; i < out.length; i++) {
    const lo = words[2 * i] as number;
    if (lo < 0 || words[2 * i + 1] !== 0) return null;
    out[i] = lo;
  }
  return out;
}

function toNumbers(column: IntegerColumn, what: string): Float64Array {
  const small = smallInt64(column);
  if (small) {
    const out = new Float64Array(small.length);
    out.set(small); // native conversion (Float64Array.from iterates)
    return out;
  }
  const out = new Float64Array(column.length);
  for (let i = 0; i < column.length; i++) {
    const v = Number(column[i] as number | bigint);
    if (!Number.isSafeInteger(v)) {
      throw new LoaderError("LOADER_BAD_TCM", `TCM: ${what}[${i}] = ${String(column[i])} is not a safe integer`, { row: i });
    }
    out[i] = v;
  }
  return out;
}

function toRows(column: IntegerColumn, what: string): Int32Array {
  const small = smallInt64(column);
  if (small) return small;
  const out = new Int32Array(column.length);
  for (let i = 0; i < column.length; i++) {
    const v = Number(column[i] as number | bigint);
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
      throw new LoaderError("LOADER_BAD_TCM", `TCM: ${what}[${i}] = ${String(column[i])} is not a row index (0 … 2^31−1)`, { row: i });
    }
    out[i] = v;
  }
  return out;
}

function pick<T>(map: ReadonlyMap<string, T>, preferred: string, fallback: string, what: string): T {
  const v = map.get(preferred) ?? map.get(fallback);
  if (v === undefined) {
    throw new LoaderError(
      "LOADER_BAD_TCM",
      `TCM: no ${what} field: expected "${preferred}"${preferred === fallback ? "" : ` or "${fallback}"`}, found ${[...map.keys()].join(", ") || "nothing"}`,
    );
  }
  return v;
}

/**
 * Normalise a TCM of either layout into {@link Tcm}. The configured `tcm_cols` names are tried
 * first, then the standard names of the detected layout (`array_id`/`array_idx` for the Struct,
 * `table_key`/`row_in_table` for the Table), so one loader config reads both layouts.
 *
 * Cost: O(hits). @throws LoaderError `LOADER_BAD_TCM` (missing fields, lengths that disagree,
 * decreasing `cumulative_length`, negative or non-integer values).
 */
export function normalizeTcm(raw: RawTcm, columns?: TcmColumns): Tcm {
  let cumulative: IntegerColumn;
  let tableColumn: IntegerColumn;
  let rowColumn: IntegerColumn;
  if (raw.layout === "struct") {
    cumulative = pick(raw.fields, "cumulative_length", "cumulative_length", "cumulative_length");
    tableColumn = pick(raw.fields, columns?.parentTable ?? OLD_NAMES.parentTable, OLD_NAMES.parentTable, "parent table");
    rowColumn = pick(raw.fields, columns?.parentIdx ?? OLD_NAMES.parentIdx, OLD_NAMES.parentIdx, "parent row");
  } else {
    const t = pick(raw.columns, columns?.parentTable ?? NEW_NAMES.parentTable, NEW_NAMES.parentTable, "parent table");
    const r = pick(raw.columns, columns?.parentIdx ?? NEW_NAMES.parentIdx, NEW_NAMES.parentIdx, "parent row");
    if (t.cumulativeLength.length !== r.cumulativeLength.length) {
      throw new LoaderError("LOADER_BAD_TCM", `TCM: the two VoVs have ${t.cumulativeLength.length} and ${r.cumulativeLength.length} rows`);
    }
    for (let i = 0; i < t.cumulativeLength.length; i++) {
      if (Number(t.cumulativeLength[i] as number) !== Number(r.cumulativeLength[i] as number)) {
        throw new LoaderError("LOADER_BAD_TCM", `TCM: the two VoVs' cumulative_length differ at event ${i}`, { row: i });
      }
    }
    cumulative = t.cumulativeLength;
    tableColumn = t.flattened;
    rowColumn = r.flattened;
  }
  const eventEnd = toRows(cumulative, "cumulative_length");
  const eventCount = eventEnd.length;
  const hitCount = eventCount === 0 ? 0 : (eventEnd[eventCount - 1] as number);
  if (tableColumn.length < hitCount || rowColumn.length < hitCount) {
    throw new LoaderError(
      "LOADER_BAD_TCM",
      `TCM: cumulative_length ends at ${hitCount} but the table-id / row arrays hold ${tableColumn.length} / ${rowColumn.length} hits`,
    );
  }
  const head = (c: IntegerColumn): IntegerColumn =>
    c.length === hitCount
      ? c
      : ArrayBuffer.isView(c)
        ? (c as Int32Array).subarray(0, hitCount)
        : Array.prototype.slice.call(c, 0, hitCount);
  const table = toNumbers(head(tableColumn), "parent table");
  const row = toRows(head(rowColumn), "parent row");
  const event = new Int32Array(hitCount);
  let start = 0;
  for (let e = 0; e < eventCount; e++) {
    const end = eventEnd[e] as number;
    if (end < start)
      throw new LoaderError("LOADER_BAD_TCM", `TCM: cumulative_length decreases at event ${e} (${start} → ${end})`, { row: e });
    event.fill(e, start, end);
    start = end;
  }
  return { eventCount, hitCount, eventEnd, table, row, event };
}

/** The hits (TCM rows) of each parent table, in TCM order: table id → Int32Array of hit indices. Cost O(hits). */
export function hitsByTable(
  tcm: Tcm,
  codes: { readonly ids: readonly number[]; readonly code: Int32Array } = tableCodes(tcm),
): Map<number, Int32Array> {
  const { ids, code } = codes;
  const counts = new Int32Array(ids.length);
  for (let h = 0; h < tcm.hitCount; h++) counts[code[h] as number] = (counts[code[h] as number] as number) + 1;
  const lists = Array.from(counts, (n) => new Int32Array(n));
  const fill = new Int32Array(ids.length);
  for (let h = 0; h < tcm.hitCount; h++) {
    const c = code[h] as number;
    const k = fill[c] as number;
    (lists[c] as Int32Array)[k] = h;
    fill[c] = k + 1;
  }
  return new Map(ids.map((id, i) => [id, lists[i] as Int32Array]));
}

/** Distinct table ids (order of first appearance) and the index of each hit's table among them. Cost O(hits). */
export function tableCodes(tcm: Tcm): { ids: number[]; code: Int32Array } {
  const ids: number[] = [];
  const index = new Map<number, number>();
  const code = new Int32Array(tcm.hitCount);
  const table = tcm.table;
  let lastId = Number.NaN;
  let lastCode = -1;
  for (let h = 0; h < tcm.hitCount; h++) {
    const t = table[h] as number;
    if (t !== lastId) {
      // TCM order interleaves the tables: a linear scan of the few ids seen so far beats a Map lookup.
      let c = -1;
      if (ids.length <= 32) {
        for (let k = 0; k < ids.length; k++)
          if (ids[k] === t) {
            c = k;
            break;
          }
      } else c = index.get(t) ?? -1;
      if (c < 0) {
        c = ids.length;
        ids.push(t);
        index.set(t, c);
      }
      lastId = t;
      lastCode = c;
    }
    code[h] = lastCode;
  }
  return { ids, code };
}
