/** The order-independent photon checksum of spec §13.4 (same as gen2_make.py manifests and gen2_ref.c). */
import type { Gen2PhotonArrays, Gen2WidePhotonArrays } from "./arrow-tables.js";

const MOD64 = 1n << 64n;

/** Running sums from which the checksum is derived (the checksum is linear in them). */
export class Gen2ChecksumAccumulator {
  private sumT = 0n;
  private partialT = 0;
  private partialCount = 0;
  private sumId = 0;
  private sumPhase = 0;
  private sumBaseline = 0;
  /** Photons added so far. */
  count = 0;

  private addOne(tUs: number, id: number, phase: number, baseline: number): void {
    this.partialT += tUs;
    if (++this.partialCount === 128) {
      this.sumT += BigInt(this.partialT);
      this.partialT = 0;
      this.partialCount = 0;
    }
    this.sumId += id;
    this.sumPhase += phase + 131072;
    this.sumBaseline += baseline + 65536;
    this.count++;
  }

  /** Add packed photons (`xy = x << 8 | y`). */
  addPacked(arrays: Pick<Gen2PhotonArrays, "xy" | "timestamp" | "phase" | "baseline">): void {
    const { xy, timestamp, phase, baseline } = arrays;
    const pairs = new Int32Array(timestamp.buffer, timestamp.byteOffset, timestamp.length * 2);
    for (let i = 0; i < xy.length; i++) {
      const v = xy[i]!;
      const t = pairs[2 * i + 1]! * 4294967296 + (pairs[2 * i]! >>> 0);
      this.addOne(t, ((v >>> 8) << 10) | (v & 0xff), phase[i]!, baseline[i]!);
    }
  }

  /** Add wide photons (10-bit x, y). */
  addWide(arrays: Pick<Gen2WidePhotonArrays, "x" | "y" | "timestamp" | "phase" | "baseline">): void {
    for (let i = 0; i < arrays.x.length; i++) {
      this.addOne(Number(arrays.timestamp[i]!), (arrays.x[i]! << 10) | arrays.y[i]!, arrays.phase[i]!, arrays.baseline[i]!);
    }
  }

  /** The checksum as a bigint in [0, 2^64). */
  value(): bigint {
    const t = this.sumT + BigInt(this.partialT);
    const v = t * 1000003n + BigInt(this.sumId) * 65537n + BigInt(this.sumPhase) * 131n + BigInt(this.sumBaseline);
    return ((v % MOD64) + MOD64) % MOD64;
  }

  /** The checksum as 16 lower-case hex digits (the manifest format). */
  hex(): string {
    return this.value().toString(16).padStart(16, "0");
  }
}

/**
 * Checksum of spec §13.4 over packed and (optionally) wide photons, as 16 hex digits.
 * `v = T × 1000003 + ((x << 10) | y) × 65537 + (phase + 131072) × 131 + (baseline + 65536)`, summed mod 2^64.
 */
export function gen2Checksum(
  photons: Pick<Gen2PhotonArrays, "xy" | "timestamp" | "phase" | "baseline">,
  wide?: Pick<Gen2WidePhotonArrays, "x" | "y" | "timestamp" | "phase" | "baseline">,
): string {
  const acc = new Gen2ChecksumAccumulator();
  acc.addPacked(photons);
  if (wide) acc.addWide(wide);
  return acc.hex();
}
