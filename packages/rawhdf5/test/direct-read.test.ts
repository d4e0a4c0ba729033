import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readVlenU8Direct } from "../src/h5/direct-vlen-node.js";
import { fromRawfile, openRawfileWriter, toRawfile } from "../src/node.js";
import { EXPECTED, hex, PYTHON_FILES, randomMessages, TESTDATA, tempDir } from "./helpers.js";

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir());
});
afterAll(() => cleanup());

function unpack(p: { bytes: Uint8Array; offsets: Float64Array }): string[] {
  return Array.from({ length: p.offsets.length - 1 }, (_, i) => hex(p.bytes.subarray(p.offsets[i]!, p.offsets[i + 1]!)));
}

describe("direct VLEN reader (fast path for quiescent files)", () => {
  test.each(PYTHON_FILES)("reads the Python-written %s (gzip chunks) exactly", (name) => {
    const e = EXPECTED[name]!;
    const got = readVlenU8Direct(join(TESTDATA, name), "/msgs", 0, e.len, e.len);
    expect(got).not.toBeNull();
    expect(unpack(got!)).toEqual(e.msgs_hex);
    if (e.len > 2) expect(unpack(readVlenU8Direct(join(TESTDATA, name), "/msgs", 1, e.len - 2, e.len)!)).toEqual(e.msgs_hex.slice(1, -1));
  });

  test("reads our files (unfiltered chunks, many data and super blocks) like HDF5 does", async () => {
    const path = join(dir, "many.h5");
    const msgs = [new Uint8Array(0), ...randomMessages(30_000, 21)];
    for (let b = 0; b < msgs.length; b += 3000) await toRawfile(path, { msgs: msgs.slice(b, b + 3000) });
    const n = msgs.length;
    for (const [s, c] of [
      [0, n],
      [1023, 2],
      [4096 + 7, 10_000],
      [n - 5, 5],
    ] as const) {
      const direct = readVlenU8Direct(path, "/msgs", s, c, n);
      expect(direct, `rows ${s}+${c}`).not.toBeNull();
      expect(unpack(direct!)).toEqual(msgs.slice(s, s + c).map(hex));
    }
    const viaHdf5 = await fromRawfile(path, { directRead: false, start: 100, end: 20_000 });
    const viaDirect = await fromRawfile(path, { start: 100, end: 20_000 });
    expect(viaDirect.msgs!.map(hex)).toEqual(viaHdf5.msgs!.map(hex));
  });

  test("files long enough for extensible-array super blocks (EASB, > 250 chunks)", async () => {
    const path = join(dir, "long.h5");
    const n = 300_000;
    const writer = await openRawfileWriter(path);
    try {
      for (let b = 0; b < n; b += 50_000) {
        writer.append(Array.from({ length: 50_000 }, (_, k) => new Uint8Array([(b + k) & 0xff, (b + k) >> 8])));
      }
    } finally {
      writer.close();
    }
    const direct = readVlenU8Direct(path, "/msgs", 0, n, n);
    expect(direct).not.toBeNull();
    expect(direct!.bytes.length).toBe(2 * n);
    for (const i of [0, 255, 4095, 250_000, 262_144, n - 1]) {
      expect([direct!.bytes[2 * i], direct!.bytes[2 * i + 1]]).toEqual([i & 0xff, (i >> 8) & 0xff]);
    }
    const tail = await fromRawfile(path, { start: -1000, directRead: false });
    expect(unpack(readVlenU8Direct(path, "/msgs", n - 1000, 1000, n)!)).toEqual(tail.msgs!.map(hex));
  });

  test("declines (null) when a writer has the file open, or for a wrong length / range", async () => {
    const path = join(dir, "open.h5");
    const writer = await openRawfileWriter(path);
    try {
      writer.append(randomMessages(10));
      expect(readVlenU8Direct(path, "/msgs", 0, 10, 10)).toBeNull(); // consistency flags set
    } finally {
      writer.close();
    }
    expect(readVlenU8Direct(path, "/msgs", 0, 10, 10)).not.toBeNull();
    expect(readVlenU8Direct(path, "/msgs", 0, 10, 11)).toBeNull();
    expect(readVlenU8Direct(path, "/msgs", 5, 10, 10)).toBeNull();
    expect(readVlenU8Direct(path, "/msg_headers", 0, 10, 10)).toBeNull(); // not a VLEN dataset
    expect(readVlenU8Direct(join(dir, "missing.h5"), "/msgs", 0, 1, 1)).toBeNull();
  });
});
