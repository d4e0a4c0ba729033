import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  type LgdoArray,
  type Table,
  type VectorOfVectors,
  createArray,
  createArrayOfEqualSizedArrays,
  createScalar,
  createStruct,
  createTable,
  createVectorOfVectors,
  openLh5,
  openLh5Writer,
  readLh5,
  vectorOfVectorsFromRows,
  writeLh5,
} from "../src/node.js";
import { HAVE_H5PY, RAW_CAL, TCM_V2, TESTDATA, runPython, tempDir } from "./helpers.js";

const TESTDATA_HIST = join(TESTDATA, "lgdo-histograms.lh5");

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function sampleTable(offset = 0): Table {
  const n = 5;
  const energy = Float64Array.from({ length: n }, (_, i) => 100.5 + i + offset);
  const id = BigInt64Array.from({ length: n }, (_, i) => BigInt(i + offset) * 1_000_000_000_000n);
  const flag = Uint8Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 0));
  const hits = vectorOfVectorsFromRows([[1, 2], [], [3], [4, 5, 6], [7 + offset]], { units: "keV" });
  const wf = createTable({
    t0: createArray(new Float32Array(n), { units: "ns" }),
    dt: createArray(new Float32Array(n).fill(16), { units: "ns" }),
    values: createArrayOfEqualSizedArrays(
      Uint16Array.from({ length: n * 4 }, (_, i) => i + offset),
      4,
    ),
  });
  return createTable(
    {
      energy: createArray(energy, { units: "keV" }),
      evtid: createArray(id),
      is_good: createArray(flag, { bool: true }),
      name: createArray(["V00050A", "B", "", "ch1", "Z"]),
      hits,
      waveform: wf,
    },
    { attrs: { description: "sample" } },
  );
}

describe("write and read back", () => {
  const file = join(tmp.dir, "out.lh5");

  test("table with every column kind round-trips", async () => {
    await writeLh5(file, "ch0/dsp", sampleTable(), { mode: "w" });
    expect(readdirSync(tmp.dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    const t = await readLh5(file, "ch0/dsp");
    if (t.type !== "Table") throw new Error(t.type);
    expect(t.datatype).toBe("table{energy,evtid,is_good,name,hits,waveform}");
    expect(t.attrs.description).toBe("sample");
    expect(t.nRows).toBe(5);
    const energy = t.columns.get("energy") as LgdoArray;
    expect(Array.from(energy.data as Float64Array)).toEqual([100.5, 101.5, 102.5, 103.5, 104.5]);
    expect(energy.attrs.units).toBe("keV");
    expect((t.columns.get("evtid") as LgdoArray).data).toEqual(BigInt64Array.from([0n, 1n, 2n, 3n, 4n], (x) => x * 1_000_000_000_000n));
    const good = t.columns.get("is_good") as LgdoArray;
    expect(good.datatype).toBe("array<1>{bool}");
    expect(Array.from(good.data as Uint8Array)).toEqual([1, 0, 1, 0, 1]);
    expect((t.columns.get("name") as LgdoArray).data).toEqual(["V00050A", "B", "", "ch1", "Z"]);
    const hits = t.columns.get("hits") as VectorOfVectors;
    expect(Array.from(hits.cumulativeLength)).toEqual([2, 2, 3, 6, 7]);
    expect(Array.from((hits.flattened as LgdoArray).data as Float64Array)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(hits.attrs.units).toBe("keV");
    const wf = t.columns.get("waveform") as Table;
    expect(wf.type).toBe("WaveformTable");
    const v = wf.columns.get("values");
    expect(v?.type === "ArrayOfEqualSizedArrays" && v.shape).toEqual([5, 4]);

    const f = await openLh5(file);
    try {
      const info = f.describe("ch0/dsp/energy");
      expect(info.maxshape).toEqual([null]);
      expect(info.filters?.map((x) => x.id)).toEqual([1]);
      expect(info.chunks?.[0]).toBeGreaterThan(0);
      expect(f.describe("ch0").type).toBeNull();
      expect(f.describe("ch0/dsp/hits/cumulative_length").dtype).toBe("int64");
      expect(f.describe("ch0/dsp/name").dtype).toBe("S7");
    } finally {
      f.close();
    }
  });

  test("append rows to an existing table (VoV offsets shifted)", async () => {
    await writeLh5(file, "ch0/dsp", sampleTable(10), { mode: "append" });
    const t = (await readLh5(file, "ch0/dsp")) as Table;
    expect(t.nRows).toBe(10);
    const hits = t.columns.get("hits") as VectorOfVectors;
    expect(Array.from(hits.cumulativeLength)).toEqual([2, 2, 3, 6, 7, 9, 9, 10, 13, 14]);
    expect(Array.from((hits.flattened as LgdoArray).data as Float64Array).slice(7)).toEqual([1, 2, 3, 4, 5, 6, 17]);
    expect(Array.from((t.columns.get("energy") as LgdoArray).data as Float64Array).slice(5)).toEqual([110.5, 111.5, 112.5, 113.5, 114.5]);
    expect((t.columns.get("name") as LgdoArray).data).toEqual(["V00050A", "B", "", "ch1", "Z", "V00050A", "B", "", "ch1", "Z"]);
    const rows = (await readLh5(file, "ch0/dsp", { rows: [9, 5], columns: ["hits"] })) as Table;
    const sel = rows.columns.get("hits") as VectorOfVectors;
    expect(Array.from(sel.cumulativeLength)).toEqual([1, 3]);
    expect(Array.from((sel.flattened as LgdoArray).data as Float64Array)).toEqual([17, 1, 2]);
  });

  test("mode a adds objects, refuses existing ones; append mismatches are coded", async () => {
    await writeLh5(file, "meta/config", createScalar('{"a": 1}'));
    await writeLh5(file, "meta/flag", createScalar(true));
    await writeLh5(file, "meta/count", createScalar(42n));
    await writeLh5(
      file,
      "meta/sub",
      createStruct({ x: createScalar(1.5), y: createArray(new Int32Array([1, 2, 3])) }, { attrs: { int_keys: false } }),
    );
    expect(await readLh5(file, "meta/config")).toMatchObject({ type: "Scalar", value: '{"a": 1}' });
    expect(await readLh5(file, "meta/flag")).toMatchObject({ type: "Scalar", value: true });
    expect(await readLh5(file, "meta/count")).toMatchObject({ type: "Scalar", value: 42n });
    const s = await readLh5(file, "meta/sub");
    expect(s.type === "Struct" && [...s.fields.keys()]).toEqual(["x", "y"]);
    await expect(writeLh5(file, "meta/flag", createScalar(false))).rejects.toMatchObject({ code: "LH5_OBJECT_EXISTS" });
    await expect(writeLh5(file, "meta/flag", createScalar(false), { mode: "append" })).rejects.toMatchObject({
      code: "LH5_APPEND_MISMATCH",
    });
    await expect(writeLh5(file, "ch0/dsp", createTable({ energy: new Float64Array(2) }), { mode: "append" })).rejects.toMatchObject({
      code: "LH5_APPEND_MISMATCH",
    });
    const longName = sampleTable(20);
    (longName.columns.get("name") as { data: string[] }).data[0] = "a-much-longer-name";
    await expect(writeLh5(file, "ch0/dsp", longName, { mode: "append" })).rejects.toMatchObject({ code: "LH5_APPEND_MISMATCH" });
    // the failed writes left the file intact and no temporary files behind
    expect(((await readLh5(file, "ch0/dsp")) as Table).nRows).toBe(10);
    expect(readdirSync(tmp.dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  test("a write session appends many batches and commits once; a failed write aborts it", async () => {
    const out = join(tmp.dir, "session.lh5");
    const w = await openLh5Writer(out, { mode: "w" });
    for (let b = 0; b < 5; b++)
      w.write("t", createTable({ x: Int32Array.from([b, b]), v: vectorOfVectorsFromRows([[b], []]) }), { append: true });
    w.write("meta", createScalar("done"));
    expect(existsSync(out)).toBe(false);
    w.close();
    const t = (await readLh5(out, "t")) as Table;
    expect(Array.from((t.columns.get("x") as LgdoArray).data as Int32Array)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    expect(Array.from((t.columns.get("v") as VectorOfVectors).cumulativeLength)).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    const w2 = await openLh5Writer(out);
    w2.write("t", createTable({ x: Int32Array.from([9]), v: vectorOfVectorsFromRows([[9]]) }), { append: true });
    expect(() => w2.write("meta", createScalar("again"))).toThrowError(expect.objectContaining({ code: "LH5_OBJECT_EXISTS" }));
    expect(() => w2.close()).toThrowError(TypeError);
    expect(((await readLh5(out, "t")) as Table).nRows).toBe(10);
    {
      using w3 = await openLh5Writer(out);
      w3.write("other", createScalar(1));
    }
    expect(
      await openLh5(out).then((f) => {
        try {
          return f.has("other");
        } finally {
          f.close();
        }
      }),
    ).toBe(false);
    expect(readdirSync(tmp.dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  test("appends to an existing file work in place: no copy, no leftovers; a failed session is rolled back byte for byte", async () => {
    const out = join(tmp.dir, "inplace.lh5");
    const rows = (n: number, from: number) => createTable({ id: createArray(Float64Array.from({ length: n }, (_, i) => from + i)) });
    await writeLh5(out, "t", rows(1000, 0), { mode: "w" });
    const w = await openLh5Writer(out);
    expect(w.strategy).toBe("in-place");
    // Journal and lock exist during the session, beside the file; no temporary copy.
    expect(
      readdirSync(tmp.dir)
        .filter((n) => n.startsWith(".inplace.lh5."))
        .sort(),
    ).toEqual([".inplace.lh5.daqkit-journal", ".inplace.lh5.lock"]);
    w.write("t", rows(500, 1000), { append: true });
    w.close();
    expect(readdirSync(tmp.dir).filter((n) => n.startsWith(".inplace.lh5."))).toEqual([]);
    expect(Array.from((((await readLh5(out, "t")) as Table).columns.get("id") as LgdoArray).data as Float64Array).slice(995, 1005)).toEqual(
      [995, 996, 997, 998, 999, 1000, 1001, 1002, 1003, 1004],
    );

    const before = readFileSync(out);
    const w2 = await openLh5Writer(out);
    w2.write("t", rows(700, 1500), { append: true });
    w2.write("extra", createScalar("x"));
    // A mismatching append fails the session: everything it wrote is undone.
    expect(() => w2.write("t", createTable({ other: new Float64Array(1) }), { append: true })).toThrowError(
      expect.objectContaining({ code: "LH5_APPEND_MISMATCH" }),
    );
    expect(Buffer.compare(readFileSync(out), before)).toBe(0);
    expect(readdirSync(tmp.dir).filter((n) => n.startsWith(".inplace.lh5."))).toEqual([]);
    // inPlace: false keeps the copy-and-rename path.
    await writeLh5(out, "t", rows(10, 1500), { mode: "append", inPlace: false });
    expect(((await readLh5(out, "t")) as Table).nRows).toBe(1510);
  });

  test("readers and in-place writers: a reader waits (bounded) for a session, a writer copies instead of changing a file being read", async () => {
    const out = join(tmp.dir, "shared.lh5");
    await writeLh5(out, "t", createTable({ id: Float64Array.of(0, 1) }), { mode: "w" });
    const w = await openLh5Writer(out);
    expect(w.strategy).toBe("in-place");
    await expect(openLh5(out, { busyTimeoutMs: 60 })).rejects.toMatchObject({ code: "LH5_BUSY", holderPid: process.pid });
    w.write("t", createTable({ id: Float64Array.of(2) }), { append: true });
    // A reader that arrives during the session waits for its commit (the session ends on the next turn of the loop).
    const waiting = openLh5(out, { busyTimeoutMs: 60_000 });
    setTimeout(() => w.close(), 50);
    const r = await waiting;
    try {
      expect(r.readTable("t").nRows).toBe(3);
      // The file is open for reading: the next session writes a copy and renames it.
      const w2 = await openLh5Writer(out);
      expect(w2.strategy).toBe("copy");
      w2.write("t", createTable({ id: Float64Array.of(3) }), { append: true });
      w2.close();
      expect(r.readTable("t").nRows).toBe(3); // the reader keeps the file it opened
    } finally {
      r.close();
    }
    expect(((await readLh5(out, "t")) as Table).nRows).toBe(4);
    const w3 = await openLh5Writer(out);
    expect(w3.strategy).toBe("in-place");
    w3.abort();
    expect(readdirSync(tmp.dir).filter((n) => n.startsWith(".shared.lh5."))).toEqual([]);
  });

  test("a reader of a writable file leaves a marker while open; a file without write bits gets none and is appended to by copy", async () => {
    const out = join(tmp.dir, "marks.lh5");
    const markers = () => readdirSync(tmp.dir).filter((n) => n.startsWith(".marks.lh5.daqkit-reader."));
    await writeLh5(out, "t", createTable({ id: Float64Array.of(0, 1) }), { mode: "w" });
    const r = await openLh5(out);
    expect(markers()).toHaveLength(1);
    r.close();
    expect(markers()).toEqual([]);
    chmodSync(out, 0o444);
    try {
      const ro = await openLh5(out);
      expect(markers()).toEqual([]);
      ro.close();
      // Not modified in place (even by a user, such as root, who could): the session writes a copy.
      if (process.getuid?.() === 0) {
        const w = await openLh5Writer(out);
        expect(w.strategy).toBe("copy");
        w.write("t", createTable({ id: Float64Array.of(2) }), { append: true });
        w.close();
        expect(((await readLh5(out, "t")) as Table).nRows).toBe(3);
        expect(statSync(out).mode & 0o777).toBe(0o444);
      }
    } finally {
      chmodSync(out, 0o644);
    }
  });

  test("bad LGDOs are refused", async () => {
    expect(() => createTable({ a: new Float64Array(2), b: new Float64Array(3) })).toThrowError(
      expect.objectContaining({ code: "LH5_LENGTH_MISMATCH" }),
    );
    expect(() => createArray(new Float64Array(5), { shape: [2, 2] })).toThrowError(expect.objectContaining({ code: "LH5_BAD_LGDO" }));
    expect(() => createVectorOfVectors([2, 1], new Float64Array(3))).toThrowError(expect.objectContaining({ code: "LH5_BAD_LGDO" }));
    const ragged: Table = {
      type: "Table",
      datatype: "table{a,b}",
      attrs: {},
      nRows: 2,
      columns: new Map([
        ["a", createArray(new Float64Array(2))],
        ["b", createArray(new Float64Array(3))],
      ]),
    };
    await expect(writeLh5(join(tmp.dir, "r.lh5"), "t", ragged, { mode: "w" })).rejects.toMatchObject({ code: "LH5_LENGTH_MISMATCH" });
    const notHdf5 = join(tmp.dir, "text.lh5");
    writeFileSync(notHdf5, "hello");
    await expect(writeLh5(notHdf5, "t", createTable({ a: new Float64Array(1) }))).rejects.toMatchObject({ code: "LH5_NOT_HDF5" });
    expect(readFileSync(notHdf5, "utf8")).toBe("hello");
  });

  test("a real table copied through our writer reads back identically", async () => {
    const src = await readLh5(RAW_CAL, "ch1084803/raw");
    const out = join(tmp.dir, "copy.lh5");
    await writeLh5(out, "ch1084803/raw", src, { mode: "w" });
    expect(await readLh5(out, "ch1084803/raw")).toEqual(src);
    const tcm = await readLh5(TCM_V2, "hardware_tcm_1");
    await writeLh5(out, "hardware_tcm_1", tcm);
    expect(await readLh5(out, "hardware_tcm_1")).toEqual(tcm);
  });
});

describe.skipIf(!HAVE_H5PY)("h5py reads what we write", () => {
  test("datatype attributes, shapes, maxshape, values, gzip", async () => {
    const file = join(tmp.dir, "h5py.lh5");
    await writeLh5(file, "ch0/dsp", sampleTable(), { mode: "w" });
    await writeLh5(file, "ch0/dsp", sampleTable(10), { mode: "append" });
    await writeLh5(file, "meta/flag", createScalar(true));
    const out = runPython(
      `
import sys, json, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
t = f["ch0/dsp"]
def dt(o): 
    v = o.attrs["datatype"]
    return v.decode() if isinstance(v, bytes) else v
res = {
  "table": dt(t),
  "energy": [dt(t["energy"]), list(t["energy"].shape), [None if m is None else m for m in t["energy"].maxshape], t["energy"].compression, float(t["energy"][:].sum()), t["energy"].attrs["units"] if isinstance(t["energy"].attrs["units"], str) else t["energy"].attrs["units"].decode()],
  "evtid": [str(t["evtid"].dtype), int(t["evtid"][-1])],
  "is_good": [dt(t["is_good"]), str(t["is_good"].dtype)],
  "name": [str(t["name"].dtype), [x.decode() for x in t["name"][:]]],
  "hits": [dt(t["hits"]), dt(t["hits/cumulative_length"]), t["hits/cumulative_length"][:].tolist(), t["hits/flattened_data"][:].tolist()],
  "waveform": [dt(t["waveform"]), dt(t["waveform/values"]), list(t["waveform/values"].shape), list(t["waveform/values"].maxshape[1:])],
  "flag": [dt(f["meta/flag"]), int(f["meta/flag"][()])],
}
print(json.dumps(res))
`,
      [file],
    );
    const r = JSON.parse(out);
    expect(r.table).toBe("table{energy,evtid,is_good,name,hits,waveform}");
    expect(r.energy).toEqual(["array<1>{real}", [10], [null], "gzip", 5 * 102.5 + 5 * 112.5, "keV"]);
    expect(r.evtid).toEqual(["int64", 14_000_000_000_000]);
    expect(r.is_good).toEqual(["array<1>{bool}", "uint8"]);
    expect(r.name[0]).toBe("|S7");
    expect(r.name[1].slice(0, 5)).toEqual(["V00050A", "B", "", "ch1", "Z"]);
    expect(r.hits).toEqual([
      "array<1>{array<1>{real}}",
      "array<1>{real}",
      [2, 2, 3, 6, 7, 9, 9, 10, 13, 14],
      [1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 17],
    ]);
    expect(r.waveform).toEqual(["table{t0,dt,values}", "array_of_equalsized_arrays<1,1>{real}", [10, 4], [4]]);
    expect(r.flag).toEqual(["bool", 1]);
  });

  test("an LZF-compressed table written by h5py reads through the lzf plugin", async () => {
    const file = join(tmp.dir, "lzf.lh5");
    runPython(
      `
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    g = f.create_group("t")
    g.attrs["datatype"] = "table{a,b}"
    a = g.create_dataset("a", data=np.arange(1000, dtype="<f4"), chunks=(100,), maxshape=(None,), compression="lzf")
    a.attrs["datatype"] = "array<1>{real}"
    b = g.create_dataset("b", data=np.arange(1000, dtype="<i8") * 3, chunks=(100,), maxshape=(None,), compression="lzf", shuffle=True)
    b.attrs["datatype"] = "array<1>{real}"
`,
      [file],
    );
    const f = await openLh5(file);
    try {
      expect(f.describe("t/a").filters?.map((x) => x.id)).toEqual([32000]);
      const t = f.readTable("t", { rows: [999, 0, 500] });
      expect(Array.from((t.columns.get("a") as LgdoArray).data as Float32Array)).toEqual([999, 0, 500]);
      expect(Array.from((t.columns.get("b") as LgdoArray).data as BigInt64Array)).toEqual([2997n, 0n, 1500n]);
    } finally {
      f.close();
    }
    const bare = await openLh5(file, { plugins: false });
    try {
      expect(() => bare.readTable("t")).toThrowError(
        expect.objectContaining({ code: "LH5_FILTER_UNAVAILABLE", filterId: 32000, objectPath: "t/a" }),
      );
    } finally {
      bare.close();
    }
  });

  test("nested VoV, struct with int keys, histogram, bool AoESA", async () => {
    const file = join(tmp.dir, "h5py2.lh5");
    const inner = vectorOfVectorsFromRows([[1], [2, 3], [], [4]]);
    const nested = createVectorOfVectors([2, 2, 4], inner);
    await writeLh5(
      file,
      "evt",
      createTable({ energy: nested, mask: createArrayOfEqualSizedArrays(Uint8Array.from([1, 0, 0, 1, 1, 1]), 2, { bool: true }) }),
      { mode: "w" },
    );
    await writeLh5(file, "keys", createStruct({ "0": createScalar(1.5), "2": createScalar("x") }, { attrs: { int_keys: true } }));
    const hist = await readLh5(join(TESTDATA_HIST), "test_histogram_variable");
    await writeLh5(file, "hist", hist);
    expect(await readLh5(file, "hist")).toEqual(hist);
    const back = (await readLh5(file, "evt")) as Table;
    expect(back.columns.get("energy")).toEqual(nested);
    const out = runPython(
      `
import sys, json, h5py
f = h5py.File(sys.argv[1], "r")
d = lambda o: (o.attrs["datatype"].decode() if isinstance(o.attrs["datatype"], bytes) else o.attrs["datatype"])
e = f["evt/energy"]
print(json.dumps({
  "evt": d(f["evt"]), "energy": d(e), "inner": d(e["flattened_data"]),
  "outer_cl": e["cumulative_length"][:].tolist(), "inner_cl": e["flattened_data/cumulative_length"][:].tolist(),
  "values": e["flattened_data/flattened_data"][:].tolist(),
  "mask": [d(f["evt/mask"]), str(f["evt/mask"].dtype), list(f["evt/mask"].shape)],
  "keys": [d(f["keys"]), int(f["keys"].attrs["int_keys"]), float(f["keys/0"][()])],
  "hist": [d(f["hist"]), d(f["hist/binning/axis_0/binedges"]), f["hist/binning/axis_0/binedges"][:].tolist(), float(f["hist/weights"][:].sum())],
}))
`,
      [file],
    );
    const r = JSON.parse(out);
    expect(r.evt).toBe("table{energy,mask}");
    expect(r.energy).toBe("array<1>{array<1>{array<1>{real}}}");
    expect(r.inner).toBe("array<1>{array<1>{real}}");
    expect(r.outer_cl).toEqual([2, 2, 4]);
    expect(r.inner_cl).toEqual([1, 3, 3, 4]);
    expect(r.values).toEqual([1, 2, 3, 4]);
    expect(r.mask).toEqual(["array_of_equalsized_arrays<1,1>{bool}", "uint8", [3, 2]]);
    expect(r.keys).toEqual(["struct{0,2}", 1, 1.5]);
    expect(r.hist).toEqual(["struct{binning,weights,isdensity}", "array<1>{real}", [-5, -2, 0, 2, 5], 5000]);
  });
});
