/**
 * Concurrency suite (issue 14): a live follower (followRawfile) in this process while a writer
 * process appends with per-batch `toRawfile` (open, append, close): every yielded message equals
 * what was written, in order, with nothing skipped.
 */
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { bundleScript, killAt } from "../../../test/support/fault.js";
import { followRawfile } from "../src/node.js";
import { messageFor } from "./live/message-for.js";
import { hex, tempDir } from "./helpers.js";

let dir: string;
let cleanup: () => void;
let child: string;
beforeAll(async () => {
  ({ dir, cleanup } = tempDir());
  child = await bundleScript(join(import.meta.dirname, "fuzz/kill-child.ts"), join(dir, "kill-child.mjs"));
});
afterAll(() => cleanup());

test("a follower during appends never yields a message that differs from what was written", async () => {
  const path = join(dir, "followed.h5");
  const total = 2000;
  const writer = killAt([child, "append", path, "0", String(total), "100"], 120_000);
  const controller = new AbortController();
  let next = 0;
  let batches = 0;
  const wrong: number[] = [];
  for await (const batch of followRawfile(path, { pollMs: 5, waitForFile: true, signal: controller.signal, idleTimeoutMs: 30_000 })) {
    expect(batch.start).toBe(next);
    batch.msgs.forEach((m, k) => {
      const i = batch.start + k;
      if (hex(m) !== hex(messageFor(i)) || batch.ioGroups[k] !== i % 7) wrong.push(i);
    });
    next += batch.msgs.length;
    batches++;
    if (next >= total) break;
  }
  expect(await writer).toMatchObject({ killed: false, code: 0 });
  expect(wrong).toEqual([]);
  expect(next).toBe(total);
  expect(batches).toBeGreaterThanOrEqual(1);
}, 120_000);
