import { makeVector } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { planRowRead } from "../src/entry-list.js";
import { gatherColumn, type Piece, type PieceArray } from "../src/gather.js";

const arr = (data: ArrayLike<number> | ArrayLike<bigint> | string[], kind = "real"): PieceArray => ({
  type: "Array",
  element: { kind },
  data: data as Float64Array,
  shape: [data.length],
  attrs: { units: "keV" },
});
const vov = (rows: number[][]): Piece => {
  const cl: number[] = [];
  let n = 0;
  for (const r of rows) cl.push((n += r.length));
  return { type: "VectorOfVectors", cumulativeLength: cl, flattened: arr(Float64Array.from(rows.flat())), attrs: {} };
};
const aoesa = (rows: number[][]): Piece => ({
  type: "ArrayOfEqualSizedArrays",
  element: { kind: "real" },
  data: Float32Array.from(rows.flat()),
  shape: [rows.length, rows[0]?.length ?? 0],
  attrs: {},
});
const i32 = (xs: number[]) => Int32Array.from(xs);
const values = (g: ReturnType<typeof gatherColumn>) =>
  [...makeVector(g.data)].map((v) =>
    v && typeof v === "object" && "toArray" in v ? Array.from((v as { toArray(): ArrayLike<number> }).toArray()) : v,
  );

describe("gatherColumn", () => {
  it("gathers numbers from several pieces with nulls where a table lacks the column (B4)", () => {
    const g = gatherColumn("e", [arr(Float32Array.of(1, 2, 3)), arr(Float32Array.of(10, 20))], i32([1, -1, 0, 0, 1]), i32([1, 0, 2, 0, 0]));
    expect(String(g.data.type)).toBe("Float32");
    expect(values(g)).toEqual([20, null, 3, 1, 10]);
    expect(g.data.nullCount).toBe(1);
    expect(g.metadata.get("units")).toBe("keV");
  });

  it("widens mixed numeric types to Float64; keeps int64 as Int64", () => {
    const g = gatherColumn("e", [arr(Float32Array.of(1.5)), arr(Int32Array.of(7))], i32([0, 1]), i32([0, 0]));
    expect(String(g.data.type)).toBe("Float64");
    expect(values(g)).toEqual([1.5, 7]);
    const b = gatherColumn("n", [arr(BigInt64Array.of(5n, 6n))], i32([0, 0]), i32([1, 0]));
    expect(String(b.data.type)).toBe("Int64");
    expect(values(b)).toEqual([6n, 5n]);
  });

  it("gathers bools and strings", () => {
    expect(values(gatherColumn("ok", [arr(Uint8Array.of(1, 0), "bool")], i32([0, 0, -1]), i32([0, 1, 0])))).toEqual([true, false, null]);
    expect(values(gatherColumn("s", [arr(["a", "bc"], "string")], i32([0, -1, 0]), i32([1, 0, 0])))).toEqual(["bc", null, "a"]);
  });

  it("VoV → List, AoESA → FixedSizeList, AoESA of different widths → List", () => {
    const l = gatherColumn("v", [vov([[1, 2], [], [3]])], i32([0, -1, 0]), i32([2, 0, 0]));
    expect(String(l.data.type)).toMatch(/^List/);
    expect(values(l)).toEqual([[3], null, [1, 2]]);
    const f = gatherColumn(
      "w",
      [
        aoesa([
          [1, 2],
          [3, 4],
        ]),
      ],
      i32([0, 0]),
      i32([1, 0]),
    );
    expect(String(f.data.type)).toMatch(/FixedSizeList\[2\]/);
    expect(values(f)).toEqual([
      [3, 4],
      [1, 2],
    ]);
    const m = gatherColumn("w", [aoesa([[1, 2]]), aoesa([[5, 6, 7]])], i32([1, 0]), i32([0, 0]));
    expect(String(m.data.type)).toMatch(/^List/);
    expect(values(m)).toEqual([
      [5, 6, 7],
      [1, 2],
    ]);
  });

  it("tables → Struct, a sub-column missing in one piece is null there", () => {
    const t = (cols: Record<string, Piece>, n: number): Piece => ({
      type: "WaveformTable",
      columns: new Map(Object.entries(cols)),
      nRows: n,
      attrs: {},
    });
    const g = gatherColumn(
      "wf",
      [t({ t0: arr(Float64Array.of(1)), dt: arr(Float64Array.of(16)) }, 1), t({ t0: arr(Float64Array.of(2)) }, 1)],
      i32([0, 1]),
      i32([0, 0]),
    );
    expect(String(g.data.type)).toMatch(/^Struct/);
    const v = makeVector(g.data);
    expect(v.get(0)?.toJSON()).toEqual({ t0: 1, dt: 16 });
    expect(v.get(1)?.toJSON()).toEqual({ t0: 2, dt: null });
  });

  it("incompatible kinds are LOADER_BAD_ARGUMENT", () => {
    expect(() => gatherColumn("x", [arr(Float64Array.of(1)), vov([[1]])], i32([0, 1]), i32([0, 0]))).toThrowError(
      expect.objectContaining({ code: "LOADER_BAD_ARGUMENT" }),
    );
  });
});

describe("planRowRead", () => {
  it("reads consecutive rows as one range, scattered dense rows as their span, sparse rows as a list", () => {
    expect(planRowRead([3, 4, 5])).toEqual({ selection: { start: 3, stop: 6 }, length: 3, position: null });
    const dense = planRowRead([0, 2, 4, 6, 8, 10]);
    expect(dense.selection).toEqual({ start: 0, stop: 11 });
    expect([...(dense.position ?? [])]).toEqual([0, 2, 4, 6, 8, 10]);
    const few = planRowRead([1, 500000]);
    expect(few.selection).toEqual([1, 500000]);
    const sparse = Array.from({ length: 10 }, (_, i) => i * 1_000_000);
    expect(planRowRead(sparse).selection).toEqual(sparse);
  });
});
