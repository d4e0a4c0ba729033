// The viewer's worker (src/worker/worker.ts with its real job table) plus three test jobs, bundled
// for Chromium by test/support/browser.ts.
import { jobs } from "../../src/worker/jobs/index.js";
import type { JobContext } from "../../src/worker/protocol.js";
import { PROGRESS_INTERVAL_MS } from "../../src/worker/worker.js";

/** Busy for `ms` (synchronous, like HDF5 or decoding), reporting progress. */
jobs["test.busy"] = (args: { ms: number }, ctx: JobContext) => {
  const start = performance.now();
  let i = 0;
  while (performance.now() - start < args.ms) {
    if (++i % 10_000 === 0) ctx.progress(performance.now() - start, args.ms);
  }
  return "busy done";
};
/** `steps` steps each 30 ms longer than the worker's progress interval, one report after each. */
jobs["test.steps"] = (args: { steps: number }, ctx: JobContext) => {
  for (let i = 1; i <= args.steps; i++) {
    const start = performance.now();
    while (performance.now() - start < PROGRESS_INTERVAL_MS + 30) {
      // busy, like a synchronous decoder
    }
    ctx.progress(i, args.steps);
  }
  return "steps done";
};
/** `steps` reports in quick succession (well within the worker's progress interval), then done. */
jobs["test.quick"] = (args: { steps: number }, ctx: JobContext) => {
  for (let i = 1; i <= args.steps; i++) ctx.progress(i, args.steps);
  return "quick done";
};
jobs["test.echo"] = (args: unknown) => args;
/** How many times this job has run in this worker. */
let runs = 0;
jobs["test.count"] = () => ++runs;
jobs["test.fail"] = () => {
  throw Object.assign(new Error("test: the input is bad at byte 8"), { code: "TEST_BAD_INPUT" });
};
