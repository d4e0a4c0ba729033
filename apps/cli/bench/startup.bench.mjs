// CLI start-up (issue 18): `daqkit --version` and `--help` now load no daqkit package. Interleaved runs
// (hyperfine style: one run of each variant per round, so machine load hits every variant alike), medians quoted
// as ratios measured in this run. Variants: bare `node -e ""` (the floor), `--version`, `--help`, and
// `--version` with every package the commands use preloaded (what start-up cost before lazy loading).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { benchRoot, emit, envWithoutPreload } from "../../../bench/lib.mjs";

const ROUNDS = Number(process.env.DAQKIT_BENCH_ROUNDS ?? 15);
const cli = join(benchRoot, "apps/cli/dist/index.js"); // the build measured (DAQKIT_BENCH_ROOT)
const env = envWithoutPreload(); // time the CLI, not the harness preload
const eager = `data:text/javascript,${encodeURIComponent(
  [
    "@daqkit/docmodel/node",
    "@daqkit/filedb/node",
    "@daqkit/gen2-bin/node",
    "@daqkit/io/node",
    "@daqkit/lh5/node",
    "@daqkit/loader/node",
    "@daqkit/rawhdf5/node",
    "@daqkit/runs/node",
    "@daqkit/timestamps",
    "apache-arrow",
  ]
    .filter((p) => {
      try {
        return Boolean(import.meta.resolve(p)); // an older build (--baseline) may lack some
      } catch {
        return false;
      }
    })
    .map((p) => `await import(${JSON.stringify(import.meta.resolve(p))});`)
    .join("\n"),
)}`;

const variants = {
  "node -e ''": [process.execPath, ["-e", ""]],
  "daqkit --version": [process.execPath, [cli, "--version"]],
  "daqkit --help": [process.execPath, [cli, "--help"]],
  "daqkit time key K": [process.execPath, [cli, "time", "key", "20220716T105236Z"]],
  "--version, all packages preloaded": [process.execPath, ["--import", eager, cli, "--version"]],
};
const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let round = 0; round < ROUNDS + 1; round++) {
  for (const [name, [cmd, args]] of Object.entries(variants)) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], env });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${name} failed: ${r.stderr}`);
    if (round > 0) times[name].push(ms); // round 0 warms the file cache
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const floor = median(times["node -e ''"]);
const eagerMs = median(times["--version, all packages preloaded"]);
console.log(`CLI start-up, ${ROUNDS} interleaved rounds, median wall time (ratios are within this run):`);
for (const [name, xs] of Object.entries(times)) {
  const m = median(xs);
  console.log(
    `  ${name.padEnd(34)} ${m.toFixed(0).padStart(5)} ms  ${(m / floor).toFixed(2)}× node -e ''  ${(m / eagerMs).toFixed(2)}× eager --version`,
  );
}
emit("cli.startup-version", "ms", median(times["daqkit --version"]), "lower");
emit("cli.startup-help", "ms", median(times["daqkit --help"]), "lower");
emit("cli.startup-time-key", "ms", median(times["daqkit time key K"]), "lower");
emit("cli.startup-node-floor", "ms", floor, "lower");
