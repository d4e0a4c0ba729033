/**
 * Issue 15: `docs export` of a file written by Python (suitcase-msgpack layout, msgpack_numpy values) is
 * byte-identical — integral floats such as `resource_kwargs.exposure = 2.0` stay float64, bytes and complex values
 * and float16 arrays keep their encoding. The fixture is made by packages/docmodel/test/fixtures/upstream/make_fixtures.py.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { daqkit } from "./run.js";

const FIXTURES = join(import.meta.dirname, "../../../packages/docmodel/test/fixtures/upstream");
const tmp = mkdtempSync(join(tmpdir(), "daqkit-docs-export-parity-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it("docs export writes a Python-written run back byte for byte", async () => {
  const src = join(tmp, "src");
  mkdirSync(src);
  for (const f of ["parity.msgpack", "wire-types.msgpack"]) copyFileSync(join(FIXTURES, f), join(src, f));
  const r = await daqkit("--json", "docs", "export", src, "--out", join(tmp, "out"));
  expect(r.code, r.stderr).toBe(0);
  const runs = JSON.parse(r.stdout).runs as { path: string; uid: string }[];
  expect(runs).toHaveLength(2);
  for (const run of runs) {
    const original = run.uid.endsWith("15") ? "parity.msgpack" : "wire-types.msgpack";
    expect(readFileSync(run.path).equals(readFileSync(join(FIXTURES, original))), original).toBe(true);
  }
});

it("docs show previews bytes, complex and float16 columns as values", async () => {
  const src = join(tmp, "show");
  mkdirSync(src);
  copyFileSync(join(FIXTURES, "parity.msgpack"), join(src, "parity.msgpack"));
  const r = await daqkit("--json", "docs", "show", src, "-1", "--stream", "primary");
  expect(r.code, r.stderr).toBe(0);
  const cols = JSON.parse(r.stdout).columns;
  expect(cols.x.head).toEqual(["1", "2", "3"]);
  expect(cols.h.head).toEqual([1.5, -0.25, 3]);
  expect(cols.z.dtype).toBe("<c16");
  expect(cols.z.head).toEqual([
    [1, 1],
    [2, -0.5],
    [3, 0],
  ]);
});
