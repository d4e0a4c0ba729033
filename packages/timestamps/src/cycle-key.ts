import { TimestampError } from "./errors.js";

/** The value of the `n` ASCII digits of `key` from `at`, or -1 when one of them is not a digit. */
function digits(key: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = key.charCodeAt(i) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    v = v * 10 + c;
  }
  return v;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Milliseconds of `YYYYMMDDTHHMMSSZ` (UTC), or null. Read character by character and range-checked
 * (no regex match, substrings or Date objects: a FileDB scan parses thousands of keys).
 */
function parse(key: string): number | null {
  if (key.length !== 16 || key.charCodeAt(8) !== 84 /* T */ || key.charCodeAt(15) !== 90 /* Z */) return null;
  const y = digits(key, 0, 4);
  const mo = digits(key, 4, 2);
  const d = digits(key, 6, 2);
  const h = digits(key, 9, 2);
  const mi = digits(key, 11, 2);
  const s = digits(key, 13, 2);
  // Reject impossible dates that Date.UTC would roll over (20220231, hour 24, second 60), and years
  // 0000–0099, which Date.UTC reads as 1900–1999.
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) return null;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (d > (mo === 2 && leap ? 29 : (DAYS_IN_MONTH[mo - 1] as number))) return null;
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

/** True when `key` is a valid LEGEND cycle key `YYYYMMDDTHHMMSSZ` (UTC) naming a real date and time. */
export function isCycleKey(key: string): boolean {
  return typeof key === "string" && parse(key) !== null;
}

function parseOrThrow(key: string): number {
  const ms = typeof key === "string" ? parse(key) : null;
  if (ms === null) {
    throw new TimestampError(
      "TS_BAD_CYCLE_KEY",
      `timestamps: cannot parse cycle key ${JSON.stringify(key)}: expected YYYYMMDDTHHMMSSZ in UTC, e.g. 20220716T105236Z`,
      { value: key },
    );
  }
  return ms;
}

/**
 * A LEGEND cycle key as a `Date` (pygama `to_datetime`): `20220716T105236Z` → 2022-07-16T10:52:36Z.
 * @throws TimestampError `TS_BAD_CYCLE_KEY` for anything but `YYYYMMDDTHHMMSSZ` naming a real UTC time
 */
export function cycleKeyToDate(key: string): Date {
  return new Date(parseOrThrow(key));
}

/**
 * A LEGEND cycle key as integer POSIX seconds (pygama `to_unixtime`): `20220716T105236Z` → 1657968756.
 * @throws TimestampError `TS_BAD_CYCLE_KEY`
 */
export function cycleKeyToUnixSeconds(key: string): number {
  return parseOrThrow(key) / 1000;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/**
 * A `Date` as a cycle key (UTC, sub-second part dropped): 2022-07-16T10:52:36.9Z → `20220716T105236Z`.
 * @throws TimestampError `TS_OUT_OF_RANGE` for an invalid Date or a year outside 0…9999
 */
export function dateToCycleKey(date: Date): string {
  const ms = date.getTime();
  if (!Number.isFinite(ms) || date.getUTCFullYear() < 0 || date.getUTCFullYear() > 9999) {
    throw new TimestampError("TS_OUT_OF_RANGE", `timestamps: ${String(date)} cannot be written as a cycle key`, {
      value: date,
    });
  }
  return (
    `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `T${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`
  );
}

/**
 * Unix seconds as a cycle key (fractions truncated towards −∞): 1657968756 → `20220716T105236Z`.
 * @throws TimestampError `TS_BAD_VALUE` for a non-finite number, `TS_OUT_OF_RANGE` outside years 0…9999
 */
export function unixSecondsToCycleKey(seconds: number): string {
  if (!Number.isFinite(seconds)) {
    throw new TimestampError("TS_BAD_VALUE", `timestamps: unix seconds must be finite, got ${seconds}`, {
      value: seconds,
    });
  }
  return dateToCycleKey(new Date(Math.floor(seconds) * 1000));
}
