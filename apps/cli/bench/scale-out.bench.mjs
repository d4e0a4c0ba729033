#!/usr/bin/env node
// Issue 19 "Performance": two shards (two `daqkit … --shard I/2` processes at once) against one process,
// on the built CLI, for
//   - gen2 convert-all of a 20-file night (one gen2_make.py file of SCALE_BENCH_PHOTONS photons, hard-linked
//     under 20 consecutive names), every run with --overwrite and --workers 1 (one conversion per process);
//   - the loader's no-TCM workload (issue 6 shape: SCALE_BENCH_CYCLES cycles × 6 channels × 10 000 hits,
//     cut trapEmax > 1000, four columns) written as Parquet (one file / a dataset part per shard).
// Rounds are interleaved (one, two, one, two, …) so load changes hit both sides alike; the speed-up is
// quoted per round (one-process wall time / two-shard wall time, the slower shard ends the run) with its
// range. Peak RSS is per daqkit command (each process reports its own maxRSS through rusage-hook.mjs, a child
// started with the same Node options included), and so is CPU time (user + system, all threads, all of the
// command's processes): on a shared, loaded machine the wall-clock speed-up measures the other jobs as
// much as daqkit, so the bench also prints the CPU-bound speed-up, CPU time of the one process / CPU time
// of the busier shard — what two shards give on two otherwise idle cores.
// SCALE_BENCH_BASE_CLI=/other/checkout/apps/cli/dist/index.js (and/or SCALE_BENCH_BASE_ENV="K=V …") adds a
// base build to every round (base one, base two, new one, new two), for comparing builds in one run.
// SCALE_BENCH_SHARD_NODE_FLAGS="--single-threaded-gc" runs the shard processes (only) under those Node flags.
// Run only this file: `pnpm bench scale-out` (or `node apps/cli/bench/scale-out.bench.mjs` after a build).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, linkSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { benchRoot } from "../../../bench/lib.mjs";

const PHOTONS = Number(process.env.SCALE_BENCH_PHOTONS ?? 2_500_000);
const CYCLES = Number(process.env.SCALE_BENCH_CYCLES ?? 100);
const ROUNDS = Number(process.env.SCALE_BENCH_ROUNDS ?? 2);
/** `gen2` or `load`: run only that workload (default both). */
const ONLY = process.env.SCALE_BENCH_ONLY ?? "";
const BASE_CLI = process.env.SCALE_BENCH_BASE_CLI;
const BASE_ENV = Object.fromEntries(
  (process.env.SCALE_BENCH_BASE_ENV ?? "")
    .split(/\s+/)
    .filter((kv) => kv.includes("="))
    .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
);
const HAS_BASE = BASE_CLI !== undefined || Object.keys(BASE_ENV).length > 0;
/** Node flags for the shard processes only, e.g. `--single-threaded-gc` (the one process runs without them). */
const SHARD_NODE_FLAGS = (process.env.SCALE_BENCH_SHARD_NODE_FLAGS ?? "").split(/\s+/).filter((f) => f.length > 0);
const FILES = 20;
const here = fileURLToPath(new URL(".", import.meta.url));
const root = join(here, "../../..");
const shared = join(root, "../shared");
const CLI = join(benchRoot, "apps/cli/dist/index.js"); // the build measured (DAQKIT_BENCH_ROOT)
/** Preloaded into every measured process: reports its RSS and CPU at exit (rusage-hook.mjs). */
const HOOK = new URL("./rusage-hook.mjs", import.meta.url).href;
const base = process.env.DAQKIT_BENCH_DATA ?? join(root, "bench/.data");
const work = join(base, "scale-out");

await main();

function runCli(args, build = { cli: CLI, env: {} }, nodeFlags = []) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...nodeFlags, "--import", HOOK, build.cli, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...build.env },
    });
    let err = "";
    child.stdout.resume();
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("close", (code) => {
      // One report per process: the daqkit process, and any child it started with the same Node options.
      // CPU and RSS add up (they run at the same time); the main thread is the busiest process's.
      const reports = [...err.matchAll(/@@rss (\d+) @@cpu ([\d.]+) @@main ([\d.]+|NaN)/g)].map((m) => m.slice(1).map(Number));
      const sum = (k) => (reports.length ? reports.reduce((t, r) => t + r[k], 0) : Number.NaN);
      const rss = sum(0);
      const cpu = sum(1);
      const main = reports.length ? Math.max(...reports.map((r) => r[2])) : Number.NaN;
      if (code !== 0) reject(new Error(`daqkit ${args.join(" ")} failed (${code}): ${err}`));
      else resolve({ seconds: (performance.now() - t0) / 1000, rss, cpu, main });
    });
  });
}

async function timed(runs, build, nodeFlags = []) {
  const t0 = performance.now();
  const results = await Promise.all(runs.map((args) => runCli(args, build, nodeFlags)));
  return {
    seconds: (performance.now() - t0) / 1000,
    rss: results.map((r) => r.rss),
    cpu: results.map((r) => r.cpu),
    main: results.map((r) => r.main),
  };
}

function rngFor(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gen2Night() {
  const dir = join(work, `gen2-${PHOTONS}`);
  const bin = join(dir, "bin");
  if (existsSync(join(dir, "complete"))) return bin;
  rmSync(dir, { recursive: true, force: true });
  const one = join(dir, "one");
  const r = spawnSync(
    "/usr/bin/python3",
    [join(shared, "tools/gen2_make.py"), one, "--photons", String(PHOTONS), "--seconds", "1", "--quiet"],
    {
      stdio: "inherit",
    },
  );
  if (r.status !== 0) throw new Error("gen2_make.py failed");
  const src = join(
    one,
    readdirSync(one).find((n) => n.endsWith(".bin")),
  );
  mkdirSync(bin, { recursive: true });
  for (let i = 0; i < FILES; i++) linkSync(src, join(bin, `${1602050064 + i}.bin`));
  writeFileSync(join(dir, "complete"), "");
  return bin;
}

async function loaderProduction() {
  const dir = join(work, `loader-${CYCLES}`);
  const dataDir = join(dir, "tier");
  const filedb = join(dir, "filedb.json");
  const config = join(dir, "loader.json");
  if (existsSync(join(dir, "complete"))) return { filedb, config };
  rmSync(dir, { recursive: true, force: true });
  const { createTable, writeLh5 } = await import("@daqkit/lh5/node");
  const channels = [1084800, 1084801, 1084802, 1084803, 1084804, 1084805];
  const rows = 10_000;
  for (let c = 0; c < CYCLES; c++) {
    const key = new Date(Date.UTC(2023, 2, 22) + c * 3600_000)
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z");
    const path = join(dataDir, "hit", `phy/p03/r001/l200-p03-r001-phy-${key}-tier_hit.lh5`);
    mkdirSync(join(path, ".."), { recursive: true });
    const rand = rngFor(c + 1);
    for (const [k, ch] of channels.entries()) {
      const trap = new Float32Array(rows);
      const aoe = new Float32Array(rows);
      const daq = new Int32Array(rows);
      const ts = new Float64Array(rows);
      let t = 1.679e9 + c * 3600;
      for (let r = 0; r < rows; r++) {
        trap[r] = -Math.log(1 - rand()) * 1500;
        aoe[r] = 1 + (rand() - 0.5) * 0.1;
        daq[r] = Math.round(trap[r] * 0.6);
        t += rand() * 0.1;
        ts[r] = t;
      }
      await writeLh5(path, `ch${ch}/hit`, createTable({ trapEmax: trap, AoE: aoe, daqenergy: daq, timestamp: ts }), {
        mode: k === 0 ? "w" : "a",
      });
    }
  }
  writeFileSync(
    filedb,
    JSON.stringify({
      data_dir: dataDir,
      tier_dirs: { hit: "/hit" },
      file_format: { hit: "/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-{timestamp}-tier_hit.lh5" },
      table_format: { hit: "ch{ch:07d}/hit" },
    }),
  );
  writeFileSync(config, JSON.stringify({ levels: { hit: { tiers: ["hit"] } } }));
  writeFileSync(join(dir, "complete"), "");
  return { filedb, config };
}

function mib(b) {
  return (b / 1048576).toFixed(0);
}
function range(xs) {
  return `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
}

/** One machine-readable figure (bench/run.mjs collects these to compare builds). */
function figure(workload, metric, value, better) {
  console.log(`@@bench ${JSON.stringify({ workload, metric, value: Number(value.toFixed(4)), better })}`);
}

async function compare(name, workload, one, two) {
  const builds = [
    ...(HAS_BASE ? [{ label: "base", cli: BASE_CLI ?? CLI, env: BASE_ENV, prefix: `cli.scale-out.base.${workload}` }] : []),
    { label: HAS_BASE ? "new" : "", cli: CLI, env: {}, prefix: `cli.scale-out.${workload}` },
  ];
  const stats = builds.map(() => ({
    speedups: [],
    cpuSpeedups: [],
    ones: [],
    twos: [],
    rssOne: [],
    rssTwo: [],
    cpuOne: [],
    cpuShard: [],
    mainOne: [],
    mainShard: [],
    lines: [],
  }));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [k, build] of builds.entries()) {
      const st = stats[k];
      const a = await timed([one()], build);
      const b = await timed([two(0), two(1)], build, SHARD_NODE_FLAGS);
      const cpuShard = Math.max(...b.cpu);
      st.speedups.push(a.seconds / b.seconds);
      st.cpuSpeedups.push(a.cpu[0] / cpuShard);
      st.ones.push(a.seconds);
      st.twos.push(b.seconds);
      st.rssOne.push(...a.rss);
      st.rssTwo.push(...b.rss);
      st.cpuOne.push(a.cpu[0]);
      st.cpuShard.push(cpuShard);
      st.mainOne.push(a.main[0]);
      st.mainShard.push(b.main[b.cpu.indexOf(cpuShard)]);
      st.lines.push(
        `  ${build.label ? `${build.label} ` : ""}round ${round}: one process ${a.seconds.toFixed(2)} s, ${a.cpu[0].toFixed(2)} s CPU (${a.main[0].toFixed(2)} main thread; peak RSS ${mib(a.rss[0])} MiB); two shards ${b.seconds.toFixed(2)} s, ${b.cpu.map((c) => c.toFixed(2)).join(" / ")} s CPU (${b.main.map((c) => c.toFixed(2)).join(" / ")} main thread; peak RSS ${b.rss.map(mib).join(" / ")} MiB) → ${(a.seconds / b.seconds).toFixed(2)}× wall, ${(a.cpu[0] / cpuShard).toFixed(2)}× CPU-bound`,
      );
    }
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  for (const [k, build] of builds.entries()) {
    const st = stats[k];
    console.log(
      `${name}${build.label ? ` (${build.label})` : ""}: speed-up of two shards over one process ${range(st.speedups)}× wall, ${range(st.cpuSpeedups)}× CPU-bound (target ≥ 1.7×), load average now ${loadavg()[0].toFixed(1)}`,
    );
    for (const l of st.lines) console.log(l);
    figure(build.prefix, "speed-up ×", median(st.speedups), "higher");
    figure(`${build.prefix}.cpu-bound`, "speed-up ×", median(st.cpuSpeedups), "higher");
    figure(`${build.prefix}.one-process`, "s", median(st.ones), "lower");
    figure(`${build.prefix}.two-shards`, "s", median(st.twos), "lower");
    figure(`${build.prefix}.one-process-cpu`, "s", median(st.cpuOne), "lower");
    figure(`${build.prefix}.shard-cpu`, "s", median(st.cpuShard), "lower");
    if (st.mainOne.every(Number.isFinite)) {
      // CPU of the helper threads (V8 compiles and GC, libuv): what one process takes beyond its main thread.
      figure(`${build.prefix}.one-process-helper-cpu`, "s", median(st.cpuOne.map((c, i) => c - st.mainOne[i])), "lower");
      figure(`${build.prefix}.shard-helper-cpu`, "s", median(st.cpuShard.map((c, i) => c - st.mainShard[i])), "lower");
    }
    figure(`${build.prefix}.one-process-rss`, "MiB", Math.max(...st.rssOne) / 1048576, "lower");
    figure(`${build.prefix}.shard-rss`, "MiB", Math.max(...st.rssTwo) / 1048576, "lower");
  }
}

/** The two arms as a user types them (paths as run here). */
function printCommands(one, shard) {
  const sh = (args) => ["daqkit", ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(" ");
  console.log(`  one process:          ${sh(one)}`);
  const node = SHARD_NODE_FLAGS.length > 0 ? `node ${SHARD_NODE_FLAGS.join(" ")} …/bin/` : "";
  console.log(`  two shards at once:   ${node}${sh(shard(0))} &`);
  console.log(`                        ${node}${sh(shard(1))}; wait`);
}

async function main() {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (pnpm bench builds)`);
  mkdirSync(work, { recursive: true });
  console.log(
    `${cpus().length} CPUs, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" ")}; ${ROUNDS} interleaved rounds`,
  );
  if (ONLY !== "load") {
    const bin = gen2Night();
    const out = join(work, "gen2-out");
    const gen2 = (extra) => ["gen2", "convert-all", bin, out, "--overwrite", "--workers", "1", "-q", ...extra];
    console.log(`gen2 convert-all: ${FILES} files × ${PHOTONS} photons`);
    printCommands(gen2([]), (i) => gen2(["--shard", `${i}/2`]));
    await compare(
      "gen2 convert-all",
      "gen2-convert-all",
      () => gen2([]),
      (i) => gen2(["--shard", `${i}/2`]),
    );
  }
  if (ONLY === "gen2") return;
  const { filedb, config } = await loaderProduction();
  const load = (out, extra) => [
    "load",
    config,
    filedb,
    "--files",
    "all",
    "--cut",
    "hit:trapEmax > 1000",
    "--columns",
    "trapEmax,AoE,daqenergy,timestamp",
    "--head",
    "0",
    // One thread per process, as gen2's --workers 1: the comparison is processes, not the loader's own threads
    // (an 81 MB input would otherwise start a worker in the one-process run).
    "--workers",
    "1",
    "--out",
    out,
    ...extra,
  ];
  console.log(`load (no TCM): ${CYCLES} cycles × 6 channels × 10 000 hits → Parquet`);
  printCommands(load(join(work, "load-one.parquet"), []), (i) => load(`${join(work, "load-ds")}/`, ["--shard", `${i}/2`]));
  await compare(
    "load no-TCM",
    "load-no-tcm",
    () => load(join(work, "load-one.parquet"), []),
    (i) => load(`${join(work, "load-ds")}/`, ["--shard", `${i}/2`]),
  );
}
