import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createArray, createTable, writeLh5 } from "@daqkit/lh5/node";
import type { Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDataLoader } from "../src/open-data-loader.js";
import { CONFIGS, LH5_DATA, TESTDATA } from "./paths.js";

const FLOW = join(CONFIGS, "pygama-flow");
const SRC = join(LH5_DATA, "prod-ref-l200/generated/tier");
const CYCLES = [
  ["cal", "20230318T012144Z"],
  ["cal", "20230318T012228Z"],
  ["phy", "20230322T160139Z"],
  ["phy", "20230322T170202Z"],
] as const;
const fileName = (type: string, key: string, tier: string) => `${type}/p03/r001/l200-p03-r001-${type}-${key}-tier_${tier}.lh5`;

function names(t: Table): string[] {
  return t.schema.fields.map((f) => f.name);
}
function col(t: Table, name: string): unknown[] {
  const v = t.getChild(name);
  if (!v) throw new Error(`no column ${name}`);
  return [...v].map((x) => (typeof x === "bigint" ? Number(x) : x));
}

describe("unmerged load of a column only some cycles have (issue 15)", () => {
  it("energy_in_pe (SiPM tables, phy cycles only): per-file tables of cycles lacking it omit it, as pygama's", async () => {
    const dl = await openDataLoader(join(FLOW, "data-loader-config.json"), { filedbOptions: { cwd: TESTDATA } });
    dl.setFiles("all");
    dl.setOutput({ columns: ["energy_in_pe", "timestamp"] });
    const merged = await dl.load();
    const perFile = await dl.loadPerFile();
    expect([...perFile.keys()]).toEqual([0, 1, 2, 3]);
    expect(names(perFile.get(0) as Table)).toEqual(["hit_table", "hit_idx", "timestamp"]);
    expect(names(perFile.get(1) as Table)).toEqual(["hit_table", "hit_idx", "timestamp"]);
    expect(names(perFile.get(2) as Table)).toEqual(["hit_table", "hit_idx", "energy_in_pe", "timestamp"]);
    // the phy tables equal the merged load's rows of that cycle
    const file = col(merged, "file");
    const mergedPe = col(merged, "energy_in_pe").filter((_, i) => file[i] === 3);
    expect(col(perFile.get(3) as Table, "energy_in_pe").map(String)).toEqual(mergedPe.map(String));
    // through the TCM, both orientations
    for (const orientation of ["hit", "evt"] as const) {
      const t = await dl.loadPerFile(undefined, { tcmLevel: "tcm", orientation });
      expect(names(t.get(0) as Table)).not.toContain("energy_in_pe");
      expect(names(t.get(2) as Table)).toContain("energy_in_pe");
    }
  });

  it("a column no selected cycle has is still LOADER_UNKNOWN_COLUMN", async () => {
    const dl = await openDataLoader(join(FLOW, "data-loader-config.json"), { filedbOptions: { cwd: TESTDATA } });
    dl.setFiles("type == 'cal'");
    dl.setOutput({ columns: ["energy_in_pe"] });
    await expect(dl.loadPerFile()).rejects.toMatchObject({ code: "LOADER_UNKNOWN_COLUMN" });
    await expect(dl.load()).rejects.toMatchObject({ code: "LOADER_UNKNOWN_COLUMN" });
  });
});

describe("unmerged TCM load whose evt table exists only in some cycles (issue 15)", () => {
  const root = mkdtempSync(join(tmpdir(), "daqkit-loader-perfile-"));
  const fmt = (tier: string) => `/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-{timestamp}-tier_${tier}.lh5`;
  const filedb = {
    data_dir: root,
    tier_dirs: { raw: "/raw", dsp: "/dsp", hit: "/hit", tcm: "/tcm", evt: "/evt" },
    file_format: { raw: fmt("raw"), dsp: fmt("dsp"), hit: fmt("hit"), tcm: fmt("tcm"), evt: fmt("evt") },
    table_format: { raw: "ch{ch:07d}/raw", dsp: "ch{ch:07d}/dsp", hit: "ch{ch:07d}/hit", tcm: "hardware_tcm_1", evt: "{grp}/evt" },
  };
  const config = {
    levels: {
      hit: { tiers: ["raw", "dsp", "hit"] },
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
    for (const [type, key] of CYCLES) {
      for (const tier of ["raw", "dsp", "hit", "tcm"]) {
        const to = join(root, tier, fileName(type, key, tier));
        mkdirSync(dirname(to), { recursive: true });
        copyFileSync(join(SRC, tier, fileName(type, key, tier)), to);
      }
      const to = join(root, "evt", fileName(type, key, "evt"));
      mkdirSync(dirname(to), { recursive: true });
      if (type === "phy") copyFileSync(join(SRC, "evt_synthetic", fileName(type, key, "evt")), to);
      else {
        // cal cycles: the evt tier has another table ("geds"), without `multiplicity`, and no "all" table
        const n = type === "cal" ? 40 : 0;
        await writeLh5(to, "geds/evt", createTable({ evt_no: createArray(new Int32Array(n).map((_, i) => i)) }), { mode: "w" });
      }
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("a phy-only evt column over all cycles: hit and evt orientation, merged and per file", async () => {
    const dl = await openDataLoader(config, { filedb });
    dl.setFiles("all");
    dl.setOutput({ columns: ["trapEmax", "multiplicity"] });
    for (const orientation of ["hit", "evt"] as const) {
      const merged = await dl.load(undefined, { tcmLevel: "tcm", orientation });
      const perFile = await dl.loadPerFile(undefined, { tcmLevel: "tcm", orientation });
      expect([...perFile.keys()]).toEqual([0, 1, 2, 3]);
      expect(names(perFile.get(0) as Table)).not.toContain("multiplicity");
      expect(names(perFile.get(2) as Table)).toContain("multiplicity");
      const file = col(merged, "file");
      expect(
        col(merged, "multiplicity")
          .filter((_, i) => file[i] === 0)
          .every((v) => v === null),
      ).toBe(true);
      expect(col(perFile.get(3) as Table, "multiplicity")).toEqual(col(merged, "multiplicity").filter((_, i) => file[i] === 3));
    }
    // the "all" evt table selected by name, present only in phy cycles
    dl.setDatastreams(["all"], "grp");
    const perFile = await dl.loadPerFile(undefined, { tcmLevel: "tcm" });
    expect((perFile.get(2) as Table).numRows).toBeGreaterThan(0);
    // an event cut: cycles without the table select nothing (with a warning), never an error for the whole load
    dl.setCuts({ evt: "multiplicity > 1" });
    const cut = await dl.loadPerFile(undefined, { tcmLevel: "tcm" });
    expect((cut.get(0) as Table).numRows).toBe(0);
    expect((cut.get(2) as Table).numRows).toBeGreaterThan(0);
  });
});
