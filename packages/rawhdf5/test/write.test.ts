import { existsSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { fromRawfile, lenRawfile, openRawfileWriter, RawHdf5Error, toRawfile } from "../src/node.js";
import { loadH5 } from "../src/h5/node-runtime.js";
import { copyPythonFile, EXPECTED, fromHex, hex, randomMessages, sha256, tempDir } from "./helpers.js";

let dir: string;
let cleanup: () => void;
beforeEach(() => {
  ({ dir, cleanup } = tempDir());
});
afterEach(() => cleanup());

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) return undefined;
  if (!RawHdf5Error.isInstance(error)) throw error;
  return error.code;
}

describe("toRawfile", () => {
  test("creates a file, appends, and reads back exactly", async () => {
    const path = join(dir, "new.h5");
    const a = randomMessages(1500, 3);
    const b = [new Uint8Array(0), ...randomMessages(10, 4)];
    const t0 = Date.now() / 1000;
    expect(await toRawfile(path, { msgs: a, msgHeaders: { io_groups: a.map((_, i) => (i % 2) + 1) }, ioVersion: "0.3" })).toEqual({
      length: 1500,
      created: true,
    });
    expect(await toRawfile(path, { msgs: b })).toEqual({ length: 1511, created: false });
    const data = await fromRawfile(path);
    expect(data.msgs!.map(hex)).toEqual([...a, ...b].map(hex));
    expect(Array.from(data.msgHeaders.io_groups)).toEqual([...a.map((_, i) => (i % 2) + 1), ...b.map(() => 0)]);
    expect(data.version).toBe("0.0");
    expect(data.ioVersion).toBe("0.3");
    expect(data.created).toBeGreaterThanOrEqual(t0 - 1);
    expect(data.modified).toBeGreaterThanOrEqual(data.created);
    expect(Number.isInteger(data.created)).toBe(false); // float64, not guessed int32
    expect(readdirSync(dir)).toEqual(["new.h5"]); // no temporary files left
  });

  test("msgs omitted only updates modified; empty file readable", async () => {
    const path = join(dir, "empty.h5");
    await toRawfile(path, { version: "0.0" });
    const first = await fromRawfile(path);
    expect(first.length).toBe(0);
    expect(first.ioVersion).toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    await toRawfile(path, { msgs: null, msgHeaders: { io_groups: [1] } });
    const second = await fromRawfile(path);
    expect(second.length).toBe(0);
    expect(second.modified).toBeGreaterThan(first.modified);
    expect(second.created).toBe(first.created);
    expect(await toRawfile(path, { msgs: [] })).toEqual({ length: 0, created: false });
  });

  test.each(["raw_v0_0_two_iogroups.h5", "raw_v0_0_two_appends.h5", "raw_v0_0_empty.h5"])(
    "appends to the Python-written %s",
    async (name) => {
      const path = copyPythonFile(name, dir);
      const expected = EXPECTED[name]!;
      const extra = [fromHex("44c9f15365000000"), new Uint8Array(0), ...randomMessages(3)];
      await toRawfile(path, { msgs: extra, msgHeaders: { io_groups: [9, 8, 7, 6, 5] }, version: "0.0" });
      const data = await fromRawfile(path);
      expect(data.msgs!.map(hex)).toEqual([...expected.msgs_hex, ...extra.map(hex)]);
      expect(Array.from(data.msgHeaders.io_groups)).toEqual([...expected.io_groups, 9, 8, 7, 6, 5]);
      expect(data.created).toBe(expected.meta.created);
      expect(data.modified).toBeGreaterThan(expected.meta.modified);
      expect(data.ioVersion).toBe(expected.meta.io_version);
    },
  );

  describe("write version matrix (spec §5), file untouched on rejection", () => {
    test.each([
      ["new file, version 0.1", null, { version: "0.1" }, "RAWHDF5_UNSUPPORTED_VERSION"],
      ["new file, version 1.0", null, { version: "1.0" }, "RAWHDF5_UNSUPPORTED_VERSION"],
      ["new file, bad version text", null, { version: "v0" }, "RAWHDF5_BAD_VERSION"],
      ["existing 0.0, version 0.1", "0.0", { version: "0.1" }, "RAWHDF5_VERSION_MISMATCH"],
      ["existing 0.0, version 1.0", "0.0", { version: "1.0" }, "RAWHDF5_VERSION_MISMATCH"],
      ["io 0.0, io 0.1", "0.0", { ioVersion: "0.1" }, "RAWHDF5_IO_VERSION_MISMATCH"],
      ["io 0.0, io 1.0", "0.0", { ioVersion: "1.0" }, "RAWHDF5_IO_VERSION_MISMATCH"],
      ["io 0.9, io 0.10", "0.9", { ioVersion: "0.10" }, "RAWHDF5_IO_VERSION_MISMATCH"],
      ["no io, io 0.0", "none", { ioVersion: "0.0" }, "RAWHDF5_IO_VERSION_MISMATCH"],
      ["io 0.10, io 0.9", "0.10", { ioVersion: "0.9" }, undefined],
      ["io 1.2, io 1.1", "1.2", { ioVersion: "1.1" }, undefined],
      ["existing 0.0, version 0.0", "0.0", { version: "0.0" }, undefined],
      ["io 0.0, io 0.0", "0.0", { ioVersion: "0.0" }, undefined],
    ] as const)("%s", async (_label, fileIo, request, code) => {
      const path = join(dir, "m.h5");
      if (fileIo !== null) await toRawfile(path, { msgs: [new Uint8Array([1])], ioVersion: fileIo === "none" ? null : fileIo });
      const before = existsSync(path) ? sha256(path) : null;
      const result = await codeOf(toRawfile(path, { ...request, msgs: [new Uint8Array([2, 3])] }));
      expect(result).toBe(code);
      if (code !== undefined) {
        expect(existsSync(path) ? sha256(path) : null).toBe(before);
        expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
      } else {
        expect(await lenRawfile(path)).toBe(2);
      }
    });
    test("an io_version is never added to an existing file", async () => {
      const path = join(dir, "noio.h5");
      await toRawfile(path, {});
      await toRawfile(path, { msgs: [] });
      expect((await fromRawfile(path)).ioVersion).toBeNull();
    });
  });

  describe("bad input: coded error, file untouched", () => {
    test.each([
      ["a string message", { msgs: ["abc"] }, "RAWHDF5_BAD_MESSAGE_TYPE"],
      ["a number message", { msgs: [new Uint8Array(1), 5] }, "RAWHDF5_BAD_MESSAGE_TYPE"],
      ["headers too short", { msgs: [new Uint8Array(1), new Uint8Array(2)], msgHeaders: { io_groups: [1] } }, "RAWHDF5_HEADER_LENGTH"],
      ["headers too long", { msgs: [new Uint8Array(1)], msgHeaders: { io_groups: [1, 2] } }, "RAWHDF5_HEADER_LENGTH"],
      ["unknown header key", { msgs: [new Uint8Array(1)], msgHeaders: { io_group: [1] } }, "RAWHDF5_UNKNOWN_HEADER_KEY"],
      ["io_group 256", { msgs: [new Uint8Array(1)], msgHeaders: { io_groups: [256] } }, "RAWHDF5_HEADER_VALUE"],
      ["io_group -1", { msgs: [new Uint8Array(1)], msgHeaders: { io_groups: [-1] } }, "RAWHDF5_HEADER_VALUE"],
      ["io_group 1.5", { msgs: [new Uint8Array(1)], msgHeaders: { io_groups: [1.5] } }, "RAWHDF5_HEADER_VALUE"],
    ])("%s", async (_label, options, code) => {
      const existing = copyPythonFile("raw_v0_0_two_iogroups.h5", dir);
      const before = sha256(existing);
      expect(await codeOf(toRawfile(existing, options as never))).toBe(code);
      expect(sha256(existing)).toBe(before);
      const fresh = join(dir, "fresh.h5");
      expect(await codeOf(toRawfile(fresh, options as never))).toBe(code);
      expect(existsSync(fresh)).toBe(false);
    });

    test("empty msg_headers means all zeros (upstream left empty rows)", async () => {
      const path = join(dir, "z.h5");
      await toRawfile(path, { msgs: [new Uint8Array([1]), new Uint8Array([2])], msgHeaders: {} });
      expect(Array.from((await fromRawfile(path)).msgHeaders.io_groups)).toEqual([0, 0]);
    });

    test("a non-raw HDF5 file", async () => {
      const path = join(dir, "other.h5");
      const rt = await loadH5();
      const f = new rt.h5.File(path, "w");
      f.create_dataset({ name: "x", data: new Float64Array([1, 2]) });
      f.close();
      const before = sha256(path);
      expect(await codeOf(toRawfile(path, { msgs: [new Uint8Array(1)] }))).toBe("RAWHDF5_NOT_RAWFILE");
      expect(await codeOf(fromRawfile(path, { reattempts: 3 }))).toBe("RAWHDF5_NOT_RAWFILE");
      expect(sha256(path)).toBe(before);
    });

    test("not an HDF5 file at all", async () => {
      const path = join(dir, "text.h5");
      writeFileSync(path, "hello, not hdf5\n");
      expect(await codeOf(toRawfile(path, { msgs: [new Uint8Array(1)] }))).toBe("RAWHDF5_NOT_RAWFILE");
      expect(await codeOf(lenRawfile(path))).toBe("RAWHDF5_NOT_RAWFILE");
      expect(readFileSync(path, "utf8")).toBe("hello, not hdf5\n");
    });

    test("an empty file (a writer creating it?) is retried, then RAWHDF5_NOT_RAWFILE", async () => {
      const path = join(dir, "empty-bytes.h5");
      writeFileSync(path, "");
      expect(await codeOf(lenRawfile(path, { reattempts: 3 }))).toBe("RAWHDF5_NOT_RAWFILE");
    });

    test("a truncated file", async () => {
      const path = copyPythonFile("raw_v0_0_two_iogroups.h5", dir);
      truncateSync(path, 3000);
      const before = sha256(path);
      expect(await codeOf(toRawfile(path, { msgs: [new Uint8Array(1)] }))).toBe("RAWHDF5_TRUNCATED");
      // Regression: a file cut before its stored end-of-file address is refused (it used to read as 0 messages).
      expect(await codeOf(fromRawfile(path))).toBe("RAWHDF5_TRUNCATED");
      const error = await fromRawfile(path).catch((e: unknown) => e);
      expect(error).toMatchObject({ eofAddress: 10337, fileSize: 3000 });
      expect(sha256(path)).toBe(before);
    });
  });
});

describe("RawfileWriter", () => {
  test("appends batches to a live file and validates each batch first", async () => {
    const path = join(dir, "live.h5");
    const writer = await openRawfileWriter(path, { ioVersion: "0.0" });
    try {
      writer.append(randomMessages(5), { io_groups: [1, 2, 1, 2, 1] });
      expect(await lenRawfile(path)).toBe(5);
      expect(() => writer.append([new Uint8Array(1)], { io_groups: [1, 2] })).toThrow(
        expect.objectContaining({ code: "RAWHDF5_HEADER_LENGTH" }),
      );
      expect(writer.append(randomMessages(7, 9))).toBe(12);
      const data = await fromRawfile(path, { start: 5 });
      expect(data.msgs!.map(hex)).toEqual(randomMessages(7, 9).map(hex));
    } finally {
      writer.close();
    }
    expect(await lenRawfile(path)).toBe(12);
  });
});

describe("synchronisation of msgs and msg_headers (spec §4.3)", () => {
  async function unsynchronisedFile(): Promise<string> {
    const path = join(dir, "unsync.h5");
    await toRawfile(path, { msgs: randomMessages(4), msgHeaders: { io_groups: [1, 2, 3, 4] } });
    const rt = await loadH5();
    const f = new rt.h5.File(path, "a");
    try {
      // A writer caught between the two resizes: msg_headers is one row behind.
      expect(rt.module.resize_dataset(f.file_id, "/msg_headers", [3n])).toBeGreaterThanOrEqual(0);
    } finally {
      f.close();
    }
    return path;
  }

  test("bounded attempts give RAWHDF5_UNSYNCHRONIZED, 0 attempts read the common rows, negative attempts time out", async () => {
    const path = await unsynchronisedFile();
    expect(await codeOf(lenRawfile(path))).toBe("RAWHDF5_UNSYNCHRONIZED");
    expect(await codeOf(fromRawfile(path, { attempts: 3 }))).toBe("RAWHDF5_UNSYNCHRONIZED");
    const data = await fromRawfile(path, { attempts: 0 });
    expect(data.length).toBe(3);
    expect(Array.from(data.msgHeaders.io_groups)).toEqual([1, 2, 3]);
    expect(await codeOf(lenRawfile(path, { attempts: -1, maxWaitMs: 150 }))).toBe("RAWHDF5_TIMEOUT");
  });

  test("appending to a damaged file is refused and leaves it unchanged", async () => {
    const path = await unsynchronisedFile();
    const before = sha256(path);
    expect(await codeOf(toRawfile(path, { msgs: [new Uint8Array(1)] }))).toBe("RAWHDF5_DAMAGED");
    expect(sha256(path)).toBe(before);
  });
});
