import { describe, expect, it } from "vitest";
import { LoaderError } from "../src/errors.js";
import { hitsByTable, normalizeTcm } from "../src/tcm.js";
import { newTcm, oldTcm, WORKED } from "./fake-source.js";

describe("normalizeTcm", () => {
  it("gives the worked example: event 3 = hits (1084804, 2) and (1121600, 1)", () => {
    const tcm = normalizeTcm(oldTcm(WORKED));
    expect(tcm.eventCount).toBe(5);
    expect(tcm.hitCount).toBe(8);
    const hits = [...tcm.event.keys()].filter((h) => tcm.event[h] === 3);
    expect(hits.map((h) => [tcm.table[h], tcm.row[h]])).toEqual([
      [1084804, 2],
      [1121600, 1],
    ]);
    expect([...tcm.eventEnd]).toEqual([1, 3, 4, 6, 8]);
  });

  it("normalises the old Struct and the new Table of VoVs to the same form", () => {
    const a = normalizeTcm(oldTcm(WORKED));
    const b = normalizeTcm(newTcm(WORKED));
    expect(b).toEqual(a);
  });

  it("uses configured tcm_cols first and falls back to the layout's standard names", () => {
    const cols = { parentTable: "table_key", parentIdx: "row_in_table", childIdx: "coin_idx" };
    // new-layout names configured, old-layout file: falls back to array_id/array_idx (B18)
    expect(normalizeTcm(oldTcm(WORKED), cols).hitCount).toBe(8);
    const oldCols = { parentTable: "array_id", parentIdx: "array_idx", childIdx: "coin_idx" };
    expect(normalizeTcm(newTcm(WORKED), oldCols).hitCount).toBe(8);
  });

  it("converts int64 columns exactly (fast path for small values, exact path for large ones)", () => {
    const big = normalizeTcm({
      layout: "struct",
      fields: new Map<string, ArrayLike<bigint>>([
        ["cumulative_length", BigInt64Array.of(2n)],
        ["array_id", BigInt64Array.of(2n ** 40n, 7n)],
        ["array_idx", BigInt64Array.of(0n, 3n)],
      ]),
    });
    expect([...big.table]).toEqual([2 ** 40, 7]);
    expect([...big.row]).toEqual([0, 3]);
    expect(() =>
      normalizeTcm({
        layout: "struct",
        fields: new Map<string, ArrayLike<bigint>>([
          ["cumulative_length", BigInt64Array.of(1n)],
          ["array_id", BigInt64Array.of(7n)],
          ["array_idx", BigInt64Array.of(-1n)],
        ]),
      }),
    ).toThrowError(expect.objectContaining({ code: "LOADER_BAD_TCM" }));
  });

  it("groups hits by table in TCM order", () => {
    const by = hitsByTable(normalizeTcm(oldTcm(WORKED)));
    expect([...(by.get(1084804) ?? [])]).toEqual([0, 3, 4, 6]);
    expect([...(by.get(1121600) ?? [])]).toEqual([2, 5, 7]);
  });

  it("groups hits by table with many tables (past the linear scan of a few ids) in first-seen order", () => {
    // 50 tables, hits interleaved: hit h is row floor(h / 50) of table 1000 + (h * 7) % 50.
    const events: [number, number][][] = [];
    for (let h = 0; h < 500; h++) events.push([[1000 + ((h * 7) % 50), Math.floor(h / 50)]]);
    const tcm = normalizeTcm(oldTcm(events));
    const by = hitsByTable(tcm);
    expect([...by.keys()]).toEqual(Array.from({ length: 50 }, (_, h) => 1000 + ((h * 7) % 50)));
    for (const [id, hits] of by) {
      expect(hits).toHaveLength(10);
      for (const h of hits) expect(tcm.table[h]).toBe(id);
    }
  });

  it("rejects malformed TCMs with LOADER_BAD_TCM", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return LoaderError.isInstance(e) ? e.code : String(e);
      }
      return "no error";
    };
    expect(code(() => normalizeTcm({ layout: "struct", fields: new Map([["array_id", [1]]]) }))).toBe("LOADER_BAD_TCM");
    expect(
      code(() =>
        normalizeTcm({
          layout: "struct",
          fields: new Map([
            ["cumulative_length", [2, 1]],
            ["array_id", [1, 1]],
            ["array_idx", [0, 1]],
          ]),
        }),
      ),
    ).toBe("LOADER_BAD_TCM");
    expect(
      code(() =>
        normalizeTcm({
          layout: "struct",
          fields: new Map([
            ["cumulative_length", [3]],
            ["array_id", [1, 1]],
            ["array_idx", [0, 1]],
          ]),
        }),
      ),
    ).toBe("LOADER_BAD_TCM");
    expect(
      code(() =>
        normalizeTcm({
          layout: "struct",
          fields: new Map([
            ["cumulative_length", [1]],
            ["array_id", [1]],
            ["array_idx", [-1]],
          ]),
        }),
      ),
    ).toBe("LOADER_BAD_TCM");
    expect(
      code(() =>
        normalizeTcm({
          layout: "table",
          columns: new Map([
            ["table_key", { cumulativeLength: [1, 2], flattened: [1, 1] }],
            ["row_in_table", { cumulativeLength: [2, 2], flattened: [0, 1] }],
          ]),
        }),
      ),
    ).toBe("LOADER_BAD_TCM");
  });
});
