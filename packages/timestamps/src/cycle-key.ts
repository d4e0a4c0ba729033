import { TimestampError } from "./errors.js";

const CYCLE_KEY = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function parse(key: string): number | null {
  const m = CYCLE_KEY.exec(key);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  // Reject impossible dates that Date.UTC would roll over (20220231, hour 24, second 60).
  if (
    back.getUTCFullYear() !== y ||
    back.getUTCMonth() !== mo - 1 ||
    back.getUTCDate() !== d ||
    back.getUTCHours() !== h ||
    back.getUTCMinutes() !== mi ||
    back.getUTCSeconds() !== s
  ) {
    return null;
  }
  return ms;
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
