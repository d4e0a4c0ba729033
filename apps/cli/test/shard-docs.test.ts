import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { NdArray } from "@daqkit/docmodel";
import { encodeTiff } from "@daqkit/docmodel/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata/docmodel");

describe("docs export --shard", () => {
  const tmp = mkdtempSync(join(tmpdir(), "cli-docs-shard-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("3 shards export every run exactly once, the same files as one export", async () => {
    const one = await daqkit("--json", "docs", "export", TESTDATA, "--out", join(tmp, "one"));
    expect(one.code, one.stderr).toBe(0);
    const uids: string[] = [];
    for (const i of [0, 1, 2]) {
      const r = await daqkit("--json", "docs", "export", TESTDATA, "--out", join(tmp, "three"), "--shard", `${i}/3`);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.shard).toEqual({ index: i, count: 3, source: "flag" });
      uids.push(...out.runs.map((w: { uid: string }) => w.uid));
    }
    expect(new Set(uids).size).toBe(uids.length);
    expect([...uids].sort()).toEqual(
      JSON.parse(one.stdout)
        .runs.map((w: { uid: string }) => w.uid)
        .sort(),
    );
    expect(readdirSync(join(tmp, "three")).sort()).toEqual(readdirSync(join(tmp, "one")).sort());
    // A re-run of a shard rewrites its own files (with --overwrite).
    expect((await daqkit("docs", "export", TESTDATA, "--out", join(tmp, "three"), "--shard", "1/3", "--overwrite")).code).toBe(0);
    expect((await daqkit("docs", "export", TESTDATA, "RUN", "--out", join(tmp, "x"), "--shard", "1/3")).code).toBe(2);
  });
});

describe("docs ingest --each --shard", () => {
  const tmp = mkdtempSync(join(tmpdir(), "cli-docs-ingest-shard-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  /** Inputs of different sizes: single TIFF files and folders of TIFF series. */
  const inputs: string[] = [];

  beforeAll(() => {
    const tiff = (path: string, side: number, seed: number) => {
      const data = Uint16Array.from({ length: side * side }, (_, k) => (k * 7 + seed) & 0xffff);
      writeFileSync(path, encodeTiff([new NdArray("<u2", [side, side], data)]));
      utimesSync(path, 1_700_000_000 + seed, 1_700_000_000 + seed); // fixed times: the documents do not depend on the clock
    };
    for (const [i, side] of [4, 64, 16, 2, 32].entries()) {
      const p = join(tmp, `frame${i}.tiff`);
      tiff(p, side, i);
      inputs.push(p);
    }
    for (const [i, frames] of [3, 1].entries()) {
      const d = join(tmp, `series${i}`);
      mkdirSync(d);
      for (let f = 0; f < frames; f++) tiff(join(d, `f${f}.tif`), 8 * (i + 1), 100 + 10 * i + f);
      inputs.push(d);
    }
  });

  const hashes = (dir: string) =>
    Object.fromEntries(
      readdirSync(dir).map((n) => [
        n,
        createHash("sha256")
          .update(readFileSync(join(dir, n)))
          .digest("hex"),
      ]),
    );

  /**
   * Each run of `dir` (by file name = run uid) with its stream read into columns. The TIFF ingestors give
   * descriptors and events random uids (as event-model does), so files are compared by what they hold.
   */
  const contents = async (dir: string) => {
    const out: Record<string, unknown> = {};
    for (const name of readdirSync(dir).sort()) {
      const uid = name.replace(/\.msgpack$/, "");
      const r = await daqkit("--json", "docs", "show", dir, uid, "--stream", "primary", "--rows", "1000");
      expect(r.code, r.stderr).toBe(0);
      const summary = await daqkit("--json", "docs", "show", dir, uid);
      const { start, stop } = JSON.parse(summary.stdout) as { start: unknown; stop: Record<string, unknown> };
      out[name] = { stream: JSON.parse(r.stdout), start, stop: { ...stop, uid: "(random)" } };
    }
    return out;
  };

  it("each input is its own run; N shards ingest disjoint parts that cover the inputs, the same files as one process", async () => {
    const one = await daqkit("--json", "docs", "ingest", "tiff", ...inputs, "--each", "--out", join(tmp, "one"));
    expect(one.code, one.stderr).toBe(0);
    const all = JSON.parse(one.stdout) as { runs: { input: string; uid: string }[]; count: number };
    expect(all.count).toBe(inputs.length);
    expect(new Set(all.runs.map((r) => r.uid)).size).toBe(inputs.length);
    expect(readdirSync(join(tmp, "one"))).toHaveLength(inputs.length);
    for (const n of [2, 3]) {
      const out = join(tmp, `shards-${n}`);
      const seen: string[] = [];
      for (let i = 0; i < n; i++) {
        const r = await daqkit("--json", "docs", "ingest", "tiff", ...inputs, "--each", "--out", out, "--shard", `${i}/${n}`);
        expect(r.code, r.stderr).toBe(0);
        const doc = JSON.parse(r.stdout) as { runs: { input: string }[]; shard: unknown; of: number };
        expect(doc.shard).toEqual({ index: i, count: n, source: "flag" });
        expect(doc.of).toBe(inputs.length);
        seen.push(...doc.runs.map((x) => x.input));
      }
      expect(new Set(seen).size, `N=${n}`).toBe(seen.length);
      expect([...seen].sort(), `N=${n}`).toEqual([...inputs].sort());
      expect(await contents(out), `N=${n}`).toEqual(await contents(join(tmp, "one")));
    }
  });

  it("a re-run shard needs --overwrite and rewrites only its runs; the environment shards --each only", async () => {
    const out = join(tmp, "rerun");
    for (const i of [0, 1])
      expect((await daqkit("docs", "ingest", "tiff", ...inputs, "--each", "--out", out, "--shard", `${i}/2`)).code).toBe(0);
    const before = hashes(out);
    const beforeContents = await contents(out);
    const again = await daqkit("--json", "docs", "ingest", "tiff", ...inputs, "--each", "--out", out, "--shard", "0/2");
    expect(again.code).toBe(3);
    expect(JSON.parse(again.stdout).error.code).toBe("DOCS_FILE_EXISTS");
    const rerun = await daqkit("--json", "docs", "ingest", "tiff", ...inputs, "--each", "--out", out, "--shard", "0/2", "--overwrite");
    expect(rerun.code, rerun.stderr).toBe(0);
    const rewritten = new Set((JSON.parse(rerun.stdout) as { runs: { path: string }[] }).runs.map((r) => basename(r.path)));
    expect(rewritten.size).toBeGreaterThan(0);
    const after = hashes(out);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    // Shard 1's files are untouched; shard 0's were rewritten (new descriptor uids), holding the same data.
    for (const [name, hash] of Object.entries(before)) if (!rewritten.has(name)) expect(after[name], name).toBe(hash);
    expect(await contents(out)).toEqual(beforeContents);

    const saved = { id: process.env.SLURM_ARRAY_TASK_ID, count: process.env.SLURM_ARRAY_TASK_COUNT };
    process.env.SLURM_ARRAY_TASK_ID = "1";
    process.env.SLURM_ARRAY_TASK_COUNT = "2";
    try {
      const env = await daqkit("--json", "docs", "ingest", "tiff", ...inputs, "--each", "--out", join(tmp, "env"));
      expect(JSON.parse(env.stdout).shard).toEqual({ index: 1, count: 2, source: "slurm" });
      // Without --each the inputs make one run, whatever the environment says.
      const series = await daqkit("--json", "docs", "ingest", "tiff", join(tmp, "series0"), "--out", join(tmp, "env-one"));
      expect(series.code, series.stderr).toBe(0);
      expect(JSON.parse(series.stdout).records, series.stdout).toMatchObject({ start: 1, event_page: 3, stop: 1 });
    } finally {
      for (const [k, v] of [
        ["SLURM_ARRAY_TASK_ID", saved.id],
        ["SLURM_ARRAY_TASK_COUNT", saved.count],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    const usage = await daqkit("--json", "docs", "ingest", "tiff", ...inputs, "--out", join(tmp, "x"), "--shard", "0/2");
    expect(usage.code).toBe(2);
  });
});
