import { statSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BROWSER_SKIP, type BrowserHarness, startBrowser } from "../../../test/support/browser.js";
import { loadH5RuntimeNode } from "../src/node.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata");
// 1.2 MB raw-tier file: 8192-sample waveforms, so one small column is a small part of the file
const LH5 = "lh5/LDQTA_r117_20200110T105115Z_cal_geds_raw.lh5";

describe.skipIf(BROWSER_SKIP !== undefined)("openH5Url: HDF5 over HTTP range requests in Chromium", () => {
  let harness: BrowserHarness;
  beforeAll(async () => {
    const plugins = join(dirname(new URL(import.meta.resolve("h5wasm-plugins")).pathname), "plugins");
    harness = await startBrowser({
      entries: {
        "h5-http-page": join(import.meta.dirname, "browser/h5-http-page.ts"),
        "h5-http-worker": join(import.meta.dirname, "browser/h5-http-worker.ts"),
      },
      roots: { "/testdata/": TESTDATA, "/plugins/": plugins },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  test("reads a dataset equal to Node's, transferring a fraction of the file; coded errors", async () => {
    const node = await loadH5RuntimeNode();
    const opened = node.openPath(join(TESTDATA, LH5));
    const path = "/geds/raw/energy";
    const expected = Array.from((opened.file.get(path) as { value: ArrayLike<number | bigint> }).value, Number);
    opened.close();
    const size = statSync(join(TESTDATA, LH5)).size;
    const got = await harness.run<{
      fromWorker: {
        values?: number[];
        size?: number;
        metadataOnly?: { requests: number; bytes: number };
        stats?: { requests: number; bytes: number };
        missing?: string;
        error?: string;
      };
      mainThread: string;
    }>("h5-http-page", { file: `/testdata/${LH5}`, path });
    expect(got.fromWorker.error).toBeUndefined();
    expect(got.fromWorker.values).toEqual(expected);
    expect(got.fromWorker.size).toBe(size);
    expect(got.fromWorker.stats!.bytes).toBeLessThan(size / 4);
    expect(got.fromWorker.stats!.requests).toBeGreaterThan(got.fromWorker.metadataOnly!.requests);
    expect(got.fromWorker.missing).toBe("IO_NOT_FOUND");
    expect(got.mainThread).toBe("IO_UNSUPPORTED");
  });
});
