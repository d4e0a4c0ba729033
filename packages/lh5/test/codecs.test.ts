import { describe, expect, test } from "vitest";
import {
  type LgdoArray,
  type Table,
  createScalar,
  decodeEncodedArray,
  openLh5,
  uleb128ZigzagDiffDecode,
  vectorOfVectorsFromRows,
} from "../src/node.js";
import type { EncodedArray } from "../src/node.js";
import { P14_ZSTD } from "./helpers.js";

function mean(a: Int32Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i] as number;
  return s / n;
}

describe("waveform codecs", () => {
  test("uleb128_zigzag_diff on hand-made bytes", () => {
    const out = new Int32Array(4);
    // samples 5, 3, 3, 300 → diffs 5, -2, 0, 297 → zigzag 10, 3, 0, 594 → LEB128
    expect(uleb128ZigzagDiffDecode(Uint8Array.from([0x0a, 0x03, 0x00, 0xd2, 0x04]), out, 0)).toBe(4);
    expect(Array.from(out)).toEqual([5, 3, 3, 300]);
    expect(() => uleb128ZigzagDiffDecode(Uint8Array.from([0x80]), new Int32Array(1), 0)).toThrowError(
      expect.objectContaining({ code: "LH5_DECODE_FAILED" }),
    );
  });

  test("real p14 raw file: radware (windowed) sits on the baseline, uleb128 (presummed) on presum_rate × baseline", async () => {
    const f = await openLh5(P14_ZSTD);
    try {
      for (const table of f.listTables().filter((t) => /^ch\d+\/raw$/.test(t))) {
        const t = f.readTable(table, {
          columns: ["baseline", "presum_rate", "waveform_windowed", "waveform_presummed"],
          decodeWaveforms: true,
        });
        const baseline = (t.columns.get("baseline") as LgdoArray).data as Uint16Array;
        const presum = (t.columns.get("presum_rate") as LgdoArray).data as ArrayLike<number>;
        const win = (t.columns.get("waveform_windowed") as Table).columns.get("values");
        const pre = (t.columns.get("waveform_presummed") as Table).columns.get("values");
        if (win?.type !== "ArrayOfEqualSizedArrays" || pre?.type !== "ArrayOfEqualSizedArrays")
          throw new Error(`${win?.type} ${pre?.type}`);
        expect(win.attrs.codec).toBeUndefined();
        for (let r = 0; r < t.nRows; r++) {
          const w = (win.data as Int32Array).subarray(r * (win.shape[1] as number));
          const p = (pre.data as Int32Array).subarray(r * (pre.shape[1] as number));
          // Both codecs decode the same pre-trigger level (the FPGA baseline differs on piled-up events).
          expect(Math.abs(mean(w, 50) - mean(p, 20) / (presum[r] as number)), table).toBeLessThan(100);
          expect(Math.abs(mean(w, 50) - (baseline[r] as number)), table).toBeLessThan(400);
        }
      }
      const first = f.readObject("ch1105600/raw/waveform_windowed/values", { decodeWaveforms: true });
      expect(first.type === "ArrayOfEqualSizedArrays" && Array.from((first.data as Int32Array).subarray(0, 6))).toEqual([
        14996, 15009, 14998, 15005, 14995, 15006,
      ]);
      // still-encoded read, then decode separately: same samples
      const enc = f.readObject("ch1105600/raw/waveform_windowed/values");
      const dec = f.readObject("ch1105600/raw/waveform_windowed/values", { decodeWaveforms: true });
      expect(decodeEncodedArray(enc as EncodedArray)).toEqual(dec);
    } finally {
      f.close();
    }
  });

  test("corrupt streams and unknown codecs are coded errors", () => {
    const encoded = (codec: string, rows: number[][]): EncodedArray => ({
      type: "ArrayOfEncodedEqualSizedArrays",
      datatype: "array_of_encoded_equalsized_arrays<1,1>{real}",
      attrs: { codec },
      encoded: true,
      element: { kind: "real" },
      codec,
      encodedData: (() => {
        const v = vectorOfVectorsFromRows(rows);
        return {
          ...v,
          flattened: { ...(v.flattened as LgdoArray), data: Uint8Array.from((v.flattened as LgdoArray).data as Float64Array) },
        };
      })(),
      decodedSize: createScalar(4),
    });
    expect(() => decodeEncodedArray(encoded("radware_sigcompress", [[0, 4, 0, 4]]))).toThrowError(
      expect.objectContaining({ code: "LH5_DECODE_FAILED" }),
    );
    expect(() => decodeEncodedArray(encoded("uleb128_zigzag_diff", [[2, 2]]))).toThrowError(
      expect.objectContaining({ code: "LH5_DECODE_FAILED" }),
    );
    expect(() => decodeEncodedArray(encoded("lzma", [[1]]))).toThrowError(expect.objectContaining({ code: "LH5_UNSUPPORTED" }));
    expect(decodeEncodedArray(encoded("uleb128_zigzag_diff", [[2, 2, 2, 2]]))).toMatchObject({
      type: "ArrayOfEqualSizedArrays",
      shape: [1, 4],
    });
  });
});
