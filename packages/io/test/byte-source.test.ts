import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type StaticServer, startStaticServer } from "../../../test/support/static-server.js";
import { blobSource, bytesSource, type ByteSource, IoError, openHttpSource, readAll, readWindows } from "../src/index.js";
import { openFileSource } from "../src/node.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata");
const FILE = join(TESTDATA, "lh5/lgdo-histograms.lh5");
const bytes = new Uint8Array(readFileSync(FILE));

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    expect(IoError.isInstance(e)).toBe(true);
    return (e as IoError).code;
  }
  return undefined;
}

let server: StaticServer;
let plain: StaticServer;
beforeAll(async () => {
  server = await startStaticServer({ "/testdata/": TESTDATA });
  plain = await startStaticServer({ "/testdata/": TESTDATA }, { ignoreRange: true });
});
afterAll(async () => {
  await server.close();
  await plain.close();
});

const opens: Record<string, () => Promise<ByteSource>> = {
  bytes: async () => bytesSource(bytes, "h.lh5"),
  arrayBuffer: async () => bytesSource(bytes.slice().buffer, "h.lh5"),
  blob: async () => blobSource(new Blob([bytes]), "h.lh5"),
  file: async () => openFileSource(FILE),
  http: async () => openHttpSource(`${server.origin}/testdata/lh5/lgdo-histograms.lh5`),
};

describe.each(Object.keys(opens))("%s source", (kind) => {
  test("size and reads equal the file's bytes", async () => {
    const s = await opens[kind]!();
    try {
      expect(s.size).toBe(bytes.length);
      expect(await s.read(0, 8)).toEqual(bytes.subarray(0, 8));
      expect(await s.read(1000, 333)).toEqual(bytes.subarray(1000, 1333));
      expect(await s.read(bytes.length - 5, 5)).toEqual(bytes.subarray(bytes.length - 5));
      expect((await s.read(bytes.length, 0)).length).toBe(0);
      expect(await readAll(s)).toEqual(bytes);
      if (s.readSync) expect(s.readSync(17, 100)).toEqual(bytes.subarray(17, 117));
      const windows: Uint8Array[] = [];
      for await (const w of readWindows(s, { windowSize: 4096, offset: 10 })) windows.push(w);
      expect(windows[0]!.length).toBe(4096);
      expect(Buffer.concat(windows)).toEqual(Buffer.from(bytes.subarray(10)));
    } finally {
      await s.close?.();
    }
  });

  test("reads outside the source are IO_OUT_OF_RANGE", async () => {
    const s = await opens[kind]!();
    try {
      expect(await codeOf(s.read(bytes.length - 1, 2))).toBe("IO_OUT_OF_RANGE");
      expect(await codeOf(s.read(-1, 1))).toBe("IO_OUT_OF_RANGE");
      expect(await codeOf(s.read(0.5, 1))).toBe("IO_OUT_OF_RANGE");
      expect(await codeOf(s.read(0, Number.NaN))).toBe("IO_OUT_OF_RANGE");
      if (s.readSync) expect(await codeOf(() => s.readSync!(bytes.length, 1))).toBe("IO_OUT_OF_RANGE");
      expect(
        await codeOf(async () => {
          for await (const _ of readWindows(s, { offset: 1, length: bytes.length })) void _;
        }),
      ).toBe("IO_OUT_OF_RANGE");
    } finally {
      await s.close?.();
    }
  });
});

describe("Node file source", () => {
  test("a missing file is IO_NOT_FOUND, a directory IO_FAILED, both naming the path", async () => {
    const missing = join(tmpdir(), "daqkit-io-missing-file.bin");
    await expect(openFileSource(missing)).rejects.toMatchObject({ code: "IO_NOT_FOUND", path: missing });
    await expect(openFileSource(TESTDATA)).rejects.toMatchObject({ code: "IO_FAILED", path: TESTDATA });
  });

  test("a file that shrank after opening gives IO_FAILED, not short data", async () => {
    const dir = await mkdtemp(join(tmpdir(), "daqkit-io-"));
    try {
      const path = join(dir, "a.bin");
      await writeFile(path, new Uint8Array(100));
      const s = await openFileSource(path);
      await writeFile(path, new Uint8Array(10));
      await expect(s.read(0, 50)).rejects.toMatchObject({ code: "IO_FAILED", offset: 0, length: 50 });
      expect(() => s.readSync!(0, 50)).toThrow(expect.objectContaining({ code: "IO_FAILED" }));
      await s.close!();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("HTTP source", () => {
  test("a server that ignores Range is refused with IO_RANGE_UNSUPPORTED", async () => {
    await expect(openHttpSource(`${plain.origin}/testdata/lh5/lgdo-histograms.lh5`)).rejects.toMatchObject({
      code: "IO_RANGE_UNSUPPORTED",
    });
  });
  test("404 is IO_NOT_FOUND with the URL; a refused connection IO_FAILED", async () => {
    const url = `${server.origin}/testdata/nope.bin`;
    await expect(openHttpSource(url)).rejects.toMatchObject({ code: "IO_NOT_FOUND", path: url });
    const closed = await startStaticServer({});
    const origin = closed.origin;
    await closed.close();
    await expect(openHttpSource(`${origin}/x`)).rejects.toMatchObject({ code: "IO_FAILED" });
  });
  test("each read is one ranged request (nothing downloaded whole)", async () => {
    const s = await openHttpSource(`${server.origin}/testdata/lh5/lgdo-histograms.lh5`);
    const before = server.requests();
    await s.read(5, 10);
    await s.read(0, 0);
    expect(server.requests() - before).toBe(1);
  });
  test("a known size: opening sends nothing, the first read checks Range support and the size", async () => {
    const url = `${server.origin}/testdata/lh5/lgdo-histograms.lh5`;
    const before = server.requests();
    const s = await openHttpSource(url, { size: bytes.length });
    expect(server.requests() - before).toBe(0);
    expect(s.size).toBe(bytes.length);
    expect(await s.read(100, 50)).toEqual(bytes.subarray(100, 150));
    expect(server.requests() - before).toBe(1);
    // a server that ignores Range: refused at the first read, not downloaded
    const p = await openHttpSource(`${plain.origin}/testdata/lh5/lgdo-histograms.lh5`, { size: bytes.length });
    await expect(p.read(0, 8)).rejects.toMatchObject({
      code: "IO_RANGE_UNSUPPORTED",
      path: `${plain.origin}/testdata/lh5/lgdo-histograms.lh5`,
    });
    // a size the server contradicts (the resource changed since the listing)
    const wrong = await openHttpSource(url, { size: bytes.length + 10 });
    await expect(wrong.read(0, 8)).rejects.toMatchObject({ code: "IO_FAILED", size: bytes.length + 10 });
    await expect(openHttpSource(url, { size: -1 })).rejects.toMatchObject({ code: "IO_BAD_ARGUMENT", path: url });
    await expect(openHttpSource(url, { size: 1.5 })).rejects.toMatchObject({ code: "IO_BAD_ARGUMENT" });
  });
});

test("bytesSource.readIntoSync copies the range into caller memory; outside the bytes is IO_OUT_OF_RANGE", () => {
  const src = bytesSource(
    Uint8Array.from({ length: 64 }, (_, i) => i),
    "m.bin",
  );
  const target = new Uint8Array(8);
  src.readIntoSync?.(20, target.subarray(2, 6));
  expect(Array.from(target)).toEqual([0, 0, 20, 21, 22, 23, 0, 0]);
  expect(() => src.readIntoSync?.(62, new Uint8Array(3))).toThrowError(expect.objectContaining({ code: "IO_OUT_OF_RANGE", path: "m.bin" }));
});
