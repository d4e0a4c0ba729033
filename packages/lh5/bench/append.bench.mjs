// Cost of one append (`writeLh5(…, { mode: "append" })`) to LH5 files of 10 / 100 / 500 MB: the
// in-place append under an undo journal (default) vs the former copy-and-rename (`inPlace: false`),
// in the same run, interleaved. Input: a table `t` (id f64, value f64; 16 B/row, uncompressed) of
// about SIZE MB generated under $DAQKIT_BENCH_DATA and reused; each trial appends ROWS rows
// (default 10 000) to a fresh copy of it (the copy is not timed). Figures: median of REPEAT trials
// of wall time (including the commit's fsync) and of bytes written to storage (/proc/self/io
// write_bytes), ratio copy / in-place.
// Sizes: LH5_APPEND_BENCH_MB="10,100,500"; rows: LH5_APPEND_BENCH_ROWS; trials: LH5_APPEND_BENCH_REPEAT.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { createArray, createTable, openLh5, openLh5Writer, writeLh5 } from "@daqkit/lh5/node";
import { emit } from "../../../bench/lib.mjs";

const SIZES = (process.env.LH5_APPEND_BENCH_MB ?? "10,100,500").split(",").map(Number);
const ROWS = Number(process.env.LH5_APPEND_BENCH_ROWS ?? 10_000);
const REPEAT = Number(process.env.LH5_APPEND_BENCH_REPEAT ?? 3);
const dataDir = join(process.env.DAQKIT_BENCH_DATA ?? join(import.meta.dirname, "../../../bench/.data"), "lh5");
mkdirSync(dataDir, { recursive: true });

function table(first, n) {
  const id = new Float64Array(n);
  for (let i = 0; i < n; i++) id[i] = first + i;
  return createTable({ id: createArray(id), value: createArray(id.map((v) => v * 0.5)) });
}

async function generate(mb) {
  const path = join(dataDir, `append-base-${mb}MB.lh5`);
  if (existsSync(path)) return path;
  const rows = Math.round((mb * 1e6) / 16);
  const batch = 1_000_000;
  const tmp = `${path}.gen`;
  rmSync(tmp, { force: true });
  const w = await openLh5Writer(tmp, { mode: "w", compression: "none", chunkRows: 65536 });
  for (let at = 0; at < rows; at += batch) w.write("t", table(at, Math.min(batch, rows - at)), { append: true });
  w.close();
  copyFileSync(tmp, path);
  rmSync(tmp);
  console.log(`generated ${path} (${(statSync(path).size / 1e6).toFixed(1)} MB)`);
  return path;
}

function writtenBytes() {
  try {
    const m = /write_bytes: (\d+)/.exec(readFileSync("/proc/self/io", "utf8"));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (b) => (Number.isNaN(b) ? "n/a" : (b / 1e6).toFixed(2));

async function trial(base, work, inPlace, rowsBefore) {
  copyFileSync(base, work);
  globalThis.gc?.();
  const b0 = writtenBytes();
  const t0 = performance.now();
  await writeLh5(work, "t", table(rowsBefore, ROWS), { mode: "append", inPlace });
  const ms = performance.now() - t0;
  const bytes = writtenBytes() - b0;
  return { ms, bytes };
}

const rowsOut = [];
for (const size of SIZES) {
  const base = await generate(size);
  const f = await openLh5(base);
  const before = f.readTable("t", { columns: ["id"] }).nRows;
  f.close();
  const work = join(dataDir, `append-work-${size}MB.lh5`);
  const results = { copy: [], inPlace: [] };
  for (let i = 0; i < REPEAT; i++) {
    // Interleaved, alternating which goes first.
    const order = i % 2 === 0 ? [false, true] : [true, false];
    for (const inPlace of order) results[inPlace ? "inPlace" : "copy"].push(await trial(base, work, inPlace, before));
  }
  // The appended file is correct either way.
  const g = await openLh5(work);
  const n = g.readTable("t", { columns: ["id"] }).nRows;
  g.close();
  if (n !== before + ROWS) throw new Error(`append bench: expected ${before + ROWS} rows, found ${n}`);
  rmSync(work, { force: true });
  const c = { ms: median(results.copy.map((r) => r.ms)), bytes: median(results.copy.map((r) => r.bytes)) };
  const p = { ms: median(results.inPlace.map((r) => r.ms)), bytes: median(results.inPlace.map((r) => r.bytes)) };
  rowsOut.push({ size: statSync(base).size, c, p });
}

console.log(`append of ${ROWS} rows (${((ROWS * 16) / 1e6).toFixed(2)} MB of data), median of ${REPEAT} interleaved trials:`);
console.log("| file | copy + rename: time | bytes written | in place: time | bytes written | time ratio copy/in-place | bytes ratio |");
console.log("|---:|---:|---:|---:|---:|---:|---:|");
for (const { size, c, p } of rowsOut) {
  const bytesRatio = Number.isNaN(c.bytes) || p.bytes === 0 ? "n/a" : `${(c.bytes / p.bytes).toFixed(0)}×`;
  console.log(
    `| ${(size / 1e6).toFixed(0)} MB | ${c.ms.toFixed(0)} ms | ${mb(c.bytes)} MB | ${p.ms.toFixed(0)} ms | ${mb(p.bytes)} MB | ${(c.ms / p.ms).toFixed(1)}× | ${bytesRatio} |`,
  );
  const tag = `${(size / 1e6).toFixed(0)}MB`;
  emit(`lh5.append-in-place-${tag}`, "ms", p.ms, "lower");
  emit(`lh5.append-copy-${tag}`, "ms", c.ms, "lower");
  emit(`lh5.append-in-place-${tag}-written`, "MB", p.bytes / 1e6, "lower");
}
