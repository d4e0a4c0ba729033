import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openLh5 } from "../src/node.js";
import { histogramLh5Column, readLh5Waveforms } from "../src/index.js";
import { HAVE_H5PY, P14_ZSTD, PROD, RAW_CAL, runPython } from "./helpers.js";

const DSP_CAL = join(PROD, "dsp/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_dsp.lh5");
const HIT_CAL = join(PROD, "hit/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_hit.lh5");

describe.skipIf(!HAVE_H5PY)("LH5 column histograms equal numpy.histogram over h5py", () => {
  it("trapEmax: automatic range, counts equal numpy's; read once when it fits keepBytes, else twice, same result", async () => {
    await using f = await openLh5(DSP_CAL);
    let rowsRead = 0;
    const readObject = f.readObject.bind(f);
    f.readObject = ((path: string, o?: { rows?: { start: number; stop: number } }) => {
      if (o?.rows) rowsRead += o.rows.stop - o.rows.start;
      return readObject(path, o as Parameters<typeof readObject>[1]);
    }) as typeof f.readObject;
    const py = JSON.parse(
      runPython(
        "import h5py, numpy, json, sys; v = h5py.File(sys.argv[1])['ch1084803/dsp/trapEmax'][()]; c, e = numpy.histogram(v, bins=7, range=(v.min(), v.max())); print(json.dumps([c.tolist(), e.tolist()]))",
        [DSP_CAL],
      ),
    ) as [number[], number[]];
    // keepBytes 0: always two passes; 20 bytes: the first 3-row step (12 bytes of float32) tells
    // that 10 rows (40 bytes) do not fit, so two passes; default (256 MiB): one pass.
    for (const [keepBytes, passes] of [
      [0, 2],
      [20, 2],
      [undefined, 1],
    ] as const) {
      rowsRead = 0;
      const ticks: number[] = [];
      const h = await histogramLh5Column(f, "ch1084803/dsp/trapEmax", {
        bins: 7,
        batchRows: 3,
        onProgress: (d) => ticks.push(d),
        ...(keepBytes === undefined ? {} : { keepBytes }),
      });
      expect(Array.from(h.counts)).toEqual(py[0]);
      // numpy computes float32 edges for a float32 column: compare the ends only.
      expect([h.low, h.high]).toEqual([py[1][0], py[1][7]]);
      expect(h.rows).toBe(10);
      expect(h.entries).toBe(10);
      expect(rowsRead).toBe(10 * passes);
      expect(ticks).toEqual(passes === 2 ? [3, 6, 9, 10, 13, 16, 19, 20] : [3, 6, 9, 10]);
    }
  });

  it("a given range counts under- and overflow; NaNs are counted apart", async () => {
    await using f = await openLh5(HIT_CAL);
    const h = await histogramLh5Column(f, "ch1084803/hit/cuspEmax_ctc_cal", { bins: 4, range: [0, 1000] });
    const py = JSON.parse(
      runPython(
        "import h5py, numpy, json, sys; v = h5py.File(sys.argv[1])['ch1084803/hit/cuspEmax_ctc_cal'][()]; c, _ = numpy.histogram(v[~numpy.isnan(v)], bins=4, range=(0, 1000)); print(json.dumps([c.tolist(), int(numpy.isnan(v).sum()), int((v < 0).sum()), int((v > 1000).sum())]))",
        [HIT_CAL],
      ),
    ) as [number[], number, number, number];
    expect(Array.from(h.counts)).toEqual(py[0]);
    expect([h.nan, h.underflow, h.overflow]).toEqual([py[1], py[2], py[3]]);
    expect(h.entries).toBe(10);
  });

  it("refuses a table, a missing object and a string column with coded errors naming the file", async () => {
    await using f = await openLh5(RAW_CAL);
    await expect(histogramLh5Column(f, "ch1084803/raw")).rejects.toMatchObject({ code: "LH5_UNSUPPORTED", path: RAW_CAL });
    await expect(histogramLh5Column(f, "ch1084803/raw/nope")).rejects.toMatchObject({ code: "LH5_OBJECT_NOT_FOUND" });
    await expect(histogramLh5Column(f, "ch1084803/raw/waveform")).rejects.toMatchObject({ code: "LH5_UNSUPPORTED" });
  });
});

describe.skipIf(!HAVE_H5PY)("LH5 waveforms as x/y series", () => {
  it("a WaveformTable: x = t0 + i·dt, y = values (h5py), also through the parent table", async () => {
    await using f = await openLh5(RAW_CAL);
    const w = readLh5Waveforms(f, "ch1084803/raw", { first: 2, count: 3 });
    expect(w.objectPath).toBe("ch1084803/raw/waveform");
    expect(w.waveforms.map((s) => s.row)).toEqual([2, 3, 4]);
    expect(w.rows).toBe(10);
    expect(w.xUnits).toBe("ns");
    const py = JSON.parse(
      runPython(
        "import h5py, json, sys; g = h5py.File(sys.argv[1])['ch1084803/raw/waveform']; print(json.dumps([g['t0'][2:5].tolist(), g['dt'][2:5].tolist(), g['values'][2:5].tolist()]))",
        [RAW_CAL],
      ),
    ) as [number[], number[], number[][]];
    for (let i = 0; i < 3; i++) {
      const s = w.waveforms[i]!;
      expect(Array.from(s.y)).toEqual(py[2][i]);
      expect(s.x[0]).toBeCloseTo(py[0][i]!, 6);
      expect(s.x[100]! - s.x[99]!).toBeCloseTo(py[1][i]!, 6);
      expect(s.x.length).toBe(8192);
    }
  });

  it("encoded waveforms are decoded (same samples as readTable with decodeWaveforms); the end of the table clips count", async () => {
    await using f = await openLh5(P14_ZSTD);
    const path = "ch1105600/raw/waveform_presummed";
    const rows = f.countRows(path)!;
    expect(rows).toBe(1);
    const w = readLh5Waveforms(f, path, { count: 5 });
    expect(w.waveforms.length).toBe(1);
    const t = f.readTable(path, { decodeWaveforms: true });
    const values = t.columns.get("values")!;
    expect(values.type).toBe("ArrayOfEqualSizedArrays");
    if (values.type !== "ArrayOfEqualSizedArrays") return;
    const len = values.shape[1]!;
    expect(len).toBeGreaterThan(100);
    expect(Array.from(w.waveforms[0]!.y)).toEqual(Array.from(values.data.slice(0, len) as ArrayLike<number>, Number));
    expect(() => readLh5Waveforms(f, path, { first: rows })).toThrow(expect.objectContaining({ code: "LH5_BAD_ROWS" }));
    expect(() => readLh5Waveforms(f, "ch1105600/raw/timestamp")).toThrow(expect.objectContaining({ code: "LH5_UNSUPPORTED" }));
  });
});
