// Worker thread of the parallel loader (Node): builds and loads one cycle per job of @daqkit/io's WorkerPool.
import { lazyModule } from "@daqkit/io";
import { serveNodeJobs } from "@daqkit/io/node";
import { type CycleRequest, serveCycleRequest, type WarmUpRequest } from "./parallel.js";

// The snapshots name host paths: opened with @daqkit/lh5/node. The warm-up job imports it before the worker
// takes its first cycle. It does not start h5wasm: cycles open their files with `runtime: "on-demand"`
// (lh5-cycle.ts), so the runtime loads in this worker only if a read needs it — on the benchmark
// production none does, and the warm-up without it cost 0.2–0.3 s less CPU and 17 MiB less RSS (README).
// Imported once: an `import()` per opened file costs a module-loader round trip each time (a message to the hooks
// thread when module hooks are registered) — and the worker opens every file of its cycles.
const lh5Node = lazyModule(() => import("@daqkit/lh5/node"));
const lh5 = () => lh5Node.load();
void serveNodeJobs((req: CycleRequest | WarmUpRequest) =>
  serveCycleRequest(
    req,
    async (path, opts) => (await lh5()).openLh5(path, opts),
    async () => lh5(),
  ),
);
