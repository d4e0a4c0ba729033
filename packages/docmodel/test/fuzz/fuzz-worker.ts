/**
 * Worker of docmodel.fuzz.test.ts (bundled by `bundleScript`, run by `runIsolated`): one mutated msgpack file per
 * input, through the record reader, `loadRun`, the fast loader, the directory catalog (index, search, open) and
 * `stream().read()` / canonical replay of every stream. Every outcome must be ok or a coded DocModelError.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { serveInputs } from "../../../../test/support/fault-worker.js";
import { type BlueskyRun, DocModelError, decodeMsgpackRecords, loadMsgpackRunBytes, loadRunSync } from "../../src/index.js";
import { openMsgpackCatalog } from "../../src/node.js";

/** Exercise every reader of a run: streams read into columns (filled and not), canonical replay, documents. */
function exercise(run: BlueskyRun): void {
  for (const name of run.streams) {
    const s = run.stream(name);
    s.read({ fill: false });
    s.read({ fill: false, configuration: true, sub: "timestamps" });
    s.config();
  }
  for (const _ of run.canonicalUnfilled());
  for (const _ of run.documents());
}

let n = 0;

/** workerData: `{ dir }`, a temporary directory owned (and removed) by the test. */
serveInputs(async (data, _label, workerData) => {
  const { dir } = workerData as { dir: string };
  const bytes = data as Uint8Array;
  // Each path must end ok or with a coded error; any other throw propagates (an uncaught defect). The input's
  // outcome is the generic path's (its code is tallied).
  let first: unknown;
  const attempt = async (fn: () => unknown): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      if (!DocModelError.isInstance(e)) throw e;
      first ??= e;
    }
  };
  // Generic path: records → loadRunSync; then the fast loader.
  await attempt(() => exercise(loadRunSync(decodeMsgpackRecords(bytes, "input.msgpack"))));
  await attempt(() => exercise(loadMsgpackRunBytes(bytes, "input.msgpack")));
  // Directory catalog: index, search, open.
  const sub = join(dir, String(n++));
  mkdirSync(sub);
  writeFileSync(join(sub, "run.msgpack"), bytes);
  try {
    await attempt(async () => {
      const { catalog } = openMsgpackCatalog(sub);
      catalog.search({ plan_name: { $exists: true } });
      catalog.search({ time: { $gt: 0 } });
      for (const uid of catalog.uids()) exercise(await catalog.run(uid));
    });
  } finally {
    rmSync(sub, { recursive: true, force: true });
  }
  if (first !== undefined) throw first;
});
