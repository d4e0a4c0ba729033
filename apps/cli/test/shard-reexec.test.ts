import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SHARD_CHILD_ENV, SHARD_NODE_FLAG, shouldReexecShard } from "../src/shard-reexec.js";

const bin = join(import.meta.dirname, "../dist/index.js");
const TOOLS = join(import.meta.dirname, "../../../../shared/tools");

describe("a shard runs its work under --single-threaded-gc", () => {
  it("only the sharded commands, only as a shard, only once", () => {
    const conv = ["gen2", "convert-all", "bin", "out"];
    expect(shouldReexecShard([...conv, "--shard", "0/2"], {}, [])).toBe(true);
    expect(shouldReexecShard(["--json", ...conv, "--shard=1/2"], {}, [])).toBe(true);
    expect(shouldReexecShard(["load", "c.json", "--files", "all", "--out", "d/", "--shard", "0/4"], {}, [])).toBe(true);
    for (const cmd of [
      ["filedb", "scan", "c.json"],
      ["runs", "put", "s", "@r", "t", "x"],
      ["docs", "export", "s"],
      ["docs", "ingest", "tiff", "p"],
    ]) {
      expect(shouldReexecShard([...cmd, "--shard", "0/2"], {}, [])).toBe(true);
    }
    // a Slurm array task or a Kubernetes Indexed Job pod is a shard without --shard
    expect(shouldReexecShard(conv, { SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_COUNT: "4" }, [])).toBe(true);
    expect(shouldReexecShard(conv, { JOB_COMPLETION_INDEX: "0", DAQKIT_SHARD_COUNT: "2" }, [])).toBe(true);
    // not a shard, not a sharded command, help, --shard after `--`
    expect(shouldReexecShard(conv, {}, [])).toBe(false);
    expect(shouldReexecShard(["gen2", "info", "f.bin", "--shard", "0/2"], {}, [])).toBe(false);
    expect(shouldReexecShard(["time", "key", "x"], { SLURM_ARRAY_TASK_ID: "1" }, [])).toBe(false);
    expect(shouldReexecShard([...conv, "--shard", "0/2", "--help"], {}, [])).toBe(false);
    expect(shouldReexecShard(["cluster", "slurm", "--", ...conv, "--shard", "0/2"], {}, [])).toBe(false);
    // already the child, already under the flag, or V8 defaults asked for
    expect(shouldReexecShard([...conv, "--shard", "0/2"], { [SHARD_CHILD_ENV]: "1" }, [])).toBe(false);
    expect(shouldReexecShard([...conv, "--shard", "0/2"], {}, [SHARD_NODE_FLAG])).toBe(false);
    expect(shouldReexecShard([...conv, "--shard", "0/2"], { DAQKIT_V8_DEFAULTS: "1" }, [])).toBe(false);
  });

  it("the built CLI: the shard's output, stdout and exit code come through the child", () => {
    const tmp = mkdtempSync(join(tmpdir(), "cli-shard-reexec-"));
    try {
      const binDir = join(tmp, "bin");
      const made = spawnSync("/usr/bin/python3", [join(TOOLS, "gen2_make.py"), binDir, "--photons", "20000", "--seconds", "3", "--quiet"], {
        encoding: "utf8",
      });
      expect(made.status, made.stderr).toBe(0);
      const env = { ...process.env, SLURM_ARRAY_TASK_ID: "", JOB_COMPLETION_INDEX: "", [SHARD_CHILD_ENV]: "" };
      // Every process (the CLI and the child it starts with the same Node options) prints its Node flags at exit.
      const hook = `data:text/javascript,process.on("exit",()=>process.stderr.write("@@execArgv "+JSON.stringify(process.execArgv)+"\\n"))`;
      const run = (...args: string[]) => spawnSync(process.execPath, ["--import", hook, bin, ...args], { encoding: "utf8", env });
      const flagsOf = (stderr: string) => [...stderr.matchAll(/@@execArgv (.*)/g)].map((m) => JSON.parse(m[1] as string) as string[]);
      const ok = run("--json", "gen2", "convert-all", binDir, join(tmp, "out"), "-q", "--shard", "0/2");
      expect(ok.status, ok.stderr).toBe(0);
      expect(JSON.parse(ok.stdout).shard).toEqual({ index: 0, count: 2, source: "flag" });
      const flags = flagsOf(ok.stderr);
      expect(flags).toHaveLength(2);
      expect(flags.filter((f) => f.includes(SHARD_NODE_FLAG))).toHaveLength(1);
      // without a shard: one process, no flag
      const whole = run("--json", "gen2", "convert-all", binDir, join(tmp, "whole"), "-q", "--workers", "0");
      expect(whole.status, whole.stderr).toBe(0);
      expect(flagsOf(whole.stderr)).toEqual([["--import", hook]]);
      const bad = run("gen2", "convert-all", binDir, join(tmp, "out"), "--shard", "2/2");
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/CLI_USAGE/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
