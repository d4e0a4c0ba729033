import type { CycleSource, TableId } from "../src/cycle-source.js";
import type { Piece } from "../src/gather.js";
import type { RawTcm } from "../src/tcm.js";

/** tier → table id → column → values (1-D float64 columns). */
export type FakeTiers = Record<string, Record<string, Record<string, number[]>>>;

/** An in-memory {@link CycleSource}: tables of plain number columns plus an optional TCM. */
export function fakeCycle(fileIndex: number, tiers: FakeTiers, tcm?: { tier: string; raw: RawTcm }): CycleSource & { reads: string[] } {
  const reads: string[] = [];
  const get = (tier: string, table: TableId) => tiers[tier]?.[String(table)];
  return {
    fileIndex,
    reads,
    tables(tier) {
      if (tcm && tier === tcm.tier) return [0];
      const t = tiers[tier];
      if (!t) return null;
      return Object.keys(t).map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    },
    columns(tier, table) {
      const t = get(tier, table);
      return t ? Object.keys(t) : null;
    },
    rowCount(tier, table) {
      const t = get(tier, table);
      const first = t ? Object.values(t)[0] : undefined;
      return first ? first.length : 0;
    },
    read(tier, table, columns, rows) {
      const t = get(tier, table);
      if (!t) throw new Error(`no table ${tier}/${table}`);
      reads.push(`${tier}/${table}:${columns.join(",")}`);
      const out = new Map<string, Piece>();
      for (const c of columns) {
        const all = t[c] as number[];
        let data: number[];
        if (rows === undefined) data = all;
        else if ("start" in rows) data = all.slice(rows.start, rows.stop);
        else data = Array.from(rows as ArrayLike<number>, (r) => all[r] as number);
        out.set(c, { type: "Array", element: { kind: "real" }, data: Float64Array.from(data), shape: [data.length], attrs: {} });
      }
      return out;
    },
    readTcm() {
      if (!tcm) throw new Error("no tcm");
      return tcm.raw;
    },
    describe(tier) {
      return `<memory ${tier}>`;
    },
  };
}

/** The old-layout TCM (Struct of cumulative_length / array_id / array_idx) for events given as [table, row] lists. */
export function oldTcm(events: [number, number][][]): RawTcm {
  const cl: number[] = [];
  const id: number[] = [];
  const idx: number[] = [];
  for (const e of events) {
    for (const [t, r] of e) {
      id.push(t);
      idx.push(r);
    }
    cl.push(id.length);
  }
  return {
    layout: "struct",
    fields: new Map<string, ArrayLike<number> | ArrayLike<bigint>>([
      ["cumulative_length", BigInt64Array.from(cl.map(BigInt))],
      ["array_id", Int32Array.from(id)],
      ["array_idx", Int32Array.from(idx)],
    ]),
  };
}

/** The same events in the new layout (Table of two VoVs table_key / row_in_table). */
export function newTcm(events: [number, number][][]): RawTcm {
  const cl: number[] = [];
  const id: number[] = [];
  const idx: number[] = [];
  for (const e of events) {
    for (const [t, r] of e) {
      id.push(t);
      idx.push(r);
    }
    cl.push(id.length);
  }
  const cumulativeLength = Float64Array.from(cl);
  return {
    layout: "table",
    columns: new Map([
      ["table_key", { cumulativeLength, flattened: BigInt64Array.from(id.map(BigInt)) }],
      ["row_in_table", { cumulativeLength, flattened: BigInt64Array.from(idx.map(BigInt)) }],
    ]),
  };
}

/** The first five events of tcm/cal/p03/r001/…-20230318T012144Z (spec §2.7 worked example). */
export const WORKED: [number, number][][] = [
  [[1084804, 0]],
  [
    [1084803, 0],
    [1121600, 0],
  ],
  [[1084804, 1]],
  [
    [1084804, 2],
    [1121600, 1],
  ],
  [
    [1084804, 3],
    [1121600, 2],
  ],
];
