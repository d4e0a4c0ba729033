// Kill suite (issue 14): SIGKILL a writer at random points of a write or an append of a multi-MB
// file; afterwards the file reads exactly as before or as after, and a re-run succeeds (the dead
// writer's lock is taken over). Appends modify the file in place under an undo journal: kills at
// random HDF5 writes (just before or just after one) leave a journal that the next open or append
// rolls back to the old bytes.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { SLOW, bundleScript, killAt, prng, scaled } from "../../../test/support/fault.js";
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

/** Each kill starts a Node child (≈1–3 s on a loaded machine): the slow lane runs 10× as many. */
const TIMEOUT = SLOW ? 1_200_000 : 180_000;

const ROWS = 300_000; // 2 float64 columns: ≈ 4.8 MB per write

test(
  "kill -9 during appends to a multi-MB file: old or new contents, never torn; re-runs succeed",
  async () => {
    const file = join(dir, "append.lh5");
    const first = await killAt([child, "w", file, String(ROWS), "0"], 600_000);
    expect(first.stdout).toContain("done");
    let n = ROWS;
    const rnd = prng(14);
    let kills = 0;
    for (let i = 0; i < scaled(2); i++) {
      // In-place appends can finish within the random delay: the first run also dies (by itself) at a
      // random HDF5 write, so at least one append is killed whatever the machine's speed.
      const env = i === 0 ? { LH5_KILL_AT_WRITE: String(1 + Math.floor(rnd() * 4)), LH5_KILL_WHEN: "after" } : undefined;
      const r = await killAt([child, "append", file, String(ROWS), String(n)], Math.floor(rnd() * 400), { afterOutput: "started", env });
      if (r.killed || !r.stdout.includes("done")) kills++;
      const got = await rows(file);
      expect([n, n + ROWS]).toContain(got);
      n = got;
    }
    expect(kills).toBeGreaterThan(0);
    const again = await killAt([child, "append", file, String(ROWS), String(n)], 600_000);
    expect(again.stdout).toContain("done");
    expect(await rows(file)).toBe(n + ROWS);
  },
  TIMEOUT,
);

test(
  "kill -9 during a new-file write leaves no file or the complete one",
  async () => {
    const file = join(dir, "new.lh5");
    const r = await killAt([child, "w", file, String(ROWS), "0"], 150, { afterOutput: "started" });
    if (existsSync(file)) expect(await rows(file)).toBe(ROWS);
    else expect(r.killed).toBe(true);
    const again = await killAt([child, "w", file, String(ROWS), "0"], 600_000);
    expect(again.stdout).toContain("done");
    expect(await rows(file)).toBe(ROWS);
  },
  TIMEOUT,
);

/** Leftovers of writers and readers beside `file` (journal, lock, reader markers, temporaries). */
function sidecars(file: string): string[] {
  const name = file.split("/").pop() as string;
  return readdirSync(dir).filter((n) => n.startsWith(`.${name}.`));
}

test(
  "kill -9 at random HDF5 writes of an in-place append: the next open or append rolls back to the old bytes",
  async () => {
    const base = join(dir, "base.lh5");
    const file = join(dir, "inplace.lh5");
    const n = 50_000;
    const add = 20_000;
    expect((await killAt([child, "w", base, String(n), "0"], 600_000)).stdout).toContain("done");
    const old = readFileSync(base);
    // An uninterrupted append: how many writes HDF5 makes to the file (all under the journal).
    copyFileSync(base, file);
    const probe = await killAt([child, "append", file, String(add), String(n)], 600_000);
    const writes = Number(/done writes=(\d+)/.exec(probe.stdout)?.[1]);
    expect(writes).toBeGreaterThan(2);
    expect(await rows(file)).toBe(n + add);
    expect(sidecars(file)).toEqual([]);
    const rnd = prng(1405);
    for (let i = 0; i < scaled(6); i++) {
      // The first and last writes always, then random ones.
      const at = i === 0 ? 1 : i === 1 ? writes : 1 + Math.floor(rnd() * writes);
      const when = rnd() < 0.5 ? "before" : "after";
      copyFileSync(base, file);
      const r = await killAt([child, "append", file, String(add), String(n)], 600_000, {
        env: { LH5_KILL_AT_WRITE: String(at), LH5_KILL_WHEN: when },
      });
      expect(r.killed || r.code !== 0, `write ${at} ${when}: ${r.stdout}`).toBe(true);
      expect(r.stdout).not.toContain("done");
      // Killed inside the session: the journal (and the dead writer's lock) are left behind.
      expect(sidecars(file)).toContain(".inplace.lh5.daqkit-journal");
      if (i % 2 === 0) {
        // The next reader rolls back: byte for byte the old file.
        expect(await rows(file), `write ${at} ${when}`).toBe(n);
        expect(Buffer.compare(readFileSync(file), old), `write ${at} ${when}: bytes differ from the old file`).toBe(0);
      } else {
        // The next append rolls back, then appends: the uninterrupted result.
        const again = await killAt([child, "append", file, String(add), String(n)], 600_000);
        expect(again.stdout).toContain("done");
        expect(await rows(file), `write ${at} ${when}`).toBe(n + add);
      }
      expect(sidecars(file).filter((s) => !s.endsWith(".lock"))).toEqual([]);
    }
  },
  TIMEOUT,
);
