/**
 * Issue 19 on a real single-node Slurm cluster (test/support/slurm.ts): the scripts `daqkit cluster slurm`
 * prints are submitted as they are, and their results compared with the single-process run. Skips with a
 * message where Slurm is not installed; under CI=true a missing or failing cluster is a failure.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { tableFromArrays, tableToIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobStates, type SlurmCluster, sbatch, scancel, startSlurm, submitScript, waitJobs } from "../../../test/support/slurm.js";
import { daqkit } from "./run.js";

const BIN = join(import.meta.dirname, "../bin/daqkit.js");
const DIST = join(import.meta.dirname, "../dist/index.js");
const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata");
const TOOLS = join(import.meta.dirname, "../../../../shared/tools");
const FILEDB = join(TESTDATA, "lh5/configs/pygama-flow/filedb-config.json");
const FLOW = join(TESTDATA, "lh5/configs/pygama-flow/data-loader-config.json");
const DATA_DIR = join(TESTDATA, "lh5/prod-ref-l200/generated/tier");
const DAQKIT = `${process.execPath} ${BIN}`;

function built(): boolean {
  if (existsSync(DIST)) return true;
  if (process.env.CI === "true") throw new Error(`${DIST} is missing: pnpm test builds it first`);
  console.warn("skipping the Slurm tests: the CLI is not built (pnpm build)");
  return false;
}

const cluster: SlurmCluster | null = built() ? startSlurm() : null;

function cli(...args: string[]): string {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 300_000 });
  if (r.status !== 0) throw new Error(`daqkit ${args.join(" ")} failed (exit ${r.status}): ${r.stderr}`);
  return r.stdout;
}

/**
 * relative path → sha256 of every file below `dir`; with `wallClock`, the two wall-clock fields of strax data
 * metadata (`writing_started`, `writing_ended`) are blanked first.
 */
function checksums(dir: string, wallClock = false): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else {
        let bytes: string | Buffer = readFileSync(p);
        if (wallClock && name.endsWith("-metadata.json")) {
          bytes = bytes.toString("utf8").replace(/"writing_(started|ended)":\s*[^,}\s]+/g, '"writing_$1": 0');
        }
        out[relative(dir, p)] = createHash("sha256").update(bytes).digest("hex");
      }
    }
  };
  walk(dir);
  return out;
}

async function script(...args: string[]): Promise<string> {
  const r = await daqkit("cluster", "slurm", "--daqkit", DAQKIT, ...args);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

function allCompleted(states: Map<string, string>[]): void {
  for (const s of states) for (const [task, state] of s) expect(state, `task ${task}`).toBe("COMPLETED");
}

/** Counts, sums and the row keys of a table; `ordered`: the keys in the file's row order (else sorted). */
async function tableSums(from: string, ordered = true): Promise<unknown[][]> {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    const r = await con.runAndReadAll(
      `SELECT count(*)::BIGINT, sum(trapEmax)::DOUBLE, sum(hit_idx)::BIGINT, sum(file)::BIGINT, string_agg(file || ':' || hit_table || ':' || hit_idx, ',' ${ordered ? "" : "ORDER BY file, hit_table, hit_idx"}) FROM ${from}`,
    );
    return r.getRowsJson() as unknown[][];
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

describe.skipIf(cluster === null)("sharded commands on a real Slurm cluster", () => {
  // (The describe body runs even when skipped: make the folder only for a cluster.)
  const tmp = cluster === null ? "" : mkdtempSync(join(tmpdir(), "daqkit-slurm-test-"));
  const c = cluster as SlurmCluster;
  afterAll(() => {
    c.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  describe("gen2 convert-all as a 4-task array", () => {
    const bin = join(tmp, "night");
    beforeAll(() => {
      const r = spawnSync("/usr/bin/python3", [join(TOOLS, "gen2_make.py"), bin, "--photons", "120000", "--seconds", "8", "--quiet"], {
        encoding: "utf8",
      });
      expect(r.status, r.stderr).toBe(0);
      cli("gen2", "convert-all", bin, join(tmp, "one"), "--workers", "0", "-q");
    });

    it("gives the single-process cache byte for byte", async () => {
      const text = await script(
        "--shards",
        "4",
        "--log-dir",
        join(tmp, "logs-gen2"),
        "--",
        "gen2",
        "convert-all",
        bin,
        join(tmp, "four"),
        "--workers",
        "0",
        "-q",
      );
      const { array, merge } = submitScript(c, text);
      expect(merge).toBeNull();
      allCompleted(await waitJobs(c, [array]));
      expect(checksums(join(tmp, "four"))).toEqual(checksums(join(tmp, "one")));
      expect(readdirSync(join(tmp, "logs-gen2")).filter((n) => n.endsWith(".out"))).toHaveLength(4);
    });

    it("--submit runs sbatch itself and prints the job id", async () => {
      // In-process: sbatch inherits this process's environment, which must name the cluster.
      const saved = process.env.SLURM_CONF;
      process.env.SLURM_CONF = c.env.SLURM_CONF;
      const r = await daqkit(
        "--json",
        "cluster",
        "slurm",
        "--submit",
        "--daqkit",
        DAQKIT,
        "--shards",
        "2",
        "--log-dir",
        join(tmp, "logs-gen2-submit"),
        "--",
        "gen2",
        "convert-all",
        bin,
        join(tmp, "submitted"),
        "--workers",
        "0",
        "-q",
      );
      if (saved === undefined) delete process.env.SLURM_CONF;
      else process.env.SLURM_CONF = saved;
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.array).toMatch(/^\d+$/);
      expect(out.merge).toBeNull();
      allCompleted(await waitJobs(c, [out.array]));
      expect(checksums(join(tmp, "submitted"))).toEqual(checksums(join(tmp, "one")));
    });

    it("a task cancelled with scancel and resubmitted gives the same result, nothing duplicated or lost", async () => {
      const logs = join(tmp, "logs-gen2-cancel");
      const text = await script(
        "--shards",
        "4",
        "--log-dir",
        logs,
        "--",
        "gen2",
        "convert-all",
        bin,
        join(tmp, "again"),
        "--workers",
        "0",
        "-q",
      );
      const { array } = submitScript(c, text);
      // Cancel task 3 as soon as it is running (or still pending: it is cancelled either way).
      for (let i = 0; i < 200; i++) {
        const s = jobStates(c, array).get("3");
        if (s === "RUNNING" || s === undefined) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      scancel(c, `${array}_3`);
      const [states] = await waitJobs(c, [array]);
      // A task cancelled while pending may leave no record of its own; one that ran ended one way or the other.
      expect(states?.get("3") ?? "CANCELLED").toMatch(/CANCELLED|COMPLETED/);
      const resubmitted = sbatch(c, ["--array=3", join(logs, "daqkit-gen2-convert-all.array.sbatch")]);
      allCompleted(await waitJobs(c, [resubmitted]));
      expect(checksums(join(tmp, "again"))).toEqual(checksums(join(tmp, "one")));
    });
  });

  describe("load as a 3-task array with its merge job", () => {
    const args = [FLOW, "--data-dir", DATA_DIR, "--files", "all", "--columns", "trapEmax,is_valid_cal", "--head", "0"];
    beforeAll(() => {
      cli("load", ...args, "--out", join(tmp, "load-one.parquet"));
    });

    it("the merged file and the dataset are the single-process table", async () => {
      const text = await script(
        "--shards",
        "3",
        "--log-dir",
        join(tmp, "logs-load"),
        "--merge-out",
        join(tmp, "load-merged.parquet"),
        "--",
        "load",
        ...args,
        "--out",
        `${join(tmp, "load-ds")}/`,
      );
      const { array, merge } = submitScript(c, text);
      expect(merge).not.toBeNull();
      allCompleted(await waitJobs(c, [array, merge as string]));
      const one = await tableSums(`read_parquet('${join(tmp, "load-one.parquet")}')`);
      expect(await tableSums(`read_parquet('${join(tmp, "load-merged.parquet")}')`)).toEqual(one);
      // A dataset has no row order across its parts: the same rows.
      expect(await tableSums(`read_parquet('${join(tmp, "load-ds")}/*.parquet')`, false)).toEqual(
        await tableSums(`read_parquet('${join(tmp, "load-one.parquet")}')`, false),
      );
    });

    it("a cancelled task stops the merge; resubmitting the task and the merge completes it", async () => {
      const logs = join(tmp, "logs-load-cancel");
      const out = join(tmp, "load-merged2.parquet");
      const text = await script(
        "--shards",
        "3",
        "--log-dir",
        logs,
        "--merge-out",
        out,
        "--",
        "load",
        ...args,
        "--out",
        `${join(tmp, "load-ds2")}/`,
      );
      const { array, merge } = submitScript(c, text);
      scancel(c, `${array}_1`);
      const [states, mergeStates] = await waitJobs(c, [array, merge as string]);
      if (states?.get("1") === "CANCELLED") {
        expect([...(mergeStates?.values() ?? [])]).toEqual(["CANCELLED"]);
        expect(existsSync(out)).toBe(false);
      }
      const again = sbatch(c, ["--array=1", join(logs, "daqkit-load.array.sbatch")]);
      const mergeAgain = sbatch(c, [`--dependency=afterok:${again}`, join(logs, "daqkit-load.merge.sbatch")]);
      allCompleted(await waitJobs(c, [again, mergeAgain]));
      expect(await tableSums(`read_parquet('${out}')`)).toEqual(await tableSums(`read_parquet('${join(tmp, "load-one.parquet")}')`));
    });
  });

  it("a strax reprocessing: runs put over a run list as a 2-task array equals the single-process store", async () => {
    const inputs = join(tmp, "runs-in");
    mkdirSync(inputs);
    const runIds = ["000101", "000102", "000103", "000104", "000105"];
    for (const [i, run] of runIds.entries()) {
      const n = [3000, 200, 50, 1200, 700][i] as number;
      const time = BigInt64Array.from({ length: n }, (_, k) => 1_700_000_000_000_000_000n + BigInt(i) * 10n ** 10n + BigInt(k) * 1000n);
      const table = tableFromArrays({ time, endtime: BigInt64Array.from(time, (x) => x + 400n), area: Float64Array.from(time, Number) });
      writeFileSync(join(inputs, `${run}.arrow`), tableToIPC(table, "file"));
    }
    writeFileSync(join(tmp, "runs.txt"), `${runIds.join("\n")}\n`);
    const template = join(inputs, "{run}.arrow");
    cli("runs", "put", join(tmp, "store-one"), `@${join(tmp, "runs.txt")}`, "peaks", template, "--overwrite");
    const text = await script(
      "--shards",
      "2",
      "--log-dir",
      join(tmp, "logs-runs"),
      "--",
      "runs",
      "put",
      join(tmp, "store-two"),
      `@${join(tmp, "runs.txt")}`,
      "peaks",
      template,
      "--overwrite",
    );
    const { array, merge } = submitScript(c, text);
    expect(merge).toBeNull();
    allCompleted(await waitJobs(c, [array]));
    expect(checksums(join(tmp, "store-two"), true)).toEqual(checksums(join(tmp, "store-one"), true));
    // Each task stored its own part of the list: together every run once.
    const logs = readdirSync(join(tmp, "logs-runs")).filter((n) => n.endsWith(".out"));
    expect(logs).toHaveLength(2);
    const stored = logs.flatMap((n) =>
      [...readFileSync(join(tmp, "logs-runs", n), "utf8").matchAll(/\/(\d{6})\.arrow → /g)].map((m) => m[1]),
    );
    expect(stored.sort()).toEqual(runIds);
  });

  it("FileDB --tables scan as a 2-task array with its merge job equals the single-process database", async () => {
    const whole = join(tmp, "db-one.lh5");
    cli("filedb", "scan", FILEDB, "--data-dir", DATA_DIR, "--tables", "--out", whole);
    const merged = join(tmp, "db-merged.lh5");
    const text = await script(
      "--shards",
      "2",
      "--log-dir",
      join(tmp, "logs-filedb"),
      "--merge-out",
      merged,
      "--",
      "filedb",
      "scan",
      FILEDB,
      "--data-dir",
      DATA_DIR,
      "--tables",
      "--out",
      join(tmp, "db-parts"),
    );
    const { array, merge } = submitScript(c, text);
    allCompleted(await waitJobs(c, [array, merge as string]));
    const show = (db: string) => {
      const out = JSON.parse(cli("--json", "filedb", "show", db)) as { cycles: Record<string, unknown>[]; columns: string[][] };
      return out.cycles.map((r) =>
        Object.fromEntries(
          Object.entries(r).map(([k, v]) => [k, k.endsWith("_col_idx") && Array.isArray(v) ? v.map((i) => out.columns[i as number]) : v]),
        ),
      );
    };
    expect(show(merged)).toEqual(show(whole));
  });
});
