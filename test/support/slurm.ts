/**
 * A real single-node Slurm cluster for the scale-out tests (issue 19).
 *
 * - When `SLURM_CONF` names a running cluster (`.ci/run` starts one with deploy/slurm/start.sh), it is used.
 * - Otherwise, as root with Debian's `slurm-wlm` and `munge` installed, this starts one itself with
 *   deploy/slurm/start.sh in a temporary state directory and stops it (by its PIDs) when done.
 * - Without `sbatch` (or without root), `startSlurm()` returns null after a warning; under `CI=true` that
 *   is an error, so a cluster that fails to start fails the suite.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Names the running cluster's slurm.conf (set by .ci/run). */
const CONF_VAR = "SLURM_CONF";
const DEPLOY = join(import.meta.dirname, "../../deploy/slurm");

export interface SlurmCluster {
  /** The environment for sbatch/squeue/scancel (with `SLURM_CONF`). */
  readonly env: NodeJS.ProcessEnv;
  /** Stop the daemons this helper started (none when it reused a running cluster). */
  stop(): void;
}

function unavailable(reason: string): null {
  if (process.env.CI === "true") throw new Error(`Slurm is needed under CI=true: ${reason}`);
  console.warn(`skipping the Slurm tests: ${reason} (apt-get install -y slurm-wlm munge, as root; see TOOLCHAIN.md §9)`);
  return null;
}

function responds(env: NodeJS.ProcessEnv): boolean {
  const r = spawnSync("sinfo", ["-h", "-o", "%T"], { env, encoding: "utf8", timeout: 20_000 });
  return r.status === 0 && /^(idle|mixed|allocated)/m.test(r.stdout);
}

/** A running cluster (reused or started), or null when Slurm is not installed here (skip). */
export function startSlurm(): SlurmCluster | null {
  // (`sbatch --version` fails without a slurm.conf, so look the program up instead.)
  if (spawnSync("sh", ["-c", "command -v sbatch"], { encoding: "utf8" }).status !== 0) return unavailable("sbatch is not installed");
  if (process.env[CONF_VAR] && responds(process.env)) return { env: { ...process.env }, stop() {} };
  if (process.getuid?.() !== 0) return unavailable("starting slurmctld/slurmd needs root");
  const dir = mkdtempSync(join(tmpdir(), "daqkit-slurm-"));
  const r = spawnSync("bash", [join(DEPLOY, "start.sh"), dir], { encoding: "utf8", timeout: 120_000 });
  const conf = /^SLURM_CONF=(.+)$/m.exec(r.stdout ?? "")?.[1];
  const stop = () => {
    spawnSync("bash", [join(DEPLOY, "stop.sh"), dir], { encoding: "utf8", timeout: 60_000 });
    rmSync(dir, { recursive: true, force: true });
  };
  if (r.status !== 0 || !conf) {
    stop();
    throw new Error(`deploy/slurm/start.sh failed (exit ${r.status}): ${r.stderr}`);
  }
  const env = { ...process.env, SLURM_CONF: conf };
  return { env, stop };
}

function run(cluster: SlurmCluster, command: string, args: string[]): string {
  const r = spawnSync(command, args, { env: cluster.env, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (exit ${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Run a printed submit script with bash; returns the job ids it echoes (`array N`, `merge M`). */
export function submitScript(cluster: SlurmCluster, scriptText: string): { array: string; merge: string | null } {
  const r = spawnSync("bash", ["-s"], { env: cluster.env, input: scriptText, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`the submit script failed (exit ${r.status}): ${r.stderr}`);
  const array = /^array (\d+)$/m.exec(r.stdout)?.[1];
  if (!array) throw new Error(`the submit script printed no array id: ${r.stdout}`);
  return { array, merge: /^merge (\d+)$/m.exec(r.stdout)?.[1] ?? null };
}

/** sbatch with extra arguments; returns the job id. */
export function sbatch(cluster: SlurmCluster, args: string[]): string {
  return (
    run(cluster, "sbatch", ["--parsable", ...args])
      .trim()
      .split(";")[0] ?? ""
  ).trim();
}

export function scancel(cluster: SlurmCluster, id: string): void {
  run(cluster, "scancel", [id]);
}

/** The states of a job's tasks (`JobState` per array task), from scontrol (jobs stay listed for MinJobAge). */
export function jobStates(cluster: SlurmCluster, id: string): Map<string, string> {
  const r = spawnSync("scontrol", ["-o", "show", "job", id], { env: cluster.env, encoding: "utf8", timeout: 60_000 });
  const out = new Map<string, string>();
  for (const line of (r.stdout ?? "").split("\n")) {
    const job = /\bJobId=(\d+)/.exec(line)?.[1];
    const task = /\bArrayTaskId=(\S+)/.exec(line)?.[1];
    const state = /\bJobState=(\S+)/.exec(line)?.[1];
    if (job && state) out.set(task ? `${task}` : job, state);
  }
  return out;
}

const DONE = new Set(["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"]);

/** Block until every task of the jobs has ended (a hang guard of `limitMs`, not a timing); returns their states. */
export async function waitJobs(cluster: SlurmCluster, ids: readonly string[], limitMs = 240_000): Promise<Map<string, string>[]> {
  const until = Date.now() + limitMs;
  for (;;) {
    const states = ids.map((id) => jobStates(cluster, id));
    if (states.every((s) => s.size > 0 && [...s.values()].every((v) => DONE.has(v)))) return states;
    if (Date.now() > until) throw new Error(`Slurm jobs ${ids.join(", ")} did not end: ${JSON.stringify(states.map((s) => [...s]))}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
