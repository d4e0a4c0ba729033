import { TimestampError } from "./errors.js";
import { integerToNumber } from "./safe-number.js";
import { GEN2_WRAP_US } from "./timestamp-range.js";

/**
 * Unix seconds of Jan 1 00:00:00 UTC of `year`: the epoch of gen2 header timestamps (spec
 * gen2-bin §5.1: the board timekeeper counts from the start of the UTC year it was loaded in).
 *
 * @throws TimestampError `TS_BAD_VALUE` unless 1970 ≤ year ≤ 9999
 */
export function yearEpochUnixSeconds(year: number): number {
  if (!Number.isInteger(year) || year < 1970 || year > 9999) {
    throw new TimestampError("TS_BAD_VALUE", `timestamps: year must be an integer in 1970…9999, got ${year}`, {
      value: year,
    });
  }
  return Date.UTC(year, 0, 1) / 1000;
}

/**
 * A gen2 photon time (µs since the year epoch, as decoded: `header × 500 + offset`) as unix ns.
 * No wrap is applied: times from after a counter wrap must be unwrapped first
 * (see `unwrapUs`), exactly as the hardware would need.
 *
 * @param tUs - µs since Jan 1 of `year`, UTC (integer)
 * @param year - the UTC year the board timekeeper was loaded in
 * @returns nanoseconds since 1970-01-01T00:00:00Z
 */
export function gen2UsToUnixNs(tUs: number | bigint, year: number): bigint {
  const t = typeof tUs === "bigint" ? tUs : BigInt(integerToNumber(tUs, "gen2 time (µs)"));
  return (BigInt(yearEpochUnixSeconds(year)) * 1_000_000n + t) * 1000n;
}

/** A gen2 µs time as a `Date` (millisecond resolution; see {@link gen2UsToUnixNs} for exact ns). */
export function gen2UsToDate(tUs: number | bigint, year: number): Date {
  const ns = gen2UsToUnixNs(tUs, year);
  return new Date(Number(ns / 1_000_000n));
}

/**
 * The reverse of {@link gen2UsToUnixNs}: unix ns → µs since Jan 1 of `year` (truncated towards
 * −∞ to whole µs). With `{ wrap: true }` the result is reduced mod M as a board would count it.
 *
 * @throws TimestampError `TS_OUT_OF_RANGE` when the time precedes the year epoch
 */
export function unixNsToGen2Us(ns: bigint, year: number, options: { wrap?: boolean } = {}): number {
  const epochUs = BigInt(yearEpochUnixSeconds(year)) * 1_000_000n;
  let us = ns / 1000n;
  if (ns < 0n && us * 1000n !== ns) us -= 1n;
  const t = us - epochUs;
  if (t < 0n) {
    throw new TimestampError("TS_OUT_OF_RANGE", `timestamps: ${ns} ns precedes the gen2 epoch of year ${year}`, {
      value: ns,
    });
  }
  const tn = Number(t);
  return options.wrap ? tn % GEN2_WRAP_US : tn;
}
