import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type FileDbConfig, FileDb } from "@daqkit/filedb";
import { openDirectorySource } from "@daqkit/io/node";
import { describe, expect, it } from "vitest";
import { openDataLoader } from "../src/open-data-loader.js";
import { CONFIGS, LH5_DATA, TESTDATA } from "./paths.js";

// Issue 13: a DataLoader over a FileDB of an @daqkit/io directory source: cycles, queries and file
// status from the listing, LH5 tier files read through the source (directory.open → @daqkit/lh5's
// openLh5(source)); the load equals the one over the same files by path.
const FLOW = join(CONFIGS, "pygama-flow");
const TIER = join(LH5_DATA, "prod-ref-l200/generated/tier");

describe("DataLoader over a directory source", () => {
  it("selects cycles from the source's FileDB and loads what the path FileDB loads", async () => {
    const config = JSON.parse(readFileSync(join(FLOW, "filedb-config.json"), "utf8")) as FileDbConfig;
    const db = await FileDb.fromDirectory(config, await openDirectorySource(TIER));
    const dl = await openDataLoader(join(FLOW, "data-loader-config.json"), { filedb: db });
    dl.setFiles("type == 'phy'");
    expect(dl.getFileList()).toEqual([2, 3]);
    expect(dl.catalog.tierExists?.(2, "raw")).toBe(true);
    expect(dl.catalog.tierPath(2, "raw")).toBe(`raw${db.record(2).raw_file}`);
    dl.setOutput({ columns: ["trapEmax", "timestamp"] });
    const got = await dl.load();
    const byPath = await openDataLoader(join(FLOW, "data-loader-config.json"), { cwd: TESTDATA, fileQuery: "type == 'phy'" });
    byPath.setOutput({ columns: ["trapEmax", "timestamp"] });
    const want = await byPath.load();
    expect(got.numRows).toBeGreaterThan(0);
    expect(got.numRows).toBe(want.numRows);
    expect(got.schema.fields.map((f) => f.name)).toEqual(want.schema.fields.map((f) => f.name));
    for (const f of want.schema.fields) expect(got.getChild(f.name)?.toArray()).toEqual(want.getChild(f.name)?.toArray());
  });
});

describe("createDataLoader (any platform)", () => {
  it("takes a config object and a FileDb; outputFile needs a writer", async () => {
    const { createDataLoader } = await import("../src/index.js");
    const config = JSON.parse(readFileSync(join(FLOW, "filedb-config.json"), "utf8")) as FileDbConfig;
    const db = await FileDb.fromDirectory(config, await openDirectorySource(TIER));
    const loaderConfig = JSON.parse(readFileSync(join(FLOW, "data-loader-config.json"), "utf8")) as Record<string, unknown>;
    const dl = createDataLoader(loaderConfig, db, { fileQuery: "type == 'cal'" });
    expect(dl.getFileList()).toEqual([0, 1]);
    expect(dl.config.levels.map((l) => l.name)).toEqual(["hit", "tcm", "evt"]);
    expect(() => createDataLoader({ levels: 3 }, db)).toThrow(expect.objectContaining({ code: "LOADER_BAD_CONFIG" }));
    await expect(dl.buildEntryList({ outputFile: "x.lh5" })).rejects.toMatchObject({ code: "LOADER_BAD_ARGUMENT" });
  });

  it("a catalog without openTier: host paths are refused with LOADER_IO (they need @daqkit/loader/node)", async () => {
    const { createDataLoader } = await import("../src/index.js");
    const { fileDbCatalog } = await import("../src/filedb-catalog.js");
    const { FileDb: NodeFileDb } = await import("@daqkit/filedb/node");
    const config = JSON.parse(readFileSync(join(FLOW, "filedb-config.json"), "utf8")) as FileDbConfig;
    const loaderConfig = JSON.parse(readFileSync(join(FLOW, "data-loader-config.json"), "utf8")) as Record<string, unknown>;
    const { openTier: _dropped, ...catalog } = fileDbCatalog(NodeFileDb.fromConfig(config, { cwd: TESTDATA }));
    const dl = createDataLoader(loaderConfig, catalog, { fileQuery: "type == 'phy'" });
    dl.setOutput({ columns: ["trapEmax"] });
    await expect(dl.load()).rejects.toMatchObject({ code: "LOADER_IO", message: expect.stringContaining("@daqkit/loader/node") });
  });
});
