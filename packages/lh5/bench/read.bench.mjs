// Read throughput of @daqkit/lh5 (built dist) vs h5py on the same files, in the same run.
// Input: a 10M-row LH5 table `bench/tbl` with 4 columns (energy f64, timestamp f64, channel u32,
// evtid i64; 28 B/row) written by our writer, once uncompressed and once gzip(1), generated under
// $DAQKIT_BENCH_DATA and reused. Measures: one numeric column (energy), and all 4 columns (readTable).
// The one column is also read with `readObjectAsync` (a host path: parts read at once on libuv's thread
// pool, deflated chunks inflated there), reported as "1 column async".
// Figures: best of 5 (wall), MB/s of decoded data, ratio ours / h5py, peak RSS; and the median CPU time
// (user + system) of the same reads on both sides with its ratio — on a loaded machine the CPU ratio is the
// one to read (other processes stretch wall times, not CPU times).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { createArray, createTable, openLh5, writeLh5 } from "@daqkit/lh5/node";

const N = Number(process.env.LH5_BENCH_ROWS ?? 10_000_000);
const dataDir = join(process.env.DAQKIT_BENCH_DATA ?? join(import.meta.dirname, "../../../bench/.data"), "lh5");
mkdirSync(dataDir, { recursive: true });
const REPEAT = 5;
const BYTES_PER_ROW = 8 + 8 + 4 + 8;

async function generate(path, compression) {
  if (existsSync(path)) return;
  const t0 = performance.now();
  const energy = new Float64Array(N);
  const timestamp = new Float64Array(N);
  const channel = new Uint32Array(N);
  const evtid = new BigInt64Array(N);
  let seed = 12345;
  for (let i = 0; i < N; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    energy[i] = (seed % 100000) / 37.0;
    timestamp[i] = 1.6e9 + i * 1e-4;
    channel[i] = 1084803 + (seed % 6);
    evtid[i] = BigInt(i);
  }
  const table = createTable({
    energy: createArray(energy, { units: "keV" }),
    timestamp: createArray(timestamp, { units: "s" }),
    channel: createArray(channel),
    evtid: createArray(evtid),
  });
  await writeLh5(path, "bench/tbl", table, { mode: "w", compression, compressionLevel: 1, chunkRows: 65536 });
  console.log(`generated ${path} (${(statSync(path).size / 1e6).toFixed(1)} MB) in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Best wall time and median CPU time (s, all threads) of REPEAT calls of an async function. */
async function bestAsync(fn) {
  let min = Number.POSITIVE_INFINITY;
  const cpu = [];
  for (let i = 0; i < REPEAT; i++) {
    globalThis.gc?.();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  return { wall: min / 1000, cpu: median(cpu) };
}

/** Best wall time and median CPU time (s) of REPEAT calls. */
function best(fn) {
  let min = Number.POSITIVE_INFINITY;
  const cpu = [];
  for (let i = 0; i < REPEAT; i++) {
    // Collect the previous result first (h5py frees its arrays at once by refcount); needs --expose-gc,
    // which `pnpm bench` passes.
    globalThis.gc?.();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  return { wall: min / 1000, cpu: median(cpu) };
}

async function ours(path) {
  const f = await openLh5(path);
  try {
    let check = 0;
    const one = best(() => {
      const a = f.readObject("bench/tbl/energy");
      check = a.data[N - 1];
    });
    const four = best(() => {
      const t = f.readTable("bench/tbl");
      check += t.nRows;
    });
    // A `--baseline` build from before readObjectAsync: no async line.
    if (typeof f.readObjectAsync !== "function") return { one, four, check };
    const last = f.readObject("bench/tbl/energy").data[N - 1];
    const oneAsync = await bestAsync(async () => {
      const a = await f.readObjectAsync("bench/tbl/energy");
      if (a.data[N - 1] !== last) throw new Error("readObjectAsync differs from readObject");
    });
    return { one, four, oneAsync, check };
  } finally {
    f.close();
  }
}

const PY = `
import sys, time, h5py
path, repeat = sys.argv[1], int(sys.argv[2])
def best(fn):
    m = 1e9
    cpu = []
    for _ in range(repeat):
        c0 = time.process_time(); t0 = time.perf_counter(); fn(); m = min(m, time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return m, sorted(cpu)[len(cpu) // 2]
f = h5py.File(path, "r")
g = f["bench/tbl"]
one = best(lambda: g["energy"][:])
four = best(lambda: [g[c][:] for c in ("energy", "timestamp", "channel", "evtid")])
print(*one, *four)
`;

function h5py(path) {
  const r = spawnSync("/usr/bin/python3", ["-c", PY, path, String(REPEAT)], { encoding: "utf8" });
  if (r.status !== 0) return undefined;
  const [oneWall, oneCpu, fourWall, fourCpu] = r.stdout.trim().split(/\s+/).map(Number);
  return { one: { wall: oneWall, cpu: oneCpu }, four: { wall: fourWall, cpu: fourCpu } };
}

const mb = (bytes, s) => bytes / 1e6 / s;
// LH5_BENCH_H5PY=0 skips the h5py side (A/B runs of two builds of ours).
const wantH5py = process.env.LH5_BENCH_H5PY !== "0";
const haveH5py = wantH5py && spawnSync("/usr/bin/python3", ["-c", "import h5py"], { stdio: "ignore" }).status === 0;
if (wantH5py && !haveH5py) console.log("h5py not available (/usr/bin/python3 -c 'import h5py' failed): reporting our figures only");
/** One machine-readable figure (collected by bench/run.mjs). */
const figure = (workload, metric, value, better) => console.log(`@@bench ${JSON.stringify({ workload, metric, value, better })}`);

console.log(`rows ${N.toLocaleString("en")}, repeat ${REPEAT} (best), MB/s of decoded data`);
for (const compression of ["none", "gzip"]) {
  const path = join(dataDir, `read-${N}-${compression}.lh5`);
  await generate(path, compression);
  const o = await ours(path);
  const p = haveH5py ? h5py(path) : undefined;
  const oneBytes = N * 8;
  const fourBytes = N * BYTES_PER_ROW;
  const line = (label, bytes, s, ref) =>
    `  ${label.padEnd(28)} ours ${s.wall.toFixed(3)} s ${mb(bytes, s.wall).toFixed(0).padStart(6)} MB/s (CPU ${s.cpu.toFixed(3)} s)` +
    (ref === undefined
      ? ""
      : `   h5py ${ref.wall.toFixed(3)} s ${mb(bytes, ref.wall).toFixed(0).padStart(6)} MB/s (CPU ${ref.cpu.toFixed(3)} s)` +
        `   ratio ${(ref.wall / s.wall).toFixed(2)}× wall, ${(ref.cpu / s.cpu).toFixed(2)}× CPU`);
  console.log(`${compression === "none" ? "uncompressed" : "gzip level 1"}, chunks 65536 rows:`);
  console.log(line("1 column (float64)", oneBytes, o.one, p?.one));
  if (o.oneAsync) console.log(line("1 column async", oneBytes, o.oneAsync, p?.one));
  console.log(line("4 columns (f64,f64,u32,i64)", fourBytes, o.four, p?.four));
  figure(`lh5.read-1col-${compression}`, "MB/s", Number(mb(oneBytes, o.one.wall).toFixed(1)), "higher");
  figure(`lh5.read-4col-${compression}`, "MB/s", Number(mb(fourBytes, o.four.wall).toFixed(1)), "higher");
  figure(`lh5.read-1col-${compression}.cpu`, "s", Number(o.one.cpu.toFixed(4)), "lower");
  if (o.oneAsync) {
    figure(`lh5.read-1col-${compression}-async`, "MB/s", Number(mb(oneBytes, o.oneAsync.wall).toFixed(1)), "higher");
    figure(`lh5.read-1col-${compression}-async.cpu`, "s", Number(o.oneAsync.cpu.toFixed(4)), "lower");
  }
  figure(`lh5.read-4col-${compression}.cpu`, "s", Number(o.four.cpu.toFixed(4)), "lower");
  if (p) {
    figure(`lh5.read-1col-${compression}.vs-h5py`, "ratio", Number((p.one.wall / o.one.wall).toFixed(3)), "higher");
    figure(`lh5.read-4col-${compression}.vs-h5py`, "ratio", Number((p.four.wall / o.four.wall).toFixed(3)), "higher");
    figure(`lh5.read-1col-${compression}.vs-h5py.cpu`, "ratio", Number((p.one.cpu / o.one.cpu).toFixed(3)), "higher");
    if (o.oneAsync) {
      figure(`lh5.read-1col-${compression}-async.vs-h5py`, "ratio", Number((p.one.wall / o.oneAsync.wall).toFixed(3)), "higher");
      figure(`lh5.read-1col-${compression}-async.vs-h5py.cpu`, "ratio", Number((p.one.cpu / o.oneAsync.cpu).toFixed(3)), "higher");
    }
    figure(`lh5.read-4col-${compression}.vs-h5py.cpu`, "ratio", Number((p.four.cpu / o.four.cpu).toFixed(3)), "higher");
  }
}
const peakMiB = process.resourceUsage().maxRSS / 1024;
console.log(`peak RSS ${peakMiB.toFixed(0)} MiB`);
figure("lh5.read.peak-rss", "MiB", Number(peakMiB.toFixed(0)), "lower");
