import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { bundleScript, killAt, lane, mutateOnce, mutations, newTally, runIsolated, SLOW, SLOW_FACTOR, scaled } from "./support/fault.js";

const dir = mkdtempSync(join(tmpdir(), "daqkit-fault-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("mutations are deterministic per seed and differ from the input", () => {
  const input = Uint8Array.from({ length: 4096 }, (_, i) => i & 0xff);
  const a = [...mutations(input, { count: 50, seed: 7 })];
  const b = [...mutations(input, { count: 50, seed: 7 })];
  expect(a.map((m) => m.label)).toEqual(b.map((m) => m.label));
  expect(a.every((m, i) => Buffer.from(m.bytes).equals(Buffer.from(b[i]!.bytes)))).toBe(true);
  expect(a.filter((m) => Buffer.from(m.bytes).equals(Buffer.from(input))).length).toBeLessThan(5);
  const t = mutateOnce(input, 1, { kinds: ["truncate"], boundaries: [100] });
  expect(t.bytes.length).toBeLessThan(input.length);
});

test("scaled: n in the quick lane, n × the suite's factor (capped by DAQKIT_SLOW_FACTOR, never below n) in the slow lane", () => {
  expect(scaled(3)).toBe(SLOW ? 3 * SLOW_FACTOR : 3);
  expect(scaled(2, { slowFactor: 3 })).toBe(SLOW ? 2 * Math.min(3, SLOW_FACTOR) : 2);
  expect(scaled(1, { slowFactor: 0.5 })).toBe(1);
  expect(lane("quick", "slow")).toBe(SLOW ? "slow" : "quick");
});

test("runIsolated reports a spinning input as a hang and goes on with a fresh worker", async () => {
  const script = await bundleScript(join(import.meta.dirname, "support/spin-worker.ts"), join(dir, "spin.mjs"));
  const tally = newTally("support-self-test");
  const inputs = ["ok", "spin", "coded", "throw", "ok"].map((d, i) => ({ label: `${d}#${i}`, data: d }));
  await runIsolated(script, inputs, tally, { deadlineMs: 1500 });
  expect(tally.inputs).toBe(5);
  expect(tally.ok).toBe(2);
  expect(tally.coded).toEqual({ X_BAD: 1 });
  expect(tally.defects.map((d) => [d.label, d.outcome.kind])).toEqual([
    ["spin#1", "hang"],
    ["throw#3", "uncaught"],
  ]);
});

test("killAt kills a running child and reports it", async () => {
  const r = await killAt(["-e", "console.log('started'); setInterval(() => {}, 1000)"], 50, { afterOutput: "started" });
  expect(r.killed).toBe(true);
  const done = await killAt(["-e", "process.exit(0)"], 10_000);
  expect(done).toMatchObject({ killed: false, code: 0 });
});
