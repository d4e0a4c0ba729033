/**
 * Issue 19: `runs put` and `runs write-superrun` over a list of runs (`r1,r2,…` or `@FILE`), sharded by
 * `--shard I/N` or the Slurm/Kubernetes environment: the shards are disjoint and cover the list, and the
 * store they write together is the one a single process writes, byte for byte.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const tmp = mkdtempSync(join(tmpdir(), "cli-runs-shard-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Run ids with inputs of very different sizes (so balancing by bytes matters), in no particular order. */
const RUNS = ["007", "003", "011", "001", "005", "009", "002"];
const ROWS: Record<string, number> = { "001": 50, "002": 4000, "003": 700, "005": 12, "007": 2500, "009": 300, "011": 1 };
const DAY = 1_700_000_000_000_000_000n;

function input(run: string): string {
  return join(tmp, "in", `run${run}.arrow`);
}

/**
 * relative path → sha256 of every file below `dir` (run documents and data folders); in a data folder's
 * metadata the two wall-clock fields (`writing_started`, `writing_ended`) are blanked first.
 */
function checksums(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        let bytes: string | Buffer = readFileSync(p);
        if (/-metadata\.json$/.test(name) && relative(dir, d) !== "") {
          bytes = bytes.toString("utf8").replace(/"writing_(started|ended)":\s*[^,}\s]+/g, '"writing_$1": 0');
        }
        out[relative(dir, p)] = createHash("sha256").update(bytes).digest("hex");
      }
    }
  };
  walk(dir);
  return out;
}

async function ok(...args: string[]): Promise<Record<string, unknown>> {
  const r = await daqkit("--json", ...args);
  expect(r.code, r.stderr || r.stdout).toBe(0);
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Run `fn` with extra environment variables set (and the shard variables of the test process cleared). */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const keys = ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "JOB_COMPLETION_INDEX", "DAQKIT_SHARD_COUNT"];
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  for (const k of keys) delete process.env[k];
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const k of keys) {
      if (saved[k] === undefined) delete process.env[k];
      else process.env[k] = saved[k];
    }
  }
}

beforeAll(() => {
  mkdirSync(join(tmp, "in"));
  for (const [i, run] of RUNS.entries()) {
    const n = ROWS[run] as number;
    const time = BigInt64Array.from({ length: n }, (_, k) => DAY + BigInt(i) * 10_000_000_000n + BigInt(k) * 1000n);
    const table = tableFromArrays({
      time,
      endtime: BigInt64Array.from(time, (t) => t + 500n),
      area: Float32Array.from({ length: n }, (_, k) => k * 0.5 + i),
    });
    writeFileSync(input(run), tableToIPC(table, "file"));
  }
  writeFileSync(join(tmp, "runs.txt"), `# a reprocessing\n${RUNS.join("\n")}\n\n`);
});

describe("runs put over a run list", () => {
  const template = join(tmp, "in", "run{run}.arrow");
  let single: Record<string, string>;

  beforeAll(async () => {
    await withEnv({}, async () => {
      const one = await ok("runs", "put", join(tmp, "one"), `@${join(tmp, "runs.txt")}`, "peaks", template);
      expect(one.count).toBe(RUNS.length);
      expect(one.of).toBe(RUNS.length);
      expect(one.shard).toBeUndefined();
      // The list is done in run-id order.
      expect((one.runs as { run: string }[]).map((r) => r.run)).toEqual([...RUNS].sort());
    });
    single = checksums(join(tmp, "one"));
  });

  it("the list gives the same store as one put per run", async () => {
    await withEnv({}, async () => {
      for (const run of RUNS) await ok("runs", "put", join(tmp, "separate"), run, "peaks", input(run));
    });
    expect(checksums(join(tmp, "separate"))).toEqual(single);
  });

  it("N shards are disjoint, cover the list and together write the single-process store (N = 1…4)", async () => {
    for (const n of [1, 2, 3, 4]) {
      const store = join(tmp, `shards-${n}`);
      const seen: string[] = [];
      for (let i = 0; i < n; i++) {
        const out = await withEnv({}, () => ok("runs", "put", store, RUNS.join(","), "peaks", template, "--shard", `${i}/${n}`));
        expect(out.shard).toEqual({ index: i, count: n, source: "flag" });
        seen.push(...(out.runs as { run: string }[]).map((r) => r.run));
      }
      expect(new Set(seen).size, `N=${n}: a run in two shards`).toBe(seen.length);
      expect([...seen].sort(), `N=${n}: shards do not cover the list`).toEqual([...RUNS].sort());
      expect(checksums(store), `N=${n}`).toEqual(single);
    }
  });

  it("the shard comes from a Slurm array task or a Kubernetes completion index; --shard wins", async () => {
    const list = `@${join(tmp, "runs.txt")}`;
    const flag = await withEnv({}, () => ok("runs", "put", join(tmp, "flag"), list, "peaks", template, "--shard", "1/3"));
    const slurm = await withEnv({ SLURM_ARRAY_TASK_ID: "2", SLURM_ARRAY_TASK_COUNT: "3", SLURM_ARRAY_TASK_MIN: "1" }, () =>
      ok("runs", "put", join(tmp, "slurm"), list, "peaks", template),
    );
    const k8s = await withEnv({ JOB_COMPLETION_INDEX: "1", DAQKIT_SHARD_COUNT: "3" }, () =>
      ok("runs", "put", join(tmp, "k8s"), list, "peaks", template),
    );
    expect(slurm.shard).toEqual({ index: 1, count: 3, source: "slurm" });
    expect(k8s.shard).toEqual({ index: 1, count: 3, source: "kubernetes" });
    const runsOf = (o: Record<string, unknown>) => (o.runs as { run: string }[]).map((r) => r.run);
    expect(runsOf(slurm)).toEqual(runsOf(flag));
    expect(runsOf(k8s)).toEqual(runsOf(flag));
    const wins = await withEnv({ SLURM_ARRAY_TASK_ID: "0", SLURM_ARRAY_TASK_COUNT: "3" }, () =>
      ok("runs", "put", join(tmp, "wins"), list, "peaks", template, "--shard", "1/3", "--overwrite"),
    );
    expect(runsOf(wins)).toEqual(runsOf(flag));
    // One run inside an array task is not sharded: task 2 of 3 still stores its run.
    const lone = await withEnv({ SLURM_ARRAY_TASK_ID: "2", SLURM_ARRAY_TASK_COUNT: "3" }, () =>
      ok("runs", "put", join(tmp, "lone"), "005", "peaks", input("005")),
    );
    expect(lone.run).toBe("005");
    expect(lone.rows).toBe(ROWS["005"]);
  });

  it("a re-run shard rewrites exactly its own runs (with --overwrite); without it the existing data is an error", async () => {
    const store = join(tmp, "rerun");
    await withEnv({}, async () => {
      for (const i of [0, 1]) await ok("runs", "put", store, RUNS.join(","), "peaks", template, "--shard", `${i}/2`);
      const before = checksums(store);
      const again = await daqkit("--json", "runs", "put", store, RUNS.join(","), "peaks", template, "--shard", "1/2");
      expect(again.code).toBe(3);
      expect(JSON.parse(again.stdout).error.code).toBe("RUNS_DATA_EXISTS");
      const mtimes = (dir: string) => Object.fromEntries(readdirSync(dir).map((n) => [n, statSync(join(dir, n)).mtimeMs] as const));
      const old = mtimes(store);
      const rerun = await ok("runs", "put", store, RUNS.join(","), "peaks", template, "--shard", "1/2", "--overwrite");
      const mine = new Set((rerun.runs as { folder: string }[]).map((r) => r.folder));
      const now = mtimes(store);
      // Data folders of shard 0 are untouched; shard 1's were replaced (a new folder, same content).
      for (const [name, t] of Object.entries(old)) {
        if (name.endsWith(".json")) continue;
        if (mine.has(name)) expect(now[name], name).not.toBe(t);
        else expect(now[name], name).toBe(t);
      }
      expect(checksums(store)).toEqual(before);
      expect(checksums(store)).toEqual(single);
    });
  });

  it("usage errors: --shard with one run, a list without {run}, a duplicate run, an empty list; a missing list or input is exit 4", async () => {
    await withEnv({}, async () => {
      const usage = async (...args: string[]) => {
        const r = await daqkit("--json", "runs", "put", join(tmp, "bad"), ...args);
        expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
        expect(JSON.parse(r.stdout).error.code).toBe("CLI_USAGE");
      };
      await usage("001", "peaks", input("001"), "--shard", "0/2");
      await usage("001,002", "peaks", input("001"));
      await usage("001,002,001", "peaks", template);
      await usage("001,,002", "peaks", template);
      writeFileSync(join(tmp, "empty.txt"), "# nothing\n\n");
      await usage(`@${join(tmp, "empty.txt")}`, "peaks", template);
      await usage("001,002", "peaks", template, "--shard", "2/2");
      const missingList = await daqkit("--json", "runs", "put", join(tmp, "bad"), `@${join(tmp, "nope.txt")}`, "peaks", template);
      expect(missingList.code).toBe(4);
      const missingInput = await daqkit("--json", "runs", "put", join(tmp, "bad"), "001,404", "peaks", template, "--shard", "0/2");
      expect(missingInput.code).toBe(4);
      expect(missingInput.stderr).toContain("run404.arrow");
    });
  });
});

describe("runs write-superrun over a list of superruns", () => {
  const store = () => join(tmp, "one");
  const NAMES = ["_c", "_a", "_b"];

  beforeAll(async () => {
    await withEnv({}, async () => {
      await ok("runs", "define", store(), "_a", "001", "002", "003");
      await ok("runs", "define", store(), "_b", "005", "007");
      await ok("runs", "define", store(), "_c", "009", "011", "001");
    });
  });

  it("two shards write the superruns one process writes, each once", async () => {
    const { cpSync } = await import("node:fs");
    cpSync(store(), join(tmp, "sr-two"), { recursive: true });
    cpSync(store(), join(tmp, "sr-one"), { recursive: true });
    writeFileSync(join(tmp, "superruns.txt"), NAMES.join("\n"));
    await withEnv({}, async () => {
      const one = await ok("runs", "write-superrun", join(tmp, "sr-one"), `@${join(tmp, "superruns.txt")}`, "peaks");
      expect((one.superruns as { name: string }[]).map((s) => s.name)).toEqual(["_a", "_b", "_c"]);
      const seen: string[] = [];
      for (const i of [0, 1]) {
        const out = await ok("runs", "write-superrun", join(tmp, "sr-two"), NAMES.join(","), "peaks", "--shard", `${i}/2`);
        expect(out.shard).toEqual({ index: i, count: 2, source: "flag" });
        seen.push(...(out.superruns as { name: string }[]).map((s) => s.name));
      }
      expect([...seen].sort()).toEqual(["_a", "_b", "_c"]);
    });
    expect(checksums(join(tmp, "sr-two"))).toEqual(checksums(join(tmp, "sr-one")));
    const rows = (await ok("runs", "load", join(tmp, "sr-two"), "_a", "peaks", "--out", join(tmp, "a.arrow"))).rows;
    expect(rows).toBe(ROWS["001"]! + ROWS["002"]! + ROWS["003"]!);
  });

  it("a superrun that is not defined is an error in every shard (the list is checked whole)", async () => {
    const r = await withEnv({}, () => daqkit("--json", "runs", "write-superrun", store(), "_a,_nope", "peaks", "--shard", "0/2"));
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).error.code).toBe("RUNS_RUN_DOC_NOT_FOUND");
  });
});
