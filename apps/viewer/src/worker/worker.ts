// The viewer's Web Worker: runs the jobs of jobs/index.ts (each format's module loaded on first use), one at a time in arrival order
// (jobs of one panel share its worker, and HDF5 is synchronous anyway).
import { serializeError } from "@daqkit/io";
import { jobHandler } from "./jobs/index.js";
import type { JobContext, JobReply, JobRequest } from "./protocol.js";

interface WorkerScope {
  onmessage: ((event: MessageEvent<JobRequest | { cancel: number } | { preload: string }>) => void) | null;
  postMessage(message: JobReply, transfer?: Transferable[]): void;
}
const scope = self as unknown as WorkerScope;
let queue: Promise<void> = Promise.resolve();

/**
 * At most one progress report per this many ms from the job's start (and always the last): each report repaints the page, and
 * a frame is not free (issue 16: in software-rendered Chromium, frames at 20 Hz cost a second of CPU
 * during a 200 MB decode, taken from the decoding on a 2-core machine; a 1400×1000 page repainting its
 * progress bar every 200 ms costs 0.08–0.12 s of GPU-process CPU per second, every 500 ms 0.04 s).
 */
export const PROGRESS_INTERVAL_MS = 500;

const cancelled = new Set<number>();

scope.onmessage = (event: MessageEvent<JobRequest | { cancel: number } | { preload: string }>) => {
  if ("preload" in event.data) {
    // a format's jobs about to be asked for: load their module now (a failure shows when a job asks),
    // and run its `<format>.preload` job if it has one (e.g. gen2 starts its fetch helper)
    const format = event.data.preload;
    queue = queue.then(async () => {
      try {
        await (await jobHandler(`${format}.preload`))?.(undefined, {
          env: { pluginBaseUrl: "" },
          progress: () => undefined,
          transfer: () => undefined,
        });
      } catch {
        // seen again by the job that needs it
      }
    });
    return;
  }
  if ("cancel" in event.data) {
    cancelled.add(event.data.cancel);
    return;
  }
  const { id, job, args, env } = event.data;
  queue = queue.then(async () => {
    if (cancelled.delete(id)) return;
    const transfer: ArrayBufferLike[] = [];
    // (the first report too comes an interval into the job, not at once: a job that ends within the interval
    // shows only its last report, and a page showing a job that just began is not drawn again at once)
    let lastProgress = performance.now();
    const ctx: JobContext = {
      env,
      progress(done, total, label) {
        const now = performance.now();
        if (now - lastProgress < PROGRESS_INTERVAL_MS && done < total) return;
        lastProgress = now;
        scope.postMessage({ id, type: "progress", done, total, label } satisfies JobReply);
      },
      transfer: (...buffers) => transfer.push(...buffers),
    };
    try {
      const handler = await jobHandler(job);
      if (!handler) throw Object.assign(new Error(`view: no job ${JSON.stringify(job)} in the worker`), { code: "VIEW_NO_JOB" });
      const result = await handler(args, ctx);
      scope.postMessage({ id, type: "ok", result } satisfies JobReply, transfer as ArrayBuffer[]);
    } catch (error) {
      scope.postMessage({ id, type: "error", error: serializeError(error) } satisfies JobReply);
    }
  });
};
