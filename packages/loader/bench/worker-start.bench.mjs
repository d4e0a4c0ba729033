#!/usr/bin/env node
// What one worker of a parallel load() costs to start (issue 17): start the loader's worker script
// (dist/load-worker.js of the measured build) and send it the warm-up job the loader sends (it imports
// the LH5 stack and starts h5wasm), with this thread idle meanwhile, so the process CPU time of the
// whole start is the worker's. Repeated LOADER_WORKER_START_REPEAT times (default 9); prints each start
// and the median, and @@bench lines `loader.worker-start.cpu` / `loader.worker-start.wall` (ms, lower).
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { benchRoot, emit } from "../../../bench/lib.mjs";

const REPEAT = Math.max(1, Number(process.env.LOADER_WORKER_START_REPEAT ?? 9));
const script = pathToFileURL(join(benchRoot, "packages/loader/dist/load-worker.js"));

const cpus = [];
const walls = [];
for (let k = 0; k < REPEAT; k++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = new Worker(script);
  const reply = await new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.postMessage({ id: 1, job: { warmUp: true } });
  });
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  await worker.terminate();
  if (!reply?.ok) throw new Error(`warm-up failed: ${JSON.stringify(reply)}`);
  cpus.push((c.user + c.system) / 1000);
  walls.push(wall);
  console.log(`worker start + warm-up ${k + 1}/${REPEAT}: ${wall.toFixed(0)} ms wall, ${cpus.at(-1).toFixed(0)} ms process CPU`);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const range = (xs) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
console.log(`median ${median(walls).toFixed(0)} ms wall (${range(walls)}), ${median(cpus).toFixed(0)} ms CPU (${range(cpus)})`);
emit("loader.worker-start.cpu", "ms", Number(median(cpus).toFixed(1)), "lower");
emit("loader.worker-start.wall", "ms", Number(median(walls).toFixed(1)), "lower");
