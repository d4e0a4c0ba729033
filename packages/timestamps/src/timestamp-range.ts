import { TimestampError } from "./errors.js";
import { integerToNumber } from "./safe-number.js";

/** Duration of one gen2 header tick: 500 µs (the firmware counts half-milliseconds). */
export const GEN2_TICK_US = 500;

/** µs per second (binney's `TICKS_PER_SEC`). */
export const US_PER_SECOND = 1_000_000;

/**
 * The gen2 wrap modulus M in µs: the header counter is 36 bits of 500 µs ticks, so photon times
 * repeat every 2^36 × 500 µs = 34 359 738 368 000 µs ≈ 397.68 days. M < 2^53, so every µs value
 * and range end is an exact JS number.
 */
export const GEN2_WRAP_US = 2 ** 36 * GEN2_TICK_US;

const M_BIG = BigInt(GEN2_WRAP_US);

/**
 * Reduce a gen2 µs time modulo M with the Euclidean remainder (result in [0, M)).
 * `wrapUs(-30) === M - 30`, `wrapUs(M + 11) === 11`.
 *
 * @param tUs - µs since the year epoch; number (must be an integer) or bigint (any size)
 * @throws TimestampError `TS_BAD_VALUE` for a non-integer number
 */
export function wrapUs(tUs: number | bigint): number {
  if (typeof tUs === "bigint") {
    const r = tUs % M_BIG;
    return Number(r < 0n ? r + M_BIG : r);
  }
  if (!Number.isInteger(tUs)) {
    throw new TimestampError("TS_BAD_VALUE", `timestamps: a gen2 time must be an integer number of µs, got ${tUs}`, {
      value: tUs,
    });
  }
  if (tUs >= 0 && tUs < GEN2_WRAP_US) return tUs;
  if (!Number.isSafeInteger(tUs)) return wrapUs(BigInt(tUs));
  const r = tUs % GEN2_WRAP_US;
  return r < 0 ? r + GEN2_WRAP_US : r;
}

/**
 * A range of gen2 photon times in µs, **both ends inclusive**, normalised modulo the 36-bit wrap
 * (binney's `TimestampRange`, spec gen2-bin §6).
 *
 * Construction reduces both ends with the Euclidean remainder mod {@link GEN2_WRAP_US}; a range whose
 * start is greater than its stop crosses the wrap (it covers `[start, M) ∪ [0, stop]`). Never throws
 * for integer input: there are no invalid ranges. `start == stop` holds exactly one tick.
 */
export class TimestampRange {
  /** Normalised start, µs in [0, M), inclusive. */
  readonly startUs: number;
  /** Normalised stop, µs in [0, M), inclusive. */
  readonly stopUs: number;

  /**
   * @param startUs - first µs of the range (any integer; reduced mod M)
   * @param stopUs - last µs of the range, inclusive (any integer; reduced mod M)
   * @throws TimestampError `TS_BAD_VALUE` for non-integer numbers
   */
  constructor(startUs: number | bigint, stopUs: number | bigint) {
    this.startUs = wrapUs(startUs);
    this.stopUs = wrapUs(stopUs);
  }

  /** True when the range crosses the wrap (`startUs > stopUs`). */
  get wraps(): boolean {
    return this.startUs > this.stopUs;
  }

  /**
   * Length in µs: `stop − start`, plus M when the range wraps. The range holds `durationUs + 1` ticks.
   */
  get durationUs(): number {
    return this.wraps ? this.stopUs - this.startUs + GEN2_WRAP_US : this.stopUs - this.startUs;
  }

  /** True when time `tUs` (reduced mod M first) lies in the range, ends included. */
  inside(tUs: number | bigint): boolean {
    const t = wrapUs(tUs);
    return this.startUs <= this.stopUs ? this.startUs <= t && t <= this.stopUs : t <= this.stopUs || t >= this.startUs;
  }

  /** True when the two ranges share at least one tick (touching ends count). Symmetric. */
  overlaps(other: TimestampRange): boolean {
    return this.inside(other.startUs) || this.inside(other.stopUs) || other.inside(this.startUs) || other.inside(this.stopUs);
  }

  /**
   * True when every tick of `other` lies in this range. Not in binney; added because users ask
   * "does this file cover my whole query?".
   */
  contains(other: TimestampRange): boolean {
    if (!this.inside(other.startUs) || !this.inside(other.stopUs)) return false;
    // Both ends inside: `other` is contained unless it runs the long way round, i.e. it is longer
    // than the part of this range that lies from other.start onwards.
    const offset = wrapUs(other.startUs - this.startUs);
    return offset + other.durationUs <= this.durationUs;
  }

  /**
   * A new range `(start − tolUs, stop + tolUs)`, re-normalised; negative `tolUs` shrinks.
   * binney semantics are kept: shrinking past the midpoint gives start > stop, which reads as a
   * wrapped range covering almost everything (`new(10,20).grow(-6)` is `(16,14)`).
   */
  grow(tolUs: number): TimestampRange {
    const tol = integerToNumber(tolUs, "grow tolerance (µs)");
    return new TimestampRange(this.startUs - tol, this.stopUs + tol);
  }

  /** Equality of the normalised ends: `new(M-30, M+30)` equals `new(-30, 30)`. */
  equals(other: TimestampRange): boolean {
    return this.startUs === other.startUs && this.stopUs === other.stopUs;
  }

  /** A stable key for maps and file names: `"<startUs>-<stopUs>"` of the normalised ends. */
  key(): string {
    return `${this.startUs}-${this.stopUs}`;
  }

  toString(): string {
    return `TimestampRange(${this.startUs}, ${this.stopUs})`;
  }

  toJSON(): { startUs: number; stopUs: number } {
    return { startUs: this.startUs, stopUs: this.stopUs };
  }
}

/**
 * Unwrap a monotonic sequence of gen2 µs times that crosses the wrap at most once, without a
 * per-element loop-carried state: each value is placed in the period nearest the first value, so
 * values more than M/2 below the first get M added (after the wrap) and values more than M/2 above
 * it get M subtracted (out-of-order jitter from just before the wrap when the first value is after it).
 *
 * Input values are reduced mod M first, so `T` slightly above M (header 2^36−1 + offset 511) works.
 * The output is a Float64Array of exact integers (all < 2M < 2^53).
 *
 * @param values - µs times, roughly increasing (out-of-order jitter far below M/2 is fine)
 * @throws TimestampError `TS_BAD_VALUE` if the sequence appears to cross the wrap more than once
 */
export function unwrapUs(values: ArrayLike<number> | BigInt64Array | ArrayLike<bigint>): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  const half = GEN2_WRAP_US / 2;
  const first = wrapUs(values[0] as number | bigint);
  // A time belongs after the wrap when it lies more than half a period before the first value.
  let crossed = false;
  for (let i = 0; i < n; i++) {
    const t = wrapUs(values[i] as number | bigint);
    if (t < first - half) {
      out[i] = t + GEN2_WRAP_US;
      crossed = true;
    } else if (t > first + half) {
      out[i] = t - GEN2_WRAP_US;
    } else {
      out[i] = t;
    }
  }
  if (crossed) {
    // Values are placed within ±M/2 of the first, so a sequence that went once round the whole
    // period (crossing the wrap twice) shows up as a decrease somewhere after the crossing.
    let max = -Infinity;
    let min = Infinity;
    for (let i = 0; i < n; i++) {
      if (out[i]! > max) max = out[i]!;
      if (out[i]! < min) min = out[i]!;
    }
    if (max - min >= GEN2_WRAP_US) {
      throw new TimestampError("TS_BAD_VALUE", "timestamps: the sequence spans more than one gen2 wrap period", {
        value: max,
      });
    }
  }
  return out;
}
