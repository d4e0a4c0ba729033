// The platform-neutral main entry in Node: raw files as bytes, Blob, File and io byte sources read
// exactly like the path API; writes to bytes give files the path API (and h5py's layout) reads.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bytesSource } from "@daqkit/io";
import { openFileSource } from "@daqkit/io/node";
import { afterAll, describe, expect, test } from "vitest";
import { readVlenU8DirectSource } from "../src/h5/direct-vlen.js";
import * as main from "../src/index.js";
import * as node from "../src/node.js";
import { EXPECTED, hex, PYTHON_FILES, TESTDATA, tempDir } from "./helpers.js";

const { dir: scratch, cleanup } = tempDir();
afterAll(cleanup);

describe("reading from bytes, Blob, File and byte sources", () => {
  for (const name of PYTHON_FILES) {
    test(name, async () => {
      const path = join(TESTDATA, name);
      const bytes = new Uint8Array(readFileSync(path));
      const byPath = await node.fromRawfile(path);
      const expected = EXPECTED[name]!;
      const source = await openFileSource(path);
      try {
        for (const input of [bytes, bytes.buffer, new Blob([bytes]), new File([bytes], name), bytesSource(bytes, name), source]) {
          const data = await main.fromRawfile(input);
          expect(data.msgs!.map(hex)).toEqual(expected.msgs_hex);
          expect(Array.from(data.msgHeaders.io_groups)).toEqual(expected.io_groups);
          expect({ ...data, msgs: null, packed: null, rows: null }).toEqual({ ...byPath, msgs: null, packed: null, rows: null });
          expect(await main.lenRawfile(input)).toBe(expected.len);
          expect(await main.readRawfileInfo(input)).toEqual(await node.readRawfileInfo(path));
        }
        // The node entry takes the same inputs (through io's Node runtime).
        expect((await node.fromRawfile(bytes, { start: -2 })).msgs!.map(hex)).toEqual(expected.msgs_hex.slice(-2));
        const packets = await main.readRawfilePackets(new Blob([bytes]), { blockMessages: 2 });
        const packetsByPath = await node.readRawfilePackets(path);
        for (const f of main.PACKET_FIELDS)
          expect(Array.from(packets[f] as ArrayLike<number>)).toEqual(Array.from(packetsByPath[f] as ArrayLike<number>));
      } finally {
        await source.close?.();
      }
    });
  }

  test("the direct reader reads through a byte source (no HDF5) and declines what it does not know", () => {
    const bytes = new Uint8Array(readFileSync(join(TESTDATA, "raw_v0_0_two_iogroups.h5")));
    const expected = EXPECTED["raw_v0_0_two_iogroups.h5"]!;
    const packed = readVlenU8DirectSource(bytesSource(bytes), "/msgs", 0, expected.len, expected.len);
    expect(packed).not.toBeNull();
    expect(main.unpackMessages(packed!).map(hex)).toEqual(expected.msgs_hex);
    expect(readVlenU8DirectSource(bytesSource(bytes), "/msgs", 0, 1, expected.len + 1)).toBeNull();
    expect(readVlenU8DirectSource(bytesSource(bytes.subarray(0, 100)), "/msgs", 0, 1, expected.len)).toBeNull();
  });

  test("bad inputs are coded errors: a path in the main entry, garbage, a truncated copy, a non-raw HDF5 file", async () => {
    await expect(main.fromRawfile("run.h5" as never)).rejects.toMatchObject({ code: "RAWHDF5_BAD_INPUT" });
    await expect(main.lenRawfile(42 as never)).rejects.toMatchObject({ code: "RAWHDF5_BAD_INPUT" });
    await expect(main.fromRawfile(new Uint8Array(100))).rejects.toMatchObject({ code: "RAWHDF5_NOT_RAWFILE" });
    const bytes = new Uint8Array(readFileSync(join(TESTDATA, "raw_v0_0_two_iogroups.h5")));
    await expect(main.fromRawfile(bytes.subarray(0, bytes.length - 100))).rejects.toMatchObject({ code: "RAWHDF5_TRUNCATED" });
    const packetFile = await main.packetFileBytes(await main.readRawfilePackets(bytes));
    await expect(main.fromRawfile(packetFile)).rejects.toMatchObject({ code: "RAWHDF5_NOT_RAWFILE" });
  });
});

describe("writing to bytes", () => {
  test("toRawfileBytes gives the file toRawfile writes; the path API appends to it", async () => {
    const msgs = Array.from({ length: 2500 }, (_, i) => new Uint8Array(i % 40).fill(i & 0xff));
    const ioGroups = msgs.map((_, i) => i % 3);
    const bytes = await main.toRawfileBytes({ msgs, msgHeaders: { io_groups: ioGroups }, ioVersion: "0.0" });
    const path = join(scratch, "from-bytes.h5");
    writeFileSync(path, bytes);
    const data = await node.fromRawfile(path);
    expect(data.msgs!.map(hex)).toEqual(msgs.map(hex));
    expect(Array.from(data.msgHeaders.io_groups)).toEqual(ioGroups);
    expect(data.ioVersion).toBe("0.0");
    expect(await node.toRawfile(path, { msgs: [new Uint8Array([9])], msgHeaders: { io_groups: [7] } })).toEqual({
      length: 2501,
      created: false,
    });
    expect((await main.fromRawfile(readFileSync(path), { start: -1 })).msgs!.map(hex)).toEqual(["09"]);
    const empty = await main.toRawfileBytes();
    expect(await main.lenRawfile(empty)).toBe(0);
    await expect(main.toRawfileBytes({ msgs: [new Uint8Array(1)], msgHeaders: { io_groups: [256] } })).rejects.toMatchObject({
      code: "RAWHDF5_HEADER_VALUE",
    });
    await expect(main.toRawfileBytes({ version: "0.1" })).rejects.toMatchObject({ code: "RAWHDF5_UNSUPPORTED_VERSION" });
  });

  test("packetFileBytes holds the rows writePacketFile writes", async () => {
    const raw = join(TESTDATA, "raw_v0_0_two_iogroups.h5");
    const cols = await node.readRawfilePackets(raw);
    const bytes = await main.packetFileBytes(cols);
    const path = join(scratch, "packets-from-bytes.h5");
    const written = join(scratch, "packets-by-path.h5");
    writeFileSync(path, bytes);
    await node.writePacketFile(written, cols);
    const rt = await (await import("../src/h5/node-runtime.js")).loadH5();
    const read = (p: string): unknown => {
      const f = new rt.h5.File(p, "r");
      try {
        return Array.from((f.get("packets") as unknown as { value: unknown[] }).value as ArrayLike<unknown>, (row) =>
          JSON.stringify(row, (_k, v) => (typeof v === "bigint" ? String(v) : v)),
        );
      } finally {
        f.close();
      }
    };
    expect(read(path)).toEqual(read(written));
    expect((read(path) as unknown[]).length).toBe(cols.length);
  });
});
