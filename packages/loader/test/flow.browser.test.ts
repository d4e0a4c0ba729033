import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type FileDbConfig, FileDb } from "@daqkit/filedb/node";
import { openDataLoader } from "../src/node.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { BROWSER_SKIP, type BrowserHarness, startBrowser } from "../../../test/support/browser.js";
import { tableValues } from "./browser/table-values.js";
import { CONFIGS, LH5_DATA, TESTDATA } from "./paths.js";

// Issue 13: a FileDB scan of the test production with its table/column scan (LH5 files read in the
// page, over HTTP and from File objects) and DataLoader loads in Chromium, equal to the Node path
// scan and the Node loads (openDataLoader on the same configs).
const FLOW = join(CONFIGS, "pygama-flow");
const TIER = join(LH5_DATA, "prod-ref-l200/generated/tier");

const GE = [1084803, 1084804, 1121600];

function summary(db: FileDb) {
  return {
    tables: db.tiers.map((tier) => Array.from({ length: db.length }, (_, row) => db.getTables(row, tier))),
    tableColumns: db
      .records()
      .map((_r, row) => db.tiers.map((tier) => (db.getTables(row, tier) ?? []).map((id) => db.getTableColumns(id, tier, row)))),
    rows: db.records().map((r) => JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? String(v) : v)))),
    columns: db.columnNames,
    phy: Array.from(db.query("type == 'phy' and file_status == 30")),
    tableRows: db.table.numRows,
  };
}

describe.skipIf(BROWSER_SKIP !== undefined)("FileDB and DataLoader in Chromium", () => {
  let harness: BrowserHarness;
  beforeAll(async () => {
    harness = await startBrowser({
      entries: { flow: join(import.meta.dirname, "browser/flow.ts") },
      roots: { "/tier/": TIER },
    });
  });
  afterAll(async () => {
    await harness?.close();
  });

  test("scan (with tables/columns) over an HTTP listing and a picked folder = the Node scan; cycle selection; loads = the Node loads", async () => {
    const filedbConfig = JSON.parse(readFileSync(join(FLOW, "filedb-config.json"), "utf8")) as FileDbConfig;
    const loaderConfig = JSON.parse(readFileSync(join(FLOW, "data-loader-config.json"), "utf8")) as Record<string, unknown>;
    const nodeDb = FileDb.fromConfig(filedbConfig, { cwd: TESTDATA });
    const nodeScan = await nodeDb.scanTablesColumns();
    const node = summary(nodeDb);
    const all = await openDataLoader(loaderConfig, { filedb: FileDb.fromConfig(filedbConfig, { cwd: TESTDATA }), fileQuery: "all" });
    all.setOutput({ columns: ["timestamp", "trapEmax", "cuspEmax_ctc_cal", "daqenergy"] });
    const nodeAll = tableValues(await all.load());
    const cut = await openDataLoader(loaderConfig, { filedb: FileDb.fromConfig(filedbConfig, { cwd: TESTDATA }), fileQuery: "all" });
    cut.setDatastreams(GE, "ch");
    cut.setCuts({ hit: "trapEmax > 5000" });
    cut.setOutput({ columns: ["trapEmax", "is_valid_cal"] });
    const nodeCut = tableValues(await cut.load());
    const got = await harness.run<Record<string, unknown>>("flow", { tier: "/tier/", filedbConfig, loaderConfig, ge: GE });
    expect(got.http).toEqual(node);
    expect(got.picked).toEqual(node);
    expect(node.rows).toHaveLength(4);
    expect(got.cal).toEqual([0, 1]);
    expect(got.byKey).toEqual([3]);
    expect(got.bad).toBe("FILEDB_BAD_EXPRESSION");
    expect(got.levels).toEqual(["hit", "tcm", "evt"]);
    const scan = { filesOpened: nodeScan.filesOpened, warnings: nodeScan.warnings };
    expect(scan.filesOpened).toBeGreaterThan(0);
    expect(got.scans).toEqual([scan, scan]);
    expect(nodeAll.rows).toBe(180);
    expect(got.all).toEqual(nodeAll);
    expect(nodeCut.rows).toBe(14);
    expect(got.cut).toEqual(nodeCut);
  });
});
