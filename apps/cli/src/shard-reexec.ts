/**
 * A shard runs its work in a child `node --single-threaded-gc` process (the executable's entry only,
 * src/index.ts; never the library code the tests import).
 *
 * Why: a shard is one of N processes that together fill the cores of a machine or a cluster allocation.
 * V8 collects garbage with helper threads (concurrent marking, parallel scavenges) — helpful to one process
 * on an otherwise idle machine, contention when every core already runs a shard. With `--single-threaded-gc`
 * the scale-out bench's shards used 0.3–0.45 s less CPU each (gen2 convert-all of 10 × 1.5 M photons:
 * 4.41–4.61 s instead of 4.75–5.22 s; load of 50 cycles: 2.94–2.97 s instead of 3.15–3.35 s; docs/scale-out.md).
 * The flag cannot be set from inside the process (V8 aborts when `v8.setFlagsFromString` turns it on after
 * start-up) and Node refuses it in NODE_OPTIONS, hence the child; the parent costs ≈ 0.07 s of CPU and ≈ 40 MiB.
 *
 * Only the sharded commands re-execute, and only when they are a shard (`--shard I/N` before any `--`, or a
 * Slurm array / Kubernetes Indexed Job index in the environment). `DAQKIT_V8_DEFAULTS=1` turns this off with
 * the other V8 settings of the CLI (src/v8-tuning.ts).
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { SHARD_ENV } from "./shard.js";

/** The V8 flag a shard process runs under. */
export const SHARD_NODE_FLAG = "--single-threaded-gc";

/** Set in the child's environment: it is the shard process already (no second re-execution). */
export const SHARD_CHILD_ENV = "DAQKIT_SHARD_CHILD";

/** The commands with `--shard` (group, and subcommand for groups that have several). */
const SHARDED = new Set(["gen2 convert-all", "load", "filedb scan", "runs put", "runs write-superrun", "docs export", "docs ingest"]);

type Env = Readonly<Record<string, string | undefined>>;

/**
 * True when `args` (argv without node and script) runs a sharded command as a shard, in a process that is
 * not already running under {@link SHARD_NODE_FLAG}.
 */
export function shouldReexecShard(args: readonly string[], env: Env, execArgv: readonly string[]): boolean {
  if (env.DAQKIT_V8_DEFAULTS === "1" || env[SHARD_CHILD_ENV] === "1" || execArgv.includes(SHARD_NODE_FLAG)) return false;
  const end = args.indexOf("--");
  const own = end === -1 ? args : args.slice(0, end);
  if (own.includes("--help") || own.includes("-h")) return false;
  const words = own.filter((a) => !a.startsWith("-"));
  if (!SHARDED.has(words[0] ?? "") && !SHARDED.has(`${words[0]} ${words[1]}`)) return false;
  const has = (k: string) => env[k] !== undefined && env[k] !== "";
  return own.some((a) => a === "--shard" || a.startsWith("--shard=")) || has(SHARD_ENV.slurmId) || has(SHARD_ENV.k8sIndex);
}

/**
 * Run `entry` (the executable's own file URL) with the same arguments in a child under
 * {@link SHARD_NODE_FLAG}, passing stdio through and forwarding SIGINT, SIGTERM and SIGHUP; resolve with
 * the child's exit code, or re-raise the signal that ended it.
 */
export function runShardChild(entry: URL, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, SHARD_NODE_FLAG, fileURLToPath(entry), ...args], {
      stdio: "inherit",
      env: { ...process.env, [SHARD_CHILD_ENV]: "1" },
    });
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
    const forward = (signal: NodeJS.Signals) => {
      child.kill(signal);
    };
    for (const s of signals) process.on(s, forward);
    child.on("error", (error) => {
      for (const s of signals) process.off(s, forward);
      reject(error);
    });
    child.on("exit", (code, signal) => {
      for (const s of signals) process.off(s, forward);
      if (signal !== null) {
        // End as the child ended (a scheduler sees the same signal).
        process.kill(process.pid, signal);
        return;
      }
      resolve(code ?? 1);
    });
  });
}
