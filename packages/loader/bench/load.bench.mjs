#!/usr/bin/env node
// Entry list + load of four columns over a synthetic 100-cycle production (issue 6, "Performance"):
// 6 channels × 10 000 hit rows per cycle (trapEmax, AoE, daqenergy, timestamp; gzip), an old-format
// TCM per cycle grouping hits of 1–3 channels into events, written with our own lh5 writer.
// Cut `trapEmax > 1000`, once without a TCM level and once through the TCM (mode "only").
// Each case runs in its own Node process so its peak RSS is its own. CPU seconds are printed next to
// wall time because the machine is shared (wall time inflates under load; CPU time much less).
// Reference (measured on this workload with pygama.flow): 540 000 rows/s without the TCM (peak
// 805 MiB), 94 000 rows/s through it (peak 961 MiB). Target: ≥ 5× pygama, peak RSS below pygama's.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const CYCLES = Number(process.env.LOADER_BENCH_CYCLES ?? 100);
const CHANNELS = [1084800, 1084801, 1084802, 1084803, 1084804, 1084805];
const ROWS = 10_000;
const COLUMNS = ["trapEmax", "AoE", "daqenergy", "timestamp"];
// Threads for load(), this one included (`workers`: this thread and workers - 1 worker threads take
// cycles from one queue). A list runs each count, interleaved, LOADER_BENCH_REPEAT times, and prints
// the N-vs-1 ratios (wall and CPU) with their range. Each run is its own process.
const WORKER_COUNTS = String(process.env.LOADER_BENCH_WORKERS ?? "1,2")
  .split(",")
  .map(Number)
  .filter((n) => Number.isInteger(n) && n >= 1);
const WORKERS = Number(process.env.LOADER_BENCH_CASE_WORKERS ?? WORKER_COUNTS[0] ?? 1);
const REPEAT = Math.max(1, Number(process.env.LOADER_BENCH_REPEAT ?? 1));
const KINDS = String(process.env.LOADER_BENCH_KINDS ?? "hit,tcm").split(",");
const PYGAMA = { hit: { rowsPerS: 540_000, peakMiB: 805 }, tcm: { rowsPerS: 94_000, peakMiB: 961 } };

const base = process.env.DAQKIT_BENCH_DATA ?? join(fileURLToPath(new URL(".", import.meta.url)), "../../../bench/.data");
const root = join(base, `loader-prod-${CYCLES}`);
const dataDir = join(root, "tier");
const marker = join(root, "complete.json");

const filedbConfig = {
  data_dir: dataDir,
  tier_dirs: { hit: "/hit", tcm: "/tcm" },
  file_format: {
    hit: "/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-{timestamp}-tier_hit.lh5",
    tcm: "/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-{timestamp}-tier_tcm.lh5",
  },
  table_format: { hit: "ch{ch:07d}/hit", tcm: "hardware_tcm_1" },
};
const loaderConfig = {
  levels: {
    hit: { tiers: ["hit"] },
    tcm: {
      tiers: ["tcm"],
      parent: "hit",
      child: "evt",
      tcm_cols: { child_idx: "coin_idx", parent_tb: "array_id", parent_idx: "array_idx" },
    },
    evt: { tiers: ["evt"] },
  },
};

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function cycleKey(i) {
  const d = new Date(Date.UTC(2023, 2, 22, 0, 0, 0) + i * 3600_000);
  return d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

async function generate() {
  const { createArray, createStruct, createTable, writeLh5 } = await import("@daqkit/lh5/node");
  rmSync(root, { recursive: true, force: true });
  const t0 = performance.now();
  for (let c = 0; c < CYCLES; c++) {
    const key = cycleKey(c);
    const rel = `phy/p03/r001/l200-p03-r001-phy-${key}`;
    const rand = rng(c + 1);
    // Events of 1–3 channels until every channel has ROWS hits; event time grows by random gaps.
    const fill = new Int32Array(CHANNELS.length);
    const ts = CHANNELS.map(() => new Float64Array(ROWS));
    const cl = [];
    const id = [];
    const idx = [];
    let t = 1.679e9 + c * 3600;
    let remaining = CHANNELS.length * ROWS;
    while (remaining > 0) {
      t += rand() * 0.05;
      const k = 1 + Math.floor(rand() * 3);
      const open = [];
      for (let ch = 0; ch < CHANNELS.length; ch++) if (fill[ch] < ROWS) open.push(ch);
      for (let j = 0; j < k && open.length > 0; j++) {
        const ch = open.splice(Math.floor(rand() * open.length), 1)[0];
        const r = fill[ch]++;
        ts[ch][r] = t;
        id.push(CHANNELS[ch]);
        idx.push(r);
        remaining--;
      }
      cl.push(id.length);
    }
    const hitPath = join(dataDir, "hit", `${rel}-tier_hit.lh5`);
    mkdirSync(join(hitPath, ".."), { recursive: true });
    for (let ch = 0; ch < CHANNELS.length; ch++) {
      const trap = new Float32Array(ROWS);
      const aoe = new Float32Array(ROWS);
      const daq = new Int32Array(ROWS);
      for (let r = 0; r < ROWS; r++) {
        trap[r] = -Math.log(1 - rand()) * 1500;
        aoe[r] = 1 + (rand() - 0.5) * 0.1;
        daq[r] = Math.round(trap[r] * 0.6);
      }
      const table = createTable({ trapEmax: trap, AoE: aoe, daqenergy: daq, timestamp: ts[ch] });
      await writeLh5(hitPath, `ch${CHANNELS[ch]}/hit`, table, { mode: ch === 0 ? "w" : "a" });
    }
    const tcmPath = join(dataDir, "tcm", `${rel}-tier_tcm.lh5`);
    mkdirSync(join(tcmPath, ".."), { recursive: true });
    const tcm = createStruct({
      cumulative_length: createArray(BigInt64Array.from(cl, BigInt)),
      array_id: createArray(BigInt64Array.from(id, BigInt)),
      array_idx: createArray(BigInt64Array.from(idx, BigInt)),
    });
    await writeLh5(tcmPath, "hardware_tcm_1", tcm, { mode: "w" });
  }
  writeFileSync(marker, JSON.stringify({ cycles: CYCLES, channels: CHANNELS.length, rows: ROWS }));
  return (performance.now() - t0) / 1000;
}

async function runCase(kind) {
  const { openDataLoader } = await import("@daqkit/loader/node");
  const t0 = performance.now();
  let schedule = null;
  const dl = await openDataLoader(loaderConfig, {
    filedb: filedbConfig,
    workers: WORKERS,
    onSchedule: (s) => {
      schedule = s;
    },
  });
  dl.setFiles("all");
  await dl.catalog.tierTables(0, "hit"); // FileDB table/column scan (opens every file once)
  const tScan = performance.now();
  const cpu0 = process.cpuUsage();
  dl.setCuts({ hit: "trapEmax > 1000" });
  dl.setOutput({ columns: COLUMNS });
  const table = await dl.load(undefined, kind === "tcm" ? { tcmLevel: "tcm", mode: "only" } : {});
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  let check = 0;
  const trap = table.getChild("trapEmax").toArray();
  for (let i = 0; i < trap.length; i++) check += trap[i] > 1000 ? 1 : 0;
  return {
    kind,
    workers: WORKERS,
    inputRows: CYCLES * CHANNELS.length * ROWS,
    outputRows: table.numRows,
    columns: table.numCols,
    passingChecked: check === table.numRows,
    scanSeconds: (tScan - t0) / 1000,
    loadSeconds: (t1 - tScan) / 1000,
    loadCpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    workersStarted: schedule?.workersStarted ?? null,
    cyclesOnWorkers: schedule?.cyclesOnWorkers ?? null,
  };
}

const caseArg = process.argv.indexOf("--case");
if (caseArg >= 0) {
  const result = await runCase(process.argv[caseArg + 1]);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  if (!existsSync(marker)) {
    console.log(`generating ${CYCLES} cycles × ${CHANNELS.length} channels × ${ROWS} rows under ${root} …`);
    console.log(`  written in ${(await generate()).toFixed(1)} s`);
  } else console.log(`reusing ${root}`);
  const figure = (workload, metric, value, better) => console.log(`@@bench ${JSON.stringify({ workload, metric, value, better })}`);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const range = (xs) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  for (const kind of KINDS) {
    const runs = new Map(WORKER_COUNTS.map((w) => [w, []]));
    for (let rep = 0; rep < REPEAT; rep++)
      for (const w of rep % 2 === 0 ? WORKER_COUNTS : [...WORKER_COUNTS].reverse()) {
        const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--case", kind], {
          encoding: "utf8",
          env: { ...process.env, LOADER_BENCH_CASE_WORKERS: String(w) },
        });
        if (r.status !== 0) {
          console.error(r.stderr);
          process.exit(1);
        }
        const res = JSON.parse(r.stdout.trim().split("\n").pop());
        runs.get(w).push(res);
        report(kind, res);
      }
    // One figure per thread count (median over the repeats), then the N-vs-1 ratios.
    for (const [w, rs] of runs) {
      const name = `loader.load-${kind === "hit" ? "no-tcm" : "tcm"}${w === 1 ? "" : `-${w}w`}`;
      figure(name, "M hits/s", Number(median(rs.map((r) => r.inputRows / r.loadSeconds / 1e6)).toFixed(3)), "higher");
      figure(`${name}.cpu`, "M hits/CPU-s", Number(median(rs.map((r) => r.inputRows / r.loadCpuSeconds / 1e6)).toFixed(3)), "higher");
      figure(`${name}.peak-rss`, "MiB", Number(median(rs.map((r) => r.peakRssMiB)).toFixed(0)), "lower");
    }
    const one = runs.get(1);
    for (const w of WORKER_COUNTS) {
      if (w === 1 || !one) continue;
      const many = runs.get(w);
      // Pairs in run order (interleaved): ratio > 1 means w threads are faster than one.
      const wall = many.map((m, k) => one[k].loadSeconds / m.loadSeconds);
      const cpu = many.map((m, k) => m.loadCpuSeconds / one[k].loadCpuSeconds);
      const name = `loader.load-${kind === "hit" ? "no-tcm" : "tcm"}.${w}w-vs-1w`;
      console.log(
        `${kind === "hit" ? "no TCM        " : "TCM mode only "} ${w} threads vs 1, ${CYCLES} cycles: wall-time speed-up ${median(wall).toFixed(2)}× (range ${range(wall)} over ${wall.length} interleaved pairs); ` +
          `process CPU time ${w} threads / 1: ${median(cpu).toFixed(2)}× (${range(cpu)}); cycles on workers ${many.map((m) => m.cyclesOnWorkers ?? "?").join(",")} of ${CYCLES}`,
      );
      figure(name, "×", Number(median(wall).toFixed(3)), "higher");
      figure(`${name}.cpu-ratio`, "×", Number(median(cpu).toFixed(3)), "lower");
    }
  }
}

function report(kind, res) {
  const total = res.scanSeconds + res.loadSeconds;
  const rowsPerS = res.inputRows / res.loadSeconds;
  const rowsPerSWithScan = res.inputRows / total;
  const ref = PYGAMA[kind];
  console.log(
    `${kind === "hit" ? "no TCM        " : "TCM mode only "} (${res.workers} worker${res.workers === 1 ? "" : "s"}): ${res.inputRows} hits → ${res.outputRows} rows × ${res.columns} cols; ` +
      `entry list + load ${res.loadSeconds.toFixed(2)} s = ${(rowsPerS / 1e6).toFixed(2)} M hits/s (${(rowsPerS / ref.rowsPerS).toFixed(1)}× pygama's ${ref.rowsPerS / 1000}k/s); ` +
      `with FileDB table scan ${total.toFixed(2)} s = ${(rowsPerSWithScan / 1e6).toFixed(2)} M hits/s (${(rowsPerSWithScan / ref.rowsPerS).toFixed(1)}×); ` +
      `process CPU time (all threads) ${res.loadCpuSeconds.toFixed(2)} s = ${(res.inputRows / res.loadCpuSeconds / 1e6).toFixed(2)} M hits per CPU-second; ` +
      `output ${(res.outputRows / res.loadSeconds / 1e6).toFixed(2)} M rows/s; peak RSS ${res.peakRssMiB.toFixed(0)} MiB (pygama ${ref.peakMiB} MiB)` +
      (res.passingChecked ? "" : "  !! cut check failed"),
  );
}
