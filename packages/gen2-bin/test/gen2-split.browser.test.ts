/**
 * The split decode of a `File` across Web Workers in a cross-origin-isolated page (issue 13): served
 * with COOP/COEP, each picked `File` of a gen2_make.py night (across the counter wrap, split frames) is
 * decoded in parts on two module workers into SharedArrayBuffer columns and in one thread; the results
 * (rows, checksum, stats, last header, board column, wide photons) and the coded errors must be the
 * same, and a worker that cannot start must give the one-thread result.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BROWSER_SKIP, type BrowserHarness, startBrowser } from "../../../test/support/browser.js";
import { gen2Make, type Manifest, tempDir } from "./helpers.js";

interface Outcome {
  photons?: number;
  checksum?: string;
  board?: string;
  stats?: { photons: number; trailingBytes: number; orphanWords: number; widePhotons: number };
  lastHeader?: unknown;
  wide?: number;
  shared?: boolean;
  error?: { code?: string; byteOffset?: number; message: string };
}
type Pair = { split: Outcome; one: Outcome };

describe.skipIf(BROWSER_SKIP !== undefined)("gen2-bin split decode on Web Workers (cross-origin-isolated Chromium)", () => {
  let tmp: ReturnType<typeof tempDir>;
  let night: string;
  let manifest: Manifest;
  let harness: BrowserHarness;

  beforeAll(async () => {
    tmp = tempDir("gen2-split-browser-");
    night = join(tmp.path, "night");
    manifest = gen2Make(night, "--photons", "40000", "--seconds", "4", "--wrap", "--split-frame");
    harness = await startBrowser({
      entries: {
        split: join(import.meta.dirname, "browser/gen2-split-page.ts"),
        // what `new URL("./web-split-worker.js", import.meta.url)` finds beside the page's bundle
        "web-split-worker": join(import.meta.dirname, "../src/web-split-worker.ts"),
      },
      crossOriginIsolated: true,
    });
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
    tmp?.cleanup();
  });

  test("the split result is the one-thread result; errors and fallbacks", async () => {
    await harness.page.evaluate(() => {
      const input = document.createElement("input");
      input.type = "file";
      input.multiple = true;
      input.id = "files";
      document.body.append(input);
    });
    await harness.page.setInputFiles(
      "#files",
      readdirSync(night).map((n) => join(night, n)),
    );
    const got = await harness.run<{
      isolated: boolean;
      splitWorkersStarted: number;
      perFile: { name: string; plain: Pair; timed: Pair }[];
      partialError: Pair;
      partialAllowed: Pair;
      noHeader: Pair;
      missingScript: Outcome;
      blocked: Outcome;
      reference: Outcome;
      aborted: Outcome;
    }>("split", { input: "files" });
    expect(got.isolated).toBe(true);
    expect(got.perFile.map((f) => f.name)).toEqual(manifest.files.map((f) => f.name));
    got.perFile.forEach((f, i) => {
      for (const pair of [f.plain, f.timed]) {
        expect(pair.split.error).toBeUndefined();
        expect(pair.split.shared).toBe(true); // really split
        expect(pair.one.shared).toBe(false);
        expect({ ...pair.split, shared: null }).toEqual({ ...pair.one, shared: null });
      }
      expect(f.timed.split.photons).toBe(manifest.files[i]!.photons); // with the previous file's last header
      expect(f.timed.split.board).not.toBe("none");
    });
    // two parts, one module worker each, started for the first decode and kept for the others
    expect(got.splitWorkersStarted).toBe(2);
    // the split frames: files after the first start with words timed by the previous file's header
    expect(got.perFile.slice(1).some((f) => f.plain.split.stats!.orphanWords > 0)).toBe(true);
    expect(got.perFile.every((f) => f.timed.split.stats!.orphanWords === 0)).toBe(true);
    expect(got.partialError.split.error).toMatchObject({ code: "GEN2_PARTIAL_WORD" });
    expect(got.partialError.split).toEqual(got.partialError.one);
    expect(got.partialAllowed.split.stats!.trailingBytes).toBe(3);
    expect(got.partialAllowed.split.shared).toBe(true);
    expect({ ...got.partialAllowed.split, shared: null }).toEqual({ ...got.partialAllowed.one, shared: null });
    expect(got.noHeader.split.error).toMatchObject({ code: "GEN2_NO_HEADER", byteOffset: 0 });
    expect(got.noHeader.split).toEqual(got.noHeader.one);
    for (const fallback of [got.missingScript, got.blocked]) {
      expect(fallback.shared).toBe(false);
      expect(fallback).toEqual(got.reference);
    }
    expect(got.aborted.error?.message).toBe("stop");
  }, 120_000);
});
