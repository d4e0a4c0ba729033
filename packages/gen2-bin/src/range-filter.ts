/** Time-range filtering of photon tables (inclusive, mod M, across the wrap): shared by both directory readers. */
import { GEN2_WRAP_US, type TimestampRange } from "@daqkit/timestamps";
import type { Table } from "apache-arrow";
import { photonTable, wideTable } from "./arrow-tables.js";
import { Gen2BinError } from "./errors.js";

/** Inline membership test of `range` (mod M), for typed-array loops. */
export function insideTest(range: TimestampRange): (t: number) => boolean {
  const { startUs, stopUs } = range;
  if (startUs <= stopUs) {
    return (t) => {
      const u = t >= GEN2_WRAP_US ? t % GEN2_WRAP_US : t;
      return u >= startUs && u <= stopUs;
    };
  }
  return (t) => {
    const u = t >= GEN2_WRAP_US ? t % GEN2_WRAP_US : t;
    return u <= stopUs || u >= startUs;
  };
}

export function concat(tables: Table[]): Table {
  const [first, ...rest] = tables;
  return rest.length ? first!.concat(...rest) : first!;
}

function column<T>(table: Table, name: string): T {
  const vector = table.getChild(name);
  if (!vector) throw new Gen2BinError("GEN2_PARQUET", `gen2: cache file lacks column ${name}`);
  return vector.toArray() as T;
}

function keepIndices(ts: BigInt64Array, inside: (t: number) => boolean): Int32Array | null {
  const pairs = new Int32Array(ts.buffer, ts.byteOffset, ts.length * 2);
  const keep = new Int32Array(ts.length);
  let n = 0;
  for (let i = 0; i < ts.length; i++) {
    if (inside(pairs[2 * i + 1]! * 4294967296 + (pairs[2 * i]! >>> 0))) keep[n++] = i;
  }
  return n === ts.length ? null : keep.subarray(0, n);
}

function pick<T extends Uint16Array | Int32Array | BigInt64Array | Uint8Array>(a: T, keep: Int32Array): T {
  const out = new (a.constructor as new (n: number) => T)(keep.length);
  for (let i = 0; i < keep.length; i++) (out as Uint8Array)[i] = (a as Uint8Array)[keep[i]!]!;
  return out;
}

export function filterPhotons(table: Table, inside: (t: number) => boolean): Table {
  const ts = column<BigInt64Array>(table, "timestamp");
  const keep = keepIndices(ts, inside);
  if (!keep) return table;
  return photonTable({
    xy: pick(column<Uint16Array>(table, "xy"), keep),
    timestamp: pick(ts, keep),
    phase: pick(column<Int32Array>(table, "phase"), keep),
    baseline: pick(column<Int32Array>(table, "baseline"), keep),
  });
}

export function filterWide(table: Table, inside: (t: number) => boolean): Table {
  const ts = column<BigInt64Array>(table, "timestamp");
  const keep = keepIndices(ts, inside);
  if (!keep) return table;
  return wideTable({
    x: pick(column<Uint16Array>(table, "x"), keep),
    y: pick(column<Uint16Array>(table, "y"), keep),
    timestamp: pick(ts, keep),
    phase: pick(column<Int32Array>(table, "phase"), keep),
    baseline: pick(column<Int32Array>(table, "baseline"), keep),
    board: pick(column<Uint8Array>(table, "board"), keep),
  });
}
