import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileListDirectory, openHttpDirectory } from "@daqkit/io";
import { openDirectorySource } from "@daqkit/io/node";
import type { Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StaticServer, startStaticServer } from "../../../test/support/static-server.js";
import { FileDb as MainFileDb } from "../src/index.js";
import { type FileDbConfig, FileDb, FileDbError } from "../src/node.js";
import { CONFIGS, loadConfig, PROD_REF } from "./helpers.js";

// Issue 13: the FileDB scan over an @daqkit/io directory source gives the database of the path scan.
const config = JSON.parse(readFileSync(join(CONFIGS, "pygama-flow/filedb-config.json"), "utf8")) as FileDbConfig;

function rows(table: Table): unknown[] {
  return table.toArray().map((r) => JSON.stringify(r.toJSON(), (_k, v) => (typeof v === "bigint" ? String(v) : v)));
}

function filesBelow(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesBelow(path));
    else out.push(path);
  }
  return out;
}

let server: StaticServer;
beforeAll(async () => {
  server = await startStaticServer({ "/tier/": PROD_REF });
});
afterAll(async () => {
  await server.close();
});

describe("FileDb.fromDirectory", () => {
  const byPath = FileDb.fromConfig(loadConfig("pygama-flow/filedb-config.json"));

  it("a Node directory source: the same rows, sizes and status as the path scan", async () => {
    const db = await FileDb.fromDirectory(config, await openDirectorySource(PROD_REF));
    expect(db.length).toBe(4);
    expect(db.columnNames).toEqual(byPath.columnNames);
    expect(rows(db.table)).toEqual(rows(byPath.table));
    expect(db.dataDir).toBe("");
    expect(db.filePath(0, "raw")).toBe(`raw${db.record(0).raw_file}`);
    expect(byPath.filePath(0, "raw")).toBe(join(PROD_REF, db.filePath(0, "raw")));
    expect(db.directory?.name).toBeDefined();
    expect(Array.from(db.query("type == 'phy' and file_status == 30"))).toEqual(
      Array.from(byPath.query("type == 'phy' and file_status == 30")),
    );
  });

  it("a picked folder (File list) and an HTTP listing give the same database", async () => {
    const files = filesBelow(PROD_REF).map((path) => {
      const file = new File([readFileSync(path)], path.slice(path.lastIndexOf("/") + 1));
      return Object.assign(file, { webkitRelativePath: `tier/${relative(PROD_REF, path)}` });
    });
    const picked = await FileDb.fromDirectory(config, fileListDirectory(files));
    expect(rows(picked.table)).toEqual(rows(byPath.table));
    const http = await FileDb.fromDirectory(config, await openHttpDirectory(`${server.origin}/tier/`));
    expect(rows(http.table)).toEqual(rows(byPath.table));
  });

  it("scans given directories below the tier directory; errors are coded", async () => {
    const source = await openDirectorySource(PROD_REF);
    const db = await FileDb.fromDirectory(config, source, { scan: false });
    expect(db.length).toBe(0);
    const report = db.scanFiles("cal");
    expect(report.rowsAdded).toBe(2);
    expect(db.length).toBe(2);
    expect(db.record(0).file_status).toBe(byPath.record(0).file_status);
    await db.refreshDirectory();
    expect(db.record(1).raw_size).toBe(byPath.record(1).raw_size);
    let error: unknown;
    try {
      db.scanFiles("nope");
    } catch (e) {
      error = e;
    }
    expect(FileDbError.isInstance(error) && error.code).toBe("FILEDB_DIR_NOT_FOUND");
    const noTier = { ...config, tier_dirs: { ...config.tier_dirs, raw: "/missing" } };
    await expect(FileDb.fromDirectory(noTier, source)).rejects.toMatchObject({ code: "FILEDB_DIR_NOT_FOUND" });
    await expect(FileDb.fromDirectory({ ...config, tier_dirs: 3 } as unknown as FileDbConfig, source)).rejects.toMatchObject({
      code: "FILEDB_BAD_CONFIG",
    });
  });

  it("the table/column scan reads the LH5 files through the source (fast lister and h5wasm) = the path scan", async () => {
    const want = FileDb.fromConfig(loadConfig("pygama-flow/filedb-config.json"));
    const wantReport = await want.scanTablesColumns();
    const sources = [await openDirectorySource(PROD_REF), await openHttpDirectory(`${server.origin}/tier/`)];
    for (const source of sources) {
      for (const fastLinks of [true, false]) {
        const db = await FileDb.fromDirectory(config, source);
        const report = await db.scanTablesColumns({ fastLinks });
        expect(report.filesOpened).toBe(wantReport.filesOpened);
        expect(report.warnings).toEqual(wantReport.warnings);
        expect(rows(db.table)).toEqual(rows(want.table));
        expect(db.columns).toEqual(want.columns);
        const f = await db.openFile(2, "hit");
        try {
          expect(f.listTables()).toEqual((await want.openFile(2, "hit")).listTables());
        } finally {
          f.close();
        }
      }
    }
  });

  it("the main entry's FileDb opens no host path (FILEDB_UNREADABLE naming @daqkit/filedb/node)", async () => {
    const main = new MainFileDb(byPath.resolved, byPath.state);
    await expect(main.openFile(0, "raw")).rejects.toMatchObject({
      code: "FILEDB_UNREADABLE",
      message: expect.stringContaining("@daqkit/filedb/node"),
    });
    await expect(main.scanTablesColumns()).rejects.toMatchObject({ code: "FILEDB_UNREADABLE" });
  });
});
