// Runs in Chromium (bundled by test/support/browser.ts): a FileDB scan of the test production over an
// HTTP listing and over a picked folder (File list), and a DataLoader's cycle selection on it.
import { type FileDbConfig, FileDb } from "@daqkit/filedb";
import { fileListDirectory, openHttpDirectory } from "@daqkit/io";
import { createDataLoader } from "../../src/index.js";

interface Arg {
  readonly tier: string;
  readonly filedbConfig: FileDbConfig;
  readonly loaderConfig: Record<string, unknown>;
}

function summary(db: FileDb) {
  return {
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
  return { http: summary(http), picked: summary(picked), cal, byKey: dl.getFileList(), bad, levels: dl.config.levels.map((l) => l.name) };
}
