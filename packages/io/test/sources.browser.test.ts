import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BROWSER_SKIP, type BrowserHarness, startBrowser } from "../../../test/support/browser.js";
import { bytesSource, readAll } from "../src/index.js";
import { openDirectorySource } from "../src/node.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata");
const PATH = "/testdata/lh5/lgdo-histograms.lh5";

describe.skipIf(BROWSER_SKIP !== undefined)("byte sources in Chromium", () => {
  let harness: BrowserHarness;
  beforeAll(async () => {
    harness = await startBrowser({
      entries: { sources: join(import.meta.dirname, "browser/sources.ts") },
      roots: { "/testdata/": TESTDATA },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  test("File/Blob, HTTP Range and bytes sources read what Node reads", async () => {
    const bytes = new Uint8Array(readFileSync(join(TESTDATA, "lh5/lgdo-histograms.lh5")));
    const node = bytesSource(bytes);
    const ranges: number[][] = [];
    for (const [o, l] of [
      [0, 8],
      [1000, 333],
      [4096, 4096],
    ] as const)
      ranges.push([...(await node.read(o, l))]);
    ranges.push([...bytes.subarray(bytes.length - 7)]);
    let sum = 0;
    for (const b of await readAll(node)) sum = (sum + b) % 1_000_000_007;
    const expected = { size: bytes.length, ranges, sum };

    const got = await harness.run<Record<string, unknown>>("sources", { path: PATH });
    expect(got.file).toEqual(expected);
    expect(got.http).toEqual(expected);
    expect(got.bytes).toEqual(expected);
    expect(got.outOfRange).toBe("IO_OUT_OF_RANGE");
    expect(got.picked).toEqual(["lgdo-histograms.lh5"]);
    const local = await (await openDirectorySource(join(TESTDATA, "gen2-bin"))).list();
    expect(got.listed).toEqual(local.map((e) => `${e.kind}:${e.path}:${e.size}`));
  });
});
