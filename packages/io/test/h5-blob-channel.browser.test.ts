import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BROWSER_SKIP, type BrowserHarness, startBrowser } from "../../../test/support/browser.js";
import { loadH5RuntimeNode } from "../src/node.js";

// openH5Blob in a Web Worker: through the SharedArrayBuffer channel on a cross-origin isolated page
// (reads larger than the 4 MiB transfer area, read-ahead, two files open at once), through WORKERFS
// on a page that is not isolated; the same bytes as h5wasm in Node either way.

function fnv(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193) >>> 0;
  return h.toString(16);
}

const PATHS = ["/contig", "/chunked", "/small"];
const dir = mkdtempSync(join(tmpdir(), "daqkit-h5-channel-"));
let expected: string[] = [];

beforeAll(async () => {
  const rt = await loadH5RuntimeNode();
  const h5 = rt.h5 as unknown as {
    File: new (
      p: string,
      m: string,
    ) => { create_dataset(o: { name: string; data: ArrayBufferView; chunks?: number[] }): unknown; close(): void };
  };
  // Deterministic data: 6 MiB contiguous (one HDF5 read larger than the 4 MiB transfer area), 2 MiB
  // in 256 KiB chunks (sequential reads: read-ahead), and a small dataset.
  const contig = new Float64Array(786_432).map((_, i) => Math.sin(i) * 1e6);
  const chunked = new Float64Array(1 << 18).map((_, i) => (i * 2654435761) % 1000003);
  const small = Int32Array.from({ length: 100 }, (_, i) => i * i - 50);
  const path = join(dir, "big.h5");
  const f = new h5.File(path, "w");
  f.create_dataset({ name: "contig", data: contig });
  f.create_dataset({ name: "chunked", data: chunked, chunks: [32768] });
  f.create_dataset({ name: "small", data: small });
  f.close();
  expected = [contig, chunked, small].map((a) => fnv(new Uint8Array(a.buffer)));
  const bytes = readFileSync(path);
  writeFileSync(join(dir, "copy.h5"), bytes);
  writeFileSync(join(dir, "truncated.h5"), bytes.subarray(0, 3 << 20));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Result = { hashes?: string[][]; readPaths?: string[]; unavailable?: string | null; error?: string };

for (const isolated of [true, false]) {
  describe.skipIf(BROWSER_SKIP !== undefined)(`openH5Blob in Chromium (${isolated ? "cross-origin isolated" : "not isolated"})`, () => {
    let harness: BrowserHarness;
    beforeAll(async () => {
      const plugins = join(dirname(new URL(import.meta.resolve("h5wasm-plugins")).pathname), "plugins");
      harness = await startBrowser({
        entries: {
          "h5-channel-page": join(import.meta.dirname, "browser/h5-channel-page.ts"),
          "h5-channel-worker": join(import.meta.dirname, "browser/h5-channel-worker.ts"),
        },
        roots: { "/gen/": dir, "/plugins/": plugins },
        crossOriginIsolated: isolated,
      });
    });
    afterAll(async () => {
      await harness?.close();
    });

    test("two Files open at once, reads interleaved, give the bytes Node reads", async () => {
      const got = await harness.run<Result>("h5-channel-page", { files: ["/gen/big.h5", "/gen/copy.h5"], paths: PATHS });
      expect(got.error).toBeUndefined();
      expect(got.hashes).toEqual([expected, expected]);
      const path = isolated ? "shared-channel" : "workerfs";
      expect(got.readPaths).toEqual([path, path]);
      if (isolated) expect(got.unavailable).toBeNull();
      else expect(got.unavailable).toBe("not cross-origin isolated");
    });

    test("readPath: 'workerfs' forces WORKERFS; a truncated file is a coded error, not a hang", async () => {
      const forced = await harness.run<Result>("h5-channel-page", { files: ["/gen/big.h5"], paths: PATHS, readPath: "workerfs" });
      expect(forced.hashes).toEqual([expected]);
      expect(forced.readPaths).toEqual(["workerfs"]);
      const bad = await harness.run<Result>("h5-channel-page", { files: ["/gen/truncated.h5"], paths: PATHS });
      expect(bad.error).toMatch(/^IO_HDF5_FAILED: io: truncated\.h5: /);
    });
  });
}
