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
