import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatNumpyDescr, formatPythonString, numpyDtypeFromDescr, parseNumpyDescr, parseNumpyTypestr } from "../src/index.js";

const STRAX = join(import.meta.dirname, "../../../../shared/testdata/strax");

describe("parseNumpyTypestr", () => {
  it("reads every numpy kind and size", () => {
    const cases: [string, string, number, string][] = [
      ["|b1", "b", 1, "|b1"],
      ["|i1", "i", 1, "|i1"],
      ["<i2", "i", 2, "<i2"],
      ["<i4", "i", 4, "<i4"],
      ["<i8", "i", 8, "<i8"],
      ["|u1", "u", 1, "|u1"],
      ["<u2", "u", 2, "<u2"],
      ["<u4", "u", 4, "<u4"],
      ["<u8", "u", 8, "<u8"],
      ["<f2", "f", 2, "<f2"],
      ["<f4", "f", 4, "<f4"],
      ["<f8", "f", 8, "<f8"],
      ["<c8", "c", 8, "<c8"],
      ["<c16", "c", 16, "<c16"],
      ["|S10", "S", 10, "|S10"],
      ["<U8", "U", 32, "<U8"],
      ["|V4", "V", 4, "|V4"],
      ["<M8[ns]", "M", 8, "<M8[ns]"],
      ["<m8[us]", "m", 8, "<m8[us]"],
      ["<M8", "M", 8, "<M8"],
      ["|O8", "O", 8, "<O8"],
    ];
    for (const [s, kind, itemsize, normalized] of cases) {
      expect(parseNumpyTypestr(s), s).toMatchObject({ kind, itemsize, normalized });
    }
    expect(parseNumpyTypestr("<M8[ns]").unit).toBe("ns");
  });

  it("reads byte orders: <, >, =, | and none", () => {
    expect(parseNumpyTypestr(">f8")).toMatchObject({ byteOrder: ">", normalized: "<f8" });
    expect(parseNumpyTypestr("=u2")).toMatchObject({ byteOrder: "<", normalized: "<u2" });
    expect(parseNumpyTypestr("i4")).toMatchObject({ byteOrder: "<", normalized: "<i4" });
    expect(parseNumpyTypestr(">u1")).toMatchObject({ byteOrder: "|", normalized: "|u1" });
    expect(parseNumpyTypestr("u1")).toMatchObject({ byteOrder: "|", normalized: "|u1" });
    expect(parseNumpyTypestr(">S3")).toMatchObject({ byteOrder: "|", normalized: "|S3" });
    expect(parseNumpyTypestr(">U2")).toMatchObject({ byteOrder: ">", itemsize: 8 });
  });

  it("refuses what numpy would not write, with IO_BAD_DTYPE", () => {
    for (const s of ["<i3", "<f1", "|b2", "<c4", "<M4", "<i8[ns]", "<M8[parsec]", "x4", "", "<", "i", "<i-1", "<f8 "]) {
      expect(() => parseNumpyTypestr(s), s).toThrow(expect.objectContaining({ code: "IO_BAD_DTYPE" }));
    }
    expect(() => parseNumpyTypestr(42 as never)).toThrow(expect.objectContaining({ code: "IO_BAD_DTYPE" }));
  });
});

describe("structured dtypes (repr of dtype.descr)", () => {
  it("parses titles, sub-array shapes and nested structs with packed offsets", () => {
    const d = parseNumpyDescr(
      "[(('Start time since unix epoch [ns]', 'time'), '<i8'), ('data', '<i2', (110,)), ('m', '>f4', (2, 3)), ('sub', [('a', '|u1'), ('b', '<u2')]), ('', '|V2')]",
    );
    expect(d.itemsize).toBe(8 + 220 + 24 + 3 + 2);
    expect(d.fields.map((f) => [f.name, f.byteOffset, f.byteSize])).toEqual([
      ["time", 0, 8],
      ["data", 8, 220],
      ["m", 228, 24],
      ["sub", 252, 3],
      ["", 255, 2],
    ]);
    expect(d.fields[0]).toMatchObject({ title: "Start time since unix epoch [ns]", kind: "i", littleEndian: true });
    expect(d.fields[2]).toMatchObject({ shape: [2, 3], count: 6, littleEndian: false });
    expect(d.fields[3]?.fields?.fields.map((f) => f.byteOffset)).toEqual([0, 1]);
  });

  it("round-trips every strax metadata dtype of the test data through format", () => {
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith("-metadata.json")) found.push(p);
      }
    };
    walk(STRAX);
    let checked = 0;
    for (const p of found) {
      const descr = JSON.parse(readFileSync(p, "utf8")).dtype as unknown;
      if (typeof descr !== "string") continue;
      checked++;
      const d = parseNumpyDescr(descr);
      expect(d.itemsize, p).toBeGreaterThan(0);
      expect(formatNumpyDescr(d), p).toBe(descr);
    }
    expect(checked).toBeGreaterThan(0);
  });

  it("reads the same descr given as JSON lists", () => {
    const d = numpyDtypeFromDescr([
      [["title", "time"], "<i8"],
      ["data", "<i2", [3]],
      ["x", "<f4", 2],
    ]);
    expect(d.itemsize).toBe(8 + 6 + 8);
    expect(d.fields[2]?.shape).toEqual([2]);
  });

  it("refuses broken text and structures with IO_BAD_DTYPE saying where", () => {
    for (const s of [
      "",
      "[",
      "[('a', '<i8')",
      "[('a',)]",
      "[('a', '<i8', (-1,))]",
      "[('a', '<i8'), ('a', '<i4')]",
      "[(1, '<i8')]",
      "[('a', 5)]",
      "{'a': 1}",
      "[('a', '<i8')] x",
      "[('a\\q', '<i8')]",
      "[('a', '<i8', (99999999999999999999,))]",
    ]) {
      expect(() => parseNumpyDescr(s), s).toThrow(expect.objectContaining({ code: "IO_BAD_DTYPE" }));
    }
    expect(() => parseNumpyDescr(`${"[".repeat(100)}${"]".repeat(100)}`)).toThrow(expect.objectContaining({ code: "IO_BAD_DTYPE" }));
    expect(() => numpyDtypeFromDescr([["a", null]])).toThrow(expect.objectContaining({ code: "IO_BAD_DTYPE" }));
  });

  it("formats Python strings as repr does", () => {
    expect(formatPythonString("a'b")).toBe(`"a'b"`);
    expect(formatPythonString(`a'b"`)).toBe(`'a\\'b"'`);
    expect(formatPythonString("x\n\\")).toBe("'x\\n\\\\'");
    expect(parseNumpyDescr(`[(${formatPythonString("ti'tle\t")}, '<i8')]`).fields[0]?.name).toBe("ti'tle\t");
  });
});
