import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { shellQuote } from "../src/commands/cluster.js";
import { daqkit } from "./run.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata");
const CONFIG = join(TESTDATA, "lh5/configs/pygama-flow/filedb-config.json");
const DATA_DIR = join(TESTDATA, "lh5/prod-ref-l200/generated/tier");

interface JobDoc {
  kind: string;
  metadata: { name: string };
  spec: {
    completionMode?: string;
    completions?: number;
    template: { spec: { containers: { command: string[]; env?: { name: string; value: string }[] }[] } };
  };
}

describe("daqkit cluster k8s", () => {
  const tmp = mkdtempSync(join(tmpdir(), "cli-cluster-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("prints an Indexed Job (completions = shards, DAQKIT_SHARD_COUNT) and the merge Job, as YAML", async () => {
    const out = join(tmp, "parts");
    const r = await daqkit(
      "cluster",
      "k8s",
      "--shards",
      "3",
      "--image",
      "ghcr.io/x/daqkit:1",
      "--pvc",
      "data",
      "--merge-out",
      join(tmp, "db.lh5"),
      "--",
      "filedb",
      "scan",
      CONFIG,
      "--data-dir",
      DATA_DIR,
      "--tables",
      "--out",
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => {
      expect(d.errors).toEqual([]);
      return d.toJS() as JobDoc;
    });
    expect(docs).toHaveLength(2);
    const [job, merge] = docs as [JobDoc, JobDoc];
    expect(job.kind).toBe("Job");
    expect(job.spec.completionMode).toBe("Indexed");
    expect(job.spec.completions).toBe(3);
    const c = job.spec.template.spec.containers[0]!;
    expect(c.env).toContainEqual({ name: "DAQKIT_SHARD_COUNT", value: "3" });
    expect(c.command.slice(0, 3)).toEqual(["daqkit", "filedb", "scan"]);
    expect(merge.metadata.name).toBe(`${job.metadata.name}-merge`);
    expect(merge.spec.template.spec.containers[0]!.command).toEqual([
      "daqkit",
      "filedb",
      "merge",
      out,
      "--out",
      join(tmp, "db.lh5"),
      "--overwrite",
    ]);

    // Each completion index runs its own shard: run the container's command with the pod's environment.
    const saved = { ...process.env };
    const cycles: number[] = [];
    try {
      for (const index of ["0", "1", "2"]) {
        process.env.JOB_COMPLETION_INDEX = index;
        for (const e of c.env ?? []) process.env[e.name] = e.value;
        const run = await daqkit("--json", ...c.command.slice(1));
        expect(run.code, run.stderr).toBe(0);
        const res = JSON.parse(run.stdout);
        expect(res.shard).toEqual({ index: Number(index), count: 3, source: "kubernetes" });
        expect(res.out).toBe(join(out, `part-0000${index}-of-00003.lh5`));
        cycles.push(res.cycles);
      }
    } finally {
      process.env = saved;
    }
    const m = await daqkit("--json", ...merge.spec.template.spec.containers[0]!.command.slice(1));
    expect(m.code, m.stderr).toBe(0);
    const whole = await daqkit("--json", "filedb", "scan", CONFIG, "--data-dir", DATA_DIR);
    expect(JSON.parse(m.stdout).cycles).toBe(JSON.parse(whole.stdout).cycles);
    expect(cycles.reduce((a, b) => a + b, 0)).toBe(JSON.parse(whole.stdout).cycles);
  });
});

describe("daqkit cluster slurm (script text)", () => {
  it("prints an array script with per-task logs, explicit shard and a dependent merge", async () => {
    const r = await daqkit(
      "cluster",
      "slurm",
      "--shards",
      "4",
      "--partition",
      "debug",
      "--time",
      "00:10:00",
      "--mem",
      "2G",
      "--log-dir",
      "/scratch/logs",
      "--merge-out",
      "all.parquet",
      "--",
      "load",
      "cfg.json",
      "--files",
      "type == 'phy'",
      "--out",
      "ds/",
    );
    expect(r.code, r.stderr).toBe(0);
    const s = r.stdout;
    expect(s).toContain("#SBATCH --array=0-3");
    expect(s).toContain("#SBATCH --partition=debug");
    expect(s).toContain("#SBATCH --time=00:10:00");
    expect(s).toContain("#SBATCH --mem=2G");
    expect(s).toContain("#SBATCH --output=/scratch/logs/daqkit-load-%A_%a.out");
    expect(s).toContain(`exec daqkit load cfg.json --files 'type == '\\''phy'\\''' --out ds/ --shard "\${SLURM_ARRAY_TASK_ID}/4"`);
    expect(s).toContain("--dependency=afterok:$" + "{array_id}");
    expect(s).toContain("exec daqkit merge ds/ --out all.parquet");
  });

  it("refuses a command with --shard or a leading daqkit, and --shards 0", async () => {
    expect((await daqkit("cluster", "slurm", "--shards", "2", "--", "gen2", "convert-all", "a", "b", "--shard", "0/2")).code).toBe(2);
    expect((await daqkit("cluster", "slurm", "--shards", "2", "--", "daqkit", "gen2", "convert-all", "a", "b")).code).toBe(2);
    expect((await daqkit("cluster", "slurm", "--shards", "0", "--", "gen2", "convert-all", "a", "b")).code).toBe(2);
    expect(
      (await daqkit("cluster", "k8s", "--shards", "2", "--image", "i", "--merge-out", "x", "--", "gen2", "convert-all", "a", "b")).code,
    ).toBe(2);
  });

  it("quotes shell words", () => {
    expect(shellQuote("a/b.lh5")).toBe("a/b.lh5");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote("")).toBe("''");
  });
});
