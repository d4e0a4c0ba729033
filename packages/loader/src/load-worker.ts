// Worker thread of the parallel loader (Node): builds and loads one cycle per job of @daqkit/io's WorkerPool.
import { serveNodeJobs } from "@daqkit/io/node";
import { serveCycleRequest } from "./parallel.js";

void serveNodeJobs(serveCycleRequest);
