/**
 * Kill test of saving a FileDB (`daqkit filedb scan --out DB.lh5`, i.e. `FileDb.toDisk`) (issue 14):
 * SIGKILL the built CLI at seeded points; afterwards `DB.lh5` is absent or holds exactly the
 * uninterrupted result (config, rows, column lists: HDF5 bytes carry times), and re-running gives it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BASE_SEED, scaled } from "../../../test/support/fault.js";
import { cliBuilt, killSeries, runCli, snapshot } from "../../../test/support/kill-cli.js";
import { FileDb } from "../src/node.js";
import { CONFIGS, PROD_REF } from "./helpers.js";

const built = cliBuilt();
const tmp = mkdtempSync(join(tmpdir(), "filedb-kill-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!built)("filedb scan --out killed with SIGKILL", () => {
  it("leaves no torn database, and a re-run gives the uninterrupted result", async () => {
    const args = (dir: string) => [
      "filedb",
      "scan",
      join(CONFIGS, "pygama-flow/filedb-config.json"),
      "--data-dir",
      PROD_REF,
      "--tables",
      "--out",
      join(dir, "db.lh5"),
    ];
    const ref = join(tmp, "ref");
    mkdirSync(ref);
    const referenceMs = runCli(args(ref));
    const reference = snapshot(ref);
    // HDF5 files are not byte-reproducible: compare what the database holds.
    const contents = async (bytes: Buffer): Promise<string> => {
      const path = join(tmp, `compare-${n++}.lh5`);
      writeFileSync(path, bytes);
      try {
        const db = await FileDb.fromDisk(path);
        return JSON.stringify({ config: db.config, records: db.records(), columns: db.columns });
      } catch (error) {
        return `unreadable: ${(error as { code?: string }).code}`;
      } finally {
        rmSync(path, { force: true });
      }
    };
    let n = 0;
    const want = await contents(reference.get("db.lh5")!);
    expect(want).toContain("20230322T170202Z");
    const out = join(tmp, "killed");
    const reports = await killSeries({
      args: args(out),
      rerunArgs: [...args(out), "--overwrite"],
      outDir: out,
      reference,
      referenceMs,
      count: scaled(1),
      seed: BASE_SEED + 2,
      compare: async (_name, got) => (await contents(got)) === want,
      prepare: () => {
        rmSync(out, { recursive: true, force: true });
        mkdirSync(out);
      },
    });
    console.log(
      `filedb save kills: ${JSON.stringify(reports.map((r) => ({ delayMs: r.delayMs, killed: r.killed, complete: r.complete, leftovers: r.leftovers })))}`,
    );
    expect(reports.flatMap((r) => r.bad)).toEqual([]);
    expect(reports.flatMap((r) => r.rerunBad)).toEqual([]);
  });
});
