import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { fromRawfile, lenRawfile, readRawfileInfo, readRawfilePackets, RawHdf5Error } from "../src/node.js";
import { EXPECTED, hex, PYTHON_FILES, TESTDATA } from "./helpers.js";

describe.each(PYTHON_FILES)("Python-written %s", (name) => {
  const path = join(TESTDATA, name);
  const expected = EXPECTED[name]!;

  test("reads every message, header and attribute exactly", async () => {
    const data = await fromRawfile(path);
    expect(data.version).toBe(expected.meta.version);
    expect(data.ioVersion).toBe(expected.meta.io_version);
    expect(data.created).toBe(expected.meta.created);
    expect(data.modified).toBe(expected.meta.modified);
    expect(data.length).toBe(expected.len);
    expect(data.msgs!.map(hex)).toEqual(expected.msgs_hex);
    expect(Array.from(data.msgHeaders.io_groups)).toEqual(expected.io_groups);
    expect(await lenRawfile(path)).toBe(expected.len);
    const info = await readRawfileInfo(path);
    expect(info).toMatchObject({ version: expected.meta.version, ioVersion: expected.meta.io_version, length: expected.len });
  });

  test("slices follow Python rules (negative, clamped, empty)", async () => {
    const n = expected.len;
    const cases: Array<[number | null, number | null]> = [
      [-2, null],
      [1, -1],
      [null, 2],
      [-100, 100],
      [3, 1],
      [1.9, 3.7],
    ];
    for (const [start, end] of cases) {
      const data = await fromRawfile(path, { start, end });
      const s = start == null ? 0 : Math.trunc(start) < 0 ? Math.max(0, n + Math.trunc(start)) : Math.min(n, Math.trunc(start));
      const e = end == null ? n : Math.trunc(end) < 0 ? Math.max(0, n + Math.trunc(end)) : Math.min(n, Math.trunc(end));
      expect(data.msgs!.map(hex)).toEqual(expected.msgs_hex.slice(s, Math.max(s, e)));
      expect(Array.from(data.msgHeaders.io_groups)).toEqual(expected.io_groups.slice(s, Math.max(s, e)));
    }
  });

  test("mask selection and headers-only", async () => {
    const n = expected.len;
    const mask = Array.from({ length: n }, (_, i) => i % 3 !== 1);
    const data = await fromRawfile(path, { mask });
    expect(data.msgs!.map(hex)).toEqual(expected.msgs_hex.filter((_, i) => mask[i]));
    expect(Array.from(data.rows)).toEqual(mask.flatMap((m, i) => (m ? [i] : [])));
    const headers = await fromRawfile(path, { msgHeadersOnly: true });
    expect(headers.msgs).toBeNull();
    expect(Array.from(headers.msgHeaders.io_groups)).toEqual(expected.io_groups);
    await expect(fromRawfile(path, { mask: [...mask, true] })).rejects.toMatchObject({ code: "RAWHDF5_BAD_SELECTION" });
  });

  test.runIf(expected.packets !== undefined)("converts to the expected packet rows", async () => {
    const cols = await readRawfilePackets(path, { blockMessages: 3 });
    const fields = expected.packets!.fields;
    const rows = Array.from({ length: cols.length }, (_, i) =>
      fields.map((f) => Number((cols as unknown as Record<string, ArrayLike<number | bigint>>)[f]![i])),
    );
    expect(rows).toEqual(expected.packets!.rows);
  });
});

describe("read version matrix (spec §5)", () => {
  const withIo = join(TESTDATA, "raw_v0_0_two_iogroups.h5");
  const noIo = join(TESTDATA, "raw_v0_0_two_appends.h5");
  test.each([
    [withIo, { version: "0.0" }, "0.0", "0.0"],
    [withIo, { ioVersion: "0.0" }, "0.0", "0.0"],
    [noIo, { ioVersion: "7.3" }, "0.0", null],
  ] as const)("accepts %s %j", async (path, request, version, io) => {
    const data = await fromRawfile(path, { ...request, msgHeadersOnly: true });
    expect(data.version).toBe(version);
    expect(data.ioVersion).toBe(io);
  });
  test.each([
    [{ version: "0.1" }, "RAWHDF5_VERSION_MISMATCH"],
    [{ version: "1.0" }, "RAWHDF5_VERSION_MISMATCH"],
    [{ ioVersion: "0.1" }, "RAWHDF5_IO_VERSION_MISMATCH"],
    [{ ioVersion: "1.0" }, "RAWHDF5_IO_VERSION_MISMATCH"],
    [{ version: "zero" }, "RAWHDF5_BAD_VERSION"],
  ] as const)("rejects %j", async (request, code) => {
    const error = await fromRawfile(withIo, request).catch((e: unknown) => e);
    expect(RawHdf5Error.isInstance(error)).toBe(true);
    expect((error as RawHdf5Error).code).toBe(code);
  });
  test("missing file is RAWHDF5_NOT_FOUND", async () => {
    await expect(lenRawfile(join(TESTDATA, "nope.h5"))).rejects.toMatchObject({ code: "RAWHDF5_NOT_FOUND" });
  });
});
