import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDirectorySource } from "@daqkit/io/node";
import { afterAll, describe, expect, it } from "vitest";
import { FileDb as PlatformFileDb } from "../src/index.js";
import { FileDb } from "../src/node.js";
import { CONFIGS, loadConfig, PROD_REF } from "./helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "filedb-setconfig-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("setConfig (pygama set_config)", () => {
  it("data moved: the rows stay and paths follow the new data_dir; a path config works too", async () => {
    const config = loadConfig("pygama-flow/filedb-config.json");
    const db = FileDb.fromConfig(config);
    await db.scanTablesColumns();
    const moved = join(tmp, "tier");
    cpSync(PROD_REF, moved, { recursive: true });
    db.setConfig({ ...config, data_dir: moved });
    expect(db.length).toBe(4);
    expect(db.dataDir).toBe(moved);
    expect(db.filePath(0, "raw").startsWith(moved)).toBe(true);
    expect(db.hasTables).toBe(true);
    expect(db.fileExists(0, "raw")).toBe(true);
    // by path, with the config's relative data_dir resolved against cwd
    db.setConfig(join(CONFIGS, "pygama-flow/filedb-config.json"), { cwd: join(PROD_REF, "../../../..") });
    expect(db.dataDir).toBe(PROD_REF);
    expect(db.length).toBe(4);
  });

  it("a changed table template drops the table scan; other tiers empty the database; a bad config changes nothing", async () => {
    const config = loadConfig("pygama-flow/filedb-config.json");
    const db = FileDb.fromConfig(config);
    await db.scanTablesColumns();
    expect(() => db.setConfig({ ...config, file_format: { raw: "{oops" } } as never)).toThrowError(
      expect.objectContaining({ code: expect.stringMatching(/^FILEDB_BAD_/) }),
    );
    expect(db.length).toBe(4);
    expect(db.hasTables).toBe(true);
    db.setConfig({ ...config, table_format: { ...config.table_format, evt: "{grp}/events" } });
    expect(db.length).toBe(4);
    expect(db.hasTables).toBe(false);
    const tiers = Object.keys(config.tier_dirs).filter((t) => t !== "evt");
    const pick = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).filter(([k]) => tiers.includes(k)));
    db.setConfig({
      ...config,
      tier_dirs: pick(config.tier_dirs as Record<string, string>),
      file_format: pick(config.file_format as Record<string, string>),
      table_format: pick(config.table_format as Record<string, string>),
    });
    expect(db.tiers).toEqual(tiers);
    expect(db.length).toBe(0);
    db.scanFiles();
    expect(db.length).toBe(4);
  });

  it("the platform FileDb (directory source) takes config objects", async () => {
    const config = loadConfig("pygama-flow/filedb-config.json");
    const db = await PlatformFileDb.fromDirectory(config, await openDirectorySource(PROD_REF));
    expect(db.length).toBe(4);
    db.setConfig({ ...config, tier_dirs: { ...config.tier_dirs, raw: "/raw/" } });
    expect(db.length).toBe(4);
    expect(() => db.setConfig("x.json")).toThrowError(expect.objectContaining({ code: "FILEDB_BAD_CONFIG" }));
  });
});
