import { describe, expect, it } from "vitest";
import { ColumnCollector } from "../src/column-collector.js";
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
