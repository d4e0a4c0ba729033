/**
 * Worker-thread entry of the split decode of one large file (built to `dist/decode-worker.js`):
 * answers each {@link SplitJob} of the `@daqkit/io` worker pool (see `split-jobs.ts`).
 */
import { serveNodeJobs } from "@daqkit/io/node";
import { runSplitJob, type SplitJob } from "./split-jobs.js";

void serveNodeJobs((job: SplitJob) => runSplitJob(job));
