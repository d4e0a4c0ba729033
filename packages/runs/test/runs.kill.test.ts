/**
 * kill -9 at random points of `runs put` and `write-superrun` (issue 14): afterwards no final folder
 * is torn or differs from the uninterrupted result, no stale temporary folder is trusted by a reader,
 * and re-running gives the uninterrupted result (and removes the dead writer's scratch folder).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cp, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { tableFromArrays, tableFromIPC, tableToIPC } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASE_SEED, bundleScript, finish, killAt, newTally, prng, record, scaled } from "../../../test/support/fault.js";
import { type Chunk, DataDirectory, iterateChunks, putArrow, RunsError, writeSuperrun } from "../src/node.js";
import { copyFolder, removeDir, STRAX, tempDir } from "./helpers.js";

let work: string;
let child: string;
let arrowFile: string;
const KILLS = scaled(2);
/** kills = SIGKILL landed; midWrite = a scratch folder was left (killed inside the write); finished = exited first. */
const figures = { put: { kills: 0, midWrite: 0, finished: 0 }, superrun: { kills: 0, midWrite: 0, finished: 0 } };
/** One input per kill, `ok` once every check after it passed (a failed check fails the test instead). */
const tally = newTally("runs-kill");

beforeAll(async () => {
  work = await tempDir();
  child = await bundleScript(join(import.meta.dirname, "children/runs-child.ts"), join(work, "runs-child.mjs"), []);
  const n = 20_000;
  const time = new BigInt64Array(n);
  const endtime = new BigInt64Array(n);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    time[i] = BigInt(1_000 + i * 10);
    endtime[i] = BigInt(1_000 + i * 10 + 5);
    v[i] = i;
  }
  arrowFile = join(work, "rows.arrow");
  await writeFile(arrowFile, tableToIPC(tableFromArrays({ time, endtime, v }), "file"));
});
afterAll(async () => {
  (tally as unknown as { figures: typeof figures }).figures = figures;
  expect(finish(tally)).toEqual([]);
  await removeDir(work);
});

/** Everything a reader gets: chunk boundaries, row counts, bytes. */
async function snapshot(dir: DataDirectory, run: string, type: string): Promise<string> {
  const parts: string[] = [];
  const bytes: Uint8Array[] = [];
  for await (const c of iterateChunks(dir, run, type) as AsyncIterable<Chunk>) {
    parts.push(`${c.start}-${c.end}:${c.n}`);
    bytes.push(c.data);
  }
  return `${parts.join(",")}#${Buffer.concat(bytes).toString("base64")}`;
}

/** Reader view after a kill: nothing, or exactly the reference. */
async function readerView(dir: DataDirectory, run: string, type: string): Promise<string | undefined> {
  try {
    return await snapshot(dir, run, type);
  } catch (error) {
    if (RunsError.isInstance(error) && error.code === "RUNS_DATA_NOT_FOUND") return undefined;
    throw error;
  }
}

async function scratch(path: string): Promise<string[]> {
  return (await readdir(path)).filter((n) => /_(temp|old)(-|$)/.test(n));
}

describe("kill -9 during writes", () => {
  it("runs put", async () => {
    const refDir = new DataDirectory(join(work, "put-ref"));
    await putArrow(refDir, "4", "hits", tableFromIPC(await readFile(arrowFile)), { targetSizeMb: 0.01 });
    const reference = await snapshot(refDir, "4", "hits");
    const refDoc = await readFile(refDir.runDocPath("4"), "utf8");
    const rnd = prng(BASE_SEED + 14);
    for (let k = 0; k < KILLS; k++) {
      const store = join(work, `put-${k}`);
      const delay = Math.floor(rnd() * 600);
      const r = await killAt([child, "put", store, "4", "hits", arrowFile, "0.01"], delay, { afterOutput: "started" });
      if (r.killed) figures.put.kills++;
      else {
        figures.put.finished++;
        expect(r.code, r.stderr).toBe(0);
      }
      if ((await scratch(store).catch(() => [])).length > 0) figures.put.midWrite++;
      const dir = new DataDirectory(store);
      const seen = await readerView(dir, "4", "hits").catch((e) => Promise.reject(new Error(`kill ${k} after ${delay} ms: ${e}`)));
      if (seen !== undefined) expect(seen, `kill ${k} after ${delay} ms`).toBe(reference);
      // Re-run (in this process: the killed writer's pid is dead, so its scratch is stale).
      try {
        await putArrow(dir, "4", "hits", tableFromIPC(await readFile(arrowFile)), { targetSizeMb: 0.01 });
      } catch (error) {
        // Already complete before the kill: the policy keeps it.
        expect(error).toMatchObject({ code: "RUNS_DATA_EXISTS" });
      }
      expect(await snapshot(dir, "4", "hits")).toBe(reference);
      expect(await readFile(dir.runDocPath("4"), "utf8")).toBe(refDoc);
      expect(await scratch(store)).toEqual([]);
      record(tally, `put kill ${k} after ${delay} ms (${r.killed ? "killed" : "finished"})`, { kind: "ok" });
    }
  });

  it("runs write-superrun", async () => {
    const refDir = new DataDirectory(await copyFolder(join(STRAX, "v2/main")));
    await writeSuperrun(refDir, "_superrun_test", "records", { targetSizeMb: 0.005 });
    const reference = await snapshot(refDir, "_superrun_test", "records");
    await removeDir(refDir.path);
    const rnd = prng(BASE_SEED + 41);
    for (let k = 0; k < KILLS; k++) {
      const store = join(work, `sr-${k}`);
      await cp(join(STRAX, "v2/main"), store, { recursive: true });
      const dir = new DataDirectory(store);
      const delay = Math.floor(rnd() * 200);
      const r = await killAt([child, "write-superrun", store, "_superrun_test", "records", "0.005"], delay, { afterOutput: "started" });
      if (r.killed) figures.superrun.kills++;
      else {
        figures.superrun.finished++;
        expect(r.code, r.stderr).toBe(0);
      }
      if ((await scratch(store)).length > 0) figures.superrun.midWrite++;
      const seen = await readerView(new DataDirectory(store, { readonly: true }), "_superrun_test", "records").catch(() => undefined);
      // Not stored → the reader assembles it from the subruns: same rows either way.
      if (seen !== undefined && (await dir.isStored("_superrun_test", "records")))
        expect(seen, `kill ${k} after ${delay} ms`).toBe(reference);
      try {
        await writeSuperrun(dir, "_superrun_test", "records", { targetSizeMb: 0.005 });
      } catch (error) {
        expect(error).toMatchObject({ code: "RUNS_DATA_EXISTS" });
      }
      expect(await dir.isStored("_superrun_test", "records")).toBe(true);
      expect(await snapshot(dir, "_superrun_test", "records")).toBe(reference);
      expect(await scratch(store)).toEqual([]);
      record(tally, `write-superrun kill ${k} after ${delay} ms (${r.killed ? "killed" : "finished"})`, { kind: "ok" });
    }
  });
});

/** pid of a process that has exited (not alive any more). */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    p.on("error", reject);
    p.on("close", () => resolve(p.pid!));
  });
}

describe("leftovers", () => {
  it("the next write removes scratch folders of dead writers only", async () => {
    const dir = new DataDirectory(await copyFolder(join(STRAX, "v2/empty")));
    const folder = "4-hits-uzehvuddcb"; // default put lineage of "hits"
    const host = createHash("sha1").update(hostname()).digest("hex").slice(0, 8);
    const sleeper = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      const dead = `${folder}_temp-${await deadPid()}-${host}-0badf00d`;
      const live = `${folder}_temp-${sleeper.pid}-${host}-0c0ffee0`;
      const otherHost = `${folder}_temp-${await deadPid()}-ffffffff-12345678`;
      const strax = `${folder}_temp`; // strax's own (maybe live) writer: never ours to remove
      for (const name of [dead, live, otherHost, strax]) {
        await mkdir(join(dir.path, name));
        await writeFile(join(dir.path, name, "hits-uzehvuddcb-000000"), "partial");
      }
      const meta = await putArrow(dir, "4", "hits", tableFromArrays({ time: BigInt64Array.of(1n, 2n), endtime: BigInt64Array.of(2n, 3n) }));
      expect(`4-hits-${meta.lineageHash}`).toBe(folder);
      const names = await readdir(dir.path);
      expect(names).not.toContain(dead);
      expect(names).toEqual(expect.arrayContaining([live, otherHost, strax, folder]));
      // Readers never take a scratch folder for data.
      expect((await dir.listDataFolders()).map((f) => f.folder)).not.toEqual(expect.arrayContaining([live, otherHost, strax]));
      expect((await snapshot(dir, "4", "hits")).startsWith("1-3:2#")).toBe(true);
    } finally {
      sleeper.kill("SIGKILL");
      await removeDir(dir.path);
    }
  });
});
