import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata");
const CONFIG = join(TESTDATA, "lh5/configs/pygama-flow/filedb-config.json");
const DATA_DIR = join(TESTDATA, "lh5/prod-ref-l200/generated/tier");

async function records(db: string): Promise<unknown[]> {
  const r = await daqkit("--json", "filedb", "show", db);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { cycles: Record<string, unknown>[]; columns: string[][] | null };
  // Column lists are numbered per database: compare the lists themselves.
  return out.cycles.map((c) => {
    const named: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(c)) {
      named[k] = k.endsWith("_col_idx") && Array.isArray(v) ? v.map((i) => (i === null ? null : out.columns?.[i as number])) : v;
    }
    return named;
  });
}

describe("filedb scan --shard / filedb merge", () => {
  const tmp = mkdtempSync(join(tmpdir(), "cli-filedb-shard-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("2 shards with --tables merge into the single-process database", async () => {
    const whole = join(tmp, "whole.lh5");
    expect((await daqkit("filedb", "scan", CONFIG, "--data-dir", DATA_DIR, "--tables", "--out", whole)).code).toBe(0);
    const parts = join(tmp, "parts");
    const lengths: number[] = [];
    for (const i of [1, 0]) {
      const r = await daqkit("--json", "filedb", "scan", CONFIG, "--data-dir", DATA_DIR, "--tables", "--out", parts, "--shard", `${i}/2`);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.shard).toEqual({ index: i, count: 2, source: "flag" });
      expect(out.out).toBe(join(parts, `part-0000${i}-of-00002.lh5`));
      lengths.push(out.cycles);
    }
    const merged = join(tmp, "merged.lh5");
    const m = await daqkit("--json", "filedb", "merge", parts, "--out", merged);
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse(m.stdout)).toMatchObject({ parts: 2, cycles: lengths[0]! + lengths[1]! });
    expect(await records(merged)).toEqual(await records(whole));
  });

  it("a missing part is a coded error naming the shard; a re-run replaces only its own part", async () => {
    const parts = join(tmp, "gap");
    expect((await daqkit("filedb", "scan", CONFIG, "--data-dir", DATA_DIR, "--out", parts, "--shard", "0/3")).code).toBe(0);
    expect((await daqkit("filedb", "scan", CONFIG, "--data-dir", DATA_DIR, "--out", parts, "--shard", "2/3")).code).toBe(0);
    const r = await daqkit("--json", "filedb", "merge", parts, "--out", join(tmp, "gap.lh5"));
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: "CLI_SHARD_MISSING" });
    expect(r.stderr).toMatch(/shards 1\b/);
    expect(existsSync(join(tmp, "gap.lh5"))).toBe(false);
    expect((await daqkit("filedb", "scan", CONFIG, "--data-dir", DATA_DIR, "--out", parts, "--shard", "0/3")).code).toBe(0);
    expect((await daqkit("filedb", "scan", CONFIG, "--data-dir", DATA_DIR, "--out", parts, "--shard", "1/3")).code).toBe(0);
    expect((await daqkit("filedb", "merge", parts, "--out", join(tmp, "gap.lh5"))).code).toBe(0);
  });

  it("the shard comes from JOB_COMPLETION_INDEX with DAQKIT_SHARD_COUNT when --shard is not given", async () => {
    const saved = { ...process.env };
    try {
      process.env.JOB_COMPLETION_INDEX = "1";
      process.env.DAQKIT_SHARD_COUNT = "2";
      const r = await daqkit("--json", "filedb", "scan", CONFIG, "--data-dir", DATA_DIR);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).shard).toEqual({ index: 1, count: 2, source: "kubernetes" });
      delete process.env.DAQKIT_SHARD_COUNT;
      const bad = await daqkit("filedb", "scan", CONFIG, "--data-dir", DATA_DIR);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/DAQKIT_SHARD_COUNT/);
    } finally {
      process.env = saved;
    }
  });
});
