import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createArray, createStruct, writeLh5 } from "@daqkit/lh5/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDataLoader } from "../src/open-data-loader.js";
import { LH5_DATA } from "./paths.js";

const SRC = join(LH5_DATA, "prod-ref-l200/generated/tier");
const K1 = "20230318T012144Z";
const K2 = "20230318T012228Z";
const name = (tier: string, key: string) => `cal/p03/r001/l200-p03-r001-cal-${key}-tier_${tier}.lh5`;

/** A small production: hit + dsp for two cycles (dsp missing for the second), a TCM pointing past a table's end. */
describe("bad files on disk", () => {
  const root = mkdtempSync(join(tmpdir(), "daqkit-loader-bad-"));
  const fmt = (tier: string) => `/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-{timestamp}-tier_${tier}.lh5`;
  const filedb = {
    data_dir: root,
    tier_dirs: { hit: "/hit", dsp: "/dsp", tcm: "/tcm" },
    file_format: { hit: fmt("hit"), dsp: fmt("dsp"), tcm: fmt("tcm") },
    table_format: { hit: "ch{ch:07d}/hit", dsp: "ch{ch:07d}/dsp", tcm: "hardware_tcm_1" },
  };
  const config = {
    levels: {
      hit: { tiers: ["dsp", "hit"] },
      tcm: {
        tiers: ["tcm"],
        parent: "hit",
        child: "evt",
        tcm_cols: { child_idx: "coin_idx", parent_tb: "array_id", parent_idx: "array_idx" },
      },
      evt: { tiers: ["evt"] },
    },
  };

  beforeAll(async () => {
    const copy = (tier: string, key: string) => {
      const to = join(root, tier, name(tier, key));
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(join(SRC, tier, name(tier, key)), to);
    };
    copy("hit", K1);
    copy("hit", K2);
    copy("dsp", K1);
    copy("tcm", K2);
    // ch1084803 has 10 rows; the second event points to row 10.
    const tcm = createStruct({
      cumulative_length: createArray(BigInt64Array.of(1n, 2n)),
      array_id: createArray(BigInt64Array.of(1084803n, 1084803n)),
      array_idx: createArray(BigInt64Array.of(0n, 10n)),
    });
    const to = join(root, "tcm", name("tcm", K1));
    mkdirSync(dirname(to), { recursive: true });
    await writeLh5(to, "hardware_tcm_1", tcm, { mode: "w" });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const code = async (p: Promise<unknown>) =>
    p.then(
      () => "no error",
      (e: { code?: string }) => e.code ?? String(e),
    );

  it("a TCM row past a table's end is LOADER_TCM_OUT_OF_RANGE, with and without a cut", async () => {
    const dl = await openDataLoader(config, { filedb });
    dl.setFiles([K1]);
    expect(await code(dl.buildEntryList({ tcmLevel: "tcm" }))).toBe("LOADER_TCM_OUT_OF_RANGE");
    dl.setCuts({ hit: "trapEmax > 0" });
    expect(await code(dl.buildEntryList({ tcmLevel: "tcm" }))).toBe("LOADER_TCM_OUT_OF_RANGE");
    // without the TCM the same cycle is fine
    expect(await code(dl.buildEntryList())).toBe("no error");
  });

  it("a missing tier file of the entries' level is LOADER_FILE_MISSING", async () => {
    const dl = await openDataLoader(config, { filedb });
    dl.setFiles([K2]);
    dl.setOutput({ columns: ["trapEmax"] });
    try {
      await dl.load();
      expect.unreachable();
    } catch (e) {
      expect((e as { code: string }).code).toBe("LOADER_FILE_MISSING");
      expect((e as { path: string }).path).toMatch(/tier_dsp\.lh5$/);
    }
  });
});
