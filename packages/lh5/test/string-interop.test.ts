/**
 * Fixed-length strings as numpy/h5py/lgdo write them (issue 15): ASCII NULLPAD, so that an
 * lgdo-style append (`lgdo.lh5.write(..., wo_mode="append")`: h5py `resize` + a write of numpy `S`
 * data) onto a daqkit-written table works, and old daqkit files (UTF-8 SPACEPAD) still read.
 * Needs Debian's /usr/bin/python3 with h5py + numpy (skips locally without them, fails under CI=true).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bytesSource, lookup3 } from "@daqkit/io";
import { afterAll, describe, expect, test } from "vitest";
import { type LgdoArray, type Table, createArray, createTable, createVectorOfVectors, readLh5, writeLh5 } from "../src/node.js";
import { openLh5Links } from "../src/fast-links.js";
import { CSET_ASCII, CSET_UTF8, type PatchableFile, setFixedStringType } from "../src/string-type.js";
import { HAVE_H5PY, runPython, tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** h5py's view of a fixed-length string dataset: [numpy dtype, charset, padding, values]. */
const DESCRIBE = `
import h5py
def describe(d):
    t = d.id.get_type()
    cset = {h5py.h5t.CSET_ASCII: "ascii", h5py.h5t.CSET_UTF8: "utf-8"}[t.get_cset()]
    pad = {h5py.h5t.STR_NULLTERM: "nullterm", h5py.h5t.STR_NULLPAD: "nullpad", h5py.h5t.STR_SPACEPAD: "spacepad"}[t.get_strpad()]
    return [str(d.dtype), cset, pad, [x.decode("utf-8") for x in d[:]]]
`;

function stringsOf(t: Table, column: string): string[] {
  return (t.columns.get(column) as LgdoArray).data as string[];
}

describe.skipIf(!HAVE_H5PY)("fixed-length strings as lgdo writes them", () => {
  test("our file: h5py sees ASCII NULLPAD and reads the same values", async () => {
    const file = join(tmp.dir, "types.lh5");
    const names = ["V00050A", "B", "", "ch1", "Z"];
    await writeLh5(
      file,
      "evt",
      createTable({
        name: createArray(names),
        detector: createVectorOfVectors([2, 2, 3, 4, 6], ["a", "bb", "ccc", "d", "e", "f"]),
      }),
      { mode: "w" },
    );
    const out = runPython(
      `${DESCRIBE}
import sys, json
f = h5py.File(sys.argv[1], "r")
print(json.dumps([describe(f["evt/name"]), describe(f["evt/detector/flattened_data"])]))
`,
      [file],
    );
    const [name, flat] = JSON.parse(out);
    expect(name).toEqual(["|S7", "ascii", "nullpad", names]);
    expect(flat).toEqual(["|S3", "ascii", "nullpad", ["a", "bb", "ccc", "d", "e", "f"]]);
  });

  test("an lgdo-style append of numpy S data onto our table, read back by daqkit", async () => {
    const file = join(tmp.dir, "append.lh5");
    await writeLh5(file, "ch0/evt", createTable({ name: createArray(["ab", "cde", "x"]), energy: createArray(Float64Array.of(1, 2, 3)) }), {
      mode: "w",
    });
    // What lgdo.lh5.write(tbl, "evt", file, group="ch0", wo_mode="append") does per column:
    // resize axis 0, then write the new rows (numpy arrays) into the tail (h5py converts types).
    runPython(
      `
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "a") as f:
    g = f["ch0/evt"]
    new = {"name": np.array([b"zz", b"qqq", b""], dtype="S3"), "energy": np.array([4.0, 5.0, 6.0])}
    for key, data in new.items():
        d = g[key]
        n = d.shape[0]
        d.resize(n + len(data), axis=0)
        d[n:] = data
`,
      [file],
    );
    const back = (await readLh5(file, "ch0/evt")) as Table;
    expect(stringsOf(back, "name")).toEqual(["ab", "cde", "x", "zz", "qqq", ""]);
    expect(Array.from((back.columns.get("energy") as LgdoArray).data as Float64Array)).toEqual([1, 2, 3, 4, 5, 6]);
    // ... and daqkit appends after h5py did.
    await writeLh5(file, "ch0/evt", createTable({ name: createArray(["end"]), energy: createArray(Float64Array.of(7)) }), {
      mode: "append",
    });
    const again = (await readLh5(file, "ch0/evt")) as Table;
    expect(stringsOf(again, "name")).toEqual(["ab", "cde", "x", "zz", "qqq", "", "end"]);
  });

  test("a string dataset created in an append session of an existing file is NULLPAD too", async () => {
    const file = join(tmp.dir, "second.lh5");
    await writeLh5(file, "a", createArray(Float64Array.of(1)), { mode: "w" });
    await writeLh5(file, "b/name", createArray(["xy", "z"]));
    const out = runPython(
      `${DESCRIBE}
import sys, json
print(json.dumps(describe(h5py.File(sys.argv[1], "r")["b/name"])))
`,
      [file],
    );
    expect(JSON.parse(out)).toEqual(["|S2", "ascii", "nullpad", ["xy", "z"]]);
  });

  test("non-ASCII values: UTF-8 NULLPAD; appending non-ASCII to an ASCII dataset is refused", async () => {
    const file = join(tmp.dir, "utf8.lh5");
    await writeLh5(file, "units", createArray(["µs", "ns", "Ω"]), { mode: "w" });
    const out = runPython(
      `${DESCRIBE}
import sys, json
print(json.dumps(describe(h5py.File(sys.argv[1], "r")["units"])))
`,
      [file],
    );
    expect(JSON.parse(out)).toEqual(["|S3", "utf-8", "nullpad", ["µs", "ns", "Ω"]]);
    expect(((await readLh5(file, "units")) as LgdoArray).data).toEqual(["µs", "ns", "Ω"]);

    const ascii = join(tmp.dir, "ascii.lh5");
    await writeLh5(ascii, "units", createArray(["s", "ns"]), { mode: "w" });
    await expect(writeLh5(ascii, "units", createArray(["µs"]), { mode: "append" })).rejects.toMatchObject({
      code: "LH5_APPEND_MISMATCH",
      objectPath: "units",
    });
    expect(((await readLh5(ascii, "units")) as LgdoArray).data).toEqual(["s", "ns"]);
  });

  test("old daqkit files (UTF-8 SPACEPAD, NUL-filled) still read and take appends", async () => {
    const file = join(tmp.dir, "old.lh5");
    // The layout daqkit wrote before: h5wasm's "S" type (UTF-8, SPACEPAD) holding NUL-padded bytes.
    runPython(
      `
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w", libver=("v110", "latest")) as f:
    t = h5py.h5t.C_S1.copy()
    t.set_size(3)
    t.set_cset(h5py.h5t.CSET_UTF8)
    t.set_strpad(h5py.h5t.STR_SPACEPAD)
    space = h5py.h5s.create_simple((3,), (h5py.h5s.UNLIMITED,))
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk((1024,))
    dcpl.set_deflate(4)
    d = h5py.Dataset(h5py.h5d.create(f.id, b"name", t, space, dcpl=dcpl))
    d.id.write(h5py.h5s.ALL, h5py.h5s.ALL, np.array([b"ab", b"cde", b"x"], dtype="S3"), mtype=t)
    d.attrs["datatype"] = "array<1>{string}"
`,
      [file],
    );
    expect(((await readLh5(file, "name")) as LgdoArray).data).toEqual(["ab", "cde", "x"]);
    await writeLh5(file, "name", createArray(["µ", "yz"]), { mode: "append" });
    expect(((await readLh5(file, "name")) as LgdoArray).data).toEqual(["ab", "cde", "x", "µ", "yz"]);
    const out = runPython(
      `${DESCRIBE}
import sys, json
print(json.dumps(describe(h5py.File(sys.argv[1], "r")["name"])))
`,
      [file],
    );
    expect(JSON.parse(out)).toEqual(["|S3", "utf-8", "spacepad", ["ab", "cde", "x", "µ", "yz"]]);
  });
});

describe("string type fix-up", () => {
  test("lookup3 (hashlittle, initval 0) matches the reference vectors", () => {
    expect(lookup3(new Uint8Array(0))).toBe(0xdeadbeef);
    expect(lookup3(new TextEncoder().encode("Four score and seven years ago"))).toBe(0x17770551);
  });

  test("a header whose checksum does not match is not patched (LH5_WRITE_IO)", async () => {
    const file = join(tmp.dir, "checksum.lh5");
    await writeLh5(file, "name", createArray(["ab", "c"]), { mode: "w" });
    const bytes = new Uint8Array(readFileSync(file));
    const patchable = (): PatchableFile => {
      const source = bytesSource(bytes, file) as PatchableFile;
      return Object.assign(source, { writeSync: (offset: number, b: Uint8Array) => bytes.set(b, offset) });
    };
    setFixedStringType(patchable(), "name", CSET_UTF8); // a valid header: patched, checksum rewritten
    const links = openLh5Links(bytes);
    const at = links.datatypeMessage("name")!;
    links.close();
    expect(bytes[at.data + 1]).toBe(0x11);
    const checksumAt = at.chunk!.checksum;
    bytes[checksumAt] = bytes[checksumAt]! ^ 0xff;
    expect(() => setFixedStringType(patchable(), "name", CSET_ASCII)).toThrowError(
      expect.objectContaining({ code: "LH5_WRITE_IO", objectPath: "name" }),
    );
    expect(bytes[at.data + 1]).toBe(0x11);
  });
});
