import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BROWSER_SKIP, type BrowserHarness, startBrowser } from "../../../test/support/browser.js";
import { compressChunk, DataDirectory } from "../src/node.js";
import { digestRead, fnv } from "./browser/digest.js";
import { STRAX } from "./helpers.js";
import type { PageArg } from "./browser/runs-page.js";

/** Runs, superruns (stored and assembled from subruns, with ranges) and every compressor. */
const STORES: { store: string; reads: PageArg["reads"] }[] = [
  {
    store: "v2/main",
    reads: [
      { runId: "0", dataType: "records" },
      { runId: "1", dataType: "peaks" },
      { runId: "_superrun_test", dataType: "peaks" },
      { runId: "_superrun_test", dataType: "peaks", fromSubruns: true },
      { runId: "_superrun_test", dataType: "records" },
      { runId: "_superrun_ranges", dataType: "records" },
    ],
  },
  { store: "v1/main", reads: [{ runId: "_superrun_test", dataType: "records" }] },
  // bz2 is read in Node only (seek-bzip needs Node's Buffer).
  ...["zstd", "lz4"].map((c) => ({ store: `v2/compressors/${c}`, reads: [{ runId: "0", dataType: "records" }] })),
];

describe.skipIf(BROWSER_SKIP !== undefined)("strax runs and superruns in Chromium", () => {
  let harness: BrowserHarness;
  let scratch: string;
  /** A Blosc chunk large enough for the worker path (≥ 256 KiB compressed). */
  let raw: Uint8Array;
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "daqkit-runs-browser-"));
    raw = new Uint8Array(3 << 20);
    let x = 12345;
    for (let i = 0; i < raw.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      raw[i] = i % 7 === 0 ? x >>> 24 : (i >> 10) & 0xff;
    }
    await writeFile(join(scratch, "chunk.blosc"), await compressChunk("blosc", raw));
    harness = await startBrowser({
      entries: { runs: join(import.meta.dirname, "browser/runs-page.ts") },
      roots: { "/strax/": STRAX, "/scratch/": scratch },
    });
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test.each(STORES)(
    "$store: the page reads what Node reads (HTTP listing, picked files, FileSystemDirectoryHandle)",
    async ({ store, reads }) => {
      const dir = new DataDirectory(join(STRAX, store));
      const expected = [];
      for (const r of reads) expected.push(await digestRead(dir, r.runId, r.dataType, { fromSubruns: r.fromSubruns ?? false }));
      expect(expected.every((d) => d.rows > 0)).toBe(true);
      const arg: PageArg = {
        store: `/strax/${store}/`,
        reads,
        bz2Store: "/strax/v2/compressors/bz2/",
        chunk: { url: "/scratch/chunk.blosc", nbytes: raw.length },
      };
      const got = await harness.run<{
        viaHttp: unknown[];
        viaFiles: unknown[];
        viaHandle: unknown[];
        missing: string;
        bz2: string;
        poolMode: string;
        decoded: { size: number; hash: string };
      }>("runs", arg);
      expect(got.viaHttp).toEqual(expected);
      expect(got.viaFiles).toEqual(expected);
      expect(got.viaHandle).toEqual(expected);
      expect(got.missing).toBe("RUNS_RUN_DOC_NOT_FOUND");
      // bz2 needs Node's Buffer (seek-bzip): a coded error in a browser, never garbage.
      expect(got.bz2).toBe("RUNS_UNKNOWN_COMPRESSOR");
      // A large Blosc chunk decoded on Web Workers (no pool on a one-core machine: decoded in the page).
      expect(got.decoded).toEqual({ size: raw.length, hash: fnv(raw) });
      expect(got.poolMode).toBe(availableParallelism() >= 2 ? "workers" : "none");
    },
  );
});
