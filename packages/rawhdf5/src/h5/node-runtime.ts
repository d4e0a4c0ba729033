/** Node side of the runtime: io's NODERAWFS runtime (host paths) and io's status-call scope. */
import { loadH5RuntimeNode, withHdf5StatusCalls } from "@daqkit/io/node";
import { type H5Runtime, type QuietScope, rawRuntime } from "./runtime.js";

let runtime: Promise<H5Runtime> | undefined;

/** io's Node runtime (memoised there; cleared here if loading fails). Paths are host paths. */
export function loadH5(): Promise<H5Runtime> {
  runtime ??= loadH5RuntimeNode()
    .then(rawRuntime)
    .catch((error: unknown) => {
      runtime = undefined;
      throw error;
    });
  return runtime;
}

/**
 * Run `fn` in io's status-call scope (HDF5's default handler, diagnostics captured, the throwing
 * handler restored on return): what SWMR polling needs (spec §8.2).
 */
export function withQuietHdf5<T>(rt: H5Runtime, fn: (scope: QuietScope) => T): T {
  return withHdf5StatusCalls(rt.io, fn);
}
