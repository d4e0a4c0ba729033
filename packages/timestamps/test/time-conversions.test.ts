import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  coveredNs,
  cycleKeyToDate,
  cycleKeyToUnixSeconds,
  dateToCycleKey,
  GEN2_WRAP_US,
  gapsNs,
  gen2UsToDate,
  gen2UsToUnixNs,
  intersectNs,
  isCycleKey,
  mergeNs,
  overlapsNs,
  TimestampError,
  toSafeNumber,
  unixNsToGen2Us,
  unixSecondsToCycleKey,
  yearEpochUnixSeconds,
} from "../src/index.js";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return TimestampError.isInstance(err) ? err.code : "not a TimestampError";
  }
  return undefined;
}

describe("gen2 µs ↔ UTC (spec gen2-bin §5.1)", () => {
  it("binney's header 48426527995 in 2020 is 2020-10-07T05:54:23.9975Z", () => {
    const tUs = 48_426_527_995 * 500;
    expect(gen2UsToUnixNs(tUs, 2020)).toBe(1_602_050_063_997_500_000n);
    expect(gen2UsToDate(tUs, 2020).toISOString()).toBe("2020-10-07T05:54:23.997Z");
    expect(gen2UsToUnixNs(24_213_263_997_631n, 2020)).toBe(1_602_050_063_997_631_000n);
  });
  it("the wrap instant of year 2020 is 2021-02-01T16:22:18.368Z", () => {
    expect(gen2UsToDate(GEN2_WRAP_US, 2020).toISOString()).toBe("2021-02-01T16:22:18.368Z");
  });
  it("reverse conversion round-trips (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 * GEN2_WRAP_US }), fc.integer({ min: 1970, max: 2100 }), (t, y) => {
        return unixNsToGen2Us(gen2UsToUnixNs(t, y), y) === t;
      }),
    );
    expect(unixNsToGen2Us(gen2UsToUnixNs(GEN2_WRAP_US + 7, 2020), 2020, { wrap: true })).toBe(7);
  });
  it("errors", () => {
    expect(codeOf(() => yearEpochUnixSeconds(1969))).toBe("TS_BAD_VALUE");
    expect(codeOf(() => unixNsToGen2Us(0n, 2020))).toBe("TS_OUT_OF_RANGE");
    expect(yearEpochUnixSeconds(2020)).toBe(1_577_836_800);
  });
});

describe("LEGEND cycle keys (spec filedb-loader §1.11)", () => {
  it("pygama's test values", () => {
    expect(cycleKeyToDate("20220716T105236Z").toISOString()).toBe("2022-07-16T10:52:36.000Z");
    expect(cycleKeyToUnixSeconds("20220716T105236Z")).toBe(1657968756);
    expect(cycleKeyToUnixSeconds("20230318T012144Z")).toBe(1679102504);
    expect(unixSecondsToCycleKey(1657968756)).toBe("20220716T105236Z");
    expect(dateToCycleKey(new Date("2022-07-16T13:04:43.9Z"))).toBe("20220716T130443Z");
  });
  it("rejects malformed keys with a coded error", () => {
    for (const bad of ["20220716T105236", "2022-07-16T10:52:36Z", "20220231T000000Z", "20220716T245959Z", "", "r014"]) {
      expect(isCycleKey(bad)).toBe(false);
      expect(codeOf(() => cycleKeyToDate(bad))).toBe("TS_BAD_CYCLE_KEY");
    }
    expect(codeOf(() => unixSecondsToCycleKey(Number.NaN))).toBe("TS_BAD_VALUE");
  });
  it("round-trips (property)", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 253402300799 }), (s) => cycleKeyToUnixSeconds(unixSecondsToCycleKey(s)) === s));
  });
  it("accepts exactly the keys that name a real UTC time (property, against a Date round trip)", () => {
    // Reference: match the shape, build the Date, and require that nothing rolled over.
    const reference = (key: string): number | null => {
      const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(key);
      if (!m) return null;
      const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
      const back = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
      const same =
        back.getUTCFullYear() === y &&
        back.getUTCMonth() === mo - 1 &&
        back.getUTCDate() === d &&
        back.getUTCHours() === h &&
        back.getUTCMinutes() === mi &&
        back.getUTCSeconds() === s;
      return same ? back.getTime() / 1000 : null;
    };
    const ours = (key: string): number | null => (isCycleKey(key) ? cycleKeyToUnixSeconds(key) : null);
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, "0"));
    const year = fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 99, 100, 1900, 2000, 2024, 2100, 2400, 9999));
    const fields = fc.tuple(
      year.map((n) => String(n).padStart(4, "0")),
      two(13),
      two(32),
      two(25),
      two(61),
      two(61),
    );
    const key = fields.map(([y, mo, d, h, mi, s]) => `${y}${mo}${d}T${h}${mi}${s}Z`);
    fc.assert(
      fc.property(key, (k) => ours(k) === reference(k)),
      { numRuns: 20000 },
    );
    // Damaged keys: one character replaced (non-ASCII digits, lower-case t/z, signs …), cut or extended.
    const damaged = fc
      .tuple(key, fc.nat(15), fc.constantFrom("x", "t", "z", "T", "Z", " ", "+", "-", "\uff12", "\u0662", "/", ":", "0"))
      .map(([k, at, c]) => k.slice(0, at) + c + k.slice(at + 1));
    fc.assert(
      fc.property(damaged, (k) => ours(k) === reference(k)),
      { numRuns: 5000 },
    );
    for (const k of ["20240229T000000Z", "21000229T000000Z", "20000229T235959Z", "00990101T000000Z", "01000101T000000Z"]) {
      expect(ours(k)).toBe(reference(k));
    }
    for (const k of ["20220716T105236Z ", " 20220716T105236Z", "20220716T105236", "20220716t105236Z", "20220716T105236z"]) {
      expect(isCycleKey(k)).toBe(false);
    }
  });
});

describe("half-open ns intervals", () => {
  const I = (start: bigint, end: bigint) => ({ start, end });
  const big = 1_626_265_800_000_000_002n; // beyond 2^53
  it("overlap and intersection are half-open", () => {
    expect(overlapsNs(I(0n, 5n), I(5n, 9n))).toBe(false);
    expect(overlapsNs(I(0n, 6n), I(5n, 9n))).toBe(true);
    expect(intersectNs(I(big, big + 10n), I(big + 5n, big + 20n))).toEqual(I(big + 5n, big + 10n));
    expect(intersectNs(I(0n, 5n), I(5n, 9n))).toBeNull();
  });
  it("merge and gaps", () => {
    expect(mergeNs([I(5n, 9n), I(0n, 5n), I(20n, 30n), I(25n, 26n), I(40n, 40n)])).toEqual([I(0n, 9n), I(20n, 30n)]);
    expect(gapsNs([I(0n, 9n), I(20n, 30n)])).toEqual([I(9n, 20n)]);
    expect(gapsNs([I(5n, 9n)], I(0n, 20n))).toEqual([I(0n, 5n), I(9n, 20n)]);
    expect(gapsNs([], I(0n, 3n))).toEqual([I(0n, 3n)]);
    expect(coveredNs([I(0n, 9n), I(5n, 12n)])).toBe(12n);
  });
  it("merge covers exactly the union (property)", () => {
    const iv = fc.tuple(fc.bigInt({ min: 0n, max: 200n }), fc.bigInt({ min: 0n, max: 50n })).map(([s, l]) => I(s, s + l));
    fc.assert(
      fc.property(fc.array(iv, { maxLength: 20 }), fc.bigInt({ min: 0n, max: 260n }), (list, t) => {
        const inAny = list.some((i) => i.start <= t && t < i.end);
        const merged = mergeNs(list);
        const inMerged = merged.some((i) => i.start <= t && t < i.end);
        const inGap = gapsNs(list, I(0n, 300n)).some((i) => i.start <= t && t < i.end);
        return inAny === inMerged && inMerged !== inGap;
      }),
    );
  });
});

describe("toSafeNumber", () => {
  it("converts within ±(2^53−1) and throws beyond", () => {
    expect(toSafeNumber(9007199254740991n)).toBe(Number.MAX_SAFE_INTEGER);
    expect(toSafeNumber(-9007199254740991n)).toBe(-Number.MAX_SAFE_INTEGER);
    expect(codeOf(() => toSafeNumber(9007199254740992n))).toBe("TS_OUT_OF_RANGE");
    expect(codeOf(() => toSafeNumber(-9007199254740992n))).toBe("TS_OUT_OF_RANGE");
  });
});
