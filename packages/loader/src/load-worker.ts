// Worker thread of the parallel loader (Node): builds and loads one cycle per job of @daqkit/io's WorkerPool.
import { serveNodeJobs } from "@daqkit/io/node";
import { type CycleRequest, serveCycleRequest } from "./parallel.js";

// The snapshots name host paths: opened with @daqkit/lh5/node (imported on first use).
void serveNodeJobs((req: CycleRequest) => serveCycleRequest(req, async (path) => (await import("@daqkit/lh5/node")).openLh5(path)));
