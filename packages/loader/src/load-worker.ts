// Worker thread of the parallel loader: builds and loads one cycle per message.
import { parentPort } from "node:worker_threads";
import { catalogFromSnapshot, type CycleJob, type CycleSnapshot, runCycleJob } from "./cycle-job.js";
import { openLh5Cycle } from "./lh5-cycle.js";

interface Request {
  readonly id: number;
  readonly job: CycleJob;
  readonly snapshot: CycleSnapshot;
}

parentPort?.on("message", async (req: Request) => {
  try {
    const src = await openLh5Cycle(catalogFromSnapshot(req.snapshot), req.snapshot.fileIndex, req.job.tiers);
    try {
      parentPort?.postMessage({ id: req.id, result: runCycleJob(src, req.job) });
    } finally {
      src.close();
    }
  } catch (error) {
    const e = error as { name?: string; code?: string; message?: string; path?: string; level?: string; table?: unknown; row?: number; fileIndex?: number };
    parentPort?.postMessage({
      id: req.id,
      error: { name: e.name, code: e.code, message: e.message ?? String(error), path: e.path, level: e.level, table: e.table, row: e.row, fileIndex: e.fileIndex },
    });
  }
});
