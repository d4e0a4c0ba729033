/**
 * Kill tests of the built `daqkit` CLI (issue 14): run a command uninterrupted for the reference
 * output, then SIGKILL it at seeded points of its run, and check that every file under a final name
 * is identical to the reference (never torn, never different) and that re-running gives the reference.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { finish, killAt, newTally, prng, record } from "./fault.js";

/** The built CLI (`pnpm build`). */
export const CLI = join(import.meta.dirname, "../../apps/cli/dist/index.js");

/**
 * True when the built CLI exists. Under `CI=true` (where `pnpm test` builds first) a missing build
 * is an error; elsewhere the caller skips with a message.
 */
export function cliBuilt(): boolean {
  if (existsSync(CLI)) return true;
  if (process.env.CI === "true") throw new Error(`${CLI} is missing: pnpm test builds it first`);
  console.warn(`skipping the kill test: ${CLI} is not built (run pnpm build)`);
  return false;
}

/** Every file below `dir` (relative path → bytes). */
export function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** Run the CLI to completion; throws unless it exits 0. Returns the wall time in ms (only to place kills). */
export function runCli(args: readonly string[], cwd?: string): number {
  const started = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`daqkit ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return performance.now() - started;
}

/** What one kill left behind. */
export interface KillReport {
  /** Delay of the kill (ms after the start). */
  readonly delayMs: number;
  /** True when the process was killed (false: it finished first). */
  readonly killed: boolean;
  /** Final-name files that exist and differ from the reference: torn or wrong (defects). */
  readonly bad: string[];
  /** Final-name files that exist and equal the reference. */
  readonly complete: number;
  /** Files that are not final names (temporaries left by the kill; removing them is @daqkit/io's job). */
  readonly leftovers: string[];
  /** After re-running uninterrupted: reference files missing or different (defects). */
  readonly rerunBad: string[];
}

/**
 * Kill `daqkit ARGS…` at `count` seeded points in `[0.25, 1.2] × referenceMs` after `prepare()` resets
 * the output; compare the files under `outDir` with `reference` after each kill.
 */
export async function killSeries(options: {
  args: readonly string[];
  outDir: string;
  reference: Map<string, Buffer>;
  referenceMs: number;
  count: number;
  seed: number;
  prepare: () => void;
  /** Arguments of the re-run after each kill (default `args`; e.g. with `--overwrite` when a complete output refuses a re-run). */
  rerunArgs?: readonly string[];
  /** Equality of a file with its reference (default: identical bytes; formats with timestamps compare contents). */
  compare?: (name: string, got: Buffer, want: Buffer) => boolean | Promise<boolean>;
}): Promise<KillReport[]> {
  const rnd = prng(options.seed);
  const reports: KillReport[] = [];
  const same = options.compare ?? ((_n, a, b) => a.equals(b));
  for (let i = 0; i < options.count; i++) {
    options.prepare();
    // Stratified over [0.25, 1.2] × the reference time: past start-up, into the writes, and past the end.
    const delayMs = Math.round(options.referenceMs * (0.25 + (0.95 * (i + rnd())) / options.count));
    const r = await killAt([CLI, ...options.args], delayMs);
    const got = snapshot(options.outDir);
    const bad: string[] = [];
    const leftovers: string[] = [];
    let complete = 0;
    for (const [name, bytes] of got) {
      const want = options.reference.get(name);
      if (want === undefined) leftovers.push(name);
      else if (await same(name, bytes, want)) complete++;
      else bad.push(`${name} (${bytes.length} bytes, reference ${want.length})`);
    }
    runCli(options.rerunArgs ?? options.args);
    const again = snapshot(options.outDir);
    const rerunBad: string[] = [];
    for (const [name, want] of options.reference) if (!again.has(name) || !(await same(name, again.get(name)!, want))) rerunBad.push(name);
    reports.push({ delayMs, killed: r.killed, bad, complete, leftovers, rerunBad });
  }
  // Figures for docs/reliability.md (.vitest/reliability/kill-cli-….json): one input per kill, a defect when
  // a final-name file was torn or different, or the re-run did not give the reference.
  const words = options.args.filter((a) => /^[a-z][a-z0-9-]*$/.test(a)).slice(0, 2);
  const out = options.args[options.args.indexOf("--out") + 1];
  const ext = options.args.includes("--out") && out ? (/\.([a-z0-9]+)$/.exec(out)?.[1] ?? "") : "";
  const tally = Object.assign(newTally(["kill-cli", ...words, ext].filter(Boolean).join("-")), {
    kills: reports.filter((r) => r.killed).length,
    leftovers: reports.reduce((n, r) => n + r.leftovers.length, 0),
  });
  for (const r of reports) {
    const label = `kill after ${r.delayMs} ms (${r.killed ? "killed" : "finished"})`;
    if (r.bad.length === 0 && r.rerunBad.length === 0) record(tally, label, { kind: "ok" });
    else
      record(tally, label, {
        kind: "uncaught",
        name: "TornOutput",
        message: [...r.bad, ...r.rerunBad.map((n) => `re-run: ${n}`)].join(", "),
      });
  }
  finish(tally);
  return reports;
}
