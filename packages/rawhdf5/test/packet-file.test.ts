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

const LARPIX_PACKET_FILE = join(import.meta.dirname, "python/larpix_packet_file.py");

function larpix(command: "layout" | "read" | "append", file: string): any {
  return JSON.parse(execFileSync(PYTHON_H5PY!, [LARPIX_PACKET_FILE, command, file], { encoding: "utf8" }));
}

test.skipIf(!PYTHON_H5PY)("larpix's hdf5format 2.4 finds every dataset it needs (messages, configs) with its dtypes", async () => {
  const cols = await readRawfilePackets(join(TESTDATA, "raw_v0_0_two_iogroups.h5"));
  const out = join(dir, "packets-larpix.h5");
  await writePacketFile(out, cols);
  const layout = larpix("layout", out);
  expect(layout.keys).toEqual(["_header", "configs", "messages", "packets"]);
  expect(layout.header.version).toBe("2.4");
  for (const name of ["packets", "messages", "configs"]) expect([name, layout[name].same_as_larpix]).toEqual([name, true]);
  expect(layout.messages).toMatchObject({
    dtype: [
      ["message", "|S64", 0, []],
      ["timestamp", "<u8", 64, []],
      ["index", "<u4", 72, []],
    ],
    itemsize: 76,
    shape: [0],
    maxshape: [null],
    attrs: {},
  });
  expect(layout.configs).toMatchObject({
    dtype: [
      ["timestamp", "<u8", 0, []],
      ["io_group", "|u1", 8, []],
      ["io_channel", "|u1", 9, []],
      ["chip_id", "|u1", 10, []],
      ["registers", "|u1", 11, [239]],
    ],
    itemsize: 250,
    shape: [0],
    maxshape: [null],
    attrs: {},
  });
  expect(layout.messages.message_type).toEqual(["ascii", "nullpad"]);
  expect(layout.configs.registers_class).toBe("array");
  expect(layout.packets.maxshape).toEqual([null]);
  expect(layout.packets.attrs.packet_types).toBe(
    "\n0: 'data',\n1: 'test',\n2: 'config write',\n3: 'config read',\n4: 'timestamp',\n5: 'message',\n",
  );

  // from_file's access pattern: _header attrs, f['messages'], every packets row by packet_type.
  const read = larpix("read", out);
  expect(read.version).toBe("2.4");
  expect(read.configs).toBe(0);
  const typeOf = (row: number[]) => row[3]!;
  expect(read.packets.length).toBe(expected.rows.filter((r) => typeOf(r) <= 7 && typeOf(r) !== 5).length);
  expect(read.packets.filter((p: { kind: string }) => p.kind === "timestamp").length).toBe(
    expected.rows.filter((r) => typeOf(r) === 4).length,
  );

  // to_file(mode='a') onto our file: packets grow, a message packet points into messages.
  larpix("append", out);
  const again = larpix("read", out);
  expect(again.packets.length).toBe(read.packets.length + 2);
  expect(again.packets.at(-2)).toMatchObject({ kind: "v2", io_group: 7, packet_type: 0, timestamp: 12345, dataword: 99 });
  expect(again.packets.at(-1)).toEqual({ kind: "message", message: "run start", timestamp: 777 });
  expect([again.configs, again.config_registers]).toEqual([1, [0, 1, 2]]);
});
