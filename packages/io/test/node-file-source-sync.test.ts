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

test("readIntoSync fills caller memory (a view into a larger array) with the same range checks", () => {
  const path = join(dir, "b.bin");
  writeFileSync(
    path,
    Uint8Array.from({ length: 3000 }, (_, i) => (i * 7) % 256),
  );
  const src = openFileSourceSync(path);
  const target = new Uint8Array(100).fill(0xee);
  src.readIntoSync(1000, target.subarray(10, 20));
  expect(Array.from(target.subarray(10, 20))).toEqual(Array.from({ length: 10 }, (_, i) => ((1000 + i) * 7) % 256));
  expect(target[9]).toBe(0xee);
  expect(target[20]).toBe(0xee);
  expect(() => src.readIntoSync(2995, new Uint8Array(6))).toThrowError(
    expect.objectContaining({ code: "IO_OUT_OF_RANGE", offset: 2995, length: 6, size: 3000 }),
  );
  src.closeSync();
  expect(() => src.readIntoSync(0, new Uint8Array(1))).toThrowError(expect.objectContaining({ code: "IO_FAILED" }));
});

test("readInto fills caller memory on the thread pool, several parts at once; close waits for running reads", async () => {
  const path = join(dir, "c.bin");
  const bytes = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 31 + (i >>> 8)) & 0xff);
  writeFileSync(path, bytes);
  const src = openFileSourceSync(path);
  const target = new Uint8Array(bytes.length - 100).fill(0xee);
  const part = 200_000;
  const reads: Promise<void>[] = [];
  for (let at = 0; at < target.length; at += part) {
    reads.push(src.readInto(100 + at, target.subarray(at, Math.min(target.length, at + part))));
  }
  // Closing while the parts run: they complete from the still-open descriptor, later reads fail.
  src.closeSync();
  await Promise.all(reads);
  expect(Buffer.from(target).equals(Buffer.from(bytes.subarray(100)))).toBe(true);
  await expect(src.readInto(0, new Uint8Array(1))).rejects.toMatchObject({ code: "IO_FAILED" });
  const again = openFileSourceSync(path);
  await expect(again.readInto(bytes.length - 5, new Uint8Array(6))).rejects.toMatchObject({
    code: "IO_OUT_OF_RANGE",
    offset: bytes.length - 5,
    length: 6,
    size: bytes.length,
  });
  const one = new Uint8Array(3);
  await again.readInto(1, one);
  expect(Array.from(one)).toEqual(Array.from(bytes.subarray(1, 4)));
  again.closeSync();
});
