/**
 * Shard arithmetic for `--shard I/N`: the one place that decides which part of a work list a
 * process takes, shared by every sharded command (gen2 convert-all, filedb scan, load, runs, docs)
 * and by the job scripts of `daqkit cluster`.
 *
 * It lives in the CLI (not in a format package or @daqkit/io) because it is about processes:
 * which task of a Slurm array or a Kubernetes Indexed Job this is, read from the environment, and
 * a bad `--shard` is a command-line (usage) error. The packages' APIs already take explicit file
 * lists; the CLI picks the list.
 *
 * - The work list is sorted by key first, so the parts do not depend on listing order.
 * - Items are assigned largest first (ties by key) to the part with the fewest bytes so far (ties
 *   by fewest items, then lowest part number): the parts are disjoint, cover the list, and no two
 *   parts differ by more than the largest item's bytes; items of 0 bytes (empty or missing inputs,
 *   unknown sizes) are spread by count instead of all going to part 0. Each part is returned in key order.
 * - Shards are numbered from 0: `--shard 0/4` … `--shard 3/4`.
 */
import { CliUsageError } from "./errors.js";

/** One shard: part `index` (0-based) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** One unit of work: a stable key (a file name, a cycle key, a run id) and its size in bytes. */
export interface ShardItem {
  readonly key: string;
  readonly bytes: number;
}

/** Where a shard came from (for messages and `--json`). */
export type ShardSource = "flag" | "slurm" | "kubernetes";

export interface ResolvedShard extends Shard {
  readonly source: ShardSource;
}

const INT = /^(0|[1-9][0-9]{0,8})$/;

function parseIndex(text: string, what: string): number {
  const t = text.trim();
  if (!INT.test(t)) throw new CliUsageError(`${what} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return Number(t);
}

function checkShard(index: number, count: number, what: string): Shard {
  if (count < 1) throw new CliUsageError(`${what}: the shard count must be at least 1, got ${count}`);
  if (index >= count)
    throw new CliUsageError(`${what}: shard index ${index} is not below the count ${count} (shards are numbered 0…${count - 1})`);
  return { index, count };
}

/** Parse `I/N` (0 ≤ I < N). @throws CliUsageError */
export function parseShard(text: string): Shard {
  const m = /^\s*([^/]+)\/([^/]+)\s*$/.exec(text);
  if (!m) throw new CliUsageError(`--shard must be I/N (e.g. 0/4, shards numbered from 0), got ${JSON.stringify(text)}`);
  return checkShard(parseIndex(m[1] as string, "--shard I"), parseIndex(m[2] as string, "--shard N"), "--shard");
}

/** Environment variables read by {@link shardFromEnv}. */
export const SHARD_ENV = {
  slurmId: "SLURM_ARRAY_TASK_ID",
  slurmCount: "SLURM_ARRAY_TASK_COUNT",
  slurmMin: "SLURM_ARRAY_TASK_MIN",
  k8sIndex: "JOB_COMPLETION_INDEX",
  /** The shard count for a Kubernetes Indexed Job (the pod does not see `completions`). */
  count: "DAQKIT_SHARD_COUNT",
} as const;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The shard given by the environment, or null when none is:
 * - Slurm array task: `SLURM_ARRAY_TASK_ID` (minus `SLURM_ARRAY_TASK_MIN` when set, so `--array=1-4`
 *   works too) of `SLURM_ARRAY_TASK_COUNT`;
 * - Kubernetes Indexed Job: `JOB_COMPLETION_INDEX` of `DAQKIT_SHARD_COUNT`.
 * Both present and disagreeing, an index without a count, or a malformed value: usage error.
 */
export function shardFromEnv(env: Env): ResolvedShard | null {
  const has = (k: string) => env[k] !== undefined && env[k] !== "";
  let slurm: ResolvedShard | null = null;
  let k8s: ResolvedShard | null = null;
  if (has(SHARD_ENV.slurmId)) {
    if (!has(SHARD_ENV.slurmCount)) {
      throw new CliUsageError(`${SHARD_ENV.slurmId} is set but ${SHARD_ENV.slurmCount} is not: pass --shard I/N`);
    }
    const id = parseIndex(env[SHARD_ENV.slurmId] as string, SHARD_ENV.slurmId);
    const min = has(SHARD_ENV.slurmMin) ? parseIndex(env[SHARD_ENV.slurmMin] as string, SHARD_ENV.slurmMin) : 0;
    if (id < min) throw new CliUsageError(`${SHARD_ENV.slurmId}=${id} is below ${SHARD_ENV.slurmMin}=${min}`);
    const count = parseIndex(env[SHARD_ENV.slurmCount] as string, SHARD_ENV.slurmCount);
    slurm = { ...checkShard(id - min, count, `${SHARD_ENV.slurmId}/${SHARD_ENV.slurmCount}`), source: "slurm" };
  }
  if (has(SHARD_ENV.k8sIndex)) {
    if (!has(SHARD_ENV.count)) {
      throw new CliUsageError(
        `${SHARD_ENV.k8sIndex} is set but ${SHARD_ENV.count} is not: set ${SHARD_ENV.count} to the Job's completions, or pass --shard I/N`,
      );
    }
    const index = parseIndex(env[SHARD_ENV.k8sIndex] as string, SHARD_ENV.k8sIndex);
    const count = parseIndex(env[SHARD_ENV.count] as string, SHARD_ENV.count);
    k8s = { ...checkShard(index, count, `${SHARD_ENV.k8sIndex}/${SHARD_ENV.count}`), source: "kubernetes" };
  }
  if (slurm && k8s && (slurm.index !== k8s.index || slurm.count !== k8s.count)) {
    throw new CliUsageError(
      `conflicting shards in the environment: Slurm says ${slurm.index}/${slurm.count}, Kubernetes says ${k8s.index}/${k8s.count}; pass --shard I/N`,
    );
  }
  return slurm ?? k8s;
}

/**
 * The shard of this process: an explicit `--shard I/N` wins over the environment; without it the
 * environment's ({@link shardFromEnv}); null when neither gives one (the whole list).
 * @throws CliUsageError for a malformed flag or environment
 */
export function resolveShard(flag: string | undefined, env: Env = process.env): ResolvedShard | null {
  if (flag !== undefined) return { ...parseShard(flag), source: "flag" };
  return shardFromEnv(env);
}

/**
 * Conversion threads of a sharded process when the command line does not say (`--workers`): the CPUs the
 * scheduler gave the task (`SLURM_CPUS_PER_TASK`, set by `--cpus-per-task`) or else 1. A shard is one of N
 * processes that together fill the machine or the cluster; the parallelism comes from the number of shards,
 * and a worker thread per shard only adds its start-up (a second module load and wasm compile) and contention
 * with the other shards: on the project's 2-core VM a 10-file `gen2 convert-all --shard 0/2` used 4.6–4.7 s of
 * CPU in-process against 5.0–5.2 s with the two default workers. The CPU count of the machine
 * (`availableParallelism()`) is not a shard's to take: two shards started by hand on one host, or a
 * Kubernetes pod under a CPU limit, see every core of the node. null when the process is not a shard (the
 * command's own default applies).
 */
export function shardWorkerDefault(shard: Shard | null, env: Env = process.env): number | null {
  if (shard === null) return null;
  const cpus = env.SLURM_CPUS_PER_TASK?.trim();
  return cpus !== undefined && /^[1-9][0-9]{0,5}$/.test(cpus) ? Number(cpus) : 1;
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Split `items` into `count` parts balanced by bytes (see the module comment). Returns the parts as
 * lists of indices into `items`, each in key order. Keys must be unique.
 * @throws CliUsageError for a duplicate key
 */
export function partition<T extends ShardItem>(items: readonly T[], count: number): number[][] {
  if (!Number.isInteger(count) || count < 1) throw new CliUsageError(`shard count must be a positive integer, got ${count}`);
  const order = items.map((_, i) => i).sort((a, b) => compareKeys(items[a]!.key, items[b]!.key));
  for (let k = 1; k < order.length; k++) {
    if (items[order[k]!]!.key === items[order[k - 1]!]!.key) {
      throw new CliUsageError(`cannot shard: the work list names ${JSON.stringify(items[order[k]!]!.key)} twice`);
    }
  }
  const bySize = [...order].sort((a, b) => {
    const d = size(items[b]!) - size(items[a]!);
    return d !== 0 ? d : compareKeys(items[a]!.key, items[b]!.key);
  });
  const loads = new Array<number>(count).fill(0);
  const counts = new Array<number>(count).fill(0);
  const owner = new Array<number>(items.length);
  for (const i of bySize) {
    let best = 0;
    for (let p = 1; p < count; p++) {
      const l = loads[p] as number;
      const b = loads[best] as number;
      if (l < b || (l === b && (counts[p] as number) < (counts[best] as number))) best = p;
    }
    owner[i] = best;
    loads[best] = (loads[best] as number) + size(items[i]!);
    counts[best] = (counts[best] as number) + 1;
  }
  const parts: number[][] = Array.from({ length: count }, () => []);
  for (const i of order) parts[owner[i] as number]!.push(i);
  return parts;
}

function size(item: ShardItem): number {
  const b = item.bytes;
  return Number.isFinite(b) && b > 0 ? b : 0;
}

/** The items of one shard (in key order); the whole list (in key order) when `shard` is null. */
export function selectShard<T extends ShardItem>(items: readonly T[], shard: Shard | null): T[] {
  if (shard === null) return partition(items, 1)[0]!.map((i) => items[i]!);
  return partition(items, shard.count)[shard.index]!.map((i) => items[i]!);
}

/** `part-00002-of-00004`: the deterministic base name of shard output files (sorts in shard order). */
export function shardName(shard: Shard): string {
  return `part-${String(shard.index).padStart(5, "0")}-of-${String(shard.count).padStart(5, "0")}`;
}

/** The `--shard` option's help text (one wording for every command). */
export const SHARD_HELP =
  "take part I of N (from 0) of the sorted work list, balanced by bytes; default: SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT or JOB_COMPLETION_INDEX/DAQKIT_SHARD_COUNT when set";

/**
 * A merge found the shard parts incomplete or inconsistent (a part missing, parts of different
 * counts, differing schemas, a cycle in two parts): a coded daqkit error (exit 3, `category: "data"`).
 */
export class ShardMergeError extends Error {
  override readonly name = "ShardMergeError";
  readonly category = "data";
  constructor(
    readonly code: "CLI_SHARD_MISSING" | "CLI_SHARD_MISMATCH" | "CLI_SHARD_DUPLICATE",
    message: string,
    readonly path?: string,
  ) {
    super(message);
    (this as unknown as Record<symbol, boolean>)[Symbol.for("daqkit.error")] = true;
  }
}

/** One shard output file found in a directory. */
export interface ShardPart extends Shard {
  readonly path: string;
}

const PART = /^part-(\d{5,})-of-(\d{5,})(\..+)$/;

/**
 * The shard parts `part-I-of-N<ext>` in `dir`, in shard order, after checking that they all have the
 * same N and that every I in 0…N-1 is present (a re-run of a shard replaces its part, so there is
 * never more than one per I).
 * @throws ShardMergeError `CLI_SHARD_MISSING`, `CLI_SHARD_MISMATCH`; a Node error when `dir` cannot be read
 */
export async function listShardParts(dir: string, ext: string): Promise<ShardPart[]> {
  const { readdir } = await import("node:fs/promises");
  const { join } = await import("node:path");
  const names = (await readdir(dir)).filter((n) => {
    const m = PART.exec(n);
    return m !== null && m[3] === ext;
  });
  if (names.length === 0) throw new ShardMergeError("CLI_SHARD_MISSING", `no part-I-of-N${ext} files in ${dir}`, dir);
  const parts = names
    .map((n) => {
      const m = PART.exec(n) as RegExpExecArray;
      return { index: Number(m[1]), count: Number(m[2]), path: join(dir, n) };
    })
    .sort((a, b) => a.index - b.index);
  const counts = [...new Set(parts.map((p) => p.count))];
  if (counts.length > 1) {
    throw new ShardMergeError(
      "CLI_SHARD_MISMATCH",
      `${dir} holds parts of different shard counts (${counts.join(", ")}): remove the stale ones`,
      dir,
    );
  }
  const count = counts[0] as number;
  const have = new Set(parts.map((p) => p.index));
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !have.has(i));
  if (missing.length > 0) {
    throw new ShardMergeError(
      "CLI_SHARD_MISSING",
      `${dir}: ${missing.length} of ${count} parts missing (shards ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ", …" : ""}): re-run them with --shard I/${count}`,
      dir,
    );
  }
  return parts;
}
