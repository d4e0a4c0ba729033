/**
 * gen2-bin in a real browser (issue 13): a night folder made by gen2_make.py (across the counter
 * wrap, with a split frame) is served by a test-local server and decoded in Chromium from the HTTP
 * listing and from the `File`s of an <input type=file>; both match the generator's manifest and
 * the Node path API.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { GEN2_WRAP_US, TimestampRange } from "@daqkit/timestamps";
import type { Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BROWSER_SKIP, type BrowserHarness, startBrowser } from "../../../test/support/browser.js";
import { BinDirectory, gen2Checksum } from "../src/node.js";
import { gen2Make, type Manifest, tempDir } from "./helpers.js";

interface PageResult {
  files: string[];
  all: { photons: number; checksum: string };
  inRange: { photons: number; checksum: string };
  firstFile: { photons: number; firstHeader: number; lastHeader: number };
  serialized: { files: number; photons: number; checksum: string; expected: string };
}

describe.skipIf(BROWSER_SKIP !== undefined)("gen2-bin in Chromium", () => {
  let tmp: ReturnType<typeof tempDir>;
  let night: string;
  let manifest: Manifest;
  let harness: BrowserHarness;
  let expectedRange: { photons: number; checksum: string };
  const range: [number, number] = [GEN2_WRAP_US - 700_000, 400_000];

  beforeAll(async () => {
    tmp = tempDir("gen2-browser-");
    night = join(tmp.path, "night");
    manifest = gen2Make(night, "--photons", "40000", "--seconds", "4", "--wrap", "--split-frame");
    // The Node reference for the time-range query: the path API with its Parquet cache.
    const dir = await BinDirectory.open(night, join(tmp.path, "cache"), { workers: 0 });
    const r = await dir.readTimerange(new TimestampRange(range[0], range[1]));
    const col = (t: Table, n: string) => t.getChild(n)!.toArray();
    expectedRange = {
      photons: r.photons.numRows + r.wide.numRows,
      checksum: gen2Checksum(
        {
          xy: col(r.photons, "xy"),
          timestamp: col(r.photons, "timestamp"),
          phase: col(r.photons, "phase"),
          baseline: col(r.photons, "baseline"),
        },
        {
          x: col(r.wide, "x"),
          y: col(r.wide, "y"),
          timestamp: col(r.wide, "timestamp"),
          phase: col(r.wide, "phase"),
          baseline: col(r.wide, "baseline"),
        },
      ),
    };
    harness = await startBrowser({
      entries: {
        gen2: join(import.meta.dirname, "browser/gen2-page.ts"),
        worker: join(import.meta.dirname, "browser/gen2-worker-page.ts"),
      },
      roots: { "/night/": night },
    });
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
    tmp?.cleanup();
  });

  function check(got: PageResult): void {
    expect(got.files).toEqual(manifest.files.map((f) => f.name));
    expect(got.all).toEqual({ photons: manifest.total_photons, checksum: manifest.checksum });
    expect(got.inRange).toEqual(expectedRange);
    expect(expectedRange.photons).toBeGreaterThan(0);
    expect(got.firstFile).toEqual({
      photons: manifest.files[0]!.photons,
      firstHeader: manifest.files[0]!.first_header_ts,
      lastHeader: manifest.files[0]!.last_header_ts,
    });
    expect(got.serialized.files).toBeGreaterThan(0);
    expect(got.serialized.photons).toBeGreaterThan(0);
    expect(got.serialized.checksum).toBe(got.serialized.expected);
  }

  test("from the HTTP listing: the manifest checksum, and the Node time-range result across the wrap", async () => {
    check(await harness.run<PageResult>("gen2", { mode: "http", path: "/night/", range }));
  });

  test("from picked Files (<input type=file multiple>): the same", async () => {
    await harness.page.evaluate(() => {
      const input = document.createElement("input");
      input.type = "file";
      input.multiple = true;
      input.id = "files";
      document.body.append(input);
    });
    const paths = readdirSync(night).map((n) => join(night, n));
    await harness.page.setInputFiles("#files", paths);
    check(await harness.run<PageResult>("gen2", { mode: "files", path: "", range }));
  });

  test("a picked File read in a Web Worker (default), in the page, and with a Worker that cannot start: the manifest's photons", async () => {
    await harness.page.evaluate(() => {
      const input = document.createElement("input");
      input.type = "file";
      input.multiple = true;
      input.id = "worker-files";
      document.body.append(input);
    });
    await harness.page.setInputFiles(
      "#worker-files",
      readdirSync(night).map((n) => join(night, n)),
    );
    const got = await harness.run<{
      inWorker: { photons: number; checksum: string }[];
      inPage: { photons: number; checksum: string }[];
      fallback: { photons: number; checksum: string }[];
      workersStarted: number;
      pageWorkersStarted: number;
      sameFirst: boolean;
      outOfRange: string;
    }>("worker", { input: "worker-files" });
    expect(got.inWorker).toHaveLength(manifest.files.length);
    expect(got.inWorker[0]!.photons).toBe(manifest.files[0]!.photons);
    expect(got.inWorker).toEqual(got.inPage);
    expect(got.fallback).toEqual(got.inPage);
    expect(got.workersStarted).toBe(manifest.files.length); // one worker per decode, ended after it
    expect(got.pageWorkersStarted).toBe(0);
    expect(got.sameFirst).toBe(true);
    expect(got.outOfRange).toBe("IO_OUT_OF_RANGE");
  });
});
