// Worker thread of the parallel loader (Node): builds and loads one cycle per job of @daqkit/io's WorkerPool.
import { lazyModule } from "@daqkit/io";
import { loadH5RuntimeNode, serveNodeJobs } from "@daqkit/io/node";
import { type CycleRequest, serveCycleRequest, type WarmUpRequest } from "./parallel.js";

// The snapshots name host paths: opened with @daqkit/lh5/node. The warm-up job imports it and starts
// h5wasm once, before the worker takes its first cycle.
// Imported once: an `import()` per opened file costs a module-loader round trip each time (a message to the hooks
// thread when module hooks are registered) — and the worker opens every file of its cycles.
const lh5Node = lazyModule(() => import("@daqkit/lh5/node"));
const lh5 = () => lh5Node.load();
void serveNodeJobs((req: CycleRequest | WarmUpRequest) =>
  serveCycleRequest(
    req,
    async (path, opts) => (await lh5()).openLh5(path, opts),
    async () => Promise.all([lh5(), loadH5RuntimeNode()]),
  ),
);
