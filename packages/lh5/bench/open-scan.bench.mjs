// Cost of the reader marker on many-file scans (filedb opens thousands of LH5 files by path).
// Every path-based openLh5 of @daqkit/lh5/node creates a marker file beside the LH5 file, checks for
// an undo journal and removes the marker on close (see the README, "Readers during an in-place append").
// Input: LH5_SCAN_FILES (default 500) small LH5 files (one 100-row table each) under $DAQKIT_BENCH_DATA.
// Measures, interleaved in one run (best of 5 rounds each):
//   scan  — openLh5(path) + listTables() + close() over every file;
//   mark  — only the marker protocol (registerReader + hasUndoJournal + release) over every file.
// Figures: µs per file for each, and the marker's share of the scan.
// Set LH5_SCAN_OLD=<module> to also time the scan with another build of @daqkit/lh5/node (old vs new).
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { hasUndoJournal, registerReader } from "@daqkit/io/node";
import { createArray, createTable, openLh5, writeLh5 } from "@daqkit/lh5/node";
import { emit } from "../../../bench/lib.mjs";

const N = Number(process.env.LH5_SCAN_FILES ?? 500);
const ROUNDS = 5;
const dir = join(process.env.DAQKIT_BENCH_DATA ?? join(import.meta.dirname, "../../../bench/.data"), "lh5-scan");
mkdirSync(dir, { recursive: true });
const files = [];
for (let i = 0; i < N; i++) {
  const path = join(dir, `f${String(i).padStart(5, "0")}.lh5`);
  if (!existsSync(path)) {
    const x = new Float64Array(100).map((_, j) => i + j);
    await writeLh5(path, "ch/raw", createTable({ energy: createArray(x), t: createArray(x) }), { mode: "w" });
  }
  files.push(path);
}
const old = process.env.LH5_SCAN_OLD ? await import(process.env.LH5_SCAN_OLD) : undefined;

async function scan(open) {
  const t0 = performance.now();
  for (const path of files) {
    const f = await open(path);
    f.listTables("");
    f.close();
  }
  return performance.now() - t0;
}
function marks() {
  const t0 = performance.now();
  for (const path of files) {
    const m = registerReader(path);
    hasUndoJournal(path);
    m?.release();
  }
  return performance.now() - t0;
}

const best = { scan: Infinity, mark: Infinity, old: Infinity };
await scan(openLh5); // warm-up (runtime load, page cache)
if (old) await scan(old.openLh5);
for (let r = 0; r < ROUNDS; r++) {
  best.scan = Math.min(best.scan, await scan(openLh5));
  best.mark = Math.min(best.mark, marks());
  if (old) best.old = Math.min(best.old, await scan(old.openLh5));
}
const us = (ms) => ((ms * 1000) / N).toFixed(1);
console.log(`${N} files, best of ${ROUNDS} interleaved rounds`);
console.log(`scan (openLh5 path + listTables + close): ${us(best.scan)} µs/file`);
console.log(
  `marker protocol alone:                    ${us(best.mark)} µs/file (${((100 * best.mark) / best.scan).toFixed(1)}% of the scan)`,
);
emit("lh5.open-scan", "µs/file", (best.scan * 1000) / N, "lower");
emit("lh5.open-scan-markers", "µs/file", (best.mark * 1000) / N, "lower");
if (old) console.log(`scan with ${process.env.LH5_SCAN_OLD}: ${us(best.old)} µs/file; new / old = ${(best.scan / best.old).toFixed(3)}`);
