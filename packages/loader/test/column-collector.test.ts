import { makeVector } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { ColumnCollector, compactExported, type ExportedColumns } from "../src/column-collector.js";
import type { CycleSource } from "../src/cycle-source.js";
import type { Piece, PieceArray } from "../src/gather.js";
import { buildHitEntries, type EntryPlan } from "../src/entry-list.js";
import type { LevelConfig } from "../src/loader-config.js";
import { type FakeTiers, fakeCycle } from "./fake-source.js";

const HIT: LevelConfig = { name: "hit", tiers: ["hit"] };
const COLUMNS = ["a", "b", "c"];

/** One cycle collected on its own (as runCycleJob does in a worker or in this thread), exported. */
function collectCycle(fileIndex: number, tiers: FakeTiers) {
  const src = fakeCycle(fileIndex, tiers);
  const plan: EntryPlan = { parent: HIT, parentTables: null, childTables: null, parentCut: null, childCut: null, warn: () => undefined };
  const chunk = buildHitEntries(src, plan);
  const collector = new ColumnCollector(COLUMNS);
  collector.addCycle(src, HIT, chunk);
  return collector.export();
}

const values = (collector: ColumnCollector) =>
  Object.fromEntries(
    [...collector.finishGathered({ known: true })].map(([name, g]) => [
      name,
      [...(g.data.values as Float64Array)].map((v, i) => (g.data.getValid(i) ? v : null)),
    ]),
  );

describe("ColumnCollector: columns read together share their row sources", () => {
  // Cycle 0: "a" nowhere, "b" in table 1, "c" in tables 1 and 2 (so the columns have 0, 1 and 2 pieces).
  // Cycle 1: "a", "b" and "c" in table 1 only: the three columns share one pair of arrays in the
  // cycle's export, which the merged collector rebases by three different piece offsets (0, 1, 2).
  const cycle0: FakeTiers = { hit: { "1": { b: [10, 11], c: [20, 21] }, "2": { c: [22] } } };
  const cycle1: FakeTiers = { hit: { "1": { a: [1, 2, 3], b: [4, 5, 6], c: [7, 8, 9] } } };

  it("shares the arrays within a cycle only between columns with the same placements", () => {
    const e1 = collectCycle(1, cycle1);
    expect(e1.columns.a?.srcPiece).toBe(e1.columns.b?.srcPiece);
    expect(e1.columns.b?.srcRow).toBe(e1.columns.c?.srcRow);
    const e0 = collectCycle(0, cycle0);
    expect(e0.columns.b?.srcPiece).not.toBe(e0.columns.c?.srcPiece);
  });

  it("merged cycles give every column its own values whatever the piece offsets", () => {
    for (const order of [
      [0, 1],
      [1, 0],
    ]) {
      const merged = new ColumnCollector(COLUMNS);
      for (const f of order) merged.addExported(collectCycle(f, f === 0 ? cycle0 : cycle1));
      // Rows: cycle 0 has table 1 (2 rows) then table 2 (1 row); cycle 1 has table 1 (3 rows).
      const rows0 = { a: [null, null, null], b: [10, 11, null], c: [20, 21, 22] };
      const rows1 = { a: [1, 2, 3], b: [4, 5, 6], c: [7, 8, 9] };
      const [first, second] = order[0] === 0 ? [rows0, rows1] : [rows1, rows0];
      expect(values(merged)).toEqual({ a: [...first.a, ...second.a], b: [...first.b, ...second.b], c: [...first.c, ...second.c] });
    }
  });
});

describe("compactExported: a cycle's numeric columns gathered where the cycle is loaded", () => {
  const arr = (data: PieceArray["data"], attrs: Record<string, unknown> = {}, kind = "real"): PieceArray => ({
    type: "Array",
    element: { kind },
    data,
    shape: [data.length],
    attrs,
  });
  // Five entries; -1 = the entry's table lacks the column (null).
  // `wide`: the "f32" column is float64 in this cycle (another file wrote it so): merged, it is Float64.
  const cycle = (absent = false, wide = false): ExportedColumns => {
    const F = wide ? Float64Array : Float32Array;
    const srcPiece = Int32Array.from([0, 0, -1, 1, 1]);
    const srcRow = Int32Array.from([3, 1, 0, 0, 2]);
    return {
      rows: 5,
      columns: {
        f32: {
          pieces: [arr(F.from([1.5, 2.5, 3.5, 4.5]), { units: "keV" }), arr(F.from([7, 8, 9]))],
          srcPiece,
          srcRow,
          found: true,
          fromParent: true,
          fromChild: false,
        },
        // Both element types used: left as it is (the merged gather widens to Float64).
        mixed: {
          pieces: [arr(Float32Array.from([1, 2, 3, 4])), arr(Float64Array.from([0.1, 0.2, 0.3]))],
          srcPiece,
          srcRow,
          found: true,
          fromParent: true,
          fromChild: false,
        },
        // Only the Int32 piece is used (the Float64 one is not): Int32, with the first piece's attributes.
        unused: {
          pieces: [arr(Float64Array.from([9, 9]), { units: "ns" }), arr(Int32Array.from([-4, 5, -6]))],
          srcPiece: Int32Array.from([1, 1, -1, 1, -1]),
          srcRow: Int32Array.from([2, 0, 0, 1, 0]),
          found: true,
          fromParent: true,
          fromChild: false,
        },
        big: {
          pieces: [arr(BigInt64Array.from([10n, 20n, 30n, 40n])), arr(BigInt64Array.from([1n, 2n, 3n]))],
          srcPiece,
          srcRow,
          found: true,
          fromParent: true,
          fromChild: false,
        },
        text: {
          pieces: [arr(["a", "b", "c", "d"], {}, "string"), arr(["x", "y", "z"], {}, "string")],
          srcPiece,
          srcRow,
          found: true,
          fromParent: true,
          fromChild: false,
        },
        // Absent from this cycle's tables in the second variant (every entry null, no piece).
        sometimes: absent
          ? {
              pieces: [],
              srcPiece: new Int32Array(5).fill(-1),
              srcRow: new Int32Array(5),
              found: false,
              fromParent: false,
              fromChild: false,
            }
          : {
              pieces: [arr(Float64Array.from([0.5, 1.5, 2.5, 3.5]), { units: "V" }), arr(Float64Array.from([1, 2, 3]))],
              srcPiece,
              srcRow,
              found: true,
              fromParent: true,
              fromChild: false,
            },
      },
    };
  };
  const col = (e: ExportedColumns, name: string) => e.columns[name] as ExportedColumns["columns"][string];
  const gathered = (exports: ExportedColumns[]) => {
    const c = new ColumnCollector(["f32", "mixed", "unused", "big", "text", "sometimes"]);
    for (const e of exports) c.addExported(e);
    return Object.fromEntries(
      [...c.finishGathered({ known: true })].map(([name, g]) => [
        name,
        {
          type: String(g.data.type),
          metadata: Object.fromEntries(g.metadata),
          nullCount: g.data.nullCount,
          values: Array.from({ length: g.data.length }, (_, i) => (g.data.getValid(i) ? String(makeVector(g.data).get(i)) : null)),
          buffer: Array.from(g.data.values as ArrayLike<unknown>),
          offsets: g.data.valueOffsets ? Array.from(g.data.valueOffsets) : null,
        },
      ]),
    );
  };

  it("compacts the plain numeric columns only, into one piece of one value per entry", () => {
    const e = compactExported(cycle());
    expect(e.columns.f32?.pieces).toHaveLength(1);
    expect([...((col(e, "f32").pieces[0] as PieceArray).data as Float32Array)]).toEqual([4.5, 2.5, Number.NaN, 7, 9]);
    expect([...(e.columns.f32?.srcPiece ?? [])]).toEqual([0, 0, -1, 0, 0]);
    expect(e.columns.big?.srcPiece).toBe(e.columns.f32?.srcPiece); // shared, as the row sources they came from
    expect(e.columns.mixed?.pieces).toHaveLength(2);
    expect(e.columns.text?.pieces).toHaveLength(2);
    expect((col(e, "unused").pieces[0] as PieceArray).data).toBeInstanceOf(Int32Array);
  });

  it("gathers to the same columns as the read pieces (types, nulls, values, attributes), alone and merged", () => {
    const plain = gathered([cycle(), cycle()]);
    expect(gathered([compactExported(cycle()), compactExported(cycle())])).toEqual(plain);
    expect(gathered([compactExported(cycle()), cycle()])).toEqual(plain);
    expect(plain.f32?.type).toBe("Float32");
    expect(plain.f32?.metadata).toEqual({ units: "keV" });
    expect(plain.unused).toMatchObject({ type: "Int32", metadata: { units: "ns" }, nullCount: 4 });
    expect(plain.f32?.values.slice(0, 5)).toEqual(["4.5", "2.5", null, "7", "9"]);
    // A cycle without the column (all null) before and after cycles with it.
    for (const order of [
      [true, false],
      [false, true],
      [true, true],
    ]) {
      const ref = gathered(order.map((absent) => cycle(absent)));
      expect(gathered(order.map((absent) => compactExported(cycle(absent))))).toEqual(ref);
    }
    // Element types differing between cycles: widened to Float64 as from the read pieces.
    const mixedRef = gathered([cycle(false, false), cycle(false, true)]);
    expect(mixedRef.f32?.type).toBe("Float64");
    expect(gathered([compactExported(cycle(false, false)), compactExported(cycle(false, true))])).toEqual(mixedRef);
    expect(gathered([cycle(true), cycle(false)]).sometimes).toMatchObject({ type: "Float64", metadata: { units: "V" }, nullCount: 6 });
  });
});

describe("a compact collector writes a cycle's numeric columns straight into one value per entry", () => {
  // Columns by element type: f32 everywhere Float32, i32 Int32, wide Float32 in table 1 and Float64 in
  // table 2 (mixed: left to the row sources), big BigInt64, txt strings, only1 in table 1 only (nulls).
  const typed = (tiers: FakeTiers, fileIndex: number): CycleSource => {
    const base = fakeCycle(fileIndex, tiers);
    return {
      ...base,
      read(tier, table, columns, rows) {
        const out = new Map<string, Piece>();
        for (const [c, p] of base.read(tier, table, columns, rows)) {
          const v = (p as PieceArray).data as Float64Array;
          const as = (data: PieceArray["data"], kind = "real"): Piece => ({
            ...(p as PieceArray),
            element: { kind },
            data,
            attrs: { units: `${c}-${table}` },
          });
          if (c === "f32" || (c === "wide" && String(table) === "1")) out.set(c, as(Float32Array.from(v)));
          else if (c === "i32") out.set(c, as(Int32Array.from(v)));
          else if (c === "big") out.set(c, as(BigInt64Array.from(v, (x) => BigInt(x))));
          else if (c === "txt") out.set(c, as(Array.from(v, String), "string"));
          else out.set(c, p);
        }
        return out;
      },
    };
  };
  const cols = ["f32", "i32", "wide", "big", "txt", "only1", "absent"];
  const table = (k: number, rows: number, only1: boolean) => {
    const t: Record<string, number[]> = {};
    for (const c of ["f32", "i32", "wide", "big", "txt", ...(only1 ? ["only1"] : [])])
      t[c] = Array.from({ length: rows }, (_, r) => k * 100 + r + 0.5 * (c === "f32" ? 1 : 0));
    return t;
  };
  const tiers: FakeTiers = { hit: { "1": table(1, 7, true), "2": table(2, 5, false), "3": table(3, 4, true) } };
  const entrySets = {
    // without a TCM: table by table, some rows of each
    byTable: { tableIds: [1, 2, 3], tableCode: Int32Array.from([0, 0, 0, 1, 1, 2]), row: Int32Array.from([0, 3, 6, 1, 4, 2]), event: null },
    // TCM order: tables interleaved, rows out of order, a row twice
    interleaved: {
      tableIds: [1, 2, 3],
      tableCode: Int32Array.from([1, 0, 2, 0, 1, 0]),
      row: Int32Array.from([4, 6, 0, 2, 0, 2]),
      event: null,
    },
    // one table, consecutive rows from 0 (a whole run: copied in one piece)
    run: { tableIds: [2], tableCode: Int32Array.from([0, 0, 0, 0, 0]), row: Int32Array.from([0, 1, 2, 3, 4]), event: null },
  };

  for (const [name, entries] of Object.entries(entrySets)) {
    it(`equals compactExported of the plain collector's export (${name})`, () => {
      const plainExport = () => {
        const plain = new ColumnCollector(cols);
        plain.addCycle(typed(tiers, 0), HIT, entries);
        return compactExported(plain.export());
      };
      const compactExport = () => {
        const compact = new ColumnCollector(cols, { compact: true });
        compact.addCycle(typed(tiers, 0), HIT, entries);
        return compact.export();
      };
      // (all-null columns are marked dense by compactExported, which runs on the export either way)
      const got = compactExported(compactExport());
      expect(got).toEqual(plainExport());
      expect(compactExport().columns.f32?.dense).toBeDefined();
      expect(compactExport().columns.txt?.dense).toBeUndefined();
      if (name !== "run") expect(compactExport().columns.wide?.dense).toBeUndefined();
      // merged with another cycle (either form first), gathered: the same Arrow columns
      const gather = (a: ExportedColumns, b: ExportedColumns) => {
        const c = new ColumnCollector(cols);
        c.addExported(a);
        c.addExported(b);
        return [...c.finishGathered({ known: true })].map(([n, g]) => [
          n,
          String(g.data.type),
          g.data.nullCount,
          [...makeVector(g.data)].map(String),
        ]);
      };
      const want = gather(plainExport(), plainExport());
      expect(gather(compactExported(compactExport()), plainExport())).toEqual(want);
      expect(gather(plainExport(), compactExported(compactExport()))).toEqual(want);
    });
  }
});
