import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { daqkit } from "./run.js";

const TESTDATA = join(import.meta.dirname, "../../../../shared/testdata");
const FLOW = join(TESTDATA, "lh5/configs/pygama-flow/data-loader-config.json");
const DATA_DIR = join(TESTDATA, "lh5/prod-ref-l200/generated/tier");
const ARGS = [FLOW, "--data-dir", DATA_DIR, "--files", "all", "--columns", "trapEmax,is_valid_cal", "--head", "0"];

async function query(sql: string): Promise<unknown[][]> {
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  try {
    const reader = await con.runAndReadAll(sql);
    return reader.getRowsJson() as unknown[][];
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

describe("load --out DIR/ (sharded Parquet dataset) and merge", () => {
  const tmp = mkdtempSync(join(tmpdir(), "cli-load-shard-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const whole = join(tmp, "whole.parquet");
  const dir = join(tmp, "ds");
  const merged = join(tmp, "merged.parquet");

  it("3 shards + merge give the single-process table; DuckDB reads the dataset and the merged file as the same table", async () => {
    const one = await daqkit("--json", "load", ...ARGS, "--out", whole);
    expect(one.code, one.stderr).toBe(0);
    const total = JSON.parse(one.stdout).rows as number;
    let rows = 0;
    for (const i of [2, 0, 1]) {
      const r = await daqkit("--json", "load", ...ARGS, "--out", `${dir}/`, "--shard", `${i}/3`);
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.shard).toMatchObject({ index: i, count: 3 });
      rows += out.rows;
    }
    expect(rows).toBe(total);
    expect(readdirSync(dir).sort()).toEqual([0, 1, 2].flatMap((i) => [`part-0000${i}-of-00003.json`, `part-0000${i}-of-00003.parquet`]));
    const m = await daqkit("--json", "merge", dir, "--out", merged);
    expect(m.code, m.stderr).toBe(0);
    expect(JSON.parse(m.stdout)).toMatchObject({ parts: 3, rows: total });
    const q = (from: string) => `SELECT count(*)::BIGINT, sum(trapEmax)::DOUBLE, sum(hit_idx)::BIGINT, sum(file)::BIGINT FROM ${from}`;
    const a = await query(q(`read_parquet('${whole}')`));
    expect(await query(q(`read_parquet('${dir}/*.parquet')`))).toEqual(a);
    expect(await query(q(`read_parquet('${merged}')`))).toEqual(a);
    // Same rows in the same order as the single process.
    const diff = await query(
      `SELECT count(*)::BIGINT FROM (SELECT *, row_number() OVER () AS n FROM read_parquet('${whole}')) a FULL JOIN (SELECT *, row_number() OVER () AS n FROM read_parquet('${merged}')) b ON a.n = b.n AND a.file = b.file AND a.hit_idx = b.hit_idx AND a.hit_table = b.hit_table WHERE a.n IS NULL OR b.n IS NULL`,
    );
    expect(diff).toEqual([["0"]]);
  });

  it("merge refuses a dataset with a missing part (coded error); re-running the shard repairs it", async () => {
    unlinkSync(join(dir, "part-00001-of-00003.json"));
    const r = await daqkit("--json", "merge", dir, "--out", join(tmp, "bad.parquet"));
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout).error.code).toBe("CLI_SHARD_MISSING");
    expect((await daqkit("load", ...ARGS, "--out", `${dir}/`, "--shard", "1/3")).code).toBe(0);
    expect((await daqkit("merge", dir, "--out", join(tmp, "good.parquet"))).code).toBe(0);
  });

  it("a shard opens only its own cycles' files: it loads while another shard's files are unreadable", async () => {
    // A copy of the data in which every tier file of shard 1's cycles is overwritten with zeros (same
    // size, so the byte-balanced split is unchanged): the FileDB (a JSON config, no tables) is scanned
    // for tables by each shard, for its own cycles only.
    const data = join(tmp, "tier");
    cpSync(DATA_DIR, data, { recursive: true });
    const cycles = JSON.parse(readFileSync(join(dir, "part-00001-of-00003.json"), "utf8")).cycles as string[];
    expect(cycles.length).toBeGreaterThan(0);
    const broken: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (cycles.some((c) => e.name.includes(`-${c}-`))) {
          writeFileSync(p, new Uint8Array(statSync(p).size));
          broken.push(p);
        }
      }
    };
    walk(data);
    expect(broken.length).toBeGreaterThan(0);
    const args = ARGS.map((a) => (a === DATA_DIR ? data : a));
    const other = await daqkit("--json", "load", ...args, "--out", `${join(tmp, "ds2")}/`, "--shard", "0/3");
    expect(other.code, other.stderr).toBe(0);
    expect(JSON.parse(other.stdout).rows).toBe(JSON.parse(readFileSync(join(dir, "part-00000-of-00003.json"), "utf8")).rows);
    // shard 1 itself reports its unreadable file
    const own = await daqkit("--json", "load", ...args, "--out", `${join(tmp, "ds2")}/`, "--shard", "1/3");
    expect(own.code).not.toBe(0);
  });

  it("the split uses the FileDB's file sizes: files changed after the scan do not move cycles between shards", async () => {
    // A saved FileDB (its {tier}_size columns) over a copy of the data, then every tier file of shard 1's
    // cycles deleted: shard 2 still takes exactly its cycles (every task of a job computes the same split
    // from the same database, without stat-ing each file of the production). Split by the files' sizes
    // now, shard 1's cycles would weigh nothing and shard 2 would lose a cycle to shard 1.
    const data = join(tmp, "tier-sized");
    cpSync(DATA_DIR, data, { recursive: true });
    const db = join(tmp, "sized.lh5");
    const scan = await daqkit("filedb", "scan", join(FLOW, "../filedb-config.json"), "--data-dir", data, "--out", db);
    expect(scan.code, scan.stderr).toBe(0);
    const part = (i: number) => JSON.parse(readFileSync(join(dir, `part-0000${i}-of-00003.json`), "utf8"));
    const gone = part(1).cycles as string[];
    expect(gone.length).toBeGreaterThan(0);
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (gone.some((c) => e.name.includes(`-${c}-`))) unlinkSync(p);
      }
    };
    walk(data);
    const args = [FLOW, db, ...ARGS.slice(1).map((a) => (a === DATA_DIR ? data : a))];
    const r = await daqkit("--json", "load", ...args, "--out", `${join(tmp, "ds3")}/`, "--shard", "2/3");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(tmp, "ds3", "part-00002-of-00003.json"), "utf8")).cycles).toEqual(part(2).cycles);
    expect(JSON.parse(r.stdout).rows).toBe(part(2).rows);
  });

  it("--shard without a dataset --out is a usage error", async () => {
    const r = await daqkit("load", ...ARGS, "--shard", "0/2");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs --out DIR\//);
  });
});
