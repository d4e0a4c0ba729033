import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { openLh5 } from "@daqkit/lh5";
import { describe, expect, it } from "vitest";
import { Hdf5Links, Hdf5LinksUnsupported } from "../src/hdf5-links.js";
import { LH5 } from "./helpers.js";

function lh5Files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...lh5Files(p));
    else if (p.endsWith(".lh5")) out.push(p);
  }
  return out.sort();
}

const FILES = lh5Files(LH5);
const unsupported: string[] = [];

describe("Hdf5Links (built-in link lister) agrees with h5wasm on every test file", () => {
  it("has test files", () => expect(FILES.length).toBeGreaterThan(30));

  for (const file of FILES) {
    it(relative(LH5, file), async () => {
      let links: Hdf5Links;
      try {
        links = Hdf5Links.open(file);
      } catch (e) {
        expect(e).toBeInstanceOf(Hdf5LinksUnsupported);
        return;
      }
      const f = await openLh5(file);
      try {
        const groups = ["", ...f.listObjects("").filter((o) => o.kind === "group").map((o) => o.path)];
        let compared = 0;
        for (const g of groups) {
          let names: string[] | undefined;
          try {
            names = links.list(g);
          } catch (e) {
            if (e instanceof Hdf5LinksUnsupported) {
              unsupported.push(`${relative(LH5, file)}:/${g}: ${e.message}`);
              continue; // the scan falls back to lh5 for such files
            }
            throw e;
          }
          const expected = f.listObjects(g, { recursive: false }).map((o) => o.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          expect(names, `${g}`).toEqual(expected);
          compared++;
        }
        expect(compared).toBeGreaterThan(0);
      } finally {
        f.close();
        links.close();
      }
    });
  }

  it("reads every group of every test file (no fallback needed)", () => {
    expect(unsupported).toEqual([]);
  });

  it("globs groups like pygama's table discovery", () => {
    const links = Hdf5Links.open(join(LH5, "prod-ref-l200/generated/tier/dsp/phy/p03/r001/l200-p03-r001-phy-20230322T160139Z-tier_dsp.lh5"));
    try {
      expect(links.glob("ch*/dsp")).toEqual([
        "ch1057600/dsp",
        "ch1059201/dsp",
        "ch1062405/dsp",
        "ch1084803/dsp",
        "ch1084804/dsp",
        "ch1121600/dsp",
      ]);
      expect(links.glob("ch*/raw")).toEqual([]);
      expect(links.glob("ch1057600/dsp/timestamp")).toEqual([]); // a dataset, not a group
      expect(links.list("nope")).toBeUndefined();
    } finally {
      links.close();
    }
  });

  it("rejects files that are not HDF5", () => {
    expect(() => Hdf5Links.open(join(LH5, "README.md"))).toThrow(Hdf5LinksUnsupported);
  });
});

describe("Hdf5Links on files written by h5wasm (libver v110: compact and dense groups)", () => {
  it.each([3, 9, 40, 300, 2000])("lists a table with %i columns like h5wasm", async (n) => {
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { createTable, writeLh5 } = await import("@daqkit/lh5");
    const dir = mkdtempSync(join(tmpdir(), "filedb-links-"));
    try {
      const path = join(dir, "wide.lh5");
      const columns: Record<string, Float64Array> = {};
      for (let i = 0; i < n; i++) columns[`column_${String(i).padStart(4, "0")}_${"x".repeat(i % 23)}`] = Float64Array.of(i);
      await writeLh5(path, "grp/tbl", createTable(columns), { mode: "w", compression: "none" });
      const links = Hdf5Links.open(path);
      try {
        const names = links.list("grp/tbl");
        const expected = Object.keys(columns).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(names).toEqual(expected);
        expect(links.glob("g*/tbl")).toEqual(["grp/tbl"]);
      } finally {
        links.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
