// One-column read against h5py, interleaved read by read (issue 17): the float64 column `bench/tbl/energy`
// of read.bench.mjs's 10 M-row files (uncompressed and gzip 1; DATA or $DAQKIT_BENCH_DATA/lh5), read in turn
// by a persistent Debian python3 + h5py process (`d[:]`, one read each time it is asked), by `readObject`
// and by `readObjectAsync` of this build, REPS times each, the first two rounds dropped. Prints wall and
// process CPU (user + sys, all threads) per read, min / median / max, and h5py / ours of the medians.
// Run with --expose-gc, with and without GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (the huge-page control: the
// tunable then applies to both processes).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { openLh5 } from "@daqkit/lh5/node";

const DATA = process.env.DATA ?? join(process.env.DAQKIT_BENCH_DATA ?? join(import.meta.dirname, "../../../bench/.data"), "lh5");
const REPS = Number(process.env.REPS ?? 11);
const N = 10_000_000;
const COMPRESSIONS = ["none", "gzip"];
const paths = Object.fromEntries(COMPRESSIONS.map((c) => [c, join(DATA, `read-${N}-${c}.lh5`)]));
for (const p of Object.values(paths)) if (!existsSync(p)) throw new Error(`${p} missing: run read.bench.mjs once to generate it`);

const PY = `
import sys, time, h5py
files = {c: h5py.File(p, "r") for c, p in zip(sys.argv[1::2], sys.argv[2::2])}
for line in sys.stdin:
    d = files[line.strip()]["bench/tbl/energy"]
    c0 = time.process_time(); t0 = time.perf_counter(); a = d[:]; t = time.perf_counter() - t0; c = time.process_time() - c0
    assert a.shape == (${N},)
    del a
    print(t * 1000, c * 1000, flush=True)
`;
const py = spawn("/usr/bin/python3", ["-c", PY, ...COMPRESSIONS.flatMap((c) => [c, paths[c]])], { stdio: ["pipe", "pipe", "inherit"] });
const answers = createInterface({ input: py.stdout })[Symbol.asyncIterator]();
async function h5py(c) {
  py.stdin.write(`${c}\n`);
  const { value, done } = await answers.next();
  if (done) throw new Error("h5py process ended");
  const [wall, cpu] = value.split(" ").map(Number);
  return { wall, cpu };
}
async function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  if (out.length !== N) throw new Error(`${out.length} values`);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

const files = Object.fromEntries(await Promise.all(COMPRESSIONS.map(async (c) => [c, await openLh5(paths[c])])));
const ops = {
  h5py: (c) => h5py(c),
  readObject: (c) => timed(() => files[c].readObject("bench/tbl/energy").data),
  readObjectAsync: (c) => timed(async () => (await files[c].readObjectAsync("bench/tbl/energy")).data),
};
const keys = Object.keys(ops);
const res = {};
for (const c of COMPRESSIONS) for (const k of keys) res[`${c} ${k}`] = { wall: [], cpu: [] };
for (let r = 0; r < REPS + 2; r++) {
  for (const c of COMPRESSIONS) {
    for (let j = 0; j < keys.length; j++) {
      const k = keys[(j + r) % keys.length];
      globalThis.gc?.();
      const t = await ops[k](c);
      if (r >= 2) {
        res[`${c} ${k}`].wall.push(t.wall);
        res[`${c} ${k}`].cpu.push(t.cpu);
      }
    }
  }
}
py.stdin.end();
for (const f of Object.values(files)) f.close();
const sorted = (xs) => [...xs].sort((a, b) => a - b);
const med = (xs) => sorted(xs)[xs.length >> 1];
const s = (xs) =>
  sorted(xs)
    .filter((_, i, a) => i === 0 || i === a.length >> 1 || i === a.length - 1)
    .map((x) => x.toFixed(0))
    .join(" / ");
const figure = (workload, metric, value, better) => console.log(`@@bench ${JSON.stringify({ workload, metric, value, better })}`);
console.log(`${REPS} interleaved reads each (GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? ""}), ms min / median / max:`);
for (const c of COMPRESSIONS) {
  const ref = res[`${c} h5py`];
  for (const k of keys) {
    const r = res[`${c} ${k}`];
    const vs =
      k === "h5py"
        ? ""
        : `   h5py/ours (medians) ${(med(ref.wall) / med(r.wall)).toFixed(2)}× wall, ${(med(ref.cpu) / med(r.cpu)).toFixed(2)}× CPU`;
    console.log(`  ${c.padEnd(5)} ${k.padEnd(16)} wall ${s(r.wall).padEnd(16)} cpu ${s(r.cpu).padEnd(14)}${vs}`);
    if (k !== "h5py") {
      figure(`lh5.read-1col-${c}.${k}.vs-h5py-interleaved`, "ratio", Number((med(ref.wall) / med(r.wall)).toFixed(3)), "higher");
      figure(`lh5.read-1col-${c}.${k}.vs-h5py-interleaved.cpu`, "ratio", Number((med(ref.cpu) / med(r.cpu)).toFixed(3)), "higher");
    }
  }
}
