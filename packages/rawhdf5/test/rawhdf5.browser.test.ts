import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BROWSER_SKIP, type BrowserHarness, startBrowser } from "../../../test/support/browser.js";
import { fromRawfile, lenRawfile, PACKET_FIELDS, readRawfileInfo, readRawfilePackets } from "../src/node.js";
import { hex, PYTHON_FILES, TESTDATA } from "./helpers.js";

interface PageFile {
  info: { version: string; ioVersion: string | null; created: number; modified: number; length: number };
  length: number;
  msgs: string[];
  ioGroups: number[];
  tail: string[];
  packets: string[][];
}

describe.skipIf(BROWSER_SKIP !== undefined)("rawhdf5 in Chromium", () => {
  let harness: BrowserHarness;
  beforeAll(async () => {
    harness = await startBrowser({
      entries: {
        "rawhdf5-page": join(import.meta.dirname, "browser/rawhdf5-page.ts"),
        "rawhdf5-worker": join(import.meta.dirname, "browser/rawhdf5-worker.ts"),
      },
      roots: { "/testdata/": TESTDATA },
    });
  }, 120_000);
  afterAll(async () => {
    await harness?.close();
  });

  test("LArPix raw files given as File objects read in the page exactly as Node reads them by path; writes to bytes read back; a Web Worker reads a File without copying it", async () => {
    const got = await harness.run<{
      files: Record<string, PageFile>;
      written: { size: number; msgs: string[]; ioGroups: number[]; ioVersion: string | null };
      packetFileSize: number;
      packetFileSignature: string;
      pathError: string;
      fromWorker: { msgs?: string[]; ioGroups?: number[]; packets?: string[][]; error?: string };
    }>("rawhdf5-page", { files: PYTHON_FILES.map((f) => `/testdata/${f}`) });
    for (const name of PYTHON_FILES) {
      const path = join(TESTDATA, name);
      const data = await fromRawfile(path);
      const packets = await readRawfilePackets(path);
      const page = got.files[name]!;
      expect(page.info).toEqual(await readRawfileInfo(path));
      expect(page.length).toBe(await lenRawfile(path));
      expect(page.msgs).toEqual(data.msgs!.map(hex));
      expect(page.ioGroups).toEqual(Array.from(data.msgHeaders.io_groups));
      expect(page.tail).toEqual(data.msgs!.slice(-3).map(hex));
      expect(page.packets).toEqual(PACKET_FIELDS.map((f) => Array.from(packets[f] as ArrayLike<number | bigint>, (v) => String(v))));
    }
    expect(got.files["raw_v0_0_two_iogroups.h5"]!.packets[0]!.length).toBeGreaterThan(0);
    expect(got.written.msgs).toEqual(["010203", "", "4400f1"]);
    expect(got.written.ioGroups).toEqual([1, 2, 255]);
    expect(got.written.ioVersion).toBe("0.0");
    expect(got.packetFileSignature).toBe("894844460d0a1a0a");
    expect(got.pathError).toBe("RAWHDF5_BAD_INPUT");
    // In a Web Worker the File is mounted (WORKERFS) and read in slices: same result.
    const first = got.files[PYTHON_FILES[0]]!;
    expect(got.fromWorker.error).toBeUndefined();
    expect(got.fromWorker.msgs).toEqual(first.msgs);
    expect(got.fromWorker.ioGroups).toEqual(first.ioGroups);
    expect(got.fromWorker.packets).toEqual(first.packets);
  }, 120_000);
});
