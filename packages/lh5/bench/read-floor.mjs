// The one-column read against its floor (issue 17): `readObject` of the 10 M-row float64 column
// `bench/tbl/energy` of read.bench.mjs's uncompressed file, next to the least any synchronous read
// into a new array can do — `new Float64Array(n)` plus `fs.readSync` of the same 80 MB in 512 KiB
// pieces (the kernel faults and zeroes the fresh pages and copies from the page cache) — and, with
// BASE=<built checkout of another ref>, that build's `readObject`; `readObjectAsync` (the same column read in
// parts at once on libuv's thread pool, so the fresh pages are first touched on several threads); interleaved in one process, the
// first two repetitions dropped. Prints wall, process CPU (user + sys, all threads) and minor page faults per
// read, min/median/max.
// Run with --expose-gc, with and without GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (the huge-page control).
import { closeSync, existsSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import { openLh5 } from "@daqkit/lh5/node";

const DATA = process.env.DATA ?? join(process.env.DAQKIT_BENCH_DATA ?? join(import.meta.dirname, "../../../bench/.data"), "lh5");
const path = join(DATA, "read-10000000-none.lh5");
if (!existsSync(path)) throw new Error(`${path} missing: run read.bench.mjs once to generate it`);
const REPS = Number(process.env.REPS ?? 15);
const N = 10_000_000;
const PIECE = 512 * 1024;
const ours = await openLh5(path);
let base;
if (process.env.BASE) {
  const dist = join(process.env.BASE, "packages/lh5/dist");
  const mod = await import(existsSync(join(dist, "node.js")) ? join(dist, "node.js") : join(dist, "index.js"));
  base = await mod.openLh5(path);
}
const fd = openSync(path, "r");
const ops = {
  readObject: () => ours.readObject("bench/tbl/energy").data,
  readObjectAsync: async () => (await ours.readObjectAsync("bench/tbl/energy")).data,
  floor: () => {
    const out = new Float64Array(N);
    const bytes = new Uint8Array(out.buffer);
    for (let at = 0; at < bytes.length; at += PIECE) readSync(fd, bytes, at, Math.min(PIECE, bytes.length - at), at);
    return out;
  },
};
if (base) ops.base = () => base.readObject("bench/tbl/energy").data;
const keys = Object.keys(ops);
const wall = Object.fromEntries(keys.map((k) => [k, []]));
const cpu = Object.fromEntries(keys.map((k) => [k, []]));
const faults = Object.fromEntries(keys.map((k) => [k, []]));
for (let r = 0; r < REPS + 2; r++) {
  for (let j = 0; j < keys.length; j++) {
    const k = keys[(j + r) % keys.length];
    globalThis.gc?.();
    const f0 = process.resourceUsage().minorPageFault;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = await ops[k]();
    const t = performance.now() - t0;
    const c = process.cpuUsage(c0);
    const f = process.resourceUsage().minorPageFault - f0;
    if (out.length !== N) throw new Error(`${k}: ${out.length} values`);
    if (r >= 2) {
      wall[k].push(t);
      cpu[k].push((c.user + c.system) / 1000);
      faults[k].push(f);
    }
  }
}
closeSync(fd);
const s = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  return `${a[0].toFixed(0)} / ${a[a.length >> 1].toFixed(0)} / ${a[a.length - 1].toFixed(0)}`;
};
console.log(`${REPS} interleaved reads each (GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? ""}), ms min / median / max:`);
for (const k of keys) {
  console.log(`  ${k.padEnd(15)} wall ${s(wall[k]).padEnd(18)} cpu ${s(cpu[k]).padEnd(15)} minflt ${s(faults[k])}`);
}
