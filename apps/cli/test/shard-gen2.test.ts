import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const TOOLS = join(import.meta.dirname, "../../../../shared/tools");

function checksums(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

describe("gen2 convert-all --shard", () => {
  const tmp = mkdtempSync(join(tmpdir(), "cli-gen2-shard-"));
  const bin = join(tmp, "bin");
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  beforeAll(() => {
    const r = spawnSync("/usr/bin/python3", [join(TOOLS, "gen2_make.py"), bin, "--photons", "30000", "--seconds", "5", "--quiet"], {
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
  });

  it("3 shards fill the cache byte for byte like one process; checksums add up; a re-run reuses its files", async () => {
    const one = await daqkit("--json", "gen2", "convert-all", bin, join(tmp, "one"), "--workers", "0", "-q");
    expect(one.code, one.stderr).toBe(0);
    const whole = JSON.parse(one.stdout);
    let photons = 0;
    let sum = 0n;
    let files = 0;
    for (const i of [2, 0, 1]) {
      // Shard 1 takes the shards' default (its own thread, no --workers), the others say --workers 0.
      const threads = i === 1 ? [] : ["--workers", "0"];
      const r = await daqkit("--json", "gen2", "convert-all", bin, join(tmp, "three"), ...threads, "-q", "--shard", `${i}/3`);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.shard).toEqual({ index: i, count: 3, source: "flag" });
      photons += out.photons;
      files += out.files;
      sum = (sum + BigInt(`0x${out.checksum}`)) % (1n << 64n);
    }
    expect(files).toBe(whole.files);
    expect(photons).toBe(whole.photons);
    expect(sum.toString(16).padStart(16, "0")).toBe(whole.checksum);
    expect(checksums(join(tmp, "three"))).toEqual(checksums(join(tmp, "one")));
    const again = JSON.parse((await daqkit("--json", "gen2", "convert-all", bin, join(tmp, "three"), "-q", "--shard", "1/3")).stdout);
    expect(again.converted).toBe(0);
  });

  it("SLURM_ARRAY_TASK_ID/COUNT give the shard; a bad --shard is a usage error", async () => {
    const saved = { ...process.env };
    try {
      process.env.SLURM_ARRAY_TASK_ID = "1";
      process.env.SLURM_ARRAY_TASK_COUNT = "2";
      const r = await daqkit("--json", "gen2", "convert-all", bin, join(tmp, "env"), "--workers", "0", "-q");
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).shard).toEqual({ index: 1, count: 2, source: "slurm" });
    } finally {
      process.env = saved;
    }
    const bad = await daqkit("gen2", "convert-all", bin, join(tmp, "bad"), "--shard", "2/2");
    expect(bad.code).toBe(2);
  });
});
