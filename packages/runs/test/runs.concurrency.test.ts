/**
 * Concurrent writers on one DataDirectory (issue 14): one temporary folder per writer, first-wins
 * rename, a coded error for the loser, readers see nothing or the whole data type.
 */
import { spawn } from "node:child_process";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Table, tableFromArrays, tableToIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleScript } from "../../../test/support/fault.js";
import { type Chunk, DataDirectory, defineRun, iterateChunks, loadTable, putArrow, RunsError, writeSuperrun } from "../src/node.js";
import { copyFolder, removeDir, STRAX, sumBigInt, tempDir } from "./helpers.js";

let work: string;
let child: string;
beforeAll(async () => {
  work = await tempDir();
  // apache-arrow is bundled too: the bundle lives in a temp dir where node_modules cannot be found.
  child = await bundleScript(join(import.meta.dirname, "children/runs-child.ts"), join(work, "runs-child.mjs"), []);
});
afterAll(async () => {
  await removeDir(work);
});

/** `n` rows of {time, endtime, v}, 10 ns apart, `offset` added to v. */
function rows(n: number, offset = 0): Table {
  const time = new BigInt64Array(n);
  const endtime = new BigInt64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    time[i] = BigInt(i * 10);
    endtime[i] = BigInt(i * 10 + 5);
    v[i] = i + offset;
  }
  return tableFromArrays({ time, endtime, v });
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function rowCount(dir: DataDirectory, runId: string, type: string): Promise<number> {
  let n = 0;
  for await (const c of iterateChunks(dir, runId, type) as AsyncIterable<Chunk>) n += c.n;
  return n;
}

async function leftovers(path: string): Promise<string[]> {
  return (await readdir(path)).filter((n) => n.includes("_temp") || n.includes("_old"));
}

describe("two processes", () => {
  it("different data types of one run: both succeed, both load", async () => {
    const store = join(work, "types");
    const file = join(work, "types.arrow");
    await writeFile(file, tableToIPC(rows(20_000), "file"));
    const [a, b] = await Promise.all([run(["put", store, "0", "alpha", file, "0.05"]), run(["put", store, "0", "beta", file, "0.07"])]);
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    const dir = new DataDirectory(store);
    expect(await rowCount(dir, "0", "alpha")).toBe(20_000);
    expect(await rowCount(dir, "0", "beta")).toBe(20_000);
    expect(await dir.hasRunDoc("0")).toBe(true);
    expect(await leftovers(store)).toEqual([]);
  });

  it("the same output: one wins cleanly, the loser gets RUNS_BUSY and leaves nothing", async () => {
    const store = join(work, "same");
    const fileA = join(work, "same-a.arrow");
    const fileB = join(work, "same-b.arrow");
    await writeFile(fileA, tableToIPC(rows(20_000, 0), "file"));
    await writeFile(fileB, tableToIPC(rows(20_000, 1e6), "file"));
    const [a, b] = await Promise.all([run(["put", store, "0", "x", fileA, "0.05"]), run(["put", store, "0", "x", fileB, "0.05"])]);
    const codes = [a.code, b.code].sort();
    expect(codes, a.stderr + b.stderr).toEqual([0, 3]);
    const loser = a.code === 3 ? a : b;
    expect(loser.stderr).toMatch(/^RUNS_(BUSY|DATA_EXISTS): /);
    expect(loser.stderr).toContain("run 0");
    expect(loser.stderr).toContain(" x ");
    const dir = new DataDirectory(store);
    const t = await loadTable(dir, "0", "x");
    expect(t.numRows).toBe(20_000);
    // Not mixed: every value comes from the winner's file.
    const v = t.getChild("v")!.toArray() as Float64Array;
    const offset = a.code === 0 ? 0 : 1e6;
    expect(v[0]).toBe(offset);
    expect(v[19_999]).toBe(19_999 + offset);
    expect(v.every((x, i) => x === i + offset)).toBe(true);
    expect(await leftovers(store)).toEqual([]);
  });
});

describe("in one process", () => {
  it("different data types of one run, no run document yet: both succeed", async () => {
    const dir = new DataDirectory(join(work, "inproc-types"));
    const results = await Promise.allSettled([
      putArrow(dir, "7", "alpha", rows(50_000), { targetSizeMb: 0.1 }),
      putArrow(dir, "7", "beta", rows(50_000), { targetSizeMb: 0.1 }),
    ]);
    expect(results.map((r) => (r.status === "rejected" ? String(r.reason) : "ok"))).toEqual(["ok", "ok"]);
    expect(await rowCount(dir, "7", "alpha")).toBe(50_000);
    expect(await rowCount(dir, "7", "beta")).toBe(50_000);
    expect(JSON.parse(await readFile(dir.runDocPath("7"), "utf8")).name).toBe("7");
    expect(await leftovers(dir.path)).toEqual([]);
  });

  it("the same output: one wins, the other gets RUNS_BUSY", async () => {
    const dir = new DataDirectory(join(work, "inproc-same"));
    await putArrow(dir, "8", "seed", rows(10));
    const results = await Promise.allSettled([
      putArrow(dir, "8", "x", rows(50_000, 0), { targetSizeMb: 0.1 }),
      putArrow(dir, "8", "x", rows(50_000, 1e6), { targetSizeMb: 0.1 }),
    ]);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(failed).toHaveLength(1);
    expect(RunsError.isInstance(failed[0]!.reason)).toBe(true);
    expect(failed[0]!.reason).toMatchObject({ code: "RUNS_BUSY", runId: "8", dataType: "x" });
    expect((failed[0]!.reason as Error).message).toContain(dir.path);
    const v = (await loadTable(dir, "8", "x")).getChild("v")!.toArray() as Float64Array;
    const offset = results[0]!.status === "fulfilled" ? 0 : 1e6;
    expect(v.every((x, i) => x === i + offset)).toBe(true);
    expect(await leftovers(dir.path)).toEqual([]);
  });

  it("two write-superrun of one superrun: one stores it, the other gets RUNS_BUSY", async () => {
    const dir = new DataDirectory(await copyFolder(join(STRAX, "v2/main")));
    try {
      const results = await Promise.allSettled([
        writeSuperrun(dir, "_superrun_test", "records", { targetSizeMb: 0.01 }),
        writeSuperrun(dir, "_superrun_test", "records", { targetSizeMb: 0.01 }),
      ]);
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(failed.map((f) => (f.reason as RunsError).code)).toEqual(["RUNS_BUSY"]);
      expect(failed[0]!.reason).toMatchObject({ runId: "_superrun_test", dataType: "records" });
      expect(await rowCount(dir, "_superrun_test", "records")).toBe(300);
      expect(await leftovers(dir.path)).toEqual([]);
    } finally {
      await removeDir(dir.path);
    }
  });

  it("two definitions of one superrun: the first wins, the other gets a coded error", async () => {
    const dir = new DataDirectory(await copyFolder(join(STRAX, "v2/main")));
    try {
      const results = await Promise.allSettled([defineRun(dir, "_both", ["0", "1"]), defineRun(dir, "_both", ["1", "2"])]);
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(failed).toHaveLength(1);
      expect(["RUNS_BUSY", "RUNS_DATA_EXISTS"]).toContain((failed[0]!.reason as RunsError).code);
      const winner = results.findIndex((r) => r.status === "fulfilled");
      const doc = await dir.readRunDoc("_both");
      expect(doc.subRunSpec!.map((e) => e.runId)).toEqual(winner === 0 ? ["0", "1"] : ["1", "2"]);
      expect(await leftovers(dir.path)).toEqual([]);
    } finally {
      await removeDir(dir.path);
    }
  });

  it("a reader during a write sees nothing or the whole data type", async () => {
    const dir = new DataDirectory(join(work, "reader"));
    await putArrow(dir, "9", "seed", rows(10));
    const total = 40_000;
    // Several writes, a reader polling each: it must never see a partial type or a bogus error
    // (the folder may appear between the reader's lookups).
    for (const type of ["x", "y", "z", "w"]) {
      const seen = new Set<number>();
      let done = false;
      const reader = (async () => {
        while (!done) {
          try {
            seen.add(await rowCount(dir, "9", type));
          } catch (error) {
            if (!(RunsError.isInstance(error) && error.code === "RUNS_DATA_NOT_FOUND")) throw error;
            seen.add(0);
          }
          await new Promise((r) => setImmediate(r));
        }
      })();
      try {
        await putArrow(dir, "9", type, rows(total), { targetSizeMb: 0.05 });
      } finally {
        done = true;
        await reader;
      }
      seen.add(await rowCount(dir, "9", type));
      expect([...seen].every((n) => n === 0 || n === total)).toBe(true);
      expect(seen.has(total)).toBe(true);
      expect(sumBigInt(await loadTable(dir, "9", type), "time")).toBe(BigInt(((total - 1) * total) / 2) * 10n);
    }
  });
});
