/**
 * Kill test of loader output through the built CLI (issue 14): `daqkit load … --out x.lh5` (written by
 * the loader) and `--out x.parquet` (the CLI's table output), SIGKILLed at seeded points. Afterwards the
 * output is absent or holds exactly the uninterrupted result, and re-running gives it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listLh5, readLh5 } from "@daqkit/lh5/node";
import { afterAll, describe, expect, it } from "vitest";
import { BASE_SEED, lane, scaled } from "../../../test/support/fault.js";
import { cliBuilt, killSeries, runCli, snapshot } from "../../../test/support/kill-cli.js";
import { CONFIGS, LH5_DATA } from "./paths.js";

const built = cliBuilt();
const tmp = mkdtempSync(join(tmpdir(), "loader-kill-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Outputs killed: the quick lane the loader's own LH5 writer; the slow lane also the CLI's Parquet table output. */
const OUTPUTS = lane(["lh5"] as const, ["lh5", "parquet"] as const);

const LOAD = [
  "load",
  join(CONFIGS, "variants/data-loader-config-evt_synthetic.json"),
  "--data-dir",
  join(LH5_DATA, "prod-ref-l200/generated/tier"),
  "--files",
  "all",
  "--cut",
  "hit:trapEmax > 1000",
  "--columns",
  "trapEmax,energies,multiplicity,waveform",
  "--head",
  "0",
];

let n = 0;
/** What an LH5 file holds (HDF5 bytes carry times, so bytes are not compared). */
async function lh5Contents(bytes: Buffer): Promise<string> {
  const path = join(tmp, `compare-${n++}.lh5`);
  writeFileSync(path, bytes);
  try {
    const parts: unknown[] = [];
    for (const o of await listLh5(path)) if (o.depth === 1) parts.push([o.path, await readLh5(path, o.path)]);
    return JSON.stringify(parts, (_k, v) =>
      typeof v === "bigint" ? String(v) : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>, Number) : v,
    );
  } catch (error) {
    return `unreadable: ${(error as { code?: string }).code}`;
  } finally {
    rmSync(path, { force: true });
  }
}

describe.skipIf(!built)("daqkit load --out killed with SIGKILL", () => {
  for (const ext of OUTPUTS) {
    it(`--out x.${ext}: no torn output, and a re-run gives the uninterrupted result`, async () => {
      const ref = join(tmp, `ref-${ext}`);
      mkdirSync(ref);
      const referenceMs = runCli([...LOAD, "--out", join(ref, `x.${ext}`)]);
      const reference = snapshot(ref);
      expect([...reference.keys()]).toEqual([`x.${ext}`]);
      let compare: ((name: string, got: Buffer, want: Buffer) => Promise<boolean>) | undefined;
      if (ext === "lh5") {
        const want = await lh5Contents(reference.get("x.lh5")!);
        expect(want).toContain("trapEmax");
        compare = async (_name, got) => (await lh5Contents(got)) === want;
      } else {
        runCli([...LOAD, "--out", join(ref, "x.parquet")]); // Parquet output is reproducible byte for byte
        expect(snapshot(ref).get("x.parquet")!.equals(reference.get("x.parquet")!)).toBe(true);
      }
      const out = join(tmp, `killed-${ext}`);
      const reports = await killSeries({
        args: [...LOAD, "--out", join(out, `x.${ext}`)],
        outDir: out,
        reference,
        referenceMs,
        count: scaled(1),
        seed: BASE_SEED + (ext === "lh5" ? 3 : 4),
        prepare: () => {
          rmSync(out, { recursive: true, force: true });
          mkdirSync(out);
        },
        ...(compare ? { compare } : {}),
      });
      console.log(
        `load --out .${ext} kills: ${JSON.stringify(reports.map((r) => ({ delayMs: r.delayMs, killed: r.killed, complete: r.complete, leftovers: r.leftovers })))}`,
      );
      expect(reports.flatMap((r) => r.bad)).toEqual([]);
      expect(reports.flatMap((r) => r.rerunBad)).toEqual([]);
    });
  }
});
