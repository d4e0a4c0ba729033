// Worker thread of the parallel loader (Node): builds and loads one cycle per job of @daqkit/io's WorkerPool.
import { loadH5RuntimeNode, serveNodeJobs } from "@daqkit/io/node";
import { type CycleRequest, serveCycleRequest, type WarmUpRequest } from "./parallel.js";

// The snapshots name host paths: opened with @daqkit/lh5/node. The warm-up job imports it and starts
// h5wasm once, before the worker takes its first cycle.
const lh5 = () => import("@daqkit/lh5/node");
void serveNodeJobs((req: CycleRequest | WarmUpRequest) =>
  serveCycleRequest(
    req,
    async (path) => (await lh5()).openLh5(path),
    async () => Promise.all([lh5(), loadH5RuntimeNode()]),
  ),
);
