// Fuzz suite (issue 14): mutated real LH5 files through both readers, each input in a worker with a
// deadline. Acceptable outcomes: ok or a coded Lh5Error; an uncaught error or a hang is a defect.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { type MutationKind, bundleScript, finish, mutations, newTally, runIsolated, scaled } from "../../../test/support/fault.js";
import { checkLh5Structure } from "../src/fast-links.js";
import { PROD, TCM_OLD, TCM_V2, TESTDATA } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "daqkit-lh5-fuzz-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Small real files of different kinds: old and new TCM, histograms, evt table, drift-time maps, a zstd raw file. */
const FILES: readonly { name: string; path: string; weight: number }[] = [
  { name: "tcm-old", path: TCM_OLD, weight: 1 },
  { name: "tcm-v2", path: TCM_V2, weight: 1 },
  { name: "histograms", path: join(TESTDATA, "lgdo-histograms.lh5"), weight: 1 },
  { name: "evt-synthetic", path: join(PROD, "evt_synthetic/cal/p03/r001/l200-p03-r001-cal-20230318T012144Z-tier_evt.lh5"), weight: 1 },
  { name: "drift-maps", path: join(TESTDATA, "hpge-drift-time-maps.lh5"), weight: 1 },
  { name: "zstd-raw", path: join(TESTDATA, "extra/l200-p14-r004-cal-20250606T010224Z-tier_raw.lh5"), weight: 1 },
];

const KINDS: readonly MutationKind[] = ["bitflip", "byte", "zero64", "truncate", "huge-length", "duplicate", "delete"];

let script: string;

async function fuzz(reader: "links" | "h5", perFile: number, kinds: readonly MutationKind[], seed: number): Promise<string[]> {
  script ??= await bundleScript(join(import.meta.dirname, "fuzz-worker.ts"), join(dir, "fuzz-worker.mjs"));
  const tally = newTally(`lh5-fuzz-${reader}${kinds.length === 1 ? `-${kinds[0]}` : ""}`);
  const inputs = FILES.flatMap((f, i) => {
    const bytes = new Uint8Array(readFileSync(f.path));
    // Edits land on structural boundaries (superblock, object headers, B-tree nodes, heaps) half the time.
    const boundaries = checkLh5Structure(bytes, { addresses: true }).addresses;
    return [...mutations(bytes, { count: scaled(perFile * f.weight), seed: seed + i * 100_000, kinds, boundaries })].map((m) => ({
      label: `${f.name} ${m.label}`,
      data: { bytes: m.bytes, reader },
    }));
  });
  await runIsolated(script, inputs, tally, { deadlineMs: 4000, workerData: { dir } });
  expect(tally.inputs).toBe(inputs.length);
  return finish(tally);
}

test("fast-links reader: mutated files give a listing or a coded error, never a crash or a hang", async () => {
  expect(await fuzz("links", 20, KINDS, 1)).toEqual([]);
});

test("h5wasm reader: open, list and read every object of mutated files: ok or coded, never a crash or a hang", async () => {
  expect(await fuzz("h5", 6, KINDS, 2)).toEqual([]);
});

test("h5wasm reader: 64 zeroed bytes at B-tree nodes and object headers never spin", async () => {
  expect(await fuzz("h5", 4, ["zero64"], 3)).toEqual([]);
});
