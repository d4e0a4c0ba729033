import { describe, expect, it } from "vitest";
import { parseLevelCut } from "../src/cuts.js";
import { buildHitEntries, buildTcmEntries, type EntryChunk, type EntryPlan } from "../src/entry-list.js";
import { LoaderError } from "../src/errors.js";
import type { LevelConfig } from "../src/loader-config.js";
import { fakeCycle, newTcm, oldTcm, WORKED } from "./fake-source.js";

const HIT: LevelConfig = { name: "hit", tiers: ["dsp", "hit"] };
const EVT: LevelConfig = { name: "evt", tiers: ["evt"] };
const TCM: LevelConfig = {
  name: "tcm",
  tiers: ["tcm"],
  parent: "hit",
  child: "evt",
  tcmColumns: { parentTable: "array_id", parentIdx: "array_idx", childIdx: "coin_idx" },
};

function plan(over: Partial<Omit<EntryPlan, "tcm">> & { mode?: "only" | "any"; tcm?: boolean } = {}): EntryPlan & { warnings: string[] } {
  const warnings: string[] = [];
  const { mode, tcm, ...rest } = over;
  return {
    parent: HIT,
    ...(tcm === false ? {} : { tcm: { level: TCM, child: EVT, mode: mode ?? "only" } }),
    parentTables: null,
    childTables: null,
    parentCut: null,
    childCut: null,
    warn: (m) => warnings.push(m),
    warnings,
    ...rest,
  };
}

const rows = (c: EntryChunk) => [...c.row.keys()].map((k) => [c.tableIds[c.tableCode[k] as number], c.row[k], c.event ? c.event[k] : null]);

/** Worked-example cycle: tables 1084803 (1 row), 1084804 (4 rows), 1121600 (3 rows), trapEmax in dsp, an evt table. */
function workedCycle(layout: "old" | "new" = "old") {
  return fakeCycle(
    0,
    {
      dsp: {
        "1084803": { trapEmax: [7000] },
        "1084804": { trapEmax: [100, 200, 16741.48, 300] },
        "1121600": { trapEmax: [9000, 50, 60] },
      },
      hit: {
        "1084803": { is_valid: [1] },
        "1084804": { is_valid: [1, 1, 1, 0] },
        "1121600": { is_valid: [1, 1, 1] },
      },
      evt: { all: { multiplicity: [1, 2, 1, 2, 2] } },
    },
    { tier: "tcm", raw: layout === "old" ? oldTcm(WORKED) : newTcm(WORKED) },
  );
}

describe("TCM entry lists (pure, in-memory)", () => {
  it("without cuts lists every hit in TCM order with its event (worked example)", () => {
    const c = buildTcmEntries(workedCycle(), plan());
    expect(rows(c)).toEqual([
      [1084804, 0, 0],
      [1084803, 0, 1],
      [1121600, 0, 1],
      [1084804, 1, 2],
      [1084804, 2, 3],
      [1121600, 1, 3],
      [1084804, 3, 4],
      [1121600, 2, 4],
    ]);
  });

  it("both TCM layouts give identical entry lists", () => {
    for (const mode of ["only", "any"] as const) {
      const p = plan({ mode, parentCut: parseLevelCut("hit", "trapEmax > 5000"), childCut: parseLevelCut("evt", "multiplicity > 1") });
      expect(buildTcmEntries(workedCycle("new"), p)).toEqual(buildTcmEntries(workedCycle("old"), p));
    }
  });

  it("mode only keeps passing hits; mode any keeps all hits of events with a passing hit", () => {
    const cut = parseLevelCut("hit", "trapEmax > 10000");
    expect(rows(buildTcmEntries(workedCycle(), plan({ parentCut: cut })))).toEqual([[1084804, 2, 3]]);
    expect(rows(buildTcmEntries(workedCycle(), plan({ parentCut: cut, mode: "any" })))).toEqual([
      [1084804, 2, 3],
      [1121600, 1, 3],
    ]);
  });

  it("joins the tiers of a level: a cut may mix dsp and hit columns", () => {
    const cut = parseLevelCut("hit", "trapEmax > 250 and is_valid == 1");
    expect(rows(buildTcmEntries(workedCycle(), plan({ parentCut: cut })))).toEqual([
      [1084803, 0, 1],
      [1121600, 0, 1],
      [1084804, 2, 3],
    ]);
  });

  it("B1: a TCM that omits a hit still matches rows by their index, not their position", () => {
    // table 7 has rows 0, 1, 2; the TCM lists only rows 0 and 2 (row 1 is omitted).
    const src = fakeCycle(
      0,
      { dsp: { "7": { trapEmax: [10, 9000, 9000] } }, hit: { "7": { x: [0, 0, 0] } } },
      { tier: "tcm", raw: oldTcm([[[7, 0]], [[7, 2]]]) },
    );
    const c = buildTcmEntries(src, plan({ parentCut: parseLevelCut("hit", "trapEmax > 5000") }));
    // pygama (R16) matched the passing read-back position 1 to array_idx == 1 (hit 1); correct is row 2, event 1
    expect(rows(c)).toEqual([[7, 2, 1]]);
  });

  it("B2: an event cut is evaluated once per event on the event table", () => {
    const c = buildTcmEntries(workedCycle(), plan({ childCut: parseLevelCut("evt", "multiplicity > 1") }));
    expect(new Set(c.event)).toEqual(new Set([1, 3, 4]));
    expect(c.row.length).toBe(6);
  });

  it("B3: in mode any, cuts of different levels are AND-ed", () => {
    // hit cut passes only in event 1 (1084803 row 0, 1121600 row 0) and event 3; event cut only in 1, 3, 4
    const p = plan({
      mode: "any",
      parentCut: parseLevelCut("hit", "trapEmax > 5000"),
      childCut: parseLevelCut("evt", "multiplicity == 1"),
    });
    // events with multiplicity 1 are 0 and 2, neither has a hit above 5000 → nothing (pygama OR-ed: 24 rows in R15)
    expect(buildTcmEntries(workedCycle(), p).row.length).toBe(0);
    const q = plan({
      mode: "any",
      parentCut: parseLevelCut("hit", "trapEmax > 5000"),
      childCut: parseLevelCut("evt", "multiplicity == 2"),
    });
    expect(new Set(buildTcmEntries(workedCycle(), q).event)).toEqual(new Set([1, 3]));
  });

  it("B7: in mode only a table lacking the cut columns contributes nothing (and warns)", () => {
    const src = fakeCycle(
      0,
      {
        dsp: { "1": { trapEmax: [9000, 10] }, "2": { energies: [1, 2] } },
        hit: { "1": { a: [0, 0] }, "2": { b: [0, 0] } },
      },
      {
        tier: "tcm",
        raw: oldTcm([
          [
            [1, 0],
            [2, 0],
          ],
          [
            [1, 1],
            [2, 1],
          ],
        ]),
      },
    );
    const p = plan({ parentCut: parseLevelCut("hit", "trapEmax > 5000") });
    // pygama kept all rows of table 2 as well (R14: 70 instead of 10)
    expect(rows(buildTcmEntries(src, p))).toEqual([[1, 0, 0]]);
    expect(p.warnings.some((w) => w.includes("table 2"))).toBe(true);
    // the same rule without a TCM
    expect(rows(buildHitEntries(src, plan({ tcm: false, parentCut: parseLevelCut("hit", "trapEmax > 5000") })))).toEqual([[1, 0, null]]);
  });

  it("B8: a datastream selection on the parent level restricts parent tables and keeps the event cut", () => {
    const p = plan({ parentTables: [1121600, 1084804], childCut: parseLevelCut("evt", "multiplicity > 1") });
    expect(rows(buildTcmEntries(workedCycle(), p))).toEqual([
      [1121600, 0, 1],
      [1084804, 2, 3],
      [1121600, 1, 3],
      [1084804, 3, 4],
      [1121600, 2, 4],
    ]);
  });

  it("mode any only keeps hits of selected tables", () => {
    const p = plan({ mode: "any", parentTables: [1121600], parentCut: parseLevelCut("hit", "trapEmax > 100") });
    expect(rows(buildTcmEntries(workedCycle(), p))).toEqual([[1121600, 0, 1]]);
  });

  it("a TCM row past a table's end is LOADER_TCM_OUT_OF_RANGE", () => {
    const src = fakeCycle(0, { dsp: { "7": { e: [1, 2] } }, hit: { "7": { x: [0, 0] } } }, { tier: "tcm", raw: oldTcm([[[7, 5]]]) });
    expect(() => buildTcmEntries(src, plan())).toThrowError(expect.objectContaining({ code: "LOADER_TCM_OUT_OF_RANGE", table: 7 }));
  });

  it("an event cut without the event tier file is LOADER_FILE_MISSING", () => {
    const src = fakeCycle(0, { dsp: { "7": { e: [1] } }, hit: { "7": { x: [0] } } }, { tier: "tcm", raw: oldTcm([[[7, 0]]]) });
    expect(buildTcmEntries(src, plan()).row.length).toBe(1);
    try {
      buildTcmEntries(src, plan({ childCut: parseLevelCut("evt", "multiplicity > 1") }));
      expect.unreachable();
    } catch (e) {
      expect(LoaderError.isInstance(e) && e.code).toBe("LOADER_FILE_MISSING");
    }
  });

  it("more TCM events than child rows is LOADER_TCM_OUT_OF_RANGE", () => {
    const src = fakeCycle(
      0,
      { dsp: { "7": { e: [1, 1] } }, hit: { "7": { x: [0, 0] } }, evt: { all: { m: [1] } } },
      { tier: "tcm", raw: oldTcm([[[7, 0]], [[7, 1]]]) },
    );
    expect(() => buildTcmEntries(src, plan({ childCut: parseLevelCut("evt", "m > 0") }))).toThrowError(
      expect.objectContaining({ code: "LOADER_TCM_OUT_OF_RANGE" }),
    );
  });
});

describe("hit entry lists without TCM (pure)", () => {
  it("lists table by table, rows in order; a cut keeps passing rows; datastreams set the table order", () => {
    const src = workedCycle();
    expect(rows(buildHitEntries(src, plan({ tcm: false }))).length).toBe(8);
    const p = plan({ tcm: false, parentCut: parseLevelCut("hit", "trapEmax > 5000") });
    expect(rows(buildHitEntries(src, p))).toEqual([
      [1084803, 0, null],
      [1084804, 2, null],
      [1121600, 0, null],
    ]);
    const q = plan({ tcm: false, parentTables: [1121600, 1084803, 999], parentCut: parseLevelCut("hit", "trapEmax > 5000") });
    expect(rows(buildHitEntries(src, q))).toEqual([
      [1121600, 0, null],
      [1084803, 0, null],
    ]);
  });

  it("a cut on an array-valued column is LOADER_BAD_CUT", () => {
    const src = fakeCycle(0, { dsp: { "1": { e: [1] } }, hit: { "1": { x: [0] } } });
    const bad = {
      ...src,
      read: () =>
        new Map([
          [
            "e",
            {
              type: "VectorOfVectors" as const,
              cumulativeLength: [1],
              flattened: { type: "Array" as const, element: { kind: "real" }, data: Float64Array.of(1), shape: [1], attrs: {} },
              attrs: {},
            },
          ],
        ]),
    };
    expect(() => buildHitEntries(bad, plan({ tcm: false, parentCut: parseLevelCut("hit", "e > 0") }))).toThrowError(
      expect.objectContaining({ code: "LOADER_BAD_CUT" }),
    );
  });
});
