// In-process A/B of LH5 reads: a built checkout of another ref (BASE=/path/to/checkout, e.g. a git worktree of main after
// `pnpm install && pnpm build`) and this one, interleaved per repetition, on the files read.bench.mjs generates (DATA).
// Per pair: ratio = base time / new time, for wall time and process CPU time (user+sys). Prints min/median/max.
const BASE = process.env.BASE;
if (!BASE) throw new Error("set BASE to a built checkout (git worktree add /tmp/base main && cd /tmp/base && pnpm install && pnpm build)");
const NEW = process.env.NEW ?? new URL("../../..", import.meta.url).pathname.replace(/\/$/, "");
const DATA = process.env.DATA ?? `${process.env.DAQKIT_BENCH_DATA ?? `${NEW}/bench/.data`}/lh5`;
const N = 10_000_000,
  PAIRS = Number(process.env.PAIRS ?? 7);
const base = await import(`${BASE}/packages/lh5/dist/node.js`);
const neu = await import(`${NEW}/packages/lh5/dist/node.js`);
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${s[0].toFixed(2)}–${s[s.length - 1].toFixed(2)} (median ${s[Math.floor(s.length / 2)].toFixed(2)})`;
};
function time(fn) {
  globalThis.gc?.();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const t = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall: t, cpu: (c.user + c.system) / 1000 };
}
for (const comp of ["none", "gzip"]) {
  const path = `${DATA}/read-${N}-${comp}.lh5`;
  const fb = await base.openLh5(path),
    fn = await neu.openLh5(path);
  for (const [label, op] of [
    ["1 column", (f) => f.readObject("bench/tbl/energy")],
    ["4 columns", (f) => f.readTable("bench/tbl")],
  ]) {
    op(fb);
    op(fn); // warm-up (wasm heap, page cache)
    const rw = [],
      rc = [],
      bw = [],
      nw = [];
    for (let i = 0; i < PAIRS; i++) {
      const a = time(() => op(fb));
      const b = time(() => op(fn));
      rw.push(a.wall / b.wall);
      rc.push(a.cpu / b.cpu);
      bw.push(a.wall);
      nw.push(b.wall);
    }
    const fig = (w, m, v) =>
      console.log(`@@bench ${JSON.stringify({ workload: w, metric: m, value: Number(v.toFixed(3)), better: "higher" })}`);
    console.log(`${comp} ${label}: base ${stats(bw)} ms, new ${stats(nw)} ms; speed-up wall ${stats(rw)}, CPU ${stats(rc)}`);
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    fig(`lh5.read-${label[0]}col-${comp}.speedup`, "× (wall, median)", med(rw));
  }
  fb.close();
  fn.close();
}
console.log(`GLIBC_TUNABLES=${process.env.GLIBC_TUNABLES ?? ""} peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
