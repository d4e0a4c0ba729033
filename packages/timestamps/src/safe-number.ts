import { TimestampError } from "./errors.js";

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const MIN = -MAX;

/**
 * Convert a `bigint` to a `number` exactly, or throw.
 *
 * The one sanctioned `bigint → number` conversion in daqkit: 64-bit values (ns timestamps, row
 * counts) stay `bigint` until an edge that needs a number, and pass through here.
 *
 * @param value - any bigint
 * @param what - a name for the value, used in the error message (e.g. `"chunk start (ns)"`)
 * @returns the same value as a number
 * @throws TimestampError `TS_OUT_OF_RANGE` when |value| > 2^53 − 1 (it would lose precision)
 */
export function toSafeNumber(value: bigint, what = "value"): number {
  if (value > MAX || value < MIN) {
    throw new TimestampError(
      "TS_OUT_OF_RANGE",
      `timestamps: ${what} ${value} does not fit a JavaScript number exactly (|v| must be ≤ 2^53 − 1 = ${Number.MAX_SAFE_INTEGER})`,
      { value },
    );
  }
  return Number(value);
}

/** An integer-valued number or bigint as a number; throws `TS_BAD_VALUE` / `TS_OUT_OF_RANGE` otherwise. */
export function integerToNumber(value: number | bigint, what = "value"): number {
  if (typeof value === "bigint") return toSafeNumber(value, what);
  if (!Number.isSafeInteger(value)) {
    throw new TimestampError(
      Number.isInteger(value) ? "TS_OUT_OF_RANGE" : "TS_BAD_VALUE",
      `timestamps: ${what} must be a safe integer, got ${value}`,
      { value },
    );
  }
  return value;
}
