import { tableFromArrays, tableFromIPC, tableToIPC } from "apache-arrow";
import { describe, expect, test } from "vitest";
import {
  type LgdoArray,
  type Table,
  type VectorOfVectors,
  arrowToLgdo,
  concatLgdo,
  createArray,
  createTable,
  lgdoToArrow,
  openLh5,
  readLh5,
  vectorOfVectorsFromRows,
  writeLh5,
} from "../src/node.js";
import { join } from "node:path";
import { EVT_P16, RAW_CAL, TCM_V2, tempDir } from "./helpers.js";

describe("LGDO ↔ Arrow", () => {
  test("raw table: types, zero-copy numbers, FixedSizeList waveforms, metadata", async () => {
    const t = (await readLh5(RAW_CAL, "ch1084803/raw")) as Table;
    const a = lgdoToArrow(t);
    expect(a.numRows).toBe(10);
    expect(a.schema.fields.map((f) => f.name)).toEqual([...t.columns.keys()]);
    const energy = a.getChild("daqenergy");
    expect(String(energy?.type)).toBe("Uint16");
    expect(energy?.toArray().buffer).toBe(((t.columns.get("daqenergy") as LgdoArray).data as Uint16Array).buffer);
    expect(a.schema.fields.find((f) => f.name === "timestamp")?.metadata.get("units")).toBe("s");
    const wf = a.schema.fields.find((f) => f.name === "waveform");
    expect(String(wf?.type)).toMatch(/^Struct<\{t0:Float32, dt:Float32, values:FixedSizeList\[8192\]<Uint16>\}>$/);
    expect(String(a.schema.fields.find((f) => f.name === "tracelist")?.type)).toBe("List<Int16>");
    // round trip, also through IPC
    expect(arrowToLgdo(a)).toEqual({ ...t, attrs: {} });
    const back = arrowToLgdo(tableFromIPC(tableToIPC(a)));
    expect((back.columns.get("waveform") as Table).columns.get("values")).toEqual(
      (t.columns.get("waveform") as Table).columns.get("values"),
    );
    const flat = lgdoToArrow(t, { flatten: true });
    expect(flat.schema.fields.map((f) => f.name)).toContain("waveform_values");
    expect(flat.schema.fields.map((f) => f.name)).not.toContain("waveform");
  });

  test("Arrow back to LH5: arrowToLgdo → writeLh5 → readLh5 keeps types, units and values", async () => {
    const t = (await readLh5(RAW_CAL, "ch1084803/raw")) as Table;
    const dir = tempDir();
    try {
      const out = join(dir.dir, "from-arrow.lh5");
      await writeLh5(out, "ch1084803/raw", arrowToLgdo(lgdoToArrow(t)), { mode: "w" });
      const back = (await readLh5(out, "ch1084803/raw")) as Table;
      expect({ ...back, attrs: {} }).toEqual({ ...t, attrs: {} });
      expect((back.columns.get("timestamp") as LgdoArray).attrs.units).toBe("s");
    } finally {
      dir.cleanup();
    }
  });

  test("VoV → List, nested VoV → List<List>, strings and bools", async () => {
    const tcm = (await readLh5(TCM_V2, "hardware_tcm_1")) as Table;
    const a = lgdoToArrow(tcm);
    const rit = a.getChild("row_in_table");
    expect(String(rit?.type)).toBe("List<Int64>");
    expect(Array.from(rit?.get(1) ?? [], Number)).toEqual([0, 0]);
    expect(arrowToLgdo(a).columns.get("row_in_table")).toEqual(tcm.columns.get("row_in_table"));

    const f = await openLh5(EVT_P16);
    try {
      const evt = f.readTable("evt", {
        columns: ["geds/detector_name", "geds/psd/ann/is_good", "spms/energy"],
        rows: { start: 0, stop: 20 },
      });
      const ae = lgdoToArrow(evt);
      const geds = ae.getChild("geds");
      expect(String(geds?.type)).toContain("detector_name:List<Utf8>");
      expect(String(ae.getChild("spms")?.type)).toContain("energy:List<List<Float32>>");
      expect(geds?.get(0)?.toJSON().detector_name?.toArray()).toEqual(["V00050A", "V03421A"]);
      const back = arrowToLgdo(ae);
      const g0 = (evt.columns.get("geds") as Table).columns.get("detector_name") as VectorOfVectors;
      expect((back.columns.get("geds") as Table).columns.get("detector_name")).toEqual(g0);
      const e0 = (evt.columns.get("spms") as Table).columns.get("energy");
      expect((back.columns.get("spms") as Table).columns.get("energy")).toEqual(e0);
      const isGood = (((back.columns.get("geds") as Table).columns.get("psd") as Table).columns.get("ann") as Table).columns.get(
        "is_good",
      ) as VectorOfVectors;
      expect((isGood.flattened as LgdoArray).element.kind).toBe("bool");
    } finally {
      f.close();
    }
  });

  test("plain Arrow tables, several batches, sliced tables", () => {
    const a = tableFromArrays({ x: Int32Array.from([1, 2, 3, 4]), y: Float64Array.from([0.5, 1.5, 2.5, 3.5]), s: ["a", "bb", "c", "d"] });
    const two = a.slice(0, 2).concat(a.slice(2));
    expect(two.batches.length).toBe(2);
    const t = arrowToLgdo(two);
    expect(t.nRows).toBe(4);
    expect(Array.from((t.columns.get("x") as LgdoArray).data as Int32Array)).toEqual([1, 2, 3, 4]);
    expect((t.columns.get("s") as LgdoArray).data).toEqual(["a", "bb", "c", "d"]);
    const sliced = arrowToLgdo(a.slice(1, 3));
    expect(Array.from((sliced.columns.get("y") as LgdoArray).data as Float64Array)).toEqual([1.5, 2.5]);
    expect((sliced.columns.get("s") as LgdoArray).data).toEqual(["bb", "c"]);
    const lists = lgdoToArrow(
      createTable({
        v: vectorOfVectorsFromRows([[1], [2, 3], [], [4, 5, 6]]),
        b: createArray(Uint8Array.from([1, 0, 0, 1]), { bool: true }),
      }),
    );
    const ls = arrowToLgdo(lists.slice(1, 4));
    expect(Array.from((ls.columns.get("v") as VectorOfVectors).cumulativeLength)).toEqual([2, 2, 5]);
    expect(Array.from(((ls.columns.get("v") as VectorOfVectors).flattened as LgdoArray).data as Float64Array)).toEqual([2, 3, 4, 5, 6]);
    expect(Array.from((ls.columns.get("b") as LgdoArray).data as Uint8Array)).toEqual([0, 0, 1]);
    const c = concatLgdo([createTable({ a: new Float64Array([1]) }), createTable({ a: new Float64Array([2, 3]) })]) as Table;
    expect(c.nRows).toBe(3);
    expect(() => concatLgdo([createArray(new Float64Array(1)), createTable({ a: new Float64Array(1) })])).toThrowError(
      expect.objectContaining({ code: "LH5_BAD_LGDO" }),
    );
  });
});
