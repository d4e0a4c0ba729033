import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openFileSource } from "../src/node.js";

const dir = mkdtempSync(join(tmpdir(), "io-read-into-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ByteSource.readInto (Node file sources)", () => {
  it("fills caller memory with what read returns, with the same range checks", async () => {
    const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) % 251);
    const path = join(dir, "f.bin");
    writeFileSync(path, bytes);
    const source = await openFileSource(path);
    try {
      const target = new Uint8Array(4096).fill(0xee);
      await source.readInto!(1000, target.subarray(0, 333));
      expect(target.subarray(0, 333)).toEqual(await source.read(1000, 333));
      expect(target[333]).toBe(0xee);
      await source.readInto!(10_000 - 16, target.subarray(0, 16));
      expect(target.subarray(0, 16)).toEqual(bytes.subarray(10_000 - 16));
      await expect(source.readInto!(9_999, target.subarray(0, 2))).rejects.toMatchObject({ code: "IO_OUT_OF_RANGE" });
    } finally {
      await source.close?.();
    }
  });
});
