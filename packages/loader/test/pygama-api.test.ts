import { join } from "node:path";
import type { Table } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { openDataLoader } from "../src/open-data-loader.js";
import { CONFIGS, TESTDATA } from "./paths.js";

const FLOW = join(CONFIGS, "pygama-flow");
const EVT = join(CONFIGS, "variants/data-loader-config-evt_synthetic.json");

async function loader(config = join(FLOW, "data-loader-config.json")) {
  return openDataLoader(config, { filedbOptions: { cwd: TESTDATA } });
}

function rows(t: Table): string[] {
  const out: string[] = [];
  for (let i = 0; i < t.numRows; i++) out.push(JSON.stringify(t.get(i)?.toJSON(), (_k, v) => (typeof v === "bigint" ? String(v) : v)));
  return out;
}

describe("loadIterator (pygama load_iterator)", () => {
  it("chunks of chunkSize entries spanning cycles equal the full load, row for row", async () => {
    const dl = await loader();
    dl.setFiles("all");
    dl.setOutput({ columns: ["trapEmax", "timestamp", "energy_in_pe"] });
    const full = await dl.load();
    const chunks = [];
    for await (const c of dl.loadIterator({ chunkSize: 7 })) chunks.push(c);
    expect(chunks.map((c) => c.numEntries)).toEqual([...Array(25).fill(7), 5]);
    expect(chunks.map((c) => c.entry)).toEqual(chunks.map((_, i) => i * 7));
    for (const c of chunks) expect(c.table.schema.fields.map((f) => f.name)).toEqual(full.schema.fields.map((f) => f.name));
    expect(chunks.flatMap((c) => rows(c.table))).toEqual(rows(full));
  });

  it("through the TCM with a cut (event columns joined), and over a given entry list", async () => {
    const dl = await loader(EVT);
    dl.setFiles("all");
    dl.setCuts({ hit: "trapEmax > 1000" });
    dl.setOutput({ columns: ["trapEmax", "multiplicity"] });
    const full = await dl.load(undefined, { tcmLevel: "tcm" });
    const got: string[] = [];
    for await (const c of dl.loadIterator({ tcmLevel: "tcm", chunkSize: 4 })) got.push(...rows(c.table));
    expect(got).toEqual(rows(full));
    const el = await dl.buildEntryList({ tcmLevel: "tcm" });
    const again: string[] = [];
    for await (const c of dl.loadIterator({ entryList: el, chunkSize: 1000 })) again.push(...rows(c.table));
    expect(again).toEqual(rows(full));
  });

  it("refuses a bad chunk size and an unknown column before reading", async () => {
    const dl = await loader();
    dl.setFiles("all");
    dl.setOutput({ columns: ["trapEmax"] });
    await expect(dl.loadIterator({ chunkSize: 0 }).next()).rejects.toMatchObject({ code: "LOADER_BAD_ARGUMENT" });
    dl.setOutput({ columns: ["nope"] });
    await expect(dl.loadIterator().next()).rejects.toMatchObject({ code: "LOADER_UNKNOWN_COLUMN" });
  });
});

describe("getTiersForColumn (pygama get_tiers_for_col)", () => {
  it("per file: tables per tier having the columns, and the tier each column is read from; merged: the union", async () => {
    const dl = await loader();
    dl.setFiles("all");
    const perFile = await dl.getTiersForColumn(["energy_in_pe", "trapEmax", "timestamp"], { mergeFiles: false });
    expect([...perFile.keys()]).toEqual([0, 1, 2, 3]);
    const cal = perFile.get(0);
    expect(cal?.tables.hit).toEqual([1084803, 1084804, 1121600]);
    expect(cal?.tables.tcm).toEqual([]);
    expect(cal?.columns).toEqual({ trapEmax: "dsp", timestamp: "hit" });
    const phy = perFile.get(2);
    expect(phy?.columns).toEqual({ trapEmax: "dsp", timestamp: "hit", energy_in_pe: "hit" });
    expect(phy?.tables.hit).toContain(1057600);
    const merged = await dl.getTiersForColumn(["energy_in_pe"]);
    expect(merged.hit).toEqual([1057600, 1059201, 1062405]);
    expect(merged.dsp).toEqual([]);
    dl.setFiles("type == 'cal'");
    expect((await dl.getTiersForColumn(["energy_in_pe"])).hit).toEqual([]);
  });
});

describe("setConfig (pygama set_config)", () => {
  it("replaces the levels, keeps files and output, drops cuts of vanished levels with a warning", async () => {
    const dl = await loader();
    dl.setFiles("type == 'cal'");
    dl.setCuts({ hit: "trapEmax > 5000" });
    dl.setOutput({ columns: ["trapEmax"] });
    const before = await dl.load();
    expect(() => dl.setConfig({ levels: { hit: { tiers: ["nope"] }, tcm: { tiers: ["tcm"], parent: "x" } } })).toThrowError(
      expect.objectContaining({ code: "LOADER_BAD_CONFIG" }),
    );
    expect(dl.config.levels.map((l) => l.name)).toEqual(["hit", "tcm", "evt"]);
    dl.setConfig({ levels: { ge: { tiers: ["raw", "dsp", "hit"] } } });
    expect(dl.config.levels.map((l) => l.name)).toEqual(["ge"]);
    expect(dl.getCuts()).toEqual({});
    expect(dl.warnings.join()).toMatch(/dropped the cut of "hit"/);
    expect(dl.getFileList()).toEqual([0, 1]);
    dl.setCuts({ ge: "trapEmax > 5000" });
    const after = await dl.load();
    expect(after.schema.fields.map((f) => f.name)).toEqual(["ge_table", "ge_idx", "file", "trapEmax"]);
    expect(rows(after).length).toBe(before.numRows);
  });
});

describe("aoesaToVov (pygama aoesa_to_vov)", () => {
  it("AoESA columns (SiPM energies, waveform values) become VoV with the same values", async () => {
    const dl = await loader();
    dl.setFiles(["20230322T160139Z"]);
    dl.setDatastreams([1057600, 1084803], "ch");
    dl.setOutput({ columns: ["energies", "waveform"] });
    const plain = await dl.load();
    expect(String(plain.getChild("energies")?.type)).toMatch(/^FixedSizeList/);
    dl.setOutput({ aoesaToVov: true });
    expect(dl.getOutput().aoesaToVov).toBe(true);
    const vov = await dl.load();
    expect(String(vov.getChild("energies")?.type)).toMatch(/^List/);
    expect(String(vov.getChild("waveform")?.type)).toMatch(/values:List/);
    expect(rows(vov)).toEqual(rows(plain));
    dl.setOutput({ format: "flat" });
    const flat = await dl.loadPerFile();
    expect(String(flat.get(2)?.getChild("waveform_values")?.type)).toMatch(/^List/);
    expect(() => dl.setOutput({ aoesaToVov: "yes" as unknown as boolean })).toThrowError(
      expect.objectContaining({ code: "LOADER_BAD_ARGUMENT" }),
    );
  });
});

describe("browse (pygama browse)", () => {
  it("a lazy view: files without reading, reads per cycle, random access to rows", async () => {
    const dl = await loader(EVT);
    dl.setFiles("type == 'cal'");
    dl.setCuts({ hit: "trapEmax > 5000" });
    dl.setOutput({ columns: ["trapEmax", "multiplicity"] });
    const view = dl.browse({ tcmLevel: "tcm", bufferLength: 3 });
    const files = await view.files();
    expect(files.map((f) => f.fileIndex)).toEqual([0, 1]);
    expect(Object.keys(files[0]?.paths ?? {}).sort()).toEqual(["dsp", "evt", "hit", "raw", "tcm"]);
    expect(files[0]?.paths.evt).toMatch(/tier_evt\.lh5$/);
    const reads = [];
    for await (const r of view.reads()) reads.push(r);
    const full = await dl.load(undefined, { tcmLevel: "tcm" });
    const hitRows = reads.filter((r) => r.level === "hit").reduce((n, r) => n + r.rows.length, 0);
    expect(hitRows).toBe(full.numRows);
    expect(reads.filter((r) => r.level === "hit").every((r) => r.tier === "dsp" && r.columns.join() === "trapEmax")).toBe(true);
    const evt = reads.filter((r) => r.level === "evt");
    expect(evt.map((r) => `${r.fileIndex}:${r.name}:${r.columns.join()}`)).toEqual(["0:all/evt:multiplicity", "1:all/evt:multiplicity"]);
    const all = rows(full);
    expect(JSON.stringify(await view.entry(5))).toBe(all[5]);
    expect(JSON.stringify(await view.entry(1))).toBe(all[1]); // back: restarts
    expect(JSON.stringify(await view.entry(full.numRows - 1))).toBe(all[full.numRows - 1]);
    expect(await view.entry(full.numRows)).toBeUndefined();
    await view.close();
  });
});
