import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { followRawfile, fromRawfile, toRawfile } from "../src/node.js";
import { copyPythonFile, EXPECTED, hex, PYTHON_H5PY, randomMessages, tempDir } from "./helpers.js";

const SCRIPT = join(import.meta.dirname, "python/larpix_reader.py");

function python(...args: string[]): unknown {
  return JSON.parse(execFileSync(PYTHON_H5PY!, [SCRIPT, ...args], { encoding: "utf8" }));
}

if (!PYTHON_H5PY) console.warn("rawhdf5: skipping h5py cross-checks: /usr/bin/python3 cannot import h5py");

describe.skipIf(!PYTHON_H5PY)("cross-check with Debian h5py (larpix reader mirror)", () => {
  let dir: string;
  let cleanup: () => void;
  beforeAll(() => {
    ({ dir, cleanup } = tempDir());
  });
  afterAll(() => cleanup());

  test("our new file reads in h5py exactly as written, with larpix's dtypes", async () => {
    const path = join(dir, "ours.h5");
    const msgs = [new Uint8Array(0), ...randomMessages(2100, 11)];
    const io = msgs.map((_, i) => (i % 2) + 1);
    await toRawfile(path, { msgs: msgs.slice(0, 1000), msgHeaders: { io_groups: io.slice(0, 1000) }, ioVersion: "0.0" });
    await toRawfile(path, { msgs: msgs.slice(1000), msgHeaders: { io_groups: io.slice(1000) } });
    const py = python("read", path) as {
      meta: { version: string; io_version: string | null; created: number; modified: number };
      len: number;
      msgs_hex: string[];
      io_groups: number[];
      tail_hex: string[];
      masked_hex: string[];
      headers_only: { msgs: null; io_groups: number[] };
    };
    const ours = await fromRawfile(path);
    expect(py.len).toBe(msgs.length);
    expect(py.msgs_hex).toEqual(msgs.map(hex));
    expect(py.io_groups).toEqual(io);
    expect(py.tail_hex).toEqual(msgs.slice(-2).map(hex));
    expect(py.masked_hex).toEqual(msgs.filter((_, i) => i % 2 === 0).map(hex));
    expect(py.headers_only).toEqual({ msgs: null, io_groups: io });
    expect(py.meta).toEqual({ version: "0.0", io_version: "0.0", created: ours.created, modified: ours.modified });
    const layout = python("layout", path) as Record<string, unknown>;
    expect(layout).toMatchObject({
      msgs_dtype_is_vlen_u1: true,
      headers_dtype: "[('io_groups', 'u1')]",
      maxshape: [[null], [null]],
      created_dtype: "float64",
    });
  });

  test("h5py appends to our file and we read its rows; we append to its appends", async () => {
    const path = join(dir, "mixed.h5");
    await toRawfile(path, { msgs: randomMessages(3, 5), msgHeaders: { io_groups: [1, 1, 1] } });
    const pyMsgs = ["4464f15365000100440120a107000000a000640000000000", ""];
    expect(python("append", path, ...pyMsgs)).toEqual({ len: 5 });
    await toRawfile(path, { msgs: [new Uint8Array([7, 7])], msgHeaders: { io_groups: [9] } });
    const data = await fromRawfile(path);
    expect(data.msgs!.map(hex)).toEqual([...randomMessages(3, 5).map(hex), ...pyMsgs, "0707"]);
    expect(Array.from(data.msgHeaders.io_groups)).toEqual([1, 1, 1, 3, 3, 9]);
    const py = python("read", path) as { msgs_hex: string[] };
    expect(py.msgs_hex).toEqual(data.msgs!.map(hex));
  });

  test("a Python-written file appended to by us still reads in h5py", async () => {
    const path = copyPythonFile("raw_v0_0_two_appends.h5", dir);
    await toRawfile(path, { msgs: [new Uint8Array([1, 2, 3])], msgHeaders: { io_groups: [4] } });
    const py = python("read", path) as { msgs_hex: string[]; io_groups: number[] };
    expect(py.msgs_hex).toEqual([...EXPECTED["raw_v0_0_two_appends.h5"]!.msgs_hex, "010203"]);
    expect(py.io_groups).toEqual([5, 5, 6, 6, 5, 4]);
  });

  test("followRawfile follows a file that larpix-style to_rawfile (h5py) is writing", async () => {
    const path = join(dir, "py-live.h5");
    const batches = 12;
    const size = 200;
    const total = batches * size;
    const child = spawn(PYTHON_H5PY!, [SCRIPT, "live", path, String(batches), String(size), "0.05"], { stdio: ["ignore", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 60_000);
    let seen = 0;
    let batchesSeen = 0;
    let mismatches = 0;
    try {
      for await (const batch of followRawfile(path, { pollMs: 10, waitForFile: true, signal: controller.signal, reattempts: 20 })) {
        batchesSeen++;
        batch.msgs.forEach((m, k) => {
          const i = batch.start + k;
          const expected = Uint8Array.from({ length: 24 + (i % 81) }, (_, j) => (i * 7 + j) & 0xff);
          if (hex(m) !== hex(expected) || batch.ioGroups[k] !== (i % 2) + 1) mismatches++;
        });
        seen = batch.start + batch.msgs.length;
        if (seen >= total) break;
      }
    } finally {
      clearTimeout(timer);
    }
    expect(await exited).toBe(0);
    expect(mismatches).toBe(0);
    expect(seen).toBe(total);
    expect(batchesSeen).toBeGreaterThanOrEqual(2);
  }, 90_000);
});
