import { spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  Field,
  FixedSizeList,
  Float32,
  Int16,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Int64,
  Uint8,
  Bool,
  Float64,
} from "apache-arrow";
import { describe, expect, it } from "vitest";
import { type Chunk, DataDirectory, iterateChunks, putArrow } from "../src/node.js";
import { STRAX } from "./helpers.js";
import { havePython } from "../../../test/support/readers.js";

const PYTHON = "/usr/bin/python3";
const hasNumpy = havePython(["numpy"]);
if (!hasNumpy) console.warn("numpy-crosscheck: skipped, /usr/bin/python3 has no numpy");

/** Interpret raw rows with numpy: checks repr(dtype.descr) and returns per-field sums. */
function numpySums(descr: string, rawPath: string): Record<string, string> {
  const script = `
import json, sys, numpy as np
descr = sys.argv[1]
dt = np.dtype(eval(descr))
assert repr(dt.descr) == descr, (repr(dt.descr), descr)
a = np.frombuffer(open(sys.argv[2], "rb").read(), dtype=dt)
out = {"n": str(len(a)), "itemsize": str(dt.itemsize)}
for name in dt.names:
    v = a[name]
    out[name] = str(sum(int(x) for x in v.ravel().tolist())) if v.dtype.kind in "iub" else repr(float(v.astype(np.float64).sum()))
print(json.dumps(out))
`;
  const r = spawnSync(PYTHON, ["-c", script, descr, rawPath], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, string>;
}

describe.skipIf(!hasNumpy)("numpy reads our rows exactly as we do", () => {
  it("strax records and peaks dtypes: layout and sums agree", async () => {
    const tmp = await mkdtemp(join(tmpdir(), "daqkit-runs-np-"));
    try {
      for (const type of ["records", "peaks"]) {
        const dir = new DataDirectory(join(STRAX, "v2/main"));
        const chunks: Chunk[] = [];
        for await (const c of iterateChunks(dir, "1", type)) chunks.push(c);
        const raw = join(tmp, `${type}.bin`);
        await writeFile(raw, Buffer.concat(chunks.map((c) => c.data)));
        const descr = (await dir.findData("1", type))!.metadata.dtype;
        const sums = numpySums(descr, raw);
        expect(sums.n).toBe("100");
        expect(sums.time).toBe("2450");
        expect(sums.itemsize).toBe(String(chunks[0]!.dtype.itemsize));
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it("a nested-list Arrow column is stored as a numpy (2, 2) sub-array: numpy sees the same matrices", async () => {
    const tmp = await mkdtemp(join(tmpdir(), "daqkit-runs-np-"));
    try {
      const n = 3;
      const inner = new FixedSizeList(2, new Field("item", new Float32(), false));
      const outer = new FixedSizeList(2, new Field("item", inner, false));
      const fields = [new Field("time", new Int64(), false), new Field("endtime", new Int64(), false), new Field("m", outer, false)];
      const values = new Float32Array(n * 4).map((_, i) => i + 0.5);
      const data = makeData({
        type: new Struct(fields),
        length: n,
        children: [
          makeData({ type: new Int64(), length: n, data: BigInt64Array.from([10n, 20n, 30n]) }),
          makeData({ type: new Int64(), length: n, data: BigInt64Array.from([15n, 25n, 35n]) }),
          makeData({
            type: outer,
            length: n,
            child: makeData({ type: inner, length: n * 2, child: makeData({ type: new Float32(), length: n * 4, data: values }) }),
          }),
        ],
      });
      const dir = new DataDirectory(join(tmp, "store"));
      const { mkdir } = await import("node:fs/promises");
      await mkdir(dir.path);
      const meta = await putArrow(dir, "3", "mats", new Table(new RecordBatch(new Schema(fields), data)));
      expect(meta.dtype).toBe("[('time', '<i8'), ('endtime', '<i8'), ('m', '<f4', (2, 2))]");
      const chunks: Chunk[] = [];
      for await (const c of iterateChunks(dir, "3", "mats")) chunks.push(c);
      const raw = join(tmp, "mats.bin");
      await writeFile(raw, Buffer.concat(chunks.map((c) => c.data)));
      const script = `
import json, sys, numpy as np
a = np.frombuffer(open(sys.argv[2], "rb").read(), dtype=np.dtype(eval(sys.argv[1])))
print(json.dumps({"shape": list(a["m"].shape), "m": a["m"].tolist()}))
`;
      const r = spawnSync(PYTHON, ["-c", script, meta.dtype, raw], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      const seen = JSON.parse(r.stdout) as { shape: number[]; m: number[][][] };
      expect(seen.shape).toEqual([3, 2, 2]);
      expect(seen.m).toEqual([0, 1, 2].map((row) => [0, 1].map((i) => [0, 1].map((j) => values[row * 4 + i * 2 + j]))));
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it("data stored from an Arrow table (many types, sub-arrays) is what numpy sees", async () => {
    const tmp = await mkdtemp(join(tmpdir(), "daqkit-runs-np-"));
    try {
      const n = 1000;
      const time = new BigInt64Array(n).map((_, i) => 1_626_265_800_000_000_000n + BigInt(i) * 100n);
      const endtime = time.map((t) => t + 50n);
      const flag = new Uint8Array(Math.ceil(n / 8)).fill(0b01010101);
      const u8 = new Uint8Array(n).map((_, i) => i % 256);
      const f4 = new Float32Array(n).map((_, i) => i / 4);
      const f8 = new Float64Array(n).map((_, i) => i * 1.5);
      const wave = new Int16Array(n * 6).map((_, i) => (i % 50) - 25);
      const waveType = new FixedSizeList(6, new Field("item", new Int16(), false));
      const fields = [
        new Field("time", new Int64(), false),
        new Field("endtime", new Int64(), false),
        new Field("flag", new Bool(), false),
        new Field("u8", new Uint8(), false),
        new Field("f4", new Float32(), false, new Map([["description", "a float, with 'quotes'"]])),
        new Field("f8", new Float64(), false),
        new Field("wave", waveType, false, new Map([["numpy_shape", "(2, 3)"]])),
      ];
      const data = makeData({
        type: new Struct(fields),
        length: n,
        children: [
          makeData({ type: new Int64(), length: n, data: time }),
          makeData({ type: new Int64(), length: n, data: endtime }),
          makeData({ type: new Bool(), length: n, data: flag }),
          makeData({ type: new Uint8(), length: n, data: u8 }),
          makeData({ type: new Float32(), length: n, data: f4 }),
          makeData({ type: new Float64(), length: n, data: f8 }),
          makeData({ type: waveType, length: n, child: makeData({ type: new Int16(), length: n * 6, data: wave }) }),
        ],
      });
      const dir = new DataDirectory(join(tmp, "store"));
      const { mkdir } = await import("node:fs/promises");
      await mkdir(dir.path);
      const meta = await putArrow(dir, "3", "mixed", new Table(new RecordBatch(new Schema(fields), data)), { compressor: "lz4" });
      expect(meta.dtype).toBe(
        "[('time', '<i8'), ('endtime', '<i8'), ('flag', '|b1'), ('u8', '|u1'), ((\"a float, with 'quotes'\", 'f4'), '<f4'), ('f8', '<f8'), ('wave', '<i2', (2, 3))]",
      );
      const chunks: Chunk[] = [];
      for await (const c of iterateChunks(dir, "3", "mixed")) chunks.push(c);
      const raw = join(tmp, "mixed.bin");
      await writeFile(raw, Buffer.concat(chunks.map((c) => c.data)));
      const sums = numpySums(meta.dtype, raw);
      expect(sums.time).toBe(String(time.reduce((a, b) => a + b, 0n)));
      expect(sums.flag).toBe("500");
      expect(sums.u8).toBe(String(u8.reduce((a, b) => a + b, 0)));
      expect(Number(sums.f4)).toBe(f4.reduce((a, b) => a + b, 0));
      expect(Number(sums.f8)).toBe(f8.reduce((a, b) => a + b, 0));
      expect(sums.wave).toBe(String(wave.reduce((a, b) => a + b, 0)));
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
