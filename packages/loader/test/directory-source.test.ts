import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type FileDbConfig, FileDb } from "@daqkit/filedb";
import { openDirectorySource } from "@daqkit/io/node";
import { describe, expect, it } from "vitest";
import { openDataLoader } from "../src/open-data-loader.js";
import { CONFIGS, LH5_DATA } from "./paths.js";

// Issue 13: a DataLoader over a FileDB of an @daqkit/io directory source. The FileDB side (cycles,
// queries, file status) works on any platform; reading the LH5 tier files from the source waits for
// @daqkit/lh5's openLh5(source): until then a load fails with a coded error, never a crash.
const FLOW = join(CONFIGS, "pygama-flow");
const TIER = join(LH5_DATA, "prod-ref-l200/generated/tier");

describe("DataLoader over a directory source", () => {
  it("selects cycles from the source's FileDB; LH5 reads give a coded error until @daqkit/lh5 reads byte sources", async () => {
    const config = JSON.parse(readFileSync(join(FLOW, "filedb-config.json"), "utf8")) as FileDbConfig;
    const db = await FileDb.fromDirectory(config, await openDirectorySource(TIER));
    const dl = await openDataLoader(join(FLOW, "data-loader-config.json"), { filedb: db });
    dl.setFiles("type == 'phy'");
    expect(dl.getFileList()).toEqual([2, 3]);
    expect(dl.catalog.tierExists?.(2, "raw")).toBe(true);
    expect(dl.catalog.tierPath(2, "raw")).toBe(`raw${db.record(2).raw_file}`);
    dl.setOutput({ columns: ["trapEmax"] });
    await expect(dl.load()).rejects.toMatchObject({ code: "FILEDB_UNREADABLE" });
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
});
