import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadH5, withQuietHdf5 } from "../src/h5/node-runtime.js";
import { lookup3 } from "@daqkit/io";
import { closeQuietly, createRawLayout, openH5, WRITE_LIBVER } from "../src/h5/raw-layout.js";
import { copyElements, createVlenStringPlaceholder, patchVlenStringHeader, readVlenU8Rows, writeVlenU8Rows } from "../src/h5/vlen-u8.js";
import { PYTHON_FILES, TESTDATA, tempDir } from "./helpers.js";

/** Every version-2 object header chunk 0 in a file: [offset, chunkEnd]. */
function objectHeaders(bytes: Uint8Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i + 8 < bytes.length; i++) {
    if (bytes[i] !== 0x4f || bytes[i + 1] !== 0x48 || bytes[i + 2] !== 0x44 || bytes[i + 3] !== 0x52 || bytes[i + 4] !== 2) continue;
    const flags = bytes[i + 5]!;
    let pos = i + 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
    const sizeBytes = 1 << (flags & 3);
    const size = sizeBytes === 1 ? view.getUint8(pos) : sizeBytes === 2 ? view.getUint16(pos, true) : view.getUint32(pos, true);
    pos += sizeBytes;
    out.push([i, pos + size]);
  }
  return out;
}

describe("lookup3", () => {
  test("test vectors", () => {
    expect(lookup3(new Uint8Array(0))).toBe(0xdeadbeef);
    expect(lookup3(new TextEncoder().encode("Four score and seven years ago"))).toBe(0x17770551);
  });
  test.each(PYTHON_FILES)("every OHDR chunk of %s checks out", (name) => {
    const bytes = new Uint8Array(readFileSync(join(TESTDATA, name)));
    const headers = objectHeaders(bytes);
    expect(headers.length).toBeGreaterThanOrEqual(3);
    for (const [start, end] of headers) {
      expect(lookup3(bytes.subarray(start, end))).toBe(new DataView(bytes.buffer).getUint32(end, true));
    }
  });
});

describe("VLEN uint8 dataset on h5wasm (spec §8.3-8.5)", () => {
  test("placeholder header is patched from VLEN string to VLEN sequence; bad bytes are refused", async () => {
    const rt = await loadH5();
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, "p.h5");
      const address = withQuietHdf5(rt, (scope) => {
        const o = openH5(rt, scope, path, "w", WRITE_LIBVER);
        if (!o.ok) throw new Error(o.diagnostic);
        try {
          return createVlenStringPlaceholder(rt, o.file.file_id, "/msgs");
        } finally {
          closeQuietly(o.file);
        }
      });
      const file = new Uint8Array(readFileSync(path));
      const header = file.slice(address, address + 4096);
      const pristine = header.slice();
      const patch = patchVlenStringHeader(header, address);
      const body = patch.bodyOffset - address;
      expect(pristine[body]! & 0x0f).toBe(9);
      expect(pristine[body + 1]! & 0x0f).toBe(1);
      expect(header[body + 1]).toBe(0);
      expect(header[body + 2]).toBe(0);
      expect(lookup3(header.subarray(0, patch.chunkEnd - 4))).toBe(new DataView(header.buffer).getUint32(patch.chunkEnd - 4, true));
      // Already patched: no longer a VLEN string.
      expect(() => patchVlenStringHeader(header.slice(), address)).toThrow(expect.objectContaining({ code: "RAWHDF5_PATCH_FAILED" }));
      // Corrupted checksum.
      const corrupt = pristine.slice();
      corrupt[body + 4] = 17;
      expect(() => patchVlenStringHeader(corrupt, address)).toThrow(/checksum mismatch/);
      // Not an object header.
      expect(() => patchVlenStringHeader(new Uint8Array(64), 0)).toThrow(expect.objectContaining({ code: "RAWHDF5_PATCH_FAILED" }));
    } finally {
      cleanup();
    }
  });

  test("rows round-trip, including empty messages, and the dataset reads as VLEN u8", async () => {
    const rt = await loadH5();
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, "r.h5");
      const msgs = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(7), new Uint8Array([255])];
      const got = withQuietHdf5(rt, (scope) => {
        createRawLayout(rt, scope, path, { version: "0.0", ioVersion: null, nowSeconds: 1 });
        const o = openH5(rt, scope, path, "a", WRITE_LIBVER);
        if (!o.ok) throw new Error(o.diagnostic);
        try {
          expect(rt.module.resize_dataset(o.file.file_id, "/msgs", [4n])).toBeGreaterThanOrEqual(0);
          expect(writeVlenU8Rows(rt, o.file.file_id, "/msgs", 0, msgs)).toBeGreaterThanOrEqual(0);
          const meta = rt.module.get_dataset_metadata(o.file.file_id, "/msgs");
          expect(meta.type).toBe(9);
          expect(meta.vlen_type).toMatchObject({ type: 0, size: 1, signed: false });
          expect(readVlenU8Rows(rt, o.file.file_id, "/msgs", 10, 2)).toBeNull(); // out of range: statused failure, no abort
          return readVlenU8Rows(rt, o.file.file_id, "/msgs", 1, 3);
        } finally {
          closeQuietly(o.file);
        }
      });
      expect(got).not.toBeNull();
      expect(Array.from(got!.offsets)).toEqual([0, 0, 300, 301]);
      expect(got!.bytes.subarray(0, 300).every((b) => b === 7)).toBe(true);
      expect(got!.bytes[300]).toBe(255);
    } finally {
      cleanup();
    }
  });
});

describe("copyElements (packing hvl_t elements out of the heap)", () => {
  const heap = new Uint8Array(1 << 16).map((_, i) => i & 0xff);
  const expectPacked = (pairs: Array<[number, number]>): void => {
    const hvl = new Uint32Array(pairs.flat());
    const total = pairs.reduce((t, [n]) => t + n, 0);
    const expected = new Uint8Array(pairs.flatMap(([n, p]) => Array.from(heap.subarray(p, p + n))));
    expect(Array.from(copyElements(heap, hvl, pairs.length, total))).toEqual(Array.from(expected));
  };
  test("ascending elements with gaps (region copy + compaction)", () =>
    expectPacked([
      [3, 100],
      [0, 0],
      [5, 112],
      [1, 130],
    ]));
  test("descending elements (fallback)", () =>
    expectPacked([
      [4, 500],
      [4, 100],
      [2, 300],
    ]));
  test("overlapping / far apart elements (fallback)", () =>
    expectPacked([
      [2, 10],
      [2, 60000],
    ]));
  test("only empty elements", () =>
    expectPacked([
      [0, 0],
      [0, 0],
    ]));
});

test("objectHeaderChunk0Bytes: the declared extent of chunk 0 of every OHDR in the test data ends at a valid checksum", async () => {
  const { objectHeaderChunk0Bytes } = await import("../src/h5/vlen-u8.js");
  const { lookup3 } = await import("@daqkit/io");
  const { readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const bytes = new Uint8Array(readFileSync(join(import.meta.dirname, "../../../../shared/testdata/rawhdf5/raw_v0_0_two_iogroups.h5")));
  let seen = 0;
  for (let at = Buffer.from(bytes).indexOf("OHDR"); at >= 0; at = Buffer.from(bytes).indexOf("OHDR", at + 1)) {
    const n = objectHeaderChunk0Bytes(bytes.subarray(at))!;
    const view = new DataView(bytes.buffer, at + n - 4, 4);
    expect(lookup3(bytes.subarray(at, at + n - 4))).toBe(view.getUint32(0, true));
    expect(objectHeaderChunk0Bytes(bytes.subarray(at, at + 6))).toBeNull();
    seen++;
  }
  expect(seen).toBe(4);
});
