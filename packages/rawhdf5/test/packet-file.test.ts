import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { loadH5 } from "../src/h5/node-runtime.js";
import { packetColumnsToArrow, PACKET_FIELDS, readRawfilePackets, writePacketFile } from "../src/node.js";
import { EXPECTED, PYTHON_H5PY, TESTDATA, tempDir } from "./helpers.js";

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
});
afterAll(() => cleanup());

const expected = EXPECTED["raw_v0_0_two_iogroups.h5"]!.packets!;

test("packet columns become the hdf5format packets dataset (36-byte compound)", async () => {
  const cols = await readRawfilePackets(join(TESTDATA, "raw_v0_0_two_iogroups.h5"));
  const out = join(dir, "packets.h5");
  await writePacketFile(out, cols);
  const { h5 } = await loadH5();
  const f = new h5.File(out, "r");
  try {
    const ds = f.get("packets") as unknown as {
      metadata: { size: number; compound_type: { members: Array<{ name: string; offset: number }> } };
      value: unknown[][];
    };
    expect(ds.metadata.size).toBe(36);
    expect(ds.metadata.compound_type.members.map((m) => m.name)).toEqual([...PACKET_FIELDS]);
    expect(ds.metadata.compound_type.members.find((m) => m.name === "receipt_timestamp")!.offset).toBe(32);
    expect(ds.value.map((row) => row.map(Number))).toEqual(expected.rows);
    const header = f.get("_header") as unknown as { get_attribute(n: string): unknown };
    expect(header.get_attribute("version")).toBe("2.4");
  } finally {
    f.close();
  }
});

test("Arrow table has the hdf5format names and types", async () => {
  const cols = await readRawfilePackets(join(TESTDATA, "raw_v0_0_two_appends.h5"));
  const table = await packetColumnsToArrow(cols);
  expect(table.numRows).toBe(EXPECTED["raw_v0_0_two_appends.h5"]!.packets!.rows.length);
  expect(table.schema.fields.map((f) => f.name)).toEqual([...PACKET_FIELDS]);
  expect(String(table.schema.fields[8]!.type)).toBe("Uint64");
  expect(String(table.schema.fields[17]!.type)).toBe("Uint16");
});

test.skipIf(!PYTHON_H5PY)("h5py reads the packets dataset with larpix's dtype", async () => {
  const cols = await readRawfilePackets(join(TESTDATA, "raw_v0_0_two_iogroups.h5"));
  const out = join(dir, "packets-py.h5");
  await writePacketFile(out, cols);
  const script = [
    "import h5py, json, sys",
    "f = h5py.File(sys.argv[1], 'r')",
    "p = f['packets']",
    "print(json.dumps(dict(dtype=[(n, p.dtype.fields[n][0].str, p.dtype.fields[n][1]) for n in p.dtype.names], itemsize=p.dtype.itemsize, rows=[[int(x) for x in r] for r in p[:]], version=f['_header'].attrs['version'])))",
  ].join("\n");
  const py = JSON.parse(execFileSync(PYTHON_H5PY!, ["-c", script, out], { encoding: "utf8" })) as {
    dtype: Array<[string, string, number]>;
    itemsize: number;
    rows: number[][];
    version: string;
  };
  expect(py.itemsize).toBe(36);
  expect(py.rows).toEqual(expected.rows);
  expect(py.version).toBe("2.4");
  expect(py.dtype.find(([n]) => n === "timestamp")).toEqual(["timestamp", "<u8", 8]);
  expect(py.dtype.find(([n]) => n === "counter")).toEqual(["counter", "<u4", 26]);
});
