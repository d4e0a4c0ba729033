// openLh5Cycle opens host paths with `runtime: "on-demand"` and loads h5wasm only for a tier whose
// tables are not all read straight from the file (issue 17): reads equal a default open's either way.
import { join } from "node:path";
import { type Lh5File, openLh5 } from "@daqkit/lh5/node";
import { describe, expect, it } from "vitest";
import { type FileCatalog, openLh5Cycle } from "../src/lh5-cycle.js";
import { LH5_DATA } from "./paths.js";

const TIER = join(LH5_DATA, "prod-ref-l200/generated/tier");
const KEY = "20230318T012144Z";
const PATHS: Record<string, string> = {
  hit: join(TIER, `hit/cal/p03/r001/l200-p03-r001-cal-${KEY}-tier_hit.lh5`),
  raw: join(TIER, `raw/cal/p03/r001/l200-p03-r001-cal-${KEY}-tier_raw.lh5`),
  tcm: join(TIER, `tcm/cal/p03/r001/l200-p03-r001-cal-${KEY}-tier_tcm.lh5`),
};
const TABLES: Record<string, string> = { hit: "ch1084803/hit", raw: "ch1084803/raw", tcm: "hardware_tcm_1" };

/** A one-cycle catalog of the three tiers above (table id 0 each). */
const catalog = {
  size: 1,
  tiers: ["hit", "raw", "tcm"],
  tierPath: (_f: number, tier: string) => PATHS[tier] as string,
  tierTables: async () => [0],
  tableColumns: async () => null,
  tableName: (tier: string) => TABLES[tier] as string,
  tableField: () => undefined,
  select: () => [0],
  columnValues: () => [],
} as unknown as FileCatalog;

/** `openLh5` recording the files it opened (to ask them whether h5wasm was loaded). */
function recordingOpener() {
  const files = new Map<string, Lh5File>();
  const open = async (path: string, options?: { readonly runtime?: "on-demand" }) => {
    const f = await openLh5(path, options);
    files.set(path, f);
    return f;
  };
  return { open, files };
}

describe("openLh5Cycle: h5wasm on demand", () => {
  it.each(["host opener", "catalog.openTier"])(
    "%s: a numeric tier (hit, TCM) loads no runtime; a tier needing h5wasm (raw: waveforms) loads it; reads equal a default open's",
    async (via) => {
      const { open, files } = recordingOpener();
      const src =
        via === "host opener"
          ? await openLh5Cycle(catalog, 0, ["hit", "raw", "tcm"], open)
          : await openLh5Cycle({ ...catalog, openTier: (_f, tier, options) => open(PATHS[tier] as string, options) }, 0, [
              "hit",
              "raw",
              "tcm",
            ]);
      try {
        expect(files.get(PATHS.hit as string)?.runtimeLoaded).toBe(false);
        expect(files.get(PATHS.tcm as string)?.runtimeLoaded).toBe(false);
        expect(files.get(PATHS.raw as string)?.runtimeLoaded).toBe(true);
        for (const tier of ["hit", "raw"]) {
          const ref = await openLh5(PATHS[tier] as string);
          try {
            const name = TABLES[tier] as string;
            const cols = ref.tableColumns(name);
            expect(src.columns(tier, 0)).toEqual(cols);
            expect(src.rowCount(tier, 0)).toBe(ref.countRows(name));
            const got = src.read(tier, 0, cols, { start: 1, stop: 7 });
            expect(got).toEqual(ref.readTable(name, { columns: cols, rows: { start: 1, stop: 7 } }).columns);
          } finally {
            ref.close();
          }
        }
        const tcmRef = await openLh5(PATHS.tcm as string);
        try {
          expect(src.readTcm("tcm", 0)).toEqual(
            (await import("../src/lh5-cycle.js")).rawTcmOf(tcmRef.readObject(TABLES.tcm as string), PATHS.tcm as string),
          );
        } finally {
          tcmRef.close();
        }
        expect(files.get(PATHS.hit as string)?.runtimeLoaded).toBe(false); // the reads did not need it
      } finally {
        src.close();
      }
    },
  );
});
