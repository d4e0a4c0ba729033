import { writeFileSync } from "node:fs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Lh5Error, openLh5, parseDatatype, readLh5 } from "../src/node.js";
import { RAW_CAL, TESTDATA, tempDir } from "./helpers.js";

const tmp = tempDir();
const BAD = join(tmp.dir, "bad.lh5");

beforeAll(async () => {
  const h5 = await import("h5wasm/node");
  const M = await h5.ready;
  M.activate_throwing_error_handler();
  const f = new h5.File(BAD, "w", { libver: "v110" });
  try {
    const weird = f.create_dataset({ name: "weird", data: new Float64Array([1, 2]) });
    weird.create_attribute("datatype", "array<1>{quaternion}");
    const t = f.create_group("ragged");
    t.create_attribute("datatype", "table{a,b}");
    t.create_dataset({ name: "a", data: new Float64Array([1, 2, 3]) }).create_attribute("datatype", "array<1>{real}");
    t.create_dataset({ name: "b", data: new Float64Array([1, 2]) }).create_attribute("datatype", "array<1>{real}");
    const m = f.create_group("missing_field");
    m.create_attribute("datatype", "table{a,c}");
    m.create_dataset({ name: "a", data: new Float64Array([1]) }).create_attribute("datatype", "array<1>{real}");
    f.create_dataset({ name: "plain", data: new Float64Array([1]) });
  } finally {
    f.close();
  }
});
afterAll(() => tmp.cleanup());

async function code(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    if (typeof p === "function") p();
    else await p;
  } catch (error) {
    expect(Lh5Error.isInstance(error)).toBe(true);
    return (error as Lh5Error).code;
  }
  return undefined;
}

describe("bad input gives coded errors", () => {
  test("file level", async () => {
    expect(await code(openLh5(join(TESTDATA, "README.md")))).toBe("LH5_NOT_HDF5");
    expect(await code(openLh5(join(tmp.dir, "nope.lh5")))).toBe("LH5_FILE_NOT_FOUND");
    expect(await code(openLh5(tmp.dir))).toBe("LH5_FILE_NOT_FOUND");
    const truncated = join(tmp.dir, "truncated.lh5");
    writeFileSync(truncated, readFileSync(join(TESTDATA, "lgdo-histograms.lh5")).subarray(0, 20000));
    expect(await code(openLh5(truncated))).toBe("LH5_TRUNCATED");
    const empty = join(tmp.dir, "empty.lh5");
    writeFileSync(empty, "");
    expect(await code(openLh5(empty))).toBe("LH5_NOT_HDF5");
  });

  test("object level", async () => {
    const f = await openLh5(BAD);
    try {
      expect(await code(() => f.readObject("weird"))).toBe("LH5_BAD_DATATYPE");
      expect(await code(() => f.readObject("ragged"))).toBe("LH5_LENGTH_MISMATCH");
      expect(f.readTable("ragged", { columns: ["a"] }).nRows).toBe(3);
      expect(await code(() => f.readObject("missing_field"))).toBe("LH5_FIELD_ABSENT");
      expect(await code(() => f.readObject("plain"))).toBe("LH5_NOT_LGDO");
      expect(await code(() => f.readObject("does/not/exist"))).toBe("LH5_OBJECT_NOT_FOUND");
      expect(await code(() => f.countRows("nothing"))).toBe("LH5_OBJECT_NOT_FOUND");
      expect(await code(() => f.readTable("ragged", { columns: ["zz"] }))).toBe("LH5_FIELD_ABSENT");
      // listing still works on broken objects
      expect(f.listObjects().map((o) => o.path)).toContain("weird");
    } finally {
      f.close();
    }
  });

  test("row selections", async () => {
    const f = await openLh5(RAW_CAL);
    try {
      expect(await code(() => f.readTable("ch1084803/raw", { rows: [0, 10] }))).toBe("LH5_BAD_ROWS");
      expect(await code(() => f.readTable("ch1084803/raw", { rows: [-1] }))).toBe("LH5_BAD_ROWS");
      expect(await code(() => f.readTable("ch1084803/raw", { rows: { start: -2, stop: 3 } }))).toBe("LH5_BAD_ROWS");
      expect(await code(() => f.readTable("ch1084803/raw", { rows: [1.5] }))).toBe("LH5_BAD_ROWS");
      expect(await code(() => f.readTable("ch1084803"))).toBe("LH5_NOT_LGDO");
      expect(f.readTable("ch1084803/raw", { rows: [] }).nRows).toBe(0);
      expect(f.readTable("ch1084803/raw", { rows: { start: 20, stop: 30 } }).nRows).toBe(0);
    } finally {
      f.close();
    }
    expect(await code(readLh5(RAW_CAL, "ch1084803/raw/daqenergy", { rows: [10] }))).toBe("LH5_BAD_ROWS");
  });
});

describe("datatype grammar (lgdo precedence)", () => {
  test.each([
    ["real", "Scalar"],
    [" bool ", "Scalar"],
    ["string", "Scalar"],
    ["array<1>{real}", "Array"],
    ["array<2>{real}", "Array"],
    ["array<1>{string}", "Array"],
    ["fixedsize_array<1>{real}", "FixedSizeArray"],
    ["array_of_equalsized_arrays<1,1>{bool}", "ArrayOfEqualSizedArrays"],
    ["array<1>{array<1>{real}}", "VectorOfVectors"],
    ["array<1>{array<1>{array<1>{real}}}", "VectorOfVectors"],
    ["array<1>{encoded_array<1>{real}}", "VectorOfEncodedVectors"],
    ["array_of_encoded_equalsized_arrays<1,1>{real}", "ArrayOfEncodedEqualSizedArrays"],
    ["struct{weights,isdensity,binning}", "Histogram"],
    ["struct{binning,weights}", "Struct"],
    ["struct{}", "Struct"],
    ["table{values,t0,dt}", "WaveformTable"],
    ["table{t0,dt,values,x}", "Table"],
    ["table{}", "Table"],
    ["array<1>{detectorid}", "Array"],
    ["array<1>{enum{A=0,B=1}}", "Array"],
  ])("%s → %s", (text, type) => {
    expect(parseDatatype(text).type).toBe(type);
  });

  test("fields keep datatype order; nested VoV recursion; bad strings", () => {
    expect(parseDatatype("table{b,a,c}")).toEqual({ type: "Table", fields: ["b", "a", "c"] });
    expect(parseDatatype("struct{0,2,3}")).toEqual({ type: "Struct", fields: ["0", "2", "3"] });
    const v = parseDatatype("array<1>{array<1>{array<1>{bool}}}");
    expect(v).toEqual({
      type: "VectorOfVectors",
      inner: { type: "VectorOfVectors", inner: { type: "Array", ndim: 1, element: { kind: "bool" } } },
    });
    for (const bad of ["", "float", "array<1>{}", "array{real}", "tables{a}", "array<1>{quaternion}"]) {
      expect(() => parseDatatype(bad), bad).toThrowError(expect.objectContaining({ code: "LH5_BAD_DATATYPE" }));
    }
  });
});

test("a zeroed object header in a global heap collection (attribute strings) is LH5_CORRUPT at once, not a spin inside HDF5", async () => {
  // Slow-lane fuzz find (tcm-old zero64@2229 seed=9): HDF5's walk of the collection stands still on an
  // object of index 0 and size 0, so reading the `datatype` attributes never returned.
  const { TCM_OLD } = await import("./helpers.js");
  const bytes = new Uint8Array(readFileSync(TCM_OLD));
  bytes.fill(0, 2229, 2229 + 64);
  const path = join(tmp.dir, "zeroed-global-heap.lh5");
  writeFileSync(path, bytes);
  const error = await openLh5(path).then(
    (f) => {
      try {
        f.listObjects();
        return undefined;
      } finally {
        f.close();
      }
    },
    (e: unknown) => e,
  );
  expect(Lh5Error.isInstance(error)).toBe(true);
  expect(error).toMatchObject({ code: "LH5_CORRUPT" });
  expect(String((error as Error).message)).toMatch(/global heap object at \d+ has size 0/);
}, 30_000);
