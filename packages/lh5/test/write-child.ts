// Child process of lh5.kill.test.ts and lh5.concurrency.test.ts (bundled with bundleScript):
// `node write-child.mjs MODE FILE ROWS FIRST` writes (MODE "w") or appends (MODE "append") a table
// "t" of ROWS rows whose column `id` counts from FIRST; prints "started", then "done writes=K" (K:
// writes and truncations HDF5 made to FILE) or the error code.
// With LH5_KILL_AT_WRITE=N (and LH5_KILL_WHEN=before|after) the child SIGKILLs itself just before or
// just after HDF5's N-th write to FILE — after the undo journal saved what that write overwrites.
import { resolve } from "node:path";
import { loadH5RuntimeNode as h5ready } from "@daqkit/io/node";
import { Lh5Error, createArray, createTable, writeLh5 } from "../src/node.js";

const [mode, file, rowsText, firstText] = process.argv.slice(2) as [string, string, string, string];
const rows = Number(rowsText);
const first = Number(firstText);
const id = new Float64Array(rows);
for (let i = 0; i < rows; i++) id[i] = first + i;
const table = createTable({ id: createArray(id), twice: createArray(id.map((v) => 2 * v)) });

// Count (and optionally die at) HDF5's writes to FILE. Installed before the writer's journal guard,
// so the guard wraps it: journal first, then this, then the real write.
const killAt = Number(process.env.LH5_KILL_AT_WRITE ?? 0);
const killBefore = process.env.LH5_KILL_WHEN !== "after";
let writes = 0;
const fs = (await h5ready()).h5.FS as unknown as {
  write(stream: { path?: string }, ...rest: unknown[]): number;
  ftruncate(fd: number, length: number): void;
  getStreamChecked(fd: number): { path?: string };
};
const target = resolve(file);
const count = (path: string | undefined, op: () => unknown): unknown => {
  if (path === undefined || resolve(path) !== target) return op();
  writes++;
  if (writes === killAt && killBefore) process.kill(process.pid, "SIGKILL");
  const r = op();
  if (writes === killAt) process.kill(process.pid, "SIGKILL");
  return r;
};
const write = fs.write.bind(fs);
const ftruncate = fs.ftruncate.bind(fs);
fs.write = (stream, ...rest) => count(stream.path, () => write(stream, ...rest)) as number;
fs.ftruncate = (fd, length) => void count(fs.getStreamChecked(fd).path, () => ftruncate(fd, length));

console.log("started");
try {
  await writeLh5(file, "t", table, { mode: mode === "w" ? "w" : "append", compression: "none" });
  console.log(`done writes=${writes}`);
} catch (error) {
  if (!Lh5Error.isInstance(error)) throw error;
  console.log(`error ${error.code} ${error.holderPid ?? ""}`);
}
