import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BROWSER_SKIP, type BrowserHarness, startBrowser } from "../../../test/support/browser.js";
import { loadH5RuntimeNode } from "../src/node.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata");
const LH5 = "lh5/l200-p03-r000-phy-20230312T055349Z-tier_psp.lh5";

/** The first 1-D numeric dataset (sorted walk), read in Node. */
function firstDataset(file: any, path = "/"): { path: string; values: number[] } | undefined {
  for (const k of [...file.get(path).keys()].sort()) {
    const p = path === "/" ? `/${k}` : `${path}/${k}`;
    const o = file.get(p);
    if (o?.type === "Dataset" && /[<>][iufd]/.test(String(o.dtype)) && o.shape?.length === 1) {
      return { path: p, values: Array.from(o.value as ArrayLike<number>, Number) };
    }
    if (o?.type === "Group") {
      const inner = firstDataset(file, p);
      if (inner) return inner;
    }
  }
  return undefined;
}

describe.skipIf(BROWSER_SKIP !== undefined)("h5wasm runtime in Chromium", () => {
  let harness: BrowserHarness;
  beforeAll(async () => {
    const plugins = join(dirname(new URL(import.meta.resolve("h5wasm-plugins")).pathname), "plugins");
    harness = await startBrowser({
      entries: {
        "h5-page": join(import.meta.dirname, "browser/h5-page.ts"),
        "h5-worker": join(import.meta.dirname, "browser/h5-worker.ts"),
      },
      roots: { "/testdata/": TESTDATA, "/plugins/": plugins },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  test("an LH5 File opened in a Web Worker through WORKERFS reads what Node reads", async () => {
    const node = await loadH5RuntimeNode();
    const opened = node.openPath(join(TESTDATA, LH5));
    const expected = firstDataset(opened.file)!;
    opened.close();
    const got = await harness.run<{
      fromWorker: { values?: number[]; plugins?: number[]; error?: string };
      mainBlob: string;
      mainValues: number[];
    }>("h5-page", { file: `/testdata/${LH5}`, path: expected.path });
    expect(got.fromWorker.error).toBeUndefined();
    expect(got.fromWorker.values).toEqual(expected.values);
    expect(got.fromWorker.plugins).toContain(32015);
    expect(got.mainBlob).toBe("IO_UNSUPPORTED");
    expect(got.mainValues).toEqual(expected.values);
  });
});
