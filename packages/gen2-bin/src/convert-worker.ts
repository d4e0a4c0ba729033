/**
 * Worker-thread entry of the Parquet conversion (built to `dist/convert-worker.js`): answers each
 * {@link ConvertJob} of the `@daqkit/io` worker pool with its {@link ConvertResult} or its error.
 */
import { serveNodeJobs } from "@daqkit/io/node";
import { type ConvertJob, convertBinFile } from "./convert-file.js";

void serveNodeJobs((job: ConvertJob) => convertBinFile(job));
