// The viewer's Web Worker: runs the jobs registered in jobs/index.ts, one at a time in arrival order
// (jobs of one panel share its worker, and HDF5 is synchronous anyway).
import { serializeError } from "@daqkit/io";
import { jobs } from "./jobs/index.js";
import type { JobContext, JobReply, JobRequest } from "./protocol.js";

interface WorkerScope {
  onmessage: ((event: MessageEvent<JobRequest | { cancel: number }>) => void) | null;
  postMessage(message: JobReply, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;
let queue: Promise<void> = Promise.resolve();

const cancelled = new Set<number>();

scope.onmessage = (event: MessageEvent<JobRequest | { cancel: number }>) => {
  if ("cancel" in event.data) {
    cancelled.add(event.data.cancel);
    return;
  }
  const { id, job, args, env } = event.data;
  queue = queue.then(async () => {
    if (cancelled.delete(id)) return;
    const transfer: ArrayBufferLike[] = [];
    let lastProgress = 0;
    const ctx: JobContext = {
      env,
      progress(done, total, label) {
        const now = performance.now();
        if (now - lastProgress < 50 && done < total) return;
        lastProgress = now;
        scope.postMessage({ id, type: "progress", done, total, label } satisfies JobReply);
      },
      transfer: (...buffers) => transfer.push(...buffers),
    };
    try {
      const handler = jobs[job];
      if (!handler) throw Object.assign(new Error(`view: no job ${JSON.stringify(job)} in the worker`), { code: "VIEW_NO_JOB" });
      const result = await handler(args, ctx);
      scope.postMessage({ id, type: "ok", result } satisfies JobReply, transfer as ArrayBuffer[]);
    } catch (error) {
      scope.postMessage({ id, type: "error", error: serializeError(error) } satisfies JobReply);
    }
  });
};
