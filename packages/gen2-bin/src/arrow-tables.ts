/** Arrow tables and record batches over decoded photon columns (zero-copy wrappers). */
import { makeVector, type RecordBatch, Table } from "apache-arrow";
import type { PhotonColumns, WidePhotonColumns } from "./decoder-core.js";

/** Typed-array columns of photons with x, y < 256 (spec §8.3 order), plus an optional `board`. */
export interface Gen2PhotonArrays {
  /** `(x << 8) | y`. */
  readonly xy: Uint16Array;
  /** µs since the year epoch, `header × 500 + offset`; not unwrapped, not reduced mod M. */
  readonly timestamp: BigInt64Array;
  /** Raw signed 18-bit phase (radians × 32768). */
  readonly phase: Int32Array;
  /** Raw signed 17-bit baseline (radians × 16384). */
  readonly baseline: Int32Array;
  /** Board number of each photon's frame (only when asked for). */
  readonly board?: Uint8Array;
}

/** Typed-array columns of photons with x or y ≥ 256 (10-bit coordinates kept as they are). */
export interface Gen2WidePhotonArrays {
  readonly x: Uint16Array;
  readonly y: Uint16Array;
  readonly timestamp: BigInt64Array;
  readonly phase: Int32Array;
  readonly baseline: Int32Array;
  readonly board: Uint8Array;
}

export function packedArrays(cols: PhotonColumns, withBoard: boolean): Gen2PhotonArrays {
  const n = cols.length;
  const arrays = {
    xy: cols.xy.subarray(0, n),
    timestamp: cols.timestamp.subarray(0, n),
    phase: cols.phase.subarray(0, n),
    baseline: cols.baseline.subarray(0, n),
  };
  return withBoard && cols.board ? { ...arrays, board: cols.board.subarray(0, n) } : arrays;
}

export function wideArrays(cols: WidePhotonColumns): Gen2WidePhotonArrays {
  const n = cols.length;
  return {
    x: cols.x.slice(0, n),
    y: cols.y.slice(0, n),
    timestamp: cols.timestamp.slice(0, n),
    phase: cols.phase.slice(0, n),
    baseline: cols.baseline.slice(0, n),
    board: cols.board.slice(0, n),
  };
}

/** An Arrow table `xy: Uint16, timestamp: Int64, phase: Int32, baseline: Int32 [, board: Uint8]` (zero-copy). */
export function photonTable(arrays: Gen2PhotonArrays): Table {
  const columns: Record<string, ReturnType<typeof makeVector>> = {
    xy: makeVector(arrays.xy),
    timestamp: makeVector(arrays.timestamp),
    phase: makeVector(arrays.phase),
    baseline: makeVector(arrays.baseline),
  };
  if (arrays.board) columns.board = makeVector(arrays.board);
  return new Table(columns);
}

/** An Arrow table `x: Uint16, y: Uint16, timestamp: Int64, phase: Int32, baseline: Int32, board: Uint8`. */
export function wideTable(arrays: Gen2WidePhotonArrays): Table {
  return new Table({
    x: makeVector(arrays.x),
    y: makeVector(arrays.y),
    timestamp: makeVector(arrays.timestamp),
    phase: makeVector(arrays.phase),
    baseline: makeVector(arrays.baseline),
    board: makeVector(arrays.board),
  });
}

/** The single record batch of a table built by {@link photonTable}/{@link wideTable}. */
export function onlyBatch(table: Table): RecordBatch {
  const batch = table.batches[0];
  if (!batch) throw new Error("gen2: internal: table without a batch");
  return batch;
}
