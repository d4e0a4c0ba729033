import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { type Lgdo, type LgdoArray, type Table, type VectorOfVectors, openLh5, readLh5 } from "../src/node.js";
import { EVT_P16, P14_ZSTD, PROD, RAW_CAL, TCM_OLD, TCM_V2, TESTDATA, sum } from "./helpers.js";

function col(t: Table, name: string): Lgdo {
  const c = t.columns.get(name);
  if (!c) throw new Error(`no column ${name}`);
  return c;
}
function arr(o: Lgdo | undefined): LgdoArray {
  if (o?.type !== "Array") throw new Error(`expected Array, got ${o?.type}`);
  return o;
}
function vov(o: Lgdo | undefined): VectorOfVectors {
  if (o?.type !== "VectorOfVectors") throw new Error(`expected VoV, got ${o?.type}`);
  return o;
}
/** Rows of a 1-level VoV as plain arrays. */
function vovRows(v: VectorOfVectors): (number | bigint | string)[][] {
  const flat = arr(v.flattened).data as ArrayLike<number | bigint | string>;
  const out: (number | bigint | string)[][] = [];
  let s = 0;
  for (const e of v.cumulativeLength) {
    out.push(Array.from({ length: e - s }, (_, i) => flat[s + i] as number));
    s = e;
  }
  return out;
}

const RAW_COLUMNS =
  "packet_id,eventnumber,timestamp,runtime,numtraces,tracelist,baseline,daqenergy,channel,ts_pps,ts_ticks,ts_maxticks,mu_offset_sec,mu_offset_usec,to_master_sec,delta_mu_usec,abs_delta_mu_usec,to_start_sec,to_start_usec,dr_start_pps,dr_start_ticks,dr_stop_pps,dr_stop_ticks,dr_maxticks,deadtime,waveform,event_type,fcid,crate,slot,board_id,fc_input".split(
    ",",
  );

describe("worked example (spec §7)", () => {
  test("tree, types, dtypes, shapes, units", async () => {
    const f = await openLh5(RAW_CAL);
    try {
      const all = f.listObjects();
      expect(all.filter((o) => o.depth === 1).map((o) => [o.name, o.type])).toEqual([
        ["ch1084803", null],
        ["ch1084804", null],
        ["ch1121600", null],
      ]);
      const raw = f.describe("ch1084803/raw");
      expect(raw.type).toBe("Table");
      expect(raw.columns).toEqual(RAW_COLUMNS);
      expect(raw.nRows).toBe(10);
      const children = all.filter((o) => o.path.startsWith("ch1084803/raw/") && o.depth === 3);
      expect(children.map((o) => o.name)).toEqual(RAW_COLUMNS);
      const by = new Map(all.map((o) => [o.path, o]));
      const dtypes: Record<string, string> = {
        abs_delta_mu_usec: "int32",
        baseline: "uint16",
        board_id: "uint16",
        channel: "uint32",
        crate: "uint8",
        daqenergy: "uint16",
        deadtime: "float64",
        eventnumber: "int32",
        packet_id: "uint32",
        runtime: "float64",
        timestamp: "float64",
        fcid: "uint8",
      };
      for (const [name, dtype] of Object.entries(dtypes)) {
        const o = by.get(`ch1084803/raw/${name}`);
        expect(o?.dtype, name).toBe(dtype);
        expect(o?.datatype).toBe("array<1>{real}");
        expect(o?.shape).toEqual([10]);
        expect(o?.maxshape).toEqual([null]);
        expect(o?.filters).toEqual([]);
      }
      expect(by.get("ch1084803/raw/timestamp")?.units).toBe("s");
      expect(by.get("ch1084803/raw/runtime")?.units).toBe("s");
      expect(by.get("ch1084803/raw/tracelist")?.type).toBe("VectorOfVectors");
      expect(by.get("ch1084803/raw/tracelist/flattened_data")?.shape).toEqual([0]);
      expect(by.get("ch1084803/raw/tracelist/flattened_data")?.dtype).toBe("int16");
      expect(by.get("ch1084803/raw/tracelist/flattened_data")?.chunks).toEqual([1024]);
      expect(by.get("ch1084803/raw/tracelist/cumulative_length")?.dtype).toBe("uint32");
      const wf = by.get("ch1084803/raw/waveform");
      expect(wf?.type).toBe("WaveformTable");
      expect(wf?.columns).toEqual(["t0", "dt", "values"]);
      const values = by.get("ch1084803/raw/waveform/values");
      expect(values?.type).toBe("ArrayOfEqualSizedArrays");
      expect(values?.shape).toEqual([10, 8192]);
      expect(values?.maxshape).toEqual([null, 8192]);
      expect(values?.chunks).toEqual([3, 2048]);
      expect(by.get("ch1084803/raw/waveform/dt")?.units).toBe("ns");
      expect(f.listTables()).toEqual(["ch1084803/raw", "ch1084804/raw", "ch1121600/raw"]);
    } finally {
      f.close();
    }
  });

  test("table values, row ranges and index lists", async () => {
    const f = await openLh5(RAW_CAL);
    try {
      expect(f.countRows("ch1084803/raw")).toBe(10);
      expect(f.tableColumns("ch1084803/raw")).toEqual(RAW_COLUMNS);
      const t = f.readTable("ch1084803/raw");
      expect([...t.columns.keys()]).toEqual(RAW_COLUMNS);
      expect(t.nRows).toBe(10);
      const energy = arr(col(t, "daqenergy"));
      expect(energy.data).toBeInstanceOf(Uint16Array);
      expect(Array.from(energy.data as Uint16Array)).toEqual([3101, 3478, 645, 7972, 1669, 5454, 955, 4050, 1129, 1866]);
      expect(sum(arr(col(t, "timestamp")).data as Float64Array)).toBeCloseTo(16791025104.618008, 3);
      expect(arr(col(t, "timestamp")).attrs.units).toBe("s");
      const wf = col(t, "waveform");
      expect(wf.type).toBe("WaveformTable");
      const values = (wf as Table).columns.get("values");
      if (values?.type !== "ArrayOfEqualSizedArrays") throw new Error("values");
      expect(values.shape).toEqual([10, 8192]);
      expect(sum(values.data as Uint16Array)).toBe(1347235395);
      expect(Array.from((values.data as Uint16Array).subarray(3 * 8192, 3 * 8192 + 5))).toEqual([15694, 15744, 15779, 15831, 15865]);
      const tracelist = vov(col(t, "tracelist"));
      expect(Array.from(tracelist.cumulativeLength)).toEqual(new Array(10).fill(0));

      const range = f.readTable("ch1084803/raw", { columns: ["daqenergy", "waveform/values"], rows: { start: 2, stop: 5 } });
      expect([...range.columns.keys()]).toEqual(["daqenergy", "waveform"]);
      expect(Array.from(arr(col(range, "daqenergy")).data as Uint16Array)).toEqual([645, 7972, 1669]);
      const clamped = f.readTable("ch1084803/raw", { columns: ["daqenergy"], rows: { start: 8, stop: 100 } });
      expect(clamped.nRows).toBe(2);

      const picked = f.readTable("ch1084803/raw", { columns: ["daqenergy", "waveform"], rows: [9, 0, 0, 3, 4] });
      expect(Array.from(arr(col(picked, "daqenergy")).data as Uint16Array)).toEqual([1866, 3101, 3101, 7972, 1669]);
      const pv = (col(picked, "waveform") as Table).columns.get("values");
      if (pv?.type !== "ArrayOfEqualSizedArrays") throw new Error("values");
      expect(pv.shape).toEqual([5, 8192]);
      const full = values.data as Uint16Array;
      [9, 0, 0, 3, 4].forEach((row, i) => {
        expect((pv.data as Uint16Array).subarray(i * 8192, (i + 1) * 8192)).toEqual(full.subarray(row * 8192, (row + 1) * 8192));
      });
    } finally {
      f.close();
    }
  });

  test("streaming in batches", async () => {
    const f = await openLh5(RAW_CAL);
    try {
      const parts: number[] = [];
      let batches = 0;
      for await (const b of f.iterateTable("ch1084803/raw", { batchSize: 3, columns: ["daqenergy"] })) {
        batches++;
        parts.push(...(arr(col(b, "daqenergy")).data as Uint16Array));
      }
      expect(batches).toBe(4);
      expect(parts).toEqual([3101, 3478, 645, 7972, 1669, 5454, 955, 4050, 1129, 1866]);
    } finally {
      f.close();
    }
  });
});

describe("TCMs", () => {
  test("old format: struct of arrays of different lengths", async () => {
    const s = await readLh5(TCM_OLD, "hardware_tcm_1");
    if (s.type !== "Struct") throw new Error(s.type);
    expect([...s.fields.keys()]).toEqual(["cumulative_length", "array_id", "array_idx"]);
    expect(s.attrs.hash_func).toBe("\\d+");
    expect(s.attrs.tables).toBe("['ch1084803/raw', 'ch1084804/raw', 'ch1121600/raw']");
    const cl = arr(s.fields.get("cumulative_length"));
    expect(cl.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(cl.data as BigInt64Array, Number)).toEqual([
      1, 3, 4, 6, 8, 9, 10, 13, 14, 16, 18, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
    ]);
    expect(Array.from(arr(s.fields.get("array_idx")).data as BigInt64Array, Number)).toEqual([
      0, 0, 0, 1, 2, 1, 3, 2, 4, 5, 1, 6, 3, 7, 8, 4, 9, 5, 2, 6, 7, 3, 8, 9, 4, 5, 6, 7, 8, 9,
    ]);
    expect(Array.from(arr(s.fields.get("array_id")).data as Int32Array).slice(0, 6)).toEqual([
      1084804, 1084803, 1121600, 1084804, 1084804, 1121600,
    ]);
  });

  test("new format: table of VoVs, ranges and index lists", async () => {
    const f = await openLh5(TCM_V2);
    try {
      expect(f.describe("hardware_tcm_1").type).toBe("Table");
      expect(f.countRows("hardware_tcm_1")).toBe(22);
      const t = f.readTable("hardware_tcm_1");
      const rit = vov(col(t, "row_in_table"));
      expect(Array.from(rit.cumulativeLength)).toEqual([1, 3, 4, 6, 8, 9, 10, 13, 14, 16, 18, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
      expect(
        vovRows(rit)
          .slice(0, 4)
          .map((r) => r.map(Number)),
      ).toEqual([[0], [0, 0], [1], [2, 1]]);
      const key = vov(col(t, "table_key"));
      expect(arr(key.flattened).data).toBeInstanceOf(Int32Array);
      const sel = f.readTable("hardware_tcm_1", { rows: [7, 3, 3, 0] });
      const selRows = vovRows(vov(col(sel, "row_in_table"))).map((r) => r.map(Number));
      const allRows = vovRows(rit).map((r) => r.map(Number));
      expect(selRows).toEqual([allRows[7], allRows[3], allRows[3], allRows[0]]);
      const rng = f.readTable("hardware_tcm_1", { rows: { start: 3, stop: 6 } });
      expect(vovRows(vov(col(rng, "table_key"))).map((r) => r.map(Number))).toEqual(
        vovRows(key)
          .slice(3, 6)
          .map((r) => r.map(Number)),
      );
    } finally {
      f.close();
    }
  });

  test("l200-truncated TCM: 50 events, 3000 hits", async () => {
    const path = join(TESTDATA, "l200-truncated/generated/tier/tcm/ant/p13/r001/l200-p13-r001-ant-20241210T225016Z-tier_tcm.lh5");
    const t = await readLh5(path, "hardware_tcm_1");
    if (t.type !== "Table") throw new Error(t.type);
    expect([...t.columns.keys()]).toEqual(["row_in_table", "table_key"]);
    expect(t.nRows).toBe(50);
    const rit = vov(t.columns.get("row_in_table"));
    expect(rit.cumulativeLength[49]).toBe(3000);
    expect(sum(arr(rit.flattened).data as BigInt64Array)).toBe(73500);
  });
});

describe("other tiers and layouts", () => {
  test("dsp, hit (bool AoESA), psp VoV with int64 offsets, LDQTA", async () => {
    const dsp = await readLh5(join(PROD, "dsp/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_dsp.lh5"), "ch1084803/dsp");
    if (dsp.type !== "Table") throw new Error(dsp.type);
    expect(dsp.columns.size).toBe(59);
    expect(sum(arr(dsp.columns.get("trapEmax")).data as Float32Array)).toBeCloseTo(15896.27798461914, 2);

    const hit = await readLh5(join(PROD, "hit/phy/p03/r001/l200-p03-r001-phy-20230322T160139Z-tier_hit.lh5"), "ch1057600/hit", {
      columns: ["is_valid_hit", "energy_in_pe"],
    });
    if (hit.type !== "Table") throw new Error(hit.type);
    const valid = hit.columns.get("is_valid_hit");
    if (valid?.type !== "ArrayOfEqualSizedArrays") throw new Error("aoesa");
    expect(valid.element.kind).toBe("bool");
    expect(valid.data).toBeInstanceOf(Uint8Array);
    expect(valid.shape).toEqual([10, 100]);
    expect(sum(valid.data as Uint8Array)).toBe(1);

    const psp = await readLh5(join(TESTDATA, "l200-p03-r000-phy-20230312T055349Z-tier_psp.lh5"), "ch1067205/dsp/energies");
    const e = vov(psp);
    expect(e.cumulativeLength.length).toBe(1697);
    expect(Array.from(e.cumulativeLength.subarray(0, 5))).toEqual([1, 2, 2, 3, 3]);
    expect(e.cumulativeLength[1696]).toBe(1465);
    expect(sum(arr(e.flattened).data as Float64Array)).toBeCloseTo(27927.435456991196, 6);

    const ldqta = await openLh5(join(TESTDATA, "LDQTA_r117_20200110T105115Z_cal_geds_raw.lh5"));
    try {
      expect(ldqta.countRows("geds/raw")).toBe(100);
      const t = ldqta.readTable("geds/raw", { columns: ["timestamp", "energy", "waveform/values"] });
      expect(arr(t.columns.get("timestamp")).data).toBeInstanceOf(Float32Array);
      expect(sum(arr(t.columns.get("energy")).data as Uint16Array)).toBe(990476);
      const v = (t.columns.get("waveform") as Table).columns.get("values");
      expect(v?.type === "ArrayOfEqualSizedArrays" && v.shape).toEqual([100, 5592]);
    } finally {
      ldqta.close();
    }
  });

  test("deeply nested evt: VoV of strings, VoV of bools, VoV of VoV", async () => {
    const f = await openLh5(EVT_P16);
    try {
      expect(f.datatypeOf("")).toBe("struct{evt}");
      expect(f.countRows("evt")).toBe(1000);
      expect(f.tableColumns("evt")).toEqual(["coincident", "geds", "spms", "trigger"]);
      expect(f.tableColumns("evt/geds/psd/ann")).toEqual(["is_good", "is_single_site", "value"]);
      const t = f.readTable("evt", { columns: ["geds/detector_name", "geds/psd/ann/is_good", "spms/energy"] });
      const geds = t.columns.get("geds") as Table;
      const names = vov(geds.columns.get("detector_name"));
      expect(vovRows(names).slice(0, 2)).toEqual([["V00050A", "V03421A"], ["V02162B"]]);
      const good = vov(((geds.columns.get("psd") as Table).columns.get("ann") as Table).columns.get("is_good"));
      expect(arr(good.flattened).element.kind).toBe("bool");
      expect(good.cumulativeLength[999]).toBe(1843);
      const energy = vov((t.columns.get("spms") as Table).columns.get("energy"));
      expect(Array.from(energy.cumulativeLength.subarray(0, 3))).toEqual([55, 110, 165]);
      const inner = vov(energy.flattened);
      expect(inner.cumulativeLength[inner.cumulativeLength.length - 1]).toBe(106758);
      expect(sum(arr(inner.flattened).data as Float64Array)).toBeCloseTo(212508.27160665393, 4);
      // A row selection on a nested VoV equals the slice of the full read.
      const part = vov((f.readTable("evt", { columns: ["spms/energy"], rows: [2, 1] }).columns.get("spms") as Table).columns.get("energy"));
      expect(Array.from(part.cumulativeLength)).toEqual([55, 110]);
      const pi = vov(part.flattened);
      expect(Array.from(pi.cumulativeLength.subarray(0, 55))).toEqual(
        Array.from(inner.cumulativeLength.subarray(110, 165), (v) => v - (inner.cumulativeLength[109] as number)),
      );
    } finally {
      f.close();
    }
  });

  test("histograms, bool enum scalars", async () => {
    const f = await openLh5(join(TESTDATA, "lgdo-histograms.lh5"));
    try {
      const h = f.readObject("test_histogram_range_w_attrs");
      if (h.type !== "Histogram") throw new Error(h.type);
      expect(h.isDensity).toBe(false);
      expect(h.weights.shape).toEqual([20, 20]);
      expect(h.axes).toEqual([
        { first: -5, last: 5, step: 0.5, closedLeft: true, units: "m" },
        { first: -5, last: 5, step: 0.5, closedLeft: true, units: "m" },
      ]);
      const v = f.readObject("test_histogram_variable");
      if (v.type !== "Histogram") throw new Error(v.type);
      expect(Array.from(v.axes[0]?.edges ?? [])).toEqual([-5, -2, 0, 2, 5]);
      expect(sum(v.weights.data as Float64Array)).toBe(5000);
      const scalar = f.readObject("test_histogram_range/isdensity");
      expect(scalar).toMatchObject({ type: "Scalar", value: false });
    } finally {
      f.close();
    }
  });

  test("drift-time maps: contiguous 2-D arrays, root struct", async () => {
    const s = await readLh5(join(TESTDATA, "hpge-drift-time-maps.lh5"), "V99000A");
    if (s.type !== "Struct") throw new Error(s.type);
    expect([...s.fields.keys()]).toEqual(["r", "z", "drift_time"]);
    const dt = arr(s.fields.get("drift_time"));
    expect(dt.shape).toEqual([38, 83]);
    expect(dt.attrs.units).toBe("ns");
    let nan = 0;
    let total = 0;
    for (const x of dt.data as Float64Array) Number.isNaN(x) ? nan++ : (total += x);
    expect(nan).toBe(975);
    expect(total).toBe(1619148);
    const v = await openLh5(join(TESTDATA, "V00048A-drift-time-maps-xtal-axes.lh5"));
    try {
      expect(v.datatypeOf("/")).toBe("struct{V00048A}");
      expect(v.describe("V00048A/drift_time_000_deg").filters?.map((x) => x.id)).toEqual([2, 1]);
      expect(arr(v.readObject("V00048A/drift_time_045_deg", { rows: { start: 10, stop: 12 } })).shape).toEqual([2, 164]);
    } finally {
      v.close();
    }
  });

  test("zstd file through h5wasm-plugins; coded error without the plugin", async () => {
    const f = await openLh5(P14_ZSTD);
    try {
      expect(f.describe("ch1105600/raw/baseline").filters?.map((x) => x.id)).toEqual([2, 32015]);
      expect(Array.from(arr(f.readObject("ch1105600/raw/baseline")).data as Uint16Array)).toEqual([15008]);
      const header = f.readObject("extra/OrcaHeader");
      expect(header.type === "Scalar" && String(header.value).startsWith('{"Document Info"')).toBe(true);
      const wf = f.readTable("ch1105600/raw/waveform_windowed");
      const values = wf.columns.get("values");
      if (values?.type !== "ArrayOfEncodedEqualSizedArrays") throw new Error(values?.type);
      expect(values.encoded).toBe(true);
      expect(values.codec).toBe("radware_sigcompress");
      expect(values.attrs.codec_shift).toBe(-32768);
      expect(values.encodedData.cumulativeLength.length).toBe(wf.nRows);
      expect(values.decodedSize.type).toBe("Scalar");
      const pres = f.readObject("ch1105600/raw/waveform_presummed/values");
      expect(pres.type === "ArrayOfEncodedEqualSizedArrays" || pres.type === "VectorOfEncodedVectors").toBe(true);
    } finally {
      f.close();
    }
    const bare = await openLh5(P14_ZSTD, { plugins: false });
    try {
      expect(() => bare.readObject("ch1105600/raw/baseline")).toThrowError(
        expect.objectContaining({ code: "LH5_FILTER_UNAVAILABLE", filterId: 32015 }),
      );
    } finally {
      bare.close();
    }
  });
});

test("every test file: list everything and read every table", async () => {
  const { readdirSync, statSync } = await import("node:fs");
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".lh5")) files.push(p);
    }
  };
  walk(TESTDATA);
  expect(files.length).toBeGreaterThanOrEqual(30);
  let tables = 0;
  for (const file of files) {
    const f = await openLh5(file);
    try {
      const objects = f.listObjects();
      expect(objects.length).toBeGreaterThan(0);
      for (const path of f.listTables()) {
        const t = f.readTable(path);
        expect(t.nRows).toBe(f.countRows(path));
        tables++;
      }
    } finally {
      f.close();
    }
  }
  expect(tables).toBeGreaterThanOrEqual(290);
});
