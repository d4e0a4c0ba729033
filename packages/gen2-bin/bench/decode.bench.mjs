// gen2-bin benchmark (run with `pnpm bench gen2-bin`, or `node packages/gen2-bin/bench/decode.bench.mjs` after
// building). Prints, from one run:
//   1. decode throughput (read whole file + decode into xy/timestamp/phase/baseline columns) of a
//      200 MB gen2_make.py file, vs shared/tools/gen2_ref.c compiled with gcc -O3 on the same file:
//      wall time (the issue-17 figure), and CPU time and minor page faults of each side (C through
//      /usr/bin/time when it is there; ours all threads of this process, and this thread alone);
//   2. BinDirectory.convertAll on 20 such one-second files: photons/s and peak RSS (child process).
// Inputs are generated under $DAQKIT_BENCH_DATA/gen2-bin and reused.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BinDirectory, gen2Checksum, readGen2FileArrays } from "@daqkit/gen2-bin/node";

const here = dirname(fileURLToPath(import.meta.url));
const shared = join(here, "../../../../shared");
const root = join(here, "../../..");
const data = join(process.env.DAQKIT_BENCH_DATA ?? join(root, "bench/.data"), "gen2-bin");
const PHOTONS = Number(process.env.GEN2_BENCH_PHOTONS ?? 25_000_000);
// GEN2_BENCH_CHUNKS=default,1,8: A/B the read size of readGen2FileArrays (`chunkBytes`, MiB; `default` = the
// library's default), each variant measured in every round after its own C run, the order alternating by round.
const CHUNKS = (process.env.GEN2_BENCH_CHUNKS ?? "default").split(",").map((c) => c.trim());
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

// Reference: gen2_ref.c, gcc -O3, same file, same run. Rounds are interleaved (C, ours, C, ours, …)
// so that load changes on a shared machine hit both alike; the ratio is quoted per round, with its
// range. Each C run is one process and one decode (read whole file + decode into the four columns).
const refBin = join(data, "gen2_ref");
execFileSync("gcc", ["-O3", "-o", refBin, join(shared, "tools/gen2_ref.c")]);
// With /usr/bin/time the C process's CPU time (user + system, the whole process: start, read,
// decode, and the exit that frees its 650 MB) and minor page faults are recorded too.
const TIME = "/usr/bin/time";
const haveTime = existsSync(TIME);
const runC = () => {
  const child = haveTime
    ? spawnSync(TIME, ["-f", "@@time %U %S %R", refBin, file, "1"], { encoding: "utf8" })
    : spawnSync(refBin, [file, "1"], { encoding: "utf8" });
  if (child.status !== 0) throw new Error(`gen2_ref failed (exit ${child.status}): ${child.stderr}`);
  const r = Object.fromEntries(
    child.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(" "))
      .map(([k, v]) => [k, k === "checksum" ? v : Number(v)]),
  );
  const t = /@@time (\S+) (\S+) (\d+)/.exec(child.stderr ?? "");
  r.cpu_s = t ? Number(t[1]) + Number(t[2]) : Number.NaN;
  r.faults = t ? Number(t[3]) : Number.NaN;
  return r;
};
// CPU time of this thread alone (Linux): on an idle machine our wall time follows it, as reads and
// the page faults they take run on the thread pool.
const threadCpuS = () => {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").split(" ")[0]) / 1e9;
  } catch {
    return Number.NaN;
  }
};

// Ours: read the file as a byte source + decode into the four columns (the one decoder core).
// One untimed decode first (checksum check, and the decoder optimised as in any long-running process).
let ok = true;
let photons = 0;
let ref;
{
  ref = runC();
  const first = await readGen2FileArrays(file);
  photons = first.stats.photons + first.stats.widePhotons;
  const checksum = gen2Checksum(first.photons, first.wide);
  ok = photons === ref.photons && checksum === ref.checksum;
  if (!ok) console.log(`DIFFERENT RESULT: ${photons} photons, checksum ${checksum}; C: ${ref.photons}, ${ref.checksum}`);
}
const sorted = (a) => [...a].sort((x, y) => x - y);
const median = (a) => sorted(a)[Math.floor(a.length / 2)];
const huge = /hugetlb=1/.test(process.env.GLIBC_TUNABLES ?? "") ? " (GLIBC_TUNABLES=glibc.malloc.hugetlb=1)" : "";
const results = CHUNKS.map((chunk) => ({
  chunk,
  options: chunk === "default" ? {} : { chunkBytes: Number(chunk) * 1024 * 1024 },
  suffix: chunk === "default" ? "" : `-chunk${chunk}M`,
  cTimes: [],
  jsTimes: [],
  ratios: [],
  cCpu: [],
  jsCpu: [],
  jsThread: [],
  cpuRatios: [],
  cFaults: [],
  jsFaults: [],
}));
for (let r = 0; r < REPS; r++) {
  for (const v of r % 2 === 0 ? results : [...results].reverse()) {
    const c = runC();
    globalThis.gc?.();
    const u0 = process.resourceUsage();
    const m0 = threadCpuS();
    const t0 = performance.now();
    await readGen2FileArrays(file, v.options); // the result is dropped at once
    const js = (performance.now() - t0) / 1000;
    const m1 = threadCpuS();
    const u1 = process.resourceUsage();
    const cpu = (u1.userCPUTime - u0.userCPUTime + u1.systemCPUTime - u0.systemCPUTime) / 1e6;
    v.cTimes.push(c.best_s);
    v.jsTimes.push(js);
    v.ratios.push(c.best_s / js);
    v.cCpu.push(c.cpu_s);
    v.jsCpu.push(cpu);
    v.jsThread.push(m1 - m0);
    v.cpuRatios.push(c.cpu_s / cpu);
    v.cFaults.push(c.faults);
    v.jsFaults.push(u1.minorPageFault - u0.minorPageFault);
  }
}
console.log(`file            ${file} (${mb.toFixed(1)} MB, ${photons} photons), ${REPS} interleaved rounds${huge}`);
for (const { chunk, suffix, cTimes, jsTimes, ratios, cCpu, jsCpu, jsThread, cpuRatios, cFaults, jsFaults } of results) {
  if (results.length > 1) console.log(`-- chunkBytes ${chunk === "default" ? "default" : `${chunk} MiB`}`);
  console.log(
    `gen2_ref.c -O3  best ${sorted(cTimes)[0].toFixed(4)} s  median ${median(cTimes).toFixed(4)} s  ${(mb / median(cTimes)).toFixed(1)} MB/s   [${cTimes.map((t) => t.toFixed(3)).join(", ")}]`,
  );
  console.log(
    `gen2-bin decode best ${sorted(jsTimes)[0].toFixed(4)} s  median ${median(jsTimes).toFixed(4)} s  ${(mb / median(jsTimes)).toFixed(1)} MB/s   [${jsTimes.map((t) => t.toFixed(3)).join(", ")}]`,
  );
  console.log(
    `ratio vs C (speed, per round) median ${median(ratios).toFixed(2)}× range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}× (target ≥ 0.80× in the huge-page control, ≥ 1.4× as the machine is)   same result ${ok ? "yes" : "NO"}`,
  );
  const ms = (a) => `median ${(median(a) * 1000).toFixed(0)} ms [${a.map((t) => (t * 1000).toFixed(0)).join(", ")}]`;
  if (haveTime) {
    console.log(`CPU time  C     ${ms(cCpu)}, ${median(cFaults)} minor page faults`);
    console.log(`CPU time  ours  ${ms(jsCpu)}, ${median(jsFaults)} minor page faults; this thread ${ms(jsThread)}`);
    console.log(
      `ratio vs C (CPU time, per round) median ${median(cpuRatios).toFixed(2)}× range ${Math.min(...cpuRatios).toFixed(2)}–${Math.max(...cpuRatios).toFixed(2)}×`,
    );
  }
  console.log(
    `@@bench ${JSON.stringify({ workload: `gen2-bin.decode${suffix}`, metric: "MB/s", value: Number((mb / median(jsTimes)).toFixed(1)), better: "higher" })}`,
  );
  console.log(
    `@@bench ${JSON.stringify({ workload: `gen2-bin.decode-c-ref${suffix}`, metric: "MB/s", value: Number((mb / median(cTimes)).toFixed(1)), better: "higher" })}`,
  );
  console.log(
    `@@bench ${JSON.stringify({ workload: `gen2-bin.decode-vs-c${suffix}`, metric: "ratio", value: Number(median(ratios).toFixed(3)), better: "higher" })}`,
  );
  if (haveTime) {
    console.log(
      `@@bench ${JSON.stringify({ workload: `gen2-bin.decode-cpu${suffix}`, metric: "ms", value: Number((median(jsCpu) * 1000).toFixed(1)), better: "lower" })}`,
    );
    console.log(
      `@@bench ${JSON.stringify({ workload: `gen2-bin.decode-vs-c-cpu${suffix}`, metric: "ratio", value: Number(median(cpuRatios).toFixed(3)), better: "higher" })}`,
    );
  }
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
  console.log(
    `@@bench ${JSON.stringify({ workload: `gen2-bin.convert-all-w${workers}`, metric: "M photons/s", value: Number((c.photons / c.seconds / 1e6).toFixed(3)), better: "higher" })}`,
  );
}
rmSync(cacheDir, { recursive: true, force: true });
if (!ok) process.exitCode = 1;
