// Concurrency suite (issue 14): concurrent appenders never lose acknowledged rows; a reader during a
// write sees the file as before or after it.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { bundleScript } from "../../../test/support/fault.js";
import { createArray, createTable, openLh5, writeLh5 } from "../src/node.js";

const dir = mkdtempSync(join(tmpdir(), "daqkit-lh5-conc-"));
let child: string;
beforeAll(async () => {
  child = await bundleScript(join(import.meta.dirname, "write-child.ts"), join(dir, "write-child.mjs"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("error", reject);
    p.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${out}`))));
  });
}

async function ids(file: string): Promise<Float64Array> {
  const f = await openLh5(file);
  try {
    const t = f.readTable("t", { columns: ["id"] });
    const col = t.columns.get("id");
    return col?.type === "Array" ? Float64Array.from(col.data as Float64Array) : new Float64Array();
  } finally {
    f.close();
  }
}

test("two concurrent appenders: every acknowledged append is in the file, the other gets LH5_BUSY naming the holder", async () => {
  const file = join(dir, "two.lh5");
  await writeLh5(file, "t", createTable({ id: createArray(new Float64Array([0])), twice: createArray(new Float64Array([0])) }), {
    mode: "w",
    compression: "none",
  });
  const [a, b] = await Promise.all([run(["append", file, "150000", "1"]), run(["append", file, "200000", "150001"])]);
  const done = [a, b].map((o) => o.includes("done"));
  for (const o of [a, b]) expect(o).toMatch(/done|error LH5_BUSY \d+/);
  expect(done.some(Boolean)).toBe(true);
  const expected = 1 + (done[0] ? 150000 : 0) + (done[1] ? 200000 : 0);
  const got = await ids(file);
  expect(got.length).toBe(expected);
  // Nothing torn or duplicated: each acknowledged block of ids is present once.
  expect(new Set(got).size).toBe(expected);
});

test("a reader during an append sees the table as before or after it", async () => {
  const file = join(dir, "read.lh5");
  const before = 100_000;
  const added = 100_000;
  const seed = new Float64Array(before).map((_, i) => i);
  await writeLh5(file, "t", createTable({ id: createArray(seed), twice: createArray(seed.map((v) => 2 * v)) }), {
    mode: "w",
    compression: "none",
  });
  const writer = run(["append", file, String(added), String(before)]);
  let finished = false;
  void writer.finally(() => (finished = true));
  let reads = 0;
  while (!finished || reads < 3) {
    const got = await ids(file);
    expect([before, before + added]).toContain(got.length);
    expect(got[got.length - 1]).toBe(got.length - 1);
    reads++;
    // The reads are synchronous after open: give the event loop a turn to see the child exit.
    await new Promise((r) => setTimeout(r, 5));
  }
  expect(await writer).toContain("done");
  expect((await ids(file)).length).toBe(before + added);
});
