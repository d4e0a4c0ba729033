/**
 * Worker of loader.fuzz.test.ts (bundled, run by `runIsolated`): open a DataLoader from config bytes
 * and load a column, or apply cut expressions to the pygama-flow test setup and load.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FileDb, openFileDb } from "@daqkit/filedb/node";
import { serveInputs } from "../../../test/support/fault-worker.js";
import { openDataLoader } from "../src/node.js";

interface Setup {
  loaderConfig: string;
  filedbConfig: string;
  dataDir: string;
}
type Input =
  | { kind: "config"; bytes: Uint8Array }
  | { kind: "cuts"; cuts: Record<string, string> | string[]; tcm: boolean; columns: string[] };

let db: FileDb | undefined;

serveInputs(async (data, _label, workerData) => {
  const { loaderConfig, filedbConfig, dataDir } = workerData as Setup;
  db ??= await openFileDb(filedbConfig, { dataDir });
  const input = data as Input;
  if (input.kind === "config") {
    const dir = mkdtempSync(join(tmpdir(), "loader-fuzz-"));
    try {
      const path = join(dir, "config.json");
      writeFileSync(path, input.bytes);
      const dl = await openDataLoader(path, { filedb: db, cwd: dir });
      dl.setFiles("all");
      const entries = await dl.buildEntryList();
      return `${entries.numRows} entries`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const dl = await openDataLoader(loaderConfig, { filedb: db });
  dl.setFiles("all");
  dl.setCuts(input.cuts);
  dl.setOutput({ columns: input.columns });
  const t = await dl.load(undefined, input.tcm ? { tcmLevel: "tcm", mode: "any" } : {});
  return `${t.numRows} rows`;
});
