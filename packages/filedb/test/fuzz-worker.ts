/**
 * Worker of filedb.fuzz.test.ts (bundled, run by `runIsolated`): open a FileDB from config bytes, or
 * run a query expression against a FileDB of the prod-ref test data.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveInputs } from "../../../test/support/fault-worker.js";
import { evaluateExpression, type FileDb, formatExpression, openFileDb, parseExpression } from "../src/node.js";

interface Setup {
  configPath: string;
  dataDir: string;
}
type Input = { kind: "config"; bytes: Uint8Array } | { kind: "query"; text: string };

let db: FileDb | undefined;

serveInputs(async (data, _label, workerData) => {
  const { configPath, dataDir } = workerData as Setup;
  const input = data as Input;
  if (input.kind === "config") {
    const dir = mkdtempSync(join(tmpdir(), "filedb-fuzz-"));
    try {
      const path = join(dir, "config.json");
      writeFileSync(path, input.bytes);
      const opened = await openFileDb(path, { dataDir, cwd: dir });
      const rows = opened.query("all");
      return `${rows.length} rows`;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  db ??= await openFileDb(configPath, { dataDir });
  const rows = db.query(input.text);
  // A query that parses must also print and re-parse to the same expression.
  const e = parseExpression(input.text);
  const again = formatExpression(parseExpression(formatExpression(e)));
  if (again !== formatExpression(e))
    throw new Error(`format/parse round trip changed ${JSON.stringify(input.text)}: ${formatExpression(e)} → ${again}`);
  // …and evaluate over plain numeric columns (every name bound: NaN, ±values, a huge one).
  const mask = evaluateExpression(e, () => new Float64Array([1, Number.NaN, -1e300]), 3);
  return `${rows.length} rows, mask ${mask.length}`;
});
