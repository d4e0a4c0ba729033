import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { binRawfilePackets, LarpixBinner, PACKET_FIELDS, readRawfilePackets } from "../src/index.js";
import { TESTDATA } from "./helpers.js";

interface ExpectedPackets {
  packets: { fields: string[]; rows: number[][] };
}
const EXPECTED = JSON.parse(readFileSync(join(TESTDATA, "expected.json"), "utf8")) as Record<string, ExpectedPackets>;

describe("LArPix ADC histogram and chip × channel occupancy", () => {
  for (const name of ["raw_v0_0_two_iogroups.h5", "raw_v0_0_two_appends.h5"]) {
    it(`${name}: equal to larpix's packets (expected.json), keyed io_group-io_channel-chip_id`, async () => {
      const { fields, rows } = EXPECTED[name]!.packets;
      const col = (f: string) => fields.indexOf(f);
      const data = rows.filter((r) => r[col("packet_type")] === 0);
      const adc = new Array(256).fill(0);
      const occupancy = new Map<string, number[]>();
      for (const r of data) {
        adc[r[col("dataword")]!]++;
        const key = `${r[col("io_group")]}-${r[col("io_channel")]}-${r[col("chip_id")]}`;
        if (!occupancy.has(key)) occupancy.set(key, new Array(64).fill(0));
        occupancy.get(key)![r[col("channel_id")]!]!++;
      }
      const binned = await binRawfilePackets(readFileSync(join(TESTDATA, name)), { blockMessages: 3 });
      expect(binned.dataPackets).toBe(data.length);
      expect(binned.dataPackets).toBeGreaterThan(0);
      expect(binned.otherPackets).toBe(rows.length - data.length);
      expect(binned.badParity).toBe(data.filter((r) => r[col("valid_parity")] === 0).length);
      expect(Array.from(binned.adc.counts)).toEqual(adc);
      const numeric = (k: string) =>
        k
          .split("-")
          .map(Number)
          .reduce((a, b) => a * 256 + b, 0);
      expect(binned.occupancy.chips).toEqual([...occupancy.keys()].sort((a, b) => numeric(a) - numeric(b)));
      binned.occupancy.chips.forEach((chip, i) => {
        expect(Array.from(binned.occupancy.counts.subarray(i * 64, (i + 1) * 64))).toEqual(occupancy.get(chip));
      });
    });
  }

  it("validParityOnly skips bad-parity packets; an empty file bins nothing", async () => {
    const bytes = readFileSync(join(TESTDATA, "raw_v0_0_two_iogroups.h5"));
    const all = await binRawfilePackets(bytes);
    const valid = await binRawfilePackets(bytes, { validParityOnly: true });
    expect(all.badParity).toBe(1);
    expect(valid.dataPackets).toBe(all.dataPackets - 1);
    const empty = await binRawfilePackets(readFileSync(join(TESTDATA, "raw_v0_0_empty.h5")));
    expect([empty.dataPackets, empty.occupancy.chips.length, empty.adc.entries]).toEqual([0, 0, 0]);
    // The binner takes the columns of readRawfilePackets as they are.
    const binner = new LarpixBinner({ adcBins: 4 });
    binner.addPackets(await readRawfilePackets(bytes));
    expect(binner.result().adc.counts.length).toBe(4);
    expect(PACKET_FIELDS).toContain("dataword");
  });

  it("a file that is not a raw file is a coded error", async () => {
    await expect(binRawfilePackets(new Uint8Array(64).fill(7), { name: "junk.h5" })).rejects.toMatchObject({
      code: expect.stringMatching(/^RAWHDF5_/),
    });
  });
});
