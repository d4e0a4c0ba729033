/**
 * Worker-thread entry of the split decode of one large file (built to `dist/decode-worker.js`):
 * answers each {@link SplitJob} of the `@daqkit/io` worker pool (see `split-jobs.ts`).
 */
import { serveNodeJobs } from "@daqkit/io/node";
import { reportSharedMemory, runSplitJob, type SplitJob, sharedBytesOf } from "./split-jobs.js";

void serveNodeJobs(async (job: SplitJob) => {
  try {
    return await runSplitJob(job);
  } finally {
    // Once the job and its message are garbage, let V8 see the shared memory they held (an idle worker
    // would otherwise keep the caller's result alive; see reportSharedMemory).
    if (job.kind === "decode") {
      const bytes = sharedBytesOf(job);
      setImmediate(() => reportSharedMemory(bytes));
    }
  }
});
