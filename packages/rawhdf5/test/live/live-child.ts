/**
 * Child process of the live writer/reader test (bundled with esbuild by live.test.ts).
 *   writer PATH BATCHES BATCH_SIZE PAUSE_MS [per-batch]
 *   reader PATH TOTAL DEADLINE_MS MODE      (MODE: whole | incremental | follow)
 * Message i is a pure function of i, so readers verify every byte without coordination.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { followRawfile, fromRawfile, lenRawfile, openRawfileWriter, RawHdf5Error, toRawfile } from "../../src/node.js";
import { messageFor } from "./message-for.js";

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

async function writer(path: string, batches: number, batchSize: number, pauseMs: number, perBatch: boolean): Promise<void> {
  // perBatch: open, append, close per batch (upstream's to_rawfile pattern; readers then race
  // with a writer whose open/close they cannot see in the superblock flags beforehand).
  const w = perBatch ? null : await openRawfileWriter(path, { ioVersion: "0.0" });
  try {
    for (let b = 0; b < batches; b++) {
      const msgs: Uint8Array[] = [];
      const io: number[] = [];
      for (let k = 0; k < batchSize; k++) {
        const i = b * batchSize + k;
        msgs.push(messageFor(i));
        io.push((i % 2) + 1);
      }
      if (w) w.append(msgs, { io_groups: io });
      else await toRawfile(path, { msgs, msgHeaders: { io_groups: io }, ioVersion: "0.0" });
      await sleep(pauseMs);
    }
  } finally {
    w?.close();
  }
  process.stdout.write(`${JSON.stringify({ written: batches * batchSize })}\n`);
}

async function reader(path: string, total: number, deadlineMs: number, mode: string): Promise<void> {
  const stats = { errors: [] as string[], reads: 0, checked: 0, mismatches: 0, transient: 0, lastLength: 0, lengths: [] as number[] };
  const check = (start: number, msgs: Uint8Array[], io: Uint8Array): void => {
    for (let k = 0; k < msgs.length; k++) {
      const i = start + k;
      stats.checked++;
      if (!same(msgs[k]!, messageFor(i)) || io[k] !== (i % 2) + 1) stats.mismatches++;
    }
  };
  // Load and instantiate h5wasm before the writer starts (slow on a busy 2-core machine).
  await lenRawfile(process.env.LIVE_WARMUP_FILE!);
  process.stdout.write("ready\n");
  const deadline = Date.now() + deadlineMs;
  if (mode === "follow") {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), deadlineMs);
    for await (const batch of followRawfile(path, { pollMs: 10, signal: controller.signal, waitForFile: true })) {
      stats.reads++;
      check(batch.start, batch.msgs, batch.ioGroups);
      stats.lastLength = batch.start + batch.msgs.length;
      if (stats.lastLength >= total) break;
    }
    clearTimeout(timer);
  } else {
    let position = 0;
    while (Date.now() < deadline && stats.lastLength < total) {
      try {
        if (mode === "whole") {
          const data = await fromRawfile(path, { attempts: 3 });
          check(0, data.msgs!, data.msgHeaders.io_groups);
          stats.lastLength = data.length;
        } else {
          const n = await lenRawfile(path, { attempts: 3 });
          const data = await fromRawfile(path, { start: position, end: n, attempts: 3 });
          check(position, data.msgs!, data.msgHeaders.io_groups);
          position += data.msgs!.length;
          stats.lastLength = position;
        }
        stats.reads++;
        stats.lengths.push(stats.lastLength);
      } catch (error) {
        if (!RawHdf5Error.isInstance(error) || !["RAWHDF5_NOT_FOUND", "RAWHDF5_UNSYNCHRONIZED", "RAWHDF5_UNREADABLE"].includes(error.code))
          throw error;
        stats.transient++;
        if (error.code !== "RAWHDF5_NOT_FOUND" && stats.errors.length < 5)
          stats.errors.push(`${Date.now() % 100000} ${error.message.slice(0, 300)}`);
      }
      await sleep(5);
    }
  }
  process.stdout.write(`${JSON.stringify(stats)}\n`);
}

/** Read a damaged file: the coded error must be the only outcome, nothing on fd 2. */
async function quiet(path: string): Promise<void> {
  const codes: string[] = [];
  for (const call of [() => fromRawfile(path, { reattempts: 3 }), () => fromRawfile(path, { start: 5, reattempts: 2 })]) {
    try {
      await call();
      codes.push("none");
    } catch (error) {
      codes.push(RawHdf5Error.isInstance(error) ? error.code : String(error));
    }
  }
  process.stdout.write(`${JSON.stringify({ codes })}\n`);
}

const [role, path, a, b, c, d] = process.argv.slice(2);
if (role === "quiet") await quiet(path!);
else if (role === "writer") await writer(path!, Number(a), Number(b), Number(c), d === "per-batch");
else if (role === "reader") await reader(path!, Number(a), Number(b), String(c));
else throw new Error(`unknown role ${role} ${d ?? ""}`);
