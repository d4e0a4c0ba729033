#!/usr/bin/env node
// loadIterator memory as the production grows (issue 15): synthetic productions of SIZES cycles
// (6 channels × ROWS hit rows each; trapEmax, AoE, daqenergy, timestamp; gzip; written with our own
// lh5 writer), iterated in chunks of CHUNK entries, against a full load() of the same production.
// Each (case, size) runs in its own Node process so its peak RSS is its own; the runs are interleaved
// (sizes and cases alternate, REPEAT rounds). What should hold: the iterator's peak RSS stays flat
// (largest/smallest production ≈ 1) while load()'s grows with the production.
//   node packages/loader/bench/iterator.bench.mjs   (after building @daqkit/loader)
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { emit } from "../../../bench/lib.mjs";

const SIZES = (process.env.LOADER_ITER_SIZES ?? "4,16,64").split(",").map(Number);
const CHANNELS = [1084800, 1084801, 1084802, 1084803, 1084804, 1084805];
const ROWS = Number(process.env.LOADER_ITER_ROWS ?? 5000);
const CHUNK = Number(process.env.LOADER_ITER_CHUNK ?? 10_000);
const REPEAT = Number(process.env.LOADER_ITER_REPEAT ?? 2);
const COLUMNS = ["trapEmax", "AoE", "daqenergy", "timestamp"];

const base = process.env.DAQKIT_BENCH_DATA ?? join(fileURLToPath(new URL(".", import.meta.url)), "../../../bench/.data");
const rootOf = (cycles) => join(base, `loader-iter-${cycles}x${ROWS}`);

const filedbConfig = (cycles) => ({
  data_dir: join(rootOf(cycles), "tier"),
  tier_dirs: { hit: "/hit" },
  file_format: { hit: "/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-{timestamp}-tier_hit.lh5" },
  table_format: { hit: "ch{ch:07d}/hit" },
});
const loaderConfig = { levels: { hit: { tiers: ["hit"] } } };

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
  return new Date(Date.UTC(2023, 2, 22) + i * 3600_000)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

async function generate(cycles) {
  const { createTable, writeLh5 } = await import("@daqkit/lh5/node");
  const root = rootOf(cycles);
  rmSync(root, { recursive: true, force: true });
  for (let c = 0; c < cycles; c++) {
    const rand = rng(c + 1);
    const path = join(root, "tier/hit", `phy/p03/r001/l200-p03-r001-phy-${cycleKey(c)}-tier_hit.lh5`);
    mkdirSync(join(path, ".."), { recursive: true });
    for (let ch = 0; ch < CHANNELS.length; ch++) {
      const trap = new Float32Array(ROWS);
      const aoe = new Float32Array(ROWS);
      const daq = new Int32Array(ROWS);
      const ts = new Float64Array(ROWS);
      for (let r = 0; r < ROWS; r++) {
        trap[r] = -Math.log(1 - rand()) * 1500;
        aoe[r] = 1 + (rand() - 0.5) * 0.1;
        daq[r] = Math.round(trap[r] * 0.6);
        ts[r] = 1.679e9 + c * 3600 + r * 0.01;
      }
      await writeLh5(path, `ch${CHANNELS[ch]}/hit`, createTable({ trapEmax: trap, AoE: aoe, daqenergy: daq, timestamp: ts }), {
        mode: ch === 0 ? "w" : "a",
      });
    }
  }
  writeFileSync(join(root, "complete.json"), JSON.stringify({ cycles, channels: CHANNELS.length, rows: ROWS }));
}

async function runCase(kind, cycles) {
  const { openDataLoader } = await import("@daqkit/loader/node");
  const dl = await openDataLoader(loaderConfig, { filedb: filedbConfig(cycles) });
  dl.setFiles("all");
  await dl.catalog.tierTables(0, "hit"); // FileDB table/column scan first, in both cases
  dl.setOutput({ columns: COLUMNS });
  const t0 = performance.now();
  let rows = 0;
  let sum = 0;
  // Live memory while a result is held: JS heap + array buffers after a full GC (needs --expose-gc).
  let retained = 0;
  const live = () => {
    globalThis.gc();
    const m = process.memoryUsage();
    retained = Math.max(retained, m.heapUsed + m.arrayBuffers);
  };
  if (kind === "iter") {
    for await (const { table } of dl.loadIterator({ chunkSize: CHUNK })) {
      rows += table.numRows;
      const trap = table.getChild("trapEmax").toArray();
      for (let i = 0; i < trap.length; i++) sum += trap[i];
      live();
    }
  } else {
    const table = await dl.load();
    rows = table.numRows;
    const trap = table.getChild("trapEmax").toArray();
    for (let i = 0; i < trap.length; i++) sum += trap[i];
    live();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { kind, cycles, rows, sum, seconds, peakRssMiB: process.resourceUsage().maxRSS / 1024, retainedMiB: retained / 2 ** 20 };
}

const caseArg = process.argv.indexOf("--case");
if (caseArg >= 0) {
  const r = await runCase(process.argv[caseArg + 1], Number(process.argv[caseArg + 2]));
  process.stdout.write(`${JSON.stringify(r)}\n`);
} else {
  for (const n of SIZES) {
    if (!existsSync(join(rootOf(n), "complete.json"))) {
      console.log(`generating ${n} cycles × ${CHANNELS.length} channels × ${ROWS} rows under ${rootOf(n)} …`);
      await generate(n);
    }
  }
  const results = new Map();
  for (let rep = 0; rep < REPEAT; rep++) {
    for (const n of rep % 2 === 0 ? SIZES : [...SIZES].reverse()) {
      for (const kind of rep % 2 === 0 ? ["iter", "load"] : ["load", "iter"]) {
        const r = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--case", kind, String(n)], {
          encoding: "utf8",
        });
        if (r.status !== 0) {
          console.error(r.stderr);
          process.exit(1);
        }
        const res = JSON.parse(r.stdout.trim().split("\n").pop());
        console.log(
          `${kind === "iter" ? `loadIterator(chunk ${CHUNK})` : "load()              "} ${String(n).padStart(4)} cycles = ${String(res.rows).padStart(8)} rows: ` +
            `peak RSS ${res.peakRssMiB.toFixed(0)} MiB, live heap + buffers ${res.retainedMiB.toFixed(1)} MiB, ${res.seconds.toFixed(2)} s (with a GC per chunk)`,
        );
        const key = `${kind}:${n}`;
        const old = results.get(key) ?? { rss: Number.POSITIVE_INFINITY, live: Number.POSITIVE_INFINITY };
        results.set(key, { rss: Math.min(old.rss, res.peakRssMiB), live: Math.min(old.live, res.retainedMiB) });
      }
    }
  }
  const lo = SIZES[0];
  const hi = SIZES[SIZES.length - 1];
  for (const kind of ["iter", "load"]) {
    const a = results.get(`${kind}:${lo}`);
    const b = results.get(`${kind}:${hi}`);
    console.log(
      `${kind === "iter" ? "loadIterator" : "load()      "}: ×${hi / lo} the production → live heap + buffers ${a.live.toFixed(1)} → ${b.live.toFixed(1)} MiB (×${(b.live / a.live).toFixed(2)}), ` +
        `peak RSS ${a.rss.toFixed(0)} → ${b.rss.toFixed(0)} MiB (×${(b.rss / a.rss).toFixed(2)}) (best of ${REPEAT})`,
    );
    emit(`loader.${kind === "iter" ? "iterator" : "load"}-rss-${hi}`, "MiB", b.rss, "lower");
    emit(`loader.${kind === "iter" ? "iterator" : "load"}-rss-growth`, `× RSS ${lo}→${hi} cycles`, b.rss / a.rss, "lower");
  }
}
