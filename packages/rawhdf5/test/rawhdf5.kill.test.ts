/**
 * Kill suite (issue 14): kill -9 at random points of `toRawfile` appends and of the packet file
 * writer. Afterwards no file under a final name is torn: an appended file reads as a prefix of
 * whole messages (or a read says a writer crashed), and re-running the append — which recognises
 * the killed daqkit writer by its write lock and repairs the file itself, keeping every complete
 * message — gives the uninterrupted result. A packet file exists only complete.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { bundleScript, finish, killAt, lane, newTally, prng, record, scaled, BASE_SEED } from "../../../test/support/fault.js";
import { lockPathFor } from "@daqkit/io/node";
import { fromRawfile, RawHdf5Error, readRawfilePackets, toRawfile } from "../src/node.js";
import { loadH5 } from "../src/h5/node-runtime.js";
import { readSuperblock } from "../src/h5/superblock-node.js";
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

const TOTAL = 3000;
const BATCH = 500;

function expectMessages(msgs: Uint8Array[], io: Uint8Array, from = 0): void {
  for (let k = 0; k < msgs.length; k++) {
    if (hex(msgs[k]!) !== hex(messageFor(from + k)) || io[k] !== (from + k) % 7)
      throw new Error(`message ${from + k} differs from what was written`);
  }
}

test(
  "kill -9 during appends: what the file holds is a prefix of whole messages, and the resumed append completes it without a manual repair",
  async () => {
    const tally = newTally("rawhdf5-kill-append");
    const rnd = prng(BASE_SEED);
    const kills = scaled(2);
    for (let k = 0; k < kills; k++) {
      const path = join(dir, `append-${k}.h5`);
      await toRawfile(path, { msgs: [messageFor(0)], msgHeaders: { io_groups: [0] } });
      const r = await killAt([child, "append", path, "1", String(TOTAL), String(BATCH)], Math.floor(rnd() * 400), {
        afterOutput: "started",
      });
      const done = Math.max(1, ...[...r.stdout.matchAll(/done (\d+)/g)].map((m) => Number(m[1])));
      const flags = readSuperblock(path)?.flags ?? 0;
      // Before anything else writes: a default read either succeeds with whole messages, or says
      // a writer crashed (and names the repair) — never a silently shorter or garbled result.
      let before = "";
      try {
        const data = await fromRawfile(path);
        expect(data.length).toBeGreaterThanOrEqual(done);
        expectMessages(data.msgs!, data.msgHeaders.io_groups);
        before = `read ${data.length}`;
      } catch (error) {
        if (!RawHdf5Error.isInstance(error) || !["RAWHDF5_UNSYNCHRONIZED", "RAWHDF5_NEEDS_REPAIR"].includes(error.code)) throw error;
        before = error.code;
      }
      // The resumed writer (a new process) starts on the file as the kill left it: when the killed
      // writer left the superblock flags set, toRawfile sees its dead pid in the write lock and
      // repairs the file itself. No repairRawfile here.
      const resumed = await killAt([child, "resume", path, "-", String(TOTAL), String(BATCH)], 120_000);
      if (resumed.code !== 0) console.error(`resumed (kill ${k}, flags 0x${flags.toString(16)}, ${before}):`, resumed);
      expect(resumed).toMatchObject({ killed: false, code: 0 });
      const from = Number(/from (\d+)/.exec(resumed.stdout)?.[1]);
      // Every append that returned before the kill is kept.
      expect(from).toBeGreaterThanOrEqual(done);
      const full = await fromRawfile(path);
      expect(full.length).toBe(TOTAL);
      expectMessages(full.msgs!, full.msgHeaders.io_groups);
      expect(readSuperblock(path)!.flags).toBe(0);
      expect(existsSync(lockPathFor(path))).toBe(false);
      record(
        tally,
        `kill ${k} after ${done} (${r.killed ? "killed" : "finished"}), flags 0x${flags.toString(16)}, ${before}; resumed from ${from}`,
        { kind: "ok" },
      );
    }
    expect(finish(tally)).toEqual([]);
    // Every kill is two child processes, each bounded by killAt's own timeout: the suite's budget
    // grows with the number of kills (a loaded machine takes ~15 s per kill).
  },
  lane(300_000, 60_000 * scaled(2)),
);

test("kill -9 during the packet file writer: the output exists only complete; re-running gives the full file", async () => {
  const raw = join(dir, "packets-src.h5");
  const msgs = Array.from({ length: 400 }, (_, i) => {
    const m = new Uint8Array(8 + 16 * 3);
    m[0] = 0x44;
    m[6] = 3;
    for (let w = 0; w < 3; w++) m[8 + 16 * w] = 0x44;
    m[9] = i & 0xff;
    return m;
  });
  await toRawfile(raw, { msgs });
  const expected = (await readRawfilePackets(raw, { lenient: true })).length;
  const rnd = prng(BASE_SEED + 1);
  const rt = await loadH5();
  for (let k = 0; k < scaled(1); k++) {
    const out = join(dir, `packets-${k}.h5`);
    await killAt([child, "packets", raw, out], Math.floor(rnd() * 200), { afterOutput: "started" });
    for (let again = 0; again < 2; again++) {
      if (existsSync(out)) {
        const f = new rt.h5.File(out, "r");
        try {
          expect((f.get("packets") as unknown as { shape: number[] }).shape[0]).toBe(expected);
        } finally {
          f.close();
        }
      }
      if (again === 0) expect(await killAt([child, "packets", raw, out], 120_000)).toMatchObject({ killed: false, code: 0 });
    }
    expect(existsSync(out)).toBe(true);
    // The re-run removed the killed writer's temporary (io's scheme: `.NAME.daqkit-PID-HOST-RANDOM.tmp`).
    expect(readdirSync(dir).filter((n) => n.startsWith(`.packets-${k}.h5.`))).toEqual([]);
  }
}, 300_000);
