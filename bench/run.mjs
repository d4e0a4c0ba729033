#!/usr/bin/env node
// `pnpm bench [options] [NAME…]`: runs every packages/*/bench/*.bench.mjs and apps/*/bench/*.bench.mjs
// (or those whose path contains a NAME), each in its own Node process, and collects what they print:
// the human-readable lines are passed through, the `@@bench {"workload","metric","value","better"}`
// lines are collected, and the peak RSS of the bench's process tree is recorded (bench/preload.mjs,
// loaded into every Node process of the run via NODE_OPTIONS). Generated inputs go under bench/.data/
// (git-ignored) and are reused between runs and between builds.
//
// Options:
//   --baseline REF         also build REF (a git worktree under bench/.baseline/<sha>, reused) and run
//                          the same bench files against both builds, interleaved, printing per
//                          workload both figures and the ratio (ours/baseline, >1 = ours better)
//   --rounds N             runs per build and mode (default 3 with --baseline, else 1)
//   --no-hugepage-control  skip the second run of each bench with GLIBC_TUNABLES=glibc.malloc.hugetlb=1
//   --list                 list the benches and exit
// The summary is also written as JSON to bench/.results/<date>.json (git-ignored).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const HUGEPAGE_TUNABLE = "glibc.malloc.hugetlb=1";

// --- arguments -----------------------------------------------------------------------------------
const args = process.argv.slice(2);
let baselineRef;
let rounds;
let hugepageControl = true;
let listOnly = false;
const filters = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--baseline") baselineRef = args[++i];
  else if (a.startsWith("--baseline=")) baselineRef = a.slice("--baseline=".length);
  else if (a === "--rounds") rounds = Number(args[++i]);
  else if (a.startsWith("--rounds=")) rounds = Number(a.slice("--rounds=".length));
  else if (a === "--no-hugepage-control") hugepageControl = false;
  else if (a === "--list") listOnly = true;
  else if (a === "--") continue;
  else if (a.startsWith("--")) usage(`unknown option ${a}`);
  else filters.push(a);
}
if (baselineRef === undefined && args.some((a) => a === "--baseline")) usage("--baseline needs a git ref");
rounds ??= baselineRef ? 3 : 1;
if (!Number.isInteger(rounds) || rounds < 1) usage("--rounds needs a whole number ≥ 1");

function usage(message) {
  console.error(`bench: ${message}\nusage: pnpm bench [--baseline REF] [--rounds N] [--no-hugepage-control] [--list] [NAME…]`);
  process.exit(2);
}

// --- which benches -------------------------------------------------------------------------------
const files = [];
for (const base of ["packages", "apps"]) {
  for (const name of readdirSync(join(root, base)).sort()) {
    const dir = join(root, base, name, "bench");
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).sort()) if (f.endsWith(".bench.mjs")) files.push(join(dir, f));
  }
}
for (const f of readdirSync(join(root, "bench")).sort()) if (f.endsWith(".bench.mjs")) files.push(join(root, "bench", f));
const selected = files.filter((f) => filters.length === 0 || filters.some((n) => relative(root, f).includes(n)));
if (listOnly) {
  for (const f of files) console.log(relative(root, f));
  process.exit(0);
}
if (selected.length === 0) {
  console.error(
    `bench: nothing matches ${filters.join(" ") || "(no filter)"}; available:\n  ${files.map((f) => relative(root, f)).join("\n  ")}`,
  );
  process.exit(2);
}
const dataDir = join(root, "bench", ".data");
mkdirSync(dataDir, { recursive: true });

// --- the huge-page control: what this machine does with the tunable ----------------------------
function readText(path) {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}
const thp = {
  enabled: readText("/sys/kernel/mm/transparent_hugepage/enabled"),
  defrag: readText("/sys/kernel/mm/transparent_hugepage/defrag"),
};

// --- the baseline build --------------------------------------------------------------------------
let baseline;
if (baselineRef !== undefined) baseline = prepareBaseline(baselineRef);

function git(...a) {
  return execFileSync("git", a, { cwd: root, encoding: "utf8" }).trim();
}
function prepareBaseline(ref) {
  let sha;
  try {
    sha = git("rev-parse", "--verify", `${ref}^{commit}`);
  } catch {
    console.error(`bench: --baseline ${ref}: not a commit in this repository`);
    process.exit(2);
  }
  const dir = join(root, "bench", ".baseline", sha);
  const marker = join(dir, ".daqkit-bench-built");
  if (!existsSync(marker)) {
    if (!existsSync(join(dir, "package.json"))) {
      console.log(`bench: baseline ${ref} = ${sha.slice(0, 10)}: adding a git worktree at ${relative(root, dir)}`);
      mkdirSync(dirname(dir), { recursive: true });
      git("worktree", "add", "--detach", dir, sha);
    }
    console.log("bench: baseline: pnpm install --frozen-lockfile --prefer-offline && pnpm build …");
    for (const cmd of [["install", "--frozen-lockfile", "--prefer-offline"], ["build"]]) {
      const r = spawnSync("pnpm", cmd, { cwd: dir, stdio: "inherit" });
      if (r.status !== 0) {
        console.error(`bench: baseline: pnpm ${cmd.join(" ")} failed in ${dir} (exit ${r.status})`);
        process.exit(1);
      }
    }
    writeFileSync(marker, `${new Date().toISOString()}\n`);
  } else {
    console.log(`bench: baseline ${ref} = ${sha.slice(0, 10)}: reusing the build in ${relative(root, dir)}`);
  }
  return { ref, sha, dir };
}

// --- running one bench ---------------------------------------------------------------------------
const scratch = mkdtempSync(join(tmpdir(), "daqkit-bench-"));
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
const preload = pathToFileURL(join(root, "bench", "preload.mjs")).href;
let runCounter = 0;

/** Children of a process (all its threads), for the AnonHugePages sampler. */
function descendants(pid, out = []) {
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    const kids = (readText(`/proc/${pid}/task/${t}/children`) ?? "").split(/\s+/).filter(Boolean);
    for (const k of kids) {
      out.push(Number(k));
      descendants(Number(k), out);
    }
  }
  return out;
}
function anonHugeKiB(pid) {
  const m = /AnonHugePages:\s+(\d+) kB/.exec(readText(`/proc/${pid}/smaps_rollup`) ?? "");
  return m ? Number(m[1]) : 0;
}

/**
 * Run one bench file once. `build` is "ours" or "baseline"; `hugepages` adds the glibc tunable.
 * Resolves to the figures printed, the peak RSS of its process tree and the peak AnonHugePages.
 */
function runBench(file, { build, hugepages, label }) {
  const rssFile = join(scratch, `rss-${++runCounter}.jsonl`);
  const env = { ...process.env, DAQKIT_BENCH_DATA: dataDir, DAQKIT_BENCH_RSS_FILE: rssFile };
  env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --import=${preload}`.trim();
  delete env.DAQKIT_BENCH_ROOT;
  // With a baseline both sides load through the resolve hook (same loader overhead on both).
  if (baseline) env.DAQKIT_BENCH_ROOT = build === "baseline" ? baseline.dir : root;
  if (hugepages) env.GLIBC_TUNABLES = [process.env.GLIBC_TUNABLES, HUGEPAGE_TUNABLE].filter(Boolean).join(":");
  console.log(`\n=== ${relative(root, file)}  [${label}]`);
  const t0 = performance.now();
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, ["--expose-gc", file], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    // stderr is passed through; its last error line names why a bench failed (in the summary)
    let failure;
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      process.stderr.write(chunk);
      for (const l of chunk.split("\n")) if (/^\w*Error\b|^Error \[/.test(l.trim())) failure = l.trim().slice(0, 160);
    });
    const figures = [];
    let pending = "";
    let hugeKiB = 0;
    const sample = () => {
      let sum = anonHugeKiB(child.pid);
      for (const d of descendants(child.pid)) sum += anonHugeKiB(d);
      hugeKiB = Math.max(hugeKiB, sum);
    };
    const sampler = setInterval(sample, 250);
    const onLine = (line) => {
      if (line.startsWith("@@bench ")) {
        try {
          const f = JSON.parse(line.slice(8));
          if (
            typeof f.workload === "string" &&
            typeof f.metric === "string" &&
            Number.isFinite(f.value) &&
            /^(higher|lower)$/.test(f.better)
          ) {
            figures.push(f);
            return;
          }
        } catch {
          // fall through: shown as printed
        }
        console.log(`  (malformed @@bench line) ${line}`);
        return;
      }
      console.log(`  ${line}`);
    };
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      pending += chunk;
      let nl = pending.indexOf("\n");
      while (nl >= 0) {
        onLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        nl = pending.indexOf("\n");
      }
    });
    child.on("close", (code, signal) => {
      clearInterval(sampler);
      if (pending) onLine(pending);
      const procs = (readText(rssFile) ?? "")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      const top = procs.find((p) => p.pid === child.pid);
      const rssKiB = procs.length ? Math.max(...procs.map((p) => p.maxRssKiB)) : undefined;
      const seconds = (performance.now() - t0) / 1000;
      resolveRun({
        ok: code === 0,
        exit: code ?? signal,
        failure: code === 0 ? undefined : failure,
        figures,
        rssKiB,
        topRssKiB: top?.maxRssKiB,
        processes: procs.length,
        anonHugePagesKiB: hugeKiB,
        seconds,
      });
    });
    sample();
  });
}

// --- the runs --------------------------------------------------------------------------------------
const modes = hugepageControl ? [false, true] : [false];
const builds = baseline ? ["baseline", "ours"] : ["ours"];
/** runs[benchRel][mode][build] = list of run results, one per round */
const runs = {};
console.log(
  `bench: ${selected.length} bench file(s), ${rounds} round(s)${baseline ? `, builds interleaved: baseline ${baseline.ref} (${baseline.sha.slice(0, 10)}) and this checkout` : ""}${hugepageControl ? `, each also with GLIBC_TUNABLES=${HUGEPAGE_TUNABLE}` : ""}; load ${loadavg()[0].toFixed(1)} on ${cpus().length} CPUs`,
);
if (hugepageControl) {
  console.log(`bench: transparent huge pages: enabled ${thp.enabled ?? "(unknown)"}, defrag ${thp.defrag ?? "(unknown)"}`);
  if (thp.enabled && !/\[(always|madvise)\]/.test(thp.enabled)) {
    console.log("bench: THP is off on this machine: the huge-page control cannot take effect (its AnonHugePages will show 0)");
  }
}
let failed = 0;
for (const file of selected) {
  const rel = relative(root, file);
  runs[rel] = {};
  for (let r = 0; r < rounds; r++) {
    for (const hugepages of modes) {
      const mode = hugepages ? "hugepage" : "as-is";
      runs[rel][mode] ??= {};
      // alternate which build goes first so that a drift of the machine's load hits both alike
      const order = r % 2 === 0 ? builds : [...builds].reverse();
      for (const build of order) {
        const label = `${build === "baseline" ? `baseline ${baseline.ref}` : "ours"}, round ${r + 1}/${rounds}, ${hugepages ? "huge-page control" : "as the machine is"}`;
        const result = await runBench(file, { build, hugepages, label });
        if (!result.ok) {
          console.log(`  bench exited with ${result.exit}`);
          if (build === "ours") failed++;
        }
        (runs[rel][mode][build] ??= []).push(result);
      }
    }
  }
}

// --- summary -----------------------------------------------------------------------------------------
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (v) => {
  if (v === undefined) return "—";
  const a = Math.abs(v);
  if (a >= 1e5) return Math.round(v).toLocaleString("en");
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  return v.toPrecision(3);
};
const mib = (kib) => (kib === undefined ? "—" : String(Math.round(kib / 1024)));
const range = (xs) => (xs.length > 1 ? ` (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})` : "");

const summary = [];
for (const [rel, byMode] of Object.entries(runs)) {
  for (const [mode, byBuild] of Object.entries(byMode)) {
    const ours = byBuild.ours ?? [];
    const base = byBuild.baseline ?? [];
    const keys = new Map();
    for (const run of [...ours, ...base]) for (const f of run.figures) keys.set(`${f.workload}\u0000${f.metric}`, f);
    const valuesOf = (list, key) =>
      list.map((run) => run.figures.filter((f) => `${f.workload}\u0000${f.metric}` === key).at(-1)?.value).map((v) => v ?? undefined);
    const rss = (list) => {
      const xs = list.map((r) => r.rssKiB).filter((x) => x !== undefined);
      return xs.length ? median(xs) : undefined;
    };
    const huge = (list) => (list.length ? Math.max(...list.map((r) => r.anonHugePagesKiB)) : undefined);
    const entry = {
      bench: rel,
      mode,
      oursOk: ours.every((r) => r.ok),
      baselineOk: baseline ? base.every((r) => r.ok) : undefined,
      failure: { ours: ours.find((r) => !r.ok)?.failure, baseline: base.find((r) => !r.ok)?.failure },
      rssKiB: { ours: rss(ours), baseline: baseline ? rss(base) : undefined },
      anonHugePagesKiB: { ours: huge(ours), baseline: baseline ? huge(base) : undefined },
      workloads: [],
    };
    for (const [key, f] of keys) {
      const o = valuesOf(ours, key);
      const b = baseline ? valuesOf(base, key) : [];
      const oursVals = o.filter((v) => v !== undefined);
      const baseVals = b.filter((v) => v !== undefined);
      const ratios = [];
      for (let i = 0; i < Math.min(o.length, b.length); i++) {
        if (o[i] === undefined || b[i] === undefined || o[i] === 0 || b[i] === 0) continue;
        ratios.push(f.better === "higher" ? o[i] / b[i] : b[i] / o[i]);
      }
      entry.workloads.push({
        workload: f.workload,
        metric: f.metric,
        better: f.better,
        ours: oursVals,
        baseline: baseline ? baseVals : undefined,
        ratios: baseline ? ratios : undefined,
      });
    }
    summary.push(entry);
  }
}

const lines = [];
const title = baseline
  ? `summary: ours (${git("rev-parse", "--short", "HEAD")}${git("status", "--porcelain", "--untracked-files=no") ? "+changes" : ""}) vs baseline ${baseline.ref} (${baseline.sha.slice(0, 10)}), ${rounds} interleaved round(s); ratio = ours/baseline for "higher is better", baseline/ours for "lower" (>1: ours better), median (min–max over rounds)`
  : `summary: ${rounds} round(s); value = median (min–max over rounds)`;
lines.push(title);
const header = baseline
  ? ["workload", "metric", "mode", "baseline", "ours", "ratio (range)", "peak RSS MiB base / ours"]
  : ["workload", "metric", "mode", "value (range)", "peak RSS MiB"];
const rows = [];
for (const e of summary) {
  const rssCell = baseline ? `${mib(e.rssKiB.baseline)} / ${mib(e.rssKiB.ours)}` : mib(e.rssKiB.ours);
  const tag = e.mode === "hugepage" ? "huge-page" : "as-is";
  if (!e.oursOk)
    rows.push([e.bench, "", tag, ...(baseline ? ["", ""] : []), `bench failed on ours: ${e.failure.ours ?? "see its output"}`, ""]);
  if (baseline && e.baselineOk === false) {
    rows.push([e.bench, "", tag, `bench failed on the baseline build: ${e.failure.baseline ?? "see its output"}`, "", "", ""]);
  }
  if (e.workloads.length === 0) {
    rows.push([e.bench, "", tag, ...(baseline ? ["", ""] : []), "no @@bench figures", rssCell]);
    continue;
  }
  for (const w of e.workloads) {
    const unit = `${w.metric} (${w.better === "higher" ? "↑" : "↓"})`;
    const ov = w.ours.length
      ? `${fmt(median(w.ours))}${w.ours.length > 1 ? ` (${fmt(Math.min(...w.ours))}–${fmt(Math.max(...w.ours))})` : ""}`
      : "not printed";
    if (!baseline) {
      rows.push([w.workload, unit, tag, ov, rssCell]);
      continue;
    }
    const bv = w.baseline.length ? fmt(median(w.baseline)) : e.baselineOk ? "not printed" : "failed";
    const rv = w.ratios.length ? `${median(w.ratios).toFixed(2)}×${range(w.ratios)}` : "—";
    rows.push([w.workload, unit, tag, bv, w.ours.length ? fmt(median(w.ours)) : "not printed", rv, rssCell]);
  }
}
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i] ?? "").length)));
const fmtRow = (r) => `| ${r.map((c, i) => String(c ?? "").padEnd(widths[i])).join(" | ")} |`;
lines.push(fmtRow(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(fmtRow));
if (hugepageControl) {
  const peak = (e) => Math.max(e.anonHugePagesKiB.ours ?? 0, e.anonHugePagesKiB.baseline ?? 0);
  const per = Object.keys(runs).map((rel) => {
    const of = (mode) => summary.find((e) => e.bench === rel && e.mode === mode);
    return `${rel.replace(/^(packages|apps)\//, "").replace(/\.bench\.mjs$/, "")} ${mib(peak(of("hugepage")))} MiB (as-is ${mib(peak(of("as-is")))})`;
  });
  lines.push(
    `huge-page control: GLIBC_TUNABLES=${HUGEPAGE_TUNABLE}; THP enabled ${thp.enabled ?? "?"}, defrag ${thp.defrag ?? "?"}; peak AnonHugePages of the bench's processes (sampled every 250 ms): ${per.join("; ")}`,
  );
}
lines.push(
  `load average at the end: ${loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")} on ${cpus().length} CPUs`,
);
console.log(`\n${lines.join("\n")}`);

const resultsDir = join(root, "bench", ".results");
mkdirSync(resultsDir, { recursive: true });
const stamp = new Date()
  .toISOString()
  .replace(/[:]/g, "-")
  .replace(/\.\d+Z$/, "Z");
const out = join(resultsDir, `${stamp}.json`);
writeFileSync(
  out,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      commit: git("rev-parse", "HEAD"),
      baseline: baseline ? { ref: baseline.ref, sha: baseline.sha } : undefined,
      rounds,
      hugepageControl: hugepageControl ? { tunable: HUGEPAGE_TUNABLE, thp } : false,
      node: process.version,
      cpus: cpus().length,
      summary,
      runs,
    },
    null,
    1,
  )}\n`,
);
console.log(`results: ${relative(root, out)}`);
process.exit(failed ? 1 : 0);
