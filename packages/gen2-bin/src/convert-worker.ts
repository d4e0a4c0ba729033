/**
 * Worker-thread entry of the Parquet conversion (built to `dist/convert-worker.js`): answers each
 * {@link ConvertJob} of the `@daqkit/io` worker pool with its {@link ConvertResult} or its error.
 */
import { serveNodeJobs } from "@daqkit/io/node";
import { type ConvertJob, convertBinFile } from "./convert-file.js";
import { SortScratch } from "./sorted-photons.js";

// The worker's files share one set of sort buffers (the worker lives as long as its pool).
const scratch = new SortScratch();
void serveNodeJobs((job: ConvertJob) => convertBinFile(job, scratch));
