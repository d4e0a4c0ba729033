// The viewer's worker (src/worker/worker.ts with its real job table) plus three test jobs, bundled
// for Chromium by test/support/browser.ts.
import { jobs } from "../../src/worker/jobs/index.js";
import type { JobContext } from "../../src/worker/protocol.js";
import "../../src/worker/worker.js";

/** Busy for `ms` (synchronous, like HDF5 or decoding), reporting progress. */
jobs["test.busy"] = (args: { ms: number }, ctx: JobContext) => {
  const start = performance.now();
  let i = 0;
  while (performance.now() - start < args.ms) {
    if (++i % 10_000 === 0) ctx.progress(performance.now() - start, args.ms);
  }
  return "busy done";
};
jobs["test.echo"] = (args: unknown) => args;
jobs["test.fail"] = () => {
  throw Object.assign(new Error("test: the input is bad at byte 8"), { code: "TEST_BAD_INPUT" });
};
