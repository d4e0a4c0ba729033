// Kill suite (issue 14): SIGKILL a writer at random points of a write or an append of a multi-MB
// file; afterwards the file reads exactly as before or as after, and a re-run succeeds (the dead
// writer's lock is taken over).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { bundleScript, killAt, prng, scaled } from "../../../test/support/fault.js";
import { openLh5 } from "../src/node.js";

const dir = mkdtempSync(join(tmpdir(), "daqkit-lh5-kill-"));
let child: string;
beforeAll(async () => {
  child = await bundleScript(join(import.meta.dirname, "write-child.ts"), join(dir, "write-child.mjs"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rows(file: string): Promise<number> {
  const f = await openLh5(file);
  try {
    const t = f.readTable("t");
    const id = t.columns.get("id");
    if (id?.type !== "Array") throw new Error("no id column");
    // Contents, not only the count: ids are 0..n-1 in order.
    for (let i = 0; i < id.data.length; i += 9973) expect(id.data[i]).toBe(i);
    return t.nRows;
  } finally {
    f.close();
  }
}

const ROWS = 300_000; // 2 float64 columns: ≈ 4.8 MB per write

test("kill -9 during appends to a multi-MB file: old or new contents, never torn; re-runs succeed", async () => {
  const file = join(dir, "append.lh5");
  const first = await killAt([child, "w", file, String(ROWS), "0"], 600_000);
  expect(first.stdout).toContain("done");
  let n = ROWS;
  const rnd = prng(14);
  let kills = 0;
  for (let i = 0; i < scaled(2); i++) {
    const r = await killAt([child, "append", file, String(ROWS), String(n)], Math.floor(rnd() * 400), { afterOutput: "started" });
    if (r.killed) kills++;
    const got = await rows(file);
    expect([n, n + ROWS]).toContain(got);
    n = got;
  }
  expect(kills).toBeGreaterThan(0);
  const again = await killAt([child, "append", file, String(ROWS), String(n)], 600_000);
  expect(again.stdout).toContain("done");
  expect(await rows(file)).toBe(n + ROWS);
});

test("kill -9 during a new-file write leaves no file or the complete one", async () => {
  const file = join(dir, "new.lh5");
  const r = await killAt([child, "w", file, String(ROWS), "0"], 150, { afterOutput: "started" });
  if (existsSync(file)) expect(await rows(file)).toBe(ROWS);
  else expect(r.killed).toBe(true);
  const again = await killAt([child, "w", file, String(ROWS), "0"], 600_000);
  expect(again.stdout).toContain("done");
  expect(await rows(file)).toBe(ROWS);
});
