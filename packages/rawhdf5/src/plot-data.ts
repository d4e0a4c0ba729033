/**
 * Data for pictures (platform-neutral), shared by the viewer and `daqkit plot`: the ADC histogram
 * and the chip × channel occupancy of LArPix data packets, accumulated block by block as
 * `iterateRawfilePackets` streams them.
 */
import { type Histogram1D, HistogramAccumulator } from "@daqkit/io";
import { PACKET_TYPES, type PacketColumns } from "./pacman.js";
import { iterateRawfilePackets, type RawfilePacketsOptions } from "./rawfile-packets.js";
import type { RawfileInput, RawfileRuntimeOptions } from "./read-source.js";

/** Channels per LArPix chip. */
export const LARPIX_CHANNELS = 64;

/** Options of {@link LarpixBinner}. */
export interface LarpixBinOptions {
  /** Only packets with valid parity (default false: every data packet; bad parity is counted apart). */
  validParityOnly?: boolean;
  /** ADC histogram bins (default 256, one per ADC value 0–255). */
  adcBins?: number;
  /** ADC histogram range (default [0, 256): the 8-bit dataword). */
  adcRange?: readonly [number, number];
}

/** Data packets per chip and channel: `counts[chipIndex * 64 + channel]`. */
export interface LarpixOccupancy {
  /** Chip keys `io_group-io_channel-chip_id` (larpix's `Key` string), sorted numerically; one row each. */
  readonly chips: readonly string[];
  readonly channels: number;
  readonly counts: Float64Array;
  readonly max: number;
}

/** The result of {@link LarpixBinner.result}. */
export interface LarpixBinned {
  /** Data packets binned. */
  readonly dataPackets: number;
  /** Data packets with bad parity (skipped when `validParityOnly`). */
  readonly badParity: number;
  /** Packet rows of other types (test, config, timestamp, sync, trigger). */
  readonly otherPackets: number;
  /** Histogram of the data packets' ADC value (`dataword`). */
  readonly adc: Histogram1D;
  readonly occupancy: LarpixOccupancy;
}

/**
 * Accumulates the ADC histogram and the occupancy of data packets (`packet_type` 0) over packet
 * blocks. Chips are keyed by (io_group, io_channel, chip_id) as larpix's `Key` does, so the same
 * chip id on two io channels is two chips.
 */
export class LarpixBinner {
  private readonly adc: HistogramAccumulator;
  private readonly perChip = new Map<number, Float64Array>();
  private readonly validParityOnly: boolean;
  private dataPackets = 0;
  private badParity = 0;
  private otherPackets = 0;

  constructor(options: LarpixBinOptions = {}) {
    const [low, high] = options.adcRange ?? [0, 256];
    this.adc = new HistogramAccumulator({ bins: options.adcBins ?? 256, low, high });
    this.validParityOnly = options.validParityOnly ?? false;
  }

  /** Add one block of packet rows (as `iterateRawfilePackets` yields them). */
  addPackets(
    cols: Pick<
      PacketColumns,
      "length" | "io_group" | "io_channel" | "chip_id" | "packet_type" | "valid_parity" | "channel_id" | "dataword"
    >,
  ): void {
    for (let i = 0; i < cols.length; i++) {
      if (cols.packet_type[i] !== PACKET_TYPES.data) {
        this.otherPackets++;
        continue;
      }
      if (!cols.valid_parity[i]) {
        this.badParity++;
        if (this.validParityOnly) continue;
      }
      const key = (cols.io_group[i]! << 16) | (cols.io_channel[i]! << 8) | cols.chip_id[i]!;
      let row = this.perChip.get(key);
      if (!row) {
        row = new Float64Array(LARPIX_CHANNELS);
        this.perChip.set(key, row);
      }
      row[cols.channel_id[i]! & 63]!++;
      this.adc.addValue(cols.dataword[i]!);
      this.dataPackets++;
    }
  }

  result(): LarpixBinned {
    const keys = [...this.perChip.keys()].sort((a, b) => a - b);
    const counts = new Float64Array(keys.length * LARPIX_CHANNELS);
    let max = 0;
    keys.forEach((k, r) => {
      const row = this.perChip.get(k)!;
      counts.set(row, r * LARPIX_CHANNELS);
      for (const c of row) if (c > max) max = c;
    });
    return {
      dataPackets: this.dataPackets,
      badParity: this.badParity,
      otherPackets: this.otherPackets,
      adc: this.adc.result(),
      occupancy: {
        chips: keys.map((k) => `${k >>> 16}-${(k >>> 8) & 0xff}-${k & 0xff}`),
        channels: LARPIX_CHANNELS,
        counts,
        max,
      },
    };
  }
}

/**
 * Bin every data packet of a raw file (bytes, a `Blob`/`File` or a byte source) block by block.
 * @throws RawHdf5Error the errors of `iterateRawfilePackets`
 */
export async function binRawfilePackets(
  input: RawfileInput,
  options: LarpixBinOptions & RawfilePacketsOptions & RawfileRuntimeOptions = {},
): Promise<LarpixBinned> {
  const binner = new LarpixBinner(options);
  for await (const block of iterateRawfilePackets(input, options)) binner.addPackets(block);
  return binner.result();
}
