// gen2 binning benchmark (run with `pnpm bench binning`, or `node packages/gen2-bin/bench/binning.bench.mjs`
// after building). Times are this process's CPU time (user + system), not wall time: on the shared 2-core
// machine (load average ~20 while this was written) wall times varied 3× between reps, CPU times did not.
// One run prints, interleaved rep by rep so the noisy machine hits both alike:
//   1. decode only: every batch of the night streamed by iterateGen2Batches (what binning reads), MB/s;
//   2. decode + bin: binGen2Directory (count image, light curve, phase/baseline, boards), MB/s;
//      the cost of binning is the ratio 2/1 per rep (a range over the reps);
//      and the same without the phase/baseline histograms (`histograms: false`, what gen2-image uses);
//   3. peak RSS of binGen2Directory vs BinSourceDirectory.readAll (holds every photon), each in a child.
// Input: a gen2_make.py night under $DAQKIT_BENCH_DATA/gen2-bin (generated once, reused).
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BinSourceDirectory, binGen2Directory, iterateGen2Batches } from "@daqkit/gen2-bin";
import { openDirectorySource } from "@daqkit/io/node";

const here = dirname(fileURLToPath(import.meta.url));
const shared = join(here, "../../../../shared");
const root = join(here, "../../..");
const data = join(process.env.DAQKIT_BENCH_DATA ?? join(root, "bench/.data"), "gen2-bin");
const PHOTONS = Number(process.env.GEN2_BIN_BENCH_PHOTONS ?? 10_000_000);
const SECONDS = Number(process.env.GEN2_BIN_BENCH_SECONDS ?? 5);
const REPS = Number(process.env.GEN2_BIN_BENCH_REPS ?? 5);
const night = join(data, `night-${PHOTONS}-${SECONDS}`);

async function decodeOnly(dir) {
  let photons = 0;
  for (const f of dir.files) {
    const source = await dir.source.open(f.path);
    try {
      const header = f.index > 0 ? dir.files[f.index - 1].lastHeader : null;
      for await (const b of iterateGen2Batches(source, { header, board: true, allowPartialWord: true })) {
        photons += b.photons.numRows + (b.wide?.numRows ?? 0);
      }
    } finally {
      await source.close?.();
    }
  }
  return photons;
}

if (process.argv[2] === "--child") {
  // Child process: one way of reading the night, so maxRSS is its own.
  const dir = await BinSourceDirectory.open(await openDirectorySource(night));
  const t0 = performance.now();
  let photons;
  if (process.argv[3] === "bin") photons = (await binGen2Directory(dir)).photons;
  else {
    const r = await dir.readAll();
    photons = r.photons.numRows + r.wide.numRows;
  }
  console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, photons, maxRssKiB: process.resourceUsage().maxRSS }));
  process.exit(0);
}

mkdirSync(data, { recursive: true });
if (!existsSync(join(night, "manifest.json"))) {
  console.log(`generating ${PHOTONS} photons over ${SECONDS} s with gen2_make.py (once) …`);
  execFileSync(
    "python3",
    [join(shared, "tools/gen2_make.py"), night, "--photons", String(PHOTONS), "--seconds", String(SECONDS), "--quiet"],
    { stdio: "inherit" },
  );
}
const bytes = readdirSync(night)
  .filter((n) => n.endsWith(".bin"))
  .reduce((n, f) => n + statSync(join(night, f)).size, 0);
const mb = bytes / 1e6;
const dir = await BinSourceDirectory.open(await openDirectorySource(night));

const decodeMBs = [];
const binMBs = [];
const ratios = [];
const leanRatios = [];
let photonsDecoded = 0;
let photonsBinned = 0;
const cpuSeconds = (since) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
};
for (let r = 0; r < REPS; r++) {
  globalThis.gc?.();
  let t0 = process.cpuUsage();
  photonsDecoded = await decodeOnly(dir);
  const decodeS = cpuSeconds(t0);
  globalThis.gc?.();
  t0 = process.cpuUsage();
  photonsBinned = (await binGen2Directory(dir, { lightCurveBinUs: 10_000 })).photons;
  const binS = cpuSeconds(t0);
  globalThis.gc?.();
  t0 = process.cpuUsage();
  await binGen2Directory(dir, { lightCurveBinUs: 10_000, histograms: false });
  const leanS = cpuSeconds(t0);
  leanRatios.push(leanS / decodeS);
  decodeMBs.push(mb / decodeS);
  binMBs.push(mb / binS);
  ratios.push(binS / decodeS);
}
const range = (a, digits = 0) => `${Math.min(...a).toFixed(digits)}–${Math.max(...a).toFixed(digits)}`;
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
if (photonsDecoded !== photonsBinned) throw new Error(`binned ${photonsBinned} photons, decoded ${photonsDecoded}`);
console.log(`night: ${SECONDS} files, ${mb.toFixed(0)} MB, ${photonsBinned} photons; ${REPS} interleaved reps`);
console.log(`decode only (iterateGen2Batches)   ${range(decodeMBs)} MB/s of CPU time (median ${median(decodeMBs).toFixed(0)})`);
console.log(`decode + bin (binGen2Directory)    ${range(binMBs)} MB/s of CPU time (median ${median(binMBs).toFixed(0)})`);
console.log(`CPU time decode+bin / decode only  ${range(ratios, 2)} (median ${median(ratios).toFixed(2)})`);
console.log(
  `… without phase/baseline histograms   ${range(leanRatios, 2)} (median ${median(leanRatios).toFixed(2)}) (gen2-image, light-curve)`,
);
console.log(
  `@@bench ${JSON.stringify({ workload: "gen2-bin.bin-night", metric: "MB/s (CPU time)", value: Number(median(binMBs).toFixed(1)), better: "higher" })}`,
);
console.log(
  `@@bench ${JSON.stringify({ workload: "gen2-bin.bin-night-vs-decode", metric: "ratio", value: Number(median(ratios).toFixed(3)), better: "lower" })}`,
);
console.log(
  `@@bench ${JSON.stringify({ workload: "gen2-bin.bin-night-image-only-vs-decode", metric: "ratio", value: Number(median(leanRatios).toFixed(3)), better: "lower" })}`,
);

const child = (how) => {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child", how], { encoding: "utf8", env: process.env });
  if (r.status !== 0) throw new Error(`child ${how} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1));
};
const binned = child("bin");
const all = child("readAll");
console.log(
  `peak RSS: binGen2Directory ${(binned.maxRssKiB / 1024).toFixed(0)} MiB, readAll (holds the photons) ${(all.maxRssKiB / 1024).toFixed(0)} MiB`,
);
console.log(
  `@@bench ${JSON.stringify({ workload: "gen2-bin.bin-night-peak-rss", metric: "MiB", value: Math.round(binned.maxRssKiB / 1024), better: "lower" })}`,
);
