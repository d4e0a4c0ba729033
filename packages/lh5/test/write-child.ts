// Child process of lh5.kill.test.ts and lh5.concurrency.test.ts (bundled with bundleScript):
// `node write-child.mjs MODE FILE ROWS FIRST` writes (MODE "w") or appends (MODE "append") a table
// "t" of ROWS rows whose column `id` counts from FIRST; prints "started", then "done" or the error code.
import { Lh5Error, createArray, createTable, writeLh5 } from "../src/node.js";

const [mode, file, rowsText, firstText] = process.argv.slice(2) as [string, string, string, string];
const rows = Number(rowsText);
const first = Number(firstText);
const id = new Float64Array(rows);
for (let i = 0; i < rows; i++) id[i] = first + i;
const table = createTable({ id: createArray(id), twice: createArray(id.map((v) => 2 * v)) });
console.log("started");
try {
  await writeLh5(file, "t", table, { mode: mode === "w" ? "w" : "append", compression: "none" });
  console.log("done");
} catch (error) {
  if (!Lh5Error.isInstance(error)) throw error;
  console.log(`error ${error.code} ${error.holderPid ?? ""}`);
}
