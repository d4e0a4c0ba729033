import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { openFileSourceSync } from "../src/node.js";

const dir = mkdtempSync(join(tmpdir(), "io-sync-source-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("openFileSourceSync reads exact ranges synchronously and asynchronously; errors are coded", async () => {
  const path = join(dir, "a.bin");
  writeFileSync(
    path,
    Uint8Array.from({ length: 10_000 }, (_, i) => i % 251),
  );
  const src = openFileSourceSync(path);
  expect(src.size).toBe(10_000);
  expect(src.name).toBe(path);
  expect(Array.from(src.readSync(5000, 4))).toEqual([5000 % 251, 5001 % 251, 5002 % 251, 5003 % 251]);
  expect(Array.from(await src.read(0, 3))).toEqual([0, 1, 2]);
  expect(src.readSync(10_000, 0).length).toBe(0);
  expect(() => src.readSync(9_999, 2)).toThrowError(
    expect.objectContaining({ code: "IO_OUT_OF_RANGE", offset: 9_999, length: 2, size: 10_000 }),
  );
  src.closeSync();
  src.closeSync();
  expect(() => src.readSync(0, 1)).toThrowError(expect.objectContaining({ code: "IO_FAILED" }));
  expect(() => openFileSourceSync(join(dir, "missing.bin"))).toThrowError(expect.objectContaining({ code: "IO_NOT_FOUND" }));
  expect(() => openFileSourceSync(dir)).toThrowError(expect.objectContaining({ code: "IO_NOT_FOUND" }));
});
