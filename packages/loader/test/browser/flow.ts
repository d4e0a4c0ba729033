// Runs in Chromium (bundled by test/support/browser.ts): a FileDB scan of the test production over an
// HTTP listing and over a picked folder (File list), with the table/column scan (LH5 files read in the
// page), and a DataLoader's cycle selection and loads on it.
import { type FileDbConfig, FileDb } from "@daqkit/filedb";
import { fileListDirectory, openHttpDirectory } from "@daqkit/io";
import { createDataLoader } from "../../src/index.js";
import { tableValues } from "./table-values.js";

interface Arg {
  readonly tier: string;
  readonly filedbConfig: FileDbConfig;
  readonly loaderConfig: Record<string, unknown>;
  readonly ge: readonly number[];
}

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

export async function run(arg: Arg, origin: string) {
  const http = await FileDb.fromDirectory(arg.filedbConfig, await openHttpDirectory(`${origin}${arg.tier}`));
  // A picked folder: the files fetched and given as File objects with their relative paths.
  const listing = (await (await fetch(`${origin}${arg.tier}.daqkit-listing.json`)).json()) as { entries: { path: string; kind: string }[] };
  const files: File[] = [];
  for (const e of listing.entries) {
    if (e.kind !== "file") continue;
    const blob = await (await fetch(`${origin}${arg.tier}${e.path}`)).blob();
    const file = new File([blob], e.path.slice(e.path.lastIndexOf("/") + 1));
    Object.defineProperty(file, "webkitRelativePath", { value: `tier/${e.path}` });
    files.push(file);
  }
  const picked = await FileDb.fromDirectory(arg.filedbConfig, fileListDirectory(files));
  const scans = [await http.scanTablesColumns(), await picked.scanTablesColumns()].map((r) => ({
    filesOpened: r.filesOpened,
    warnings: r.warnings,
  }));
  const dl = createDataLoader(arg.loaderConfig, http);
  dl.setFiles("type == 'cal'");
  const cal = dl.getFileList();
  dl.setFiles(["20230322T170202Z"]);
  let bad: unknown;
  try {
    dl.setFiles("type ==");
  } catch (error) {
    bad = (error as { code?: string }).code;
  }
  const byKey = dl.getFileList();
  // Loads read the tier files: from the HTTP origin for one loader, from the Files for the other.
  dl.setFiles("all");
  dl.setOutput({ columns: ["timestamp", "trapEmax", "cuspEmax_ctc_cal", "daqenergy"] });
  const all = tableValues(await dl.load());
  const fromFiles = createDataLoader(arg.loaderConfig, picked, { fileQuery: "all" });
  fromFiles.setDatastreams(arg.ge, "ch");
  fromFiles.setCuts({ hit: "trapEmax > 5000" });
  fromFiles.setOutput({ columns: ["trapEmax", "is_valid_cal"] });
  const cut = tableValues(await fromFiles.load());
  return { http: summary(http), picked: summary(picked), scans, cal, byKey, bad, levels: dl.config.levels.map((l) => l.name), all, cut };
}
