// Scaling bench (issue 17): does cost grow linearly, and is memory flat where the API streams?
// Each workload runs at 1×, 2×, 4×, 8× an input size; every measurement is its own child process
// (so its peak RSS is its own), sizes interleaved over ROUNDS rounds (alternating order), fastest
// time and lowest peak RSS per size kept; the doubling check uses CPU time (robust on a loaded
// machine): the workload's own (FileDB, docmodel) or the child process's from GNU time (gen2,
// loader; includes process start, ~0.1–0.2 s, which flattens the first doubling slightly). Printed per workload: time per size, the time ratio of
// each doubling (linear: ≤ 2×) and, for the streaming APIs, peak RSS 8× / 1× (flat: ≤ 1.2×).
//   gen2 convert-all   BinDirectory.convertAll, 1 worker, on 2/4/8/16 one-second files (hard links
//                      to one gen2_make.py file of GEN2 photons) — streaming: RSS should be flat
//   FileDB scan        FileDb.fromConfig (name scan) on 4 000/8 000/16 000/32 000 cycles × 5 tiers
//   DataLoader load    load() of 8/16/32/64 cycles (loader iterator bench's data), time
//   loadIterator       same data through loadIterator — streaming: RSS should be flat
//   docs export        exportMsgpack of composed documents (docmodel bench phase "export"),
//                      125 k … 1 M events — streaming: RSS should be flat
//   docmodel read      catalog + read() of that file (docmodel bench phase "read-columns"), time
//   runs iterate       iterateChunks of one run vs the 10-run superrun (strax bench data, if
//                      `pnpm bench superrun` has generated it): RSS 10× / 1× should be flat
// The 1× sizes are the default sizes of the package benches divided by 8 (so 8× is the default),
// except FileDB (1× = its 20 000-file bench tree); SCALE_BENCH_FACTOR multiplies them.
// Run it with `pnpm bench scaling` (the harness adds the huge-page control and --baseline).
import { spawnSync } from "node:child_process";
import { existsSync, linkSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { benchPackageUrl, emit } from "./lib.mjs";

const here = import.meta.dirname;
const root = join(here, "..");
const shared = join(root, "../shared");
const dataDir = process.env.DAQKIT_BENCH_DATA ?? join(root, "bench/.data");
const FACTOR = Number(process.env.SCALE_BENCH_FACTOR ?? 1);
const ROUNDS = Number(process.env.SCALE_BENCH_ROUNDS ?? 3);
const STEPS = [1, 2, 4, 8];
const only = (process.env.SCALE_BENCH_ONLY ?? "").split(",").filter(Boolean);
const want = (name) => only.length === 0 || only.includes(name);
mkdirSync(dataDir, { recursive: true });

const TIME = existsSync("/usr/bin/time") ? "/usr/bin/time" : undefined;

/**
 * Run `node file args…` and parse the last stdout line as JSON. With GNU time, `processCpuSeconds`
 * is the child's user + system CPU time (all its threads, process start included).
 */
function child(file, args, env = {}) {
  const node = [process.execPath, "--expose-gc", file, ...args];
  const [cmd, ...argv] = TIME ? [TIME, "-f", "@@time %U %S", ...node] : node;
  const r = spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 1 << 24, env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`${file} ${args.join(" ")} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout.trim().split("\n").pop());
  const t = /@@time ([\d.]+) ([\d.]+)/.exec(r.stderr);
  if (t) out.processCpuSeconds = Number(t[1]) + Number(t[2]);
  return out;
}

/** Measure fn(size) for every size, ROUNDS interleaved rounds; keep min seconds and min RSS. */
function scale(sizes, fn) {
  const best = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    for (const size of round % 2 === 0 ? sizes : [...sizes].reverse()) {
      const r = fn(size);
      const b = best.get(size) ?? { seconds: Infinity, cpuSeconds: Infinity, rssMiB: Infinity };
      best.set(size, {
        seconds: Math.min(b.seconds, r.seconds),
        cpuSeconds: Math.min(b.cpuSeconds, r.cpuSeconds ?? Infinity),
        rssMiB: Math.min(b.rssMiB, r.rssMiB ?? Infinity),
      });
    }
  }
  return sizes.map((size) => ({ size, ...best.get(size) }));
}

function report(name, unit, rows, { time = true, flat = false } = {}) {
  console.log(`${name}:`);
  for (const r of rows) {
    console.log(
      `  ${String(r.size).padStart(8)} ${unit}: ${r.seconds.toFixed(3).padStart(8)} s wall` +
        `${Number.isFinite(r.cpuSeconds) ? `, ${r.cpuSeconds.toFixed(3).padStart(8)} s CPU` : ""}` +
        `${Number.isFinite(r.rssMiB) ? `  peak RSS ${r.rssMiB.toFixed(0).padStart(5)} MiB` : ""}`,
    );
  }
  const key = name.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
  if (time) {
    // CPU time where the measurement reports it (robust on a loaded machine), wall time otherwise
    const cpu = rows.every((r) => Number.isFinite(r.cpuSeconds));
    const t = (r) => (cpu ? r.cpuSeconds : r.seconds);
    const steps = rows.slice(1).map((r, i) => t(r) / t(rows[i]));
    const worst = Math.max(...steps);
    console.log(
      `  ${cpu ? "CPU" : "wall"} time per doubling: ${steps.map((x) => `${x.toFixed(2)}×`).join(", ")} (linear: each ≤ 2×; ${worst <= 2 ? "met" : "NOT met"}); ` +
        `${rows.at(-1).size / rows[0].size}× input → ${(t(rows.at(-1)) / t(rows[0])).toFixed(2)}× time`,
    );
    emit(`scaling.${key}-time-per-doubling`, "× (worst step)", worst, "lower");
  }
  if (flat) {
    const g = rows.at(-1).rssMiB / rows[0].rssMiB;
    console.log(`  peak RSS ${rows.at(-1).size / rows[0].size}× / 1×: ${g.toFixed(2)}× (flat: ≤ 1.2×; ${g <= 1.2 ? "met" : "NOT met"})`);
    emit(`scaling.${key}-rss-growth`, "× RSS", g, "lower");
    emit(`scaling.${key}-rss-max`, "MiB", rows.at(-1).rssMiB, "lower");
  }
}

// --- gen2 convert-all ----------------------------------------------------------------------------
if (want("gen2")) {
  const photons = Math.round(3_125_000 * FACTOR); // default decode bench: 25 M photons; /8
  const gen2Data = join(dataDir, "scaling", "gen2");
  const oneDir = join(gen2Data, `one-${photons}`);
  if (!existsSync(join(oneDir, "manifest.json"))) {
    console.log(`generating ${photons} photons in one second with gen2_make.py (once) …`);
    spawnSync("python3", [join(shared, "tools/gen2_make.py"), oneDir, "--photons", String(photons), "--seconds", "1", "--quiet"], {
      stdio: "inherit",
    });
  }
  const bin = join(
    oneDir,
    readdirSync(oneDir)
      .filter((n) => n.endsWith(".bin"))
      .sort()[0],
  );
  const decodeBench = join(root, "packages/gen2-bin/bench/decode.bench.mjs");
  const rows = scale(
    STEPS.map((k) => 2 * k),
    (files) => {
      const night = join(gen2Data, `night-${photons}x${files}`);
      if (!existsSync(night) || readdirSync(night).length !== files) {
        rmSync(night, { recursive: true, force: true });
        mkdirSync(night, { recursive: true });
        for (let i = 0; i < files; i++) linkSync(bin, join(night, `${1602050064 + i}.bin`));
      }
      const cache = join(gen2Data, "cache");
      rmSync(cache, { recursive: true, force: true });
      const r = child(decodeBench, ["--convert", night, cache, "1"]);
      rmSync(cache, { recursive: true, force: true });
      return { seconds: r.seconds, cpuSeconds: r.processCpuSeconds, rssMiB: r.maxRssKiB / 1024 };
    },
  );
  report("gen2 convert-all", `files of ${photons} photons`, rows, { flat: true });
}

// --- FileDB name scan ----------------------------------------------------------------------------
if (want("filedb")) {
  const TIERS = ["raw", "dsp", "hit", "tcm", "evt"];
  const treeOf = (cycles) => join(dataDir, "scaling", `filedb-${cycles}`);
  const key = (i) =>
    new Date(Date.UTC(2023, 0, 1) + i * 3_600_000 + (i % 7) * 61_000)
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z");
  const sizes = STEPS.map((k) => Math.round(4000 * FACTOR) * k);
  for (const cycles of sizes) {
    const tree = treeOf(cycles);
    if (existsSync(join(tree, ".complete"))) continue;
    rmSync(tree, { recursive: true, force: true });
    for (let i = 0; i < cycles; i++) {
      const type = i % 5 === 0 ? "cal" : "phy";
      const period = `p${String(3 + Math.floor(i / 1000)).padStart(2, "0")}`;
      const run = `r${String(Math.floor(i / 50) % 20).padStart(3, "0")}`;
      for (const t of TIERS) {
        const dir = join(tree, t, type, period, run);
        if (i % 50 === 0 || i % 5 < 2) mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `l200-${period}-${run}-${type}-${key(i)}-tier_${t}.lh5`), Buffer.alloc((i * 7 + t.length) % 97));
      }
    }
    writeFileSync(join(tree, ".complete"), "");
  }
  // The scan runs in a child process of its own (clean heap), three scans, the fastest kept.
  // The scan runs in a child process of its own (clean heap), three scans, the fastest kept. The
  // script imports the build this bench measures (resolved here, through DAQKIT_BENCH_ROOT).
  const script = join(dataDir, "scaling", "filedb-scan.mjs");
  writeFileSync(
    script,
    `const { FileDb } = await import(${JSON.stringify(benchPackageUrl("filedb", "./node"))});
const [tree, n] = process.argv.slice(2);
const TIERS = ${JSON.stringify(TIERS)};
const config = {
  data_dir: tree,
  tier_dirs: Object.fromEntries(TIERS.map((t) => [t, "/" + t])),
  file_format: Object.fromEntries(TIERS.map((t) => [t, "/{type}/{period}/{run}/{exp}-{period}-{run}-{type}-{timestamp}-tier_" + t + ".lh5"])),
  table_format: Object.fromEntries(TIERS.map((t) => [t, "ch{ch:07d}/" + t])),
};
let best = Infinity;
let bestCpu = Infinity;
for (let k = 0; k < 3; k++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const db = FileDb.fromConfig(config);
  const c = process.cpuUsage(c0);
  best = Math.min(best, (performance.now() - t0) / 1000);
  bestCpu = Math.min(bestCpu, (c.user + c.system) / 1e6);
  if (db.length !== Number(n)) throw new Error("expected " + n + " rows, got " + db.length);
}
console.log(JSON.stringify({ seconds: best, cpuSeconds: bestCpu, maxRssKiB: process.resourceUsage().maxRSS }));
`,
  );
  const rows = scale(sizes, (cycles) => {
    const r = child(script, [treeOf(cycles), String(cycles)]);
    return { seconds: r.seconds, cpuSeconds: r.cpuSeconds, rssMiB: r.maxRssKiB / 1024 };
  });
  report("FileDB name scan", "cycles × 5 tiers", rows);
}

// --- DataLoader load / loadIterator --------------------------------------------------------------
if (want("loader")) {
  const iterBench = join(root, "packages/loader/bench/iterator.bench.mjs");
  const sizes = STEPS.map((k) => Math.round(8 * FACTOR) * k); // default load bench: 64 cycles; /8
  const missing = sizes.filter((n) => !existsSync(join(dataDir, `loader-iter-${n}x5000`, "complete.json")));
  if (missing.length) {
    console.log(`generating loader data for ${missing.join(", ")} cycles (the iterator bench's generator, once) …`);
    const r = spawnSync(process.execPath, ["--expose-gc", iterBench], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, LOADER_ITER_SIZES: missing.join(","), LOADER_ITER_REPEAT: "1" },
    });
    if (r.status !== 0) throw new Error("loader data generation failed");
  }
  const measure = (kind) => (cycles) => {
    const r = child(iterBench, ["--case", kind, String(cycles)]);
    return { seconds: r.seconds, cpuSeconds: r.processCpuSeconds, rssMiB: r.peakRssMiB };
  };
  report("DataLoader load", "cycles", scale(sizes, measure("load")));
  report("DataLoader loadIterator", "cycles", scale(sizes, measure("iter")), { time: false, flat: true });
}

// --- docmodel: docs export (streaming) and read ---------------------------------------------------
if (want("docmodel")) {
  const docBench = join(root, "packages/docmodel/bench/docmodel.bench.mjs");
  const sizes = STEPS.map((k) => Math.round(125_000 * FACTOR) * k); // default docmodel bench: 1 M events; /8
  const dirOf = (n) => join(dataDir, "scaling", `docmodel-${n}`);
  const phase = (name) => (n) => {
    mkdirSync(dirOf(n), { recursive: true });
    const r = child(docBench, [name, dirOf(n)], { DOCMODEL_BENCH_EVENTS: String(n) });
    return { seconds: r.seconds, cpuSeconds: r.cpuSeconds, rssMiB: r.maxRssMiB };
  };
  report("docs export", "events", scale(sizes, phase("export")), { flat: true });
  report("docmodel read", "events", scale(sizes, phase("read-columns")));
}

// --- runs iterate ----------------------------------------------------------------------------------
if (want("runs")) {
  const superrun = join(root, "packages/runs/bench/superrun.bench.mjs");
  const data = join(dataDir, "runs-superrun-sparse");
  if (!existsSync(join(data, "COMPLETE")))
    console.log("runs iterate: skipped (no strax data: run `pnpm bench superrun` once to generate it)");
  else {
    // decode workers off, and on for both sizes (the library's default turns them on only for
    // ≥ 256 MB, i.e. for the superrun but not the single run, which would compare unlike setups)
    for (const [workers, label] of [
      ["0", "decode workers off"],
      ["1", "decode workers on"],
    ]) {
      const rows = [];
      for (const [size, runId] of [
        [1, "r00"],
        [10, "_bench"],
      ]) {
        let best = { seconds: Infinity, rssMiB: Infinity };
        for (let round = 0; round < ROUNDS; round++) {
          const r = child(superrun, ["--measure", data, runId, "", workers]);
          best = { seconds: Math.min(best.seconds, r.seconds), rssMiB: Math.min(best.rssMiB, r.maxRssMb) };
        }
        rows.push({ size, ...best });
      }
      console.log(`runs iterate (iterateChunks, one run vs the 10-run superrun, ${label}):`);
      for (const r of rows)
        console.log(`  ${String(r.size).padStart(3)} run(s): ${r.seconds.toFixed(2)} s  peak RSS ${r.rssMiB.toFixed(0)} MiB`);
      const g = rows[1].rssMiB / rows[0].rssMiB;
      console.log(`  peak RSS 10 runs / 1 run: ${g.toFixed(2)}× (flat: ≤ 1.2×; ${g <= 1.2 ? "met" : "NOT met"})`);
      emit(`scaling.runs-iterate${workers === "1" ? "-workers" : ""}-rss-growth`, "× RSS", g, "lower");
    }
  }
}
