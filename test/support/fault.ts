/**
 * Shared support for the fault, fuzz, kill and concurrency suites (issue 14).
 *
 * - A seeded PRNG and a byte mutator over real files (bit flips, zeroed runs, truncation at given
 *   structural boundaries, huge declared lengths, duplicated and deleted slices).
 * - `runIsolated`: runs each input in a worker thread with a per-input deadline, so a hang or a spin
 *   in wasm is reported (with its seed) instead of hanging the suite.
 * - `killAt`: runs a child process and SIGKILLs it after a delay, to interrupt writes.
 * - `tally`: records the figures of a suite in `.vitest/reliability/` for docs/reliability.md.
 *
 * The quick lane runs `scaled(n)` = n inputs; the slow lane (`DAQKIT_SLOW=1`, `pnpm test:slow`) `SLOW_FACTOR`
 * (10 by default, `DAQKIT_SLOW_FACTOR`) times as many.
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { build as esbuildBuild } from "esbuild";
import { classify, type IsolatedInput, type Outcome } from "./outcome.js";

/** True in the slow lane (`DAQKIT_SLOW=1`). */
export const SLOW = process.env.DAQKIT_SLOW === "1";

/**
 * Multiplier of the slow lane: `DAQKIT_SLOW_FACTOR` when set (`.ci/run` sets it to fit its time
 * budget), else 10.
 */
export const SLOW_FACTOR = Math.max(1, Number(process.env.DAQKIT_SLOW_FACTOR ?? 10) || 10);

/** Options of {@link scaled}. */
export interface ScaleOptions {
  /**
   * This suite's multiplier in the slow lane, instead of {@link SLOW_FACTOR} (e.g. fewer for a kill
   * suite whose every unit is a child process). `DAQKIT_SLOW_FACTOR` still caps it.
   */
  readonly slowFactor?: number;
}

/**
 * How many inputs, kills or rounds a suite runs: `n` in the quick lane (`pnpm test`, ≤ 60 s for all
 * fault suites together), `n × slowFactor` in the slow lane (`DAQKIT_SLOW=1`), never fewer than `n`.
 */
export function scaled(n: number, options: ScaleOptions = {}): number {
  if (!SLOW) return n;
  const factor = Math.min(options.slowFactor ?? SLOW_FACTOR, SLOW_FACTOR);
  return Math.max(n, Math.round(n * factor));
}

/** `quick` in the quick lane, `slow` in the slow lane (a lane-dependent constant of a suite). */
export function lane<T>(quick: T, slow: T): T {
  return SLOW ? slow : quick;
}

/** The base seed of this run: `DAQKIT_FUZZ_SEED` when set (to replay a failure), else a fixed one. */
export const BASE_SEED = Number(process.env.DAQKIT_FUZZ_SEED ?? 0x5eed);

/** mulberry32: a small, fast, seeded PRNG giving floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One mutated input: a label that says how to reproduce it, and the bytes. */
export interface Mutation {
  /** e.g. `bitflip@1234 seed=77`. */
  readonly label: string;
  readonly seed: number;
  readonly bytes: Uint8Array;
}

export type MutationKind = "bitflip" | "byte" | "zero64" | "truncate" | "huge-length" | "duplicate" | "delete";

const ALL_KINDS: readonly MutationKind[] = ["bitflip", "byte", "zero64", "truncate", "huge-length", "duplicate", "delete"];

export interface MutateOptions {
  /** Number of inputs to produce. */
  readonly count: number;
  /** Seed of the first input; input i uses `seed + i`. Default {@link BASE_SEED}. */
  readonly seed?: number;
  /** Kinds to draw from (default all). */
  readonly kinds?: readonly MutationKind[];
  /**
   * Byte offsets of structural boundaries (headers, chunk starts, object headers…). Truncations and
   * edits land on a boundary (± a few bytes) half of the time, elsewhere at random otherwise.
   */
  readonly boundaries?: readonly number[];
  /** Restrict edits to `[from, to)` (default the whole input). Truncation ignores this. */
  readonly region?: readonly [number, number];
}

/** Apply one seeded mutation to a copy of `input`. */
export function mutateOnce(input: Uint8Array, seed: number, options: Omit<MutateOptions, "count" | "seed"> = {}): Mutation {
  const rnd = prng(seed);
  const kinds = options.kinds ?? ALL_KINDS;
  const kind = kinds[Math.floor(rnd() * kinds.length)]!;
  const [lo, hi] = options.region ?? [0, input.length];
  const span = Math.max(1, hi - lo);
  const pick = (): number => {
    const b = options.boundaries;
    if (b && b.length > 0 && rnd() < 0.5) {
      const at = b[Math.floor(rnd() * b.length)]! + Math.floor(rnd() * 9) - 4;
      return Math.min(Math.max(0, at), Math.max(0, input.length - 1));
    }
    return lo + Math.floor(rnd() * span);
  };
  let out: Uint8Array;
  let at = pick();
  switch (kind) {
    case "bitflip": {
      out = input.slice();
      const flips = 1 + Math.floor(rnd() * 4);
      for (let i = 0; i < flips; i++) {
        const p = i === 0 ? at : pick();
        if (p < out.length) out[p]! ^= 1 << Math.floor(rnd() * 8);
      }
      break;
    }
    case "byte":
      out = input.slice();
      if (at < out.length) out[at] = Math.floor(rnd() * 256);
      break;
    case "zero64":
      out = input.slice();
      out.fill(0, at, Math.min(out.length, at + 64));
      break;
    case "truncate":
      at = Math.min(at, input.length);
      out = input.slice(0, at);
      break;
    case "huge-length": {
      out = input.slice();
      const width = rnd() < 0.5 ? 4 : 8;
      for (let i = 0; i < width && at + i < out.length; i++) out[at + i] = i === width - 1 ? 0x7f : 0xff;
      break;
    }
    case "duplicate": {
      const len = 1 + Math.floor(rnd() * 256);
      const piece = input.subarray(at, Math.min(input.length, at + len));
      out = new Uint8Array(input.length + piece.length);
      out.set(input.subarray(0, at), 0);
      out.set(piece, at);
      out.set(input.subarray(at), at + piece.length);
      break;
    }
    case "delete": {
      const len = 1 + Math.floor(rnd() * 256);
      const end = Math.min(input.length, at + len);
      out = new Uint8Array(input.length - (end - at));
      out.set(input.subarray(0, at), 0);
      out.set(input.subarray(end), at);
      break;
    }
  }
  return { label: `${kind}@${at} seed=${seed}`, seed, bytes: out };
}

/** `count` seeded mutations of `input` (deterministic for a given seed). */
export function* mutations(input: Uint8Array, options: MutateOptions): Generator<Mutation> {
  const seed0 = options.seed ?? BASE_SEED;
  for (let i = 0; i < options.count; i++) yield mutateOnce(input, seed0 + i, options);
}

export { classify, isDaqkitError, type IsolatedInput, type Outcome } from "./outcome.js";

/** Run `fn` and classify its outcome (no deadline: for code that cannot spin). */
export async function outcomeOf(fn: () => unknown): Promise<Outcome> {
  try {
    const detail = await fn();
    return { kind: "ok", detail: typeof detail === "string" ? detail : undefined };
  } catch (error) {
    return classify(error);
  }
}

/** Counts of a suite's outcomes, by class and by error code, plus every defect with its label. */
export interface Tally {
  readonly suite: string;
  inputs: number;
  ok: number;
  coded: Record<string, number>;
  defects: { label: string; outcome: Outcome }[];
}

export function newTally(suite: string): Tally {
  return { suite, inputs: 0, ok: 0, coded: {}, defects: [] };
}

/** Add one outcome to `tally`. */
export function record(tally: Tally, label: string, outcome: Outcome): void {
  tally.inputs++;
  if (outcome.kind === "ok") tally.ok++;
  else if (outcome.kind === "coded") tally.coded[outcome.code] = (tally.coded[outcome.code] ?? 0) + 1;
  else tally.defects.push({ label, outcome });
}

/**
 * Save the tally as `.vitest/reliability/SUITE.json` (figures for docs/reliability.md) and return a
 * readable list of defects (empty when there are none) for `expect(...).toEqual([])`.
 */
export function finish(tally: Tally): string[] {
  const dir = join(import.meta.dirname, "../../.vitest/reliability");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${tally.suite.replace(/[^A-Za-z0-9._-]+/g, "-")}${SLOW ? ".slow" : ""}.json`);
  writeFileSync(file, `${JSON.stringify({ ...tally, slow: SLOW, baseSeed: BASE_SEED }, null, 1)}\n`);
  return tally.defects.map(({ label, outcome }) => {
    if (outcome.kind === "hang") return `${label}: hang (> ${outcome.ms} ms)`;
    if (outcome.kind === "uncaught") return `${label}: uncaught ${outcome.name}: ${outcome.message.split("\n")[0]}`;
    return `${label}: ${outcome.kind}`;
  });
}

/**
 * Bundle a TypeScript entry (and our package sources, through the `@daqkit/source` condition) into
 * one ESM file for a worker thread or a child process. parquet-wasm stays external (it loads its
 * .wasm beside itself); everything else is bundled.
 */
export async function bundleScript(entry: string, outfile: string, external: string[] = ["parquet-wasm", "apache-arrow"]): Promise<string> {
  await esbuildBuild({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    external,
    conditions: ["@daqkit/source"],
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: "error",
  });
  return outfile;
}

/**
 * Run each input through a worker-thread script with a per-input deadline. The script (bundled with
 * {@link bundleScript}) calls {@link serveInputs} from `./fault-worker.ts` with a handler. A worker that
 * passes the deadline is terminated (this also stops a spin inside wasm), the input is recorded as a
 * `hang`, and a fresh worker continues with the next input.
 */
export async function runIsolated(
  script: string,
  inputs: Iterable<IsolatedInput>,
  tally: Tally,
  options: { deadlineMs?: number; workerData?: unknown } = {},
): Promise<void> {
  const deadline = options.deadlineMs ?? 10_000;
  let worker: Worker | undefined;
  const fresh = (): Worker => new Worker(script, { workerData: options.workerData, resourceLimits: { maxOldGenerationSizeMb: 2048 } });
  try {
    for (const input of inputs) {
      worker ??= fresh();
      const w = worker;
      const outcome = await new Promise<Outcome>((resolve) => {
        const timer = setTimeout(() => {
          cleanup();
          void w.terminate();
          worker = undefined;
          resolve({ kind: "hang", ms: deadline });
        }, deadline);
        const onMessage = (o: Outcome) => {
          cleanup();
          resolve(o);
        };
        const onError = (e: Error) => {
          cleanup();
          worker = undefined;
          resolve({ kind: "uncaught", name: e.name, message: `worker died: ${e.message}`, stack: e.stack });
        };
        const onExit = (code: number) => {
          cleanup();
          worker = undefined;
          resolve({ kind: "uncaught", name: "WorkerExit", message: `worker exited with ${code} (out of memory?)` });
        };
        const cleanup = () => {
          clearTimeout(timer);
          w.off("message", onMessage);
          w.off("error", onError);
          w.off("exit", onExit);
        };
        w.on("message", onMessage);
        w.on("error", onError);
        w.on("exit", onExit);
        w.postMessage(input);
      });
      record(tally, input.label, outcome);
    }
  } finally {
    await worker?.terminate();
  }
}

/** Result of {@link killAt}. */
export interface KillResult {
  /** True when the child was killed before it exited by itself. */
  readonly killed: boolean;
  /** Exit code when it finished by itself. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run `node ARGS…` and SIGKILL it after `delayMs` (if still running). With `afterOutput`, the delay
 * starts when the child first prints that text on stdout (e.g. a "started" marker), so the kill lands
 * inside the write.
 */
export function killAt(
  args: readonly string[],
  delayMs: number,
  options: { cwd?: string; env?: NodeJS.ProcessEnv; afterOutput?: string; timeoutMs?: number } = {},
): Promise<KillResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let killed = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      timer = setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) {
          killed = true;
          child.kill("SIGKILL");
        }
      }, delayMs);
    };
    const guard = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, options.timeoutMs ?? 120_000);
    if (options.afterOutput === undefined) arm();
    child.stdout.on("data", (d) => {
      stdout += d;
      if (options.afterOutput !== undefined && timer === undefined && stdout.includes(options.afterOutput)) arm();
    });
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      clearTimeout(guard);
      resolve({ killed, code, stdout, stderr });
    });
  });
}
