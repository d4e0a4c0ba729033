import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BROWSER_SKIP, type BrowserHarness, startBrowser } from "../../../test/support/browser.js";
import { listGroupMembers, openLh5 } from "../src/node.js";
import { lgdoJson } from "./browser/serialize.js";
import { P14_ZSTD, TESTDATA } from "./helpers.js";

const PSP = join(TESTDATA, "l200-p03-r000-phy-20230312T055349Z-tier_psp.lh5");

/** The Node read of the same table, in the same JSON form. */
async function nodeRead(path: string, table: string, columns?: string[]): Promise<string> {
  const f = await openLh5(path);
  try {
    return lgdoJson(f.readTable(table, { columns }));
  } finally {
    f.close();
  }
}

// Twice: on a plain page (Files in the worker read through WORKERFS) and on a cross-origin isolated
// page (through @daqkit/io's SharedArrayBuffer channel).
describe.skipIf(BROWSER_SKIP !== undefined).each([false, true])(
  "@daqkit/lh5 main entry in Chromium (cross-origin isolated: %s)",
  (isolated) => {
    let harness: BrowserHarness;
    beforeAll(async () => {
      const plugins = join(dirname(new URL(import.meta.resolve("h5wasm-plugins")).pathname), "plugins");
      harness = await startBrowser({
        entries: {
          "lh5-page": join(import.meta.dirname, "browser/lh5-page.ts"),
          "lh5-worker": join(import.meta.dirname, "browser/lh5-worker.ts"),
        },
        roots: { "/testdata/": TESTDATA, "/plugins/": plugins },
        crossOriginIsolated: isolated,
      });
    });
    afterAll(async () => {
      await harness?.close();
    });

    type Result = {
      fromWorker: { table?: string; root?: string[]; error?: string; channel?: string; asyncMismatches?: string[]; asyncColumns?: number };
      page: string;
      codes: string[];
      root?: string[];
      plugins: number[];
    };

    test("a File read in the page and in a Web Worker gives the values Node reads", async () => {
      const f = await openLh5(PSP);
      const table = f.listTables("")[0]!;
      f.close();
      const expected = await nodeRead(PSP, table);
      expect((JSON.parse(expected) as { nRows: number }).nRows).toBeGreaterThan(0);
      const got = await harness.run<Result>("lh5-page", { file: `/testdata/${PSP.slice(TESTDATA.length + 1)}`, table });
      expect(got.fromWorker.error).toBeUndefined();
      expect(got.page).toBe(expected);
      expect(got.fromWorker.table).toBe(expected);
      expect(got.fromWorker.channel).toBe(isolated ? "shared-channel" : "not cross-origin isolated");
      // readObjectAsync in the worker (windowed, yielding) reads every column as readObject does.
      expect(got.fromWorker.asyncColumns).toBeGreaterThan(2);
      expect(got.fromWorker.asyncMismatches).toEqual([]);
      expect(got.fromWorker.root).toEqual(listGroupMembers(PSP, ""));
      expect(got.root).toEqual(listGroupMembers(PSP, ""));
      expect(got.codes).toEqual(["LH5_UNSUPPORTED", "LH5_NOT_HDF5"]);
    });

    test("zstd-compressed columns decode through the browser plugins", async () => {
      const table = "ch1105600/raw";
      const columns = ["baseline", "timestamp", "daqenergy", "waveform_windowed"];
      const expected = await nodeRead(P14_ZSTD, table, columns);
      expect((JSON.parse(expected) as { nRows: number }).nRows).toBeGreaterThan(0);
      const got = await harness.run<Result>("lh5-page", { file: `/testdata/${P14_ZSTD.slice(TESTDATA.length + 1)}`, table, columns });
      expect(got.plugins).toContain(32015);
      expect(got.fromWorker.error).toBeUndefined();
      expect(got.page).toBe(expected);
      expect(got.fromWorker.table).toBe(expected);
    });
  },
);
