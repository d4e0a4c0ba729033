import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deterministicHash, formatDtype, formatPythonJson, parseDtype, parsePythonJson, PyFloat, superrunHash } from "../src/node.js";
import { formatPythonFloat, pyFloat } from "../src/python-json.js";
import { STRAX } from "./helpers.js";

const RECORDS = { records: ["Records", "0.0.0", { crash: false, dummy_tracked_option: 42 }] };
const PEAKS = { peaks: ["Peaks", "0.0.0", { base_area: 0, bonus_area: 42, give_wrong_dtype: false }], ...RECORDS };

describe("deterministicHash: every vector of spec §4.2", () => {
  it.each([
    ["records lineage", RECORDS, "j3nd2fjbiq"],
    ["peaks lineage", PEAKS, "xia2iit6vb"],
    ["superrun suffix", [{ "0": "all", "1": "all", "2": "all" }, false], "xasmpdqviq"],
    ["combining", [{ "0": "all", "1": "all", "2": "all" }, true], "m3bpl6gape"],
    ["spec alone", { "0": "all", "1": "all", "2": "all" }, "uzafu3c2wk"],
    ["ranges", [{ "0": [2, 7], "2": [41, 45] }, false], "4frlow26s7"],
    [
      "epoch ranges (bigint)",
      [{ "0": [1626265800000000002n, 1626265800000000007n], "2": [1626265802000000001n, 1626265802000000005n] }, false],
      "mqmcerj3mn",
    ],
    ["two subruns", [{ "0": "all", "1": "all" }, false], "dgoccabkea"],
  ] as const)("%s", (_name, input, hash) => {
    expect(deterministicHash(input)).toBe(hash);
  });

  it("superrunHash of spec entries matches", () => {
    expect(
      superrunHash([
        { runId: "0", range: "all" },
        { runId: "1", range: "all" },
        { runId: "2", range: "all" },
      ]),
    ).toBe("xasmpdqviq");
    expect(
      superrunHash([
        { runId: "2", range: { start: 41n, end: 45n } },
        { runId: "0", range: { start: 2n, end: 7n } },
      ]),
    ).toBe("4frlow26s7");
  });

  it("lineages read from every metadata file hash to their lineage_hash (int/float kept)", async () => {
    for (const f of [
      "v2/main/0-peaks-xia2iit6vb/peaks-xia2iit6vb-metadata.json",
      "v1/main/0-records-j3nd2fjbiq/records-j3nd2fjbiq-metadata.json",
    ]) {
      const meta = parsePythonJson(await readFile(join(STRAX, f), "utf8")) as { lineage: unknown; lineage_hash: string };
      expect(deterministicHash(meta.lineage)).toBe(meta.lineage_hash);
    }
  });

  it("42 and 42.0 hash differently, as in Python", () => {
    expect(deterministicHash([42])).not.toBe(deterministicHash([pyFloat(42)]));
    expect(formatPythonJson([42, pyFloat(42), 0.5])).toBe("[42, 42.0, 0.5]");
    const parsed = parsePythonJson('{"a": 42.0, "b": 42, "c": 1626265800000000002}') as Record<string, unknown>;
    expect(parsed.a).toBeInstanceOf(PyFloat);
    expect(parsed.b).toBe(42);
    expect(parsed.c).toBe(1626265800000000002n);
  });

  it("keys sort by code point and non-ASCII is escaped like ensure_ascii", () => {
    expect(formatPythonJson({ b: 1, a: "é\u{1F600}\n" }, { sortKeys: true })).toBe('{"a": "\\u00e9\\ud83d\\ude00\\n", "b": 1}');
    expect(formatPythonJson({ "\u{1F600}": 1, "\uFFFF": 2 }, { sortKeys: true })).toBe('{"\\uffff": 2, "\\ud83d\\ude00": 1}');
  });
});

describe("Python float repr", () => {
  it.each([
    [1, "1.0"],
    [0.1, "0.1"],
    [1e-5, "1e-05"],
    [0.0001, "0.0001"],
    [1e16, "1e+16"],
    [1.5e20, "1.5e+20"],
    [123456789012345.6, "123456789012345.6"],
    [1795234688.7016604, "1795234688.7016604"],
    [-2.5, "-2.5"],
    [Number.POSITIVE_INFINITY, "Infinity"],
    [Number.NaN, "NaN"],
    [1e22, "1e+22"],
    [1.234e-7, "1.234e-07"],
  ])("%s → %s", (value, text) => {
    expect(formatPythonFloat(value)).toBe(text);
  });
});

describe("metadata JSON is re-serialised byte for byte (strax sort_keys, indent=4)", () => {
  it.each([
    "v2/main/_superrun_test_xasmpdqviq-peaks-xia2iit6vb/peaks-xia2iit6vb-metadata.json",
    "v2/epoch/0-records-j3nd2fjbiq/records-j3nd2fjbiq-metadata.json",
    "v2/empty/5-records-j3nd2fjbiq/records-j3nd2fjbiq-metadata.json",
    "v1/main/_superrun_test-metadata.json",
    "v2/epoch/_superrun_epoch_ranges-metadata.json",
  ])("%s", async (f) => {
    const text = await readFile(join(STRAX, f), "utf8");
    const json = parsePythonJson(text);
    const again = f.startsWith("v1/main/_superrun_test-metadata")
      ? formatPythonJson(json)
      : formatPythonJson(json, { indent: 4, sortKeys: true });
    expect(again).toBe(text);
  });
});

describe("numpy dtype descr", () => {
  it("parses records and peaks dtypes and formats them back exactly", async () => {
    for (const f of [
      "v2/main/0-records-j3nd2fjbiq/records-j3nd2fjbiq-metadata.json",
      "v2/main/0-peaks-xia2iit6vb/peaks-xia2iit6vb-metadata.json",
      "v1/main/0-peaks-xia2iit6vb/peaks-xia2iit6vb-metadata.json",
    ]) {
      const meta = parsePythonJson(await readFile(join(STRAX, f), "utf8")) as { dtype: string };
      const dtype = parseDtype(meta.dtype);
      expect(formatDtype(dtype)).toBe(meta.dtype);
    }
    const records = parseDtype(
      (
        parsePythonJson(await readFile(join(STRAX, "v2/main/0-records-j3nd2fjbiq/records-j3nd2fjbiq-metadata.json"), "utf8")) as {
          dtype: string;
        }
      ).dtype,
    );
    expect(records.itemsize).toBe(257);
    const data = records.fields.find((f) => f.name === "data")!;
    expect([data.typestr, data.shape, data.byteOffset, data.title]).toEqual([
      "<i2",
      [110],
      37,
      "Waveform data in raw counts above integer part of baseline",
    ]);
  });

  it("handles quotes, escapes, nested and multi-dimensional fields, big-endian and strings", () => {
    const text = `[("it's", '<f8'), ('a"b\\'c', '>i4', (2, 3)), ('s', '|S5'), ('u', '<U3'), ('', '|V3'), ('nest', [('x', '<u2'), ('y', '|b1')]), ('t', '<M8[ns]')]`;
    const d = parseDtype(text);
    expect(d.fields.map((f) => [f.name, f.byteSize, f.byteOffset])).toEqual([
      ["it's", 8, 0],
      [`a"b'c`, 24, 8],
      ["s", 5, 32],
      ["u", 12, 37],
      ["", 3, 49],
      ["nest", 3, 52],
      ["t", 8, 55],
    ]);
    expect(d.itemsize).toBe(63);
    expect(formatDtype(d)).toBe(text);
  });

  it("writes titles back as Python's repr does (non-printable characters escaped, as numpy gives them)", () => {
    // python3 -c "import numpy as np; print(np.dtype([(('t\x85\u2028 \xad\U000e0001 é', 'x'), '<i8')]).descr)"
    const text = String.raw`[(('t\x85\u2028 \xad\U000e0001 é', 'x'), '<i8')]`;
    const dtype = parseDtype(text);
    expect(dtype.fields[0]!.title).toBe("t\x85\u2028 \xad\u{e0001} é");
    expect(formatDtype(dtype)).toBe(text);
  });

  it.each(["[('a', '<i3')]", "[('a', 'float')]", "[('a' '<i4')]", "[('a', '<i4'), ('a', '<i8')]", "not a dtype", "[('a', '<i4', (2.5,))]"])(
    "rejects %s with RUNS_BAD_DTYPE",
    (text) => {
      expect(() => parseDtype(text)).toThrow(expect.objectContaining({ code: "RUNS_BAD_DTYPE" }));
    },
  );
});
