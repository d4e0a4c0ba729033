// gen2-bin benchmark (run with `pnpm bench gen2-bin`, or `node packages/gen2-bin/bench/decode.bench.mjs` after
// building). Prints, from one run:
//   1. decode throughput (read whole file + decode into xy/timestamp/phase/baseline columns) of a
//      200 MB gen2_make.py file, vs shared/tools/gen2_ref.c compiled with gcc -O3 on the same file;
//   2. BinDirectory.convertAll on 20 such one-second files: photons/s and peak RSS (child process).
// Inputs are generated under $DAQKIT_BENCH_DATA/gen2-bin and reused.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, linkSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BinDirectory, gen2Checksum, readGen2FileArrays } from "@daqkit/gen2-bin/node";
import { emit } from "../../../bench/lib.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const shared = join(here, "../../../../shared");
const root = join(here, "../../..");
const data = join(process.env.DAQKIT_BENCH_DATA ?? join(root, "bench/.data"), "gen2-bin");
const PHOTONS = Number(process.env.GEN2_BENCH_PHOTONS ?? 25_000_000);
const REPS = Number(process.env.GEN2_BENCH_REPS ?? 5);
const FILES = Number(process.env.GEN2_BENCH_FILES ?? 20);
mkdirSync(data, { recursive: true });

const oneDir = join(data, `one-${PHOTONS}`);
const first = (dir) =>
  join(
    dir,
    readdirSync(dir)
      .filter((n) => n.endsWith(".bin"))
      .sort()[0],
  );

if (process.argv[2] === "--convert") {
  // Child process: only convertAll, so maxRSS is its own.
  const [, , , binDir, cacheDir, workers] = process.argv;
  const t0 = performance.now();
  const dir = await BinDirectory.open(binDir, cacheDir, { workers: Number(workers) });
  await dir.convertAll({ overwrite: true });
  const seconds = (performance.now() - t0) / 1000;
  let photons = 0;
  for (const r of dir.results.values()) if (r !== "cached") photons += r.stats.photons + r.stats.widePhotons;
  console.log(JSON.stringify({ seconds, photons, maxRssKiB: process.resourceUsage().maxRSS, files: dir.files.length }));
  process.exit(0);
}

if (!existsSync(join(oneDir, "manifest.json"))) {
  console.log(`generating ${PHOTONS} photons in one second with gen2_make.py (once) …`);
  execFileSync("python3", [join(shared, "tools/gen2_make.py"), oneDir, "--photons", String(PHOTONS), "--seconds", "1", "--quiet"], {
    stdio: "inherit",
  });
}
const file = first(oneDir);
const size = statSync(file).size;
const mb = size / 1e6;

// Reference: gen2_ref.c, gcc -O3, same file, same run.
const refBin = join(data, "gen2_ref");
execFileSync("gcc", ["-O3", "-o", refBin, join(shared, "tools/gen2_ref.c")]);
const refOut = execFileSync(refBin, [file, String(REPS)], { encoding: "utf8" });
const ref = Object.fromEntries(
  refOut
    .trim()
    .split("\n")
    .map((l) => l.split(" "))
    .map(([k, v]) => [k, k === "checksum" ? v : Number(v)]),
);

// Ours: read whole file + decode into the four columns (one decoder core), REPS runs.
let ok = true;
let photons = 0;
const ratios = [];
for (const threads of [1]) {
  const times = [];
  let last;
  for (let r = 0; r < REPS; r++) {
    globalThis.gc?.();
    const t0 = performance.now();
    last = await readGen2FileArrays(file);
    times.push((performance.now() - t0) / 1000);
    if (r < REPS - 1) last = undefined;
  }
  times.sort((a, b) => a - b);
  const best = times[0];
  const median = times[Math.floor(REPS / 2)];
  photons = last.stats.photons + last.stats.widePhotons;
  const checksum = gen2Checksum(last.photons, last.wide);
  last = undefined;
  const same = photons === ref.photons && checksum === ref.checksum;
  ok &&= same;
  ratios.push({ threads, best, median, same, checksum });
}
console.log(`file            ${file} (${mb.toFixed(1)} MB, ${photons} photons)`);
console.log(
  `gen2_ref.c -O3  best ${ref.best_s.toFixed(4)} s  ${ref.best_MBps.toFixed(1)} MB/s   median ${ref.median_s.toFixed(4)} s  ${ref.median_MBps.toFixed(1)} MB/s`,
);
for (const r of ratios) {
  console.log(
    `gen2-bin decode best ${r.best.toFixed(4)} s  ${(mb / r.best).toFixed(1)} MB/s   median ${r.median.toFixed(4)} s  ${(mb / r.median).toFixed(1)} MB/s   ratio vs C best ${(ref.best_s / r.best).toFixed(2)}× median ${(ref.median_s / r.median).toFixed(2)}× (target ≥ 0.80×)   same result ${r.same ? "yes" : `NO (${r.checksum} vs ${ref.checksum})`}`,
  );
  emit(`gen2.decode${r.threads > 1 ? `-${r.threads}threads` : ""}`, "MB/s", mb / r.median, "higher");
  emit(`gen2.decode${r.threads > 1 ? `-${r.threads}threads` : ""}-vs-c`, "× C -O3", ref.median_s / r.median, "higher");
}
globalThis.gc?.();

// convertAll on FILES one-second files (hard links to the same 200 MB file, numbered names).
const nightDir = join(data, `night-${PHOTONS}x${FILES}`);
if (FILES > 0 && (!existsSync(nightDir) || readdirSync(nightDir).length !== FILES)) {
  rmSync(nightDir, { recursive: true, force: true });
  mkdirSync(nightDir);
  for (let i = 0; i < FILES; i++) linkSync(file, join(nightDir, `${1602050064 + i}.bin`));
}
const cacheDir = join(data, "night-parquet");
for (const workers of FILES > 0 ? (process.env.GEN2_BENCH_WORKERS ?? "2").split(",").map(Number) : []) {
  rmSync(cacheDir, { recursive: true, force: true });
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--convert", nightDir, cacheDir, String(workers)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (child.status !== 0) {
    console.log(`convertAll failed (exit ${child.status})`);
    process.exitCode = 1;
    continue;
  }
  const c = JSON.parse(child.stdout.trim().split("\n").pop());
  const rssMB = (c.maxRssKiB * 1024) / 1e6;
  console.log(
    `convertAll      ${c.files} files × ${mb.toFixed(0)} MB, workers ${workers}: ${c.seconds.toFixed(1)} s, ${(c.photons / c.seconds / 1e6).toFixed(2)} M photons/s, peak RSS ${rssMB.toFixed(0)} MB = ${(rssMB / mb).toFixed(2)}× the largest bin file (target ≤ 3×)`,
  );
  emit(`gen2.convert-all-${workers}workers`, "M photons/s", c.photons / c.seconds / 1e6, "higher");
  emit(`gen2.convert-all-${workers}workers-rss`, "MiB", c.maxRssKiB / 1024, "lower");
}
rmSync(cacheDir, { recursive: true, force: true });
if (!ok) process.exitCode = 1;
