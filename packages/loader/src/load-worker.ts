// Worker thread of the parallel loader: builds and loads one cycle per message.
import { parentPort } from "node:worker_threads";
import { catalogFromSnapshot, type CycleJob, type CycleSnapshot, runCycleJob } from "./cycle-job.js";
import { openLh5Cycle } from "./lh5-cycle.js";

/** ArrayBuffers owned exclusively by one typed array of `value` (walks Maps, arrays, objects). */
function transferables(value: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const seen = new Set<unknown>();
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== "object" || seen.has(v)) return;
    seen.add(v);
    if (ArrayBuffer.isView(v)) {
      const b = v.buffer;
      if (b instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === b.byteLength) out.add(b);
      return;
    }
    if (v instanceof Map) for (const x of v.values()) walk(x);
    else if (Array.isArray(v)) for (const x of v) walk(x);
    else for (const x of Object.values(v)) walk(x);
  };
  walk(value);
  return [...out];
}

interface Request {
  readonly id: number;
  readonly job: CycleJob;
  readonly snapshot: CycleSnapshot;
}

parentPort?.on("message", async (req: Request) => {
  try {
    const src = await openLh5Cycle(catalogFromSnapshot(req.snapshot), req.snapshot.fileIndex, req.job.tiers);
    let result: ReturnType<typeof runCycleJob>;
    try {
      result = runCycleJob(src, req.job);
    } finally {
      src.close();
    }
    const message = { id: req.id, result };
    try {
      // Move the typed arrays instead of copying them (they are ours: fresh reads and builds).
      parentPort?.postMessage(message, transferables(result));
    } catch {
      parentPort?.postMessage(message);
    }
  } catch (error) {
    const e = error as { name?: string; code?: string; category?: string; message?: string; stack?: string; path?: string; level?: string; table?: unknown; row?: number; fileIndex?: number };
    const daqkit = (error as Record<symbol, unknown> | null)?.[Symbol.for("daqkit.error")] === true;
    parentPort?.postMessage({
      id: req.id,
      error: { name: e.name, code: e.code, category: e.category, daqkit, stack: e.stack, message: e.message ?? String(error), path: e.path, level: e.level, table: e.table, row: e.row, fileIndex: e.fileIndex },
    });
  }
});
