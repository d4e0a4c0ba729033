import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GEN2_WRAP_US as M, TimestampError, TimestampRange, unwrapUs, wrapUs } from "../src/index.js";

const R = (a: number | bigint, b: number | bigint) => new TimestampRange(a, b);

describe("TimestampRange: binney test_ranges vectors (spec gen2-bin §6)", () => {
  const a = R(0, 100);
  const b = R(99, 1000);
  const c = R(101, 102);
  const d = R(M - 30, M + 30);
  const e = R(100, 101);
  const f = R(-30, 30);

  it("normalises with the Euclidean remainder", () => {
    expect(M).toBe(34_359_738_368_000);
    expect(d.equals(f)).toBe(true);
    expect(d.startUs).toBe(34_359_738_367_970);
    expect(d.stopUs).toBe(30);
    expect(d.startUs > d.stopUs).toBe(true);
    expect(d.stopUs > 0).toBe(true);
    expect(d.key()).toBe(f.key());
  });

  it("overlaps as binney does, both directions", () => {
    const yes: [TimestampRange, TimestampRange][] = [
      [a, b],
      [b, c],
      [d, a],
      [e, a],
      [e, b],
      [e, c],
    ];
    const no: [TimestampRange, TimestampRange][] = [
      [a, c],
      [d, b],
      [e, d],
    ];
    for (const [x, y] of yes) {
      expect(x.overlaps(y)).toBe(true);
      expect(y.overlaps(x)).toBe(true);
    }
    for (const [x, y] of no) {
      expect(x.overlaps(y)).toBe(false);
      expect(y.overlaps(x)).toBe(false);
    }
  });

  it("inside, ends inclusive", () => {
    expect(a.inside(99)).toBe(true);
    expect(a.inside(100)).toBe(true);
    expect(a.inside(101)).toBe(false);
    expect(a.inside(0)).toBe(true);
    expect(b.inside(99)).toBe(true);
    expect(b.inside(98)).toBe(false);
    expect(d.inside(M)).toBe(true);
    expect(d.inside(M - 1)).toBe(true);
    expect(d.inside(M + 1)).toBe(true);
  });
});

describe("TimestampRange: derived vectors", () => {
  it("new(-1, 5)", () => {
    const r = R(-1, 5);
    expect([r.startUs, r.stopUs]).toEqual([M - 1, 5]);
    for (const t of [0, M - 1, 5]) expect(r.inside(t)).toBe(true);
    for (const t of [6, M - 2]) expect(r.inside(t)).toBe(false);
  });
  it("new(M, 2M+5) and equality mod M", () => {
    const r = R(M, 2 * M + 5);
    expect([r.startUs, r.stopUs]).toEqual([0, 5]);
    expect(R(5, 10).equals(R(M + 5, M + 10))).toBe(true);
  });
  it("grow", () => {
    const g = R(10, 20).grow(15);
    expect([g.startUs, g.stopUs]).toEqual([M - 5, 35]);
    expect(g.inside(M - 3)).toBe(true);
    expect(g.inside(36)).toBe(false);
    const s = R(10, 20).grow(-6);
    expect([s.startUs, s.stopUs]).toEqual([16, 14]);
    expect(s.inside(15)).toBe(false);
    expect(s.inside(14)).toBe(true);
    expect(s.inside(16)).toBe(true);
    expect(s.inside(0)).toBe(true);
  });
  it("T slightly above M is reduced", () => {
    expect(R(0, 20).inside(M + 11)).toBe(true);
    expect(R(0, 20).inside(BigInt(M) + 11n)).toBe(true);
  });
  it("start == stop holds one tick", () => {
    const r = R(7, 7);
    expect(r.inside(7)).toBe(true);
    expect(r.inside(8)).toBe(false);
    expect(r.durationUs).toBe(0);
  });
  it("accepts bigint and rejects fractional µs", () => {
    expect(R(-30n, 30n).equals(R(-30, 30))).toBe(true);
    expect(() => R(1.5, 3)).toThrowError(TimestampError);
    try {
      R(0.5, 1);
    } catch (err) {
      expect(TimestampError.isInstance(err) && err.code).toBe("TS_BAD_VALUE");
    }
  });
});

describe("TimestampRange: contains and duration", () => {
  it("duration of a plain and a wrapped range", () => {
    expect(R(10, 20).durationUs).toBe(10);
    expect(R(-30, 30).durationUs).toBe(60);
  });
  it("contains", () => {
    expect(R(0, 100).contains(R(10, 20))).toBe(true);
    expect(R(0, 100).contains(R(0, 100))).toBe(true);
    expect(R(0, 100).contains(R(90, 110))).toBe(false);
    expect(R(-30, 30).contains(R(-10, 10))).toBe(true);
    expect(R(-30, 30).contains(R(10, 20))).toBe(true);
    expect(R(-30, 30).contains(R(20, 10))).toBe(false); // ends inside, but it runs the long way round
    expect(R(10, 20).contains(R(-30, 30))).toBe(false);
  });
});

const tick = fc.integer({ min: -3 * M, max: 3 * M });
const range = fc.tuple(tick, tick).map(([x, y]) => R(x, y));

describe("TimestampRange: wrap laws (property-based)", () => {
  it("overlaps is symmetric", () => {
    fc.assert(fc.property(range, range, (x, y) => x.overlaps(y) === y.overlaps(x)));
  });
  it("inside is invariant under adding k·M", () => {
    fc.assert(fc.property(range, tick, fc.integer({ min: -5, max: 5 }), (r, t, k) => r.inside(t) === r.inside(t + k * M)));
  });
  it("grow(a).grow(b) = grow(a+b) for non-degenerate ranges", () => {
    // Non-degenerate: the grown ranges never collapse past their midpoint or wrap round the whole period.
    const small = fc.integer({ min: 0, max: 1_000_000_000 });
    fc.assert(
      fc.property(tick, fc.integer({ min: 0, max: 10 ** 12 }), small, small, (s, len, ga, gb) => {
        const r = R(s, s + len);
        return r
          .grow(ga)
          .grow(gb)
          .equals(r.grow(ga + gb));
      }),
    );
    fc.assert(
      fc.property(
        tick,
        fc.integer({ min: 4_000_000, max: 10 ** 12 }),
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        fc.integer({ min: -1_000_000, max: 1_000_000 }),
        (s, len, ga, gb) => {
          const r = R(s, s + len);
          return r
            .grow(ga)
            .grow(gb)
            .equals(r.grow(ga + gb));
        },
      ),
    );
  });
  it("contains implies overlaps and both ends inside", () => {
    fc.assert(fc.property(range, range, (x, y) => !x.contains(y) || (x.overlaps(y) && x.inside(y.startUs) && x.inside(y.stopUs))));
  });
  it("wrapUs agrees for number and bigint", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), (v) => {
        const w = wrapUs(v);
        return w >= 0 && w < M && BigInt(w) === ((v % BigInt(M)) + BigInt(M)) % BigInt(M);
      }),
    );
  });
});

describe("unwrapUs", () => {
  it("unwraps a sequence that crosses the wrap once", () => {
    const seq = [M - 1000, M - 10, M + 11, 5, 400];
    expect(Array.from(unwrapUs(seq))).toEqual([M - 1000, M - 10, M + 11, M + 5, M + 400]);
    expect(Array.from(unwrapUs(new BigInt64Array(seq.map(BigInt))))).toEqual([M - 1000, M - 10, M + 11, M + 5, M + 400]);
  });
  it("handles jitter from before the wrap when the first value is after it", () => {
    expect(Array.from(unwrapUs([3, M - 2, 8]))).toEqual([3, -2, 8]);
  });
  it("is the inverse of wrap (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5 * M }),
        fc.array(fc.integer({ min: 0, max: 10 ** 10 }), { maxLength: 50 }),
        (start, steps) => {
          const seq = [start];
          for (const s of steps) {
            const next = seq[seq.length - 1]! + s;
            if (next - start >= M / 2) break;
            seq.push(next);
          }
          const base = start - wrapUs(start);
          const back = unwrapUs(seq.map(wrapUs));
          return seq.every((v, i) => back[i] === v - base);
        },
      ),
    );
  });
  it("empty input", () => {
    expect(unwrapUs([]).length).toBe(0);
  });
});
